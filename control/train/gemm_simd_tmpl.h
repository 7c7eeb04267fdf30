/*
 * Register-blocked product, included by gemm_avx2.c and gemm_avx512.c with
 * the vector macros defined: V, VW (lanes), MR (rows per block), LOAD,
 * STORE, BCAST, FMADD(a, b, acc), MUL, ADD, ZERO, GEMM_FN.
 *
 * Lanes run across output columns j and each lane walks k from 0 to K-1
 * with one accumulator, so every C(i,j) gets exactly the scalar
 * reference's operation sequence: blocking changes only which elements are
 * computed together, never the order of any sum. The file is compiled
 * with -ffp-contract=off so that MUL then ADD is never fused behind our back.
 */
#include <string.h>

#include "gemm.h"

#define NR (2 * VW)

/* One MR x NR (or mr x NR) block over all of K. a(r, k) = a[r*ars + k*aks];
 * b(k, jj) = b[k*bs + jj]. ncols valid columns are stored. */
static inline __attribute__((always_inline)) void
kern(const int fused, const int mr, int K, const float *a, size_t ars,
     size_t aks, const float *b, size_t bs, float *c, int ldc, int ncols)
{
	V acc0[MR], acc1[MR];
	for (int r = 0; r < mr; r++)
		acc0[r] = acc1[r] = ZERO();
	for (int k = 0; k < K; k++) {
		const V b0 = LOAD(b + (size_t)k * bs);
		const V b1 = LOAD(b + (size_t)k * bs + VW);
		const float *ak = a + (size_t)k * aks;
		for (int r = 0; r < mr; r++) {
			const V av = BCAST(ak[(size_t)r * ars]);
			if (fused) {
				acc0[r] = FMADD(av, b0, acc0[r]);
				acc1[r] = FMADD(av, b1, acc1[r]);
			} else {
				acc0[r] = ADD(acc0[r], MUL(av, b0));
				acc1[r] = ADD(acc1[r], MUL(av, b1));
			}
		}
	}
	for (int r = 0; r < mr; r++) {
		float *cr = c + (size_t)r * ldc;
		if (ncols == NR) {
			STORE(cr, acc0[r]);
			STORE(cr + VW, acc1[r]);
		} else {
			float tmp[NR];
			STORE(tmp, acc0[r]);
			STORE(tmp + VW, acc1[r]);
			memcpy(cr, tmp, (size_t)ncols * sizeof(float));
		}
	}
}

/* Instantiate kern for a constant (fused, mr) so that the row loops unroll
 * and the accumulators stay in registers. */
#define KERN_CASE(F, R)                                                       \
	case R:                                                               \
		kern(F, R, K, a, ars, aks, b, bs, c, ldc, ncols);             \
		break;

static void kern_fused(int mr, int K, const float *a, size_t ars, size_t aks,
		       const float *b, size_t bs, float *c, int ldc, int ncols)
{
	switch (mr) {
	KERN_CASE(1, MR)
#if MR > 7
	KERN_CASE(1, 7)
	KERN_CASE(1, 6)
#endif
	KERN_CASE(1, 5)
	KERN_CASE(1, 4)
	KERN_CASE(1, 3)
	KERN_CASE(1, 2)
	default:
		kern(1, 1, K, a, ars, aks, b, bs, c, ldc, ncols);
	}
}

static void kern_plain(int mr, int K, const float *a, size_t ars, size_t aks,
		       const float *b, size_t bs, float *c, int ldc, int ncols)
{
	switch (mr) {
	KERN_CASE(0, MR)
#if MR > 7
	KERN_CASE(0, 7)
	KERN_CASE(0, 6)
#endif
	KERN_CASE(0, 5)
	KERN_CASE(0, 4)
	KERN_CASE(0, 3)
	KERN_CASE(0, 2)
	default:
		kern(0, 1, K, a, ars, aks, b, bs, c, ldc, ncols);
	}
}

/* Copy columns j0..j0+NR-1 of op(B) into a K x NR panel, zero padded past
 * N (the padded lanes are computed and dropped). */
static void pack_panel(const struct gemm_args *g, int j0, float *dst)
{
	const int nc = g->N - j0 < NR ? g->N - j0 : NR;
	for (int k = 0; k < g->K; k++) {
		float *d = dst + (size_t)k * NR;
		if (g->tb) {
			for (int jj = 0; jj < nc; jj++)
				d[jj] = g->B[(size_t)(j0 + jj) * g->ldb + k];
		} else {
			memcpy(d, g->B + (size_t)k * g->ldb + j0, (size_t)nc * sizeof(float));
		}
		for (int jj = nc; jj < NR; jj++)
			d[jj] = 0.0f;
	}
}

void GEMM_FN(const struct gemm_args *g)
{
	const int M = g->M, N = g->N, K = g->K;
	const size_t ars = g->ta ? 1 : (size_t)g->lda;
	const size_t aks = g->ta ? (size_t)g->lda : 1;
	for (int j0 = 0; j0 < N; j0 += NR) {
		const int ncols = N - j0 < NR ? N - j0 : NR;
		const float *b;
		size_t bs;
		if (!g->tb && ncols == NR) {
			b = g->B + j0; /* rows of B are already k-major panels */
			bs = (size_t)g->ldb;
		} else {
			pack_panel(g, j0, g->pack);
			b = g->pack;
			bs = NR;
		}
		for (int i0 = 0; i0 < M; i0 += MR) {
			const int mr = M - i0 < MR ? M - i0 : MR;
			const float *a = g->A + (size_t)i0 * ars;
			float *c = g->C + (size_t)i0 * g->ldc + j0;
			if (g->fused)
				kern_fused(mr, K, a, ars, aks, b, bs, c, g->ldc, ncols);
			else
				kern_plain(mr, K, a, ars, aks, b, bs, c, g->ldc, ncols);
		}
	}
}
