/* CPU SIMD level from CPUID, capped by BYZ_SIMD_MAX so tests and benchmarks
 * can force narrower kernels without rebuilding. */
#include <stdlib.h>
#include <strings.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

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

static int cpu_sha(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0; /* CPUID.(EAX=7,ECX=0):EBX bit 29 */
#else
	return 0;
#endif
}

int byz_cpu_has_sha(void)
{
	static int cached = -1;
	if (cached < 0) {
		const char *cap = getenv("BYZ_SIMD_MAX");
		cached = cap && !strcasecmp(cap, "scalar") ? 0 : cpu_sha();
	}
	return cached;
}
