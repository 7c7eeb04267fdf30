/*
 * Own lateness is not the peers' fault (issue 14, "never a silent split").
 * Four honest node runtimes on ring ports, polled from this one thread:
 *
 *  - phases too short for the load (d = 2^16, a few ms per phase): every
 *    node is late at some deadline. None may ban an honest peer; each late
 *    node must say so (BYZ_EV_LATE) and the runs end with a clear verdict
 *    (the runtime's fatal error: lateness or a minority view), never four
 *    nodes quietly at four different digests.
 *  - one node's TX frozen (a TX callback that sends nothing, so the
 *    dataplane counts every frame as tx_full): the node reports the stall
 *    and its own lateness and bans nobody; the others exclude it as silent
 *    and ban nobody either (silence is not a lie), and they keep stepping.
 *
 * Exit 77 when the EAL cannot start here.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz/node.h"
#include "byz/swarm.h"
#include "byz_test.h"

#define N 4

static struct rte_mempool *pool;
static int fabric_id;

/* A TX callback that transmits nothing: the caller frees what is "unsent". */
static uint16_t tx_freeze(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
			  void *arg)
{
	(void)port, (void)q, (void)pkts, (void)n, (void)arg;
	return 0;
}

struct outcome {
	uint64_t steps[N];
	int fatal[N];          /* byz_node_fatal */
	uint64_t late[N];      /* BYZ_EV_LATE events */
	uint64_t stalls[N];    /* TX stall reports */
	int bans[N][N];        /* bans[i][j]: node i banned j */
	uint64_t silent[N];
};

static void run(size_t d, uint64_t phase_us, int frozen, uint32_t steps, uint64_t max_ms,
		struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	uint64_t seed = byz_test_seed();
	uint8_t run_id[32], roster[N * 32], sks[N][64];
	byz_swarm_derive_keys(seed, N, run_id, roster, sks);
	struct byz_run run;
	byz_run_defaults(&run);
	memcpy(run.run_id, run_id, 32);
	run.n = N;
	run.roster = roster;
	run.d = d;
	run.phase_us = phase_us;
	const char *sl = getenv("BYZ_LATE_SLACK_US"); /* a huge value: the old behaviour */
	if (sl)
		run.late_us = strtoull(sl, NULL, 10);
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, d, 16), 0);
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "nl%d", fabric_id++);
	struct byz_ringnet net;
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&net, prefix, N, 4096, pool), 0);
	struct byz_node *node[N] = {0};
	const struct rte_eth_rxtx_callback *cb = NULL;
	for (uint16_t i = 0; i < N; i++) {
		struct byz_node_cfg nc = {
			.run = &run, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 4200,
			.rto_us = 1000, .rto_max_us = 8000,
		};
		int err = 0;
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(node[i]);
	}
	if (frozen >= 0) {
		/* every TX queue of that port: the ring fabric has one per peer */
		for (uint16_t q = 0; q < N; q++) {
			cb = rte_eth_add_tx_callback(net.port[frozen], q, tx_freeze, NULL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
		}
	}
	uint64_t t0 = byz_dp_now_ns(), origin = t0 + 20000000ull;
	for (uint32_t i = 0; i < N; i++)
		byz_node_start(node[i], origin);
	uint64_t limit = origin + max_ms * 1000000ull;
	for (;;) {
		int done = 1;
		for (uint32_t i = 0; i < N; i++)
			if (!o->fatal[i] && ((int)i == frozen || byz_node_step(node[i]) < steps))
				done = 0;
		uint64_t now = byz_dp_now_ns();
		if (done || now > limit)
			break;
		unsigned work = 0;
		for (uint32_t i = 0; i < N; i++) {
			if (o->fatal[i])
				continue;
			/* each node reads the clock itself, as in its own process */
			work += byz_node_poll(node[i], byz_dp_now_ns());
			struct byz_event e;
			while (byz_node_pop_event(node[i], &e)) {
				if (e.kind == BYZ_EV_BAN) {
					o->bans[i][e.peer] = 1;
					fprintf(stderr, "\n  node %u: step %llu: banned %u (%s, accuser %d)",
						i, (unsigned long long)e.step, e.peer,
						byz_ban_reason_name(e.reason), e.accuser);
				} else if (e.kind == BYZ_EV_LATE) {
					o->late[i]++;
				} else if (e.kind == BYZ_EV_SILENT) {
					o->silent[i]++;
				}
			}
			int f = byz_node_fatal(node[i]);
			if (f) {
				o->fatal[i] = f;
				fprintf(stderr, "\n  node %u stops: %s", i, byz_node_fatal_msg(node[i]));
			}
		}
		if (!work)
			usleep(20);
	}
	for (uint16_t i = 0; i < N; i++) {
		o->steps[i] = byz_node_step(node[i]);
		o->stalls[i] = byz_node_stats(node[i])->tx_stalls;
		fprintf(stderr, "\n  node %u: step %llu, late %llu, tx stalls %llu, tx_full %llu, "
			"fatal %d, silent events %llu", i, (unsigned long long)o->steps[i],
			(unsigned long long)o->late[i], (unsigned long long)o->stalls[i],
			(unsigned long long)byz_dp_stats(byz_node_dp(node[i]))->tx_full, o->fatal[i],
			(unsigned long long)o->silent[i]);
	}
	if (frozen >= 0)
		for (uint16_t q = 0; q < N; q++)
			rte_eth_remove_tx_callback(net.port[frozen], q, cb);
	for (uint32_t i = 0; i < N; i++)
		byz_node_free(node[i]);
	rte_delay_us_block(1000); /* TX callbacks are freed lazily by ethdev: let readers pass */
	byz_ringnet_destroy(&net);
	byz_toy_lsq_free(&toy);
}

static void test_too_short(void)
{
	/* d = 2^16: every PART/AGGV is 64 KiB in 4 KiB frames and its
	 * signature, hash and CenteredClip cost more than a 2 ms phase */
	const char *e = getenv("BYZ_LATE_PHASE_US");
	uint64_t ph = e ? strtoull(e, NULL, 10) : 2000;
	struct outcome o;
	run((size_t)1 << 16, ph, -1, 6, 4000, &o);
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++)
			CU_ASSERT_EQUAL(o.bans[i][j], 0); /* every peer is honest */
		/* each stops with an error: it was late itself, or its messages
		 * were late at the others and everyone was left alone */
		CU_ASSERT(o.fatal[i] != 0);
		CU_ASSERT(o.late[i] > 0 || o.fatal[i] == BYZ_HALT_MINORITY);
	}
}

static void test_frozen_tx(void)
{
	struct outcome o;
	uint64_t ph = 40000;
#if defined(__SANITIZE_ADDRESS__)
	/* the first commit (gradient, hashes, signature) under ASan on a
	 * loaded 2-core machine entered COMMIT_DIG up to 140 ms late at 80 ms
	 * phases: every node late, nobody to re-sync from */
	ph *= 5;
#endif
	/* K = 3 silent steps and it has left; the frozen node halts after
	 * BYZ_PEER_RESYNC_PHASES phases without a snapshot */
	run(64, ph, 3, 4, (BYZ_PEER_RESYNC_PHASES + 4 * 9 * 4) * ph / 1000, &o);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			CU_ASSERT_EQUAL(o.bans[i][j], 0);
	CU_ASSERT(o.stalls[3] > 0);   /* the frozen node said so */
	CU_ASSERT(o.fatal[3] != 0);   /* ... and stopped */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT(o.steps[i] >= 4); /* the others carry on without it */
		CU_ASSERT(o.silent[i] > 0);
		CU_ASSERT_EQUAL(o.fatal[i], 0);
	}
}

int main(void)
{
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzlate%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	int r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("nlpool", 16383, 4200, SOCKET_ID_ANY);
	if (!pool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	static const struct byz_test_case cases[] = {
		{"4 nodes, phases too short for d = 2^16: no honest ban, a clear stop",
		 test_too_short},
		{"4 nodes, one node's TX frozen: it stops, the others exclude it, no ban",
		 test_frozen_tx},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-late", cases);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
