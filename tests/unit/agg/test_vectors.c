/*
 * Known-answer test: every case in $BYZ_VECTORS/manifest.txt (written by
 * tests/vectors/gen_vectors.py, an independent NumPy reference) is run
 * through every aggregator and every CenteredClip implementation this
 * machine has. A missing directory or manifest is a failure, not a skip.
 *
 * Tolerances (scale = largest |input| of the case, ulp(x) = float32 spacing
 * at x):
 *  - median, Krum: bitwise. They return input values.
 *  - mean, trimmed mean, Multi-Krum: ulp(ref) + 1e-12 scale per coordinate.
 *    Both sides sum float32 values in double (different order: at most ~k
 *    double roundings, ~1e-15 scale) and round once to float32, which can
 *    straddle a rounding boundary: one ulp. The absolute term covers results
 *    near 0, where the ulp is tiny but the double difference is not.
 *  - geometric median: same, with 1e-10 scale. Both run the same float64
 *    Weiszfeld iteration from the same float32 start; the sums over d are
 *    ordered differently (numpy: pairwise), and a few hundred iterations of a
 *    locally contracting map keep that at 1e-13 relative. Iteration counts
 *    must be equal: the generator refuses cases whose stopping step is within
 *    1e-6 relative of eps.
 *  - CenteredClip, direct implementations (ref, avx2, avx512): ulp(ref) +
 *    1e-10 scale per coordinate, equal iteration counts. The map
 *    y -> y + r(y) is an average of maps y -> v_i - (u - clip(u)), u = v_i - y,
 *    each nonexpansive, so rounding differences add up over the iterations
 *    instead of growing (20000 iterations x 1e-16 x scale stays < 1e-11).
 *  - CenteredClip, every implementation: the residual, distances and clipped
 *    count it reports must match what this test computes itself (float64,
 *    plain loops) at the point it returned, to 1e-9 relative + 1e-12 scale;
 *    against the reference's values at the reference point, within
 *    ||y - y_ref||_2 + 1e-9 (r is 1-Lipschitz: each clip is a projection, so
 *    |r(y) - r(y')| <= ||y - y'||; distances by the triangle inequality).
 *    The clipped count must be equal (the generator keeps every distance
 *    1e-6 relative away from tau).
 *  - CenteredClip, Gram implementation: its distances come from
 *    ||v||^2 - 2<v,y> + ||y||^2, which loses u ||v||^2 / ||v - y||^2 of
 *    relative accuracy, so its trajectory may leave the direct one by more
 *    than rounding and stop an iteration earlier or later. It must stop
 *    within 2 iterations of the reference, and when the reference converged,
 *    ||y - y*||_2 <= 2 ||y_ref - y*||_2 + 1e-9 scale, with y* the fixed point
 *    the generator iterated to 1e-13 (one iteration more or less changes the
 *    distance to y* by the contraction ratio, which is below 2 in every case).
 *    Capped runs: per coordinate ulp(ref) + 1e-6 scale.
 */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"
#include "byz/agg.h"
#include "byz/clip.h"
#include "byz/err.h"
#include "byz_test.h"
#include "npy.h"

#define MAX_LIST 64
#define MAX_FILES 256

struct vcase {
	char name[64];
	uint32_t k, max_iters, f, m, giters;
	size_t d;
	double tau, eps, geps, gnu;
	int have_cclip, have_star, have_geomed, have_krum, have_mk;
	uint32_t c_iters, c_clipped, g_iters, krum_sel, mk_sel;
	double c_res, c_star_err, g_res;
	double c_dist[MAX_LIST], scores[MAX_LIST];
	unsigned n_dist, n_scores;
	char expect_file[BYZ_AGG_COUNT][96];
	int listed[BYZ_AGG_COUNT]; /* 1 expect, -1 reject */
};

static const char *vdir;
static char used[MAX_FILES][96];
static unsigned n_used, n_cases, n_checks;

static void use_file(const char *f)
{
	for (unsigned i = 0; i < n_used; i++)
		if (strcmp(used[i], f) == 0)
			return;
	if (n_used < MAX_FILES)
		snprintf(used[n_used++], sizeof(used[0]), "%s", f);
}

static int load(const char *file, struct byz_npy_array *a)
{
	char path[512], msg[BYZ_NPY_MSG_LEN];
	snprintf(path, sizeof(path), "%s/%s", vdir, file);
	int rc = byz_npy_read_f32(path, a, msg, sizeof(msg));
	if (rc)
		fprintf(stderr, "\n  %s: %s\n", path, msg);
	else
		use_file(file);
	return rc;
}

static double ulp32(double x)
{
	float a = fabsf((float)x);
	return (double)nextafterf(a, INFINITY) - (double)a;
}

/* Largest |a-b| - tol(b) over coordinates; > 0 means out of tolerance. */
static int close_vec(const char *what, const struct vcase *vc, const float *got,
		     const float *ref, size_t d, double abs_tol)
{
	for (size_t c = 0; c < d; c++) {
		double e = fabs((double)got[c] - (double)ref[c]);
		double tol = ulp32(ref[c]) + abs_tol;
		if (!(e <= tol)) {
			fprintf(stderr, "\n  %s %s: coordinate %zu: got %.9g, want %.9g (diff %.3g > tol %.3g)\n",
				vc->name, what, c, got[c], ref[c], e, tol);
			return 0;
		}
	}
	return 1;
}

/* Largest |a-b| in float32 ulps of b, for the log. */
static double max_ulps(const float *a, const float *b, size_t d)
{
	double m = 0;
	for (size_t c = 0; c < d; c++)
		m = fmax(m, fabs((double)a[c] - (double)b[c]) / ulp32(b[c]));
	return m;
}

static double l2diff(const float *a, const float *b, size_t d)
{
	double s = 0;
	for (size_t c = 0; c < d; c++) {
		double t = (double)a[c] - (double)b[c];
		s += t * t;
	}
	return sqrt(s);
}

/* The test's own CenteredClip quantities at y: plain float64 loops. */
static double own_residual(const float *const *v, uint32_t k, size_t d, double tau,
			   const float *y, double *dist, uint32_t *clipped)
{
	double *r = calloc(d, sizeof(double));
	CU_ASSERT_FATAL(r != NULL);
	*clipped = 0;
	for (uint32_t i = 0; i < k; i++) {
		double s = 0;
		for (size_t c = 0; c < d; c++) {
			double t = (double)v[i][c] - (double)y[c];
			s += t * t;
		}
		dist[i] = sqrt(s);
		double w = dist[i] > tau ? tau / dist[i] : 1.0;
		*clipped += dist[i] > tau;
		for (size_t c = 0; c < d; c++)
			r[c] += w * ((double)v[i][c] - (double)y[c]);
	}
	double n = 0;
	for (size_t c = 0; c < d; c++) {
		double t = r[c] / k;
		n += t * t;
	}
	free(r);
	return sqrt(n);
}

static int near(double got, double want, double rel, double abs_tol)
{
	return fabs(got - want) <= rel * fabs(want) + abs_tol;
}

static void check_cclip(const struct vcase *vc, const float *const *v, double scale,
			const float *ref)
{
	struct byz_npy_array star = {0};
	if (vc->have_star) {
		char f[96];
		snprintf(f, sizeof(f), "%s.cclip-star.npy", vc->name);
		CU_ASSERT_EQUAL_FATAL(load(f, &star), 0);
		CU_ASSERT_FATAL(star.cols == vc->d);
	}
	float *out = malloc(vc->d * sizeof(float));
	double dist[MAX_LIST], own[MAX_LIST];
	CU_ASSERT_FATAL(out != NULL);

	/* byz_clip_check at the reference point reproduces the reference's numbers. */
	double res;
	uint32_t clipped;
	CU_ASSERT_EQUAL(byz_clip_check(v, vc->k, vc->d, vc->tau, ref, dist, &clipped, &res), 0);
	CU_ASSERT(near(res, vc->c_res, 1e-9, 1e-12 * scale));
	CU_ASSERT_EQUAL(clipped, vc->c_clipped);
	for (uint32_t i = 0; i < vc->k; i++)
		CU_ASSERT(near(dist[i], vc->c_dist[i], 1e-9, 1e-12 * scale));

	for (int impl = BYZ_CLIP_REF; impl < BYZ_CLIP_IMPL_COUNT; impl++) {
		if (!byz_clip_impl_available((enum byz_clip_impl)impl))
			continue;
		const char *iname = byz_clip_impl_name((enum byz_clip_impl)impl);
		struct byz_clip_params p = {vc->tau, vc->eps, vc->max_iters, (enum byz_clip_impl)impl};
		struct byz_clip_result r;
		memset(out, 0xff, vc->d * sizeof(float));
		int rc = byz_clip(v, vc->k, vc->d, &p, out, dist, &r);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			continue;
		n_checks++;
		CU_ASSERT_EQUAL(r.impl, impl);
		CU_ASSERT(r.iters <= vc->max_iters);

		/* What it reports matches what it returned. */
		uint32_t own_clipped;
		double own_res = own_residual(v, vc->k, vc->d, vc->tau, out, own, &own_clipped);
		if (!near(r.residual, own_res, 1e-9, 1e-12 * scale))
			fprintf(stderr, "\n  %s/%s: reported residual %.17g, at its output %.17g\n",
				vc->name, iname, r.residual, own_res);
		CU_ASSERT(near(r.residual, own_res, 1e-9, 1e-12 * scale));
		CU_ASSERT_EQUAL(r.clipped, own_clipped);
		for (uint32_t i = 0; i < vc->k; i++)
			CU_ASSERT(near(dist[i], own[i], 1e-9, 1e-12 * scale));

		/* And the reference's numbers, within how far its point is from the reference's. */
		double dy = l2diff(out, ref, vc->d);
		CU_ASSERT(fabs(own_res - vc->c_res) <= dy + 1e-9);
		CU_ASSERT_EQUAL(own_clipped, vc->c_clipped);
		for (uint32_t i = 0; i < vc->k; i++)
			CU_ASSERT(fabs(own[i] - vc->c_dist[i]) <= dy + 1e-9);

		/* The log shows how much of each tolerance is used. */
		printf("\n  %-18s %-6s iters %5u (ref %5u)  max %4.0f ulp  ||y-y_ref|| %.2e", vc->name,
		       iname, r.iters, vc->c_iters, max_ulps(out, ref, vc->d), dy);
		if (vc->have_star)
			printf("  ||y-y*||/||y_ref-y*|| %.3f",
			       vc->c_star_err > 0 ? l2diff(out, star.data, vc->d) / vc->c_star_err : 0.0);
		if (impl != BYZ_CLIP_GRAM) {
			if (r.iters != vc->c_iters)
				fprintf(stderr, "\n  %s/%s: %u iterations, reference %u\n", vc->name,
					iname, r.iters, vc->c_iters);
			CU_ASSERT_EQUAL(r.iters, vc->c_iters);
			CU_ASSERT(close_vec(iname, vc, out, ref, vc->d, 1e-10 * scale));
		} else {
			int64_t di = (int64_t)r.iters - (int64_t)vc->c_iters;
			CU_ASSERT(di >= -2 && di <= 2);
			if (vc->have_star) {
				double e = l2diff(out, star.data, vc->d);
				double tol = 2 * vc->c_star_err + 1e-9 * scale;
				if (!(e <= tol))
					fprintf(stderr, "\n  %s/gram: ||y - y*|| = %.3g > %.3g\n", vc->name,
						e, tol);
				CU_ASSERT(e <= tol);
			} else {
				CU_ASSERT(close_vec(iname, vc, out, ref, vc->d, 1e-6 * scale));
			}
		}
	}

	/* Through byz_aggregate (AUTO): the same as byz_clip with the best implementation. */
	struct byz_agg_params ap;
	byz_agg_params_default(&ap, BYZ_AGG_CCLIP, vc->k);
	ap.clip = (struct byz_clip_params){vc->tau, vc->eps, vc->max_iters, BYZ_CLIP_AUTO};
	struct byz_agg_result ar;
	float *out2 = malloc(vc->d * sizeof(float));
	CU_ASSERT_FATAL(out2 != NULL);
	CU_ASSERT_EQUAL(byz_aggregate(&ap, v, vc->k, vc->d, out2, &ar), 0);
	struct byz_clip_params bp = {vc->tau, vc->eps, vc->max_iters, byz_clip_best_impl()};
	struct byz_clip_result br;
	CU_ASSERT_EQUAL(byz_clip(v, vc->k, vc->d, &bp, out, NULL, &br), 0);
	CU_ASSERT_EQUAL(memcmp(out, out2, vc->d * sizeof(float)), 0);
	CU_ASSERT_EQUAL(ar.iters, br.iters);
	CU_ASSERT_EQUAL(ar.clipped, br.clipped);
	CU_ASSERT_EQUAL(ar.residual, br.residual);
	free(out2);
	free(out);
	byz_npy_free(&star);
}

static void run_case(struct vcase *vc)
{
	char f[96];
	struct byz_npy_array in;
	snprintf(f, sizeof(f), "%s.in.npy", vc->name);
	CU_ASSERT_EQUAL_FATAL(load(f, &in), 0);
	CU_ASSERT_FATAL(in.ndim == 2 && in.rows == vc->k && in.cols == vc->d);
	CU_ASSERT_FATAL(vc->k <= MAX_LIST);
	const float *v[MAX_LIST];
	double scale = 0;
	for (uint32_t i = 0; i < vc->k; i++) {
		v[i] = in.data + (size_t)i * vc->d;
		for (size_t c = 0; c < vc->d; c++)
			scale = fmax(scale, fabs((double)v[i][c]));
	}
	scale = fmax(scale, 1.0);
	float *out = malloc(vc->d * sizeof(float));
	CU_ASSERT_FATAL(out != NULL);
	n_cases++;

	for (int kind = 0; kind < BYZ_AGG_COUNT; kind++) {
		const char *an = byz_agg_name((enum byz_agg_kind)kind);
		if (!vc->listed[kind]) {
			fprintf(stderr, "\n  %s: manifest says nothing about %s\n", vc->name, an);
			CU_FAIL("aggregator missing from the manifest");
			continue;
		}
		struct byz_agg_params p;
		byz_agg_params_default(&p, (enum byz_agg_kind)kind, vc->k);
		p.clip = (struct byz_clip_params){vc->tau, vc->eps, vc->max_iters, BYZ_CLIP_AUTO};
		p.f = vc->f;
		p.m = vc->m;
		p.geomed_eps = vc->geps;
		p.geomed_iters = vc->giters;
		p.geomed_nu = vc->gnu;
		struct byz_agg_result res;
		int rc = byz_aggregate(&p, v, vc->k, vc->d, out, &res);
		if (vc->listed[kind] < 0) {
			if (rc != -EINVAL)
				fprintf(stderr, "\n  %s/%s: rc %d, want -EINVAL\n", vc->name, an, rc);
			CU_ASSERT_EQUAL(rc, -EINVAL);
			continue;
		}
		if (rc)
			fprintf(stderr, "\n  %s/%s: rc %d (%s)\n", vc->name, an, rc, byz_strerror(rc));
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		struct byz_npy_array e;
		CU_ASSERT_EQUAL_FATAL(load(vc->expect_file[kind], &e), 0);
		CU_ASSERT_FATAL(e.ndim == 1 && e.cols == vc->d);
		n_checks++;
		switch (kind) {
		case BYZ_AGG_CCLIP:
			CU_ASSERT_FATAL(vc->have_cclip && vc->n_dist == vc->k);
			check_cclip(vc, v, scale, e.data);
			break;
		case BYZ_AGG_MEDIAN:
			CU_ASSERT_EQUAL(memcmp(out, e.data, vc->d * sizeof(float)), 0);
			break;
		case BYZ_AGG_KRUM: {
			CU_ASSERT_FATAL(vc->have_krum && vc->n_scores == vc->k);
			CU_ASSERT_EQUAL(res.selected, vc->krum_sel);
			CU_ASSERT_EQUAL(memcmp(out, e.data, vc->d * sizeof(float)), 0);
			/* Both distance paths reproduce the reference scores. */
			double s[MAX_LIST];
			for (int m = BYZ_AGG_DIST_DIRECT; m <= BYZ_AGG_DIST_GRAM; m++) {
				CU_ASSERT_EQUAL(byz_agg_krum_scores(v, vc->k, vc->d, vc->f, s,
								    (enum byz_agg_dist_method)m), 0);
				for (uint32_t i = 0; i < vc->k; i++)
					CU_ASSERT(near(s[i], vc->scores[i], 1e-9, 0));
			}
			break;
		}
		case BYZ_AGG_MULTIKRUM:
			CU_ASSERT_FATAL(vc->have_mk);
			CU_ASSERT_EQUAL(res.selected, vc->mk_sel);
			CU_ASSERT(close_vec(an, vc, out, e.data, vc->d, 1e-12 * scale));
			break;
		case BYZ_AGG_GEOMED:
			CU_ASSERT_FATAL(vc->have_geomed);
			if (res.iters != vc->g_iters)
				fprintf(stderr, "\n  %s/geomed: %u iterations, reference %u\n", vc->name,
					res.iters, vc->g_iters);
			CU_ASSERT_EQUAL(res.iters, vc->g_iters);
			CU_ASSERT(near(res.residual, vc->g_res, 1e-6, 1e-12 * scale));
			CU_ASSERT(close_vec(an, vc, out, e.data, vc->d, 1e-10 * scale));
			break;
		default: /* mean, trimmed mean */
			CU_ASSERT(close_vec(an, vc, out, e.data, vc->d, 1e-12 * scale));
			break;
		}
		byz_npy_free(&e);
	}
	free(out);
	byz_npy_free(&in);
}

static unsigned parse_list(const char *s, double *out)
{
	unsigned n = 0;
	while (*s && n < MAX_LIST) {
		char *end;
		out[n++] = strtod(s, &end);
		if (end == s)
			return 0;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* Applies one "key=value" token of record @p kind to the current case. */
static int apply(struct vcase *vc, const char *kind, const char *key, const char *val,
		 const char **agg)
{
	if (strcmp(kind, "case") == 0) {
		if (!strcmp(key, "name")) snprintf(vc->name, sizeof(vc->name), "%s", val);
		else if (!strcmp(key, "k")) vc->k = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "d")) vc->d = strtoul(val, NULL, 10);
		else if (!strcmp(key, "tau")) vc->tau = strtod(val, NULL);
		else if (!strcmp(key, "eps")) vc->eps = strtod(val, NULL);
		else if (!strcmp(key, "max_iters")) vc->max_iters = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "f")) vc->f = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "m")) vc->m = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "geomed_eps")) vc->geps = strtod(val, NULL);
		else if (!strcmp(key, "geomed_iters")) vc->giters = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "geomed_nu")) vc->gnu = strtod(val, NULL);
		else return -1;
	} else if (strcmp(kind, "cclip") == 0) {
		vc->have_cclip = 1;
		if (!strcmp(key, "iters")) vc->c_iters = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "residual")) vc->c_res = strtod(val, NULL);
		else if (!strcmp(key, "clipped")) vc->c_clipped = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "star_err")) { vc->c_star_err = strtod(val, NULL); vc->have_star = 1; }
		else if (!strcmp(key, "dist")) vc->n_dist = parse_list(val, vc->c_dist);
		else return -1;
	} else if (strcmp(kind, "geomed") == 0) {
		vc->have_geomed = 1;
		if (!strcmp(key, "iters")) vc->g_iters = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "residual")) vc->g_res = strtod(val, NULL);
		else return -1;
	} else if (strcmp(kind, "krum") == 0) {
		vc->have_krum = 1;
		if (!strcmp(key, "selected")) vc->krum_sel = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(key, "scores")) vc->n_scores = parse_list(val, vc->scores);
		else return -1;
	} else if (strcmp(kind, "multikrum") == 0) {
		vc->have_mk = 1;
		if (!strcmp(key, "selected")) vc->mk_sel = (uint32_t)strtoul(val, NULL, 10);
		else return -1;
	} else if (strcmp(kind, "expect") == 0 || strcmp(kind, "reject") == 0) {
		enum byz_agg_kind ak;
		if (!strcmp(key, "agg")) {
			if (byz_agg_parse(val, &ak))
				return -1;
			*agg = val;
			vc->listed[ak] = kind[0] == 'e' ? 1 : -1;
		} else if (!strcmp(key, "file") && *agg && kind[0] == 'e') {
			byz_agg_parse(*agg, &ak);
			snprintf(vc->expect_file[ak], sizeof(vc->expect_file[ak]), "%s", val);
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	return 0;
}

static void test_vectors(void)
{
	vdir = getenv("BYZ_VECTORS");
	if (!vdir) {
		CU_FAIL_FATAL("BYZ_VECTORS is not set (tests/meson.build sets it)");
		return;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/manifest.txt", vdir);
	FILE *fp = fopen(path, "r");
	if (!fp)
		fprintf(stderr, "\n  cannot open %s: %s\n", path, strerror(errno));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);

	struct vcase *vc = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	while (getline(&line, &cap, fp) >= 0) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *save, *kind = strtok_r(line, " ", &save);
		if (strcmp(kind, "case") == 0) {
			if (vc)
				run_case(vc);
			free(vc);
			vc = calloc(1, sizeof(*vc));
			CU_ASSERT_FATAL(vc != NULL);
		} else if (!vc) {
			CU_FAIL_FATAL("manifest: record before the first case");
		}
		const char *agg = NULL;
		for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '=');
			if (eq)
				*eq = '\0';
			if (!eq || apply(vc, kind, tok, eq + 1, &agg)) {
				fprintf(stderr, "\n  manifest line %u: bad token '%s' in '%s' record\n",
					lineno, tok, kind);
				CU_FAIL("manifest token");
			}
		}
	}
	if (vc)
		run_case(vc);
	free(vc);
	free(line);
	fclose(fp);
	CU_ASSERT(n_cases >= 8);

	/* Every vector file in the folder was used: no stale or forgotten file. */
	DIR *dir = opendir(vdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	unsigned n_npy = 0;
	for (struct dirent *de; (de = readdir(dir));) {
		size_t n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".npy") != 0)
			continue;
		n_npy++;
		int found = 0;
		for (unsigned i = 0; i < n_used; i++)
			found |= strcmp(used[i], de->d_name) == 0;
		if (!found)
			fprintf(stderr, "\n  %s/%s: not used by any manifest record\n", vdir, de->d_name);
		CU_ASSERT(found);
	}
	closedir(dir);
	CU_ASSERT_EQUAL(n_npy, n_used);
	printf("\n  %u cases, %u aggregator/implementation checks, %u files\n", n_cases, n_checks,
	       n_used);
}

BYZ_TEST_MAIN("vectors", {"known_answers", test_vectors})
