/*
 * Portable kernels: the fallback when the CPU (or the build) has no AVX2, and
 * the kernels of the exact final check. Same arithmetic order as the SIMD
 * variants up to the lane split, so results differ from them only by rounding.
 */
#include <math.h>

#include "clip_internal.h"

/* Comparator network on one coordinate at a time; pads are +inf. */
static int scalar_median(const float *const *v, uint32_t k, size_t c0,
			 size_t c1, const struct clip_net *net, float *out)
{
	float x[BYZ_CLIP_MAX_K];

	for (size_t c = c0; c < c1; c++) {
		for (uint32_t i = 0; i < k; i++) {
			x[i] = v[i][c];
			if (!isfinite(x[i]))
				return -EDOM;
		}
		for (uint32_t i = k; i < net->width; i++)
			x[i] = INFINITY;
		for (uint32_t n = 0; n < net->ncmp; n++) {
			uint16_t a = net->cmp[n][0], b = net->cmp[n][1];
			float lo = x[a] < x[b] ? x[a] : x[b];
			float hi = x[a] < x[b] ? x[b] : x[a];
			x[a] = lo;
			x[b] = hi;
		}
		out[c] = x[net->mid];
	}
	return 0;
}

static void scalar_dist2_d(const float *const *v, uint32_t k, size_t c0,
			   size_t c1, const double *y, double *dist2)
{
	for (uint32_t i = 0; i < k; i++) {
		double s = 0;
		for (size_t c = c0; c < c1; c++) {
			double u = (double)v[i][c] - y[c];
			s += u * u;
		}
		dist2[i] += s;
	}
}

static void scalar_dist2_f(const float *const *v, uint32_t k, size_t c0,
			   size_t c1, const float *y, double *dist2)
{
	for (uint32_t i = 0; i < k; i++) {
		double s = 0;
		for (size_t c = c0; c < c1; c++) {
			double u = (double)v[i][c] - (double)y[c];
			s += u * u;
		}
		dist2[i] += s;
	}
}

static double scalar_step(const float *const *v, uint32_t k, size_t c0,
			  size_t c1, const double *w, double *y, double *dist2n)
{
	double rn2 = 0;

	for (size_t c = c0; c < c1; c++) {
		double r = 0;
		for (uint32_t i = 0; i < k; i++)
			r += w[i] * ((double)v[i][c] - y[c]);
		r /= k;
		y[c] += r;
		rn2 += r * r;
	}
	scalar_dist2_d(v, k, c0, c1, y, dist2n);
	return rn2;
}

static double scalar_resid2_f(const float *const *v, uint32_t k, size_t c0,
			      size_t c1, const double *w, const float *y)
{
	double s = 0;

	for (size_t c = c0; c < c1; c++) {
		double r = 0;
		for (uint32_t i = 0; i < k; i++)
			r += w[i] * ((double)v[i][c] - (double)y[c]);
		s += r * r;
	}
	return s;
}

const struct clip_kernels clip_kernels_scalar = {
	.median = scalar_median,
	.dist2_d = scalar_dist2_d,
	.step = scalar_step,
	.dist2_f = scalar_dist2_f,
	.resid2_f = scalar_resid2_f,
	.gram_base = clip_gram_base_blas,
	.gram_final = clip_gram_final_blas,
};
