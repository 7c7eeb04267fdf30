/*
 * Worst-case search against an independent brute force (every subset, no
 * pruning, the constructions rebuilt from their definitions in shield_ref.h),
 * with and without symmetry; limits, hints and the returned sets.
 */
#include <stdio.h>
#include <string.h>

#include "byz/err.h"
#include "byz/shield.h"
#include "byz_test.h"
#include "shield_check.h"
#include "shield_ref.h"

static void test_mols_small(void)
{
	run_construction(BYZ_SHIELD_MOLS, 3, 2);
	run_construction(BYZ_SHIELD_MOLS, 5, 2);
	run_construction(BYZ_SHIELD_MOLS, 5, 3);
	run_construction(BYZ_SHIELD_MOLS, 5, 4);
	run_construction(BYZ_SHIELD_MOLS, 7, 2);
}

static void test_ramanujan_small(void)
{
	run_construction(BYZ_SHIELD_RAMANUJAN, 2, 2);
	run_construction(BYZ_SHIELD_RAMANUJAN, 3, 2);
	run_construction(BYZ_SHIELD_RAMANUJAN, 3, 3);
	run_construction(BYZ_SHIELD_RAMANUJAN, 3, 6);
	run_construction(BYZ_SHIELD_RAMANUJAN, 5, 2);
	run_construction(BYZ_SHIELD_RAMANUJAN, 5, 3);
	run_construction(BYZ_SHIELD_RAMANUJAN, 5, 4);
	run_construction(BYZ_SHIELD_RAMANUJAN, 7, 2);
	/* f > 64: bitsets of two and three words. */
	run_construction(BYZ_SHIELD_RAMANUJAN, 3, 30);
	run_construction(BYZ_SHIELD_RAMANUJAN, 2, 70);
}

static void test_mols_7_3(void)
{
	run_construction(BYZ_SHIELD_MOLS, 7, 3);
}

/*
 * r' > 16 switches the fractional bound off (its integer credits would
 * overflow): 34 workers all holding the same 2 files, so q workers hold q
 * replicas of each and distort both exactly when q >= r' = 18.
 */
static void test_large_majority(void)
{
	uint32_t lists[34 * 2];
	for (uint32_t w = 0; w < 34; w++) {
		lists[2 * w] = 0;
		lists[2 * w + 1] = 1;
	}
	struct byz_shield_assign *a = byz_shield_from_lists(34, 2, 2, lists, NULL);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(a->majority, 18);
	struct byz_shield_search *s = byz_shield_search_new(a, 1, NULL);
	struct byz_shield_worst *res = malloc(sizeof(*res));
	CU_ASSERT_FATAL(s && res);
	for (uint32_t q = 1; q <= 34; q++) {
		CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(s, q, NULL, res), 0);
		CU_ASSERT_EQUAL(res->exact, 1);
		CU_ASSERT_EQUAL(res->c_best, q >= 18 ? 2u : 0u);
	}
	free(res);
	byz_shield_search_free(s);
	byz_shield_free(a);
}

/* Random biregular assignments: no symmetry, overlaps above one, odd and even r. */
static void test_random_graphs(void)
{
	struct byz_rng rng = {byz_test_seed() ^ 0x5ea2c4ull};
	static const uint32_t cases[][3] = {{12, 18, 3}, {14, 14, 4}, {15, 25, 5}, {16, 12, 3},
					    {10, 5, 3}, {18, 27, 6}, {16, 8, 3},
					    {12, 72, 12}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t K = cases[c][0], f = cases[c][1], l = cases[c][2], r = K * l / f;
		uint32_t stubs[32 * 8];
		struct byz_shield_assign *a = NULL;
		for (int attempt = 0; !a && attempt < 100000; attempt++) {
			for (uint32_t i = 0; i < K * l; i++)
				stubs[i] = i / r;
			for (uint32_t i = K * l; i > 1; i--) {
				uint32_t j = (uint32_t)(byz_rng_next(&rng) % i), t = stubs[i - 1];
				stubs[i - 1] = stubs[j];
				stubs[j] = t;
			}
			a = byz_shield_from_lists(K, f, l, stubs, NULL);
		}
		CU_ASSERT_FATAL(a != NULL);
		struct ref_assign ra = {.K = K, .f = f, .r = r};
		for (uint32_t w = 0; w < K; w++)
			for (uint32_t i = 0; i < l; i++)
				ra.mask[stubs[w * l + i]] |= 1ull << w;
		uint32_t cmax[REF_MAX_K + 1];
		ref_brute(&ra, cmax);
		char what[64];
		snprintf(what, sizeof(what), "random K=%u f=%u l=%u", K, f, l);
		compare_all_q(a, &ra, cmax, 1, what); /* custom: symmetry request is a no-op */
		struct byz_shield_search *s = byz_shield_search_new(a, 1, NULL);
		uint64_t order;
		uint32_t orbits;
		byz_shield_search_symmetry(s, &order, &orbits);
		CU_ASSERT_EQUAL(order, 1);
		CU_ASSERT_EQUAL(orbits, K);
		byz_shield_search_free(s);
		byz_shield_free(a);
	}
}

static void test_symmetry_found(void)
{
	/*
	 * {kind, p1, p2, orbits}. Translations are transitive within a
	 * direction class; linear maps act on the directions as PGL(2,p) does on
	 * the projective line, which is sharply 3-transitive and, for any 4
	 * points, contains the Klein group of double transpositions: <= 4
	 * directions (or all p, Ramanujan m >= s) give one orbit. MOLS(7,5): the
	 * 5 slopes' stabiliser is that of the 3 others, an S3, which cannot be
	 * transitive on 5 points; it has 2 orbits.
	 */
	static const uint32_t cases[][4] = {{BYZ_SHIELD_MOLS, 5, 3, 1}, {BYZ_SHIELD_MOLS, 7, 5, 2},
					    {BYZ_SHIELD_MOLS, 11, 4, 1}, {BYZ_SHIELD_RAMANUJAN, 5, 3, 1},
					    {BYZ_SHIELD_RAMANUJAN, 5, 5, 1}, {BYZ_SHIELD_RAMANUJAN, 3, 9, 1},
					    {BYZ_SHIELD_RAMANUJAN, 7, 5, 2}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct byz_shield_assign *a =
			byz_shield_build((enum byz_shield_kind)cases[c][0], cases[c][1], cases[c][2], NULL);
		CU_ASSERT_FATAL(a != NULL);
		int err = 1;
		struct byz_shield_search *s = byz_shield_search_new(a, 1, &err);
		CU_ASSERT_EQUAL_FATAL(err, 0);
		uint64_t order;
		uint32_t orbits;
		byz_shield_search_symmetry(s, &order, &orbits);
		uint64_t p = cases[c][1];
		/* At least the p^2 translations and the p-1 scalings. */
		CU_ASSERT(order >= p * p * (p - 1));
		CU_ASSERT(order % (p * p) == 0);
		CU_ASSERT_EQUAL(orbits, cases[c][3]);
		byz_shield_search_free(s);
		s = byz_shield_search_new(a, 0, &err);
		byz_shield_search_symmetry(s, &order, &orbits);
		CU_ASSERT_EQUAL(order, 1);
		CU_ASSERT_EQUAL(orbits, a->n_workers);
		byz_shield_search_free(s);
		byz_shield_free(a);
	}
}

/*
 * MOLS(7,5) has two worker orbits, so the search runs branches from two
 * representatives with the first orbit excluded from the second: check it
 * against a brute force over C(35, q) subsets for small q, and against the
 * search without symmetry beyond.
 */
static void test_two_orbits(void)
{
	struct ref_assign ra = {0};
	CU_ASSERT_EQUAL_FATAL(ref_mols(7, 5, &ra), 0);
	struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, 7, 5, NULL);
	struct byz_shield_search *sym = byz_shield_search_new(a, 1, NULL);
	struct byz_shield_search *plain = byz_shield_search_new(a, 0, NULL);
	struct byz_shield_worst *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
	CU_ASSERT_FATAL(a && sym && plain && x && y);
	for (uint32_t q = 1; q <= 9; q++) {
		CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(sym, q, NULL, x), 0);
		CU_ASSERT_EQUAL(x->exact, 1);
		if (q <= 5) {
			uint32_t want = ref_brute_q(&ra, q);
			CU_ASSERT_EQUAL(x->c_best, want);
		} else {
			CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(plain, q, NULL, y), 0);
			CU_ASSERT_EQUAL(y->exact, 1);
			CU_ASSERT_EQUAL(x->c_best, y->c_best);
		}
		uint64_t mask = 0;
		for (uint32_t i = 0; i < q; i++)
			mask |= 1ull << x->set[i];
		CU_ASSERT_EQUAL(ref_score(&ra, mask), x->c_best);
	}
	free(x);
	free(y);
	byz_shield_search_free(sym);
	byz_shield_search_free(plain);
	byz_shield_free(a);
}

/* A node limit gives a labelled, valid bracket around the exact value. */
static void test_limits(void)
{
	struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, 7, 5, NULL);
	CU_ASSERT_FATAL(a != NULL);
	struct byz_shield_search *s = byz_shield_search_new(a, 1, NULL);
	CU_ASSERT_FATAL(s != NULL);
	struct byz_shield_worst *exact = malloc(sizeof(*exact)), *cut = malloc(sizeof(*cut));
	CU_ASSERT_FATAL(exact && cut);
	for (uint32_t q = 9; q <= 12; q++) {
		CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(s, q, NULL, exact), 0);
		CU_ASSERT_EQUAL(exact->exact, 1);
		for (uint64_t lim = 1; lim <= 100000; lim *= 10) {
			struct byz_shield_search_opts o = {.node_limit = lim};
			CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(s, q, &o, cut), 0);
			if (!cut->exact) {
				CU_ASSERT(cut->nodes >= lim);
				CU_ASSERT(cut->c_best <= exact->c_best);
				CU_ASSERT(cut->c_upper >= exact->c_best);
				CU_ASSERT(cut->c_upper <= a->n_files);
			} else {
				CU_ASSERT_EQUAL(cut->c_best, exact->c_best);
			}
			CU_ASSERT_EQUAL(byz_shield_distorted(a, cut->set, q), (int)cut->c_best);
		}
	}
	/* The smallest limit always stops a q this size. */
	struct byz_shield_search_opts one = {.node_limit = 1};
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, 12, &one, cut), 0);
	CU_ASSERT_EQUAL(cut->exact, 0);
	/* A hint (even a bad or oversized one) does not change the exact answer. */
	uint32_t hint[40];
	for (uint32_t i = 0; i < 40; i++)
		hint[i] = (i * 7) % 40; /* ids >= K are ignored */
	struct byz_shield_search_opts h = {.hint = hint, .hint_len = 40};
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, 10, NULL, exact), 0);
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, 10, &h, cut), 0);
	CU_ASSERT_EQUAL(cut->c_best, exact->c_best);
	CU_ASSERT_EQUAL(cut->exact, 1);
	/* Bad arguments. */
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, 0, NULL, cut), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, a->n_workers + 1, NULL, cut), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_worst_case(NULL, 3, NULL, cut), -EINVAL);
	free(exact);
	free(cut);
	byz_shield_search_free(s);
	byz_shield_free(a);
	int err = 0;
	CU_ASSERT_PTR_NULL(byz_shield_search_new(NULL, 1, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	a = byz_shield_build(BYZ_SHIELD_MOLS, 17, 16, NULL); /* K = 272 > search limit */
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_PTR_NULL(byz_shield_search_new(a, 1, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	byz_shield_free(a);
}

static unsigned progress_calls;
static void count_progress(void *ctx, const struct byz_shield_progress *p)
{
	(void)ctx;
	CU_ASSERT_EQUAL(p->q, 12);
	CU_ASSERT(p->branch < p->branches);
	progress_calls++;
}

static void test_progress(void)
{
	struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, 7, 5, NULL);
	struct byz_shield_search *s = byz_shield_search_new(a, 1, NULL);
	CU_ASSERT_FATAL(a && s);
	struct byz_shield_worst *res = malloc(sizeof(*res));
	struct byz_shield_search_opts o = {.progress = count_progress, .progress_every = 1000};
	CU_ASSERT_EQUAL(byz_shield_worst_case(s, 12, &o, res), 0);
	CU_ASSERT(progress_calls > 0);
	free(res);
	byz_shield_search_free(s);
	byz_shield_free(a);
}

BYZ_TEST_MAIN("shield_search",
	      {"mols_small", test_mols_small},
	      {"mols_7_3", test_mols_7_3},
	      {"large_majority", test_large_majority},
	      {"ramanujan_small", test_ramanujan_small},
	      {"random_graphs", test_random_graphs},
	      {"symmetry_found", test_symmetry_found},
	      {"two_orbits", test_two_orbits},
	      {"limits", test_limits},
	      {"progress", test_progress})
