/*
 * Whole swarms in one process. For every protocol attack, in swarms of 4 and
 * 7 peers (16 in the slow suite) with up to floor((n-1)/2) attackers: every
 * attacker that lies is banned within the promised number of steps
 * (docs/protocol.md), silent attackers are excluded and leave but are never
 * banned, no honest peer is ever banned, honest replicas are bit-identical
 * after every step (checked by the harness), and the run finishes. A property
 * test mixes attacks with network faults over many seeds.
 *
 * BYZ_SWARM_N selects the swarm size (default 4 and 7; the slow suite sets 16).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/swarm.h"
#include "byz_test.h"

/* Attacks that lie are banned within this many steps of their first attacked
 * step (docs/protocol.md, "Detection bounds"). */
#define BAN_WITHIN 2

static int sizes[4], nsizes;

static void pick_sizes(void)
{
	const char *e = getenv("BYZ_SWARM_N");
	nsizes = 0;
	if (e) {
		sizes[nsizes++] = atoi(e);
	} else {
		sizes[nsizes++] = 4;
		sizes[nsizes++] = 7;
	}
}

static void check_run(uint32_t n, uint32_t nbyz, const int *attacks, uint32_t na,
		      uint32_t steps, uint64_t seed, double partitions, double loss, double dup,
		      uint64_t attack_start, int strict_delay)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = n;
	c.nbyz = nbyz;
	c.attacks = attacks;
	c.nattacks = na;
	c.steps = steps;
	c.seed = seed;
	c.d = 192;
	c.attack_start = attack_start;
	c.net.partition_rate = partitions;
	c.net.loss = loss;
	c.net.dup = dup;
	int err;
	struct byz_swarm *s = byz_swarm_new(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int rc = byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	int ok = rc == 0 && r->finished && r->honest_banned == 0 && r->replicas_identical &&
		 r->bans_consistent;
	for (uint32_t b = 0; b < r->nbyz; b++) {
		int atk = r->byz_attack[b];
		int banned = 0;
		uint64_t when = 0;
		for (size_t k = 0; k < r->nbans; k++)
			if (r->bans[k].peer == r->byz[b]) {
				banned = 1;
				when = r->bans[k].step;
			}
		if (byz_attack_bans(atk)) {
			if (!banned || (strict_delay && when >= attack_start + BAN_WITHIN)) {
				fprintf(stderr, "attacker %u (%s) %s\n", r->byz[b], byz_attack_name(atk),
					banned ? "banned too late" : "not banned");
				ok = 0;
			}
		} else if (banned) {
			fprintf(stderr, "attacker %u (%s) banned but the attack is not provable\n",
				r->byz[b], byz_attack_name(atk));
			ok = 0;
		}
		if (atk == BYZ_ATK_SILENT && steps >= c.run.silent_limit && r->left_events == 0) {
			fprintf(stderr, "silent attacker never left the membership\n");
			ok = 0;
		}
	}
	if (!ok)
		fprintf(stderr,
			"FAILED swarm: n=%u byzantine=%u steps=%u seed=%" PRIu64
			" partitions=%.2f loss=%.2f dup=%.2f rc=%d finished=%d honest_banned=%u "
			"identical=%d consistent=%d (replay: byz-swarm --peers %u --byzantine %u "
			"--seed %" PRIu64 " ...)\n",
			n, nbyz, steps, seed, partitions, loss, dup, rc, r->finished, r->honest_banned,
			r->replicas_identical, r->bans_consistent, n, nbyz, seed);
	CU_ASSERT(ok);
	byz_swarm_free(s);
}

static void test_honest(void)
{
	pick_sizes();
	for (int z = 0; z < nsizes; z++)
		check_run((uint32_t)sizes[z], 0, NULL, 0, 4, byz_test_seed(), 0.2, 0.05, 0.05, 0, 1);
}

static void each_attack(int atk)
{
	pick_sizes();
	for (int z = 0; z < nsizes; z++) {
		uint32_t n = (uint32_t)sizes[z], maxb = (n - 1) / 2;
		/* One attacker, then the most the honest majority allows. */
		check_run(n, 1, &atk, 1, 4, byz_test_seed() + 1, 0, 0.02, 0.02, 0, 1);
		if (maxb > 1)
			check_run(n, maxb, &atk, 1, 4, byz_test_seed() + 2, 0, 0.02, 0.02, 1, 1);
	}
}

#define ATK_TEST(fn, id) \
	static void fn(void) { each_attack(id); }
ATK_TEST(t_bad_part, BYZ_ATK_BAD_PART)
ATK_TEST(t_equiv_commit, BYZ_ATK_EQUIV_COMMIT)
ATK_TEST(t_equiv_result, BYZ_ATK_EQUIV_RESULT)
ATK_TEST(t_wrong_aggregate, BYZ_ATK_WRONG_AGGREGATE)
ATK_TEST(t_lie_projection, BYZ_ATK_LIE_PROJECTION)
ATK_TEST(t_false_accuse, BYZ_ATK_FALSE_ACCUSE)
ATK_TEST(t_withhold_reveal, BYZ_ATK_WITHHOLD_REVEAL)
ATK_TEST(t_wrong_reveal, BYZ_ATK_WRONG_REVEAL)
ATK_TEST(t_replay, BYZ_ATK_REPLAY)
ATK_TEST(t_forge, BYZ_ATK_FORGE)
ATK_TEST(t_silent, BYZ_ATK_SILENT)
ATK_TEST(t_malformed, BYZ_ATK_MALFORMED)
ATK_TEST(t_signed_malformed, BYZ_ATK_SIGNED_MALFORMED)

/* Property: random mixes of attacks and network faults, many seeds. */
static void test_property(void)
{
	pick_sizes();
	const char *e = getenv("BYZ_SWARM_SEEDS");
	int seeds = e ? atoi(e) : 12;
	struct byz_rng r = {byz_test_seed() ^ 0xabcdef};
	for (int z = 0; z < nsizes; z++) {
		uint32_t n = (uint32_t)sizes[z];
		for (int k = 0; k < seeds; k++) {
			int attacks[BYZ_ATK_COUNT];
			uint32_t na = 1 + (uint32_t)(byz_rng_next(&r) % 4);
			for (uint32_t a = 0; a < na; a++)
				attacks[a] = (int)(byz_rng_next(&r) % (BYZ_ATK_MALFORMED + 1));
			uint32_t nb = (uint32_t)(byz_rng_next(&r) % ((n - 1) / 2 + 1));
			uint64_t seed = byz_rng_next(&r);
			check_run(n, nb, attacks, na, 5, seed, 0.3 * byz_rng_unif(&r),
				  0.2 * byz_rng_unif(&r), 0.2 * byz_rng_unif(&r),
				  byz_rng_next(&r) % 2, 0);
		}
	}
}

/* A gradient attack is invisible to the step's checks (it is committed
 * consistently); validators recompute and prove it. Detection is random
 * (a validator must draw the attacker as target), so the run is long. */
static void test_validators(void)
{
	int atk = BYZ_ATK_SIGN_FLIP;
	check_run(4, 1, &atk, 1, 16, byz_test_seed() + 3, 0, 0.02, 0.02, 0, 0);
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = 4;
	c.nbyz = 1;
	c.attacks = &atk;
	c.nattacks = 1;
	c.steps = 16;
	c.seed = byz_test_seed() + 3;
	c.d = 192;
	struct byz_swarm *s = byz_swarm_new(&c, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(byz_swarm_run(s), 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->nbans, 1);
	if (r->nbans == 1) {
		CU_ASSERT_EQUAL(r->bans[0].reason, BYZ_BAN_GRAD);
		CU_ASSERT(r->bans[0].accuser >= 0);
	}
	byz_swarm_free(s);
}

static struct byz_swarm *run_mode(uint32_t n, uint32_t nbyz, int atk, uint32_t steps,
				  uint64_t seed, uint32_t mode, uint32_t noisy, double noise)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = n;
	c.nbyz = nbyz;
	c.attacks = &atk;
	c.nattacks = nbyz ? 1 : 0;
	c.steps = steps;
	c.seed = seed;
	c.d = 192;
	c.noisy = noisy;
	c.noise = noise;
	c.run.validation = mode;
	c.run.rho = 1e-3;
	struct byz_swarm *s = byz_swarm_new(&c, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int rc = byz_swarm_run(s);
	CU_ASSERT_EQUAL(rc, 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	/* In exact mode a noisy peer's own verdicts differ (it recomputes
	 * differently) and its view splits from the others', so agreement is
	 * only required without noise or in tolerance mode. */
	int agree = mode == BYZ_VALIDATE_TOLERANCE || noisy == 0;
	int ok = r->finished && (!agree || (r->replicas_identical && r->bans_consistent));
	CU_ASSERT(ok);
	if (rc || !ok)
		fprintf(stderr, "FAILED run: n=%u mode=%u seed=%" PRIu64 " rc=%d fin=%d ident=%d cons=%d\n",
			n, mode, seed, rc, r->finished, r->replicas_identical, r->bans_consistent);
	return s;
}

/* Tolerance mode: validators fetch the target's parts from the previous
 * step's aggregators (checked against the commitment) and compare with
 * relative tolerance rho. A sign flip is far outside it. */
static void test_tolerance_sign_flip(void)
{
	uint64_t seed = byz_test_seed() + 3;
	struct byz_swarm *s = run_mode(4, 1, BYZ_ATK_SIGN_FLIP, 16, seed, BYZ_VALIDATE_TOLERANCE,
				       0, 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_EQUAL(r->nbans, 1);
	if (r->nbans != 1)
		fprintf(stderr, "tolerance sign-flip: %zu bans, seed %" PRIu64 "\n", r->nbans, seed);
	if (r->nbans == 1) {
		CU_ASSERT_EQUAL(r->bans[0].peer, r->byz[0]);
		CU_ASSERT_EQUAL(r->bans[0].reason, BYZ_BAN_GRAD);
		CU_ASSERT(r->bans[0].accuser >= 0);
	}
	byz_swarm_free(s);
}

/* An honest peer on non-reproducible hardware (relative noise rho/4 on every
 * gradient) survives tolerance mode, and the same run in exact mode bans it:
 * its commitments differ from every recomputation. The two runs share the
 * seed, hence the roles, until the first ban. */
static void test_tolerance_noisy_honest(void)
{
	uint64_t seed = byz_test_seed() + 5;
	struct byz_swarm *s = run_mode(4, 0, 0, 12, seed, BYZ_VALIDATE_TOLERANCE, 1, 2.5e-4);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_EQUAL(r->nbans, 0);
	CU_ASSERT_EQUAL(r->accusations, 0);
	if (r->nbans)
		fprintf(stderr, "tolerance: noisy honest peer banned, seed %" PRIu64 "\n", seed);
	byz_swarm_free(s);
	s = run_mode(4, 0, 0, 12, seed, BYZ_VALIDATE_EXACT, 1, 2.5e-4);
	r = byz_swarm_report(s);
	CU_ASSERT(r->honest_banned >= 1);
	if (r->honest_banned == 0)
		fprintf(stderr, "exact mode did not ban the noisy peer, seed %" PRIu64 "\n", seed);
	byz_swarm_free(s);
}

static struct byz_swarm *run_join(struct byz_swarm_cfg *c, const char *what)
{
	struct byz_swarm *s = byz_swarm_new(c, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int rc = byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	int ok = rc == 0 && r->finished && r->honest_banned == 0 && r->replicas_identical &&
		 r->bans_consistent;
	if (!ok)
		fprintf(stderr, "FAILED %s: seed=%" PRIu64 " rc=%d fin=%d honest_banned=%u ident=%d "
			"cons=%d\n", what, c->seed, rc, r->finished, r->honest_banned,
			r->replicas_identical, r->bans_consistent);
	CU_ASSERT(ok);
	return s;
}

static void join_cfg(struct byz_swarm_cfg *c, uint64_t seed)
{
	byz_swarm_defaults(c);
	c->seed = seed;
	c->d = 96;
	c->run.probation = 2;
	c->join_step = 1;
}

/* Newcomers ask to join at step 1; at most 1 is admitted per 2 steps; each
 * spends at least P steps on probation, then counts towards n. */
static void test_join_rate(void)
{
	struct byz_swarm_cfg c;
	join_cfg(&c, byz_test_seed() + 11);
	c.joiners = 3;
	c.steps = 14;
	c.run.admit_rate = 1;
	c.run.admit_window = 2;
	struct byz_swarm *s = run_join(&c, "join-rate");
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->njoined, 3);
	for (size_t k = 0; k < r->njoined; k++) {
		const struct byz_join_rec *j = &r->joined[k];
		CU_ASSERT(j->slot >= c.n && j->slot < c.n + c.joiners);
		CU_ASSERT(j->peer >= c.n); /* new roster entries */
		CU_ASSERT(j->active != UINT64_MAX && j->active >= j->admitted + c.run.probation);
		if (k > 0) /* the rate limit: R = 1 per W = 2 steps */
			CU_ASSERT(j->admitted >= r->joined[k - 1].admitted + 2);
	}
	CU_ASSERT_EQUAL(r->active_end, c.n + 3);
	byz_swarm_free(s);
}

/* A Byzantine newcomer that sign-flips is caught by the validator drawn for
 * it while on probation: banned, never counted. The honest one is counted. */
static void test_join_byzantine(void)
{
	struct byz_swarm_cfg c;
	join_cfg(&c, byz_test_seed() + 12);
	c.joiners = 2;
	c.joiner_byz = 1;
	c.joiner_attack = BYZ_ATK_SIGN_FLIP;
	c.steps = 12;
	c.run.admit_rate = 2;
	c.run.admit_window = 1;
	c.run.validation = BYZ_VALIDATE_TOLERANCE; /* probationers' parts are fetched too */
	struct byz_swarm *s = run_join(&c, "join-byzantine");
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->njoined, 2);
	int seen_byz = 0, seen_honest = 0;
	for (size_t k = 0; k < r->njoined; k++) {
		const struct byz_join_rec *j = &r->joined[k];
		int banned = 0;
		for (size_t b = 0; b < r->nbans; b++)
			if (r->bans[b].peer == j->peer) {
				banned = 1;
				CU_ASSERT_EQUAL(r->bans[b].reason, BYZ_BAN_GRAD);
			}
		if (j->byz) {
			seen_byz = 1;
			CU_ASSERT(banned);
			CU_ASSERT_EQUAL(j->active, UINT64_MAX);
		} else {
			seen_honest = 1;
			CU_ASSERT(!banned && j->active != UINT64_MAX);
		}
	}
	CU_ASSERT(seen_byz && seen_honest);
	CU_ASSERT_EQUAL(r->active_end, c.n + 1);
	byz_swarm_free(s);
}

/* A peer silent for K+1 steps leaves, then comes back through a JOIN and
 * probation with its old index; it is never banned. */
static void test_rejoin(void)
{
	struct byz_swarm_cfg c;
	join_cfg(&c, byz_test_seed() + 13);
	int atk = BYZ_ATK_LEAVE_REJOIN;
	c.n = 5;
	c.nbyz = 1;
	c.attacks = &atk;
	c.nattacks = 1;
	c.attack_start = 1;
	c.steps = 12;
	struct byz_swarm *s = run_join(&c, "rejoin");
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT(r->left_events >= 1);
	CU_ASSERT_EQUAL(r->nbans, 0);
	CU_ASSERT_EQUAL(r->njoined, 1);
	if (r->njoined == 1) {
		CU_ASSERT_EQUAL(r->joined[0].peer, r->byz[0]);
		CU_ASSERT_EQUAL(r->joined[0].slot, r->byz[0]);
		CU_ASSERT(r->joined[0].admitted > c.attack_start + c.run.silent_limit);
		CU_ASSERT(r->joined[0].active != UINT64_MAX &&
			  r->joined[0].active >= r->joined[0].admitted + c.run.probation);
	}
	CU_ASSERT_EQUAL(r->active_end, c.n);
	byz_swarm_free(s);
}

/* Corrupted params: the peer sees a majority commit to another state
 * digest, sits out, installs a snapshot whose digest the majority signed,
 * and is back in sync - excluded for a step or two, never banned. */
static void test_resync(void)
{
	struct byz_swarm_cfg c;
	join_cfg(&c, byz_test_seed() + 14);
	c.n = 5;
	c.steps = 7;
	c.corrupt_step = 2;
	struct byz_swarm *s = run_join(&c, "resync");
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT_EQUAL(r->out_of_sync, 1);
	CU_ASSERT_EQUAL(r->resyncs, 1);
	CU_ASSERT_EQUAL(r->nbans, 0);
	CU_ASSERT_EQUAL(r->left_events, 0);
	CU_ASSERT_EQUAL(r->active_end, c.n);
	byz_swarm_free(s);
}

/* Property: joiners (some Byzantine), a corrupted honest peer, mixed
 * attacks and network faults. Safety only: the run finishes, no honest peer
 * (initial or newcomer) is banned, in-sync replicas and ban sets agree. */
static void test_property_join(void)
{
	const char *e = getenv("BYZ_SWARM_SEEDS");
	int seeds = e ? atoi(e) : 4;
	struct byz_rng r = {byz_test_seed() ^ 0x10e1};
	static const int jatk[] = {BYZ_ATK_SIGN_FLIP, BYZ_ATK_BAD_PART, BYZ_ATK_SILENT,
				   BYZ_ATK_EQUIV_COMMIT, BYZ_ATK_LIE_PROJECTION,
				   BYZ_ATK_LEAVE_REJOIN};
	for (int k = 0; k < seeds; k++) {
		struct byz_swarm_cfg c;
		join_cfg(&c, byz_rng_next(&r));
		int attacks[3];
		for (int a = 0; a < 3; a++)
			do /* label-flip needs a model's data, not the toy oracle */
				attacks[a] = (int)(byz_rng_next(&r) % (BYZ_ATK_LATE_TO_SOME)); /* the draws of before it (test_relay runs it) */
			while (attacks[a] == BYZ_ATK_LABEL_FLIP);
		c.n = 5 + (uint32_t)(byz_rng_next(&r) % 3);
		c.nbyz = (uint32_t)(byz_rng_next(&r) % ((c.n - 1) / 2 + 1));
		c.attacks = attacks;
		c.nattacks = 3;
		c.attack_start = byz_rng_next(&r) % 2;
		c.steps = 9;
		c.joiners = 1 + (uint32_t)(byz_rng_next(&r) % 3);
		c.joiner_byz = (uint32_t)(byz_rng_next(&r) % (c.joiners + 1));
		c.joiner_attack = jatk[byz_rng_next(&r) % (sizeof(jatk) / sizeof(jatk[0]))];
		c.join_step = byz_rng_next(&r) % 3;
		c.corrupt_step = byz_rng_next(&r) % 2 ? 2 + byz_rng_next(&r) % 3 : 0;
		c.run.admit_rate = 1 + (uint32_t)(byz_rng_next(&r) % 2);
		c.run.validation = (uint32_t)(byz_rng_next(&r) % 2);
		c.net.loss = 0.1 * byz_rng_unif(&r);
		c.net.dup = 0.1 * byz_rng_unif(&r);
		c.net.partition_rate = 0.2 * byz_rng_unif(&r);
		byz_swarm_free(run_join(&c, "property-join"));
	}
}

/* Same seed, same run: digests and bans replay exactly. */
static void test_reproducible(void)
{
	int atk[2] = {BYZ_ATK_BAD_PART, BYZ_ATK_LIE_PROJECTION};
	uint8_t d[2][32];
	size_t nb[2];
	for (int k = 0; k < 2; k++) {
		struct byz_swarm_cfg c;
		byz_swarm_defaults(&c);
		c.n = 5;
		c.nbyz = 2;
		c.attacks = atk;
		c.nattacks = 2;
		c.steps = 3;
		c.seed = 99;
		c.net.partition_rate = 0.3;
		struct byz_swarm *s = byz_swarm_new(&c, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(byz_swarm_run(s), 0);
		memcpy(d[k], byz_swarm_report(s)->params_digest, 32);
		nb[k] = byz_swarm_report(s)->nbans;
		byz_swarm_free(s);
	}
	CU_ASSERT(memcmp(d[0], d[1], 32) == 0);
	CU_ASSERT_EQUAL(nb[0], nb[1]);
	CU_ASSERT_EQUAL(nb[0], 2);
	/* Bad configurations are refused. */
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = 4;
	c.nbyz = 2;
	c.attacks = atk;
	c.nattacks = 1;
	int err = 0;
	CU_ASSERT_PTR_NULL(byz_swarm_new(&c, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_EQUAL(byz_attack_parse("nope"), -EINVAL);
	for (int a = 0; a < BYZ_ATK_COUNT; a++)
		CU_ASSERT_EQUAL(byz_attack_parse(byz_attack_name(a)), a);
}

BYZ_TEST_MAIN("swarm", {"honest", test_honest}, {"bad-part", t_bad_part},
	      {"equivocate-commit", t_equiv_commit}, {"equivocate-result", t_equiv_result},
	      {"wrong-aggregate", t_wrong_aggregate}, {"lie-projection", t_lie_projection},
	      {"false-accuse", t_false_accuse}, {"withhold-reveal", t_withhold_reveal},
	      {"wrong-reveal", t_wrong_reveal}, {"replay", t_replay}, {"forge", t_forge},
	      {"silent", t_silent}, {"malformed", t_malformed},
	      {"signed-malformed", t_signed_malformed}, {"property", test_property},
	      {"validators", test_validators},
	      {"tolerance_sign_flip", test_tolerance_sign_flip},
	      {"tolerance_noisy_honest", test_tolerance_noisy_honest},
	      {"join_rate", test_join_rate}, {"join_byzantine", test_join_byzantine},
	      {"rejoin", test_rejoin}, {"resync", test_resync},
	      {"property_join", test_property_join},
	      {"reproducible", test_reproducible})
