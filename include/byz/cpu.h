/**
 * @file byz/cpu.h
 * @brief SIMD level of this CPU, capped by the BYZ_SIMD_MAX environment
 *        variable, for modules that pick a kernel at run time.
 */
#ifndef BYZ_CPU_H
#define BYZ_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

/** SIMD levels, in increasing order. */
enum byz_simd_level {
	BYZ_SIMD_SCALAR = 0, /**< no vector kernels */
	BYZ_SIMD_AVX2 = 1,   /**< AVX2 and FMA */
	BYZ_SIMD_AVX512 = 2, /**< AVX-512F on top of AVX2 and FMA */
};

/**
 * @brief What this CPU supports, lowered to BYZ_SIMD_MAX (scalar, avx2) when
 *        that is set. Read once; later changes to the environment are not seen.
 *
 * Callers still check that they built the variant for a level (a compiler
 * without -mavx512f builds none).
 */
enum byz_simd_level byz_cpu_simd_level(void);

/**
 * @brief 1 when the CPU has the x86 SHA extensions (CPUID leaf 7, EBX bit 29)
 *        and the SSSE3 and SSE4.1 they are used with, else 0. BYZ_SIMD_MAX=scalar
 *        turns it off too (the portable fallback); avx2 leaves it on (AMD EPYC
 *        without AVX-512 has SHA-NI). The OS needs nothing beyond SSE state.
 *        Read once.
 */
int byz_cpu_has_sha(void);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_CPU_H */
