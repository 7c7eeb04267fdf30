/* ByzShield mode: the vote, the wire format of its messages, the audit draw,
 * and whole runs (honest, worst-case colluders, provable liars, false
 * accusers, liars hidden from the vote, adaptive withholders). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/shield_run.h"
#include "byz/swarm.h"
#include "byz/wire.h"
#include "byz_test.h"

#define D 24

struct env {
	struct byz_shield_assign *a;
	struct byz_toy_lsq toy;
	struct byz_shield_run_cfg c;
};

static void env_init(struct env *e, enum byz_shield_kind kind, uint32_t p1, uint32_t p2)
{
	int err;
	e->a = byz_shield_build(kind, p1, p2, &err);
	CU_ASSERT_FATAL(e->a != NULL);
	uint8_t rid[32] = {1, 2, 3};
	CU_ASSERT_FATAL(byz_toy_lsq_init(&e->toy, rid, D, 8) == 0);
	byz_shield_run_defaults(&e->c);
	e->c.assign = e->a;
	e->c.oracle = (struct byz_oracle){.grad = byz_toy_lsq_grad, .ctx = &e->toy};
	e->c.d = D;
	e->c.seed = byz_test_seed_used;
	e->c.steps = 3;
	e->c.tau = 10;
}

static void env_free(struct env *e)
{
	byz_shield_free(e->a);
	byz_toy_lsq_free(&e->toy);
}

/* Honest run: every file voted unanimously, K l gradients per step, replicas
 * identical, nobody banned, the model learns. */
static void test_honest(void)
{
	struct env e;
	env_init(&e, BYZ_SHIELD_MOLS, 5, 3);
	e.c.steps = 4;
	int err;
	struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
	CU_ASSERT_FATAL(s != NULL);
	float zero[D] = {0};
	double d0 = byz_toy_lsq_dist(&e.toy, zero);
	CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
	const struct byz_shield_report *r = byz_shield_run_report(s);
	CU_ASSERT_EQUAL(r->steps_done, 4);
	CU_ASSERT_EQUAL(r->files_voted, 4u * 25);
	CU_ASSERT_EQUAL(r->files_distorted, 0);
	CU_ASSERT_EQUAL(r->files_dropped, 0);
	CU_ASSERT_EQUAL(r->disagreements, 0);
	CU_ASSERT_EQUAL(r->accusations, 0);
	CU_ASSERT_EQUAL(r->nbans, 0);
	CU_ASSERT_EQUAL(r->grad_calls, 4u * 15 * 5);
	CU_ASSERT_EQUAL(r->audit_calls, 4u); /* one audit a step, every auditor honest */
	CU_ASSERT_EQUAL(r->withheld, 0);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	CU_ASSERT_EQUAL(r->first_attack_step, -1);
	CU_ASSERT(byz_toy_lsq_dist(&e.toy, byz_shield_run_params(s)) < d0);
	/* bytes: 15 commits of 4+36*5+32 payload, 25 vectors of 8+4*D and 15
	 * reveals of 32, each to 14 */
	uint64_t per = 15u * (56 + 216 + 64) + 25u * (56 + 8 + 4 * D + 64) + 15u * (56 + 32 + 64);
	CU_ASSERT_EQUAL(r->bytes, 4u * 14u * per);
	byz_shield_run_free(s);
	env_free(&e);
}

/* Omniscient colluders on a maximising set: the first attacked vote distorts
 * exactly c_max(q) files; liars with an honest co-replica are banned; no
 * honest worker ever is. */
static void worst_case(enum byz_shield_kind kind, uint32_t p1, uint32_t p2, uint32_t q)
{
	struct env e;
	env_init(&e, kind, p1, p2);
	int err;
	struct byz_shield_search *ss = byz_shield_search_new(e.a, 1, &err);
	CU_ASSERT_FATAL(ss != NULL);
	struct byz_shield_worst w;
	CU_ASSERT_FATAL(byz_shield_worst_case(ss, q, NULL, &w) == 0);
	CU_ASSERT(w.exact);
	CU_ASSERT_EQUAL(byz_shield_distorted(e.a, w.set, q), (int)w.c_best);
	e.c.nbyz = q;
	e.c.byz_set = w.set;
	e.c.majority_only = 1;
	e.c.attack = BYZ_ATK_SIGN_FLIP;
	e.c.audits = 0; /* what the vote alone catches */
	struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
	const struct byz_shield_report *r = byz_shield_run_report(s);
	if (w.c_best > 0) {
		CU_ASSERT_EQUAL(r->first_attack_step, 0);
		CU_ASSERT_EQUAL(r->first_distorted + r->first_dropped, w.c_best);
		CU_ASSERT_EQUAL(r->first_distorted, w.c_best); /* odd r: no ties */
	}
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	/* A liar is banned iff one of its distorted files has an honest replica. */
	for (uint32_t b = 0; b < q; b++) {
		int exposed = 0;
		for (uint32_t k = 0; k < e.a->l; k++) {
			uint32_t j = e.a->worker_files[(size_t)w.set[b] * e.a->l + k], nb = 0;
			for (uint32_t x = 0; x < e.a->r; x++)
				for (uint32_t y = 0; y < q; y++)
					nb += e.a->file_workers[(size_t)j * e.a->r + x] == w.set[y];
			exposed |= nb >= e.a->majority && nb < e.a->r;
		}
		int banned = 0;
		for (size_t i = 0; i < r->nbans; i++)
			banned |= r->bans[i].worker == w.set[b] && r->bans[i].step == 0 &&
				  !r->bans[i].false_accusation;
		CU_ASSERT_EQUAL(banned, exposed);
	}
	/* After the bans, the distorted files no longer win. */
	CU_ASSERT(r->files_distorted <= w.c_best);
	byz_shield_run_free(s);
	byz_shield_search_free(ss);
	env_free(&e);
}

static void test_worst_case(void)
{
	for (uint32_t q = 2; q <= 5; q++)
		worst_case(BYZ_SHIELD_MOLS, 5, 3, q);
	worst_case(BYZ_SHIELD_RAMANUJAN, 5, 3, 4);
}

/* Sign-flip on every file from a random set: every attacker is a provable
 * liar (MOLS(5,3), q = 3 leaves an honest co-replica everywhere). */
static void test_liars_banned(void)
{
	struct env e;
	env_init(&e, BYZ_SHIELD_MOLS, 5, 3);
	e.c.nbyz = 3;
	e.c.attack_start = 1;
	int err;
	struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
	const struct byz_shield_report *r = byz_shield_run_report(s);
	CU_ASSERT_EQUAL(r->first_attack_step, 1);
	CU_ASSERT_EQUAL(r->nbans, 3);
	for (size_t i = 0; i < r->nbans; i++) {
		CU_ASSERT_EQUAL(r->bans[i].step, 1);
		CU_ASSERT(!r->bans[i].false_accusation);
		int byz = 0;
		for (uint32_t b = 0; b < 3; b++)
			byz |= r->byz[b] == r->bans[i].worker;
		CU_ASSERT(byz);
	}
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	CU_ASSERT(r->adjud_calls > 0);
	byz_shield_run_free(s);
	env_free(&e);
}

/* False accusers lose their identity; the accused honest worker stays. */
static void test_false_accuser(void)
{
	struct env e;
	env_init(&e, BYZ_SHIELD_RAMANUJAN, 5, 3);
	e.c.nbyz = 2;
	e.c.attack = BYZ_ATK_NONE;
	e.c.false_accuse = 1;
	int err;
	struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
	const struct byz_shield_report *r = byz_shield_run_report(s);
	CU_ASSERT_EQUAL(r->nbans, 2);
	for (size_t i = 0; i < r->nbans; i++)
		CU_ASSERT(r->bans[i].false_accusation);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT_EQUAL(r->files_distorted, 0);
	CU_ASSERT(r->replicas_identical);
	byz_shield_run_free(s);
	env_free(&e);
}

static void test_vote(void)
{
	uint8_t h[5 * 32] = {0}, p[5] = {1, 1, 1, 1, 1};
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 3, 2), 0); /* unanimous */
	h[0] = 1;
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 3, 2), 1); /* 0 disagrees */
	h[32] = 2;
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 3, 2), -1); /* three classes */
	h[64] = 1;
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 3, 2), 0); /* {0, 2} */
	p[2] = 0;
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 3, 2), -1); /* absent replica votes nothing */
	memset(h, 7, sizeof(h));
	memset(p, 1, sizeof(p));
	h[0] = h[32] = 9;
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 5, 3), 2);
	CU_ASSERT_EQUAL(byz_shield_vote(NULL, p, 5, 3), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_vote(h, p, 5, 0), -EINVAL);
}

/* ---------- wire ---------- */

static uint8_t pk[2][32], sk[2][64], rid[32] = {9};

static void keys(void)
{
	CU_ASSERT_FATAL(sodium_init() >= 0);
	for (int i = 0; i < 2; i++) {
		uint8_t seed[32] = {(uint8_t)(i + 1)};
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
}

static int open_as(const uint8_t *b, size_t n)
{
	struct byz_smsg m;
	return byz_swire_open(b, n, rid, &pk[0][0], 2, &m);
}

static void test_wire(void)
{
	keys();
	uint32_t files[3] = {2, 7, 11};
	uint8_t hs[96];
	for (int i = 0; i < 96; i++)
		hs[i] = (uint8_t)i;
	uint8_t pl[4 + 36 * 3 + 32], mc[32] = {0xc0, 0xff, 0xee};
	size_t n = byz_swire_put_commit(pl, 3, files, hs, mc);
	CU_ASSERT_EQUAL(n, sizeof(pl));
	uint8_t *m;
	size_t ml;
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, pl, (uint32_t)n, sk[1], &m, &ml) == 0);
	struct byz_smsg pm;
	CU_ASSERT_EQUAL(byz_swire_open(m, ml, rid, &pk[0][0], 2, &pm), 0);
	CU_ASSERT_EQUAL(pm.sender, 1);
	CU_ASSERT_EQUAL(pm.step, 5);
	CU_ASSERT(byz_swire_commit_hash(&pm, 7) && memcmp(byz_swire_commit_hash(&pm, 7), hs + 32, 32) == 0);
	CU_ASSERT(byz_swire_commit_hash(&pm, 8) == NULL);
	CU_ASSERT(pm.mprng && memcmp(pm.mprng, mc, 32) == 0);
	/* every truncation fails, and so does a trailing byte */
	for (size_t k = 0; k < ml; k++)
		CU_ASSERT(open_as(m, k) < 0);
	uint8_t *big = malloc(ml + 1);
	CU_ASSERT_FATAL(big != NULL);
	memcpy(big, m, ml);
	big[ml] = 0;
	CU_ASSERT_EQUAL(open_as(big, ml + 1), -EBADMSG);
	free(big);
	/* every single-byte flip is refused (structure or signature) */
	for (size_t k = 0; k < ml; k++) {
		m[k] ^= 0x40;
		CU_ASSERT(open_as(m, ml) < 0);
		m[k] ^= 0x40;
	}
	/* forged: signed by key 0 in the name of 1 */
	uint8_t *fm;
	size_t fl;
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, pl, (uint32_t)n, sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -BYZ_EBADSIG);
	free(fm);
	/* other run */
	uint8_t rid2[32] = {8};
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid2, pl, (uint32_t)n, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EPROTO);
	free(fm);
	/* sender outside the roster */
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 2, 5, rid, pl, (uint32_t)n, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EPROTO);
	free(fm);
	/* unsorted files, zero count, nonzero reserved */
	uint32_t bad[3] = {7, 2, 11};
	byz_swire_put_commit(pl, 3, bad, hs, mc);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, pl, (uint32_t)n, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	byz_swire_put_commit(pl, 3, files, hs, mc);
	pl[2] = 1;
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, pl, (uint32_t)n, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	pl[2] = 0;
	uint8_t z[4] = {0};
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, z, 4, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	/* a version-0x53 commitment (no MPRNG field) no longer parses */
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_COMMIT, 1, 5, rid, pl, (uint32_t)n - 32, sk[1], &fm,
				       &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	/* SREVEAL: exactly 32 bytes */
	uint8_t rho[33] = {1, 2, 3};
	CU_ASSERT_EQUAL(byz_swire_put_reveal(rho, rho), 32);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_REVEAL, 1, 5, rid, rho, 32, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(byz_swire_open(fm, fl, rid, &pk[0][0], 2, &pm), 0);
	CU_ASSERT_EQUAL(pm.type, BYZ_SWIRE_REVEAL);
	CU_ASSERT(pm.rho && memcmp(pm.rho, rho, 32) == 0);
	free(fm);
	CU_ASSERT_EQUAL(byz_swire_seal(BYZ_SWIRE_REVEAL, 1, 5, rid, rho, 33, sk[1], &fm, &fl), -ERANGE);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_REVEAL, 1, 5, rid, rho, 31, sk[1], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	/* unknown type and a BTARD-version message */
	CU_ASSERT_EQUAL(byz_swire_seal(9, 1, 5, rid, pl, (uint32_t)n, sk[1], &fm, &fl), -EINVAL);
	m[0] = BYZ_WIRE_VERSION;
	CU_ASSERT_EQUAL(open_as(m, ml), -EPROTO);
	m[0] = BYZ_SWIRE_VERSION;
	m[1] = 77;
	CU_ASSERT_EQUAL(open_as(m, ml), -EPROTO);
	m[1] = BYZ_SWIRE_COMMIT;

	/* SVEC: round trip, NaN refused, count mismatch refused */
	float v[4] = {1, -2, 3.5f, 0};
	uint8_t vp[8 + 16];
	CU_ASSERT_EQUAL(byz_swire_put_vec(vp, 3, v, 4), sizeof(vp));
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_VEC, 0, 5, rid, vp, sizeof(vp), sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(byz_swire_open(fm, fl, rid, &pk[0][0], 2, &pm), 0);
	CU_ASSERT_EQUAL(pm.file, 3);
	CU_ASSERT_EQUAL(pm.nfloats, 4);
	CU_ASSERT_EQUAL(byz_lef32(pm.data + 8), 3.5f);
	free(fm);
	v[1] = NAN;
	byz_swire_put_vec(vp, 3, v, 4);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_VEC, 0, 5, rid, vp, sizeof(vp), sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EDOM);
	free(fm);
	byz_put32(vp + 4, 5);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_VEC, 0, 5, rid, vp, sizeof(vp), sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);

	/* SACCUSE: evidence must be a complete SCOMMIT by the accused */
	uint8_t *ap = malloc(12 + ml + 1);
	CU_ASSERT_FATAL(ap != NULL);
	size_t al = byz_swire_put_accuse(ap, 1, 7, m, (uint32_t)ml);
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_ACCUSE, 0, 5, rid, ap, (uint32_t)al, sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(byz_swire_open(fm, fl, rid, &pk[0][0], 2, &pm), 0);
	CU_ASSERT_EQUAL(pm.accused, 1);
	CU_ASSERT_EQUAL(pm.file, 7);
	CU_ASSERT_EQUAL(pm.ev_len, ml);
	free(fm);
	al = byz_swire_put_accuse(ap, 0, 7, m, (uint32_t)ml); /* evidence not by the accused */
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_ACCUSE, 0, 5, rid, ap, (uint32_t)al, sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	al = byz_swire_put_accuse(ap, 1, 7, m, (uint32_t)ml - 1); /* truncated evidence */
	CU_ASSERT_FATAL(byz_swire_seal(BYZ_SWIRE_ACCUSE, 0, 5, rid, ap, (uint32_t)al, sk[0], &fm, &fl) == 0);
	CU_ASSERT_EQUAL(open_as(fm, fl), -EBADMSG);
	free(fm);
	free(ap);
	free(m);
}

/* Random bytes never crash the parser and never parse with a bad signature. */
static void test_wire_junk(void)
{
	keys();
	struct byz_rng g = {.s = byz_test_seed_used};
	uint8_t buf[512];
	for (int it = 0; it < 4000; it++) {
		size_t n = byz_rng_next(&g) % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)byz_rng_next(&g);
		if (n > 2 && it % 2) {
			buf[0] = BYZ_SWIRE_VERSION;
			buf[1] = (uint8_t)(1 + it % 4);
		}
		CU_ASSERT(open_as(buf, n) < 0);
	}
}

static void test_bad_cfg(void)
{
	struct env e;
	env_init(&e, BYZ_SHIELD_MOLS, 5, 3);
	int err = 0;
	e.c.nbyz = 15;
	CU_ASSERT(byz_shield_run_new(&e.c, &err) == NULL);
	CU_ASSERT_EQUAL(err, -EINVAL);
	e.c.nbyz = 2;
	e.c.attack = BYZ_ATK_EQUIV_COMMIT; /* a protocol attack: not in this mode */
	CU_ASSERT(byz_shield_run_new(&e.c, &err) == NULL);
	e.c.attack = BYZ_ATK_LABEL_FLIP; /* needs a flipped oracle */
	CU_ASSERT(byz_shield_run_new(&e.c, &err) == NULL);
	e.c.attack = BYZ_ATK_SIGN_FLIP;
	uint32_t dup[2] = {3, 3};
	e.c.byz_set = dup;
	CU_ASSERT(byz_shield_run_new(&e.c, &err) == NULL);
	CU_ASSERT_EQUAL(byz_shield_aggr_parse("median-of-means"), BYZ_SHIELD_AGG_MOM);
	CU_ASSERT_EQUAL(byz_shield_aggr_parse("krum"), -EINVAL);
	env_free(&e);
}

/* The bucket aggregators run and keep replicas identical under attack. */
static void test_aggregators(void)
{
	for (int a = BYZ_SHIELD_AGG_MOM; a <= BYZ_SHIELD_AGG_MULTIKRUM; a++) {
		struct env e;
		env_init(&e, BYZ_SHIELD_MOLS, 5, 3);
		e.c.nbyz = 4;
		e.c.aggr = (enum byz_shield_aggr)a;
		int err;
		struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
		CU_ASSERT_FATAL(s != NULL);
		CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
		const struct byz_shield_report *r = byz_shield_run_report(s);
		CU_ASSERT(r->replicas_identical);
		CU_ASSERT_EQUAL(r->honest_banned, 0);
		const float *x = byz_shield_run_params(s);
		for (int i = 0; i < D; i++)
			CU_ASSERT(isfinite(x[i]) && fabsf(x[i]) < 10);
		byz_shield_run_free(s);
		env_free(&e);
	}
}

/* ---------- audits ---------- */

/* The draw: m distinct files in range, auditors from the eligible list,
 * a function of r alone, and uniform (chi-square over seeded values; the
 * threshold is far in the tail, so a correct draw does not fail by chance,
 * while a modulo-biased or stuck one does). */
static void test_audit_draw(void)
{
	CU_ASSERT_FATAL(sodium_init() >= 0);
	uint16_t elig[5] = {2, 3, 5, 7, 11};
	uint32_t files[25], files2[25];
	uint16_t aud[25], aud2[25];
	uint8_t r[32] = {4, 2};
	CU_ASSERT_EQUAL(byz_shield_audit_draw(r, 25, 26, elig, 5, files, aud), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_audit_draw(r, 25, 3, elig, 0, files, aud), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_audit_draw(r, 25, 0, NULL, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(byz_shield_audit_draw(r, 25, 25, elig, 5, files, aud), 0);
	CU_ASSERT_EQUAL(byz_shield_audit_draw(r, 25, 25, elig, 5, files2, aud2), 0);
	CU_ASSERT(memcmp(files, files2, sizeof(files)) == 0 && memcmp(aud, aud2, sizeof(aud)) == 0);
	uint8_t seen[25] = {0};
	for (int i = 0; i < 25; i++) {
		CU_ASSERT_FATAL(files[i] < 25);
		CU_ASSERT(!seen[files[i]]);
		seen[files[i]] = 1;
		int ok = 0;
		for (int k = 0; k < 5; k++)
			ok |= aud[i] == elig[k];
		CU_ASSERT(ok);
	}
	/* uniformity of the first file (25 cells) and of its auditor (5 cells) */
	enum { DRAWS = 25000 };
	uint32_t cf[25] = {0}, ca[5] = {0};
	for (uint32_t it = 0; it < DRAWS; it++) {
		byz_put32(r, it);
		byz_put64(r + 8, byz_test_seed_used);
		CU_ASSERT_FATAL(byz_shield_audit_draw(r, 25, 2, elig, 5, files, aud) == 0);
		CU_ASSERT(files[0] != files[1]);
		cf[files[0]]++;
		for (int k = 0; k < 5; k++)
			ca[k] += aud[0] == elig[k];
	}
	double x2f = 0, x2a = 0;
	for (int i = 0; i < 25; i++)
		x2f += (cf[i] - DRAWS / 25.0) * (cf[i] - DRAWS / 25.0) / (DRAWS / 25.0);
	for (int i = 0; i < 5; i++)
		x2a += (ca[i] - DRAWS / 5.0) * (ca[i] - DRAWS / 5.0) / (DRAWS / 5.0);
	/* 24 and 4 degrees of freedom: P(X2 > 80) ~ 1e-8, P(X2 > 40) ~ 4e-8 */
	CU_ASSERT(x2f < 80.0);
	CU_ASSERT(x2a < 40.0);
}

/* Replicas of file j that are in the Byzantine set. */
static uint32_t byz_replicas(const struct byz_shield_assign *a, const uint32_t *set, uint32_t q,
			     uint32_t j)
{
	uint32_t nb = 0;
	for (uint32_t x = 0; x < a->r; x++)
		for (uint32_t y = 0; y < q; y++)
			nb += a->file_workers[(size_t)j * a->r + x] == set[y];
	return nb;
}

/* Hidden liars: the maximising set of MOLS(5,3) for q = 7 holds every
 * replica of some file and lies only there. Without audits the vote never
 * disagrees, so the lie goes into every step's aggregate and nobody is
 * banned (the gap). With m audits a step, such a file meets an honest
 * auditor with probability at least p = (m/f)(h/K) per step, so its holders
 * are banned within T steps except with probability (1-p)^T
 * (docs/byzshield.md, "Audits"); T is taken where that is 1e-6. */
static void hidden(uint32_t audits, int withhold)
{
	const uint32_t q = 7;
	struct env e;
	env_init(&e, BYZ_SHIELD_MOLS, 5, 3);
	int err;
	struct byz_shield_search *ss = byz_shield_search_new(e.a, 1, &err);
	CU_ASSERT_FATAL(ss != NULL);
	struct byz_shield_worst w;
	CU_ASSERT_FATAL(byz_shield_worst_case(ss, q, NULL, &w) == 0);
	uint32_t nhidden = 0;
	uint8_t holds_hidden[BYZ_SWIRE_MAX_WORKERS] = {0};
	for (uint32_t j = 0; j < e.a->n_files; j++) {
		if (byz_replicas(e.a, w.set, q, j) != e.a->r)
			continue;
		nhidden++;
		for (uint32_t x = 0; x < e.a->r; x++)
			holds_hidden[e.a->file_workers[(size_t)j * e.a->r + x]] = 1;
	}
	CU_ASSERT_FATAL(nhidden >= 1);
	double p = (double)audits / e.a->n_files * (double)(e.a->n_workers - q) / e.a->n_workers;
	uint32_t T = audits ? (uint32_t)ceil(log(1e-6) / log(1 - p)) : 40;
	e.c.nbyz = q;
	e.c.byz_set = w.set;
	e.c.majority_only = 1;
	e.c.hidden_only = 1;
	e.c.withhold_reveal = withhold;
	e.c.audits = audits;
	/* every withholding spends one identity and one step's draw */
	e.c.steps = T + (withhold ? q : 0);
	struct byz_shield_run *s = byz_shield_run_new(&e.c, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(byz_shield_run_all(s), 0);
	const struct byz_shield_report *r = byz_shield_run_report(s);
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	CU_ASSERT_EQUAL(r->disagreements, 0); /* the vote never sees these lies */
	CU_ASSERT(r->files_distorted >= 1);
	if (!audits) {
		CU_ASSERT_EQUAL(r->nbans, 0);
		CU_ASSERT_EQUAL(r->files_distorted, e.c.steps * nhidden);
	} else {
		uint8_t banned[BYZ_SWIRE_MAX_WORKERS] = {0};
		for (size_t i = 0; i < r->nbans; i++) {
			const struct byz_shield_ban *b = &r->bans[i];
			CU_ASSERT(b->reason == BYZ_SHIELD_BAN_HASH || b->reason == BYZ_SHIELD_BAN_REVEAL);
			CU_ASSERT(b->reason != BYZ_SHIELD_BAN_HASH || b->by_audit);
			CU_ASSERT(b->reason != BYZ_SHIELD_BAN_REVEAL || withhold);
			banned[b->worker] = 1;
		}
		for (uint32_t x = 0; x < e.a->n_workers; x++)
			if (holds_hidden[x])
				CU_ASSERT(banned[x]);
		if (withhold)
			CU_ASSERT(r->withheld >= 1);
		CU_ASSERT(r->audit_calls >= 1);
	}
	byz_shield_run_free(s);
	byz_shield_search_free(ss);
	env_free(&e);
}

static void test_hidden_no_audit(void) { hidden(0, 0); }
static void test_hidden_audited(void) { hidden(5, 0); }
static void test_hidden_withhold(void) { hidden(5, 1); }

BYZ_TEST_MAIN("shield_mode",
	      {"vote", test_vote},
	      {"wire", test_wire},
	      {"wire_junk", test_wire_junk},
	      {"honest", test_honest},
	      {"worst_case", test_worst_case},
	      {"liars_banned", test_liars_banned},
	      {"false_accuser", test_false_accuser},
	      {"bad_cfg", test_bad_cfg},
	      {"aggregators", test_aggregators},
	      {"audit_draw", test_audit_draw},
	      {"hidden_no_audit", test_hidden_no_audit},
	      {"hidden_audited", test_hidden_audited},
	      {"hidden_withhold", test_hidden_withhold})
