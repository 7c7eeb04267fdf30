/* CPU SIMD level from CPUID, capped by BYZ_SIMD_MAX so tests and benchmarks
 * can force narrower kernels without rebuilding. */
#include <stdlib.h>
#include <strings.h>

#include "byz/cpu.h"

static enum byz_simd_level cpu_level(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return BYZ_SIMD_SCALAR;
	if (!__builtin_cpu_supports("avx512f"))
		return BYZ_SIMD_AVX2;
	return BYZ_SIMD_AVX512;
#else
	return BYZ_SIMD_SCALAR;
#endif
}

enum byz_simd_level byz_cpu_simd_level(void)
{
	/* Computed once; a race at worst computes the same value twice. */
	static int cached = -1;
	if (cached < 0) {
		enum byz_simd_level lvl = cpu_level();
		const char *cap = getenv("BYZ_SIMD_MAX");
		if (cap && !strcasecmp(cap, "scalar"))
			lvl = BYZ_SIMD_SCALAR;
		else if (cap && !strcasecmp(cap, "avx2") && lvl > BYZ_SIMD_AVX2)
			lvl = BYZ_SIMD_AVX2;
		cached = (int)lvl;
	}
	return (enum byz_simd_level)cached;
}
