/*
 * Gradient attacks: each produces what its definition says, exactly where
 * the definition is exact (sign flip, delayed) and to float rounding where
 * it is a statistic (ipm, alie, random direction); start and period are
 * respected; the ALIE z and the inverse normal CDF match known values.
 */
#include <string.h>

#include "byz/attack.h"
#include "byz/data.h"
#include "byz/err.h"
#include "byz_test.h"

#define D 37

static void fill(struct byz_rng *r, float *v, size_t n, double scale)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (float)(scale * byz_rng_gauss(r));
}

static double norm(const float *v, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)v[i] * v[i];
	return sqrt(s);
}

static struct byz_grad_attack *make(enum byz_grad_attack_kind k, uint64_t start,
			       uint32_t period)
{
	struct byz_grad_attack_spec s;
	byz_grad_attack_default(k, &s);
	s.start = start;
	s.period = period;
	s.n = 8;
	s.f = 3;
	s.delay = 3;
	s.seed = 99;
	int err = 1;
	struct byz_grad_attack *a = byz_grad_attack_create(&s, D, &err);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(err, 0);
	return a;
}

static void test_names_and_ppf(void)
{
	for (int k = 0; k < BYZ_GRAD_ATTACK_KIND_COUNT; k++) {
		enum byz_grad_attack_kind got;
		CU_ASSERT_EQUAL(byz_grad_attack_parse(byz_grad_attack_name((enum byz_grad_attack_kind)k), &got), 0);
		CU_ASSERT_EQUAL(got, k);
	}
	enum byz_grad_attack_kind got;
	CU_ASSERT_EQUAL(byz_grad_attack_parse("sign_flip", &got), -EINVAL);
	CU_ASSERT_STRING_EQUAL(byz_grad_attack_name(BYZ_GRAD_ATTACK_ALIE), "alie");
	CU_ASSERT_STRING_EQUAL(byz_grad_attack_name(BYZ_GRAD_ATTACK_RANDOM_DIRECTION), "random-direction");

	/* Known quantiles of N(0, 1). */
	CU_ASSERT(fabs(byz_norm_ppf(0.75) - 0.6744897501960817) < 1e-14);
	CU_ASSERT(fabs(byz_norm_ppf(0.975) - 1.959963984540054) < 1e-13);
	CU_ASSERT(fabs(byz_norm_ppf(0.001) + 3.090232306167813) < 1e-13);
	CU_ASSERT(fabs(byz_norm_ppf(1e-10) + 6.361340902404056) < 1e-11);
	CU_ASSERT_EQUAL(byz_norm_ppf(0.5), 0.0);
	CU_ASSERT(isinf(byz_norm_ppf(0.0)) && byz_norm_ppf(0.0) < 0);
	CU_ASSERT(isinf(byz_norm_ppf(1.0)) && byz_norm_ppf(1.0) > 0);
	CU_ASSERT(isnan(byz_norm_ppf(1.5)) && isnan(byz_norm_ppf(NAN)));
	/* Round trip through Phi over the whole range. */
	for (int i = 1; i < 1000; i++) {
		double p = i / 1000.0, x = byz_norm_ppf(p);
		CU_ASSERT(fabs(0.5 * erfc(-x / M_SQRT2) - p) < 1e-15 + 1e-13 * p);
		CU_ASSERT(fabs(x + byz_norm_ppf(1 - p)) < 1e-12);
	}

	/* z of ALIE: s = floor(n/2 + 1) - f, z = Phi^{-1}((n - s) / n). */
	double z;
	CU_ASSERT_EQUAL(byz_alie_z(8, 3, &z), 0); /* s = 2, p = 6/8 */
	CU_ASSERT(fabs(z - 0.6744897501960817) < 1e-14);
	CU_ASSERT_EQUAL(byz_alie_z(50, 24, &z), 0); /* s = 2, p = 0.96 */
	CU_ASSERT(fabs(z - 1.750686071252170) < 1e-12);
	CU_ASSERT_EQUAL(byz_alie_z(9, 2, &z), 0); /* s = 3, p = 6/9 */
	CU_ASSERT(fabs(z - byz_norm_ppf(6.0 / 9.0)) == 0);
	CU_ASSERT_EQUAL(byz_alie_z(8, 5, &z), -EINVAL); /* s = 0 */
	CU_ASSERT_EQUAL(byz_alie_z(2, 0, &z), -EINVAL); /* s = n */
	CU_ASSERT_EQUAL(byz_alie_z(0, 0, &z), -EINVAL);
}

static void test_sign_flip_and_schedule(void)
{
	struct byz_rng r = {byz_test_seed()};
	struct byz_grad_attack *a = make(BYZ_GRAD_ATTACK_SIGN_FLIP, 5, 3);
	CU_ASSERT_EQUAL(byz_grad_attack_scale(a), 1000.0);
	CU_ASSERT(!byz_grad_attack_omniscient(a));
	float g[D], out[D];
	for (uint64_t t = 0; t < 30; t++) {
		int want = t >= 5 && (t - 5) % 3 == 0;
		CU_ASSERT_EQUAL(byz_grad_attack_active(a, t), want);
		CU_ASSERT_EQUAL(byz_grad_attack_data_flags(a, t), 0);
		fill(&r, g, D, 1.0);
		CU_ASSERT_EQUAL(byz_grad_attack_apply(a, t, g, NULL, 0, out), 0);
		for (int j = 0; j < D; j++)
			CU_ASSERT_EQUAL(out[j], want ? -1000.0f * g[j] : g[j]);
	}
	/* Steps must increase. */
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 29, g, NULL, 0, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 3, g, NULL, 0, out), -EINVAL);
	/* In place. */
	memcpy(out, g, sizeof(g));
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 32, out, NULL, 0, out), 0);
	for (int j = 0; j < D; j++)
		CU_ASSERT_EQUAL(out[j], -1000.0f * g[j]);
	byz_grad_attack_destroy(a);

	/* none never misbehaves. */
	a = make(BYZ_GRAD_ATTACK_NONE, 0, 1);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, g, NULL, 0, out), 0);
	CU_ASSERT(!memcmp(out, g, sizeof(g)) && !byz_grad_attack_active(a, 0));
	byz_grad_attack_destroy(a);
}

static void test_random_direction(void)
{
	struct byz_rng r = {byz_test_seed() + 1};
	struct byz_grad_attack *a = make(BYZ_GRAD_ATTACK_RANDOM_DIRECTION, 0, 1);
	struct byz_grad_attack *b = make(BYZ_GRAD_ATTACK_RANDOM_DIRECTION, 0, 1);
	float g1[D], g2[D], o1[D], o2[D];
	fill(&r, g1, D, 1.0);
	fill(&r, g2, D, 3.0);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, g1, NULL, 0, o1), 0);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(b, 0, g2, NULL, 0, o2), 0);
	/* 1000x the honest norm; the same direction for colluders with
	 * different honest gradients; unrelated to the gradient. */
	CU_ASSERT(fabs(norm(o1, D) / (1000 * norm(g1, D)) - 1) < 1e-6);
	CU_ASSERT(fabs(norm(o2, D) / (1000 * norm(g2, D)) - 1) < 1e-6);
	double dot = 0, dg = 0;
	for (int j = 0; j < D; j++) {
		dot += (double)o1[j] * o2[j];
		dg += (double)o1[j] * g1[j];
	}
	CU_ASSERT(fabs(dot / (norm(o1, D) * norm(o2, D)) - 1) < 1e-6);
	CU_ASSERT(fabs(dg / (norm(o1, D) * norm(g1, D))) < 0.9);
	/* The direction is fixed across steps. */
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 1, g2, NULL, 0, o1), 0);
	for (int j = 0; j < D; j++)
		CU_ASSERT(fabs(o1[j] - o2[j]) <= 1e-6 * fabs(o2[j]) + 1e-9);
	/* Another seed, another direction. */
	struct byz_grad_attack_spec s;
	byz_grad_attack_default(BYZ_GRAD_ATTACK_RANDOM_DIRECTION, &s);
	s.seed = 100;
	struct byz_grad_attack *c = byz_grad_attack_create(&s, D, NULL);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(c, 0, g2, NULL, 0, o1), 0);
	dot = 0;
	for (int j = 0; j < D; j++)
		dot += (double)o1[j] * o2[j];
	CU_ASSERT(fabs(dot / (norm(o1, D) * norm(o2, D))) < 0.9);
	g1[3] = NAN;
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 2, g1, NULL, 0, o1), -EDOM);
	byz_grad_attack_destroy(a);
	byz_grad_attack_destroy(b);
	byz_grad_attack_destroy(c);
}

static void test_label_flip(void)
{
	struct byz_grad_attack *a = make(BYZ_GRAD_ATTACK_LABEL_FLIP, 2, 2);
	float g[D], out[D];
	for (int j = 0; j < D; j++)
		g[j] = (float)j;
	for (uint64_t t = 0; t < 10; t++) {
		uint32_t want = t >= 2 && t % 2 == 0 ? BYZ_DATA_FLIP_LABELS : 0;
		CU_ASSERT_EQUAL(byz_grad_attack_data_flags(a, t), want);
		/* The gradient itself is already computed on flipped labels. */
		CU_ASSERT_EQUAL(byz_grad_attack_apply(a, t, g, NULL, 0, out), 0);
		CU_ASSERT(!memcmp(out, g, sizeof(g)));
	}
	byz_grad_attack_destroy(a);
}

static void test_delayed(void)
{
	/* delay 3, active from step 4 every 2nd step. */
	struct byz_grad_attack *a = make(BYZ_GRAD_ATTACK_DELAYED, 4, 2);
	float g[D], out[D];
	for (uint64_t t = 0; t < 20; t++) {
		for (int j = 0; j < D; j++)
			g[j] = (float)(100 * t + (uint64_t)j);
		int inplace = t % 3 == 0;
		if (inplace)
			memcpy(out, g, sizeof(g));
		CU_ASSERT_EQUAL(byz_grad_attack_apply(a, t, inplace ? out : g, NULL, 0, out), 0);
		int act = t >= 4 && t % 2 == 0;
		uint64_t src = act ? t - 3 : t;
		for (int j = 0; j < D; j++)
			CU_ASSERT_EQUAL(out[j], (float)(100 * src + (uint64_t)j));
	}
	byz_grad_attack_destroy(a);
	/* Before delay steps exist, the oldest kept gradient (step 0). */
	struct byz_grad_attack_spec s;
	byz_grad_attack_default(BYZ_GRAD_ATTACK_DELAYED, &s);
	s.delay = 5;
	a = byz_grad_attack_create(&s, D, NULL);
	CU_ASSERT_FATAL(a != NULL);
	for (uint64_t t = 0; t < 8; t++) {
		for (int j = 0; j < D; j++)
			g[j] = (float)t;
		CU_ASSERT_EQUAL(byz_grad_attack_apply(a, t, g, NULL, 0, out), 0);
		CU_ASSERT_EQUAL(out[0], (float)(t < 5 ? 0 : t - 5));
	}
	byz_grad_attack_destroy(a);
	s.delay = 0;
	CU_ASSERT(byz_grad_attack_create(&s, D, NULL) == NULL);
	s.delay = BYZ_GRAD_ATTACK_MAX_DELAY + 1;
	CU_ASSERT(byz_grad_attack_create(&s, D, NULL) == NULL);
}

static void test_ipm_alie(void)
{
	struct byz_rng r = {byz_test_seed() + 2};
	enum { M = 5 };
	float h[M][D], own[D], out[D];
	const float *hp[M];
	for (int i = 0; i < M; i++) {
		fill(&r, h[i], D, 1.0);
		for (int j = 0; j < D; j++)
			h[i][j] += 0.5f; /* a common direction */
		hp[i] = h[i];
	}
	fill(&r, own, D, 1.0);
	double mean[D], sd[D];
	for (int j = 0; j < D; j++) {
		double s = 0, v = 0;
		for (int i = 0; i < M; i++)
			s += h[i][j];
		mean[j] = s / M;
		for (int i = 0; i < M; i++)
			v += (h[i][j] - mean[j]) * (h[i][j] - mean[j]);
		sd[j] = sqrt(v / (M - 1));
	}

	struct byz_grad_attack *a = make(BYZ_GRAD_ATTACK_IPM, 0, 1);
	CU_ASSERT(byz_grad_attack_omniscient(a));
	CU_ASSERT_EQUAL(byz_grad_attack_scale(a), 0.1);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, own, NULL, 0, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, own, hp, M, out), 0);
	double dot = 0;
	for (int j = 0; j < D; j++) {
		CU_ASSERT(fabs(out[j] + 0.1 * mean[j]) <= 1e-6 * fabs(mean[j]) + 1e-9);
		dot += out[j] * mean[j];
	}
	CU_ASSERT(dot < 0); /* the inner product with the honest mean is negative */
	byz_grad_attack_destroy(a);

	a = make(BYZ_GRAD_ATTACK_ALIE, 0, 1); /* n = 8, f = 3 */
	CU_ASSERT(fabs(byz_grad_attack_scale(a) - 0.6744897501960817) < 1e-14);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, own, hp, M, out), 0);
	for (int j = 0; j < D; j++) {
		double want = mean[j] + 0.6744897501960817 * sd[j];
		CU_ASSERT(fabs(out[j] - want) <= 1e-6 * fabs(want) + 1e-7);
	}
	/* Inactive step: honest. */
	byz_grad_attack_destroy(a);
	struct byz_grad_attack_spec s;
	byz_grad_attack_default(BYZ_GRAD_ATTACK_ALIE, &s);
	s.scale = -1.5; /* explicit z, sign allowed */
	s.start = 1;
	a = byz_grad_attack_create(&s, D, NULL);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, own, NULL, 0, out), 0);
	CU_ASSERT(!memcmp(out, own, sizeof(own)));
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 1, own, hp, M, out), 0);
	for (int j = 0; j < D; j++) {
		double want = mean[j] - 1.5 * sd[j];
		CU_ASSERT(fabs(out[j] - want) <= 1e-6 * fabs(want) + 1e-7);
	}
	/* One honest gradient: std 0, the output is that gradient. */
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 2, own, hp, 1, out), 0);
	CU_ASSERT(!memcmp(out, h[0], sizeof(own)));
	byz_grad_attack_destroy(a);
	/* alie needs a valid z. */
	s.scale = NAN;
	s.n = 8;
	s.f = 5;
	int err = 0;
	CU_ASSERT(byz_grad_attack_create(&s, D, &err) == NULL && err == -EINVAL);
}

static void test_bad_specs(void)
{
	struct byz_grad_attack_spec s;
	int err = 0;
	byz_grad_attack_default(BYZ_GRAD_ATTACK_SIGN_FLIP, &s);
	CU_ASSERT(byz_grad_attack_create(&s, 0, &err) == NULL && err == -EINVAL);
	s.period = 0;
	CU_ASSERT(byz_grad_attack_create(&s, D, &err) == NULL && err == -EINVAL);
	s.period = 1;
	s.scale = -2;
	CU_ASSERT(byz_grad_attack_create(&s, D, &err) == NULL && err == -EINVAL);
	s.scale = INFINITY;
	CU_ASSERT(byz_grad_attack_create(&s, D, &err) == NULL && err == -EINVAL);
	s.scale = 10;
	struct byz_grad_attack *a = byz_grad_attack_create(&s, D, &err);
	CU_ASSERT(a != NULL && err == 0);
	float g[D] = {1}, out[D];
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 0, g, NULL, 0, out), 0);
	CU_ASSERT_EQUAL(out[0], -10.0f);
	CU_ASSERT_EQUAL(byz_grad_attack_apply(a, 1, NULL, NULL, 0, out), -EINVAL);
	byz_grad_attack_destroy(a);
	s.kind = BYZ_GRAD_ATTACK_KIND_COUNT;
	CU_ASSERT(byz_grad_attack_create(&s, D, &err) == NULL && err == -EINVAL);
	byz_grad_attack_destroy(NULL);
}

BYZ_TEST_MAIN("train-attack",
	      {"names, ppf and alie z", test_names_and_ppf},
	      {"sign flip and schedule", test_sign_flip_and_schedule},
	      {"random direction", test_random_direction},
	      {"label flip", test_label_flip},
	      {"delayed", test_delayed},
	      {"ipm and alie", test_ipm_alie},
	      {"bad specs", test_bad_specs})
