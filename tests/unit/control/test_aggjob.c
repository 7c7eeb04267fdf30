/*
 * The asynchronous aggregation seam of the peer (byz_agg_driver): the same
 * swarm and seed with CenteredClip run inline and handed out as jobs that
 * come back later (as from a worker lcore) must end in the same params
 * digest and the same bans, attackers included (wrong-aggregate edits y in
 * the on_aggregate hook, after the clip, so the peer hashes then). A job
 * not back when RESULT ends is the aggregator's own lateness: it reports
 * BYZ_EV_LATE with BYZ_LATE_AGG and nobody honest is banned for it.
 */
#include <errno.h>
#include <string.h>

#include "byz/swarm.h"
#include "byz_test.h"

struct outcome {
	int rc, finished, identical;
	uint8_t digest[32];
	size_t nbans;
	struct byz_ban_rec bans[64];
	uint32_t honest_banned;
	uint64_t late, late_agg, inline_jobs, async_jobs;
};

static void run_one(uint32_t n, uint32_t nbyz, const int *atk, uint32_t na, uint64_t seed,
		    int async, uint64_t delay_us, uint32_t slow, uint64_t slow_us,
		    struct outcome *o)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = n;
	c.nbyz = nbyz;
	c.attacks = atk;
	c.nattacks = na;
	c.steps = 5;
	c.seed = seed;
	c.d = 160;
	c.attack_start = 1;
	c.agg_async = async;
	c.agg_delay_us = delay_us;
	c.agg_slow = slow;
	c.agg_slow_us = slow_us;
	int err;
	struct byz_swarm *s = byz_swarm_new(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(o, 0, sizeof(*o));
	o->rc = byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	o->finished = r->finished;
	o->identical = r->replicas_identical;
	memcpy(o->digest, r->params_digest, 32);
	o->nbans = r->nbans < 64 ? r->nbans : 64;
	memcpy(o->bans, r->bans, o->nbans * sizeof(o->bans[0]));
	o->honest_banned = r->honest_banned;
	o->late = r->late_events;
	o->late_agg = r->late_agg;
	for (uint16_t i = 0; i < n; i++) {
		uint64_t a, b;
		byz_peer_agg_counts(byz_swarm_peer(s, i), &a, &b);
		o->inline_jobs += a;
		o->async_jobs += b;
		CU_ASSERT_EQUAL(byz_peer_agg_pending(byz_swarm_peer(s, i)) > 0 && !slow, 0);
	}
	byz_swarm_free(s);
}

static void same_outcome(uint32_t n, uint32_t nbyz, const int *atk, uint32_t na,
			 uint64_t seed)
{
	struct outcome a, b;
	run_one(n, nbyz, atk, na, seed, 0, 0, 0, 0, &a);
	/* 2 ms of "worker time": well inside a phase (default 100 ms) */
	run_one(n, nbyz, atk, na, seed, 1, 2000, 0, 0, &b);
	CU_ASSERT_EQUAL(a.rc, 0);
	CU_ASSERT(a.finished && b.finished);
	CU_ASSERT(a.identical && b.identical);
	CU_ASSERT(a.inline_jobs > 0);
	CU_ASSERT_EQUAL(a.async_jobs, 0);
	CU_ASSERT_EQUAL(b.inline_jobs, 0);
	CU_ASSERT(b.async_jobs > 0);
	CU_ASSERT_EQUAL(memcmp(a.digest, b.digest, 32), 0);
	CU_ASSERT_EQUAL(a.nbans, b.nbans);
	CU_ASSERT_EQUAL(a.honest_banned, 0);
	CU_ASSERT_EQUAL(b.honest_banned, 0);
	CU_ASSERT_EQUAL(b.late, 0);
	for (size_t i = 0; i < a.nbans && i < b.nbans; i++) {
		CU_ASSERT_EQUAL(a.bans[i].peer, b.bans[i].peer);
		CU_ASSERT_EQUAL(a.bans[i].step, b.bans[i].step);
		CU_ASSERT_EQUAL(a.bans[i].reason, b.bans[i].reason);
		CU_ASSERT_EQUAL(a.bans[i].accuser, b.bans[i].accuser);
	}
	if (memcmp(a.digest, b.digest, 32) != 0 || a.nbans != b.nbans)
		fprintf(stderr, "seed %" PRIu64 ": inline and async differ (bans %zu vs %zu)\n",
			seed, a.nbans, b.nbans);
}

static void t_honest(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		same_outcome(4, 0, NULL, 0, seed);
}

static void t_attacks(void)
{
	const int atk[] = {BYZ_ATK_WRONG_AGGREGATE, BYZ_ATK_BAD_PART, BYZ_ATK_LIE_PROJECTION};
	for (uint64_t seed = 11; seed <= 12; seed++) {
		same_outcome(7, 3, atk, 3, seed);
		struct outcome o;
		run_one(7, 3, atk, 3, seed, 1, 2000, 0, 0, &o);
		CU_ASSERT(o.nbans >= 3); /* each lying attacker is banned */
	}
}

/* One honest peer's jobs take longer than a phase: it is late (its own
 * fault), and whatever happens to it, no honest peer is banned. */
static void t_slow_worker(void)
{
	struct outcome o;
	run_one(4, 0, NULL, 0, 5, 1, 1000, 1, 250000, &o);
	CU_ASSERT(o.late_agg > 0);
	CU_ASSERT(o.late >= o.late_agg);
	CU_ASSERT_EQUAL(o.honest_banned, 0);
	CU_ASSERT_EQUAL(o.nbans, 0);
}

/* byz_agg_job_run is byz_clip plus the aggregate hash, nothing else. */
static void t_job_run(void)
{
	struct byz_rng r = {.s = 7};
	enum { K = 5, L = 33 };
	float v[K][L], y0[L], y1[L];
	const float *in[K];
	for (int i = 0; i < K; i++) {
		in[i] = v[i];
		for (int j = 0; j < L; j++)
			v[i][j] = (float)(byz_rng_unif(&r) * 4.0 - 2.0) + (i == 3 ? 50.0f : 0.0f);
	}
	struct byz_clip_params cp = {.tau = 1.0, .eps = 1e-6, .max_iters = 1000,
				     .impl = BYZ_CLIP_GRAM};
	struct byz_clip_result res;
	CU_ASSERT_EQUAL_FATAL(byz_clip(in, K, L, &cp, y0, NULL, &res), 0);
	uint8_t h0[32];
	uint8_t run[32] = {1, 2, 3};
	byz_agg_hash(run, 9, 2, 1, y0, L, h0);
	struct byz_agg_job job = {.in = in, .k = K, .len = L, .cp = cp, .y = y1, .part = 1,
				  .aggregator = 2, .step = 9, .want_hash = 1};
	memcpy(job.run_id, run, 32);
	byz_agg_job_run(&job);
	CU_ASSERT_EQUAL(job.rc, 0);
	CU_ASSERT_EQUAL(memcmp(y0, y1, sizeof(y0)), 0);
	CU_ASSERT_EQUAL(memcmp(h0, job.hash, 32), 0);
	CU_ASSERT_EQUAL(job.res.iters, res.iters);
	/* not a job of any peer: refused */
	CU_ASSERT_EQUAL(byz_peer_agg_done(NULL, 0, &job), -EINVAL);
}

BYZ_TEST_MAIN("aggjob", {"job-run", t_job_run}, {"honest", t_honest},
	      {"attacks", t_attacks}, {"slow-worker", t_slow_worker});
