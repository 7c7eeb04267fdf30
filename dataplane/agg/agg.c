/*
 * DESIGN: baseline aggregators behind byz/agg.h.
 *
 * byz_aggregate is the single entry point: it validates the arguments
 * (-EINVAL), then checks that every input is finite (-EDOM, zero-filled
 * output, nothing computed), then dispatches. The rules themselves live in
 * one file each and trust their input:
 *   agg_mean.c    mean and coordinate-wise trimmed mean (median: byz_median_lower)
 *   agg_geomed.c  geometric median, smoothed Weiszfeld from the lower median
 *   agg_krum.c    pairwise distances, Krum and Multi-Krum
 * CenteredClip is forwarded to byz_clip, which does its own validation.
 *
 * Numerics: every sum is accumulated in double and rounded to float32 once,
 * at the output, so results do not depend on summation order beyond double
 * rounding. Inputs are limited to BYZ_CLIP_MAX_K for every rule (Krum holds a
 * k x k matrix of doubles). No state survives a call; scratch memory is per
 * call, so every function is reentrant.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "agg_internal.h"
#include "byz/agg.h"

static const char *const agg_names[BYZ_AGG_COUNT] = {
	[BYZ_AGG_CCLIP] = "cclip",
	[BYZ_AGG_MEAN] = "mean",
	[BYZ_AGG_MEDIAN] = "median",
	[BYZ_AGG_TRIMMED_MEAN] = "trimmed-mean",
	[BYZ_AGG_GEOMED] = "geomed",
	[BYZ_AGG_KRUM] = "krum",
	[BYZ_AGG_MULTIKRUM] = "multikrum",
};

const char *byz_agg_name(enum byz_agg_kind kind)
{
	return (unsigned)kind < BYZ_AGG_COUNT ? agg_names[kind] : "unknown";
}

int byz_agg_parse(const char *name, enum byz_agg_kind *kind)
{
	if (!name || !kind)
		return -EINVAL;
	for (unsigned i = 0; i < BYZ_AGG_COUNT; i++) {
		if (strcmp(name, agg_names[i]) == 0) {
			*kind = (enum byz_agg_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

void byz_agg_params_default(struct byz_agg_params *p, enum byz_agg_kind kind,
			    uint32_t k)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->clip.tau = 1.0;
	p->clip.eps = 1e-6;
	p->clip.max_iters = 1000;
	p->clip.impl = BYZ_CLIP_AUTO;
	/* The largest f each rule accepts: trimmed mean needs k > 2f, Krum k > 2f + 2. */
	p->f = k >= 1 ? (k - 1) / 2 : 0;
	if (kind == BYZ_AGG_KRUM || kind == BYZ_AGG_MULTIKRUM)
		p->f = k >= 3 ? (k - 3) / 2 : 0;
	p->m = 0;
	p->geomed_eps = 1e-6;
	p->geomed_iters = 1000;
	p->geomed_nu = 1e-6;
}

/* Exponent all ones means Inf or NaN; the bit test vectorises, isfinite() may not. */
static int all_finite(const float *x, size_t d)
{
	uint32_t bad = 0;
	for (size_t c = 0; c < d; c++) {
		uint32_t u;
		memcpy(&u, &x[c], sizeof(u));
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return !bad;
}

/* out must not overlap an input: most rules read every input after writing out. */
static int overlaps(const float *a, const float *b, size_t d)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b, n = (uintptr_t)(d * sizeof(float));
	return x < y + n && y < x + n;
}

static int check_params(const struct byz_agg_params *p, uint32_t k)
{
	switch (p->kind) {
	case BYZ_AGG_CCLIP:
	case BYZ_AGG_MEAN:
	case BYZ_AGG_MEDIAN:
		return 0;
	case BYZ_AGG_TRIMMED_MEAN:
		return (uint64_t)k > 2 * (uint64_t)p->f ? 0 : -EINVAL;
	case BYZ_AGG_GEOMED:
		if (!isfinite(p->geomed_eps) || p->geomed_eps < 0)
			return -EINVAL;
		if (!isfinite(p->geomed_nu) || !(p->geomed_nu > 0))
			return -EINVAL;
		return 0;
	case BYZ_AGG_KRUM:
	case BYZ_AGG_MULTIKRUM:
		if ((uint64_t)k <= 2 * (uint64_t)p->f + 2)
			return -EINVAL;
		if (p->kind == BYZ_AGG_MULTIKRUM && p->m > k)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int byz_aggregate(const struct byz_agg_params *p, const float *const *v,
		  uint32_t k, size_t d, float *out, struct byz_agg_result *res)
{
	if (res)
		memset(res, 0, sizeof(*res));
	if (!p || !v || !out || k == 0 || d == 0 || k > BYZ_CLIP_MAX_K)
		return -EINVAL;
	if (d > SIZE_MAX / sizeof(double))
		return -EINVAL;
	for (uint32_t i = 0; i < k; i++)
		if (!v[i] || overlaps(v[i], out, d))
			return -EINVAL;
	int rc = check_params(p, k);
	if (rc)
		return rc;

	if (p->kind == BYZ_AGG_CCLIP) {
		struct byz_clip_result cr;
		rc = byz_clip(v, k, d, &p->clip, out, NULL, &cr);
		if (rc == 0 && res) {
			res->iters = cr.iters;
			res->residual = cr.residual;
			res->clipped = cr.clipped;
		}
		return rc;
	}

	for (uint32_t i = 0; i < k; i++) {
		if (!all_finite(v[i], d)) {
			memset(out, 0, d * sizeof(float));
			return -EDOM;
		}
	}

	uint32_t iters = 0, selected = 0;
	double step = 0;
	switch (p->kind) {
	case BYZ_AGG_MEAN:
		byz_agg_mean(v, k, d, out);
		break;
	case BYZ_AGG_MEDIAN:
		rc = byz_median_lower(v, k, d, out);
		break;
	case BYZ_AGG_TRIMMED_MEAN:
		rc = byz_agg_trimmed_mean(v, k, d, p->f, out);
		break;
	case BYZ_AGG_GEOMED:
		rc = byz_agg_geomed(v, k, d, p->geomed_eps, p->geomed_iters, p->geomed_nu, out,
				    &iters, &step);
		break;
	case BYZ_AGG_KRUM:
		rc = byz_agg_krum(v, k, d, p->f, 0, out, &selected);
		break;
	case BYZ_AGG_MULTIKRUM:
		rc = byz_agg_krum(v, k, d, p->f, p->m ? p->m : k - p->f, out, &selected);
		break;
	default:
		return -EINVAL; /* unreachable: check_params */
	}
	if (rc) {
		/* Only -ENOMEM gets here; never leave a half-written aggregate. */
		memset(out, 0, d * sizeof(float));
		return rc;
	}
	if (res) {
		res->iters = iters;
		res->residual = step;
		res->selected = selected;
	}
	return 0;
}
