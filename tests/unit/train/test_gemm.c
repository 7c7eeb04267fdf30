/*
 * The models' deterministic product (byz_gemm): every SIMD level against an
 * independent per-element reference written here (fmaf in k order, or a
 * rounded product then a rounded sum), bit for bit, on odd shapes (sizes
 * that are not multiples of any vector width or block, 1, and large), all
 * four transpose cases and padded leading dimensions; plus argument checks.
 */
#include <string.h>

#include "byz/cpu.h"
#include "byz/err.h"
#include "byz/model.h"
#include "byz_test.h"

/* The specification, element by element: acc = +0, then k = 0..K-1. */
static void ref_gemm(int fused, int ta, int tb, int M, int N, int K,
		     const float *A, int lda, const float *B, int ldb, float *C,
		     int ldc)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float acc = 0.0f;
			for (int k = 0; k < K; k++) {
				float a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
				float b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
				if (fused) {
					acc = fmaf(a, b, acc);
				} else {
					float p = a * b; /* built with -ffp-contract=off */
					acc = acc + p;
				}
			}
			C[(size_t)i * ldc + j] = acc;
		}
}

/* Gaussians with a share of exact zeros, negative zeros and values a
 * thousand times larger or smaller, so that rounding differences show. */
static void fill(struct byz_rng *r, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t u = byz_rng_next(r) % 16;
		double g = byz_rng_gauss(r);
		v[i] = u == 0 ? 0.0f : u == 1 ? -0.0f : u == 2 ? (float)(g * 1e3)
			: u == 3 ? (float)(g * 1e-3) : (float)g;
	}
}

#define SENTINEL 12345.5f

/* One shape at every level; returns the number of mismatching levels. */
static int check_shape(struct byz_rng *r, int fused, int ta, int tb, int M, int N,
		       int K, int pad)
{
	int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
	if (lda < 1)
		lda = 1;
	if (ldb < 1)
		ldb = 1;
	size_t na = (size_t)(ta ? K : M) * lda + 1, nb = (size_t)(tb ? N : K) * ldb + 1;
	size_t nc = (size_t)M * ldc;
	float *A = malloc(na * sizeof(float)), *B = malloc(nb * sizeof(float));
	float *ref = malloc(nc * sizeof(float)), *C = malloc(nc * sizeof(float));
	CU_ASSERT_FATAL(A && B && ref && C);
	fill(r, A, na);
	fill(r, B, nb);
	for (size_t i = 0; i < nc; i++)
		ref[i] = SENTINEL;
	ref_gemm(fused, ta, tb, M, N, K, A, lda, B, ldb, ref, ldc);
	int bad = 0;
	for (int lvl = BYZ_SIMD_SCALAR; lvl <= (int)byz_cpu_simd_level(); lvl++) {
		for (size_t i = 0; i < nc; i++)
			C[i] = SENTINEL; /* the padding must stay untouched */
		int rc = byz_gemm((enum byz_simd_level)lvl, fused, ta, tb, M, N, K, A, lda,
				  B, ldb, C, ldc);
		CU_ASSERT_EQUAL(rc, 0);
		if (memcmp(C, ref, nc * sizeof(float))) {
			if (bad++ < 3)
				fprintf(stderr, "\nlevel %d fused %d ta %d tb %d M %d N %d K %d "
					"pad %d differs\n", lvl, fused, ta, tb, M, N, K, pad);
		}
	}
	free(A);
	free(B);
	free(ref);
	free(C);
	return bad;
}

static void test_levels_match_reference(void)
{
	struct byz_rng r = {byz_test_seed() ^ 0x6e6d};
	static const int Ms[] = {1, 2, 5, 6, 7, 8, 9, 13, 17};
	static const int Ns[] = {1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 65};
	static const int Ks[] = {0, 1, 2, 7, 16, 33};
	fprintf(stderr, "\n(levels scalar..%d)\n", (int)byz_cpu_simd_level());
	int bad = 0;
	for (int t = 0; t < 8; t++)
		for (size_t a = 0; a < sizeof(Ms) / sizeof(Ms[0]); a++)
			for (size_t b = 0; b < sizeof(Ns) / sizeof(Ns[0]); b++)
				for (size_t c = 0; c < sizeof(Ks) / sizeof(Ks[0]); c++)
					bad += check_shape(&r, t & 1, (t >> 1) & 1, (t >> 2) & 1,
							   Ms[a], Ns[b], Ks[c], (int)((a + b + c) % 3));
	CU_ASSERT_EQUAL(bad, 0);
}

/* Shapes of the models' products, and one long inner sum (the CNN's
 * kernel gradient: K = batch x pixels, N = 9 x channels). */
static void test_large_shapes(void)
{
	struct byz_rng r = {byz_test_seed() ^ 0x1a29};
	int bad = 0;
	for (int t = 0; t < 8; t++) {
		bad += check_shape(&r, t & 1, (t >> 1) & 1, (t >> 2) & 1, 67, 130, 785, 0);
		bad += check_shape(&r, t & 1, (t >> 1) & 1, (t >> 2) & 1, 16, 27, 4099, 1);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Fused and plain are different specifications: on a long sum they must
 * differ somewhere (else "fused" would not be fused). */
static void test_fused_is_fused(void)
{
	struct byz_rng r = {byz_test_seed() ^ 0xf5};
	const int M = 8, N = 40, K = 500;
	float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)K * N * 4);
	float *C1 = malloc((size_t)M * N * 4), *C2 = malloc((size_t)M * N * 4);
	CU_ASSERT_FATAL(A && B && C1 && C2);
	fill(&r, A, (size_t)M * K);
	fill(&r, B, (size_t)K * N);
	for (int lvl = 0; lvl <= (int)byz_cpu_simd_level(); lvl++) {
		CU_ASSERT_EQUAL(byz_gemm((enum byz_simd_level)lvl, 1, 0, 0, M, N, K, A, K, B, N,
					 C1, N), 0);
		CU_ASSERT_EQUAL(byz_gemm((enum byz_simd_level)lvl, 0, 0, 0, M, N, K, A, K, B, N,
					 C2, N), 0);
		CU_ASSERT(memcmp(C1, C2, (size_t)M * N * 4) != 0);
		double dmax = 0, cmax = 0;
		for (int i = 0; i < M * N; i++) {
			dmax = fmax(dmax, fabs((double)C1[i] - C2[i]));
			cmax = fmax(cmax, fabs((double)C1[i]));
		}
		CU_ASSERT(cmax > 0 && dmax <= 1e-4 * cmax); /* both are the product */
	}
	free(A);
	free(B);
	free(C1);
	free(C2);
}

static void test_gemm_arguments(void)
{
	float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {9, 9, 9, 9};
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, -1, 2, 2, a, 2, b, 2, c, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 2, 2, 2, a, 1, b, 2, c, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 1, 2, 2, 2, a, 2, b, 1, c, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 2, 2, 2, a, 2, b, 2, c, 1), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 2, 2, 2, NULL, 2, b, 2, c, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 2, 2, 2, a, 2, b, 2, NULL, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 0, 2, 2, NULL, 2, NULL, 2, NULL, 2), 0);
	CU_ASSERT_EQUAL(c[0], 9.0f); /* nothing written on refusal */
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 1, 0, 0, 2, 2, 2, a, 2, b, 2, c, 2), 0);
	CU_ASSERT(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4);
	/* K = 0 is the empty sum: +0 everywhere. */
	CU_ASSERT_EQUAL(byz_gemm(BYZ_SIMD_AVX512, 0, 0, 0, 2, 2, 0, a, 1, b, 2, c, 2), 0);
	CU_ASSERT(c[0] == 0 && !signbit(c[0]) && c[3] == 0);
}

BYZ_TEST_MAIN("train-gemm",
	      {"every level matches the reference", test_levels_match_reference},
	      {"large shapes", test_large_shapes},
	      {"fused differs from plain", test_fused_is_fused},
	      {"arguments", test_gemm_arguments})
