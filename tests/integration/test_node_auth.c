/*
 * Frame authentication against IP spoofing on ring ports: 4 honest byz_node
 * peers, and an attacker port outside the roster that injects into node 0's
 * RX ring CONTROL frames claiming to come from node 1, from node 1's own IP
 * address (a spoofed source address, which the roster check cannot tell).
 * Each forged frame carries a channel DATA fragment with a later incarnation
 * than node 1's, which makes the channel believe node 1 restarted: both
 * directions start over, and node 1's real frames (older incarnation) are
 * dropped as stale from then on. Message loss, not forgery (signatures still
 * hold), but enough to stall a peer pair.
 *
 * Auth off ([port] auth = off): the attack works; node 0 counts a restart of
 * node 1 that never happened, and drops node 1's genuine fragments as stale.
 * Auth on (the default): every forged frame is dropped with drop_auth, the
 * channel never sees one, and every node completes every step with the
 * in-process harness's params digest.
 *
 * Single-threaded (the attacker injects between poll turns). Exit 77 when the
 * EAL cannot start here.
 */
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
#include "chan.h"

#define N 4u          /* honest nodes; port N is the attacker's */
#define STEPS 3u
#define VICTIM 0u
#define SPOOFED 1u
#define FORGED 16u    /* frames injected, in step 1 */

static struct rte_mempool *pool;

struct run_out {
	uint64_t steps_min, restarts, stale, drop_auth, injected;
	int digest_ok;
};

/* One forged CONTROL frame "from" SPOOFED: a whole-message chan fragment with
 * an incarnation above any real one. */
static int forge(uint8_t *d, size_t cap, uint32_t session, uint32_t k)
{
	uint8_t pl[CHAN_HDR_LEN + 1];
	pl[0] = CHAN_VERSION;
	pl[1] = CHAN_T_DATA;
	pl[2] = CHAN_F_FIRST | CHAN_F_LAST;
	pl[3] = 0;
	byz_le32_put(pl + 4, k);
	byz_le32_put(pl + 8, 1);
	byz_le32_put(pl + 12, 0);
	byz_le64_put(pl + 16, UINT64_MAX - 1000u + k); /* "a restart" */
	byz_le64_put(pl + 24, 0);
	pl[CHAN_HDR_LEN] = 'x';
	struct byz_l2l3 a = {.dst_mac = {0x02, 'b', 'y', 'z', 0, VICTIM},
			     .src_mac = {0x02, 'b', 'y', 'z', 0, SPOOFED},
			     .src_ip = byz_dp_peer_ip(SPOOFED), .dst_ip = byz_dp_peer_ip(VICTIM),
			     .src_port = 49152, .dst_port = BYZ_UDP_PORT};
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_CONTROL,
			    .kind = BYZ_K_NONE, .src = SPOOFED, .dst = VICTIM,
			    .session = session, .ctr = k + 1};
	/* no key: the attacker can seal with nothing but a guess */
	return byz_frame_build(d, cap, &a, &h, pl, sizeof(pl));
}

static void inject(uint16_t port, uint32_t session, uint64_t *sent)
{
	for (uint32_t k = 0; k < FORGED; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		int n = forge(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), session, k);
		CU_ASSERT_FATAL(n > 0);
		m->data_len = (uint16_t)n;
		m->pkt_len = (uint32_t)n;
		if (rte_eth_tx_burst(port, VICTIM, &m, 1) == 1)
			(*sent)++;
		else
			rte_pktmbuf_free(m);
	}
}

static void run(int auth_off, struct run_out *o)
{
	uint64_t seed = byz_test_seed();
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	sc.n = N;
	sc.nbyz = 0;
	sc.steps = STEPS;
	sc.seed = seed;
	sc.d = 32;
	uint64_t phase_us = 60000;
#if defined(__SANITIZE_ADDRESS__)
	phase_us *= 3;
#endif
	sc.run.phase_us = phase_us;
	sc.net.delay_min_us = 100;
	sc.net.delay_max_us = phase_us / 20;
	sc.net.retx_us = phase_us / 20;
	int err = 0;
	struct byz_swarm *ref = byz_swarm_new(&sc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL_FATAL(byz_swarm_run(ref), 0);
	const struct byz_swarm_report *rr = byz_swarm_report(ref);

	uint8_t run_id[32], roster[N * 32], sks[N][64];
	byz_swarm_derive_keys(seed, N, run_id, roster, sks);
	struct byz_run rn = sc.run;
	memcpy(rn.run_id, run_id, 32);
	rn.n = N;
	rn.roster = roster;
	rn.d = sc.d;
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, sc.d, sc.batch), 0);
	struct byz_ringnet net;
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&net, auth_off ? "aoff" : "aon", N + 1, 1024,
						 pool), 0);
	struct byz_node *node[N] = {0};
	for (uint16_t i = 0; i < N; i++) {
		struct byz_node_cfg nc = {
			.run = &rn, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 1500,
			.rto_us = 1000, .rto_max_us = 8000, .auth_off = auth_off,
		};
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(node[i]);
	}
	uint64_t origin = byz_dp_now_ns() + 10000000ull;
	for (uint32_t i = 0; i < N; i++)
		byz_node_start(node[i], origin);
	/* auth on: the whole run; auth off: until the attack shows (the pair is
	 * then stuck, so the run would only end by its deadline) */
	uint64_t limit = origin + (uint64_t)(STEPS + 2) * sc.run.max_attempts * BYZ_PH_COUNT *
					  phase_us * 1000u;
	uint64_t shown_at = 0;
	int injected = 0;
	memset(o, 0, sizeof(*o));
	for (;;) {
		uint64_t now = byz_dp_now_ns();
		int done = 1;
		for (uint32_t i = 0; i < N; i++)
			done &= byz_node_step(node[i]) >= STEPS;
		if (done || now > limit)
			break;
		if (!injected && byz_node_step(node[VICTIM]) >= 1) {
			inject(net.port[N], byz_le32_get(run_id), &o->injected);
			injected = 1;
		}
		const struct byz_node_stats *vs = byz_node_stats(node[VICTIM]);
		if (auth_off && injected && !shown_at && vs->chan_stale_inc > 0)
			shown_at = now;
		/* a few phases more, so that the stale drops are not a one-off */
		if (shown_at && now > shown_at + 2 * phase_us * 1000u)
			break;
		unsigned work = 0;
		for (uint32_t i = 0; i < N; i++)
			work += byz_node_poll(node[i], now);
		/* the attacker port's own RX (nothing is addressed to it) stays empty */
		if (!work)
			usleep(20);
	}
	const struct byz_node_stats *vs = byz_node_stats(node[VICTIM]);
	o->restarts = vs->peer_restarts;
	o->stale = vs->chan_stale_inc;
	o->drop_auth = byz_dp_stats(byz_node_dp(node[VICTIM]))->drop_auth;
	o->steps_min = UINT64_MAX;
	o->digest_ok = 1;
	for (uint16_t i = 0; i < N; i++) {
		uint64_t s = byz_node_step(node[i]);
		o->steps_min = s < o->steps_min ? s : o->steps_min;
		uint8_t dg[32];
		byz_params_digest(run_id, s, byz_node_params(node[i]), sc.d, dg);
		o->digest_ok &= s == STEPS && memcmp(dg, rr->params_digest, 32) == 0;
	}
	fprintf(stderr, "\n  auth %s: %llu forged frames injected; at node %u: drop_auth %llu, "
			"peer restarts %llu, stale-incarnation drops %llu; slowest node at step %llu "
			"of %u, digests %s\n",
		auth_off ? "off" : "on", (unsigned long long)o->injected, VICTIM,
		(unsigned long long)o->drop_auth, (unsigned long long)o->restarts,
		(unsigned long long)o->stale, (unsigned long long)o->steps_min, STEPS,
		o->digest_ok ? "match the harness" : "differ or incomplete");
	for (uint32_t i = 0; i < N; i++)
		byz_node_free(node[i]);
	byz_ringnet_destroy(&net);
	byz_toy_lsq_free(&toy);
	byz_swarm_free(ref);
}

static void test_attack_without_auth(void)
{
	struct run_out o;
	run(1, &o);
	CU_ASSERT_EQUAL(o.injected, FORGED);
	CU_ASSERT_EQUAL(o.drop_auth, 0);
	/* the forged incarnation was believed, and the real one is now refused */
	CU_ASSERT(o.restarts >= 1);
	CU_ASSERT(o.stale > 0);
}

static void test_attack_with_auth(void)
{
	struct run_out o;
	run(0, &o);
	CU_ASSERT_EQUAL(o.injected, FORGED);
	CU_ASSERT_EQUAL(o.drop_auth, FORGED);
	CU_ASSERT_EQUAL(o.restarts, 0);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT_EQUAL(o.steps_min, STEPS);
	CU_ASSERT(o.digest_ok);
}

int main(void)
{
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzauth%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	int r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("aupool", 8191, 1500, SOCKET_ID_ANY);
	if (!pool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	static const struct byz_test_case cases[] = {
		{"spoofed source, auth off: the channel believes a forged restart",
		 test_attack_without_auth},
		{"spoofed source, auth on: dropped by tag, the run completes", test_attack_with_auth},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-auth", cases);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
