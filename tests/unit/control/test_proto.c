/* Public computations every honest peer must agree on: the toy oracle, the
 * seeded permutation, the projections (against an independent z), and the
 * fixed-point check on real CenteredClip output. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/clip.h"
#include "byz/proto.h"
#include "byz_test.h"

static void test_oracle_deterministic(void)
{
	uint8_t run[32] = {1}, s1[32] = {2}, s2[32] = {3};
	struct byz_toy_lsq t;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&t, run, 100, 8), 0);
	float x[100] = {0}, g1[100], g2[100], g3[100];
	CU_ASSERT_EQUAL(byz_toy_lsq_grad(&t, x, 100, s1, g1), 0);
	CU_ASSERT_EQUAL(byz_toy_lsq_grad(&t, x, 100, s1, g2), 0);
	CU_ASSERT_EQUAL(byz_toy_lsq_grad(&t, x, 100, s2, g3), 0);
	CU_ASSERT(memcmp(g1, g2, sizeof(g1)) == 0);
	CU_ASSERT(memcmp(g1, g3, sizeof(g1)) != 0);
	/* Descending along the batch gradient reduces the distance to x*. */
	double d0 = byz_toy_lsq_dist(&t, x);
	for (int it = 0; it < 50; it++) {
		uint8_t s[32] = {(uint8_t)it};
		byz_toy_lsq_grad(&t, x, 100, s, g1);
		for (int c = 0; c < 100; c++)
			x[c] -= 0.3f * g1[c];
	}
	CU_ASSERT(byz_toy_lsq_dist(&t, x) < 0.5 * d0);
	CU_ASSERT_EQUAL(byz_toy_lsq_grad(&t, x, 99, s1, g1), -EINVAL);
	byz_toy_lsq_free(&t);
}

static void test_perm(void)
{
	uint8_t seed[32] = {9};
	uint16_t a[50], b[50], c[50];
	for (int i = 0; i < 50; i++)
		a[i] = b[i] = c[i] = (uint16_t)i;
	byz_perm(seed, "x", 3, 0, a, 50);
	byz_perm(seed, "x", 3, 0, b, 50);
	byz_perm(seed, "y", 3, 0, c, 50);
	CU_ASSERT(memcmp(a, b, sizeof(a)) == 0);
	CU_ASSERT(memcmp(a, c, sizeof(a)) != 0);
	int seen[50] = {0};
	for (int i = 0; i < 50; i++)
		seen[a[i]]++;
	for (int i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
}

static void test_proj_independent_z(void)
{
	struct byz_rng r = {byz_test_seed()};
	uint8_t rt[32];
	for (int i = 0; i < 32; i++)
		rt[i] = (uint8_t)byz_rng_next(&r);
	const uint32_t L = 9000; /* crosses the 4096-bit refill boundary twice */
	float *v = malloc(L * sizeof(float)), *y = malloc(L * sizeof(float));
	uint8_t *bits = malloc(L / 8 + 1);
	for (uint32_t c = 0; c < L; c++) {
		v[c] = (float)byz_rng_gauss(&r);
		y[c] = (float)byz_rng_gauss(&r);
	}
	uint8_t nonce[8] = {5, 0};
	crypto_stream_chacha20(bits, L / 8 + 1, nonce, rt);
	double s = 0, n = 0;
	for (uint32_t c = 0; c < L; c++) {
		double u = (double)v[c] - y[c];
		s += ((bits[c / 8] >> (c % 8)) & 1) ? -u : u;
		n += u * u;
	}
	double s2, n2;
	byz_proj(rt, 5, v, y, L, &s2, &n2);
	CU_ASSERT_DOUBLE_EQUAL(s2, s, 1e-9 * sqrt(n) * sqrt(L));
	CU_ASSERT_DOUBLE_EQUAL(n2, sqrt(n), 1e-12 * sqrt(n));
	free(v);
	free(y);
	free(bits);
}

/* Honest CenteredClip output passes; a shifted aggregate fails. */
static void test_fixed_point(void)
{
	struct byz_rng r = {byz_test_seed() ^ 0x77};
	for (int trial = 0; trial < 20; trial++) {
		uint32_t k = 3 + (uint32_t)(byz_rng_next(&r) % 12), L = 8 + (uint32_t)(byz_rng_next(&r) % 200);
		double tau = trial % 2 ? 1.0 : 10.0;
		float *buf = malloc((size_t)k * L * sizeof(float)), *y = malloc(L * sizeof(float));
		const float **in = malloc(k * sizeof(*in));
		for (uint32_t i = 0; i < k; i++) {
			int outlier = i < k / 3 && trial % 3 == 0;
			for (uint32_t c = 0; c < L; c++)
				buf[(size_t)i * L + c] = (float)((outlier ? 100.0 : 1.0) * byz_rng_gauss(&r) + 0.5);
			in[i] = buf + (size_t)i * L;
		}
		struct byz_clip_params p = {.tau = tau, .eps = 1e-5, .max_iters = 1000, .impl = BYZ_CLIP_REF};
		struct byz_clip_result res;
		CU_ASSERT_EQUAL_FATAL(byz_clip(in, k, L, &p, y, NULL, &res), 0);
		uint8_t rt[32];
		for (int b = 0; b < 32; b++)
			rt[b] = (uint8_t)byz_rng_next(&r);
		double *s = malloc(k * sizeof(double)), *n = malloc(k * sizeof(double));
		double yn = 0;
		for (uint32_t c = 0; c < L; c++)
			yn += (double)y[c] * y[c];
		for (uint32_t i = 0; i < k; i++)
			byz_proj(rt, 1, in[i], y, L, &s[i], &n[i]);
		double lhs, tol;
		int ok = byz_fixed_point_ok(tau, 1e-5, 1.0, L, sqrt(yn), k, s, n, &lhs, &tol);
		if (!ok)
			fprintf(stderr, "honest aggregate failed: k=%u L=%u lhs=%g tol=%g resid=%g\n", k,
				L, lhs, tol, res.residual);
		CU_ASSERT(ok);
		for (uint32_t c = 0; c < L; c++)
			y[c] += 0.05f;
		for (uint32_t i = 0; i < k; i++)
			byz_proj(rt, 1, in[i], y, L, &s[i], &n[i]);
		CU_ASSERT(!byz_fixed_point_ok(tau, 1e-5, 1.0, L, sqrt(yn), k, s, n, &lhs, &tol));
		free(s);
		free(n);
		free(in);
		free(buf);
		free(y);
	}
}

BYZ_TEST_MAIN("proto", {"oracle_deterministic", test_oracle_deterministic},
	      {"perm", test_perm}, {"proj_independent_z", test_proj_independent_z},
	      {"fixed_point", test_fixed_point})
