/*
 * Guarantees of docs/security.md that no other test proves (issue 13, item 7),
 * each asserted over the in-process swarm harness (byz/swarm.h):
 *  - nan_part:      a signed part holding NaN/Inf: what happens to its sender,
 *                   and no honest replica is touched;
 *  - tau_bound:     a Byzantine minority moves a part's aggregate by at most
 *                   (b tau + ||R||) / h from the honest mean (the bound derived
 *                   in docs/security.md), measured on every honest aggregate;
 *  - last_revealer: an MPRNG participant that withholds its reveal after seeing
 *                   all others is banned, the step's seed is recomputed without
 *                   it, and its gain is exactly one re-roll (chi-square on the
 *                   seeds' other bytes, fixed seeds: not flaky);
 *  - evidence:      every ban of every protocol attack is re-verified by an
 *                   independent checker (evcheck.c) that reads only the signed
 *                   messages honest peers received and the roster.
 * The test reaches into peers (peer_int.h) only to observe and to install
 * hooks; the protocol runs unchanged.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/swarm.h"
#include "byz_test.h"
#include "evcheck.h"
#include "peer_int.h"

static struct {
	struct byz_swarm *s;
	struct evlog log;
	int record;
	/* nan_part */
	uint16_t byz[BYZ_MAX_PEERS];
	uint32_t nbyz;
	uint64_t nonfinite, byz_in_bitmap, parts_seen, inf_other_parts;
	/* tau_bound */
	uint64_t tb_parts, tb_attacked, tb_viol, tb_honest_clipped, tb_tight;
	double tb_max_ratio, tb_max_dev;
	/* last_revealer */
	int lr_decided, lr_withheld, lr_revealing;
} T;

static void rec_receive(void *ctx, struct byz_peer *p, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)p;
	if (T.record)
		evlog_add(&T.log, buf, len);
}

/* Hooks on an honest peer observe only: the state machine is unchanged. */
static void observe(struct byz_swarm *s, void (*on_phase)(void *, struct byz_peer *, unsigned))
{
	for (uint16_t i = 0; i < byz_swarm_report(s)->n; i++) {
		if (byz_swarm_is_byz(s, i))
			continue;
		struct byz_peer *p = byz_swarm_peer(s, i);
		p->hooks = (struct byz_peer_hooks){.on_receive = rec_receive, .on_phase = on_phase};
		p->has_hooks = 1;
	}
}

static void set_byz_hooks(struct byz_swarm *s, const struct byz_peer_hooks *h)
{
	const struct byz_swarm_report *r = byz_swarm_report(s);
	T.nbyz = r->nbyz;
	for (uint32_t b = 0; b < r->nbyz; b++) {
		T.byz[b] = r->byz[b];
		struct byz_peer *p = byz_swarm_peer(s, r->byz[b]);
		p->hooks = *h;
		p->has_hooks = 1;
	}
}

static int ban_of(const struct byz_swarm_report *r, uint16_t who, struct byz_ban_rec *out)
{
	for (size_t k = 0; k < r->nbans; k++)
		if (r->bans[k].peer == who) {
			*out = r->bans[k];
			return 1;
		}
	return 0;
}

/* ---------- (a) NaN / Inf in a signed part ---------- */

static void nan_gradient(void *ctx, struct byz_peer *p, float *g, size_t d)
{
	(void)ctx;
	/* the first attacker puts NaN in every fifth coordinate, the second +Inf in one */
	int first = byz_peer_self(p) == T.byz[0];
	for (size_t c = 0; c < d; c++)
		if (first ? c % 5 == 0 : c == 3)
			g[c] = first ? NAN : INFINITY;
}

static void nan_observe(void *ctx, struct byz_peer *p, unsigned phase)
{
	(void)ctx;
	if (phase != BYZ_PH_REVEAL)
		return;
	for (uint16_t j = 0; j < p->n_parts; j++) {
		if (p->agg_of[j] != p->self || !p->have_y[j])
			continue;
		T.parts_seen++;
		struct held *r = store_find(p, BYZ_MSG_RESULT, p->self, j, 0);
		/* the NaN sender's every part, and the Inf sender's part 0 (which
		 * holds coordinate 3), are non-finite: none may be aggregated */
		if (r) {
			T.byz_in_bitmap += BITTST(r->m.u.result.bitmap, T.byz[0]);
			if (j == 0)
				T.byz_in_bitmap += BITTST(r->m.u.result.bitmap, T.byz[1]);
			else
				T.inf_other_parts += BITTST(r->m.u.result.bitmap, T.byz[1]);
		}
		for (uint32_t c = 0; c < p->L; c++)
			T.nonfinite += !isfinite(p->y[(size_t)j * p->L + c]);
	}
}

static void nan_progress(void *ctx, const struct byz_swarm *s, uint64_t step)
{
	(void)ctx;
	(void)step;
	const struct byz_swarm_report *r = byz_swarm_report(s);
	int all = 1;
	for (uint16_t i = 0; i < r->n; i++) {
		if (byz_swarm_is_byz(s, i))
			continue;
		const float *x = byz_peer_params(byz_swarm_peer(s, i));
		for (size_t c = 0; c < 256; c++)
			T.nonfinite += !isfinite(x[c]);
		for (uint32_t b = 0; b < T.nbyz; b++)
			all &= byz_peer_has_banned(byz_swarm_peer(s, i), T.byz[b]);
	}
	if (all)
		byz_swarm_stop(T.s);
}

static void test_nan_part(void)
{
	memset(&T, 0, sizeof(T));
	static const int atk[] = {BYZ_ATK_NONE};
	struct byz_swarm_cfg cfg;
	byz_swarm_defaults(&cfg);
	cfg.n = 7;
	cfg.nbyz = 2;
	cfg.attacks = atk;
	cfg.nattacks = 1;
	cfg.steps = 40;
	cfg.seed = byz_test_seed();
	cfg.progress = nan_progress;
	int err;
	struct byz_swarm *s = byz_swarm_new(&cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	T.s = s;
	observe(s, nan_observe);
	struct byz_peer_hooks h = {.on_gradient = nan_gradient};
	set_byz_hooks(s, &h);
	byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	uint64_t parse_drops = 0;
	for (uint16_t i = 0; i < r->n; i++)
		if (!byz_swarm_is_byz(s, i))
			parse_drops += byz_peer_drop_count(byz_swarm_peer(s, i), BYZ_PDROP_PARSE);
	printf("\n    nan_part: %llu steps, %llu honest aggregates, %llu parse drops at honest "
	       "peers, Inf sender's finite parts aggregated %llu times\n",
	       (unsigned long long)r->steps_done, (unsigned long long)T.parts_seen,
	       (unsigned long long)parse_drops, (unsigned long long)T.inf_other_parts);
	/* honest replicas: identical, finite, nobody honest banned */
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_EQUAL(T.nonfinite, 0);
	CU_ASSERT(T.parts_seen > 0);
	/* the non-finite parts never reach CenteredClip: the parser refuses them
	 * (-EDOM) and the part is left out of the aggregate like a lost one */
	CU_ASSERT_EQUAL(T.byz_in_bitmap, 0);
	CU_ASSERT(parse_drops > 0);
	/* only the part that holds the bad value is refused: the Inf sender's
	 * finite parts are aggregated as usual */
	CU_ASSERT(T.inf_other_parts > 0);
	/* the sender: it signed a PART whose payload does not parse, which is
	 * evidence by itself (ACCUSE malformed): banned `malformed` in the
	 * first step, by the aggregator that received it */
	for (uint32_t b = 0; b < T.nbyz; b++) {
		struct byz_ban_rec br;
		int banned = ban_of(r, T.byz[b], &br);
		CU_ASSERT(banned);
		if (banned) {
			printf("    peer %u (%s): banned %s at step %llu, accuser %d\n", T.byz[b],
			       b == 0 ? "NaN" : "Inf", byz_ban_reason_name(br.reason),
			       (unsigned long long)br.step, br.accuser);
			CU_ASSERT_EQUAL(br.reason, BYZ_BAN_MALFORMED);
			CU_ASSERT_EQUAL(br.step, 0);
			CU_ASSERT(br.accuser >= 0);
		}
	}
	byz_swarm_free(s);
}

/* ---------- (b) the clipping bound, at swarm level ---------- */

static void huge_gradient(void *ctx, struct byz_peer *p, float *g, size_t d)
{
	(void)ctx;
	(void)p;
	for (size_t c = 0; c < d; c++)
		g[c] *= -1e6f;
}

static void tau_observe(void *ctx, struct byz_peer *p, unsigned phase)
{
	(void)ctx;
	if (phase != BYZ_PH_REVEAL)
		return;
	uint32_t L = p->L;
	double *mu = calloc(L, sizeof(double)), *R = calloc(L, sizeof(double));
	float *v = malloc(L * sizeof(float));
	if (!mu || !R || !v)
		goto out;
	for (uint16_t j = 0; j < p->n_parts; j++) {
		if (p->agg_of[j] != p->self || !p->have_y[j])
			continue;
		struct held *res = store_find(p, BYZ_MSG_RESULT, p->self, j, 0);
		if (!res)
			continue;
		const float *y = p->y + (size_t)j * L;
		memset(mu, 0, L * sizeof(double));
		memset(R, 0, L * sizeof(double));
		uint32_t h = 0, b = 0;
		for (uint16_t i = 0; i < p->run.n; i++) {
			if (!BITTST(res->m.u.result.bitmap, i))
				continue;
			struct byz_msg m;
			uint8_t *raw = p->part_buf[PB_IDX(j, i)];
			if (!raw || byz_wire_parse(raw, p->part_len[PB_IDX(j, i)], &m) < 0)
				continue;
			byz_wire_vec_copy(&m, v);
			double dist = 0;
			for (uint32_t c = 0; c < L; c++)
				dist += ((double)v[c] - y[c]) * ((double)v[c] - y[c]);
			dist = sqrt(dist);
			double w = dist > p->run.tau ? p->run.tau / dist : 1.0;
			for (uint32_t c = 0; c < L; c++)
				R[c] += w * ((double)v[c] - y[c]);
			if (byz_swarm_is_byz(T.s, i)) {
				b++;
			} else {
				h++;
				T.tb_honest_clipped += dist > p->run.tau;
				for (uint32_t c = 0; c < L; c++)
					mu[c] += v[c];
			}
		}
		if (h == 0)
			continue;
		double dev = 0, rn = 0;
		for (uint32_t c = 0; c < L; c++) {
			double e = mu[c] / h - y[c];
			dev += e * e;
			rn += R[c] * R[c];
		}
		dev = sqrt(dev);
		rn = sqrt(rn);
		/* docs/security.md: h (mu_H - y) = R - sum_B w_i (v_i - y), each term of
		 * the sum at most tau long, so ||y - mu_H|| <= (b tau + ||R||) / h */
		double bound = (b * p->run.tau + rn) / h;
		T.tb_parts++;
		T.tb_attacked += b > 0;
		if (dev > bound * (1 + 1e-9) + 1e-12)
			T.tb_viol++;
		if (b > 0 && bound > 0) {
			double ratio = dev / bound;
			if (ratio > T.tb_max_ratio)
				T.tb_max_ratio = ratio;
			T.tb_tight += ratio > 0.5;
		}
		if (dev > T.tb_max_dev)
			T.tb_max_dev = dev;
		/* the solver's residual is what the bound allows beyond b tau / h */
		if (rn > (h + b) * p->run.eps * (1 + 1e-6))
			T.tb_viol++;
	}
out:
	free(mu);
	free(R);
	free(v);
}

static void test_tau_bound(void)
{
	memset(&T, 0, sizeof(T));
	static const int atk[] = {BYZ_ATK_NONE};
	struct byz_swarm_cfg cfg;
	byz_swarm_defaults(&cfg);
	cfg.n = 7;
	cfg.nbyz = 3;
	cfg.attacks = atk;
	cfg.nattacks = 1;
	cfg.steps = 4;
	cfg.seed = byz_test_seed();
	int err;
	struct byz_swarm *s = byz_swarm_new(&cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	T.s = s;
	observe(s, tau_observe);
	struct byz_peer_hooks h = {.on_gradient = huge_gradient};
	set_byz_hooks(s, &h);
	byz_swarm_run(s);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	printf("\n    tau_bound: %llu honest aggregates (%llu with Byzantine inputs), max "
	       "||y - mu_H|| = %.4g, max ratio to the bound %.4f (%llu above 0.5), honest "
	       "inputs clipped %llu\n", (unsigned long long)T.tb_parts,
	       (unsigned long long)T.tb_attacked, T.tb_max_dev, T.tb_max_ratio,
	       (unsigned long long)T.tb_tight, (unsigned long long)T.tb_honest_clipped);
	CU_ASSERT(r->finished);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT(T.tb_attacked > 0);     /* the attack reached aggregates */
	CU_ASSERT_EQUAL(T.tb_viol, 0);    /* and never moved one beyond the bound */
	CU_ASSERT(T.tb_tight > 0);        /* the bound is nearly reached: not vacuous */
	CU_ASSERT(T.tb_max_ratio <= 1.0 + 1e-9);
	/* the precondition of the simple form: honest inputs within tau */
	CU_ASSERT_EQUAL(T.tb_honest_clipped, 0);
	byz_swarm_free(s);
}

/* ---------- (c) the last revealer of the MPRNG ---------- */

static int lr_send(void *ctx, struct byz_peer *p, struct byz_send *sd)
{
	(void)ctx;
	/* hold the reveal back in attempt 0 until the others have revealed */
	return sd->type == BYZ_MSG_REVEAL && p->step == 0 && p->attempt == 0 && !T.lr_revealing;
}

static void lr_phase(void *ctx, struct byz_peer *p, unsigned phase)
{
	(void)ctx;
	if (phase != BYZ_PH_REVEAL_DIG || p->step != 0 || p->attempt != 0 || T.lr_decided)
		return;
	T.lr_decided = 1;
	/* r_t with its own reveal, from everyone else's (all in by now) */
	uint8_t r[32];
	memcpy(r, p->rho, 32);
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (i == p->self || !p->committer[i])
			continue;
		struct held *h = store_find(p, BYZ_MSG_REVEAL, i, 0, 0);
		if (!h) {
			T.lr_decided = 2; /* someone missing: not the last revealer */
			return;
		}
		for (int b = 0; b < 32; b++)
			r[b] ^= h->m.u.reveal.rho[b];
	}
	if ((r[0] & 1) == 0) { /* the outcome it wants: reveal, late but in time */
		T.lr_revealing = 1;
		peer_send(p, BYZ_MSG_REVEAL, BYZ_WIRE_BCAST, p->rho, 32, 0);
		T.lr_revealing = 0;
	} else {
		T.lr_withheld = 1;
	}
}

static void test_last_revealer(void)
{
	enum { RUNS = 160 };
	static const int atk[] = {BYZ_ATK_NONE};
	unsigned hist[256] = {0}, bits[8] = {0};
	unsigned good = 0, withheld = 0, good_w = 0, protocol_ok = 0, seed_ok = 0;
	for (unsigned k = 0; k < RUNS; k++) {
		memset(&T, 0, sizeof(T));
		struct byz_swarm_cfg cfg;
		byz_swarm_defaults(&cfg);
		cfg.n = 4;
		cfg.nbyz = 1;
		cfg.attacks = atk;
		cfg.nattacks = 1;
		cfg.steps = 1;
		cfg.d = 16;
		cfg.seed = byz_test_seed() * 7919u + k;
		int err;
		struct byz_swarm *s = byz_swarm_new(&cfg, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		T.s = s;
		struct byz_peer_hooks h = {.on_send = lr_send, .on_phase = lr_phase};
		set_byz_hooks(s, &h);
		byz_swarm_run(s);
		const struct byz_swarm_report *r = byz_swarm_report(s);
		uint16_t atkid = T.byz[0], hon = 0;
		while (byz_swarm_is_byz(s, hon))
			hon++;
		const struct byz_peer *p = byz_swarm_peer(s, hon);
		/* the step's seed, recomputed independently from the secret keys:
		 * XOR of the MPRNG secrets of every committer of the final attempt */
		uint8_t run_id[32], roster[4 * 32], sks[4][64], want[32] = {0}, rho[32];
		byz_swarm_derive_keys(cfg.seed, 4, run_id, roster, sks);
		uint16_t fa = p->prev_attempt;
		for (uint16_t i = 0; i < 4; i++) {
			if (i == atkid && (T.lr_withheld || fa != 0))
				continue;
			byz_mprng_rho(sks[i], run_id, 0, fa, rho);
			for (int b = 0; b < 32; b++)
				want[b] ^= rho[b];
		}
		sodium_memzero(sks, sizeof(sks));
		seed_ok += r->steps_done >= 1 && memcmp(want, p->r_prev, 32) == 0;
		struct byz_ban_rec br;
		int banned = ban_of(r, atkid, &br);
		if (T.lr_withheld)
			protocol_ok += banned && br.reason == BYZ_BAN_REVEAL && br.accuser == -1 &&
				       br.step == 0 && fa == 1 && r->bans_consistent &&
				       r->honest_banned == 0;
		else
			protocol_ok += T.lr_decided == 1 && !banned && fa == 0 && r->nbans == 0;
		int g = (p->r_prev[0] & 1) == 0;
		good += g;
		withheld += T.lr_withheld;
		good_w += T.lr_withheld && g;
		for (int b = 1; b < 32; b++)
			hist[p->r_prev[b]]++;
		for (int b = 1; b < 8; b++)
			bits[b] += (p->r_prev[0] >> b) & 1;
		byz_swarm_free(s);
	}
	double chi = 0, e = RUNS * 31.0 / 256.0;
	for (int v = 0; v < 256; v++)
		chi += (hist[v] - e) * (hist[v] - e) / e;
	printf("\n    last_revealer: %u runs, withheld %u (all banned, seed recomputed without "
	       "it: %u/%u protocol, %u/%u seeds); wanted bit: %.3f overall (one re-roll gives "
	       "0.75), %.3f after a withholding; chi-square of bytes 1-31: %.1f (df 255)\n",
	       RUNS, withheld, protocol_ok, RUNS, seed_ok, RUNS, (double)good / RUNS,
	       withheld ? (double)good_w / withheld : 0.0, chi);
	CU_ASSERT_EQUAL(protocol_ok, RUNS);
	CU_ASSERT_EQUAL(seed_ok, RUNS);
	/* the attacker withholds about half the time ... */
	CU_ASSERT(withheld > RUNS * 0.35 && withheld < RUNS * 0.65);
	/* ... and the re-rolled seed is independent of its choice: the wanted bit
	 * is a coin after a withholding, so it gains one re-roll, no more */
	CU_ASSERT(good_w > withheld * 0.3 && good_w < withheld * 0.7);
	CU_ASSERT(good > RUNS * 0.63 && good < RUNS * 0.87);
	/* every other bit stays uniform: chi-square below its 99.99% point (~347) */
	CU_ASSERT(chi < 350.0);
	for (int b = 1; b < 8; b++)
		CU_ASSERT(bits[b] > RUNS * 0.34 && bits[b] < RUNS * 0.66);
}

/* ---------- (d) independent re-verification of ban evidence ---------- */

static void test_evidence(void)
{
	static const int attacks[] = {BYZ_ATK_BAD_PART,       BYZ_ATK_EQUIV_COMMIT,
				      BYZ_ATK_EQUIV_RESULT,   BYZ_ATK_WRONG_AGGREGATE,
				      BYZ_ATK_LIE_PROJECTION, BYZ_ATK_FALSE_ACCUSE,
				      BYZ_ATK_WITHHOLD_REVEAL, BYZ_ATK_WRONG_REVEAL,
				      BYZ_ATK_SIGNED_MALFORMED};
	printf("\n");
	for (size_t a = 0; a < sizeof(attacks) / sizeof(attacks[0]); a++) {
		memset(&T, 0, sizeof(T));
		struct byz_swarm_cfg cfg;
		byz_swarm_defaults(&cfg);
		cfg.n = 7;
		cfg.nbyz = 3;
		cfg.attacks = &attacks[a];
		cfg.nattacks = 1;
		cfg.steps = 2;
		cfg.d = 64;
		cfg.seed = byz_test_seed();
		int err;
		struct byz_swarm *s = byz_swarm_new(&cfg, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		T.s = s;
		T.record = 1;
		observe(s, NULL);
		byz_swarm_run(s);
		const struct byz_swarm_report *r = byz_swarm_report(s);
		const struct byz_peer *p0 = byz_swarm_peer(s, 0);
		struct evcheck c = {.run_id = p0->run.run_id, .roster = p0->roster0, .n = r->n,
				    .d = cfg.d, .tau = p0->run.tau, .eps = p0->run.eps,
				    .kappa = p0->run.kappa, .log = &T.log};
		CU_ASSERT_EQUAL_FATAL(evcheck_init(&c), 0);
		struct evlog empty = {0};
		struct evcheck c0 = c;
		c0.log = &empty;
		CU_ASSERT_EQUAL_FATAL(evcheck_init(&c0), 0);
		unsigned agree = 0, refuted_fake = 0, without_log = 0;
		uint16_t honest = 0;
		while (byz_swarm_is_byz(s, honest))
			honest++;
		for (size_t k = 0; k < r->nbans; k++) {
			const struct byz_ban_rec *b = &r->bans[k];
			char why[256];
			int v = evcheck_ban(&c, b->peer, b->step, b->reason, b->accuser, why,
					    sizeof(why));
			agree += v == 1;
			if (v != 1)
				printf("    %s: ban of %u (%s, accuser %d) NOT confirmed: %s\n",
				       byz_attack_name(attacks[a]), b->peer,
				       byz_ban_reason_name(b->reason), b->accuser, why);
			else if (k == 0)
				printf("    %-18s %zu bans, e.g. %u %s: %s\n",
				       byz_attack_name(attacks[a]), r->nbans, b->peer,
				       byz_ban_reason_name(b->reason), why);
			/* the checker can say no: the same ban of an honest peer, or
			 * with no recorded evidence, is not proven */
			int32_t acc = b->accuser == (int32_t)honest ? -1 : b->accuser;
			refuted_fake += evcheck_ban(&c, honest, b->step, b->reason, acc, why,
						    sizeof(why)) == 0;
			without_log += evcheck_ban(&c0, b->peer, b->step, b->reason, b->accuser,
						   why, sizeof(why)) == 0;
		}
		CU_ASSERT_EQUAL(r->nbans, cfg.nbyz);
		CU_ASSERT_EQUAL(r->honest_banned, 0);
		CU_ASSERT(r->bans_consistent);
		CU_ASSERT_EQUAL(agree, r->nbans);
		CU_ASSERT_EQUAL(refuted_fake, r->nbans);
		CU_ASSERT_EQUAL(without_log, r->nbans);
		evcheck_fini(&c);
		evcheck_fini(&c0);
		evlog_free(&T.log);
		byz_swarm_free(s);
	}
}

int main(void)
{
	static const struct byz_test_case cases[] = {
		{"a signed part holding NaN/Inf", test_nan_part},
		{"a Byzantine minority moves an aggregate at most (b tau + |R|)/h", test_tau_bound},
		{"the last MPRNG revealer gains one re-roll, at the price of a ban",
		 test_last_revealer},
		{"every ban re-verified by an independent evidence checker", test_evidence},
		{NULL, NULL},
	};
	return byz_test_run("guarantees", cases);
}
