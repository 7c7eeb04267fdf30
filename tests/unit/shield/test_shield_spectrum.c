/*
 * Second eigenvalue of H H^T/(l r): known values for the constructions, an
 * independent cyclic Jacobi eigensolver on random biregular graphs, the
 * Ramanujan flag, and Tanner's neighbourhood bound behind the spectral bound.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "byz/err.h"
#include "byz/shield.h"
#include "byz_test.h"

/* All eigenvalues of symmetric A (n x n, destroyed) by cyclic Jacobi rotations. */
static void jacobi_eigenvalues(double *A, int n, double *ev)
{
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0;
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				off += A[i * n + j] * A[i * n + j];
		if (off < 1e-26)
			break;
		for (int p = 0; p < n; p++)
			for (int q = p + 1; q < n; q++) {
				double apq = A[p * n + q];
				if (fabs(apq) < 1e-300)
					continue;
				double theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
				double t = (theta >= 0 ? 1.0 : -1.0) /
					   (fabs(theta) + sqrt(theta * theta + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (int k = 0; k < n; k++) { /* columns p, q */
					double akp = A[k * n + p], akq = A[k * n + q];
					A[k * n + p] = c * akp - s * akq;
					A[k * n + q] = s * akp + c * akq;
				}
				for (int k = 0; k < n; k++) { /* rows p, q */
					double apk = A[p * n + k], aqk = A[q * n + k];
					A[p * n + k] = c * apk - s * aqk;
					A[q * n + k] = s * apk + c * aqk;
				}
			}
	}
	for (int i = 0; i < n; i++)
		ev[i] = A[i * n + i];
}

/* Second-largest eigenvalue of H H^T/(l r), from the biadjacency via Jacobi. */
static double ref_mu1(const struct byz_shield_assign *a)
{
	int K = (int)a->n_workers, f = (int)a->n_files;
	uint8_t *h = malloc((size_t)K * f);
	double *M = calloc((size_t)K * K, sizeof(double)), *ev = malloc(sizeof(double) * K);
	CU_ASSERT_FATAL(h && M && ev);
	CU_ASSERT_EQUAL(byz_shield_biadjacency(a, h, (size_t)K * f), 0);
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++) {
			int dot = 0;
			for (int x = 0; x < f; x++)
				dot += h[i * f + x] & h[j * f + x];
			M[i * K + j] = dot / ((double)a->l * a->r);
		}
	jacobi_eigenvalues(M, K, ev);
	double first = -1e300, second = -1e300;
	for (int i = 0; i < K; i++) {
		if (ev[i] > first) {
			second = first;
			first = ev[i];
		} else if (ev[i] > second) {
			second = ev[i];
		}
	}
	CU_ASSERT_DOUBLE_EQUAL(first, 1.0, 1e-9);
	free(h);
	free(M);
	free(ev);
	return second;
}

/* A random biregular graph: stubs shuffled until no worker repeats a file. */
static struct byz_shield_assign *random_assign(struct byz_rng *rng, uint32_t K, uint32_t f,
					       uint32_t l)
{
	uint32_t n = K * l, r = n / f;
	uint32_t *stubs = malloc(sizeof(uint32_t) * n);
	CU_ASSERT_FATAL(stubs != NULL);
	for (int attempt = 0; attempt < 10000; attempt++) {
		for (uint32_t i = 0; i < n; i++)
			stubs[i] = i / r;
		for (uint32_t i = n; i > 1; i--) {
			uint32_t j = (uint32_t)(byz_rng_next(rng) % i);
			uint32_t t = stubs[i - 1];
			stubs[i - 1] = stubs[j];
			stubs[j] = t;
		}
		int err;
		struct byz_shield_assign *a = byz_shield_from_lists(K, f, l, stubs, &err);
		if (a) {
			free(stubs);
			return a;
		}
		CU_ASSERT_EQUAL(err, -EINVAL); /* only duplicates can make it fail */
	}
	free(stubs);
	CU_FAIL("no simple random graph found");
	return NULL;
}

static void test_constructions(void)
{
	static const uint32_t mols[][2] = {{3, 2}, {5, 3}, {7, 6}, {11, 3}, {13, 7}, {23, 11}};
	static const uint32_t ram[][2] = {{5, 3}, {7, 5}, {2, 2}, {5, 5}, {5, 10}, {3, 6}, {11, 11}};
	for (int kind = 0; kind < 2; kind++) {
		size_t n = kind ? sizeof(ram) / sizeof(ram[0]) : sizeof(mols) / sizeof(mols[0]);
		for (size_t c = 0; c < n; c++) {
			const uint32_t *p = kind ? ram[c] : mols[c];
			struct byz_shield_assign *a = byz_shield_build(
				kind ? BYZ_SHIELD_RAMANUJAN : BYZ_SHIELD_MOLS, p[0], p[1], NULL);
			CU_ASSERT_FATAL(a != NULL);
			struct byz_shield_spectrum sp;
			CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
			CU_ASSERT_DOUBLE_EQUAL(sp.mu0, 1.0, 1e-10);
			/* Overlaps are 0 or a constant, so H H^T has 3 eigenvalues: l r, l, 0 (scaled: 1, 1/r, 0). */
			CU_ASSERT_DOUBLE_EQUAL(sp.mu1, 1.0 / a->r, 1e-10);
			double root = sqrt(a->l - 1.0) + sqrt(a->r - 1.0);
			CU_ASSERT_DOUBLE_EQUAL(sp.ramanujan_limit, root * root / (a->l * a->r), 1e-12);
			CU_ASSERT_EQUAL(sp.ramanujan, 1);
			if (a->n_workers <= 60)
				CU_ASSERT_DOUBLE_EQUAL(sp.mu1, ref_mu1(a), 1e-9);
			byz_shield_free(a);
		}
	}
}

static void test_random_vs_jacobi(void)
{
	struct byz_rng rng = {byz_test_seed()};
	/* {K, f, l}: both K < f and K > f (the library then works on H^T H). */
	static const uint32_t cases[][3] = {{12, 18, 3}, {14, 14, 4}, {15, 25, 5}, {20, 8, 2},
					    {24, 16, 4}, {30, 45, 3}, {9, 27, 6}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int rep = 0; rep < 3; rep++) {
			struct byz_shield_assign *a =
				random_assign(&rng, cases[c][0], cases[c][1], cases[c][2]);
			if (!a)
				return;
			struct byz_shield_spectrum sp;
			CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
			double want = ref_mu1(a);
			if (fabs(sp.mu1 - want) > 1e-9)
				fprintf(stderr, "K=%u f=%u l=%u: mu1 %.15f, Jacobi %.15f\n", a->n_workers,
					a->n_files, a->l, sp.mu1, want);
			CU_ASSERT_DOUBLE_EQUAL(sp.mu1, want, 1e-9);
			CU_ASSERT_EQUAL(sp.ramanujan, sp.mu1 <= sp.ramanujan_limit + 1e-9);
			byz_shield_free(a);
		}
}

static void test_not_ramanujan(void)
{
	/* Two disjoint copies of MOLS(5,3): disconnected, so mu1 = 1. */
	struct byz_shield_assign *m = byz_shield_build(BYZ_SHIELD_MOLS, 5, 3, NULL);
	CU_ASSERT_FATAL(m != NULL);
	uint32_t lists[30 * 5];
	for (uint32_t w = 0; w < 30; w++)
		for (uint32_t i = 0; i < 5; i++)
			lists[w * 5 + i] = m->worker_files[(w % 15) * 5 + i] + (w >= 15 ? 25 : 0);
	struct byz_shield_assign *a = byz_shield_from_lists(30, 50, 5, lists, NULL);
	CU_ASSERT_FATAL(a != NULL);
	struct byz_shield_spectrum sp;
	CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
	CU_ASSERT_DOUBLE_EQUAL(sp.mu1, 1.0, 1e-10);
	CU_ASSERT_EQUAL(sp.ramanujan, 0);
	byz_shield_free(a);
	byz_shield_free(m);
	CU_ASSERT_EQUAL(byz_shield_spectrum(NULL, &sp), -EINVAL);
}

/* Tanner: every set S of q workers has |N(S)| >= beta(q); checked over all S for K = 15. */
static void test_tanner_exhaustive(void)
{
	struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, 5, 3, NULL);
	CU_ASSERT_FATAL(a != NULL);
	struct byz_shield_spectrum sp;
	CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
	uint32_t K = a->n_workers, minN[16];
	for (uint32_t q = 0; q <= K; q++)
		minN[q] = UINT32_MAX;
	for (uint32_t set = 1; set < (1u << K); set++) {
		uint32_t mask = 0; /* files as bits (f = 25) */
		for (uint32_t w = 0; w < K; w++)
			if (set >> w & 1)
				for (uint32_t i = 0; i < a->l; i++)
					mask |= 1u << a->worker_files[w * a->l + i];
		uint32_t q = (uint32_t)__builtin_popcount(set), n = (uint32_t)__builtin_popcount(mask);
		if (n < minN[q])
			minN[q] = n;
	}
	for (uint32_t q = 1; q <= K; q++) {
		struct byz_shield_bound b;
		CU_ASSERT_EQUAL_FATAL(byz_shield_spectral_bound(a, sp.mu1, q, &b), 0);
		CU_ASSERT(b.beta <= minN[q] + 1e-9);
		CU_ASSERT(b.bound <= a->n_files);
		/* Counting: c r' + (|N| - c) <= q l gives c <= (q l - |N|)/(r'-1) <= value. */
		CU_ASSERT(b.value + 1e-9 >= (double)(q * a->l - minN[q]) / (a->majority - 1) - 1e-9);
	}
	struct byz_shield_bound b;
	CU_ASSERT_EQUAL(byz_shield_spectral_bound(a, sp.mu1, K + 1, &b), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_spectral_bound(a, -0.5, 3, &b), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_spectral_bound(a, NAN, 3, &b), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_spectral_bound(a, sp.mu1, 0, &b), 0);
	CU_ASSERT_EQUAL(b.bound, 0);
	byz_shield_free(a);
}

/* Tanner on random subsets of random graphs, with the graph's own mu1. */
static void test_tanner_random(void)
{
	struct byz_rng rng = {byz_test_seed() ^ 0x7a11e5ull};
	for (int g = 0; g < 6; g++) {
		struct byz_shield_assign *a = random_assign(&rng, 24, 36, 3);
		if (!a)
			return;
		struct byz_shield_spectrum sp;
		CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
		for (int t = 0; t < 2000; t++) {
			uint32_t set = (uint32_t)byz_rng_next(&rng) & ((1u << 24) - 1);
			uint32_t q = (uint32_t)__builtin_popcount(set);
			if (!q)
				continue;
			uint64_t files = 0;
			for (uint32_t w = 0; w < 24; w++)
				if (set >> w & 1)
					for (uint32_t i = 0; i < 3; i++)
						files |= 1ull << a->worker_files[w * 3 + i];
			struct byz_shield_bound b;
			CU_ASSERT_EQUAL_FATAL(byz_shield_spectral_bound(a, sp.mu1, q, &b), 0);
			CU_ASSERT(b.beta <= __builtin_popcountll(files) + 1e-9);
		}
		byz_shield_free(a);
	}
}

BYZ_TEST_MAIN("shield_spectrum",
	      {"constructions", test_constructions},
	      {"random_vs_jacobi", test_random_vs_jacobi},
	      {"not_ramanujan", test_not_ramanujan},
	      {"tanner_exhaustive", test_tanner_exhaustive},
	      {"tanner_random", test_tanner_random})
