/* AVX-512F kernels: 16 floats per median vector, 8 doubles per accumulator.
 * Built with -mavx512f; only called after CPUID says the CPU has it. */
#include <immintrin.h>

#define KSUFFIX avx512
#define KTABLE clip_kernels_avx512

#define VF __m512
#define VF_N 16
#define VF_LOAD(p) _mm512_loadu_ps(p)
#define VF_STORE(p, x) _mm512_storeu_ps((p), (x))
#define VF_ZERO() _mm512_setzero_ps()
#define VF_MIN(a, b) _mm512_min_ps((a), (b))
#define VF_MAX(a, b) _mm512_max_ps((a), (b))
#define VF_SUB(a, b) _mm512_sub_ps((a), (b))
#define VF_ADD(a, b) _mm512_add_ps((a), (b))
#define VF_HAS_NAN(x) (_mm512_cmp_ps_mask((x), (x), _CMP_UNORD_Q) != 0)

#define VD __m512d
#define VD_N 8
#define VD_LOAD(p) _mm512_loadu_pd(p)
#define VD_LOADF(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define VD_STORE(p, x) _mm512_storeu_pd((p), (x))
#define VD_ZERO() _mm512_setzero_pd()
#define VD_SET1(x) _mm512_set1_pd(x)
#define VD_SUB(a, b) _mm512_sub_pd((a), (b))
#define VD_ADD(a, b) _mm512_add_pd((a), (b))
#define VD_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define VD_HSUM(x) _mm512_reduce_add_pd(x)

#define VD_MUL(a, b) _mm512_mul_pd((a), (b))
#define VD_STOREF(p, x) _mm256_storeu_ps((p), _mm512_cvtpd_ps(x))
#define GRAM_TI 4
/* Blocks of 256 read in place, as before issue 12: on the Xeon the staging
 * copy cost AVX-512 10-15% (its caches hide the aliasing it avoids). */
#define GRAM_BMID 256
#define GRAM_STAGE 0
#define GRAM_BLARGE 256

#include "clip_simd_tmpl.h"
