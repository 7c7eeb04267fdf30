/*
 * Deterministic products for the built-in models: the scalar reference and
 * the run-time choice of variant. Exact validation needs every host to get
 * the same bits, so no variant may reassociate a sum: each output element
 * is one accumulator walking k in order (see gemm_simd_tmpl.h). In fused
 * mode every step is fmaf, exactly rounded by IEEE 754, so the scalar,
 * AVX2 and AVX-512 variants agree bit for bit; plain mode rounds the
 * product, then the sum, which any IEEE machine reproduces without FMA.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "byz/cpu.h"
#include "byz/err.h"
#include "byz/model.h"
#include "gemm.h"

size_t gemm_pack_need(int tb, int N, int K)
{
	(void)tb;
	(void)N;
	return (size_t)(K > 0 ? K : 0) * GEMM_NR_MAX;
}

int gemm_level_max(void)
{
	int lvl = (int)byz_cpu_simd_level();
#ifndef BYZ_TRAIN_HAVE_AVX512
	if (lvl > BYZ_SIMD_AVX2)
		lvl = BYZ_SIMD_AVX2;
#endif
#ifndef BYZ_TRAIN_HAVE_AVX2
	lvl = BYZ_SIMD_SCALAR;
#endif
	return lvl;
}

/* i-k-j order: the same per-element sequence, and a loop over contiguous
 * j for the plain mode (which the compiler may vectorise: it cannot fuse,
 * the library is built with -ffp-contract=off). */
void gemm_scalar(const struct gemm_args *g)
{
	for (int i = 0; i < g->M; i++) {
		float *c = g->C + (size_t)i * g->ldc;
		for (int j = 0; j < g->N; j++)
			c[j] = 0.0f;
		for (int k = 0; k < g->K; k++) {
			const float a = g->ta ? g->A[(size_t)k * g->lda + i]
					      : g->A[(size_t)i * g->lda + k];
			if (g->tb) {
				const float *b = g->B + k;
				for (int j = 0; j < g->N; j++)
					c[j] = g->fused ? fmaf(a, b[(size_t)j * g->ldb], c[j])
							: c[j] + a * b[(size_t)j * g->ldb];
			} else {
				const float *b = g->B + (size_t)k * g->ldb;
				if (g->fused)
					for (int j = 0; j < g->N; j++)
						c[j] = fmaf(a, b[j], c[j]);
				else
					for (int j = 0; j < g->N; j++)
						c[j] = c[j] + a * b[j];
			}
		}
	}
}

void gemm_run(int level, const struct gemm_args *g)
{
	if (g->M <= 0 || g->N <= 0)
		return;
	if (g->K <= 0) { /* the empty sum; A and B may be NULL */
		for (int i = 0; i < g->M; i++)
			for (int j = 0; j < g->N; j++)
				g->C[(size_t)i * g->ldc + j] = 0.0f;
		return;
	}
	if (level > gemm_level_max())
		level = gemm_level_max();
	if (g->pack_cap < gemm_pack_need(g->tb, g->N, g->K))
		level = BYZ_SIMD_SCALAR;
	switch (level) {
#ifdef BYZ_TRAIN_HAVE_AVX512
	case BYZ_SIMD_AVX512:
		gemm_avx512(g);
		return;
#endif
#ifdef BYZ_TRAIN_HAVE_AVX2
	case BYZ_SIMD_AVX2:
		gemm_avx2(g);
		return;
#endif
	default:
		gemm_scalar(g);
	}
}

int byz_gemm(enum byz_simd_level level, int fused, int ta, int tb, int M,
	     int N, int K, const float *A, int lda, const float *B, int ldb,
	     float *C, int ldc)
{
	if (M < 0 || N < 0 || K < 0)
		return -EINVAL;
	if (!M || !N)
		return 0;
	/* Leading dimensions must cover a row of each stored matrix. */
	if (!C || ldc < N || (K && (!A || !B)) ||
	    lda < (ta ? M : K) || ldb < (tb ? K : N) || lda < 1 || ldb < 1)
		return -EINVAL;
	struct gemm_args g = {.fused = fused ? 1 : 0, .ta = ta ? 1 : 0,
			      .tb = tb ? 1 : 0, .M = M, .N = N, .K = K, .A = A,
			      .lda = lda, .B = B, .ldb = ldb, .C = C, .ldc = ldc};
	g.pack_cap = gemm_pack_need(g.tb, N, K);
	if (g.pack_cap) {
		g.pack = malloc(g.pack_cap * sizeof(float));
		if (!g.pack)
			return -ENOMEM;
	}
	gemm_run((int)level, &g);
	free(g.pack);
	return 0;
}
