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
 *   VD_FMA(a, b, c) = a*b + c, VD_HSUM(x), VD_STOREF(p, x) (store as
 *   VD_N floats)                       double vectors
 *   GRAM_TI, GRAM_TJ                   register tile of the Gram kernel
 *   KTABLE                             name of the kernel table
 */
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"
#include "clip_nets.h"

#define KCAT_(a, b) a##_##b
#define KCAT(a, b) KCAT_(a, b)
#define KFN(name) KCAT(name, KSUFFIX)

/* Coordinates per block of the fused step: the block's partial sums stay in
 * L1 while all k inputs stream through it. */
#define STEP_BLOCK 256

/* Fixed networks for k <= CLIP_NET_MAXK: the wires are a local array indexed
 * by constants only, so the compiler keeps them in registers. */
#define MEDIAN_CMP(a, b)                                 \
	{                                                \
		VF lo_ = VF_MIN(x[a], x[b]);             \
		x[b] = VF_MAX(x[a], x[b]);               \
		x[a] = lo_;                              \
	}
#define MEDIAN_FIXED(K)                                                       \
	static size_t KFN(median_k##K)(const float *const *v, size_t c0,      \
				       size_t c1, float *out, VF *accp)       \
	{                                                                     \
		VF acc = *accp;                                               \
		size_t c = c0;                                                \
		for (; c + VF_N <= c1; c += VF_N) {                           \
			VF x[K];                                              \
			for (int i = 0; i < (K); i++) {                       \
				x[i] = VF_LOAD(v[i] + c);                     \
				acc = VF_ADD(acc, VF_SUB(x[i], x[i]));        \
			}                                                     \
			CLIP_NET_##K(MEDIAN_CMP)                              \
			VF_STORE(out + c, x[((K) - 1) / 2]);                  \
		}                                                             \
		*accp = acc;                                                  \
		return c;                                                     \
	}
CLIP_NET_FOREACH(MEDIAN_FIXED)

/* Any k: the network's wires live in memory (L1). */
static size_t KFN(median_any)(const float *const *v, uint32_t k, size_t c0,
			      size_t c1, const struct clip_net *net, float *out,
			      VF *x, VF *accp)
{
	VF acc = *accp;
	size_t c = c0;

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
	*accp = acc;
	return c;
}

static int KFN(median)(const float *const *v, uint32_t k, size_t c0,
		       size_t c1, const struct clip_net *net, float *out)
{
	VF acc = VF_ZERO();
	size_t c;

	switch (k) {
#define MEDIAN_CASE(K)                                            \
	case K:                                                   \
		c = KFN(median_k##K)(v, c0, c1, out, &acc);       \
		break;
		CLIP_NET_FOREACH(MEDIAN_CASE)
#undef MEDIAN_CASE
	default: {
		VF *x = clip_alloc64((size_t)k * sizeof(VF));
		if (!x)
			return -ENOMEM;
		c = KFN(median_any)(v, k, c0, c1, net, out, x, &acc);
		free(x);
	}
	}
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


/*
 * Gram passes. The k x k product U U' over a stream of float32 rows is
 * tall and skinny; a general GEMM would pack every block first. Here each
 * block of GRAM_B coordinates is converted once into a float64 tile set in
 * L1/L2 (rows padded to a multiple of 4 with zeros), and a GRAM_TI x GRAM_TJ
 * register tile of accumulators walks the upper triangle. Accumulators stay
 * vectors in memory across blocks and are summed across lanes only once.
 */
#define GRAM_B 256

struct KFN(gram_ws) {
	uint32_t kp;    /* k rounded up to 4 */
	double *U;      /* kp rows of GRAM_B */
	VD *acc;        /* kp x kp vector accumulators (upper tiles used) */
};

static int KFN(gram_ws_init)(struct KFN(gram_ws) *ws, uint32_t k)
{
	ws->kp = (k + 3) & ~3u;
	size_t ub = (size_t)ws->kp * GRAM_B * sizeof(double);
	size_t ab = (size_t)ws->kp * ws->kp * sizeof(VD);
	ws->U = clip_alloc64(ub);
	ws->acc = clip_alloc64(ab);
	if (!ws->U || !ws->acc) {
		free(ws->U);
		free(ws->acc);
		return -ENOMEM;
	}
	memset(ws->U, 0, ub);
	memset(ws->acc, 0, ab);
	return 0;
}

/* Sum the lanes into G's upper triangle and release the workspace. */
static void KFN(gram_ws_fini)(struct KFN(gram_ws) *ws, uint32_t k, double *G)
{
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = i; j < k; j++)
			G[(size_t)i * k + j] += VD_HSUM(ws->acc[(size_t)i * ws->kp + j]);
	free(ws->U);
	free(ws->acc);
}

/* Prefetch distance, in coordinates: the next block. Prefetches are spread
 * through the loops that stream the current block (one per cache line), so
 * they never queue up behind each other on the line-fill buffers. */
#define PF_AHEAD GRAM_B
#define PF_LINE(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)

/* U[i][0..len) = v_i[c0..] - base[c0..]; lanes up to the next vector
 * boundary are zeroed so the tile loop may read whole vectors. Rows are
 * prefetched one block ahead when pf is set (the caller knows the end). */
static void KFN(gram_fill)(const float *const *v, uint32_t k, size_t c0,
			   size_t len, const float *base, double *U, int pf)
{
	size_t vec = len - len % VD_N;
	for (uint32_t i = 0; i < k; i++) {
		const float *vi = v[i] + c0;
		double *ui = U + (size_t)i * GRAM_B;
		size_t j = 0;
		for (; j < vec; j += VD_N) {
			if (pf && !(j & 15))
				PF_LINE(vi + j + PF_AHEAD);
			VD_STORE(ui + j, VD_SUB(VD_LOADF(vi + j), VD_LOADF(base + j)));
		}
		for (; j < len; j++)
			ui[j] = (double)vi[j] - (double)base[j];
		for (; j % VD_N; j++)
			ui[j] = 0;
	}
}

static void KFN(gram_block)(struct KFN(gram_ws) *ws, size_t len)
{
	const double *U = ws->U;
	uint32_t kp = ws->kp;
	size_t nv = (len + VD_N - 1) / VD_N;

	for (uint32_t ti = 0; ti < kp; ti += GRAM_TI)
		for (uint32_t tj = ti - ti % GRAM_TJ; tj < kp; tj += GRAM_TJ) {
			VD a[GRAM_TI][GRAM_TJ];
			for (int x = 0; x < GRAM_TI; x++)
				for (int y = 0; y < GRAM_TJ; y++)
					a[x][y] = ws->acc[(size_t)(ti + x) * kp + tj + y];
			for (size_t n = 0; n < nv * VD_N; n += VD_N) {
				VD p[GRAM_TI], q[GRAM_TJ];
				for (int x = 0; x < GRAM_TI; x++)
					p[x] = VD_LOAD(U + (size_t)(ti + x) * GRAM_B + n);
				for (int y = 0; y < GRAM_TJ; y++)
					q[y] = VD_LOAD(U + (size_t)(tj + y) * GRAM_B + n);
				for (int x = 0; x < GRAM_TI; x++)
					for (int y = 0; y < GRAM_TJ; y++)
						a[x][y] = VD_FMA(p[x], q[y], a[x][y]);
			}
			for (int x = 0; x < GRAM_TI; x++)
				for (int y = 0; y < GRAM_TJ; y++)
					ws->acc[(size_t)(ti + x) * kp + tj + y] = a[x][y];
		}
}

static int KFN(gram_base)(const float *const *v, uint32_t k, size_t d,
			  const struct clip_net *net, float *out, double *G)
{
	struct KFN(gram_ws) ws;
	int rc = KFN(gram_ws_init)(&ws, k);

	if (rc)
		return rc;
	for (size_t c0 = 0; c0 < d; c0 += GRAM_B) {
		size_t len = d - c0 < GRAM_B ? d - c0 : GRAM_B;
		if (net)
			rc = KFN(median)(v, k, c0, c0 + len, net, out);
		if (rc)
			break;
		KFN(gram_fill)(v, k, c0, len, out + c0, ws.U,
			       c0 + GRAM_B + PF_AHEAD <= d);
		KFN(gram_block)(&ws, len);
	}
	KFN(gram_ws_fini)(&ws, k, G);
	return rc;
}

/* Accumulate, for rows i0..i0+n-1 (n <= 4) of one block at point o:
 * diag_i += ||u_i||^2, b_i += <u_i, e>, r += w_i u_i, with u_i = v_i - o.
 * Four rows share each load and store of r. */
static void KFN(final_rows)(const float *const *v, uint32_t i0, uint32_t n,
			    size_t c0, size_t vec, const double *w,
			    const float *o, const double *e, double *r,
			    VD *dacc, VD *bacc)
{
	VD d[4], b[4], wv[4];
	const float *vi[4];
	for (uint32_t x = 0; x < n; x++) {
		d[x] = dacc[i0 + x];
		b[x] = bacc[i0 + x];
		wv[x] = VD_SET1(w[i0 + x]);
		vi[x] = v[i0 + x] + c0;
	}
	for (size_t j = 0; j < vec; j += VD_N) {
		VD oj = VD_LOADF(o + j), ej = VD_LOAD(e + j), rj = VD_LOAD(r + j);
		for (uint32_t x = 0; x < n; x++) {
			VD u = VD_SUB(VD_LOADF(vi[x] + j), oj);
			d[x] = VD_FMA(u, u, d[x]);
			b[x] = VD_FMA(u, ej, b[x]);
			rj = VD_FMA(wv[x], u, rj);
		}
		VD_STORE(r + j, rj);
	}
	for (uint32_t x = 0; x < n; x++) {
		dacc[i0 + x] = d[x];
		bacc[i0 + x] = b[x];
	}
}

static int KFN(gram_final)(const float *const *v, uint32_t k, size_t d,
			   const double *beta, const double *w, float *out,
			   double *diag, double *bdot, double *R, double *e2)
{
	VD *dacc = clip_alloc64(2 * (size_t)k * sizeof(VD));
	alignas(64) double r[GRAM_B], e[GRAM_B];

	if (!dacc)
		return -ENOMEM;
	VD *bacc = dacc + k;
	for (uint32_t i = 0; i < k; i++) {
		dacc[i] = bacc[i] = VD_ZERO();
		diag[i] = bdot[i] = 0;
	}
	VD racc = VD_ZERO(), eacc = VD_ZERO(), invk = VD_SET1(1.0 / k);
	double rs = 0, es = 0;
	for (size_t c0 = 0; c0 < d; c0 += GRAM_B) {
		size_t len = d - c0 < GRAM_B ? d - c0 : GRAM_B;
		size_t vec = len - len % VD_N;
		float *o = out + c0;

		/* y = b + sum_i beta_i (v_i - b), rounded in place; e is the
		 * rounding, exact in float64 (Sterbenz). */
		size_t j = 0;
		int pf = c0 + GRAM_B + PF_AHEAD <= d;
		for (; j < vec; j += VD_N) {
			VD bv = VD_LOADF(o + j), y = bv;
			for (uint32_t i = 0; i < k; i++) {
				if (pf && !(j & 15))
					PF_LINE(v[i] + c0 + j + PF_AHEAD);
				y = VD_FMA(VD_SET1(beta[i]),
					   VD_SUB(VD_LOADF(v[i] + c0 + j), bv), y);
			}
			VD_STOREF(o + j, y);
			VD ev = VD_SUB(VD_LOADF(o + j), y);
			VD_STORE(e + j, ev);
			eacc = VD_FMA(ev, ev, eacc);
			VD_STORE(r + j, VD_ZERO());
		}
		for (; j < len; j++) {
			double bj = o[j], y = bj;
			for (uint32_t i = 0; i < k; i++)
				y = fma(beta[i], (double)v[i][c0 + j] - bj, y);
			o[j] = (float)y;
			e[j] = (double)o[j] - y;
			es += e[j] * e[j];
		}

		/* At the new point, while the block is in L1. */
		for (uint32_t i = 0; i < k; i += 4)
			KFN(final_rows)(v, i, k - i < 4 ? k - i : 4, c0, vec, w,
					o, e, r, dacc, bacc);
		for (j = 0; j < vec; j += VD_N) {
			VD rv = VD_MUL(VD_LOAD(r + j), invk);
			racc = VD_FMA(rv, rv, racc);
		}
		for (j = vec; j < len; j++) {
			double rj = 0;
			for (uint32_t i = 0; i < k; i++) {
				double u = (double)v[i][c0 + j] - (double)o[j];
				diag[i] += u * u;
				bdot[i] += u * e[j];
				rj += w[i] * u;
			}
			rj /= k;
			rs += rj * rj;
		}
	}
	for (uint32_t i = 0; i < k; i++) {
		diag[i] += VD_HSUM(dacc[i]);
		bdot[i] += VD_HSUM(bacc[i]);
	}
	*R = VD_HSUM(racc) + rs;
	*e2 = VD_HSUM(eacc) + es;
	free(dacc);
	return 0;
}

const struct clip_kernels KTABLE = {
	.median = KFN(median),
	.dist2_d = KFN(dist2_d),
	.step = KFN(step),
	.dist2_f = KFN(dist2_f),
	.resid2_f = KFN(resid2_f),
	.gram_base = KFN(gram_base),
	.gram_final = KFN(gram_final),
};
