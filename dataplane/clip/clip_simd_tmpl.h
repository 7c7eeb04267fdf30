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
 *   GRAM_TI                            rows of the off-diagonal Gram tile
 *                                      (by 4 columns)
 *   GRAM_BMID, GRAM_BLARGE             Gram block length for 8 < k <= 32
 *                                      and for k > 32
 *   GRAM_STAGE                         1: copy each block into padded rows
 *                                      first (the Gram passes, direct step)
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
#define GRAM_BMAX 256 /* largest Gram block (gram_blen) */

/* Fixed networks for k <= CLIP_NET_MAXK and a few larger k (clip_gen_nets.c):
 * the wires are a local array indexed by constants only, so the compiler
 * keeps them in registers (or spills them to fixed stack slots). Four NaN
 * sums instead of one keep the check's add chain off the critical path. */
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
		VF acc[4] = {*accp, VF_ZERO(), VF_ZERO(), VF_ZERO()};          \
		size_t c = c0;                                                \
		for (; c + VF_N <= c1; c += VF_N) {                           \
			VF x[K];                                              \
			for (int i = 0; i < (K); i++) {                       \
				x[i] = VF_LOAD(v[i] + c);                     \
				acc[i & 3] = VF_ADD(acc[i & 3],               \
						    VF_SUB(x[i], x[i]));      \
			}                                                     \
			CLIP_NET_##K(MEDIAN_CMP)                              \
			VF_STORE(out + c, x[((K) - 1) / 2]);                  \
		}                                                             \
		*accp = VF_ADD(VF_ADD(acc[0], acc[1]), VF_ADD(acc[2], acc[3])); \
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
		VF acc1 = VF_ZERO();
		uint32_t i = 0;
		/* x - x is 0 for finite lanes and NaN otherwise; two sums
		 * halve the dependency chain. */
		for (; i + 1 < k; i += 2) {
			x[i] = VF_LOAD(v[i] + c);
			x[i + 1] = VF_LOAD(v[i + 1] + c);
			acc = VF_ADD(acc, VF_SUB(x[i], x[i]));
			acc1 = VF_ADD(acc1, VF_SUB(x[i + 1], x[i + 1]));
		}
		for (; i < k; i++) {
			x[i] = VF_LOAD(v[i] + c);
			acc = VF_ADD(acc, VF_SUB(x[i], x[i]));
		}
		acc = VF_ADD(acc, acc1);
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

/* Copy rows [r0, r1) of the block [c0, c0 + len) into S. */
static void KFN(stage_rows)(const float *const *v, uint32_t r0, uint32_t r1,
			    size_t c0, size_t len, float *S, size_t sb)
{
	size_t vec = len - len % VF_N;
	for (uint32_t i = r0; i < r1; i++) {
		const float *p = v[i] + c0;
		float *s = S + (size_t)i * sb;
		size_t j = 0;
		for (; j < vec; j += VF_N)
			VF_STORE(s + j, VF_LOAD(p + j));
		for (; j < len; j++)
			s[j] = p[j];
	}
}

/* One direct iteration. wsum and then dist2_d read every row's block, so
 * each block is first copied into a buffer with padded rows: inputs at a
 * power-of-two stride would otherwise map all k rows of a block to the same
 * cache sets and, past the associativity, lose them between the two reads
 * (see the Gram passes below). Without memory for the buffer it reads the
 * inputs directly; the arithmetic is the same either way. */
static double KFN(step)(const float *const *v, uint32_t k, size_t c0,
			size_t c1, const double *w, double *y, double *dist2n)
{
	alignas(64) double r[STEP_BLOCK];
	const size_t sb = STEP_BLOCK + 16;
	float *S = GRAM_STAGE ? clip_alloc64((size_t)k * sb * sizeof(float)) : NULL;
	const float **srow = S ? malloc((size_t)k * sizeof(*srow)) : NULL;
	double rn2 = 0;

	if (!srow) {
		free(S);
		S = NULL;
	}
	for (uint32_t i = 0; S && i < k; i++)
		srow[i] = S + (size_t)i * sb;
	for (size_t b0 = c0; b0 < c1; b0 += STEP_BLOCK) {
		size_t len = c1 - b0 < STEP_BLOCK ? c1 - b0 : STEP_BLOCK;
		const float *const *src = v;
		size_t o = b0;
		if (S) {
			KFN(stage_rows)(v, 0, k, b0, len, S, sb);
			src = srow;
			o = 0;
		}
		KFN(wsum)(src, k, o, len, w, y + b0, NULL, r);
		for (size_t j = 0; j < len; j++) {
			double rj = r[j] / k;
			y[b0 + j] += rj;
			rn2 += rj * rj;
		}
		KFN(dist2_d)(src, k, o, o + len, y + b0 - o, dist2n);
	}
	free(S);
	free(srow);
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
 * tall and skinny; a general GEMM would pack every block first. Here the
 * inputs are walked in blocks of gram_blen(k) coordinates:
 *
 *  - Staging (GRAM_STAGE, the AVX2 variant; AVX-512 reads in place with the
 *    same prefetch schedule). Each row's block is copied once, front to
 *    back, into a float32 buffer whose rows are padded by a cache line. Inputs laid out at a
 *    power-of-two stride (one allocation of k rows of 2^n floats) put the
 *    same coordinate of every row in the same cache set, and reading all k
 *    rows at one coordinate, as the median does, then evicts lines before
 *    their second use whenever k exceeds the associativity (8 ways in Zen's
 *    L1 and L2). The copy touches every line once, sequentially; everything
 *    after it reads the padded buffer. The next block is staged between the
 *    tile rows of the current one, in step with the work done and with its
 *    prefetches a quarter of the block's work ahead, so memory is fetched
 *    while the FMA units work and only a quarter of the rows' lines are in
 *    flight at once.
 *  - Median of the block from the staging buffer, then U = S - median
 *    converted once into float64 (rows padded, lanes past the end zero).
 *  - A register tile of accumulators walks the upper triangle: a dedicated
 *    kernel for the 10 products of each diagonal 4x4 block, GRAM_TI x 4
 *    tiles elsewhere, so no product below the diagonal is computed.
 *    Accumulators stay vectors in memory across blocks and are summed across
 *    lanes once at the end; every lane sums its coordinates in order, so the
 *    result does not depend on the block length.
 */
#define GRAM_SPAD 16 /* floats: one cache line between staged rows */
#define GRAM_UPAD 8  /* doubles: one cache line between U rows */
#define PF_LINE(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)

/* Coordinates per block: U (k rows of float64) stays within L1/L2. Past
 * k = 8 the including file chooses (GRAM_BMID, GRAM_BLARGE): AVX-512's 4x4
 * tiles want long runs, AVX2's 2x4 tiles a U and staging buffer that fit
 * Zen's 32 KiB L1 (on the Xeon, 64 to 256 were within noise for AVX2). */
static size_t KFN(gram_blen)(uint32_t k)
{
	static const size_t blen[3] = {256, GRAM_BMID, GRAM_BLARGE};
	return blen[(k > 8) + (k > 32)];
}

struct KFN(gram_ws) {
	uint32_t k, kp;     /* k rounded up to 4 */
	size_t B, sb, ub;   /* block length, staged and U row strides */
	float *S[2];        /* staged blocks: current and next, k rows of sb */
	const float **srow; /* k row pointers: the staged block, or the inputs */
	double *U;          /* kp rows of ub (NULL in the final pass) */
	double *bd;         /* the base point of the block, in float64 */
	VD *acc;            /* kp x kp vector accumulators (upper tiles used) */
};

static void KFN(gram_ws_free)(struct KFN(gram_ws) *ws)
{
	free(ws->S[0]);
	free(ws->srow);
	free(ws->U);
	free(ws->acc);
}

static int KFN(gram_ws_init)(struct KFN(gram_ws) *ws, uint32_t k, int gram)
{
	memset(ws, 0, sizeof(*ws));
	ws->k = k;
	ws->kp = (k + 3) & ~3u;
	ws->B = KFN(gram_blen)(k);
	ws->sb = ws->B + GRAM_SPAD;
	ws->ub = ws->B + GRAM_UPAD;
	size_t sbytes = (size_t)k * ws->sb * sizeof(float);
	ws->S[0] = clip_alloc64(2 * sbytes + ws->B * sizeof(double));
	ws->srow = malloc((size_t)k * sizeof(*ws->srow));
	if (gram) {
		size_t ub = (size_t)ws->kp * ws->ub * sizeof(double);
		size_t ab = (size_t)ws->kp * ws->kp * sizeof(VD);
		ws->U = clip_alloc64(ub);
		ws->acc = clip_alloc64(ab);
		if (ws->U && ws->acc) {
			memset(ws->U, 0, ub);
			memset(ws->acc, 0, ab);
		}
	}
	if (!ws->S[0] || !ws->srow || (gram && (!ws->U || !ws->acc))) {
		KFN(gram_ws_free)(ws);
		return -ENOMEM;
	}
	ws->S[1] = ws->S[0] + (size_t)k * ws->sb;
	ws->bd = (double *)(void *)(ws->S[1] + (size_t)k * ws->sb);
	return 0;
}

/* Prefetch rows [r0, r1) of the block [c0, c0 + len), one hint per line. */
static void KFN(stage_pf)(const float *const *v, uint32_t r0, uint32_t r1,
			  size_t c0, size_t len)
{
	for (uint32_t i = r0; i < r1; i++) {
		const float *p = v[i] + c0;
		for (size_t j = 0; j < len; j += 16)
			PF_LINE(p + j);
		PF_LINE(p + len - 1);
	}
}

/* Copy for the Gram passes: with GRAM_STAGE 0 the kernels read the inputs
 * in place and only the prefetches remain. */
static void KFN(stage_copy)(const float *const *v, uint32_t r0, uint32_t r1,
			    size_t c0, size_t len, float *S, size_t sb)
{
	if (GRAM_STAGE)
		KFN(stage_rows)(v, r0, r1, c0, len, S, sb);
}

/* Row pointers of the block at c0: staged or in place. */
static void KFN(stage_ptrs)(const float *const *v, uint32_t k, size_t c0,
			    const float *S, size_t sb, const float **srow)
{
	for (uint32_t i = 0; i < k; i++)
		srow[i] = GRAM_STAGE ? S + (size_t)i * sb : v[i] + c0;
}

/* The first block, with nothing to overlap: rows staged in order, each
 * prefetched four rows ahead. */
static void KFN(stage_first)(const float *const *v, uint32_t k, size_t len,
			     float *S, size_t sb)
{
	KFN(stage_pf)(v, 0, k < 4 ? k : 4, 0, len);
	for (uint32_t i = 0; i < k; i++) {
		if (i + 4 < k)
			KFN(stage_pf)(v, i + 4, i + 5, 0, len);
		KFN(stage_copy)(v, i, i + 1, 0, len, S, sb);
	}
}

/* Between row groups g of the current block: stage group g of the next
 * block (rows 4g..4g+3) and prefetch group g + 2. */
static void KFN(stage_step)(const float *const *v, uint32_t k, uint32_t g,
			    size_t nc0, size_t nlen, float *S, size_t sb)
{
	uint32_t r0 = 4 * g, p0 = 4 * g + 8;
	if (!nlen)
		return;
	if (p0 < k)
		KFN(stage_pf)(v, p0, p0 + 4 < k ? p0 + 4 : k, nc0, nlen);
	if (r0 < k)
		KFN(stage_copy)(v, r0, r0 + 4 < k ? r0 + 4 : k, nc0, nlen, S, sb);
}

/* Rows of the next block to have staged once `work` of `total` units of
 * the current one are done: ceil(k work / total), at most k. */
static uint32_t KFN(rows_at)(uint32_t k, uint32_t work, uint32_t total)
{
	if (work >= total)
		return k;
	return (uint32_t)(((uint64_t)k * work + total - 1) / total);
}

/* U[i][0..len) = S[i] - bd for the k real rows; lanes up to the next
 * vector boundary are zeroed so the tiles may read whole vectors. */
static void KFN(gram_fill)(const struct KFN(gram_ws) *ws, size_t len)
{
	size_t vec = len - len % VD_N;
	const double *bd = ws->bd;
	for (uint32_t i = 0; i < ws->k; i++) {
		const float *si = ws->srow[i];
		double *ui = ws->U + (size_t)i * ws->ub;
		size_t j = 0;
		for (; j < vec; j += VD_N)
			VD_STORE(ui + j, VD_SUB(VD_LOADF(si + j), VD_LOAD(bd + j)));
		for (; j < len; j++)
			ui[j] = (double)si[j] - bd[j];
		for (; j % VD_N; j++)
			ui[j] = 0;
	}
}

/* The 10 products of the diagonal 4x4 block at rows r..r+3. */
static void KFN(gram_diag4)(const struct KFN(gram_ws) *ws, uint32_t r,
			    size_t n_end)
{
	const size_t ub = ws->ub, kp = ws->kp;
	const double *u0 = ws->U + (size_t)r * ub, *u1 = u0 + ub,
		     *u2 = u1 + ub, *u3 = u2 + ub;
	VD *A = ws->acc + (size_t)r * kp + r;
	VD a00 = A[0], a01 = A[1], a02 = A[2], a03 = A[3];
	VD a11 = A[kp + 1], a12 = A[kp + 2], a13 = A[kp + 3];
	VD a22 = A[2 * kp + 2], a23 = A[2 * kp + 3], a33 = A[3 * kp + 3];
	for (size_t n = 0; n < n_end; n += VD_N) {
		VD p0 = VD_LOAD(u0 + n), p1 = VD_LOAD(u1 + n);
		VD p2 = VD_LOAD(u2 + n), p3 = VD_LOAD(u3 + n);
		a00 = VD_FMA(p0, p0, a00);
		a01 = VD_FMA(p0, p1, a01);
		a02 = VD_FMA(p0, p2, a02);
		a03 = VD_FMA(p0, p3, a03);
		a11 = VD_FMA(p1, p1, a11);
		a12 = VD_FMA(p1, p2, a12);
		a13 = VD_FMA(p1, p3, a13);
		a22 = VD_FMA(p2, p2, a22);
		a23 = VD_FMA(p2, p3, a23);
		a33 = VD_FMA(p3, p3, a33);
	}
	A[0] = a00, A[1] = a01, A[2] = a02, A[3] = a03;
	A[kp + 1] = a11, A[kp + 2] = a12, A[kp + 3] = a13;
	A[2 * kp + 2] = a22, A[2 * kp + 3] = a23, A[3 * kp + 3] = a33;
}

/* Rows ti..ti+GRAM_TI-1 against columns tj..tj+3 (all above the diagonal). */
static void KFN(gram_tile)(const struct KFN(gram_ws) *ws, uint32_t ti,
			   uint32_t tj, size_t n_end)
{
	const size_t ub = ws->ub, kp = ws->kp;
	const double *U = ws->U;
	VD a[GRAM_TI][4];
	for (int x = 0; x < GRAM_TI; x++)
		for (int y = 0; y < 4; y++)
			a[x][y] = ws->acc[(size_t)(ti + x) * kp + tj + y];
	for (size_t n = 0; n < n_end; n += VD_N) {
		VD p[GRAM_TI], q[4];
		for (int x = 0; x < GRAM_TI; x++)
			p[x] = VD_LOAD(U + (size_t)(ti + x) * ub + n);
		for (int y = 0; y < 4; y++)
			q[y] = VD_LOAD(U + (size_t)(tj + y) * ub + n);
		for (int x = 0; x < GRAM_TI; x++)
			for (int y = 0; y < 4; y++)
				a[x][y] = VD_FMA(p[x], q[y], a[x][y]);
	}
	for (int x = 0; x < GRAM_TI; x++)
		for (int y = 0; y < 4; y++)
			ws->acc[(size_t)(ti + x) * kp + tj + y] = a[x][y];
}

/* Sum the lanes into G's upper triangle. */
static void KFN(gram_reduce)(const struct KFN(gram_ws) *ws, double *G)
{
	for (uint32_t i = 0; i < ws->k; i++)
		for (uint32_t j = i; j < ws->k; j++)
			G[(size_t)i * ws->k + j] +=
				VD_HSUM(ws->acc[(size_t)i * ws->kp + j]);
}

static int KFN(gram_base)(const float *const *v, uint32_t k, size_t d,
			  const struct clip_net *net, float *out, double *G)
{
	struct KFN(gram_ws) ws;
	int rc = KFN(gram_ws_init)(&ws, k, 1);

	if (rc)
		return rc;
	const size_t B = ws.B;
	const uint32_t ngroups = ws.kp / 4;
	const uint32_t total = ngroups * (ngroups + 1) / 2;
	const uint32_t ahead = total / 4 ? total / 4 : 1;
	int cur = 0;
	KFN(stage_first)(v, k, d < B ? d : B, ws.S[0], ws.sb);
	for (size_t c0 = 0; c0 < d; c0 += B) {
		size_t len = d - c0 < B ? d - c0 : B;
		size_t nc0 = c0 + B, nlen = nc0 < d ? (d - nc0 < B ? d - nc0 : B) : 0;
		float *Sn = ws.S[cur ^ 1];
		KFN(stage_ptrs)(v, k, c0, ws.S[cur], ws.sb, ws.srow);
		if (net)
			rc = KFN(median)(ws.srow, k, 0, len, net, out + c0);
		if (rc)
			break;
		for (size_t j = 0; j < len; j++)
			ws.bd[j] = (double)out[c0 + j];
		KFN(gram_fill)(&ws, len);
		/* Row group g does ngroups - g of the block's 4x4 products, so
		 * the next block is staged in proportion to the work done, not
		 * per group, with prefetches a quarter of the work ahead: the
		 * small late groups would leave no time to hide a miss. */
		uint32_t done = 0, st_to = 0, pf_to = 0;
		if (nlen) {
			pf_to = KFN(rows_at)(k, ahead, total);
			KFN(stage_pf)(v, 0, pf_to, nc0, nlen);
		}
		size_t n_end = (len + VD_N - 1) / VD_N * VD_N;
		for (uint32_t g = 0; g < ngroups; g++) {
			uint32_t r = 4 * g;
			KFN(gram_diag4)(&ws, r, n_end);
			for (uint32_t tj = r + 4; tj < ws.kp; tj += 4)
				for (uint32_t x = 0; x < 4; x += GRAM_TI)
					KFN(gram_tile)(&ws, r + x, tj, n_end);
			if (!nlen)
				continue;
			done += ngroups - g;
			uint32_t pf = KFN(rows_at)(k, done + ahead, total);
			uint32_t st = KFN(rows_at)(k, done, total);
			KFN(stage_pf)(v, pf_to, pf, nc0, nlen);
			KFN(stage_copy)(v, st_to, st, nc0, nlen, Sn, ws.sb);
			pf_to = pf;
			st_to = st;
		}
		cur ^= 1;
	}
	KFN(gram_reduce)(&ws, G);
	KFN(gram_ws_free)(&ws);
	return rc;
}

/* Accumulate, for staged rows i0..i0+n-1 (n <= 4) of one block at point o:
 * diag_i += ||u_i||^2, b_i += <u_i, e>, r += w_i u_i, with u_i = v_i - o.
 * Four rows share each load and store of r. */
static void KFN(final_rows)(const float *const *s, uint32_t i0, uint32_t n,
			    size_t vec, const double *w, const float *o,
			    const double *e, double *r, VD *dacc, VD *bacc)
{
	VD d[4], b[4], wv[4];
	const float *vi[4];
	for (uint32_t x = 0; x < n; x++) {
		d[x] = dacc[i0 + x];
		b[x] = bacc[i0 + x];
		wv[x] = VD_SET1(w[i0 + x]);
		vi[x] = s[i0 + x];
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
	struct KFN(gram_ws) ws;
	int rc = KFN(gram_ws_init)(&ws, k, 0);

	if (rc)
		return rc;
	VD *dacc = clip_alloc64(2 * (size_t)k * sizeof(VD));
	alignas(64) double r[GRAM_BMAX], e[GRAM_BMAX];

	if (!dacc) {
		KFN(gram_ws_free)(&ws);
		return -ENOMEM;
	}
	VD *bacc = dacc + k;
	for (uint32_t i = 0; i < k; i++) {
		dacc[i] = bacc[i] = VD_ZERO();
		diag[i] = bdot[i] = 0;
	}
	VD racc = VD_ZERO(), eacc = VD_ZERO(), invk = VD_SET1(1.0 / k);
	double rs = 0, es = 0;
	const size_t B = ws.B;
	int cur = 0;
	KFN(stage_first)(v, k, d < B ? d : B, ws.S[0], ws.sb);
	for (size_t c0 = 0; c0 < d; c0 += B) {
		size_t len = d - c0 < B ? d - c0 : B;
		size_t nc0 = c0 + B, nlen = nc0 < d ? (d - nc0 < B ? d - nc0 : B) : 0;
		size_t vec = len - len % VD_N;
		const float *const *s = ws.srow;
		float *o = out + c0;
		KFN(stage_ptrs)(v, k, c0, ws.S[cur], ws.sb, ws.srow);

		if (nlen)
			KFN(stage_pf)(v, 0, k < 8 ? k : 8, nc0, nlen);
		/* y = b + sum_i beta_i (v_i - b), rounded in place; e is the
		 * rounding, exact in float64 (Sterbenz). */
		size_t j = 0;
		for (; j < vec; j += VD_N) {
			VD bv = VD_LOADF(o + j), y = bv;
			for (uint32_t i = 0; i < k; i++)
				y = VD_FMA(VD_SET1(beta[i]),
					   VD_SUB(VD_LOADF(s[i] + j), bv), y);
			VD_STOREF(o + j, y);
			VD ev = VD_SUB(VD_LOADF(o + j), y);
			VD_STORE(e + j, ev);
			eacc = VD_FMA(ev, ev, eacc);
			VD_STORE(r + j, VD_ZERO());
		}
		for (; j < len; j++) {
			double bj = o[j], y = bj;
			for (uint32_t i = 0; i < k; i++)
				y = fma(beta[i], (double)s[i][j] - bj, y);
			o[j] = (float)y;
			e[j] = (double)o[j] - y;
			es += e[j] * e[j];
		}

		/* At the new point, while the block is in L1; the next block
		 * is staged between the row groups (equal work each). */
		for (uint32_t i = 0; i < k; i += 4) {
			KFN(final_rows)(s, i, k - i < 4 ? k - i : 4, vec, w, o, e,
					r, dacc, bacc);
			KFN(stage_step)(v, k, i / 4, nc0, nlen, ws.S[cur ^ 1],
					ws.sb);
		}
		for (j = 0; j < vec; j += VD_N) {
			VD rv = VD_MUL(VD_LOAD(r + j), invk);
			racc = VD_FMA(rv, rv, racc);
		}
		for (j = vec; j < len; j++) {
			double rj = 0;
			for (uint32_t i = 0; i < k; i++) {
				double u = (double)s[i][j] - (double)o[j];
				diag[i] += u * u;
				bdot[i] += u * e[j];
				rj += w[i] * u;
			}
			rj /= k;
			rs += rj * rj;
		}
		cur ^= 1;
	}
	for (uint32_t i = 0; i < k; i++) {
		diag[i] += VD_HSUM(dacc[i]);
		bdot[i] += VD_HSUM(bacc[i]);
	}
	*R = VD_HSUM(racc) + rs;
	*e2 = VD_HSUM(eacc) + es;
	free(dacc);
	KFN(gram_ws_free)(&ws);
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
