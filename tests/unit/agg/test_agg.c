/*
 * Baseline aggregators: each rule's defining property on random and
 * adversarial inputs, the argument checks (-EINVAL) and the non-finite
 * checks (-EDOM, zero-filled output). Expected values are computed here with
 * plain loops, independently of dataplane/agg.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"
#include "byz/agg.h"
#include "byz/err.h"
#include "byz_test.h"

#define KMAX 32

struct inputs {
	uint32_t k;
	size_t d;
	float *data;
	const float *v[KMAX];
};

static void inputs_alloc(struct inputs *in, uint32_t k, size_t d)
{
	CU_ASSERT_FATAL(k <= KMAX);
	in->k = k;
	in->d = d;
	in->data = malloc((size_t)k * d * sizeof(float));
	CU_ASSERT_FATAL(in->data != NULL);
	for (uint32_t i = 0; i < k; i++)
		in->v[i] = in->data + (size_t)i * d;
}

static float *row(struct inputs *in, uint32_t i)
{
	return in->data + (size_t)i * in->d;
}

static void fill_gauss(struct inputs *in, struct byz_rng *r, double mu, double sigma)
{
	for (size_t i = 0; i < (size_t)in->k * in->d; i++)
		in->data[i] = (float)(mu + sigma * byz_rng_gauss(r));
}

static struct byz_agg_params params(enum byz_agg_kind kind, uint32_t k, uint32_t f)
{
	struct byz_agg_params p;
	byz_agg_params_default(&p, kind, k);
	p.f = f;
	return p;
}

static int cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The test's own trimmed mean (f = 0: mean) and lower median of coordinate c. */
static double col_trimmed(const struct inputs *in, size_t c, uint32_t f)
{
	float t[KMAX];
	for (uint32_t i = 0; i < in->k; i++)
		t[i] = in->v[i][c];
	qsort(t, in->k, sizeof(float), cmpf);
	double s = 0;
	for (uint32_t i = f; i < in->k - f; i++)
		s += t[i];
	return s / (in->k - 2 * f);
}

static float col_median(const struct inputs *in, size_t c)
{
	float t[KMAX];
	for (uint32_t i = 0; i < in->k; i++)
		t[i] = in->v[i][c];
	qsort(t, in->k, sizeof(float), cmpf);
	return t[(in->k - 1) / 2];
}

static double sqdist(const float *a, const float *b, size_t d)
{
	double s = 0;
	for (size_t c = 0; c < d; c++) {
		double t = (double)a[c] - (double)b[c];
		s += t * t;
	}
	return s;
}

static double sum_dist(const struct inputs *in, const double *y)
{
	double s = 0;
	for (uint32_t i = 0; i < in->k; i++) {
		double q = 0;
		for (size_t c = 0; c < in->d; c++) {
			double t = (double)in->v[i][c] - y[c];
			q += t * t;
		}
		s += sqrt(q);
	}
	return s;
}

/* One float32 ulp of x, plus a floor for results near 0. */
static int within_ulp(double got, double want, double floor)
{
	float a = fabsf((float)want);
	return fabs(got - want) <= (double)nextafterf(a, INFINITY) - a + floor;
}

static void test_mean_and_equal_rows(void)
{
	struct byz_rng r = {byz_test_seed()};
	struct inputs in;
	inputs_alloc(&in, 7, 101);
	fill_gauss(&in, &r, 0, 1);
	for (uint32_t i = 1; i < in.k; i++)
		memcpy(row(&in, i), row(&in, 0), in.d * sizeof(float));
	float out[101];
	struct byz_agg_result res;
	/* Every rule returns the common row exactly when all rows are equal. */
	for (int kind = 0; kind < BYZ_AGG_COUNT; kind++) {
		struct byz_agg_params p;
		byz_agg_params_default(&p, (enum byz_agg_kind)kind, in.k);
		memset(out, 0, sizeof(out));
		CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, in.k, in.d, out, &res), 0);
		if (memcmp(out, in.v[0], sizeof(out)) != 0)
			fprintf(stderr, "\n  %s: not the common row\n", byz_agg_name((enum byz_agg_kind)kind));
		CU_ASSERT_EQUAL(memcmp(out, in.v[0], sizeof(out)), 0);
	}
	/* Mean of random rows: double accumulation, one rounding. */
	fill_gauss(&in, &r, 3, 10);
	struct byz_agg_params p = params(BYZ_AGG_MEAN, in.k, 0);
	res.iters = 99;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, in.k, in.d, out, &res), 0);
	CU_ASSERT(res.iters == 0 && res.residual == 0 && res.clipped == 0 && res.selected == 0);
	for (size_t c = 0; c < in.d; c++)
		CU_ASSERT(within_ulp(out[c], col_trimmed(&in, c, 0), 1e-12));
	free(in.data);
}

static void test_median_outlier(void)
{
	struct byz_rng r = {byz_test_seed() + 1};
	for (uint32_t k = 1; k <= 12; k++) {
		struct inputs in;
		inputs_alloc(&in, k, 37);
		fill_gauss(&in, &r, 0, 1);
		if (k >= 3)
			for (size_t c = 0; c < in.d; c++)
				row(&in, k / 2)[c] = (c & 1) ? 3e38f : -3e38f;
		float out[37];
		struct byz_agg_params p = params(BYZ_AGG_MEDIAN, k, 0);
		CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
		for (size_t c = 0; c < in.d; c++) {
			CU_ASSERT_EQUAL(out[c], col_median(&in, c));
			if (k >= 3)
				CU_ASSERT(fabsf(out[c]) < 1e3f);
		}
		free(in.data);
	}
}

static void test_trimmed_mean_ignores_outliers(void)
{
	struct byz_rng r = {byz_test_seed() + 2};
	const uint32_t k = 11, f = 3;
	struct inputs in;
	inputs_alloc(&in, k, 77);
	fill_gauss(&in, &r, 1, 1);
	/* f attackers, each coordinate on a random side, huge. */
	for (uint32_t i = 0; i < f; i++)
		for (size_t c = 0; c < in.d; c++)
			row(&in, 2 + 3 * i)[c] = byz_rng_unif(&r) < 0.5 ? -1e30f : 1e30f;
	float out[77];
	struct byz_agg_params p = params(BYZ_AGG_TRIMMED_MEAN, k, f);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
	for (size_t c = 0; c < in.d; c++) {
		CU_ASSERT(within_ulp(out[c], col_trimmed(&in, c, f), 1e-12));
		/* Inside the honest values' range. */
		float lo = INFINITY, hi = -INFINITY;
		for (uint32_t i = 0; i < k; i++) {
			if (fabsf(in.v[i][c]) < 1e29f) {
				lo = fminf(lo, in.v[i][c]);
				hi = fmaxf(hi, in.v[i][c]);
			}
		}
		CU_ASSERT(out[c] >= lo && out[c] <= hi);
	}
	/* f = 0 is the mean; 2f >= k is refused. */
	p.f = 0;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
	for (size_t c = 0; c < in.d; c++)
		CU_ASSERT(within_ulp(out[c], col_trimmed(&in, c, 0), 1e-12 * 1e30));
	p.f = 6;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), -EINVAL);
	p.f = 5;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
	for (size_t c = 0; c < in.d; c++)
		CU_ASSERT_EQUAL(out[c], col_median(&in, c)); /* odd k, maximal trim: the median */
	free(in.data);
}

/* k > 24 takes the selection path instead of a full sort; ties are the hard case. */
static void test_trimmed_mean_large_k(void)
{
	struct byz_rng r = {byz_test_seed() + 9};
	static const uint32_t ks[] = {25, 29, 32};
	for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
		uint32_t k = ks[t];
		struct inputs in;
		inputs_alloc(&in, k, 301);
		for (size_t i = 0; i < (size_t)k * in.d; i++) {
			/* Half the coordinates from 5 values only: many ties. */
			uint64_t u = byz_rng_next(&r);
			in.data[i] = (i % in.d) & 1 ? (float)(u % 5) - 2.0f
						   : (float)byz_rng_gauss(&r) * ((u & 7) == 0 ? 1e6f : 1.0f);
		}
		float out[301];
		for (uint32_t f = 0; 2 * f < k; f += (f < 3 ? 1 : 4)) {
			struct byz_agg_params p = params(BYZ_AGG_TRIMMED_MEAN, k, f);
			CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
			for (size_t c = 0; c < in.d; c++) {
				double want = col_trimmed(&in, c, f);
				if (!within_ulp(out[c], want, 1e-12 * 1e7))
					fprintf(stderr, "\n  k=%u f=%u c=%zu: %.9g, want %.9g\n", k, f, c,
						out[c], want);
				CU_ASSERT(within_ulp(out[c], want, 1e-12 * 1e7));
			}
		}
		/* The largest f: one (odd k) or two (even k) middle values. */
		struct byz_agg_params p = params(BYZ_AGG_TRIMMED_MEAN, k, (k - 1) / 2);
		CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, NULL), 0);
		for (size_t c = 0; c < in.d; c++)
			CU_ASSERT(within_ulp(out[c], col_trimmed(&in, c, (k - 1) / 2), 0));
		free(in.data);
	}
}

/* Scores as the definition says, with long double sums. */
static void ref_scores(const struct inputs *in, uint32_t f, double *scores)
{
	for (uint32_t i = 0; i < in->k; i++) {
		double dd[KMAX];
		uint32_t n = 0;
		for (uint32_t j = 0; j < in->k; j++)
			if (j != i)
				dd[n++] = sqdist(in->v[i], in->v[j], in->d);
		for (uint32_t a = 1; a < n; a++) /* insertion sort */
			for (uint32_t b = a; b > 0 && dd[b - 1] > dd[b]; b--) {
				double t = dd[b];
				dd[b] = dd[b - 1];
				dd[b - 1] = t;
			}
		long double s = 0;
		for (uint32_t j = 0; j < in->k - f - 2; j++)
			s += dd[j];
		scores[i] = (double)s;
	}
}

static void test_krum_picks_honest(void)
{
	struct byz_rng r = {byz_test_seed() + 3};
	/* k = 7 takes the direct distance path, k = 24 the Gram one. */
	static const uint32_t ks[] = {7, 11, 24};
	for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
		uint32_t k = ks[t], f = (k - 3) / 2;
		struct inputs in;
		inputs_alloc(&in, k, 300);
		fill_gauss(&in, &r, 0.5, 1);
		/* f colluding attackers at one far point, placed at the lowest indices. */
		for (uint32_t i = 0; i < f; i++)
			for (size_t c = 0; c < in.d; c++)
				row(&in, i)[c] = 100.0f + (float)c;
		float out[300];
		struct byz_agg_result res;
		struct byz_agg_params p = params(BYZ_AGG_KRUM, k, f);
		CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, &res), 0);
		CU_ASSERT(res.selected >= f && res.selected < k);
		CU_ASSERT_EQUAL(memcmp(out, in.v[res.selected < k ? res.selected : 0], sizeof(out)), 0);
		double s[KMAX];
		ref_scores(&in, f, s);
		for (uint32_t i = 0; i < k; i++)
			CU_ASSERT(s[res.selected] <= s[i]);
		double got[KMAX];
		CU_ASSERT_EQUAL(byz_agg_krum_scores(in.v, k, in.d, f, got, BYZ_AGG_DIST_AUTO), 0);
		for (uint32_t i = 0; i < k; i++)
			CU_ASSERT(fabs(got[i] - s[i]) <= 1e-12 * s[i]);

		/* Multi-Krum: the mean of exactly the m lowest-score inputs. */
		for (uint32_t m = 1; m <= k; m += (k > 8 ? 5 : 2)) {
			struct byz_agg_params pm = params(BYZ_AGG_MULTIKRUM, k, f);
			pm.m = m;
			CU_ASSERT_EQUAL(byz_aggregate(&pm, in.v, k, in.d, out, &res), 0);
			CU_ASSERT_EQUAL(res.selected, m);
			uint8_t pick[KMAX] = {0};
			for (uint32_t n = 0; n < m; n++) {
				uint32_t b = k;
				for (uint32_t i = 0; i < k; i++)
					if (!pick[i] && (b == k || s[i] < s[b]))
						b = i;
				pick[b] = 1;
			}
			for (size_t c = 0; c < in.d; c++) {
				double acc = 0;
				for (uint32_t i = 0; i < k; i++)
					acc += pick[i] ? in.v[i][c] : 0;
				CU_ASSERT(within_ulp(out[c], acc / m, 1e-12 * 400));
			}
			/* Honest only while m <= k - f. */
			if (m <= k - f)
				for (uint32_t i = 0; i < f; i++)
					CU_ASSERT(!pick[i]);
		}
		/* m = 0 means k - f. */
		struct byz_agg_params pm = params(BYZ_AGG_MULTIKRUM, k, f);
		CU_ASSERT_EQUAL(byz_aggregate(&pm, in.v, k, in.d, out, &res), 0);
		CU_ASSERT_EQUAL(res.selected, k - f);
		pm.m = k + 1;
		CU_ASSERT_EQUAL(byz_aggregate(&pm, in.v, k, in.d, out, &res), -EINVAL);
		/* k > 2f + 2 is required. */
		p.f = (k - 1) / 2; /* the least f with k <= 2f + 2 */
		CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, k, in.d, out, &res), -EINVAL);
		free(in.data);
	}
}

static void test_krum_ties(void)
{
	struct inputs in;
	inputs_alloc(&in, 9, 40);
	memset(in.data, 0, 9 * 40 * sizeof(float));
	/* Rows 3 and 6 are both the unique best (the others are pairwise far apart). */
	for (uint32_t i = 0; i < 9; i++)
		row(&in, i)[i] = (i == 3 || i == 6) ? 0.0f : 10.0f * (float)(i + 1);
	float out[40];
	struct byz_agg_result res;
	struct byz_agg_params p = params(BYZ_AGG_KRUM, 9, 2);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, 40, out, &res), 0);
	CU_ASSERT_EQUAL(res.selected, 3);
	free(in.data);
}

/* Gram distances with the cancellation trap: close inputs, huge common offset. */
static void test_distance_paths(void)
{
	struct byz_rng r = {byz_test_seed() + 4};
	struct inputs in;
	inputs_alloc(&in, 20, 1000);
	for (size_t c = 0; c < in.d; c++) {
		float base = (float)(1e4 * byz_rng_gauss(&r));
		for (uint32_t i = 0; i < in.k; i++)
			row(&in, i)[c] = base + (i < 10 ? (float)(1e-2 * byz_rng_gauss(&r))
							 : (float)(1e2 * byz_rng_gauss(&r)));
	}
	memcpy(row(&in, 19), row(&in, 18), in.d * sizeof(float)); /* an exact duplicate */
	double *Dd = malloc(20 * 20 * sizeof(double)), *Dg = malloc(20 * 20 * sizeof(double));
	CU_ASSERT_FATAL(Dd && Dg);
	CU_ASSERT_EQUAL(byz_agg_sqdist(in.v, 20, in.d, Dd, BYZ_AGG_DIST_DIRECT), 0);
	CU_ASSERT_EQUAL(byz_agg_sqdist(in.v, 20, in.d, Dg, BYZ_AGG_DIST_GRAM), 0);
	for (uint32_t i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(Dd[i * 20 + i], 0);
		CU_ASSERT_EQUAL(Dg[i * 20 + i], 0);
		for (uint32_t j = 0; j < 20; j++) {
			double want = sqdist(in.v[i], in.v[j], in.d);
			CU_ASSERT_EQUAL(Dd[i * 20 + j], Dd[j * 20 + i]);
			CU_ASSERT_EQUAL(Dg[i * 20 + j], Dg[j * 20 + i]);
			CU_ASSERT(fabs(Dd[i * 20 + j] - want) <= 1e-12 * want);
			if (!(fabs(Dg[i * 20 + j] - want) <= 1e-9 * want))
				fprintf(stderr, "\n  gram D[%u][%u] = %.17g, want %.17g\n", i, j,
					Dg[i * 20 + j], want);
			CU_ASSERT(fabs(Dg[i * 20 + j] - want) <= 1e-9 * want);
		}
	}
	CU_ASSERT_EQUAL(Dg[18 * 20 + 19], 0);
	free(Dd);
	free(Dg);
	free(in.data);
}

static void test_geomed(void)
{
	struct byz_rng r = {byz_test_seed() + 5};
	struct inputs in;
	inputs_alloc(&in, 9, 50);
	fill_gauss(&in, &r, 2, 1);
	for (uint32_t i = 0; i < 3; i++)
		for (size_t c = 0; c < in.d; c++)
			row(&in, 3 * i + 1)[c] = (float)(1e3 * byz_rng_gauss(&r));
	float out[50], mean[50];
	struct byz_agg_result res;
	struct byz_agg_params p = params(BYZ_AGG_GEOMED, 9, 0);
	p.geomed_eps = 1e-9;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), 0);
	CU_ASSERT(res.iters >= 1 && res.iters < p.geomed_iters);
	CU_ASSERT(res.residual <= 1e-9);
	struct byz_agg_params pm = params(BYZ_AGG_MEAN, 9, 0);
	CU_ASSERT_EQUAL(byz_aggregate(&pm, in.v, 9, in.d, mean, NULL), 0);
	double y[50], ym[50];
	for (size_t c = 0; c < in.d; c++) {
		y[c] = out[c];
		ym[c] = mean[c];
	}
	double fg = sum_dist(&in, y), fm = sum_dist(&in, ym);
	CU_ASSERT(fg < fm);
	/* A (local, hence global: convex) minimum: no small move lowers the sum. */
	for (int t = 0; t < 200; t++) {
		double z[50];
		double h = 1e-3 * (1 + (t % 4));
		for (size_t c = 0; c < in.d; c++)
			z[c] = y[c] + h * byz_rng_gauss(&r);
		CU_ASSERT(sum_dist(&in, z) >= fg * (1 - 1e-9));
	}
	/* Honest rows are near 2 in every coordinate; the geomed stays there, the mean does not. */
	double eg = 0, em = 0;
	for (size_t c = 0; c < in.d; c++) {
		eg = fmax(eg, fabs(out[c] - 2));
		em = fmax(em, fabs(mean[c] - 2));
	}
	CU_ASSERT(eg < 3 && em > 10);

	/* No iterations: the lower median. Bad eps / nu: -EINVAL. */
	p.geomed_iters = 0;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), 0);
	CU_ASSERT_EQUAL(res.iters, 0);
	for (size_t c = 0; c < in.d; c++)
		CU_ASSERT_EQUAL(out[c], col_median(&in, c));
	p = params(BYZ_AGG_GEOMED, 9, 0);
	p.geomed_nu = 0;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), -EINVAL);
	p.geomed_nu = NAN;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), -EINVAL);
	p = params(BYZ_AGG_GEOMED, 9, 0);
	p.geomed_eps = -1;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), -EINVAL);
	p.geomed_eps = INFINITY;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 9, in.d, out, &res), -EINVAL);
	free(in.data);
}

/* Every rule returns a point inside the inputs' coordinate-wise box and is finite. */
static void test_random_box(void)
{
	struct byz_rng r = {byz_test_seed() + 6};
	for (int t = 0; t < 60; t++) {
		uint32_t k = 1 + (uint32_t)(byz_rng_next(&r) % 16);
		size_t d = 1 + (size_t)(byz_rng_next(&r) % 70);
		struct inputs in;
		inputs_alloc(&in, k, d);
		double scale = pow(10, (double)(byz_rng_next(&r) % 13) - 6);
		fill_gauss(&in, &r, 0, scale);
		float *out = malloc(d * sizeof(float));
		CU_ASSERT_FATAL(out != NULL);
		for (int kind = 0; kind < BYZ_AGG_COUNT; kind++) {
			struct byz_agg_params p;
			byz_agg_params_default(&p, (enum byz_agg_kind)kind, k);
			p.clip.tau = scale;
			int rc = byz_aggregate(&p, in.v, k, d, out, NULL);
			if (k < 3 && (kind == BYZ_AGG_KRUM || kind == BYZ_AGG_MULTIKRUM)) {
				CU_ASSERT_EQUAL(rc, -EINVAL);
				continue;
			}
			CU_ASSERT_EQUAL(rc, 0);
			for (size_t c = 0; c < d; c++) {
				float lo = INFINITY, hi = -INFINITY;
				for (uint32_t i = 0; i < k; i++) {
					lo = fminf(lo, in.v[i][c]);
					hi = fmaxf(hi, in.v[i][c]);
				}
				/* Convex combinations rounded once: one ulp of slack at the ends. */
				lo = nextafterf(lo, -INFINITY);
				hi = nextafterf(hi, INFINITY);
				if (!(out[c] >= lo && out[c] <= hi))
					fprintf(stderr, "\n  %s k=%u d=%zu: out[%zu]=%g outside [%g, %g]\n",
						byz_agg_name((enum byz_agg_kind)kind), k, d, c, out[c], lo,
						hi);
				CU_ASSERT(out[c] >= lo && out[c] <= hi);
			}
		}
		free(out);
		free(in.data);
	}
}

static void test_nonfinite(void)
{
	static const float bad[] = {NAN, INFINITY, -INFINITY};
	struct byz_rng r = {byz_test_seed() + 7};
	struct inputs in;
	inputs_alloc(&in, 7, 33);
	float out[33];
	for (size_t b = 0; b < 3; b++) {
		for (int kind = 0; kind < BYZ_AGG_COUNT; kind++) {
			for (int where = 0; where < 3; where++) {
				fill_gauss(&in, &r, 0, 1);
				uint32_t i = where == 0 ? 0 : where == 1 ? 3 : 6;
				size_t c = where == 0 ? 0 : where == 1 ? 17 : 32;
				row(&in, i)[c] = bad[b];
				struct byz_agg_params p;
				byz_agg_params_default(&p, (enum byz_agg_kind)kind, in.k);
				for (size_t j = 0; j < 33; j++)
					out[j] = 7.0f;
				CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, in.k, in.d, out, NULL), -EDOM);
				for (size_t j = 0; j < 33; j++)
					CU_ASSERT_EQUAL(out[j], 0.0f);
			}
		}
	}
	free(in.data);
}

static void test_bad_args(void)
{
	struct byz_rng r = {byz_test_seed() + 8};
	struct inputs in;
	inputs_alloc(&in, 5, 16);
	fill_gauss(&in, &r, 0, 1);
	float out[16];
	struct byz_agg_result res;
	struct byz_agg_params p = params(BYZ_AGG_MEAN, 5, 0);
	CU_ASSERT_EQUAL(byz_aggregate(NULL, in.v, 5, 16, out, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, NULL, 5, 16, out, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, NULL, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 0, 16, out, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 0, out, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, BYZ_CLIP_MAX_K + 1, 16, out, &res), -EINVAL);
	const float *holes[5] = {in.v[0], in.v[1], NULL, in.v[3], in.v[4]};
	CU_ASSERT_EQUAL(byz_aggregate(&p, holes, 5, 16, out, &res), -EINVAL);
	/* Output overlapping an input. */
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, row(&in, 2) + 8, &res), -EINVAL);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, row(&in, 4), &res), -EINVAL);
	p.kind = BYZ_AGG_COUNT;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	p.kind = (enum byz_agg_kind)-1;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	/* CenteredClip's own checks come through. */
	p = params(BYZ_AGG_CCLIP, 5, 0);
	p.clip.tau = 0;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	p.clip.tau = NAN;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	p.clip.tau = 1;
	p.clip.eps = -1;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	/* Krum needs k > 2f + 2: k = 5 allows f = 1 only. */
	p = params(BYZ_AGG_KRUM, 5, 2);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	p.f = UINT32_MAX;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	p.f = 1;
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), 0);
	p = params(BYZ_AGG_TRIMMED_MEAN, 5, UINT32_MAX);
	CU_ASSERT_EQUAL(byz_aggregate(&p, in.v, 5, 16, out, &res), -EINVAL);
	free(in.data);
}

static void test_names_and_defaults(void)
{
	for (int kind = 0; kind < BYZ_AGG_COUNT; kind++) {
		enum byz_agg_kind back;
		const char *n = byz_agg_name((enum byz_agg_kind)kind);
		CU_ASSERT_EQUAL(byz_agg_parse(n, &back), 0);
		CU_ASSERT_EQUAL(back, kind);
	}
	CU_ASSERT_STRING_EQUAL(byz_agg_name(BYZ_AGG_TRIMMED_MEAN), "trimmed-mean");
	CU_ASSERT_STRING_EQUAL(byz_agg_name(BYZ_AGG_COUNT), "unknown");
	enum byz_agg_kind kk;
	CU_ASSERT_EQUAL(byz_agg_parse("Mean", &kk), -EINVAL);
	CU_ASSERT_EQUAL(byz_agg_parse("", &kk), -EINVAL);
	CU_ASSERT_EQUAL(byz_agg_parse(NULL, &kk), -EINVAL);
	CU_ASSERT_EQUAL(byz_agg_parse("krum", NULL), -EINVAL);

	struct byz_agg_params p;
	byz_agg_params_default(&p, BYZ_AGG_TRIMMED_MEAN, 10);
	CU_ASSERT(p.f == 4 && p.clip.tau == 1 && p.clip.eps == 1e-6 && p.clip.max_iters == 1000);
	byz_agg_params_default(&p, BYZ_AGG_KRUM, 10);
	CU_ASSERT_EQUAL(p.f, 3);
	byz_agg_params_default(&p, BYZ_AGG_MULTIKRUM, 2);
	CU_ASSERT_EQUAL(p.f, 0);
	byz_agg_params_default(NULL, BYZ_AGG_MEAN, 3); /* no crash */
}

BYZ_TEST_MAIN("agg", {"mean_and_equal_rows", test_mean_and_equal_rows},
	      {"median_outlier", test_median_outlier},
	      {"trimmed_mean_ignores_outliers", test_trimmed_mean_ignores_outliers},
	      {"trimmed_mean_large_k", test_trimmed_mean_large_k},
	      {"krum_picks_honest", test_krum_picks_honest}, {"krum_ties", test_krum_ties},
	      {"distance_paths", test_distance_paths}, {"geomed", test_geomed},
	      {"random_box", test_random_box}, {"nonfinite", test_nonfinite},
	      {"bad_args", test_bad_args}, {"names_and_defaults", test_names_and_defaults})
