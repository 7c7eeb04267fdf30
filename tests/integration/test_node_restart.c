/*
 * Crash and restart on the node runtime: 4 byz_node peers on DPDK ring ports
 * in one process, real-time phases. One honest node is destroyed (its
 * memory, channel and dataplane state lost; the ring port stays) at a given
 * phase of a step, the others keep stepping, and a new node with the same
 * key and config and `rejoin` set is created later. It must learn the step
 * from the swarm, re-sync from a STATE snapshot checked against the digest
 * the members committed to, and take part again; after a long outage (it
 * left) it must go through the join queue and probation first.
 *
 * As in the harness test (tests/unit/control/test_restart.c), a crash after
 * the node's COMMIT and before its projections of that attempt leaves a
 * reveal or projection missing, which the protocol cannot tell from
 * withholding: the key is banned, and the swarm goes on without it. Outside
 * that window the same key comes back.
 *
 * The run's leaf hash is part of its identity (byz_node_cfg.leaf_hash bound
 * into the run id): a node configured with another one, from the start or
 * when it restarts, is refused at the dataplane and named on both sides,
 * never banned; restarted with the run's hash the same key is admitted. An
 * all-sha256 run steps like a blake2b one.
 *
 * Exit 77 when the EAL cannot start here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <sodium.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz/hash.h"
#include "byz/node.h"
#include "byz_test.h"

#define N 4
#define VICTIM 2
#define REF 0 /* a survivor whose view the checks read */
#define MAXSTEP 64

static struct rte_mempool *pool;
static int fabric_id;
static uint64_t phase_us;

struct sw {
	struct byz_run run;
	uint8_t roster[N * 32], sks[N][64];
	struct byz_toy_lsq toy;
	struct byz_ringnet net;
	struct byz_node *node[N];
	uint64_t origin;
	/* from the events of every live node */
	uint8_t digest[MAXSTEP][32]; /* first synced STEP_DONE digest per step */
	uint8_t have_digest[MAXSTEP];
	int disagree;
	uint64_t bans[N];            /* ban events (any reporter) against each index */
	uint8_t ban_reason[N];
	uint64_t joined[N], active_ev[N], left[N]; /* as reported by REF */
	uint64_t resynced;           /* RESYNCED of the restarted node */
	int resync_digest_ok;        /* its params matched REF's at that moment */
	uint64_t last_done_ns, max_gap_ns; /* REF's step completions */
	/* leaf hashes (enum byz_leaf_alg): of the victim, and of everyone else */
	uint32_t victim_hash, hash;
	/* the victim is in another run (another leaf hash): its events are its
	 * own, not the swarm's; only its bans are counted, here */
	int apart;
	uint64_t apart_bans;
};

static void derive(uint64_t seed, struct sw *s)
{
	uint8_t sb[16];
	memcpy(sb, "nrestart", 8);
	memcpy(sb + 8, &seed, 8);
	crypto_generichash(s->run.run_id, 32, sb, sizeof(sb), NULL, 0);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t ks[32];
		sb[0] = (uint8_t)i;
		crypto_generichash(ks, 32, sb, sizeof(sb), NULL, 0);
		crypto_sign_seed_keypair(s->roster + 32u * i, s->sks[i], ks);
	}
}

static struct byz_node *make_node(struct sw *s, uint16_t i, int rejoin)
{
	struct byz_node_cfg nc = {
		.run = &s->run, .self = i, .sk = s->sks[i],
		.oracle = {.grad = byz_toy_lsq_grad, .ctx = &s->toy},
		.port_id = s->net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 4200,
		.rto_us = 1000, .rto_max_us = 8000, .rejoin = rejoin,
		.leaf_hash = i == VICTIM ? s->victim_hash : s->hash,
	};
	int err = 0;
	struct byz_node *n = byz_node_new(&nc, &err);
	if (!n)
		fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
	else
		byz_node_start(n, s->origin);
	return n;
}

static void sw_init(struct sw *s, uint64_t seed, uint32_t silent_limit, uint32_t probation)
{
	memset(s, 0, sizeof(*s));
	byz_run_defaults(&s->run);
	derive(seed, s);
	s->run.n = N;
	s->run.roster = s->roster;
	s->run.d = 64;
	s->run.phase_us = phase_us;
	s->run.silent_limit = silent_limit;
	s->run.probation = probation;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&s->toy, s->run.run_id, s->run.d, 16), 0);
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "nr%d", fabric_id++);
	/* small RX rings: a dead node's ring holds at most this many of the pool's mbufs */
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&s->net, prefix, N, 1024, pool), 0);
	s->origin = byz_dp_now_ns() + 20000000ull;
	for (uint16_t i = 0; i < N; i++) {
		s->node[i] = make_node(s, i, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->node[i]);
	}
}

static void sw_free(struct sw *s)
{
	for (uint32_t i = 0; i < N; i++)
		byz_node_free(s->node[i]);
	byz_ringnet_destroy(&s->net);
	byz_toy_lsq_free(&s->toy);
}

static void params_digest(const struct sw *s, uint16_t i, uint8_t out[32])
{
	byz_params_digest(s->run.run_id, byz_node_step(s->node[i]), byz_node_params(s->node[i]),
			  s->run.d, out);
}

static void events(struct sw *s, uint16_t i, uint64_t now)
{
	struct byz_event e;
	while (s->apart && i == VICTIM && byz_node_pop_event(s->node[i], &e))
		s->apart_bans += e.kind == BYZ_EV_BAN;
	while (byz_node_pop_event(s->node[i], &e)) {
		switch (e.kind) {
		case BYZ_EV_STEP_DONE:
			if (i == REF) {
				if (s->last_done_ns && now - s->last_done_ns > s->max_gap_ns)
					s->max_gap_ns = now - s->last_done_ns;
				s->last_done_ns = now;
			}
			if (!e.synced || e.step >= MAXSTEP)
				break;
			if (!s->have_digest[e.step]) {
				memcpy(s->digest[e.step], e.digest, 32);
				s->have_digest[e.step] = 1;
			} else if (memcmp(s->digest[e.step], e.digest, 32)) {
				s->disagree = 1;
			}
			break;
		case BYZ_EV_BAN:
			if (e.peer < N) {
				s->bans[e.peer]++;
				s->ban_reason[e.peer] = e.reason;
			}
			break;
		case BYZ_EV_RESYNCED:
			if (i == VICTIM) {
				/* installed at the start of the step REF is in: same params */
				uint8_t a[32], b[32];
				params_digest(s, VICTIM, a);
				params_digest(s, REF, b);
				s->resynced++;
				s->resync_digest_ok = byz_node_step(s->node[VICTIM]) ==
							      byz_node_step(s->node[REF]) &&
						      memcmp(a, b, 32) == 0;
			}
			break;
		case BYZ_EV_JOINED:
		case BYZ_EV_ACTIVE:
		case BYZ_EV_LEFT:
			if (i != REF || e.peer >= N)
				break;
			if (e.kind == BYZ_EV_JOINED)
				s->joined[e.peer]++;
			else if (e.kind == BYZ_EV_ACTIVE)
				s->active_ev[e.peer]++;
			else
				s->left[e.peer]++;
			break;
		default:
			break;
		}
	}
}

/* Poll every live node until @p cond holds or @p timeout_ns passes. @return 1 if it held */
static int run_while(struct sw *s, int (*cond)(struct sw *, const void *), const void *ctx,
		     uint64_t timeout_ns)
{
	uint64_t t_end = byz_dp_now_ns() + timeout_ns;
	for (;;) {
		if (cond(s, ctx))
			return 1;
		uint64_t now = byz_dp_now_ns();
		if (now > t_end)
			return 0;
		unsigned work = 0;
		for (uint16_t i = 0; i < N; i++) {
			if (!s->node[i])
				continue;
			work += byz_node_poll(s->node[i], now);
			events(s, i, now);
		}
		if (!work)
			usleep(20); /* 2 shared cores: leave them to others when idle */
	}
}

static int never(struct sw *s, const void *ctx)
{
	(void)s;
	(void)ctx;
	return 0;
}

struct at {
	uint64_t step;
	unsigned phase;
};

static int ref_reached(struct sw *s, const void *ctx)
{
	const struct at *a = ctx;
	const struct byz_peer *p = byz_node_peer(s->node[REF]);
	return byz_peer_step(p) > a->step ||
	       (byz_peer_step(p) == a->step && byz_peer_phase(p) >= a->phase);
}

static int victim_banned(const struct sw *s)
{
	return byz_node_has_banned(s->node[REF], VICTIM);
}

/* Every survivor finished @p *ctx steps; the victim too, in sync, unless banned. */
static int all_done(struct sw *s, const void *ctx)
{
	uint64_t until = *(const uint64_t *)ctx;
	for (uint16_t i = 0; i < N; i++) {
		if (i == VICTIM && victim_banned(s))
			continue;
		if (!s->node[i] || byz_node_step(s->node[i]) < until ||
		    (i == VICTIM && byz_node_syncing(s->node[i])))
			return 0;
	}
	return 1;
}

static int left_seen(struct sw *s, const void *ctx)
{
	(void)ctx;
	return s->left[VICTIM] > 0;
}

static int victim_active(struct sw *s, const void *ctx)
{
	(void)ctx;
	return s->node[VICTIM] && !byz_node_syncing(s->node[VICTIM]) &&
	       byz_peer_is_active(byz_node_peer(s->node[REF]), VICTIM);
}

static void crash(struct sw *s)
{
	byz_node_free(s->node[VICTIM]);
	s->node[VICTIM] = NULL;
}

static void restart(struct sw *s)
{
	s->node[VICTIM] = make_node(s, VICTIM, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->node[VICTIM]);
}

/* One attempt on the real schedule (relay windows included). */
static uint64_t attempt_ns(const struct sw *s)
{
	return byz_run_attempt_us(&s->run, N) * 1000u;
}

/* The checks every run ends with: nobody but (maybe) the victim banned,
 * agreeing digests, bit-identical params among the nodes at @p until. */
static void final_checks(struct sw *s, uint64_t until)
{
	CU_ASSERT_FALSE(s->disagree);
	for (uint16_t i = 0; i < N; i++)
		if (i != VICTIM)
			CU_ASSERT_EQUAL(s->bans[i], 0);
	const float *x0 = byz_node_params(s->node[REF]);
	CU_ASSERT_EQUAL(byz_node_step(s->node[REF]), until);
	unsigned same = 0;
	for (uint16_t i = 0; i < N; i++) {
		if (i == VICTIM && victim_banned(s))
			continue;
		CU_ASSERT_EQUAL(byz_node_step(s->node[i]), until);
		CU_ASSERT_FALSE(byz_node_syncing(s->node[i]));
		int eq = memcmp(byz_node_params(s->node[i]), x0, s->run.d * sizeof(float)) == 0;
		CU_ASSERT_TRUE(eq);
		same += (unsigned)eq;
	}
	CU_ASSERT_TRUE(same >= N - 1);
	/* no stall: REF never waited more than three attempts for a step (a
	 * silent or banned peer costs one restarted attempt) */
	CU_ASSERT_TRUE(s->max_gap_ns <= 3 * attempt_ns(s) + attempt_ns(s) / 2);
}

static void test_every_phase(void)
{
	uint64_t seed = byz_test_seed();
	unsigned recovered = 0, rekey = 0;
	for (unsigned ph = 0; ph < BYZ_PH_COUNT; ph++) {
		struct sw s;
		sw_init(&s, seed + ph, 3, 3);
		struct at a = {1, ph};
		CU_ASSERT_FATAL(run_while(&s, ref_reached, &a, 4 * attempt_ns(&s)));
		uint64_t before = byz_node_step(s.node[REF]);
		crash(&s);
		/* down for a third of a phase: the others go on meanwhile */
		run_while(&s, never, NULL, s.run.phase_us * 1000u / 3);
		restart(&s);
		uint64_t until = 5;
		int ok = run_while(&s, all_done, &until, 12 * attempt_ns(&s));
		int banned = victim_banned(&s);
		const struct byz_node_stats *vs = byz_node_stats(s.node[VICTIM]);
		fprintf(stderr, "\n  phase %u: %s (step %llu -> %llu, victim step %llu, "
			"resyncs %llu, peers saw %llu restarts)",
			ph, banned ? byz_ban_reason_name(s.ban_reason[VICTIM]) : "re-synced",
			(unsigned long long)before, (unsigned long long)byz_node_step(s.node[REF]),
			(unsigned long long)byz_node_step(s.node[VICTIM]),
			(unsigned long long)vs->resyncs,
			(unsigned long long)byz_node_stats(s.node[REF])->peer_restarts);
		CU_ASSERT_TRUE_FATAL(ok);
		final_checks(&s, until);
		if (ph >= BYZ_PH_COMMIT_DIG && ph <= BYZ_PH_RESULT_DIG)
			CU_ASSERT_TRUE(banned); /* committed, its reveal went missing */
		if (ph >= BYZ_PH_PROJ)
			CU_ASSERT_FALSE(banned); /* everything of the attempt was sent */
		if (banned) {
			rekey++;
			CU_ASSERT_TRUE(s.ban_reason[VICTIM] == BYZ_BAN_REVEAL ||
				       s.ban_reason[VICTIM] == BYZ_BAN_PROJ_MISSING);
			CU_ASSERT_TRUE(byz_node_syncing(s.node[VICTIM])); /* never back in */
		} else {
			recovered++;
			CU_ASSERT_TRUE(s.resynced >= 1);
			CU_ASSERT_TRUE(s.resync_digest_ok);
			CU_ASSERT_TRUE(byz_peer_is_active(byz_node_peer(s.node[REF]), VICTIM));
			CU_ASSERT_TRUE(byz_node_stats(s.node[REF])->peer_restarts >= 1);
		}
		sw_free(&s);
	}
	fprintf(stderr, "\n  %u phases re-synced with the same key, %u banned (crash inside "
		"commit..projections)", recovered, rekey);
	CU_ASSERT_TRUE(recovered >= 2 && rekey >= 4);
}

/* Down long enough to leave (K silent steps): restarted, it asks to join,
 * is admitted on probation (JOINED), re-syncs, and counts after P steps. */
static void test_long_outage(void)
{
	uint64_t seed = byz_test_seed() + 100;
	struct sw s;
	sw_init(&s, seed, 2, 2);
	struct at a = {1, BYZ_PH_FINAL_DIG};
	CU_ASSERT_FATAL(run_while(&s, ref_reached, &a, 4 * attempt_ns(&s)));
	crash(&s);
	uint64_t down_at = byz_node_step(s.node[REF]);
	CU_ASSERT_TRUE_FATAL(run_while(&s, left_seen, NULL, 12 * attempt_ns(&s)));
	uint64_t back_at = byz_node_step(s.node[REF]);
	/* the swarm kept stepping without it */
	CU_ASSERT_TRUE(back_at >= down_at + s.run.silent_limit);
	restart(&s);
	int ok = run_while(&s, victim_active, NULL, 16 * attempt_ns(&s));
	fprintf(stderr, "\n  down at step %llu, left by %llu, active at %llu: left %llu joined "
		"%llu active %llu resynced %llu",
		(unsigned long long)down_at, (unsigned long long)back_at,
		(unsigned long long)byz_node_step(s.node[REF]), (unsigned long long)s.left[VICTIM],
		(unsigned long long)s.joined[VICTIM], (unsigned long long)s.active_ev[VICTIM],
		(unsigned long long)s.resynced);
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_TRUE(s.joined[VICTIM] >= 1);    /* admitted again, at its old index */
	CU_ASSERT_TRUE(s.active_ev[VICTIM] >= 1); /* after probation */
	CU_ASSERT_TRUE(s.resynced >= 1);
	CU_ASSERT_TRUE(s.resync_digest_ok);
	/* one more step with it counted, then everyone agrees */
	uint64_t until = byz_node_step(s.node[REF]) + 1;
	CU_ASSERT_TRUE_FATAL(run_while(&s, all_done, &until, 4 * attempt_ns(&s)));
	final_checks(&s, until);
	CU_ASSERT_EQUAL(s.bans[VICTIM], 0);
	sw_free(&s);
}

static int victim_left_and(struct sw *s, const void *ctx)
{
	return s->left[VICTIM] > 0 && byz_node_step(s->node[REF]) >= *(const uint64_t *)ctx;
}

/* Survivors: no bans, the same digests, the same params at the same step. */
static void survivors_agree(struct sw *s)
{
	CU_ASSERT_FALSE(s->disagree);
	for (uint16_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(s->bans[i], 0);
	for (uint16_t i = 0; i < N; i++)
		if (i != VICTIM && i != REF) {
			CU_ASSERT_EQUAL(byz_node_step(s->node[i]), byz_node_step(s->node[REF]));
			CU_ASSERT_EQUAL(memcmp(byz_node_params(s->node[i]),
					       byz_node_params(s->node[REF]),
					       s->run.d * sizeof(float)), 0);
		}
}

/* A node configured with another leaf hash from the start: it is in another
 * run (byz_leaf_run_id), so every frame of it is refused at the dataplane,
 * both sides name the mismatch, and the swarm goes on without it: silent,
 * then left, never judged or banned. */
static void test_mixed_hash_at_start(void)
{
	struct sw s;
	sw_init(&s, byz_test_seed() + 200, 2, 2);
	/* before the origin: nothing was sent yet */
	byz_node_free(s.node[VICTIM]);
	s.victim_hash = BYZ_LEAF_SHA256;
	s.apart = 1;
	s.node[VICTIM] = make_node(&s, VICTIM, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.node[VICTIM]);
	uint64_t until = 4;
	int ok = run_while(&s, victim_left_and, &until, 16 * attempt_ns(&s));
	const struct byz_node_stats *rs = byz_node_stats(s.node[REF]);
	fprintf(stderr, "\n  sha256 node among blake2b: REF step %llu, left %llu, REF sees it as "
		"%d (%llu mixed peers, %llu frames of another session), it sees REF as %d",
		(unsigned long long)byz_node_step(s.node[REF]), (unsigned long long)s.left[VICTIM],
		byz_node_mixed_hash(s.node[REF], VICTIM), (unsigned long long)rs->mixed_hash_peers,
		(unsigned long long)byz_dp_stats(byz_node_dp(s.node[REF]))->drop_session,
		byz_node_mixed_hash(s.node[VICTIM], REF));
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_EQUAL(byz_node_mixed_hash(s.node[REF], VICTIM), BYZ_LEAF_SHA256);
	CU_ASSERT_EQUAL(rs->mixed_hash_peers, 1);
	CU_ASSERT_EQUAL(byz_node_mixed_hash(s.node[REF], 1), -1);
	for (uint16_t i = 0; i < N; i++)
		if (i != VICTIM)
			CU_ASSERT_EQUAL(byz_node_mixed_hash(s.node[VICTIM], i), BYZ_LEAF_BLAKE2B);
	CU_ASSERT_EQUAL(byz_node_stats(s.node[VICTIM])->mixed_hash_peers, N - 1);
	/* refused, not judged: nothing of it reached a peer, nobody banned */
	CU_ASSERT_EQUAL(s.apart_bans, 0);
	CU_ASSERT_EQUAL(s.joined[VICTIM], 0);
	CU_ASSERT_FALSE(byz_node_has_banned(s.node[REF], VICTIM));
	CU_ASSERT_EQUAL(byz_node_stats(s.node[REF])->msg_badsig, 0);
	survivors_agree(&s);
	sw_free(&s);
}

/* A member restarts with another leaf hash: its JOIN cannot reach the run
 * (it never even hears a message it can verify), it says which hash its
 * peers run, and nobody bans it; restarted once more with the run's hash,
 * the same key is admitted and becomes active. */
static void test_mixed_hash_rejoin(void)
{
	struct sw s;
	sw_init(&s, byz_test_seed() + 300, 2, 2);
	struct at a = {1, BYZ_PH_FINAL_DIG};
	CU_ASSERT_FATAL(run_while(&s, ref_reached, &a, 4 * attempt_ns(&s)));
	crash(&s);
	s.victim_hash = BYZ_LEAF_SHA256;
	s.apart = 1;
	restart(&s);
	uint64_t until = byz_node_step(s.node[REF]) + s.run.silent_limit + 1;
	int ok = run_while(&s, victim_left_and, &until, 16 * attempt_ns(&s));
	fprintf(stderr, "\n  rejoin as sha256: REF step %llu, left %llu joined %llu, it sees REF "
		"as %d, syncing %d",
		(unsigned long long)byz_node_step(s.node[REF]), (unsigned long long)s.left[VICTIM],
		(unsigned long long)s.joined[VICTIM], byz_node_mixed_hash(s.node[VICTIM], REF),
		byz_node_syncing(s.node[VICTIM]));
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_EQUAL(byz_node_mixed_hash(s.node[VICTIM], REF), BYZ_LEAF_BLAKE2B);
	CU_ASSERT_TRUE(byz_node_syncing(s.node[VICTIM])); /* never got a state */
	CU_ASSERT_EQUAL(s.joined[VICTIM], 0);
	CU_ASSERT_EQUAL(s.resynced, 0);
	CU_ASSERT_EQUAL(s.apart_bans, 0);
	survivors_agree(&s);
	/* the same key with the run's hash: admitted on probation, then active */
	crash(&s);
	s.victim_hash = s.hash;
	s.apart = 0;
	restart(&s);
	ok = run_while(&s, victim_active, NULL, 16 * attempt_ns(&s));
	fprintf(stderr, "\n  rejoin as blake2b: joined %llu active %llu",
		(unsigned long long)s.joined[VICTIM], (unsigned long long)s.active_ev[VICTIM]);
	CU_ASSERT_TRUE_FATAL(ok);
	CU_ASSERT_TRUE(s.joined[VICTIM] >= 1);
	CU_ASSERT_EQUAL(s.bans[VICTIM], 0);
	CU_ASSERT_EQUAL(byz_node_mixed_hash(s.node[VICTIM], REF), -1);
	sw_free(&s);
}

/* Every node on sha256: the run steps as a blake2b run does, under its own
 * run id. */
static void test_sha256_run(void)
{
	struct sw s;
	sw_init(&s, byz_test_seed() + 400, 3, 3);
	for (uint16_t i = 0; i < N; i++)
		byz_node_free(s.node[i]);
	s.hash = s.victim_hash = BYZ_LEAF_SHA256;
	for (uint16_t i = 0; i < N; i++) {
		s.node[i] = make_node(&s, i, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s.node[i]);
	}
	uint64_t until = 3;
	CU_ASSERT_TRUE_FATAL(run_while(&s, all_done, &until, 8 * attempt_ns(&s)));
	final_checks(&s, until);
	CU_ASSERT_EQUAL(byz_node_stats(s.node[REF])->mixed_hash_peers, 0);
	for (uint16_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(byz_node_stats(s.node[i])->mixed_hash_peers, 0);
	sw_free(&s);
}

static uint64_t phase_len_us(uint64_t fast_ms)
{
	/* real-time phases with 1.5x headroom over an idle machine (as in
	 * test_node_swarm.c); sanitizers slow signing several times more */
	uint64_t ms = fast_ms * 3 / 2;
	const char *e = getenv("BYZ_NODE_PHASE_MS");
	if (e)
		ms = strtoull(e, NULL, 10);
#if defined(__SANITIZE_ADDRESS__)
	else
		ms *= 3;
#endif
	return ms * 1000u;
}

int main(void)
{
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzrst%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("nrpool", 8191, 4200, SOCKET_ID_ANY);
	if (!pool) {
		fprintf(stderr, "skipping: no mbuf pool\n");
		byz_eal_cleanup();
		return 77;
	}
	phase_us = phase_len_us(40);
	static const struct byz_test_case cases[] = {
		{"crash at every phase, restart with the same key", test_every_phase},
		{"long outage: left, re-admitted on probation", test_long_outage},
		{"another leaf hash from the start: refused, never banned",
		 test_mixed_hash_at_start},
		{"rejoin with another leaf hash: refused at join; with the run's, admitted",
		 test_mixed_hash_rejoin},
		{"a sha256 run", test_sha256_run},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-restart", cases);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
