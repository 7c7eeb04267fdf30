/*
 * Kernel template shared by the AVX2 and AVX-512 variants. The including file
 * defines the vector types and operations below and a KSUFFIX; this file then
 * defines the five kernels and their table. One body, two instruction sets,
 * so the variants cannot drift apart. Tails (fewer than a vector of
 * coordinates) fall back to scalar arithmetic in the same order.
 *
 * Required macros:
 *   VF, VF_N, VF_LOAD, VF_STORE, VF_ZERO, VF_MIN, VF_MAX, VF_SUB, VF_ADD,
 *   VF_HAS_NAN(x)                      float vectors (median)
 *   VD, VD_N, VD_LOAD, VD_LOADF(p), VD_STORE, VD_ZERO, VD_SET1, VD_SUB, VD_ADD,
 *   VD_FMA(a, b, c) = a*b + c, VD_HSUM(x)   double vectors
 *   KTABLE                             name of the kernel table
 */
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>

#include "clip_internal.h"

#define KCAT_(a, b) a##_##b
#define KCAT(a, b) KCAT_(a, b)
#define KFN(name) KCAT(name, KSUFFIX)

/* Coordinates per block of the fused step: the block's partial sums stay in
 * L1 while all k inputs stream through it. */
#define STEP_BLOCK 256

/* Vectors of median scratch kept on the stack; larger k uses the heap. */
#define MEDIAN_STACK 128

static int KFN(median)(const float *const *v, uint32_t k, size_t c0,
		       size_t c1, const struct clip_net *net, float *out)
{
	alignas(64) VF stackbuf[MEDIAN_STACK];
	VF *x = stackbuf;
	VF acc = VF_ZERO();
	size_t c = c0;

	if (k > MEDIAN_STACK) {
		x = aligned_alloc(64, (size_t)k * sizeof(VF));
		if (!x)
			return -ENOMEM;
	}
	for (; c + VF_N <= c1; c += VF_N) {
		for (uint32_t i = 0; i < k; i++) {
			x[i] = VF_LOAD(v[i] + c);
			/* x - x is 0 for finite lanes and NaN otherwise. */
			acc = VF_ADD(acc, VF_SUB(x[i], x[i]));
		}
		for (uint32_t n = 0; n < net->ncmp; n++) {
			uint16_t a = net->cmp[n][0], b = net->cmp[n][1];
			VF lo = VF_MIN(x[a], x[b]);
			VF hi = VF_MAX(x[a], x[b]);
			x[a] = lo;
			x[b] = hi;
		}
		VF_STORE(out + c, x[net->mid]);
	}
	if (x != stackbuf)
		free(x);
	if (VF_HAS_NAN(acc))
		return -EDOM;
	return c < c1 ? clip_kernels_scalar.median(v, k, c, c1, net, out) : 0;
}

static void KFN(dist2_d)(const float *const *v, uint32_t k, size_t c0,
			 size_t c1, const double *y, double *dist2)
{
	for (uint32_t i = 0; i < k; i++) {
		const float *vi = v[i];
		VD s0 = VD_ZERO(), s1 = VD_ZERO();
		size_t c = c0;
		for (; c + 2 * VD_N <= c1; c += 2 * VD_N) {
			VD a = VD_SUB(VD_LOADF(vi + c), VD_LOAD(y + c));
			VD b = VD_SUB(VD_LOADF(vi + c + VD_N),
				      VD_LOAD(y + c + VD_N));
			s0 = VD_FMA(a, a, s0);
			s1 = VD_FMA(b, b, s1);
		}
		double s = VD_HSUM(VD_ADD(s0, s1));
		for (; c < c1; c++) {
			double u = (double)vi[c] - y[c];
			s += u * u;
		}
		dist2[i] += s;
	}
}

static void KFN(dist2_f)(const float *const *v, uint32_t k, size_t c0,
			 size_t c1, const float *y, double *dist2)
{
	for (uint32_t i = 0; i < k; i++) {
		const float *vi = v[i];
		VD s0 = VD_ZERO(), s1 = VD_ZERO();
		size_t c = c0;
		for (; c + 2 * VD_N <= c1; c += 2 * VD_N) {
			VD a = VD_SUB(VD_LOADF(vi + c), VD_LOADF(y + c));
			VD b = VD_SUB(VD_LOADF(vi + c + VD_N),
				      VD_LOADF(y + c + VD_N));
			s0 = VD_FMA(a, a, s0);
			s1 = VD_FMA(b, b, s1);
		}
		double s = VD_HSUM(VD_ADD(s0, s1));
		for (; c < c1; c++) {
			double u = (double)vi[c] - (double)y[c];
			s += u * u;
		}
		dist2[i] += s;
	}
}

/* r[0..len) = sum_i w_i (v_i[c0+j] - y[j]) where y is float64 (yd) or
 * float32 (yf); exactly one of them is non-NULL. */
static void KFN(wsum)(const float *const *v, uint32_t k, size_t c0,
		      size_t len, const double *w, const double *yd,
		      const float *yf, double *r)
{
	size_t vec = len - len % VD_N;

	for (size_t j = 0; j < len; j++)
		r[j] = 0;
	for (uint32_t i = 0; i < k; i++) {
		const float *vi = v[i] + c0;
		VD wi = VD_SET1(w[i]);
		size_t j = 0;
		for (; j < vec; j += VD_N) {
			VD yy = yd ? VD_LOAD(yd + j) : VD_LOADF(yf + j);
			VD u = VD_SUB(VD_LOADF(vi + j), yy);
			VD_STORE(r + j, VD_FMA(wi, u, VD_LOAD(r + j)));
		}
		for (; j < len; j++) {
			double yy = yd ? yd[j] : (double)yf[j];
			r[j] = fma(w[i], (double)vi[j] - yy, r[j]);
		}
	}
}

static double KFN(step)(const float *const *v, uint32_t k, size_t c0,
			size_t c1, const double *w, double *y, double *dist2n)
{
	alignas(64) double r[STEP_BLOCK];
	double rn2 = 0;

	for (size_t b0 = c0; b0 < c1; b0 += STEP_BLOCK) {
		size_t len = c1 - b0 < STEP_BLOCK ? c1 - b0 : STEP_BLOCK;
		KFN(wsum)(v, k, b0, len, w, y + b0, NULL, r);
		for (size_t j = 0; j < len; j++) {
			double rj = r[j] / k;
			y[b0 + j] += rj;
			rn2 += rj * rj;
		}
		KFN(dist2_d)(v, k, b0, b0 + len, y, dist2n);
	}
	return rn2;
}

static double KFN(resid2_f)(const float *const *v, uint32_t k, size_t c0,
			    size_t c1, const double *w, const float *y)
{
	alignas(64) double r[STEP_BLOCK];
	double s = 0;

	for (size_t b0 = c0; b0 < c1; b0 += STEP_BLOCK) {
		size_t len = c1 - b0 < STEP_BLOCK ? c1 - b0 : STEP_BLOCK;
		KFN(wsum)(v, k, b0, len, w, NULL, y + b0, r);
		for (size_t j = 0; j < len; j++)
			s += r[j] * r[j];
	}
	return s;
}

const struct clip_kernels KTABLE = {
	.median = KFN(median),
	.dist2_d = KFN(dist2_d),
	.step = KFN(step),
	.dist2_f = KFN(dist2_f),
	.resid2_f = KFN(resid2_f),
};
