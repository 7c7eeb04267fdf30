/* AVX-512F variant of the deterministic product: 8 x 32 blocks (16
 * accumulators of 32 zmm registers). */
#include <immintrin.h>

#define V __m512
#define VW 16
#define MR 8
#define LOAD(p) _mm512_loadu_ps(p)
#define STORE(p, v) _mm512_storeu_ps(p, v)
#define BCAST(x) _mm512_set1_ps(x)
#define FMADD(a, b, c) _mm512_fmadd_ps(a, b, c)
#define MUL(a, b) _mm512_mul_ps(a, b)
#define ADD(a, b) _mm512_add_ps(a, b)
#define ZERO() _mm512_setzero_ps()
#define GEMM_FN gemm_avx512

#include "gemm_simd_tmpl.h"
