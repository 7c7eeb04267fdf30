/*
 * The protocol core on the DPDK dataplane: n node runtimes (byz_node), one
 * ring port each, polled run-to-completion from this one thread on the TSC
 * clock, with a seeded fault layer on every port (loss, duplication,
 * corruption, reordering) and Byzantine peers running the harness's attack
 * hooks. The same configuration and seed also runs in the in-process harness
 * (control/swarm.c, virtual clock and network). The protocol is a pure
 * function of the messages each phase holds, and every message here reaches
 * its destination well inside its phase, so the two runs must agree exactly:
 * same bans (peer, step, reason, in order), bit-identical honest replicas,
 * the same params digest. A difference is a bug in the runtime.
 *
 * The split case runs the same swarm with every node's dataplane loop on a
 * worker lcore of its own (byz_node_launch_dp), the four control sides on
 * this thread: the outcome must be the same.
 *
 * Exit 77 when the EAL cannot start here.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz/node.h"
#include "byz/swarm.h"
#include "byz_test.h"

#define NMAX 8

static struct rte_mempool *pool;
static int fabric_id;

struct run_spec {
	uint32_t n, nbyz, steps;
	const int *attacks;
	uint32_t nattacks;
	double loss;
	uint64_t phase_us;
	int telemetry; /* query /byz/stats of node 0 over the telemetry socket */
	int split;     /* each node's dataplane on worker lcore 1 + index */
	int workers;   /* each node's CenteredClip on worker lcore 1 + NMAX + index */
};

/* Ask the process's own DPDK telemetry socket for @p cmd; the reply lands in @p out. */
static int telemetry_query(const char *cmd, char *out, size_t cap)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	ssize_t k = read(fd, out, cap - 1); /* the greeting */
	if (k > 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd))
		k = read(fd, out, cap - 1);
	else
		k = -1;
	close(fd);
	if (k < 0)
		return -1;
	out[k] = 0;
	return 0;
}

static void run_case(const struct run_spec *sp)
{
	uint64_t seed = byz_test_seed();
	uint32_t n = sp->n;
	/* the harness reference */
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	sc.n = n;
	sc.nbyz = sp->nbyz;
	sc.attacks = sp->attacks;
	sc.nattacks = sp->nattacks;
	sc.steps = sp->steps;
	sc.seed = seed;
	sc.d = 64;
	sc.run.phase_us = sp->phase_us;
	/* every harness delivery well inside D/3, as on the ring fabric */
	sc.net.delay_min_us = 100;
	sc.net.delay_max_us = sp->phase_us / 20;
	sc.net.retx_us = sp->phase_us / 20;
	int err = 0;
	struct byz_swarm *ref = byz_swarm_new(&sc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL_FATAL(byz_swarm_run(ref), 0);
	const struct byz_swarm_report *rr = byz_swarm_report(ref);
	CU_ASSERT_FATAL(rr->replicas_identical && rr->bans_consistent && rr->honest_banned == 0);

	/* the same swarm on the dataplane */
	uint8_t run_id[32], roster[NMAX * 32], sks[NMAX][64];
	byz_swarm_derive_keys(seed, n, run_id, roster, sks); /* the harness's keys */
	struct byz_run run = sc.run;
	memcpy(run.run_id, run_id, 32);
	run.n = n;
	run.roster = roster;
	run.d = sc.d;
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, sc.d, sc.batch), 0);
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "nd%d", fabric_id++);
	struct byz_ringnet net;
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&net, prefix, (uint16_t)n, 4096, pool), 0);
	static struct byz_attacker att[NMAX];
	static struct byz_peer_hooks hooks[NMAX];
	struct byz_node *node[NMAX] = {0};
	struct byz_fault *flt[NMAX] = {0};
	for (uint16_t i = 0; i < n; i++) {
		struct byz_node_cfg nc = {
			.run = &run, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 4200,
			.rto_us = 1000, .rto_max_us = 8000,
		};
		if (byz_swarm_is_byz(ref, i)) {
			uint32_t b = 0;
			while (rr->byz[b] != i)
				b++;
			memset(&att[i], 0, sizeof(att[i]));
			att[i].attack = rr->byz_attack[b];
			att[i].start_step = sc.attack_start;
			att[i].seed = seed * 1000003u + i;
			att[i].swarm = ref; /* the attack hooks ask it who is Byzantine */
			byz_attacker_hooks(&att[i], &hooks[i]);
			nc.hooks = &hooks[i];
		}
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(node[i]);
		if (sp->loss > 0) {
			struct byz_fault_cfg fc = {.loss = sp->loss, .dup = 0.03, .corrupt = 0.02,
						   .reorder = 0.05, .seed = seed + 77 * i};
			flt[i] = byz_fault_attach(net.port[i], &fc, pool, &err);
			CU_ASSERT_PTR_NOT_NULL_FATAL(flt[i]);
		}
	}
	if (sp->split)
		for (uint16_t i = 0; i < n; i++) {
			int r = byz_node_launch_dp(node[i], 1u + i, 0);
			if (r)
				fprintf(stderr, "byz_node_launch_dp(lcore %u): %s\n", 1u + i,
					byz_strerror(r));
			CU_ASSERT_EQUAL_FATAL(r, 0);
			CU_ASSERT_EQUAL(byz_node_dp_lcore(node[i]), 1 + i);
		}
	if (sp->workers)
		for (uint16_t i = 0; i < n; i++) {
			unsigned wl = 1u + NMAX + i;
			int r = byz_node_launch_workers(node[i], &wl, 1, 0);
			if (r)
				fprintf(stderr, "byz_node_launch_workers(lcore %u): %s\n", wl,
					byz_strerror(r));
			CU_ASSERT_EQUAL_FATAL(r, 0);
			CU_ASSERT_EQUAL(byz_node_workers(node[i]), 1);
			/* one lcore runs one thing: a second node cannot take it */
			if (i == 0 && n > 1)
				CU_ASSERT_EQUAL(byz_node_launch_workers(node[1], &wl, 1, 0), -EBUSY);
		}
	uint64_t t0 = byz_dp_now_ns(), origin = t0 + 20000000ull;
	for (uint32_t i = 0; i < n; i++)
		byz_node_start(node[i], origin);
	uint64_t limit = origin + (uint64_t)(sp->steps + 2) * sc.run.max_attempts * BYZ_PH_COUNT *
					  sp->phase_us * 1000u;
	uint64_t polls = 0;
	for (;;) {
		int done = 1;
		for (uint32_t i = 0; i < n; i++)
			if (!byz_swarm_is_byz(ref, (uint16_t)i) && byz_node_step(node[i]) < sp->steps)
				done = 0;
		uint64_t now = byz_dp_now_ns();
		if (done || now > limit)
			break;
		unsigned work = 0;
		for (uint32_t i = 0; i < n; i++)
			work += byz_node_poll(node[i], now);
		polls++;
		if (!work)
			usleep(20); /* 2 shared cores: leave them to others when idle */
	}
	double secs = (double)(byz_dp_now_ns() - origin) / 1e9;
	uint64_t ring_full = 0, sent_out = 0;
	for (uint16_t i = 0; i < n; i++) {
		/* the dp lcores stop here; their counters are final after it */
		byz_node_stop_dp(node[i]);
		CU_ASSERT_EQUAL(byz_node_dp_lcore(node[i]), -1);
		ring_full += byz_node_stats(node[i])->ctrl_ring_full;
		sent_out += byz_dp_stats(byz_node_dp(node[i]))->tx_frames;
	}
	uint64_t wjobs[NMAX] = {0};
	for (uint16_t i = 0; i < n; i++) {
		struct byz_node_worker_stats ws;
		if (byz_node_worker_stats(node[i], 0, &ws) == 0)
			wjobs[i] = ws.jobs;
		byz_node_stop_workers(node[i]);
		CU_ASSERT_EQUAL(byz_node_workers(node[i]), 0);
	}
	if (sp->workers) {
		/* the control threads ran no clip: every job went to the worker
		 * lcore, which ran it and is idle again */
		for (uint16_t i = 0; i < n; i++) {
			const struct byz_node_stats *ns = byz_node_stats(node[i]);
			CU_ASSERT_EQUAL(ns->agg_inline, 0);
			CU_ASSERT(ns->agg_worker > 0);
			CU_ASSERT(wjobs[i] > 0);
			CU_ASSERT(wjobs[i] <= ns->agg_worker);
			CU_ASSERT_EQUAL(rte_eal_get_lcore_state(1u + NMAX + i), WAIT);
		}
	} else {
		for (uint16_t i = 0; i < n; i++)
			CU_ASSERT_EQUAL(byz_node_stats(node[i])->agg_worker, 0);
	}
	if (sp->split) {
		/* every node sent its frames from its lcore, which is idle again */
		CU_ASSERT(sent_out > 0);
		for (uint16_t i = 0; i < n; i++)
			CU_ASSERT_EQUAL(rte_eal_get_lcore_state(1u + i), WAIT);
	}

	/* every honest node: done, identical digest equal to the harness's, same bans */
	uint16_t first = 0;
	while (byz_swarm_is_byz(ref, first))
		first++;
	uint64_t frames = 0, retx = 0, lost = 0, bad = 0;
	for (uint16_t i = 0; i < n; i++) {
		frames += byz_dp_stats(byz_node_dp(node[i]))->rx_frames;
		retx += byz_node_stats(node[i])->retx;
		if (flt[i])
			lost += byz_fault_stats(flt[i])->lost;
		bad += byz_dp_stats(byz_node_dp(node[i]))->drop[BYZ_DROP_CRC];
		if (getenv("BYZ_NODE_VERBOSE")) {
			const struct byz_node_stats *ns = byz_node_stats(node[i]);
			const struct byz_dp_stats *ds = byz_dp_stats(byz_node_dp(node[i]));
			fprintf(stderr, "\n  node %u%s: rx %llu tx %llu banned %llu txfull %llu alloc %llu "
				"ctrlfull %llu | msgs in %llu ok %llu bad %llu sig %llu ban %llu stale %llu late %llu other %llu"
				" | steps %llu skipped %llu restarts %llu | chan badhdr %llu badack %llu dup %llu oow %llu asm %llu bl %llu pend %llu fin %llu fout %llu ain %llu aout %llu",
				i, byz_swarm_is_byz(ref, i) ? "*" : "", (unsigned long long)ds->rx_frames,
				(unsigned long long)ds->tx_frames, (unsigned long long)ds->drop_banned,
				(unsigned long long)ds->tx_full, (unsigned long long)ds->alloc_fail,
				(unsigned long long)ds->ctrl_full, (unsigned long long)ns->msgs_in,
				(unsigned long long)ns->msg_ok, (unsigned long long)ns->msg_badmsg,
				(unsigned long long)ns->msg_badsig, (unsigned long long)ns->msg_banned,
				(unsigned long long)ns->msg_stale, (unsigned long long)ns->msg_late,
				(unsigned long long)ns->msg_other, (unsigned long long)ns->steps,
				(unsigned long long)ns->skipped, (unsigned long long)ns->restarts,
				(unsigned long long)ns->chan_bad_hdr, (unsigned long long)ns->chan_bad_ack,
				(unsigned long long)ns->chan_dup, (unsigned long long)ns->chan_out_window,
				(unsigned long long)ns->chan_asm_reset, (unsigned long long)ns->chan_backlog_drop,
				(unsigned long long)byz_node_pending(node[i]), (unsigned long long)ns->frags_in,
				(unsigned long long)ns->frags_out, (unsigned long long)ns->acks_in,
				(unsigned long long)ns->acks_out);
		}
		if (byz_swarm_is_byz(ref, i))
			continue;
		CU_ASSERT_EQUAL(byz_node_step(node[i]), sp->steps);
		uint8_t dg[32];
		byz_params_digest(run_id, byz_node_step(node[i]), byz_node_params(node[i]), sc.d,
				  dg);
		CU_ASSERT(memcmp(dg, rr->params_digest, 32) == 0);
		for (uint16_t j = 0; j < n; j++)
			CU_ASSERT_EQUAL(byz_node_has_banned(node[i], j),
					byz_swarm_is_byz(ref, j) &&
						byz_peer_has_banned(byz_swarm_peer(ref, first), j));
		/* ban events in harness order */
		size_t k = 0;
		struct byz_event e;
		while (byz_node_pop_event(node[i], &e)) {
			if (e.kind != BYZ_EV_BAN)
				continue;
			CU_ASSERT_FATAL(k < rr->nbans);
			CU_ASSERT_EQUAL(e.peer, rr->bans[k].peer);
			CU_ASSERT_EQUAL(e.step, rr->bans[k].step);
			CU_ASSERT_EQUAL(e.reason, rr->bans[k].reason);
			k++;
		}
		CU_ASSERT_EQUAL(k, rr->nbans);
	}
	if (sp->telemetry) {
		static char reply[16384];
		char want[64];
		CU_ASSERT_EQUAL_FATAL(byz_node_telemetry_register(node[first]), 0);
		CU_ASSERT_EQUAL_FATAL(telemetry_query("/byz/stats", reply, sizeof(reply)), 0);
		snprintf(want, sizeof(want), "\"steps\":%u", sp->steps);
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"frames_in\":"));
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"drop_crc\":"));
		if (sp->workers) /* the control thread ran no CenteredClip */
			CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"agg_inline\":0,"));
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"agg_worker\":"));
		snprintf(want, sizeof(want), "\"banned\":[%u]", rr->nbyz ? rr->byz[0] : 0);
		if (rr->nbyz == 1)
			CU_ASSERT_PTR_NOT_NULL(strstr(reply, want));
		if (getenv("BYZ_NODE_VERBOSE"))
			fprintf(stderr, "\n  telemetry: %s", reply);
	}
	for (uint32_t b = 0; b < sp->nbyz; b++)
		if (byz_attack_bans(rr->byz_attack[b]))
			CU_ASSERT(byz_node_has_banned(node[first], rr->byz[b]));
	fprintf(stderr, "\n  n=%u byz=%u steps=%u phase=%llu ms: %.2f s (%.2f steps/s), %llu polls, "
		"%llu frames received (%.0f/s), %llu lost by the fault layer, %llu CRC drops, "
		"%llu retransmissions, %zu bans, %llu restarts in the harness%s",
		n, sp->nbyz, sp->steps, (unsigned long long)(sp->phase_us / 1000), secs,
		sp->steps / secs, (unsigned long long)polls, (unsigned long long)frames,
		(double)frames / secs, (unsigned long long)lost, (unsigned long long)bad,
		(unsigned long long)retx, rr->nbans, (unsigned long long)rr->restarts,
		sp->split ? ", split lcores" : "");
	if (sp->workers)
		fprintf(stderr, ", clip on worker lcores (jobs %llu %llu %llu %llu)",
			(unsigned long long)wjobs[0], (unsigned long long)wjobs[1],
			(unsigned long long)wjobs[2], (unsigned long long)wjobs[3]);
	if (sp->split)
		fprintf(stderr, ", %llu frames dropped on full dp rings",
			(unsigned long long)ring_full);
	if (sp->loss > 0)
		CU_ASSERT(lost > 0 && retx > 0);
	for (uint32_t i = 0; i < n; i++) {
		byz_fault_detach(flt[i]);
		byz_node_free(node[i]);
		if (byz_swarm_is_byz(ref, (uint16_t)i))
			byz_attacker_free(&att[i]);
	}
	byz_ringnet_destroy(&net);
	byz_toy_lsq_free(&toy);
	byz_swarm_free(ref);
}

static const int atk_bad_part[] = {BYZ_ATK_BAD_PART};
static const int atk_wrong_agg[] = {BYZ_ATK_WRONG_AGGREGATE};
static const int atk_false_acc[] = {BYZ_ATK_FALSE_ACCUSE};
static const int atk_mix[] = {BYZ_ATK_BAD_PART, BYZ_ATK_WRONG_AGGREGATE, BYZ_ATK_FALSE_ACCUSE};

static uint64_t phase_ms(uint64_t fast)
{
	/* Real-time phases: every message must land inside its phase on a
	 * shared 2-core machine, so the phases carry 1.5x headroom over what
	 * an idle machine needs; sanitizers slow signing several times more. */
	fast = fast * 3 / 2;
	const char *s = getenv("BYZ_NODE_PHASE_MS");
	uint64_t ms = s ? strtoull(s, NULL, 10) : fast;
#if defined(__SANITIZE_ADDRESS__)
	if (!s)
		ms *= 3;
#endif
	return ms * 1000u;
}

static void test_honest4(void)
{
	struct run_spec s = {.n = 4, .steps = 3, .loss = 0.10, .phase_us = phase_ms(40)};
	run_case(&s);
}

static void test_bad_part4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_bad_part,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40), .telemetry = 1};
	run_case(&s);
}

static void test_split4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_bad_part,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40), .split = 1};
	run_case(&s);
}

static void test_workers4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_bad_part,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40), .split = 1,
			     .workers = 1};
	run_case(&s);
}

/* wrong-aggregate edits y after the clip (a hook): the attacker's peer
 * hashes what it sends, the honest ones take the hash from the worker */
static void test_workers_wagg4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_wrong_agg,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40), .workers = 1,
			     .telemetry = 1};
	run_case(&s);
}

static void test_wrong_agg4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_wrong_agg,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40)};
	run_case(&s);
}

static void test_false_accuse4(void)
{
	struct run_spec s = {.n = 4, .nbyz = 1, .steps = 3, .attacks = atk_false_acc,
			     .nattacks = 1, .loss = 0.10, .phase_us = phase_ms(40)};
	run_case(&s);
}

static void test_mix7(void)
{
	struct run_spec s = {.n = 7, .nbyz = 3, .steps = 4, .attacks = atk_mix, .nattacks = 3,
			     .loss = 0.10, .phase_us = phase_ms(60)};
	run_case(&s);
}

int main(int argc, char **argv)
{
	int big = argc > 1 && !strcmp(argv[1], "--seven");
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byznode%ld", (long)getpid());
	/* lcore 0 (main: the control sides) and 1..NMAX (one dataplane loop per
	 * node in the split case), NMAX+1..2 NMAX (one CenteredClip worker per
	 * node) float over the first two CPUs we may use */
	cpu_set_t cs;
	int cpus[2] = {0, 0}, nc = 0;
	if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
		for (int c = 0; c < CPU_SETSIZE && nc < 2; c++)
			if (CPU_ISSET(c, &cs))
				cpus[nc++] = c;
	char lmap[64];
	if (nc == 2)
		snprintf(lmap, sizeof(lmap), "(0-%d)@(%d,%d)", 2 * NMAX, cpus[0], cpus[1]);
	else
		snprintf(lmap, sizeof(lmap), "(0-%d)@%d", 2 * NMAX, cpus[0]);
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix,
				 .lcore_map = lmap};
	int r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("ndpool", 8191, 4200, SOCKET_ID_ANY);
	if (!pool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	static const struct byz_test_case small[] = {
		{"4 nodes, honest, 10% loss + dup + corrupt + reorder", test_honest4},
		{"4 nodes, bad-part, faults", test_bad_part4},
		{"4 nodes, wrong-aggregate, faults", test_wrong_agg4},
		{"4 nodes, bad-part, faults, dataplane on its own lcore per node", test_split4},
		{"4 nodes, false-accuse, faults", test_false_accuse4},
		{"4 nodes, bad-part, faults, split, CenteredClip on a worker lcore per node",
		 test_workers4},
		{"4 nodes, wrong-aggregate, faults, CenteredClip on a worker lcore per node",
		 test_workers_wagg4},
		{NULL, NULL},
	};
	static const struct byz_test_case seven[] = {
		{"7 nodes, 3 Byzantine (bad-part, wrong-aggregate, false-accuse), faults", test_mix7},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-swarm", big ? seven : small);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
