/* The relay windows (docs/protocol.md, "Late delivery and the relay"):
 * late-to-some at 4, 7 and 16 peers gives no honest ban and identical
 * replicas; with the relay off the same attack splits the honest stores;
 * honest runs send no RELAY; the schedule is what the docs say; a RELAY
 * with a bad chain is dropped and counted, never used. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/proto.h"
#include "byz/swarm.h"
#include "byz/wire.h"
#include "byz_test.h"

static const int late[] = {BYZ_ATK_LATE_TO_SOME};

static struct byz_swarm *run(uint32_t n, uint32_t nbyz, uint32_t steps, uint64_t seed,
			     int relay_off)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = n;
	c.nbyz = nbyz;
	c.attacks = late;
	c.nattacks = nbyz ? 1 : 0;
	c.steps = steps;
	c.seed = seed;
	c.d = 64; /* the attack is on the control plane: small vectors keep CPU low */
	c.run.relay_off = (uint32_t)relay_off;
	int err;
	struct byz_swarm *s = byz_swarm_new(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	byz_swarm_run(s);
	return s;
}

static void check_agreed(uint32_t n, uint32_t nbyz, uint64_t seed)
{
	struct byz_swarm *s = run(n, nbyz, 3, seed, 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	int ok = r->finished && r->honest_banned == 0 && r->replicas_identical &&
		 r->bans_consistent && r->nbans == 0 && r->type_msgs[BYZ_MSG_RELAY] > 0;
	if (!ok)
		fprintf(stderr,
			"FAILED late-to-some n=%u byzantine=%u seed=%" PRIu64 ": finished=%d "
			"honest_banned=%u identical=%d consistent=%d bans=%zu relays=%" PRIu64
			" (replay: byz-swarm --peers %u --byzantine %u --attack late-to-some "
			"--steps 3 --dim 64 --seed %" PRIu64 ")\n",
			n, nbyz, seed, r->finished, r->honest_banned, r->replicas_identical,
			r->bans_consistent, r->nbans, r->type_msgs[BYZ_MSG_RELAY], n, nbyz, seed);
	CU_ASSERT(ok);
	byz_swarm_free(s);
}

/* One attacker alone: half the honest peers get its broadcasts 1 ms before
 * each deadline; f = floor((n-1)/2) colluders: chains through them, one
 * more honest peer per window. */
static void test_late_to_some(void)
{
	uint64_t seed = byz_test_seed();
	for (uint64_t k = 0; k < 2; k++) {
		check_agreed(4, 1, seed + k);
		check_agreed(7, 1, seed + k);
		check_agreed(7, 3, seed + k);
	}
	check_agreed(16, 7, seed);
}

/* Late-to-some next to provable lies (colluders: the liars relay too):
 * every liar is banned, the late one and no honest peer is. */
static void test_mixed(void)
{
	static const int atk[] = {BYZ_ATK_LATE_TO_SOME, BYZ_ATK_EQUIV_COMMIT,
				  BYZ_ATK_LIE_PROJECTION};
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = 7;
	c.nbyz = 3;
	c.attacks = atk;
	c.nattacks = 3;
	c.steps = 3;
	c.seed = byz_test_seed();
	c.d = 64;
	struct byz_swarm *s = byz_swarm_new(&c, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(byz_swarm_run(s), 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT(r->finished && r->honest_banned == 0 && r->replicas_identical &&
		  r->bans_consistent);
	for (uint32_t b = 0; b < r->nbyz; b++) {
		int banned = 0;
		for (size_t k = 0; k < r->nbans; k++)
			banned |= r->bans[k].peer == r->byz[b];
		CU_ASSERT_EQUAL(banned, byz_attack_bans(r->byz_attack[b]));
	}
	byz_swarm_free(s);
}

/* The same attack with the relay off (the pre-relay barrier) splits the
 * honest stores: the gap the relay closes is real, not hypothetical. */
static void test_relay_off_breaks(void)
{
	uint64_t seed = byz_test_seed();
	unsigned broken = 0;
	for (uint64_t k = 0; k < 2; k++) {
		struct byz_swarm *s = run(4, 1, 3, seed + k, 1);
		const struct byz_swarm_report *r = byz_swarm_report(s);
		broken += !r->replicas_identical || r->honest_banned > 0 || !r->bans_consistent;
		CU_ASSERT_EQUAL(r->type_msgs[BYZ_MSG_RELAY], 0);
		byz_swarm_free(s);
	}
	CU_ASSERT_EQUAL(broken, 2);
}

/* Honest messages arrive before the digests that list them, so an honest
 * run (lossy, duplicating, partitioned network) relays nothing. */
static void test_honest_no_relay(void)
{
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.n = 7;
	c.steps = 3;
	c.seed = byz_test_seed();
	c.d = 64;
	c.net.loss = 0.1;
	c.net.dup = 0.1;
	c.net.partition_rate = 0.3;
	struct byz_swarm *s = byz_swarm_new(&c, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(byz_swarm_run(s), 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CU_ASSERT(r->finished && r->replicas_identical && r->nbans == 0);
	CU_ASSERT_EQUAL(r->type_msgs[BYZ_MSG_RELAY], 0);
	CU_ASSERT_EQUAL(byz_peer_relays_sent(byz_swarm_peer(s, 0)), 0);
	CU_ASSERT_EQUAL(byz_peer_relay_windows(byz_swarm_peer(s, 0)), 4);
	byz_swarm_free(s);
}

/* W = f + 1 and 9 D + (5 W + 1) Delta per attempt (docs/protocol.md). */
static void test_schedule(void)
{
	struct byz_run r;
	memset(&r, 0, sizeof(r));
	byz_run_defaults(&r);
	CU_ASSERT_EQUAL(byz_relay_windows(&r, 4), 2);
	CU_ASSERT_EQUAL(byz_relay_windows(&r, 7), 4);
	CU_ASSERT_EQUAL(byz_relay_windows(&r, 16), 8);
	uint64_t D = r.phase_us, dl = D / 3;
	CU_ASSERT_EQUAL(byz_run_attempt_us(&r, 4), 9 * D + 11 * dl);
	CU_ASSERT_EQUAL(byz_run_attempt_us(&r, 16), 9 * D + 41 * dl);
	r.relay_f = 2;
	CU_ASSERT_EQUAL(byz_relay_windows(&r, 16), 3);
	r.late_us = 20000;
	CU_ASSERT_EQUAL(byz_run_attempt_us(&r, 16), 9 * D + 16 * 20000);
	r.relay_off = 1;
	CU_ASSERT_EQUAL(byz_relay_windows(&r, 16), 0);
	CU_ASSERT_EQUAL(byz_run_attempt_us(&r, 16), 9 * D);
}

/* A peer in phase COMMIT_DIG gets RELAYs of a COMMIT it lacks: a forged
 * chain signature or a forged outer signature is dropped and counted
 * (BYZ_PDROP_RELAY); a non-member relayer is refused; a good one is used,
 * and then re-relayed by this peer (it came after the digest); a second
 * version found in a window is accused as an equivocation. */
static void test_hostile_relay(void)
{
	CU_ASSERT_FATAL(sodium_init() >= 0);
	enum { N = 4 };
	uint8_t run_id[32], roster[32 * N], sks[N][64];
	byz_swarm_derive_keys(77, N, run_id, roster, sks);
	struct byz_run run;
	memset(&run, 0, sizeof(run));
	byz_run_defaults(&run);
	memcpy(run.run_id, run_id, 32);
	run.n = N;
	run.roster = roster;
	run.d = 16;
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, run.d, 8), 0);
	struct byz_peer_cfg pc = {.run = &run, .self = 0, .sk = sks[0],
				  .oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy}};
	struct byz_peer *p = byz_peer_new(&pc, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(byz_peer_start(p, 0), 0);
	struct byz_out o;
	while (byz_peer_pop_out(p, &o))
		free(o.buf);
	uint64_t t = run.phase_us + 10000; /* COMMIT_DIG, after its digest */
	CU_ASSERT_EQUAL(byz_peer_on_tick(p, t), 0);
	CU_ASSERT_EQUAL_FATAL(byz_peer_phase(p), BYZ_PH_COMMIT_DIG);
	while (byz_peer_pop_out(p, &o))
		free(o.buf);
	/* peer 3's commit (no parts: a validator-shaped one is enough here) */
	uint8_t pl[68] = {0}, *in, *m;
	size_t il, ml;
	CU_ASSERT_EQUAL_FATAL(byz_wire_put_commit(pl, pl, pl, 0, NULL), 68);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_COMMIT, 3, BYZ_WIRE_BCAST, 0, 0, run_id, pl, 68,
					    sks[3], &in, &il), 0);
	uint8_t sig[64], rp[1024];
	uint16_t rel = 2;
	byz_wire_relay_sign(run_id, in, il, 2, sks[2], sig);
	/* chain signature by the wrong key */
	uint8_t bad[64];
	byz_wire_relay_sign(run_id, in, il, 2, sks[1], bad);
	size_t n = byz_wire_put_relay(rp, 1, &rel, bad, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 2, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[2], &m, &ml), 0);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, t + 1, m, ml), -BYZ_EBADSIG);
	CU_ASSERT_EQUAL(byz_peer_drop_count(p, BYZ_PDROP_RELAY), 1);
	free(m);
	/* outer signature by someone else */
	n = byz_wire_put_relay(rp, 1, &rel, sig, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 2, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[1], &m, &ml), 0);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, t + 2, m, ml), -BYZ_EBADSIG);
	CU_ASSERT_EQUAL(byz_peer_drop_count(p, BYZ_PDROP_RELAY), 2);
	free(m);
	size_t held = byz_peer_held(p);
	/* a relayer outside the roster */
	uint16_t far = 9;
	n = byz_wire_put_relay(rp, 1, &far, sig, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 9, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[2], &m, &ml), 0);
	CU_ASSERT(byz_peer_on_message(p, t + 3, m, ml) < 0);
	free(m);
	CU_ASSERT_EQUAL(byz_peer_held(p), held);
	/* the good one: used, and relayed on with this peer's signature */
	n = byz_wire_put_relay(rp, 1, &rel, sig, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 2, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[2], &m, &ml), 0);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, t + 4, m, ml), 0);
	CU_ASSERT_EQUAL(byz_peer_held(p), held + 1);
	CU_ASSERT_EQUAL(byz_peer_relays_sent(p), 1);
	int relayed = 0;
	while (byz_peer_pop_out(p, &o)) {
		struct byz_msg rm;
		if (byz_wire_parse(o.buf, o.len, &rm) == 0 && rm.type == BYZ_MSG_RELAY) {
			relayed = rm.u.relay.count == 2 && byz_wire_relay_at(&rm, 0, NULL) == 0 &&
				  byz_wire_relay_check(&rm, 0, run_id, roster) == 0 &&
				  byz_wire_relay_check(&rm, 1, run_id, roster + 64) == 0;
		}
		free(o.buf);
	}
	CU_ASSERT(relayed);
	/* a duplicate costs no signature check */
	uint64_t v = byz_peer_verifies(p);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, t + 5, m, ml), 0);
	CU_ASSERT_EQUAL(byz_peer_verifies(p), v);
	free(m);
	/* a second version of 3's commit, first seen in window 1 through a
	 * relay: an equivocation like any other, accused at once */
	uint64_t T = 2 * run.phase_us, dl = run.phase_us / 3;
	free(in);
	pl[40] ^= 1; /* another MPRNG commitment */
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_COMMIT, 3, BYZ_WIRE_BCAST, 0, 0, run_id, pl, 68,
					    sks[3], &in, &il), 0);
	pl[40] ^= 1;
	byz_wire_relay_sign(run_id, in, il, 2, sks[2], sig);
	n = byz_wire_put_relay(rp, 1, &rel, sig, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 2, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[2], &m, &ml), 0);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, T + 10000, m, ml), 0);
	free(m);
	int accused = 0;
	struct byz_event e;
	while (byz_peer_pop_event(p, &e))
		accused |= e.kind == BYZ_EV_ACCUSE && e.peer == 3 && e.reason == BYZ_ACC_EQUIV;
	CU_ASSERT(accused);
	CU_ASSERT_EQUAL(byz_peer_relays_sent(p), 2); /* the second version is relayed too */
	while (byz_peer_pop_out(p, &o))
		free(o.buf);
	/* past the last window (COMMIT_DIG ends at 2 D + W Delta) nothing counts */
	free(in);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_COMMIT, 1, BYZ_WIRE_BCAST, 0, 0, run_id, pl, 68,
					    sks[1], &in, &il), 0);
	rel = 2;
	byz_wire_relay_sign(run_id, in, il, 2, sks[2], sig);
	n = byz_wire_put_relay(rp, 1, &rel, sig, in, il);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_RELAY, 2, BYZ_WIRE_BCAST, 0, 0, run_id, rp,
					    (uint32_t)n, sks[2], &m, &ml), 0);
	CU_ASSERT_EQUAL(byz_peer_on_message(p, T + dl + 1, m, ml), -ETIME); /* window 2, chain 1 */
	free(m);
	/* directly, after T: too late as well */
	CU_ASSERT_EQUAL(byz_peer_on_message(p, T + dl + 2, in, il), -ETIME);
	free(in);
	byz_peer_free(p);
	byz_toy_lsq_free(&toy);
}

BYZ_TEST_MAIN("relay", {"late_to_some", test_late_to_some}, {"mixed", test_mixed},
	      {"relay_off_breaks", test_relay_off_breaks},
	      {"honest_no_relay", test_honest_no_relay}, {"schedule", test_schedule},
	      {"hostile_relay", test_hostile_relay})
