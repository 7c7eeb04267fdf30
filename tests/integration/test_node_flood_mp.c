/*
 * The dataplane flood from another process: 4 honest byz_node peers and a
 * silent Byzantine member (5-member roster) in this process over ring
 * ports, the victim node also holding a memif link (server) routed to the
 * Byzantine member, and `byz-bench flood` in a process of its own on the
 * other end of that link sending, as fast as the memif ring takes them,
 * random bytes, truncated frames, bad CRCs, frames from unknown ids, frames
 * spoofing an honest id, replays of honest CONTROL fragments captured here
 * during step 0 (handed over as a pcap file), and channel fragments carrying
 * garbage or wrongly-signed protocol messages.
 *
 * Checks: every honest node completes every step with the params digest of
 * the in-process harness (same seed, no flood) and no ban; the victim's memif
 * port received exactly the frames the flooder reports sent (the flooder
 * offers ring-full refusals again, so none is lost; it reports them apart),
 * and the victim's counters account for each class by reason; the memif RX
 * pool's in-use count returns to its baseline, the node pool's too after
 * teardown; RSS grows less than RSS_BOUND_KB. Rates go to stderr for
 * docs/security.md.
 *
 * The flood stops after FRAMES frames or 5 s (a slow machine sends fewer;
 * the counts stay exact). usage: test_node_flood_mp BYZ_BENCH. Exit 77 when the EAL cannot start or
 * the memif driver is missing. BYZ_FLOOD_FRAMES overrides the frame count.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz/ident.h"
#include "byz/node.h"
#include "byz/swarm.h"
#include "byz/vport.h"
#include "byz_test.h"
#include "chan.h"

/* Frame tags (byz/auth.h): the flooder seals its own frames with the
 * hostile member's key, and sends forged tags in an honest member's name
 * from its real address too. Built either way until every tree has it. */
#if __has_include("byz/auth.h")
#define FL_AUTH 1
#else
#define FL_AUTH 0
#endif

#define N 5u
#define STEPS 5u
#define NCAP 256u
#define CAP_MAX 1514u
#define FRAMES 200000u
/* Private memory, as in node-flood: growth is the honest steps' own first
 * use of state, about 1 MiB; 4 MiB still catches a per-frame leak of 20
 * bytes at FRAMES. Shared memory: the memif region, 2 rings of 2^11 slots
 * of 2 KiB buffers (8 MiB, first read during the flood), and other shared
 * pages first touched meanwhile: measured growth 8.2 to 8.6 MiB at 50k to
 * 600k frames. The region plus the same 4 MiB margin. */
#define RSS_BOUND_KB 4096u
#define SHM_BOUND_KB (8192u + 4096u)

enum cat { C_RANDOM, C_TRUNC, C_BADCRC, C_UNKNOWN, C_SPOOF, C_REPLAY, C_GARBAGE, C_BADSIG,
	   C_FORGE, C_N };
/* the flooder's class names (its CSV) */
static const char *const cat_name[C_N] = {"random",      "truncated",   "bad-crc",
					  "unknown-src", "spoofed-src", "replay",
					  "garbage-msg", "bad-sig",     "forged-tag"};

static char *bench;
static struct rte_mempool *pool, *mpool;
static char tmp[64];

static struct {
	uint8_t cap[NCAP][CAP_MAX];
	uint16_t caplen[NCAP];
	unsigned ncap;
	int capturing;
} C;

/* RX callback on the victim's ring port: copy honest chan DATA fragments. */
static uint16_t capture(uint16_t port, uint16_t q, struct rte_mbuf *pkts[], uint16_t nb,
			uint16_t max, void *ctx)
{
	(void)port, (void)q, (void)max, (void)ctx;
	for (uint16_t i = 0; i < nb && C.capturing && C.ncap < NCAP; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(pkts[i]);
		if (len <= BYZ_PAYLOAD_OFF + 2 || len > CAP_MAX ||
		    d[BYZ_HDR_OFF + BYZ_HO_TYPE] != BYZ_T_CONTROL ||
		    d[BYZ_PAYLOAD_OFF + 1] != CHAN_T_DATA)
			continue;
		memcpy(C.cap[C.ncap], d, len);
		C.caplen[C.ncap++] = (uint16_t)len;
	}
	return nb;
}

static void put32(uint8_t *p, uint32_t v)
{
	byz_le32_put(p, v);
}

/* The capture as a little-endian pcap file (link type Ethernet). */
static int write_pcap(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	uint8_t gh[24] = {0};
	put32(gh, 0xa1b2c3d4u);
	gh[4] = 2;
	gh[6] = 4;
	put32(gh + 16, 65535);
	put32(gh + 20, 1);
	int bad = fwrite(gh, 1, 24, f) != 24;
	for (unsigned i = 0; i < C.ncap && !bad; i++) {
		uint8_t rh[16] = {0};
		put32(rh + 8, C.caplen[i]);
		put32(rh + 12, C.caplen[i]);
		bad = fwrite(rh, 1, 16, f) != 16 || fwrite(C.cap[i], 1, C.caplen[i], f) != C.caplen[i];
	}
	return fclose(f) || bad ? -1 : 0;
}

static void drain(uint16_t port)
{
	struct rte_mbuf *m[BYZ_DP_BURST];
	uint16_t got;
	while ((got = rte_eth_rx_burst(port, 0, m, BYZ_DP_BURST)) > 0)
		rte_pktmbuf_free_bulk(m, got);
}

/* Resident KiB: private (anonymous + file) and shared memory apart. The
 * memif region (memfd, mapped from the flooder) is shared: its pages count
 * once this process first reads them, up to the region's size, whatever
 * the frame count. */
struct rss {
	long priv, shm;
};

static struct rss rss_now(void)
{
	struct rss r = {-1, -1};
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long anon = -1, file = -1, shm = -1;
	if (!f)
		return r;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "RssAnon: %ld", &anon);
		sscanf(line, "RssFile: %ld", &file);
		sscanf(line, "RssShmem: %ld", &shm);
	}
	fclose(f);
	if (anon >= 0 && file >= 0 && shm >= 0)
		r = (struct rss){anon + file, shm};
	return r;
}

static void rss_max(struct rss *peak, struct rss r)
{
	peak->priv = r.priv > peak->priv ? r.priv : peak->priv;
	peak->shm = r.shm > peak->shm ? r.shm : peak->shm;
}

static void touch_pool(struct rte_mempool *mp)
{
	unsigned n = rte_mempool_avail_count(mp);
	struct rte_mbuf **m = calloc(n, sizeof(*m));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	unsigned k = 0;
	while (k < n && (m[k] = rte_pktmbuf_alloc(mp)) != NULL) {
		memset(rte_pktmbuf_mtod(m[k], void *), 0, rte_pktmbuf_tailroom(m[k]));
		k++;
	}
	for (unsigned i = 0; i < k; i++)
		rte_pktmbuf_free(m[i]);
	free(m);
}

/* The flooder: a child process, its stdin a pipe (the start line, then end
 * of file to close), its stdout a non-blocking pipe read here. */
struct flooder {
	pid_t pid;
	int in, out, exited, status;
	char buf[8192];
	size_t len;
};

static int flooder_spawn(struct flooder *fl, char *const argv[])
{
	int pin[2], pout[2];
	if (pipe(pin) || pipe(pout))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	*fl = (struct flooder){.pid = p, .in = pin[1], .out = pout[0]};
	return 0;
}

/* Read what the flooder printed; 1 once its "# done" line is there. */
static int flooder_done(struct flooder *fl)
{
	ssize_t r;
	while (fl->len + 1 < sizeof(fl->buf) &&
	       (r = read(fl->out, fl->buf + fl->len, sizeof(fl->buf) - 1 - fl->len)) > 0)
		fl->len += (size_t)r;
	fl->buf[fl->len] = 0;
	if (!fl->exited && waitpid(fl->pid, &fl->status, WNOHANG) == fl->pid)
		fl->exited = 1;
	return strstr(fl->buf, "# done\n") != NULL;
}

static void flooder_stop(struct flooder *fl)
{
	if (fl->in >= 0)
		close(fl->in);
	fl->in = -1;
	for (int k = 0; k < 2000 && !fl->exited; k++) {
		if (waitpid(fl->pid, &fl->status, WNOHANG) == fl->pid)
			fl->exited = 1;
		else
			usleep(5000);
	}
	if (!fl->exited) {
		fprintf(stderr, "flooder did not exit; killing it\n");
		kill(fl->pid, SIGKILL);
		waitpid(fl->pid, &fl->status, 0);
		fl->exited = 1;
		fl->status = -1;
	}
	close(fl->out);
}

static int csv_get(const char *path, const char *key, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	char line[128];
	size_t kl = strlen(key);
	int found = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ',') {
			*v = strtoull(line + kl + 1, NULL, 10);
			found = 0;
		}
	fclose(f);
	return found;
}

static void test_flood_mp(void)
{
	uint64_t seed = byz_test_seed();
	static const int silent[] = {BYZ_ATK_SILENT};
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	sc.n = N;
	sc.nbyz = 1;
	sc.attacks = silent;
	sc.nattacks = 1;
	sc.steps = STEPS;
	sc.seed = seed;
	sc.d = 64;
	uint64_t phase_us = 90000;
	const char *pe = getenv("BYZ_NODE_PHASE_MS");
	if (pe)
		phase_us = strtoull(pe, NULL, 10) * 1000u;
#if defined(__SANITIZE_ADDRESS__)
	if (!pe)
		phase_us *= 3;
#endif
	unsigned long frames = FRAMES;
	const char *fe = getenv("BYZ_FLOOD_FRAMES");
	if (fe)
		frames = strtoul(fe, NULL, 10);
	sc.run.phase_us = phase_us;
	sc.net.delay_min_us = 100;
	sc.net.delay_max_us = phase_us / 20;
	sc.net.retx_us = phase_us / 20;
	int err = 0;
	struct byz_swarm *ref = byz_swarm_new(&sc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL_FATAL(byz_swarm_run(ref), 0);
	const struct byz_swarm_report *rr = byz_swarm_report(ref);
	CU_ASSERT_FATAL(rr->replicas_identical && rr->honest_banned == 0);

	uint8_t run_id[32], roster[N * 32], sks[N][64];
	byz_swarm_derive_keys(seed, N, run_id, roster, sks);
	struct byz_run run = sc.run;
	memcpy(run.run_id, run_id, 32);
	run.n = N;
	run.roster = roster;
	run.d = sc.d;
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, sc.d, sc.batch), 0);
	struct byz_ringnet net;
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&net, "fm", N, 4096, pool), 0);
	uint16_t bad = rr->byz[0], victim = bad == 0 ? 1 : 0;

	/* the victim's end of the memif link: the server, towards member bad */
	char sock[128], args[300], why[256], pcap[128], csv[128];
	snprintf(sock, sizeof(sock), "%s/flood.sock", tmp);
	snprintf(pcap, sizeof(pcap), "%s/replay.pcap", tmp);
	snprintf(csv, sizeof(csv), "%s/flood.csv", tmp);
	snprintf(args, sizeof(args), "net_memif0,role=server,id=0,socket=%s,socket-abstract=no,"
		 "rsize=11,bsize=2048,mac=02:62:79:7a:00:%02x", sock, victim);
	struct byz_vport vp;
	int r = byz_vport_open(&vp, args, mpool, 2048, 0, why, sizeof(why));
	if (r == -ENODEV) {
		fprintf(stderr, "skipping: no memif port here (%s)\n", why);
		byz_ringnet_destroy(&net);
		byz_toy_lsq_free(&toy);
		byz_swarm_free(ref);
		exit(77);
	}
	CU_ASSERT_EQUAL_FATAL(r, 0);

	/* the hostile member's key file, for its frame keys */
	char keyf[128], vpk[65];
	snprintf(keyf, sizeof(keyf), "%s/member.key", tmp);
	struct byz_ident id = {.sk = sks[bad]};
	memcpy(id.pk, roster + 32u * bad, 32);
	CU_ASSERT_EQUAL_FATAL(byz_ident_save(&id, keyf, 1, why, sizeof(why)), 0);
	for (int i = 0; i < 32; i++)
		snprintf(vpk + 2 * i, 3, "%02x", roster[32u * victim + (unsigned)i]);
	char hex[65], a_peers[8], a_self[8], a_victim[8], a_frames[24], a_seed[24];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", run_id[i]);
	snprintf(a_peers, sizeof(a_peers), "%u", N);
	snprintf(a_self, sizeof(a_self), "%u", bad);
	snprintf(a_victim, sizeof(a_victim), "%u", victim);
	snprintf(a_frames, sizeof(a_frames), "%lu", frames);
	snprintf(a_seed, sizeof(a_seed), "%llu", (unsigned long long)seed);
	char *const fargv[] = {bench, "flood", "--transport", "memif", "--socket", sock,
			       "--run-id", hex, "--peers", a_peers, "--self", a_self,
			       "--victim", a_victim, "--replay", pcap, "--frames", a_frames,
			       "--duration", "5", "--seed", a_seed, "--wait-stdin",
			       "--csv", csv,
#if FL_AUTH
			       "--key-file", keyf, "--victim-pubkey", vpk,
#endif
			       NULL};
	struct flooder fl;
	CU_ASSERT_EQUAL_FATAL(flooder_spawn(&fl, fargv), 0);
	/* the link is up once the flooder connected (no wait is unbounded) */
	int up = 0;
	for (int t = 0; t < 30000 && !up && !fl.exited; t++) {
		struct rte_eth_link l;
		memset(&l, 0, sizeof(l));
		up = !rte_eth_link_get_nowait(vp.port, &l) && l.link_status;
		if (!up) {
			usleep(1000);
			flooder_done(&fl);
		}
	}
	if (!up)
		fprintf(stderr, "memif link not up; flooder said: %s\n", fl.buf);
	CU_ASSERT_FATAL(up);

	const struct rte_eth_rxtx_callback *cb =
		rte_eth_add_rx_callback(net.port[victim], 0, capture, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
	touch_pool(pool);
	touch_pool(mpool);
	unsigned pool_base = rte_mempool_in_use_count(pool);

	struct byz_node *node[N] = {0};
	for (uint16_t i = 0; i < N; i++) {
		if (i == bad)
			continue;
		struct byz_node_cfg nc = {
			.run = &run, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 1500,
			.rto_us = 1000, .rto_max_us = 8000,
		};
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(node[i]);
	}
	struct byz_dp *vdp = byz_node_dp(node[victim]);
	/* the victim reaches (and hears) member bad over memif only */
	CU_ASSERT_EQUAL_FATAL(byz_dp_set_route(vdp, bad, vp.port, 0), 0);
	uint64_t t0 = byz_dp_now_ns(), origin = t0 + 20000000ull;
	for (uint32_t i = 0; i < N; i++)
		if (node[i])
			byz_node_start(node[i], origin);
	uint64_t limit = origin + (uint64_t)(STEPS + 2) * sc.run.max_attempts * BYZ_PH_COUNT *
					  phase_us * 1000u;
	struct byz_dp_stats d0 = {0};
	struct byz_node_stats s0 = {0};
	struct rte_eth_stats e0, e1;
	memset(&e0, 0, sizeof(e0));
	struct rss rss0 = {0, 0}, rss_peak = {0, 0}, rss1;
	unsigned mpool_base = 0, mpool_peak = 0;
	uint64_t flood_t0 = 0, flood_t1 = 0, step0 = 0, step1 = 0, turns = 0;
	int flooding = 0, fdone = 0;
	C.capturing = 1;
	for (;;) {
		int done = 1;
		for (uint32_t i = 0; i < N; i++)
			if (node[i] && byz_node_step(node[i]) < STEPS)
				done = 0;
		uint64_t now = byz_dp_now_ns();
		if ((done && (fdone || !flooding)) || now > limit)
			break;
		if (!flooding && byz_node_step(node[victim]) >= 1 && C.ncap > 0) {
			C.capturing = 0;
			CU_ASSERT_EQUAL_FATAL(write_pcap(pcap), 0);
			d0 = *byz_dp_stats(vdp);
			s0 = *byz_node_stats(node[victim]);
			rte_eth_stats_get(vp.port, &e0);
			mpool_base = mpool_peak = rte_mempool_in_use_count(mpool);
			rss0 = rss_peak = rss_now();
			CU_ASSERT_EQUAL_FATAL(write(fl.in, "go\n", 3), 3);
			flooding = 1;
			flood_t0 = now;
			step0 = byz_node_step(node[victim]);
		}
		drain(net.port[bad]);
		unsigned work = 0;
		for (uint32_t i = 0; i < N; i++)
			if (node[i])
				work += byz_node_poll(node[i], now);
		if (flooding && !fdone && (++turns & 63) == 0) {
			unsigned u = rte_mempool_in_use_count(mpool);
			mpool_peak = u > mpool_peak ? u : mpool_peak;
			rss_max(&rss_peak, rss_now());
			if (flooder_done(&fl) || fl.exited) {
				fdone = 1;
				flood_t1 = byz_dp_now_ns();
				step1 = byz_node_step(node[victim]);
			}
		}
		if (!work)
			usleep(20);
	}
	CU_ASSERT_FATAL(flooding);
	if (!fdone)
		fprintf(stderr, "flood not done by the time limit; flooder said: %s\n", fl.buf);
	CU_ASSERT_FATAL(fdone);
	uint64_t want[C_N], total = 0, refused = 0, usec = 0;
	for (int c = 0; c < C_N; c++)
		CU_ASSERT_EQUAL_FATAL(csv_get(csv, cat_name[c], &want[c]), 0);
	CU_ASSERT_EQUAL_FATAL(csv_get(csv, "total", &total), 0);
	CU_ASSERT_EQUAL_FATAL(csv_get(csv, "refused", &refused), 0);
	CU_ASSERT_EQUAL_FATAL(csv_get(csv, "usec", &usec), 0);
	uint64_t unsent = 1;
	CU_ASSERT_EQUAL_FATAL(csv_get(csv, "unsent", &unsent), 0);
	CU_ASSERT_EQUAL(unsent, 0); /* the victim kept reading its link */
	/* The victim reads what is still on the ring (bounded); one more turn
	 * hands the last CONTROL frames from the control ring to the channel. */
	memset(&e1, 0, sizeof(e1));
	for (int k = 0; k < 200000; k++) {
		rte_eth_stats_get(vp.port, &e1);
		if (e1.ipackets - e0.ipackets >= total)
			break;
		if (!byz_node_poll(node[victim], byz_dp_now_ns()))
			usleep(20);
	}
	byz_node_poll(node[victim], byz_dp_now_ns());
	byz_node_poll(node[victim], byz_dp_now_ns());
	rte_eth_stats_get(vp.port, &e1);
	rss1 = rss_now();
	rss_max(&rss_peak, rss1);

	/* Honest progress: every step, the harness's digest, no bans. */
	uint64_t retx_others = 0;
	for (uint16_t i = 0; i < N; i++) {
		if (!node[i])
			continue;
		CU_ASSERT_EQUAL(byz_node_step(node[i]), STEPS);
		uint8_t dg[32];
		byz_params_digest(run_id, byz_node_step(node[i]), byz_node_params(node[i]), sc.d, dg);
		CU_ASSERT(memcmp(dg, rr->params_digest, 32) == 0);
		for (uint16_t j = 0; j < N; j++)
			CU_ASSERT_EQUAL(byz_node_has_banned(node[i], j), 0);
		if (i != victim)
			retx_others += byz_node_stats(node[i])->retx;
	}
	CU_ASSERT_EQUAL(rr->nbans, 0);

	/* The link: every frame the flooder sent arrived; none was missed. */
	uint64_t sum = 0;
	for (int c = 0; c < C_N; c++)
		sum += want[c];
	CU_ASSERT_EQUAL(sum, total);
	CU_ASSERT(want[C_REPLAY] > 0 && want[C_GARBAGE] > 0 && want[C_BADSIG] > 0);
	CU_ASSERT_EQUAL(e1.ipackets - e0.ipackets, total);
	CU_ASSERT_EQUAL(e1.imissed - e0.imissed, 0);
	CU_ASSERT_EQUAL(e1.rx_nombuf - e0.rx_nombuf, 0);

	/* Each class by its own counter at the victim. */
	const struct byz_dp_stats *d1 = byz_dp_stats(vdp);
	const struct byz_node_stats *s1 = byz_node_stats(node[victim]);
	uint64_t parse = 0;
	for (int k = 1; k < BYZ_DROP_COUNT; k++)
		parse += d1->drop[k] - d0.drop[k];
	for (int k = 0; k < BYZ_ARP_DROP_COUNT; k++)
		parse += d1->arp.drop[k] - d0.arp.drop[k];
	parse += (d1->arp.req_rx - d0.arp.req_rx) + (d1->arp.rep_rx - d0.arp.rep_rx);
	CU_ASSERT_EQUAL(parse, want[C_RANDOM] + want[C_TRUNC] + want[C_BADCRC]);
	CU_ASSERT(d1->drop[BYZ_DROP_CRC] - d0.drop[BYZ_DROP_CRC] >= want[C_BADCRC]);
	CU_ASSERT_EQUAL(d1->drop_unknown - d0.drop_unknown, want[C_UNKNOWN]);
	CU_ASSERT_EQUAL(d1->drop_spoof - d0.drop_spoof, want[C_SPOOF]);
#if FL_AUTH
	CU_ASSERT(want[C_FORGE] > 0);
	CU_ASSERT_EQUAL(d1->drop_auth - d0.drop_auth, want[C_FORGE]);
#else
	CU_ASSERT_EQUAL(want[C_FORGE], 0);
#endif
	CU_ASSERT_EQUAL(d1->ctrl_full, 0);
	CU_ASSERT_EQUAL(s1->msg_badmsg - s0.msg_badmsg, want[C_GARBAGE]);
	CU_ASSERT_EQUAL(s1->msg_badsig - s0.msg_badsig, want[C_BADSIG]);
	uint64_t dup = s1->chan_dup - s0.chan_dup;
	CU_ASSERT(dup >= want[C_REPLAY] && dup - want[C_REPLAY] <= retx_others);
	CU_ASSERT_EQUAL(s1->chan_bad_hdr, 0);
	CU_ASSERT_EQUAL(s1->chan_out_window - s0.chan_out_window, 0);
	/* Bounded memory: the memif RX mbufs all came back, RSS barely moved. */
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(mpool), mpool_base);
	CU_ASSERT(rss0.priv > 0 && rss1.priv > 0 && rss0.shm >= 0);
	CU_ASSERT(rss_peak.priv - rss0.priv < (long)RSS_BOUND_KB);
	CU_ASSERT(rss_peak.shm - rss0.shm < (long)SHM_BOUND_KB);

	double fsecs = (double)usec / 1e6, vsecs = (double)(flood_t1 - flood_t0) / 1e9;
	fprintf(stderr, "\n  flood over memif from another process at node %u (member %u), "
			"steps %u, phase %llu ms, victim steps %llu..%llu under flood\n",
		victim, bad, STEPS, (unsigned long long)(phase_us / 1000),
		(unsigned long long)step0, (unsigned long long)step1);
	fprintf(stderr, "    flooder: %llu frames in %.2f s = %.0f frames/s sent "
			"(ring-full refusals, offered again: %llu)\n",
		(unsigned long long)total, fsecs, fsecs > 0 ? (double)total / fsecs : 0.0,
		(unsigned long long)refused);
	fprintf(stderr, "    victim: memif ipackets %llu (imissed %llu, rx_nombuf %llu) in %.2f s "
			"= %.0f frames/s processed while 4 nodes step\n",
		(unsigned long long)(e1.ipackets - e0.ipackets),
		(unsigned long long)(e1.imissed - e0.imissed),
		(unsigned long long)(e1.rx_nombuf - e0.rx_nombuf), vsecs,
		vsecs > 0 ? (double)(e1.ipackets - e0.ipackets) / vsecs : 0.0);
	for (int c = 0; c < C_N; c++)
		fprintf(stderr, "    sent %-12s %9llu\n", cat_name[c], (unsigned long long)want[c]);
	fprintf(stderr, "    dropped: parse %llu (crc %llu), unknown-src %llu, spoofed-src %llu, "
			"bad tag %llu, channel dup %llu (honest retx elsewhere %llu), message parse %llu, "
			"signature %llu\n",
		(unsigned long long)parse,
		(unsigned long long)(d1->drop[BYZ_DROP_CRC] - d0.drop[BYZ_DROP_CRC]),
		(unsigned long long)(d1->drop_unknown - d0.drop_unknown),
		(unsigned long long)(d1->drop_spoof - d0.drop_spoof),
#if FL_AUTH
		(unsigned long long)(d1->drop_auth - d0.drop_auth),
#else
		0ull,
#endif
		(unsigned long long)dup,
		(unsigned long long)retx_others,
		(unsigned long long)(s1->msg_badmsg - s0.msg_badmsg),
		(unsigned long long)(s1->msg_badsig - s0.msg_badsig));
	fprintf(stderr, "    RSS private %ld KiB at flood start, peak %ld, end %ld (bound +%u); "
			"shared %ld, peak %ld (bound +%u, the memif region)\n",
		rss0.priv, rss_peak.priv, rss1.priv, RSS_BOUND_KB, rss0.shm, rss_peak.shm,
		SHM_BOUND_KB);
	fprintf(stderr, "    memif RX mbufs in use: base %u, peak %u, end %u\n", mpool_base,
		mpool_peak, rte_mempool_in_use_count(mpool));

	/* Teardown: we stop polling, the flooder closes its end, then we close. */
	flooder_stop(&fl);
	CU_ASSERT(WIFEXITED(fl.status) && WEXITSTATUS(fl.status) == 0);
	for (uint32_t i = 0; i < N; i++)
		byz_node_free(node[i]);
	rte_eth_remove_rx_callback(net.port[victim], 0, cb);
	byz_vport_close(&vp);
	byz_ringnet_destroy(&net);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), pool_base);
	byz_toy_lsq_free(&toy);
	byz_swarm_free(ref);
}

static void rm_tmp(void)
{
	char p[128];
	const char *f[] = {"flood.sock", "replay.pcap", "flood.csv", "member.key", "member.key.pub"};
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, f[i]);
		unlink(p);
	}
	rmdir(tmp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s BYZ_BENCH\n", argv[0]);
		return 2;
	}
	bench = argv[1];
	if (access(bench, X_OK)) {
		fprintf(stderr, "%s: not executable\n", bench);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/byz-floodmp-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(rm_tmp);
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzfloodmp%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("fmpool", 8191, 1500, SOCKET_ID_ANY);
	/* the memif RX queue's mbufs: its ring (2048) plus what a poll holds */
	mpool = byz_dp_pool_create("fmmpool", 4095, 1500, SOCKET_ID_ANY);
	if (!pool || !mpool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	static const struct byz_test_case cases[] = {
		{"4 honest nodes; byz-bench flood in another process over memif at one of them",
		 test_flood_mp},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-flood-mp", cases);
	rte_mempool_free(mpool);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
