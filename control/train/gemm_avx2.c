/* AVX2 + FMA variant of the deterministic product: 6 x 16 blocks (12
 * accumulators, two loads and a broadcast: 15 of 16 ymm registers). */
#include <immintrin.h>

#define V __m256
#define VW 8
#define MR 6
#define LOAD(p) _mm256_loadu_ps(p)
#define STORE(p, v) _mm256_storeu_ps(p, v)
#define BCAST(x) _mm256_set1_ps(x)
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#define MUL(a, b) _mm256_mul_ps(a, b)
#define ADD(a, b) _mm256_add_ps(a, b)
#define ZERO() _mm256_setzero_ps()
#define GEMM_FN gemm_avx2

#include "gemm_simd_tmpl.h"
