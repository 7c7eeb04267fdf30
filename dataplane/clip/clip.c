/*
 * DESIGN: CenteredClip engine front door.
 *
 * byz_clip validates everything once, then hands off to one of three drivers:
 *   - clip_run_ref     the scalar specification (clip_ref.c);
 *   - clip_run_direct  the same iteration, one fused pass over the inputs per
 *                      iteration, with AVX2 or AVX-512 kernels (clip_direct.c);
 *   - clip_run_gram    iterates on the k x k Gram matrix, so its cost is two
 *                      passes over the inputs whatever the iteration count
 *                      (clip_gram.c).
 * The SIMD kernel table is chosen once from CPUID; BYZ_SIMD_MAX (scalar, avx2,
 * avx512) caps it and BYZ_CLIP_IMPL picks what AUTO means, so tests and
 * benchmarks can force any path without rebuilding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byz/cpu.h"
#include "byz/err.h"
#include "clip_internal.h"

static const char *const impl_names[BYZ_CLIP_IMPL_COUNT] = {
	[BYZ_CLIP_AUTO] = "auto",     [BYZ_CLIP_REF] = "ref",
	[BYZ_CLIP_AVX2] = "avx2",     [BYZ_CLIP_AVX512] = "avx512",
	[BYZ_CLIP_GRAM] = "gram",
};

const char *byz_clip_impl_name(enum byz_clip_impl impl)
{
	return (unsigned)impl < BYZ_CLIP_IMPL_COUNT ? impl_names[impl] : "?";
}

int byz_clip_impl_parse(const char *name, enum byz_clip_impl *impl)
{
	if (!name || !impl)
		return -EINVAL;
	for (int i = 0; i < BYZ_CLIP_IMPL_COUNT; i++)
		if (!strcasecmp(name, impl_names[i])) {
			*impl = (enum byz_clip_impl)i;
			return 0;
		}
	return -EINVAL;
}

/* 0 scalar, 1 avx2, 2 avx512: what the CPU (capped by BYZ_SIMD_MAX, see
 * byz/cpu.h) and this build allow. */
static int simd_level(void)
{
	int lvl = (int)byz_cpu_simd_level();
#ifndef BYZ_HAVE_AVX512
	if (lvl > 1)
		lvl = 1;
#endif
#ifndef BYZ_HAVE_AVX2
	lvl = 0;
#endif
	return lvl;
}

const struct clip_kernels *clip_kernels_best(void)
{
	switch (simd_level()) {
#ifdef BYZ_HAVE_AVX512
	case 2:
		return &clip_kernels_avx512;
#endif
#ifdef BYZ_HAVE_AVX2
	case 1:
		return &clip_kernels_avx2;
#endif
	default:
		return &clip_kernels_scalar;
	}
}

int byz_clip_impl_available(enum byz_clip_impl impl)
{
	switch (impl) {
	case BYZ_CLIP_AUTO:
	case BYZ_CLIP_REF:
	case BYZ_CLIP_GRAM:
		return 1;
	case BYZ_CLIP_AVX2:
		return simd_level() >= 1;
	case BYZ_CLIP_AVX512:
		return simd_level() >= 2;
	default:
		return 0;
	}
}

/*
 * What AUTO means for k inputs and max_iters: the Gram path unless the direct
 * iteration needs fewer operations. Per coordinate and input the Gram passes
 * cost about k/2 + 12 vector operations (k(k+1)/2 products per coordinate,
 * then staging, conversion and the final pass); the direct path about 12 per
 * iteration (two conversions, subtractions and multiply-adds, a load and a
 * store of the partial sum, and the pass over memory that each iteration
 * is), plus two passes for the median and the final check. With the
 * iteration count estimated as it = min(max_iters, AUTO_ITERS), direct wins
 * once k > 24 (it + 1): k > 264 for the usual caps. The factor is measured
 * (docs/clip.md: at k = 256, 11 iterations, the Gram path is still 0.9x the
 * direct one with AVX2 and AVX-512). Only k, max_iters and the kernel level
 * enter, never a timing, so one machine always makes the same choice and
 * the aggregate's bits do not depend on load.
 */
#define AUTO_ITERS 10u

enum byz_clip_impl byz_clip_auto_impl(uint32_t k, uint32_t max_iters)
{
	const char *force = getenv("BYZ_CLIP_IMPL");
	enum byz_clip_impl impl;

	if (force && !byz_clip_impl_parse(force, &impl) &&
	    impl != BYZ_CLIP_AUTO && byz_clip_impl_available(impl))
		return impl;
	int lvl = simd_level();
	uint32_t it = max_iters < AUTO_ITERS ? max_iters : AUTO_ITERS;
	/* No SIMD: the reference is the only direct path, and it is slower
	 * than the Gram path on the OpenBLAS kernels for every shape. */
	if (lvl == 0 || (uint64_t)k <= 24ull * (it + 1))
		return BYZ_CLIP_GRAM;
	return lvl == 2 ? BYZ_CLIP_AVX512 : BYZ_CLIP_AVX2;
}

enum byz_clip_impl byz_clip_best_impl(void)
{
	return byz_clip_auto_impl(16, 1000);
}

static int ranges_overlap(const void *a, size_t alen, const void *b,
			  size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
	return x < y + blen && y < x + alen;
}

static int check_inputs(const float *const *v, uint32_t k, size_t d)
{
	if (!v || k == 0 || k > BYZ_CLIP_MAX_K || d == 0 ||
	    d > SIZE_MAX / (2 * sizeof(double) * BYZ_CLIP_MAX_K))
		return -EINVAL;
	for (uint32_t i = 0; i < k; i++)
		if (!v[i])
			return -EINVAL;
	return 0;
}

int byz_clip(const float *const *v, uint32_t k, size_t d,
	     const struct byz_clip_params *p, float *out, double *dist,
	     struct byz_clip_result *res)
{
	struct byz_clip_result local;
	int rc = check_inputs(v, k, d);

	if (rc)
		return rc;
	if (!p || !out || !(p->tau > 0) || !isfinite(p->tau) ||
	    !(p->eps >= 0) || !isfinite(p->eps) ||
	    (unsigned)p->impl >= BYZ_CLIP_IMPL_COUNT)
		return -EINVAL;
	for (uint32_t i = 0; i < k; i++)
		if (ranges_overlap(out, d * sizeof(float), v[i],
				   d * sizeof(float)))
			return -EINVAL;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));

	enum byz_clip_impl impl = p->impl;
	if (impl == BYZ_CLIP_AUTO)
		impl = byz_clip_auto_impl(k, p->max_iters);
	if (!byz_clip_impl_available(impl))
		return -ENOTSUP;
	res->impl = impl;

	switch (impl) {
	case BYZ_CLIP_REF:
		rc = clip_run_ref(v, k, d, p, out, dist, res);
		break;
#ifdef BYZ_HAVE_AVX2
	case BYZ_CLIP_AVX2:
		rc = clip_run_direct(&clip_kernels_avx2, v, k, d, p, out, dist,
				     res);
		break;
#endif
#ifdef BYZ_HAVE_AVX512
	case BYZ_CLIP_AVX512:
		rc = clip_run_direct(&clip_kernels_avx512, v, k, d, p, out,
				     dist, res);
		break;
#endif
	case BYZ_CLIP_GRAM:
		rc = clip_run_gram(v, k, d, p, out, dist, res);
		break;
	default:
		rc = -ENOTSUP;
	}
	if (rc) {
		/* Never hand back a half-computed aggregate. */
		memset(out, 0, d * sizeof(float));
		if (dist)
			memset(dist, 0, k * sizeof(double));
		res->iters = res->clipped = 0;
		res->residual = 0;
		res->converged = 0;
		return rc;
	}
	res->converged = res->residual <= p->eps;
	return 0;
}

int clip_check_with(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, double tau, const float *y,
		    double *dist, uint32_t *clipped, double *residual)
{
	double *d2 = calloc(2 * (size_t)k, sizeof(double));
	if (!d2)
		return -ENOMEM;
	double *w = d2 + k;
	uint32_t nclip = 0;

	kn->dist2_f(v, k, 0, d, y, d2);
	for (uint32_t i = 0; i < k; i++) {
		double di = sqrt(d2[i]);
		w[i] = clip_weight(di, tau);
		nclip += di > tau;
		if (dist)
			dist[i] = di;
	}
	*residual = sqrt(kn->resid2_f(v, k, 0, d, w, y)) / k;
	if (clipped)
		*clipped = nclip;
	free(d2);
	return 0;
}

int byz_clip_check(const float *const *v, uint32_t k, size_t d, double tau,
		   const float *y, double *dist, uint32_t *clipped,
		   double *residual)
{
	int rc = check_inputs(v, k, d);

	if (rc)
		return rc;
	if (!y || !residual || !(tau > 0) || !isfinite(tau))
		return -EINVAL;
	for (size_t c = 0; c < d; c++)
		if (!isfinite(y[c]))
			return -EDOM;
	for (uint32_t i = 0; i < k; i++)
		for (size_t c = 0; c < d; c++)
			if (!isfinite(v[i][c]))
				return -EDOM;
	return clip_check_with(clip_kernels_best(), v, k, d, tau, y, dist,
			       clipped, residual);
}

int clip_median_all(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, float *out)
{
	struct clip_net net;
	int rc = clip_net_build(&net, k);

	if (rc)
		return rc;
	rc = kn->median(v, k, 0, d, &net, out);
	clip_net_free(&net);
	return rc;
}

int byz_median_lower(const float *const *v, uint32_t k, size_t d, float *out)
{
	int rc = check_inputs(v, k, d);

	if (rc)
		return rc;
	if (!out)
		return -EINVAL;
	return clip_median_all(clip_kernels_best(), v, k, d, out);
}
