/*
 * Sybil joining: 20 new identities ask to join a 16-peer swarm at once; 12 of
 * them are Byzantine and attack the gradient (sign-flip: consistent with their
 * commitments, visible only to a validator). The swarm also holds 3 initial
 * Byzantine identities that behave honestly (they count, and stay counted).
 * Checked after every step, from an honest peer's replicated state:
 *  - admissions follow the rate: at most R in any W consecutive steps;
 *  - an admitted peer counts only after P probation steps;
 *  - gradient attackers are banned (`gradient`) while on probation, every
 *    one of them, within two steps of admission: every active peer checks
 *    every probationer, so colluding validators cannot vouch for a Sybil
 *    (the 3 initial Byzantine identities are exactly such colluders);
 *  - no attacker ever counts towards n;
 *  - the counted Byzantine never exceed f0 + R per W steps admitted P steps
 *    earlier (the bound the admission rate implies for delta).
 * And the run itself: identical replicas, consistent bans, no honest ban.
 */
#include <stdio.h>
#include <string.h>

#include "byz/swarm.h"
#include "byz_test.h"

#define N0 16
#define F0 3
#define JOINERS 20
#define JBYZ 12

struct obs {
	double delta_max;
	uint32_t byz_counted_max;
	uint32_t active_max;
	uint64_t steps;
	int over_rate_bound;  /* counted Byzantine above F0 + R * admission windows */
	uint32_t R, W, P;
};

static void progress(void *ctx, const struct byz_swarm *s, uint64_t step)
{
	struct obs *o = ctx;
	const struct byz_peer *p = byz_swarm_peer(s, 0); /* initial ids 0..F0-1 are honest? */
	for (uint16_t i = 0; i < N0; i++)
		if (!byz_swarm_is_byz(s, i)) {
			p = byz_swarm_peer(s, i);
			break;
		}
	uint32_t act = 0, byz = 0;
	for (uint16_t k = 0; k < byz_peer_roster_size(p); k++) {
		if (!byz_peer_is_active(p, k))
			continue;
		act++;
		int slot = byz_swarm_slot_of(s, byz_peer_roster_key(p, k));
		if (slot >= 0 && byz_swarm_is_byz(s, (uint16_t)slot))
			byz++;
	}
	/* at most R admissions per W steps from step 1, each counting P steps later */
	uint64_t windows = step >= 1 + o->P ? (step - 1 - o->P) / o->W + 1 : 0;
	if (byz > F0 + o->R * windows)
		o->over_rate_bound = 1;
	double d = act ? (double)byz / act : 1.0;
	if (d > o->delta_max)
		o->delta_max = d;
	if (byz > o->byz_counted_max)
		o->byz_counted_max = byz;
	if (act > o->active_max)
		o->active_max = act;
	o->steps = step;
}

static void sybil_run(int initial_attack, uint64_t seed_off)
{
	uint64_t seed = byz_test_seed();
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.seed = seed + seed_off;
	c.n = N0;
	c.nbyz = F0;
	c.attacks = &initial_attack;
	c.nattacks = 1;
	c.d = 64;
	c.steps = 18;
	c.joiners = JOINERS;
	c.joiner_byz = JBYZ;
	c.joiner_attack = BYZ_ATK_SIGN_FLIP;
	c.join_step = 1;
	c.run.probation = 2;
	c.run.admit_rate = 3;
	c.run.admit_window = 2;
	/* An initial colluder is caught only when an honest validator draws it
	 * as its target: with one validator per step that is about a 0.6 chance
	 * each in 18 steps, so "all three caught" held for some seeds only
	 * (main failed it with BYZ_TEST_SEED=1). Four validators per step give
	 * each about 0.98. */
	if (initial_attack != BYZ_ATK_NONE)
		c.run.validators = 4;
	struct obs o = {.R = c.run.admit_rate, .W = c.run.admit_window, .P = c.run.probation};
	c.progress = progress;
	c.progress_ctx = &o;
	int err = 0;
	struct byz_swarm *s = byz_swarm_new(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int rc = byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	printf("\n  seed %llu: %zu admitted, active at end %u (max %u), byz counted max %u,"
	       " delta max %.3f (bound %.3f), bans %zu\n",
	       (unsigned long long)c.seed, r->njoined, r->active_end, o.active_max,
	       o.byz_counted_max, o.delta_max, (double)F0 / N0, r->nbans);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(r->finished && r->replicas_identical && r->bans_consistent);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_EQUAL(o.steps, c.steps);
	/* the rate: at most R admissions in any W consecutive steps */
	for (size_t k = 0; k < r->njoined; k++) {
		uint32_t in_window = 0;
		for (size_t m = 0; m < r->njoined; m++)
			if (r->joined[m].admitted >= r->joined[k].admitted &&
			    r->joined[m].admitted < r->joined[k].admitted + c.run.admit_window)
				in_window++;
		CU_ASSERT_TRUE(in_window <= c.run.admit_rate);
	}
	/* the run is long enough to admit at least 2/3 of them at this rate */
	CU_ASSERT_TRUE(r->njoined >= 2 * JOINERS / 3);
	uint32_t byz_banned = 0, honest_active = 0, escaped = 0;
	for (size_t k = 0; k < r->njoined; k++) {
		const struct byz_join_rec *j = &r->joined[k];
		int banned = 0;
		for (size_t b = 0; b < r->nbans; b++)
			if (r->bans[b].peer == j->peer) {
				banned = 1;
				CU_ASSERT_EQUAL(r->bans[b].reason, BYZ_BAN_GRAD);
				/* at the first check of its first commitment */
				CU_ASSERT_TRUE(r->bans[b].step <= j->admitted + 2);
			}
		if (j->byz && j->active != UINT64_MAX)
			printf("  attacker counted: index %u slot %u admitted %llu active %llu\n",
			       j->peer, j->slot, (unsigned long long)j->admitted,
			       (unsigned long long)j->active);
		if (j->byz) {
			byz_banned += (uint32_t)banned;
			escaped += (uint32_t)(j->active != UINT64_MAX);
		} else if (j->active != UINT64_MAX) {
			CU_ASSERT_TRUE(j->active >= j->admitted + c.run.probation);
			CU_ASSERT_FALSE(banned);
			honest_active++;
		}
	}
	if (initial_attack != BYZ_ATK_NONE) {
		/* the initial colluders are gradient attackers too: all caught */
		for (uint16_t i = 0; i < N0; i++) {
			if (!byz_swarm_is_byz(s, i))
				continue;
			int banned = 0;
			for (size_t b = 0; b < r->nbans; b++)
				banned |= r->bans[b].peer == i;
			CU_ASSERT_TRUE(banned);
		}
	}
	/* every attacker admitted long enough ago has been caught */
	uint32_t byz_admitted = 0;
	for (size_t k = 0; k < r->njoined; k++)
		if (r->joined[k].byz && r->joined[k].admitted + 3 <= c.steps)
			byz_admitted++;
	printf("  attackers admitted %u, banned on probation %u, counted %u\n", byz_admitted,
	       byz_banned, escaped);
	CU_ASSERT_EQUAL(escaped, 0);
	CU_ASSERT_TRUE(byz_admitted >= JBYZ / 2);
	CU_ASSERT_TRUE(byz_banned >= byz_admitted);
	CU_ASSERT_TRUE(honest_active >= 1);
	/* delta: the counted Byzantine never exceed what the admission rate lets in */
	CU_ASSERT_FALSE(o.over_rate_bound);
	CU_ASSERT_TRUE(o.byz_counted_max <= F0);
	byz_swarm_free(s);
}

/* The initial Byzantine identities behave honestly and keep counting. */
static void test_sybil_join(void)
{
	sybil_run(BYZ_ATK_NONE, 21);
}

/* The initial Byzantine identities attack too, and as validators they drop
 * every accusation against a fellow attacker (gradattack.c): one validator
 * per probationer could then vouch for a Sybil; every active peer checking
 * every probationer cannot be talked round. */
static void test_sybil_colluders(void)
{
	sybil_run(BYZ_ATK_SIGN_FLIP, 22);
}

BYZ_TEST_MAIN("sybil", {"sybil_join", test_sybil_join},
	      {"sybil_colluders", test_sybil_colluders})
