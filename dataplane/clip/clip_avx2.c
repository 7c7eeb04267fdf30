/* AVX2+FMA kernels: 8 floats per median vector, 4 doubles per accumulator.
 * Built with -mavx2 -mfma; only called after CPUID says the CPU has both. */
#include <immintrin.h>

#define KSUFFIX avx2
#define KTABLE clip_kernels_avx2

static inline double hsum256d(__m256d x)
{
	__m128d lo = _mm256_castpd256_pd128(x), hi = _mm256_extractf128_pd(x, 1);
	lo = _mm_add_pd(lo, hi);
	return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

#define VF __m256
#define VF_N 8
#define VF_LOAD(p) _mm256_loadu_ps(p)
#define VF_STORE(p, x) _mm256_storeu_ps((p), (x))
#define VF_ZERO() _mm256_setzero_ps()
#define VF_MIN(a, b) _mm256_min_ps((a), (b))
#define VF_MAX(a, b) _mm256_max_ps((a), (b))
#define VF_SUB(a, b) _mm256_sub_ps((a), (b))
#define VF_ADD(a, b) _mm256_add_ps((a), (b))
#define VF_HAS_NAN(x) (_mm256_movemask_ps(_mm256_cmp_ps((x), (x), _CMP_UNORD_Q)) != 0)

#define VD __m256d
#define VD_N 4
#define VD_LOAD(p) _mm256_loadu_pd(p)
#define VD_LOADF(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define VD_STORE(p, x) _mm256_storeu_pd((p), (x))
#define VD_ZERO() _mm256_setzero_pd()
#define VD_SET1(x) _mm256_set1_pd(x)
#define VD_SUB(a, b) _mm256_sub_pd((a), (b))
#define VD_ADD(a, b) _mm256_add_pd((a), (b))
#define VD_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define VD_HSUM(x) hsum256d(x)

#define VD_MUL(a, b) _mm256_mul_pd((a), (b))
#define VD_STOREF(p, x) _mm_storeu_ps((p), _mm256_cvtpd_ps(x))
#define GRAM_TI 2
/* Staged blocks (clip_simd_tmpl.h): AVX2-only machines include Zen 1-3,
 * whose 8-way L1 and L2 lose power-of-two-strided rows between reads. */
#define GRAM_BMID 128
#define GRAM_STAGE 1
#define GRAM_BLARGE 64

#include "clip_simd_tmpl.h"
