/* The deterministic products of the built-in models (see gemm.c). */
#ifndef BYZ_TRAIN_GEMM_H
#define BYZ_TRAIN_GEMM_H

#include <stddef.h>

/* Widest column panel of any variant; pack buffers are sized with it. */
#define GEMM_NR_MAX 32

/* C[M x N] = op(A) op(B), row-major; op transposes when ta / tb is set.
 * Every C(i,j) is acc = +0; acc = acc + a(i,k) b(k,j) for k = 0..K-1,
 * fused (one rounding per step, fmaf) when fused is set, else a rounded
 * product then a rounded sum. pack: pack_cap floats of scratch, at least
 * gemm_pack_need(tb, N, K) for the SIMD variants (the scalar one uses
 * none). */
struct gemm_args {
	int fused, ta, tb, M, N, K;
	const float *A;
	int lda;
	const float *B;
	int ldb;
	float *C;
	int ldc;
	float *pack;
	size_t pack_cap;
};

/* Floats of pack scratch a SIMD variant needs for this shape. */
size_t gemm_pack_need(int tb, int N, int K);

/* Highest level (enum byz_simd_level) both this build and the CPU run. */
int gemm_level_max(void);

/* Run at @p level (lowered to gemm_level_max()); falls back to the scalar
 * variant, with the same bits, if the pack scratch is too small. */
void gemm_run(int level, const struct gemm_args *g);

void gemm_scalar(const struct gemm_args *g);
void gemm_avx2(const struct gemm_args *g);
void gemm_avx512(const struct gemm_args *g);

#endif
