/*
 * CenteredClip engine: every implementation against the scalar reference on
 * random and adversarial inputs, the fixed-point property of every result,
 * independent checks of the reported residual and distances, and rejection of
 * bad input. Run under BYZ_SIMD_MAX=scalar/avx2 too (see meson.build), so the
 * kernels behind the Gram path and the median are covered at every width.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/clip.h"
#include "byz/err.h"
#include "byz_test.h"

static const enum byz_clip_impl all_impls[] = {
	BYZ_CLIP_REF, BYZ_CLIP_AVX2, BYZ_CLIP_AVX512, BYZ_CLIP_GRAM,
	BYZ_CLIP_AUTO};
#define NIMPL (sizeof(all_impls) / sizeof(all_impls[0]))

struct mat {
	uint32_t k;
	size_t d;
	float *data;
	const float **rows;
};

static struct mat mat_new(uint32_t k, size_t d)
{
	struct mat m = {k, d, calloc((size_t)k * d, sizeof(float)),
			calloc(k, sizeof(float *))};
	CU_ASSERT_FATAL(m.data && m.rows);
	for (uint32_t i = 0; i < k; i++)
		m.rows[i] = m.data + (size_t)i * d;
	return m;
}

static void mat_free(struct mat *m)
{
	free(m->data);
	free(m->rows);
}

static float *row(struct mat *m, uint32_t i)
{
	return m->data + (size_t)i * m->d;
}

/* Honest rows around a common centre with norm-1 spread; the last nbad rows
 * are shifted far away along a shared direction. */
static struct mat make_case(struct byz_rng *r, uint32_t k, size_t d,
			    uint32_t nbad, double far)
{
	struct mat m = mat_new(k, d);
	double s = 1.0 / sqrt((double)d);
	for (size_t c = 0; c < d; c++) {
		double centre = byz_rng_gauss(r) * s;
		double dir = byz_rng_gauss(r) * s;
		for (uint32_t i = 0; i < k; i++) {
			double x = centre + byz_rng_gauss(r) * s;
			if (i >= k - nbad)
				x += far * dir;
			row(&m, i)[c] = (float)x;
		}
	}
	return m;
}

/* Independent float64 computation of residual and distances at y. */
static double naive_residual(const struct mat *m, const float *y, double tau,
			     double *dist)
{
	double *w = calloc(m->k, sizeof(double));
	double r2 = 0;
	for (uint32_t i = 0; i < m->k; i++) {
		double s = 0;
		for (size_t c = 0; c < m->d; c++) {
			double u = (double)m->rows[i][c] - y[c];
			s += u * u;
		}
		dist[i] = sqrt(s);
		w[i] = dist[i] > tau ? tau / dist[i] : 1.0;
	}
	for (size_t c = 0; c < m->d; c++) {
		double r = 0;
		for (uint32_t i = 0; i < m->k; i++)
			r += w[i] * ((double)m->rows[i][c] - y[c]);
		r2 += r * r;
	}
	free(w);
	return sqrt(r2) / m->k;
}

static int cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Runs every implementation on m and checks each against the reference. */
static void check_all(struct mat *m, double tau, double eps, uint32_t cap)
{
	size_t d = m->d;
	uint32_t k = m->k;
	float *ref = malloc(d * sizeof(float)), *got = malloc(d * sizeof(float));
	double *dist = malloc(k * sizeof(double)), *nd = malloc(k * sizeof(double));
	struct byz_clip_params p = {tau, eps, cap, BYZ_CLIP_REF};
	struct byz_clip_result rr, gr;

	CU_ASSERT_EQUAL_FATAL(byz_clip(m->rows, k, d, &p, ref, dist, &rr), 0);
	/* The reported residual and distances are what an independent
	 * computation finds at the returned point. */
	double res = naive_residual(m, ref, tau, nd);
	CU_ASSERT(fabs(res - rr.residual) <= 1e-9 + 1e-6 * res);
	for (uint32_t i = 0; i < k; i++)
		CU_ASSERT(fabs(nd[i] - dist[i]) <= 1e-9 * (1 + nd[i]));
	double ynorm = 0;
	for (size_t c = 0; c < d; c++)
		ynorm = fmax(ynorm, fabs(ref[c]));

	for (size_t n = 0; n < NIMPL; n++) {
		if (!byz_clip_impl_available(all_impls[n]))
			continue;
		p.impl = all_impls[n];
		CU_ASSERT_EQUAL_FATAL(byz_clip(m->rows, k, d, &p, got, dist, &gr), 0);
		res = naive_residual(m, got, tau, nd);

		CU_ASSERT(fabs(res - gr.residual) <= 1e-9 + 1e-6 * res);
		uint32_t nclip = 0;
		for (uint32_t i = 0; i < k; i++) {
			CU_ASSERT(fabs(nd[i] - dist[i]) <= 1e-8 * (1 + nd[i]));
			nclip += nd[i] > tau;
		}
		CU_ASSERT_EQUAL(gr.clipped, nclip);
		CU_ASSERT_EQUAL(gr.converged, gr.residual <= eps);
		if (rr.iters < cap) {
			/* The reference stopped on its step rule: same fixed point,
			 * both residuals at eps or at the float32 rounding floor. */
			CU_ASSERT(gr.converged || !rr.converged);
			double wmin = 1;
			for (uint32_t i = 0; i < k; i++)
				wmin = fmin(wmin, nd[i] > tau ? tau / nd[i] : 1);
			double tol = 8 * fmax(eps, rr.residual) / wmin +
				     1e-6 * (1 + ynorm);
			double diff = 0;
			for (size_t c = 0; c < d; c++)
				diff = fmax(diff, fabs((double)got[c] - ref[c]));
			if (diff > tol || abs((int)gr.iters - (int)rr.iters) > 2)
				fprintf(stderr, "impl %s k=%u d=%zu: diff %g (tol %g), iters %u vs ref %u\n",
					byz_clip_impl_name(gr.impl), k, d, diff, tol,
					gr.iters, rr.iters);
			CU_ASSERT(diff <= tol);
			/* Same trajectory up to rounding. */
			CU_ASSERT(abs((int)gr.iters - (int)rr.iters) <= 2);
		} else {
			CU_ASSERT_EQUAL(gr.iters, cap);
		}
	}
	free(ref);
	free(got);
	free(dist);
	free(nd);
}

static void test_random(void)
{
	struct byz_rng r = {byz_test_seed_used};
	static const uint32_t ks[] = {1, 2, 3, 4, 5, 8, 15, 16, 17, 33};
	static const size_t ds[] = {1, 7, 16, 37, 100, 1000, 4099};
	for (size_t a = 0; a < sizeof(ks) / sizeof(ks[0]); a++)
		for (size_t b = 0; b < sizeof(ds) / sizeof(ds[0]); b++) {
			uint32_t nbad = (ks[a] - 1) / 2;
			struct mat m = make_case(&r, ks[a], ds[b], nbad, 30.0);
			check_all(&m, 1.0, 1e-7, 500);
			check_all(&m, 0.1, 1e-6, 1000);
			mat_free(&m);
		}
}

static void test_adversarial(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 1};
	/* One huge outlier. */
	struct mat m = make_case(&r, 9, 513, 0, 0);
	for (size_t c = 0; c < m.d; c++)
		row(&m, 8)[c] = 1e30f;
	check_all(&m, 1.0, 1e-7, 500);
	mat_free(&m);
	/* Half (the lower median side) far away, k even. */
	m = make_case(&r, 10, 257, 5, 1e3);
	check_all(&m, 0.5, 1e-7, 2000);
	mat_free(&m);
	/* Tiny tau: everything clipped, converges slowly; capped. */
	m = make_case(&r, 7, 100, 3, 10);
	check_all(&m, 1e-6, 1e-12, 50);
	mat_free(&m);
	/* Huge tau: the mean, after one update from the median. */
	m = make_case(&r, 6, 333, 2, 10);
	check_all(&m, 1e30, 1e-9, 100);
	float *y = malloc(m.d * sizeof(float));
	struct byz_clip_params p = {1e30, 1e-9, 100, BYZ_CLIP_AUTO};
	struct byz_clip_result res;
	CU_ASSERT_EQUAL(byz_clip(m.rows, m.k, m.d, &p, y, NULL, &res), 0);
	for (size_t c = 0; c < m.d; c++) {
		double mean = 0;
		for (uint32_t i = 0; i < m.k; i++)
			mean += m.rows[i][c];
		mean /= m.k;
		CU_ASSERT(fabs(y[c] - mean) <= 1e-6 * (1 + fabs(mean)));
	}
	CU_ASSERT(res.iters <= 2);
	CU_ASSERT_EQUAL(res.clipped, 0);
	free(y);
	mat_free(&m);
}

static void test_all_equal(void)
{
	struct mat m = mat_new(12, 101);
	for (uint32_t i = 0; i < m.k; i++)
		for (size_t c = 0; c < m.d; c++)
			row(&m, i)[c] = (float)c * 0.25f - 3;
	float *y = malloc(m.d * sizeof(float));
	for (size_t n = 0; n < NIMPL; n++) {
		if (!byz_clip_impl_available(all_impls[n]))
			continue;
		struct byz_clip_params p = {1.0, 1e-9, 100, all_impls[n]};
		struct byz_clip_result res;
		CU_ASSERT_EQUAL(byz_clip(m.rows, m.k, m.d, &p, y, NULL, &res), 0);
		CU_ASSERT_EQUAL(memcmp(y, m.rows[0], m.d * sizeof(float)), 0);
		CU_ASSERT_EQUAL(res.residual, 0);
		CU_ASSERT(res.converged);
		CU_ASSERT_EQUAL(res.clipped, 0);
	}
	free(y);
	mat_free(&m);
}

static void test_median(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 2};
	for (uint32_t k = 1; k <= 70; k += (k < 20 ? 1 : 7)) {
		size_t d = 1 + (size_t)(byz_rng_unif(&r) * 300);
		struct mat m = mat_new(k, d);
		for (size_t c = 0; c < d; c++)
			for (uint32_t i = 0; i < k; i++)
				/* Few distinct values: ties everywhere. */
				row(&m, i)[c] = (float)(int)(byz_rng_unif(&r) * 5) - 2;
		float *got = malloc(d * sizeof(float)), *col = malloc(k * sizeof(float));
		CU_ASSERT_EQUAL(byz_median_lower(m.rows, k, d, got), 0);
		for (size_t c = 0; c < d; c++) {
			for (uint32_t i = 0; i < k; i++)
				col[i] = m.rows[i][c];
			qsort(col, k, sizeof(float), cmpf);
			CU_ASSERT_EQUAL(got[c], col[(k - 1) / 2]);
		}
		free(got);
		free(col);
		mat_free(&m);
	}
	/* A large k that needs the heap scratch. */
	struct mat m = make_case(&r, 300, 40, 0, 0);
	float *got = malloc(40 * sizeof(float)), col[300];
	CU_ASSERT_EQUAL(byz_median_lower(m.rows, 300, 40, got), 0);
	for (size_t c = 0; c < 40; c++) {
		for (uint32_t i = 0; i < 300; i++)
			col[i] = m.rows[i][c];
		qsort(col, 300, sizeof(float), cmpf);
		CU_ASSERT_EQUAL(got[c], col[149]);
	}
	free(got);
	mat_free(&m);
}

static void test_nonfinite(void)
{
	const float bad[] = {NAN, INFINITY, -INFINITY};
	struct byz_rng r = {byz_test_seed_used ^ 3};
	for (size_t b = 0; b < 3; b++)
		for (size_t n = 0; n < NIMPL; n++) {
			if (!byz_clip_impl_available(all_impls[n]))
				continue;
			struct mat m = make_case(&r, 5, 67, 1, 3);
			/* In the SIMD body and in the scalar tail. */
			row(&m, 3)[b == 1 ? 66 : 17] = bad[b];
			float *y = malloc(m.d * sizeof(float));
			memset(y, 0x7f, m.d * sizeof(float));
			struct byz_clip_params p = {1, 1e-6, 100, all_impls[n]};
			struct byz_clip_result res;
			CU_ASSERT_EQUAL(byz_clip(m.rows, m.k, m.d, &p, y, NULL, &res), -EDOM);
			for (size_t c = 0; c < m.d; c++)
				CU_ASSERT_EQUAL(y[c], 0.0f);
			double resid;
			CU_ASSERT_EQUAL(byz_clip_check(m.rows, m.k, m.d, 1, m.rows[0],
						       NULL, NULL, &resid), -EDOM);
			free(y);
			mat_free(&m);
		}
}

static void test_bad_args(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 4};
	struct mat m = make_case(&r, 4, 10, 0, 0);
	float y[10];
	struct byz_clip_params p = {1, 1e-6, 10, BYZ_CLIP_AUTO};
	CU_ASSERT_EQUAL(byz_clip(NULL, 4, 10, &p, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_clip(m.rows, 0, 10, &p, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 0, &p, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_clip(m.rows, BYZ_CLIP_MAX_K + 1, 10, &p, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, NULL, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, NULL, NULL, NULL), -EINVAL);
	/* Output aliasing an input. */
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, row(&m, 2), NULL, NULL), -EINVAL);
	const double bad_tau[] = {0, -1, NAN, INFINITY};
	for (size_t i = 0; i < 4; i++) {
		p.tau = bad_tau[i];
		CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, y, NULL, NULL), -EINVAL);
	}
	p.tau = 1;
	p.eps = -1;
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, y, NULL, NULL), -EINVAL);
	p.eps = NAN;
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, y, NULL, NULL), -EINVAL);
	p.eps = 1e-6;
	p.impl = (enum byz_clip_impl)99;
	CU_ASSERT_EQUAL(byz_clip(m.rows, 4, 10, &p, y, NULL, NULL), -EINVAL);
	const float *holes[4] = {m.rows[0], NULL, m.rows[2], m.rows[3]};
	p.impl = BYZ_CLIP_AUTO;
	CU_ASSERT_EQUAL(byz_clip(holes, 4, 10, &p, y, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_median_lower(holes, 4, 10, y), -EINVAL);
	mat_free(&m);
}

static void test_names(void)
{
	for (int i = 0; i < BYZ_CLIP_IMPL_COUNT; i++) {
		enum byz_clip_impl got;
		CU_ASSERT_EQUAL(byz_clip_impl_parse(byz_clip_impl_name(i), &got), 0);
		CU_ASSERT_EQUAL(got, i);
	}
	enum byz_clip_impl got;
	CU_ASSERT_EQUAL(byz_clip_impl_parse("sse9", &got), -EINVAL);
	CU_ASSERT(byz_clip_impl_available(BYZ_CLIP_REF));
	CU_ASSERT(byz_clip_impl_available(byz_clip_best_impl()));
	CU_ASSERT_STRING_EQUAL(byz_strerror(-EDOM), "input holds NaN or Inf");
}

/* max_iters = 0 returns the median itself, with its residual measured. */
static void test_zero_iters(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 5};
	struct mat m = make_case(&r, 7, 90, 3, 5);
	float med[90], y[90];
	CU_ASSERT_EQUAL(byz_median_lower(m.rows, m.k, m.d, med), 0);
	for (size_t n = 0; n < NIMPL; n++) {
		if (!byz_clip_impl_available(all_impls[n]))
			continue;
		struct byz_clip_params p = {1, 1e-6, 0, all_impls[n]};
		struct byz_clip_result res;
		double nd[7];
		CU_ASSERT_EQUAL(byz_clip(m.rows, m.k, m.d, &p, y, NULL, &res), 0);
		CU_ASSERT_EQUAL(memcmp(y, med, sizeof(y)), 0);
		CU_ASSERT_EQUAL(res.iters, 0);
		double want = naive_residual(&m, y, 1, nd);
		CU_ASSERT(fabs(res.residual - want) <= 1e-9 * (1 + want));
	}
	mat_free(&m);
}

/* Rows of one allocation at a power-of-two stride: every row's coordinate c
 * falls in the same cache set, the layout the Gram passes stage around.
 * k past the fixed networks and not a multiple of 4, d spanning many
 * blocks with a tail. */
static void test_aliased_rows(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 6};
	static const uint32_t ks[] = {16, 17, 64, 65};
	for (size_t a = 0; a < sizeof(ks) / sizeof(ks[0]); a++) {
		struct mat m = make_case(&r, ks[a], 4096, ks[a] / 3, 20.0);
		check_all(&m, 1.0, 1e-7, 500);
		mat_free(&m);
		m = make_case(&r, ks[a], 1000 + ks[a], ks[a] / 2 - 1, 5.0);
		check_all(&m, 0.3, 1e-7, 500);
		mat_free(&m);
	}
}

/* No honest majority: every row is Byzantine, far from the others in its
 * own direction, with norms near 1e15 (squares near 1e30 in the Gram
 * sums); then every row near float32's largest magnitude. */
static void test_all_byzantine(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 7};
	struct mat m = mat_new(20, 777);
	for (uint32_t i = 0; i < m.k; i++)
		for (size_t c = 0; c < m.d; c++)
			row(&m, i)[c] = (float)(byz_rng_gauss(&r) * 1e15 / sqrt(777.0) +
						(c % m.k == i ? 3e14 : 0));
	check_all(&m, 1e14, 1e3, 500);
	check_all(&m, 1e16, 1e3, 500);
	mat_free(&m);
	m = mat_new(9, 300);
	for (uint32_t i = 0; i < m.k; i++)
		for (size_t c = 0; c < m.d; c++)
			row(&m, i)[c] = (float)((byz_rng_unif(&r) * 2 - 1) * 3e38);
	check_all(&m, 1e38, 1e33, 300);
	mat_free(&m);
}

/* NaN/Inf past the first block of the staged passes, in every row
 * position class (first, inside a group of 4, last). */
static void test_nonfinite_late(void)
{
	const float bad[] = {NAN, INFINITY, -INFINITY};
	struct byz_rng r = {byz_test_seed_used ^ 8};
	static const uint32_t rows_hit[] = {0, 6, 36};
	for (size_t b = 0; b < 3; b++)
		for (size_t h = 0; h < 3; h++)
			for (size_t n = 0; n < NIMPL; n++) {
				if (!byz_clip_impl_available(all_impls[n]))
					continue;
				struct mat m = make_case(&r, 37, 1500, 5, 3);
				row(&m, rows_hit[h])[700 + 311 * h] = bad[b];
				float *y = malloc(m.d * sizeof(float));
				struct byz_clip_params p = {1, 1e-6, 100, all_impls[n]};
				struct byz_clip_result res;
				CU_ASSERT_EQUAL(byz_clip(m.rows, m.k, m.d, &p, y, NULL, &res), -EDOM);
				for (size_t c = 0; c < m.d; c++)
					CU_ASSERT_EQUAL(y[c], 0.0f);
				free(y);
				mat_free(&m);
			}
}

/* The same call twice gives the same bits, and AUTO gives the bits of the
 * implementation it reports: aggregates are hashed and compared. */
static void test_deterministic(void)
{
	struct byz_rng r = {byz_test_seed_used ^ 9};
	static const uint32_t ks[] = {4, 16, 64, 200};
	for (size_t a = 0; a < sizeof(ks) / sizeof(ks[0]); a++) {
		struct mat m = make_case(&r, ks[a], 1031, ks[a] / 4, 10.0);
		float *y1 = malloc(m.d * sizeof(float)), *y2 = malloc(m.d * sizeof(float));
		for (size_t n = 0; n < NIMPL; n++) {
			if (!byz_clip_impl_available(all_impls[n]))
				continue;
			struct byz_clip_params p = {1, 1e-6, 200, all_impls[n]};
			struct byz_clip_result r1, r2;
			CU_ASSERT_EQUAL_FATAL(byz_clip(m.rows, m.k, m.d, &p, y1, NULL, &r1), 0);
			CU_ASSERT_EQUAL_FATAL(byz_clip(m.rows, m.k, m.d, &p, y2, NULL, &r2), 0);
			CU_ASSERT_EQUAL(memcmp(y1, y2, m.d * sizeof(float)), 0);
			CU_ASSERT_EQUAL(r1.iters, r2.iters);
			CU_ASSERT(r1.residual == r2.residual);
			if (all_impls[n] == BYZ_CLIP_AUTO) {
				CU_ASSERT_EQUAL(r1.impl, byz_clip_auto_impl(m.k, p.max_iters));
				p.impl = r1.impl;
				CU_ASSERT_EQUAL_FATAL(byz_clip(m.rows, m.k, m.d, &p, y2, NULL, &r2), 0);
				CU_ASSERT_EQUAL(memcmp(y1, y2, m.d * sizeof(float)), 0);
			}
		}
		free(y1);
		free(y2);
		mat_free(&m);
	}
}

/* What AUTO resolves to: a function of k, max_iters and the kernel level
 * only, the Gram path for the usual shapes, direct where it needs fewer
 * operations; BYZ_CLIP_IMPL overrides. */
static void test_auto_rule(void)
{
	int direct = byz_clip_impl_available(BYZ_CLIP_AVX2);
	const char *saved = getenv("BYZ_CLIP_IMPL");
	char keep[32] = "";
	if (saved)
		snprintf(keep, sizeof(keep), "%s", saved);
	unsetenv("BYZ_CLIP_IMPL");
	CU_ASSERT_EQUAL(byz_clip_auto_impl(16, 1000), BYZ_CLIP_GRAM);
	CU_ASSERT_EQUAL(byz_clip_auto_impl(64, 1000), BYZ_CLIP_GRAM);
	CU_ASSERT_EQUAL(byz_clip_best_impl(), BYZ_CLIP_GRAM);
	enum byz_clip_impl big = byz_clip_auto_impl(BYZ_CLIP_MAX_K, 1000);
	enum byz_clip_impl once = byz_clip_auto_impl(300, 12);
	CU_ASSERT_EQUAL(byz_clip_auto_impl(264, 1000), BYZ_CLIP_GRAM);
	if (direct) {
		CU_ASSERT(big == BYZ_CLIP_AVX2 || big == BYZ_CLIP_AVX512);
		CU_ASSERT(once == big);
		CU_ASSERT_EQUAL(byz_clip_auto_impl(64, 0), big);
		CU_ASSERT_EQUAL(byz_clip_auto_impl(265, 1000), big);
	} else {
		CU_ASSERT_EQUAL(big, BYZ_CLIP_GRAM);
		CU_ASSERT_EQUAL(once, BYZ_CLIP_GRAM);
	}
	/* Monotone in k: once direct, direct for every larger k. */
	for (uint32_t it = 1; it <= 64; it *= 2) {
		int seen_direct = 0;
		for (uint32_t k = 1; k <= 1024; k++) {
			int d = byz_clip_auto_impl(k, it) != BYZ_CLIP_GRAM;
			CU_ASSERT(!seen_direct || d);
			seen_direct |= d;
		}
	}
	setenv("BYZ_CLIP_IMPL", "ref", 1);
	CU_ASSERT_EQUAL(byz_clip_auto_impl(16, 1000), BYZ_CLIP_REF);
	CU_ASSERT_EQUAL(byz_clip_auto_impl(BYZ_CLIP_MAX_K, 1), BYZ_CLIP_REF);
	setenv("BYZ_CLIP_IMPL", "gram", 1);
	CU_ASSERT_EQUAL(byz_clip_auto_impl(BYZ_CLIP_MAX_K, 1), BYZ_CLIP_GRAM);
	if (keep[0])
		setenv("BYZ_CLIP_IMPL", keep, 1);
	else
		unsetenv("BYZ_CLIP_IMPL");
}

BYZ_TEST_MAIN("clip",
	      {"implementations agree with the reference (random)", test_random},
	      {"implementations agree with the reference (adversarial)", test_adversarial},
	      {"all rows equal", test_all_equal},
	      {"lower median against qsort", test_median},
	      {"NaN and Inf rejected", test_nonfinite},
	      {"bad arguments rejected", test_bad_args},
	      {"implementation names", test_names},
	      {"zero iterations returns the median", test_zero_iters},
	      {"rows at a power-of-two stride", test_aliased_rows},
	      {"every row Byzantine, huge norms", test_all_byzantine},
	      {"NaN and Inf past the first block", test_nonfinite_late},
	      {"same inputs, same bits", test_deterministic},
	      {"what AUTO resolves to", test_auto_rule})
