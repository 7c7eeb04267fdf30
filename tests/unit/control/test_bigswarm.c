/*
 * Bigger swarms (default n = 32; BYZ_BIG_N selects another size). An honest
 * run and a run with floor((n-1)/2) attackers cycling through every attack
 * that lies provably: every liar banned, no honest ban, honest replicas
 * bit-identical after every step, and the traffic stays within a constant
 * times n^2 messages per attempt (docs/protocol.md, "Cost per step"). The
 * constants are properties of the schedule, not measurements: an honest
 * attempt has ten all-to-all rounds (COMMIT, four DIGESTs, RESULT, AGGV,
 * REVEAL, PROJ, and PART, n parts from each of n contributors), so about
 * 10.2 n^2 deliveries with 2% duplication; a push is needed only for a
 * delivery later than a phase, which the default network never makes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "byz/swarm.h"
#include "byz/wire.h"
#include "byz_test.h"

static uint32_t big_n(void)
{
	const char *e = getenv("BYZ_BIG_N");
	long v = e ? strtol(e, NULL, 10) : 32;
	return v >= 4 && v <= (long)BYZ_MAX_PEERS ? (uint32_t)v : 32u;
}

static const struct byz_swarm_report *run(struct byz_swarm **sp, uint32_t n, uint32_t nbyz,
					  const int *atk, uint32_t na, uint32_t steps)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = n;
	c.nbyz = nbyz;
	c.attacks = atk;
	c.nattacks = na;
	c.steps = steps;
	c.d = 64;
	c.seed = byz_test_seed();
	int err;
	*sp = byz_swarm_new(&c, &err);
	if (!*sp)
		return NULL;
	int rc = byz_swarm_run(*sp);
	const struct byz_swarm_report *r = byz_swarm_report(*sp);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(r->finished);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_TRUE(r->replicas_identical);
	CU_ASSERT_TRUE(r->bans_consistent);
	return r;
}

static void test_honest_big(void)
{
	uint32_t n = big_n(), steps = 3;
	struct byz_swarm *s;
	const struct byz_swarm_report *r = run(&s, n, 0, NULL, 0, steps);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	double n2 = (double)n * n, per = (double)r->msgs / steps / n2;
	/* The harness stops right after the last step's judgement, when the
	 * next step's COMMITs are already out: steps + 1 commit rounds. */
	double commits = (double)r->type_msgs[BYZ_MSG_COMMIT] / (steps + 1) / n2;
	fprintf(stderr, "n=%u honest: %.2f n^2 messages/step, COMMIT %.3f n^2 per round, %.1f signature "
		"checks per peer per step\n", n, per, commits, (double)r->verifies / steps / n);
	CU_ASSERT_EQUAL(r->restarts, 0);
	CU_ASSERT(per < 12.0);
	/* No n-fold pushes: every COMMIT is delivered about once per peer
	 * (the sequential start used to push n^3/6 of them). */
	CU_ASSERT(commits < 1.1);
	/* Compact digests match in an honest run: four broadcasts per attempt,
	 * no full-list answers (those would add up to 4 n^2 more). */
	double digests = (double)r->type_msgs[BYZ_MSG_DIGEST] / steps / n2;
	CU_ASSERT(digests < 4.2);
	CU_ASSERT(r->type_bytes[BYZ_MSG_DIGEST] <
		  (uint64_t)(4.2 * steps * n2 * (132.0 + 5.0 * (2.0 * ((n + 7) / 8) + 16.0))));
	/* Signature checks are O(n) per peer: one per new message received. */
	CU_ASSERT((double)r->verifies / steps / n < 12.0 * n);
	byz_swarm_free(s);
}

static void test_mixed_big(void)
{
	static const int atk[] = {BYZ_ATK_BAD_PART, BYZ_ATK_EQUIV_COMMIT, BYZ_ATK_EQUIV_RESULT,
				  BYZ_ATK_WRONG_AGGREGATE, BYZ_ATK_LIE_PROJECTION, BYZ_ATK_FALSE_ACCUSE,
				  BYZ_ATK_WRONG_REVEAL, BYZ_ATK_SIGNED_MALFORMED};
	uint32_t n = big_n(), nbyz = (n - 1) / 2, steps = 3;
	struct byz_swarm *s;
	const struct byz_swarm_report *r =
		run(&s, n, nbyz, atk, (uint32_t)(sizeof(atk) / sizeof(atk[0])), steps);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (uint32_t b = 0; b < r->nbyz; b++) {
		int banned = 0;
		for (size_t k = 0; k < r->nbans; k++)
			banned |= r->bans[k].peer == r->byz[b];
		if (!banned)
			fprintf(stderr, "attacker %u (%s) not banned\n", r->byz[b],
				byz_attack_name(r->byz_attack[b]));
		CU_ASSERT_TRUE(banned);
	}
	CU_ASSERT_EQUAL(r->nbans, r->nbyz);
	double attempts = (double)(steps + r->restarts), n2 = (double)n * n;
	double per = (double)r->msgs / attempts / n2;
	fprintf(stderr, "n=%u, %u attackers: %.2f n^2 messages/attempt over %.0f attempts "
		"(ACCUSE %.2f n^2)\n", n, nbyz, per, attempts,
		(double)r->type_msgs[BYZ_MSG_ACCUSE] / attempts / n2);
	/* Accusations add up to one broadcast per (honest accuser, liar) pair
	 * of an attempt; below n = 64 that stays under 10 n^2 more. */
	CU_ASSERT(per < 22.0);
	byz_swarm_free(s);
}

BYZ_TEST_MAIN("bigswarm", {"honest", test_honest_big}, {"mixed", test_mixed_big})
