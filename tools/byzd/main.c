/*
 * byzd: one byzreduce peer on one DPDK port. Reads a config file
 * (byz/config.h, docs/byzd.md), loads its identity, starts the EAL and the
 * port, and runs the node runtime (byz/node.h) in a run-to-completion loop
 * on the main lcore until the configured number of steps or SIGINT/SIGTERM
 * (a flag the loop checks every turn). With [eal] dp_lcore the dataplane
 * loop runs on that lcore instead and the main lcore is the control thread;
 * with [eal] worker_lcores CenteredClip runs on those lcores. Both are
 * stopped and waited for before anything is torn down. Logs go
 * through rte_log, counters through DPDK telemetry (/byz/stats).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "byz/bringup.h"
#include "byz/config.h"
#include "byz/cpu.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/hash.h"
#include "byz/ident.h"
#include "byz/node.h"
#include "byz/swarm.h"
#include "grad.h"
#include "portcfg.h"

static volatile sig_atomic_t stop_sig;
static int logtype = RTE_LOGTYPE_USER1;

#define LOG(level, ...) rte_log(RTE_LOG_##level, logtype, "byzd: " __VA_ARGS__)

static void on_signal(int s) { stop_sig = s; }

/* The lcore layout as a table: which loop runs where, and how it polls. */
static void print_layout(const char *path, const struct byz_config *c)
{
	const char *poll = c->busy_poll ? "busy" : "polite";
	printf("%s: lcore layout:\n", path);
	printf("  %-6s %-12s %-7s %s\n", "lcore", "role", "poll", "runs");
	if (c->main_lcore >= 0)
		printf("  %-6d %-12s %-7s %s\n", c->main_lcore, "control", poll,
		       c->dp_lcore_line ? "channel, signatures, protocol (commitments, roots, "
					  "projections, MPRNG, accusations, bans)"
					: "channel, signatures, protocol + dataplane RX/TX");
	if (c->dp_lcore_line)
		printf("  %-6u %-12s %-7s %s\n", c->dp_lcore, "rx/tx", poll,
		       "dataplane loop (RX, TX, ARP)");
	for (unsigned i = 0; i < c->nworkers; i++) {
		char role[24];
		snprintf(role, sizeof(role), "worker %u", i);
		printf("  %-6u %-12s %-7s %s\n", c->worker[i], role, poll,
		       "CenteredClip + aggregate hash of this node's parts");
	}
	if (!c->nworkers)
		printf("  (no worker_lcores: CenteredClip runs on the control thread)\n");
	/* busy loops on fewer CPUs than loops starve each other */
	unsigned loops = 1u + (c->dp_lcore_line ? 1u : 0u) + c->nworkers;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (c->busy_poll && cpus > 0 && (long)loops > cpus)
		printf("%s: warning: busy poll of %u loops on %ld CPUs: they are oversubscribed; "
		       "set [port] busy_poll = false (polite poll)\n", path, loops, cpus);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: byzd [--check-config] [--steps N] [--busy-poll] [--rejoin]\n"
		"            [--attack NAME [--attack-step T]] CONFIG\n"
		"\n"
		"Runs one byzreduce peer (BTARD protocol, signed control messages) on the\n"
		"DPDK port named in CONFIG. See docs/byzd.md for every config key.\n"
		"\n"
		"  --check-config  parse CONFIG and the key file it names, print a summary and\n"
		"                  the lcore layout ([eal] lcores, dp_lcore, worker_lcores: which\n"
		"                  loop runs where), exit 0 if both are valid (nothing is started)\n"
		"  --steps N       stop after N steps (overrides [run] steps; 0: until a signal)\n"
		"  --busy-poll     poll without backing off (overrides [port] busy_poll)\n"
		"  --rejoin        start without state and re-sync from the running swarm\n"
		"                  (after a crash; automatic when start_time is more than\n"
		"                  one phase in the past)\n"
		"  --attack NAME   for test swarms only: this node lies with the protocol\n"
		"                  attack NAME (bad-part, equivocate-commit, equivocate-result,\n"
		"                  wrong-aggregate, lie-projection, false-accuse, withhold-reveal,\n"
		"                  wrong-reveal, replay, forge, silent, malformed,\n"
		"                  signed-malformed, none); its honest peers must ban it or\n"
		"                  drop what it sends (byz-swarm --list-attacks says which).\n"
		"                  Gradient attacks are the trainer's: byz-run --attack\n"
		"  --attack-step T first step it attacks (default 0)\n"
		"  -h, --help      this text\n"
		"\n"
		"Stops cleanly on SIGINT or SIGTERM. Counters: dpdk-telemetry.py, /byz/stats.\n"
		"Exit status: 0 done or stopped by a signal; 1 runtime failure; 2 bad usage or config;\n"
		"3 the node stopped itself: late (phases too short for its load, TX stalled) and\n"
		"could not re-sync, or a minority view (most of the roster gone from its view).\n");
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The run's leaf hash, what runs it here, and the run id it puts on the wire. */
/* The phase schedule for --check-config: D and where it comes from. */
static void print_schedule(const char *path, const struct byz_config *c, size_t d,
			   const struct byz_schedule *s)
{
	printf("%s: phases: D = %" PRIu64 " us (%s), attempt = 9 D = %.3f s; d / n = %u floats, "
	       "PART/AGGV %" PRIu64 " bytes in %" PRIu64 " fragments\n",
	       path, s->phase_us, s->derived ? "derived from d" : "phase_us, as given",
	       9.0 * (double)s->phase_us / 1e6, s->part_floats, s->msg_bytes, s->frames_per_msg);
	/* the relay windows lengthen every attempt: what a step really takes,
	 * from the run constants byzd will run with (no roster needed here) */
	struct byz_run r;
	byz_bringup_run(c, NULL, d, &r);
	uint64_t delta = r.late_us ? r.late_us : r.phase_us / 3;
	printf("%s: relay windows: W = %u per digest phase (relay_f %u%s), Delta = %" PRIu64
	       " us (%s): an attempt takes %.3f s\n",
	       path, byz_relay_windows(&r, c->n), byz_relay_windows(&r, c->n) - 1,
	       c->relay_f ? ", as given" : " = (n - 1) / 2", delta,
	       c->late_us ? "late_us, as given" : "D / 3", (double)byz_run_attempt_us(&r, c->n) / 1e6);
	printf("%s: derived D = max(%u, 3 x (clip %.0f + link %.0f + cpu %.0f + retx %.0f us)) = "
	       "%" PRIu64 " us at link_gbps %g, cpu_gbps %g, clip_gbps %g%s\n",
	       path, BYZ_CONFIG_MIN_PHASE_US, s->clip_us, s->xfer_us, s->cpu_us, s->retx_us,
	       s->derived_us, c->link_gbps, c->cpu_gbps, c->clip_gbps,
	       !s->derived && s->phase_us < s->derived_us
		       ? " (the given phase_us is shorter: messages may miss their phases)"
		       : "");
}

static const char *leaf_hash_line(char *buf, size_t len, const struct byz_config *c)
{
	enum byz_leaf_alg a = (enum byz_leaf_alg)c->leaf_hash;
	uint8_t id[32];
	byz_leaf_run_id(c->run_id, a, id);
	snprintf(buf, len, "leaf hash %s (%s%s), run id on the wire %02x%02x%02x%02x...",
		 byz_leaf_alg_name(a), byz_leaf_alg_impl(a),
		 a == BYZ_LEAF_SHA256 && !byz_cpu_has_sha() ? ": no SHA-NI on this CPU, the slower fallback"
							    : "",
		 id[0], id[1], id[2], id[3]);
	return buf;
}

static int find_self(const struct byz_config *c, const uint8_t pk[32])
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!memcmp(c->peers[i].pk, pk, 32))
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"check-config", no_argument, NULL, 'c'},
		{"steps", required_argument, NULL, 's'},
		{"busy-poll", no_argument, NULL, 'b'},
		{"rejoin", no_argument, NULL, 'r'},
		{"attack", required_argument, NULL, 'a'},
		{"attack-step", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int check = 0, busy = -1, rejoin = 0, attack = -1, o;
	long long steps_arg = -1, attack_step = -1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			check = 1;
			break;
		case 'b':
			busy = 1;
			break;
		case 'r':
			rejoin = 1;
			break;
		case 'a':
			attack = byz_attack_parse(optarg);
			if (attack < 0 || byz_attack_grad_kind(attack) >= 0 ||
			    attack == BYZ_ATK_LEAVE_REJOIN) {
				fprintf(stderr, "byzd: --attack: '%s' is not a protocol attack byzd "
					"runs (see --help; gradient attacks are the trainer's)\n", optarg);
				return 2;
			}
			break;
		case 'A':
		case 's': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || v < 0) {
				fprintf(stderr, "byzd: --%s: not a non-negative integer: '%s'\n",
					o == 's' ? "steps" : "attack-step", optarg);
				return 2;
			}
			*(o == 's' ? &steps_arg : &attack_step) = v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (attack_step >= 0 && attack < 0) {
		fprintf(stderr, "byzd: --attack-step needs --attack\n");
		return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "byzd: expected exactly one CONFIG file\n");
		usage(stderr);
		return 2;
	}
	const char *path = argv[optind];
	static struct byz_config cfg;
	char why[512];
	if (byz_config_load(path, &cfg, why, sizeof(why))) {
		fprintf(stderr, "byzd: %s\n", why);
		return 2;
	}
	if (steps_arg >= 0)
		cfg.steps = (uint64_t)steps_arg;
	if (busy >= 0)
		cfg.busy_poll = busy;
	struct byz_ident id;
	int r = byz_ident_load(&id, cfg.key_file, why, sizeof(why));
	if (r) {
		fprintf(stderr, "byzd: %s: key_file '%s': %s%s%s\n", path, cfg.key_file,
			byz_strerror(r), why[0] ? ": " : "", why);
		return 2;
	}
	int self = find_self(&cfg, id.pk);
	if (self < 0) {
		fprintf(stderr, "byzd: %s: the public key of key_file '%s' is not in any [peer] "
			"section\n", path, cfg.key_file);
		byz_ident_free(&id);
		return 2;
	}
	static struct byz_config_net net;
	if (byz_config_net(&cfg, (uint32_t)self, path, &net, why, sizeof(why))) {
		fprintf(stderr, "byzd: %s\n", why);
		byz_ident_free(&id);
		return 2;
	}
	static struct byzd_grad grad;
	r = byzd_grad_init(&grad, &cfg, cfg.run_id, why, sizeof(why));
	if (r) {
		fprintf(stderr, "byzd: %s: [gradient]: %s\n", path, why);
		byz_ident_free(&id);
		return 2;
	}
	/* D from the gradient size unless phase_us is given; cfg.phase_us is
	 * what every later step (the run, the rejoin check, the logs) uses */
	struct byz_schedule sch;
	if (byz_config_schedule(&cfg, grad.d, &sch)) {
		fprintf(stderr, "byzd: %s: d = %zu: no phase schedule for this size\n", path, grad.d);
		byzd_grad_free(&grad);
		byz_ident_free(&id);
		return 2;
	}
	cfg.phase_us = sch.phase_us;
	if (cfg.late_us && cfg.late_us * 2 >= cfg.phase_us) {
		fprintf(stderr, "byzd: %s:%u: late_us %" PRIu64 " is not below half of the phase "
			"length D = %" PRIu64 " us (%s)\n", path, cfg.late_us_line, cfg.late_us,
			cfg.phase_us, sch.derived ? "derived from d" : "phase_us");
		byzd_grad_free(&grad);
		byz_ident_free(&id);
		return 2;
	}
	struct byzd_port_sizes psz;
	if (byzd_port_sizes(&cfg, &psz, why, sizeof(why))) {
		fprintf(stderr, "byzd: %s: [port] mtu %u: %s\n", path, cfg.mtu, why);
		byzd_grad_free(&grad);
		byz_ident_free(&id);
		return 2;
	}
	if (check) {
		printf("%s: OK: run %02x%02x%02x%02x..., %u peers, self = %d (%u.%u.%u.%u), port '%s', "
		       "gradient %s (d = %zu), phase %" PRIu64 " us, %s poll, ARP %s (%u peers)\n",
		       path, cfg.run_id[0], cfg.run_id[1], cfg.run_id[2], cfg.run_id[3], cfg.n, self,
		       cfg.peers[self].ip >> 24, (cfg.peers[self].ip >> 16) & 255,
		       (cfg.peers[self].ip >> 8) & 255, cfg.peers[self].ip & 255, cfg.port,
		       byz_grad_source_name(cfg.source), grad.d, cfg.phase_us,
		       cfg.busy_poll ? "busy" : "polite", net.arp ? "on" : "off", net.n_dyn);
		if (grad.has_fp) {
			char fh[65];
			byz_hex(grad.fp, sizeof(grad.fp), fh);
			printf("%s: model fingerprint %s (%s)\n", path, fh,
			       cfg.fingerprint_line ? "matches [gradient] fingerprint"
						    : "not pinned: [gradient] fingerprint = this value "
						      "makes every peer check it at start-up");
		}
		print_schedule(path, &cfg, grad.d, &sch);
		char lh[192];
		printf("%s: %s\n", path, leaf_hash_line(lh, sizeof(lh), &cfg));
		printf("%s: port: mtu %u, frames up to %u bytes, mbufs of %u bytes%s", path, cfg.mtu,
		       psz.frame, psz.data_room, psz.afp_framesz ? "" : "\n");
		if (psz.afp_framesz)
			printf(", af_packet framesz %u\n", psz.afp_framesz);
		for (uint32_t j = 0; j < cfg.n; j++)
			if ((int)j != self && cfg.peers[j].port[0] && strcmp(cfg.peers[j].port, cfg.port))
				printf("%s: peer %u over port '%s' (its own link)\n", path, j,
				       cfg.peers[j].port);
		if (cfg.dp_lcore_line)
			printf("%s: lcores '%s': main lcore %d = control thread (channel, signatures, "
			       "protocol), lcore %u = dataplane RX/TX\n",
			       path, cfg.lcores, cfg.main_lcore, cfg.dp_lcore);
		else if (cfg.main_lcore >= 0)
			printf("%s: lcores '%s': main lcore %d = control thread and dataplane RX/TX "
			       "(single lcore)\n", path, cfg.lcores, cfg.main_lcore);
		else
			printf("%s: lcores '%s': the main lcore = control thread and dataplane RX/TX "
			       "(single lcore)\n", path, cfg.lcores);
		print_layout(path, &cfg);
		byzd_grad_free(&grad);
		byz_ident_free(&id);
		return 0;
	}

	/* ---- start: EAL, port, node ---- */
	int rc = 1;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s", cfg.file_prefix);
	if (!prefix[0])
		snprintf(prefix, sizeof(prefix), "byzd%ld", (long)getpid());
	struct byz_eal_cfg ec = {.lcores = cfg.lcores, .mem_mb = cfg.mem_mb,
				 .no_huge = cfg.no_huge, .no_pci = cfg.no_pci,
				 .file_prefix = prefix, .log_level = cfg.log_level};
	for (unsigned i = 0; i < cfg.nvdev; i++)
		ec.vdevs[i] = cfg.vdev[i];
	for (unsigned i = 0; i < cfg.npci; i++)
		ec.pci_allow[i] = cfg.pci[i];
	r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "byzd: cannot start the DPDK EAL: %s\n", why);
		goto out_ident;
	}
	int lt = rte_log_register("byzd");
	if (lt >= 0) {
		logtype = lt;
		rte_log_set_level(lt, RTE_LOG_DEBUG);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	uint16_t port;
	if (rte_eth_dev_get_port_by_name(cfg.port, &port)) {
		LOG(ERR, "%s: [port] name '%s': no such DPDK port (give a vdev or pci in [eal])\n",
		    path, cfg.port);
		goto out_eal;
	}
	struct rte_mempool *pool = byz_dp_pool_create_room("byzd_pool", cfg.nb_mbufs,
							   psz.data_room, (int)rte_socket_id());
	if (!pool) {
		LOG(ERR, "mbuf pool (%u mbufs of %u bytes): %s\n", cfg.nb_mbufs, psz.data_room,
		    rte_strerror(rte_errno));
		goto out_eal;
	}
	r = byz_bringup_port(port, cfg.rx_desc, cfg.mtu, pool, why, sizeof(why));
	if (r == 1) {
		LOG(NOTICE, "port '%s': the PMD does not set the MTU; the link must carry %u-byte "
			    "IP packets\n", cfg.port, cfg.mtu);
		r = 0;
	}
	if (r) {
		LOG(ERR, "port '%s': %s\n", cfg.port, why);
		goto out_pool;
	}
	/* [peer] port: a link of its own per peer (a memif mesh) */
	static struct byz_bringup_ports xp;
	r = byz_bringup_peer_ports(&cfg, self, port, pool, &xp, why, sizeof(why));
	if (r) {
		LOG(ERR, "%s: %s\n", path, why);
		goto out_port;
	}
	if (xp.n) {
		unsigned routed = 0;
		for (uint32_t j = 0; j < cfg.n; j++)
			routed += xp.route[j] != UINT16_MAX;
		LOG(NOTICE, "%u more port(s) from [peer] port: %u of %u peers reached over "
			    "their own link\n", xp.n, routed, cfg.n - 1);
	}
	static struct byz_bringup_addrs ad;
	byz_bringup_addrs(&cfg, &ad);
	uint32_t *ips = ad.ip;
	uint16_t *udps = ad.udp;
	if (!cfg.peers[self].has_mac) {
		struct rte_ether_addr ma;
		if (rte_eth_macaddr_get(port, &ma) == 0)
			memcpy(ad.mac[self], ma.addr_bytes, 6);
	}
	struct byz_run run;
	byz_bringup_run(&cfg, ad.roster, grad.d, &run);
	struct byz_node_cfg nc = {
		.run = &run, .self = (uint16_t)self, .sk = id.sk, .oracle = grad.oracle,
		.port_id = port, .tx_queue_per_peer = 0, .pool = pool, .mtu = cfg.mtu,
		.udp_port = udps[self], .peer_ip = ips, .peer_mac = (const uint8_t(*)[6])ad.mac,
		.peer_udp = udps, .window = cfg.window, .rto_us = cfg.rto_us,
		.rto_max_us = cfg.rto_max_us, .clock_ns = realtime_ns,
		.leaf_hash = cfg.leaf_hash, .auth_off = !cfg.auth,
	};
	uint64_t now = realtime_ns();
	uint64_t origin = cfg.start_time ? cfg.start_time * 1000000000ull : now + 100000000ull;
	/* Started after the swarm's first phase: its step 0 is gone without us,
	 * so this is a restart (a crash, a reboot); come back through a re-sync.
	 * Protocol time is shared, so the swarm's step follows from the clock. */
	if (!rejoin && now > origin + cfg.phase_us * 1000u) {
		rejoin = 1;
		LOG(NOTICE, "start_time passed %.3f s ago: rejoining the running swarm\n",
		    (double)(now - origin) / 1e9);
	}
	nc.rejoin = rejoin;
	static struct byz_attacker att;
	static struct byz_peer_hooks hooks;
	if (attack >= 0) {
		att.attack = attack;
		att.start_step = attack_step > 0 ? (uint64_t)attack_step : 0;
		att.seed = 0x62797a64u ^ (uint64_t)self;
		byz_attacker_hooks(&att, &hooks);
		nc.hooks = &hooks;
		LOG(WARNING, "this node is Byzantine (--attack %s from step %" PRIu64 "): %s\n",
		    byz_attack_name(attack), att.start_step, byz_attack_help(attack));
	}
	struct byz_node *node = byz_node_new(&nc, &r);
	if (!node) {
		LOG(ERR, "node: %s\n", byz_strerror(r));
		goto out_port;
	}
	/* peers without a mac on an ARP port: the dataplane resolves them */
	if (net.prefix)
		r = byz_dp_set_subnet(byz_node_dp(node), net.prefix, net.gateway);
	for (uint32_t i = 0; !r && i < cfg.n; i++)
		if (net.dyn[i])
			r = byz_dp_set_addr(byz_node_dp(node), (uint16_t)i, ips[i], NULL, udps[i]);
	if (!r)
		r = byz_bringup_routes(byz_node_dp(node), cfg.n, &xp);
	if (r) {
		LOG(ERR, "neighbours: %s\n", byz_strerror(r));
		byz_node_free(node);
		goto out_port;
	}
	r = byz_node_telemetry_register(node);
	if (r)
		LOG(WARNING, "telemetry /byz/stats not registered: %s\n", strerror(-r));
	if (cfg.dp_lcore_line) {
		/* after every byz_dp_set_*: from here on the dataplane is the lcore's */
		r = byz_node_launch_dp(node, cfg.dp_lcore, cfg.busy_poll);
		if (r) {
			LOG(ERR, "%s:%u: dp_lcore %u: cannot launch the dataplane loop there: %s\n",
			    path, cfg.dp_lcore_line, cfg.dp_lcore, byz_strerror(r));
			byz_node_free(node);
			goto out_port;
		}
		LOG(NOTICE, "dataplane RX/TX on lcore %u, control thread on lcore %u\n",
		    cfg.dp_lcore, rte_lcore_id());
	}
	if (cfg.nworkers) {
		r = byz_node_launch_workers(node, cfg.worker, cfg.nworkers, cfg.busy_poll);
		if (r) {
			LOG(ERR, "%s:%u: worker_lcores '%s': cannot launch the CenteredClip workers: "
				 "%s\n", path, cfg.worker_lcores_line, cfg.worker_lcores,
			    byz_strerror(r));
			byz_node_free(node);
			goto out_port;
		}
		LOG(NOTICE, "CenteredClip on %u worker lcore(s) '%s' (%s poll)\n", cfg.nworkers,
		    cfg.worker_lcores, cfg.busy_poll ? "busy" : "polite");
	}
	byz_node_start(node, origin);
	char lh[192];
	LOG(NOTICE, "%s\n", leaf_hash_line(lh, sizeof(lh), &cfg));
	LOG(NOTICE, "peer %d of %u on port '%s' (%s poll, frame auth %s), gradient %s d=%zu, "
		    "phase %" PRIu64 " us, %s in %.3f s\n",
	    self, cfg.n, cfg.port, cfg.busy_poll ? "busy" : "polite", cfg.auth ? "on" : "off",
	    byz_grad_source_name(cfg.source), grad.d, cfg.phase_us,
	    rejoin ? "re-syncs from the swarm (no state)" : "starts",
	    origin > now ? (double)(origin - now) / 1e9 : 0.0);
	if (grad.has_fp) {
		char fh[65];
		byz_hex(grad.fp, sizeof(grad.fp), fh);
		LOG(NOTICE, "model fingerprint %s (%s)\n", fh,
		    cfg.fingerprint_line ? "as the config expects" : "not pinned in the config");
	}

	static uint8_t mixed_logged[BYZ_CONFIG_MAX_PEERS];
	unsigned idle = 0;
	uint64_t t_first = 0, mixed = 0;
	while (!stop_sig && !byz_node_fatal(node) &&
	       (cfg.steps == 0 || byz_node_step(node) < cfg.steps)) {
		now = realtime_ns();
		if (byz_node_poll(node, now))
			idle = 0;
		else if (!cfg.busy_poll && ++idle > 64) /* polite poll: shared cores */
			usleep(idle > 1024 ? 200 : 20);
		if (byz_node_stats(node)->mixed_hash_peers != mixed) {
			mixed = byz_node_stats(node)->mixed_hash_peers;
			for (uint32_t i = 0; i < cfg.n; i++) {
				int a = byz_node_mixed_hash(node, (uint16_t)i);
				if (a >= 0 && !mixed_logged[i]) {
					mixed_logged[i] = 1;
					LOG(WARNING, "peer %u runs this run with leaf_hash = %s, ours is "
						     "%s: refused (all its frames and messages, its JOIN "
						     "too); every peer's [run] leaf_hash must be the same\n",
					    i, byz_leaf_alg_name((enum byz_leaf_alg)a),
					    byz_leaf_alg_name((enum byz_leaf_alg)cfg.leaf_hash));
				}
			}
		}
		struct byz_event e;
		while (byz_node_pop_event(node, &e)) {
			switch (e.kind) {
			case BYZ_EV_STEP_DONE:
				if (!t_first)
					t_first = now;
				if (!e.synced) { /* re-syncing: the swarm's step, no params of ours */
					LOG(INFO, "step %" PRIu64 " passed while re-syncing\n", e.step);
					break;
				}
				LOG(NOTICE, "step %" PRIu64 " done, params digest %02x%02x%02x%02x...\n",
				    e.step, e.digest[0], e.digest[1], e.digest[2], e.digest[3]);
				break;
			case BYZ_EV_BAN:
				LOG(WARNING, "step %" PRIu64 ": banned peer %u (%s, accuser %d)\n", e.step,
				    e.peer, byz_ban_reason_name(e.reason), e.accuser);
				break;
			case BYZ_EV_SILENT:
				LOG(INFO, "step %" PRIu64 ": peer %u silent\n", e.step, e.peer);
				break;
			case BYZ_EV_LEFT:
				LOG(NOTICE, "step %" PRIu64 ": peer %u left (silent %u steps)\n", e.step,
				    e.peer, cfg.silent_limit);
				break;
			case BYZ_EV_RESYNCED:
				LOG(NOTICE, "step %" PRIu64 ": re-synced from a checked state snapshot, "
					    "taking part again\n", e.step);
				break;
			case BYZ_EV_OUT_OF_SYNC:
				LOG(WARNING, "step %" PRIu64 ": state differs from the swarm's, "
					     "re-syncing\n", e.step);
				break;
			case BYZ_EV_JOINED:
				LOG(NOTICE, "step %" PRIu64 ": peer %u admitted (probation)\n", e.step,
				    e.peer);
				break;
			case BYZ_EV_ACTIVE:
				LOG(NOTICE, "step %" PRIu64 ": peer %u active (probation over)\n",
				    e.step, e.peer);
				break;
			case BYZ_EV_LATE:
				if (e.reason == BYZ_LATE_AGG)
					LOG(WARNING, "step %" PRIu64 " attempt %u: this node is late (its "
						     "CenteredClip job was not done when RESULT ended: too "
						     "few or overloaded worker_lcores, or phases too short); "
						     "accusing nobody, re-syncing at the attempt's end\n",
					    e.step, e.attempt);
				else if (e.reason == BYZ_LATE_DRIVER)
					LOG(WARNING, "step %" PRIu64 " attempt %u: this node is late (its TX "
						     "stalled): accusing nobody, re-syncing at the attempt's "
						     "end\n", e.step, e.attempt);
				else
					LOG(WARNING, "step %" PRIu64 " attempt %u: this node is late: phase "
						     "%u entered %.1f ms after its deadline (phase %.1f ms); "
						     "accusing nobody, re-syncing at the attempt's end\n",
					    e.step, e.attempt, e.peer, (double)e.late_us / 1e3,
					    (double)cfg.phase_us / 1e3);
				break;
			case BYZ_EV_TX_STALL:
				LOG(WARNING, "TX stalled for %.1f ms: port '%s' refuses frames and sends "
					     "none (telemetry drop_tx_full; check the link, the PMD's "
					     "ring/frame sizes)\n", (double)e.late_us / 1e3, cfg.port);
				break;
			case BYZ_EV_SKIPPED:
				LOG(WARNING, "step %" PRIu64 " skipped after %u attempts\n", e.step,
				    cfg.max_attempts);
				break;
			default:
				break;
			}
		}
	}
	int fatal = byz_node_fatal(node);
	if (fatal)
		LOG(ERR, "stopping: %s\n", byz_node_fatal_msg(node));
	byz_node_stop_dp(node); /* the dp lcore is done before its counters are read */
	for (unsigned i = 0; i < byz_node_workers(node); i++) {
		struct byz_node_worker_stats ws;
		if (byz_node_worker_stats(node, i, &ws) == 0)
			LOG(NOTICE, "worker lcore %d: %" PRIu64 " CenteredClip jobs, %.1f ms busy\n",
			    ws.lcore, ws.jobs, (double)ws.busy_ns / 1e6);
	}
	byz_node_stop_workers(node);
	const struct byz_node_stats *st = byz_node_stats(node);
	const struct byz_dp_stats *ds = byz_dp_stats(byz_node_dp(node));
	if (stop_sig)
		LOG(NOTICE, "shutdown on %s after %" PRIu64 " steps\n",
		    stop_sig == SIGINT ? "SIGINT" : "SIGTERM", byz_node_step(node));
	printf("byzd: %s: %" PRIu64 " steps, %" PRIu64 " bans, frames in %" PRIu64 " out %" PRIu64
	       ", messages in %" PRIu64 " out %" PRIu64 ", retransmissions %" PRIu64
	       ", late %" PRIu64 ", TX stalls %" PRIu64 ", clip jobs inline %" PRIu64
	       " on workers %" PRIu64 "\n",
	       fatal ? "FAILED" : stop_sig ? "stopped" : "done", byz_node_step(node), st->bans,
	       ds->rx_frames, ds->tx_frames, st->msgs_in, st->msgs_out, st->retx, st->late,
	       st->tx_stalls, st->agg_inline, st->agg_worker);
	if (fatal)
		printf("byzd: %s\n", byz_node_fatal_msg(node));
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) /* docs/byzd.md, "Memory" */
		LOG(NOTICE, "peak RSS %ld KiB (d = %zu, %u peers)\n", ru.ru_maxrss, grad.d, cfg.n);
	fflush(stdout);
	rc = fatal ? 3 : 0;
	byz_node_free(node);
	if (attack >= 0)
		byz_attacker_free(&att);
out_port:
	byz_bringup_ports_close(&xp);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out_pool:
	rte_mempool_free(pool);
out_eal:
	byz_eal_cleanup();
out_ident:
	byzd_grad_free(&grad);
	byz_ident_free(&id);
	return rc;
}
