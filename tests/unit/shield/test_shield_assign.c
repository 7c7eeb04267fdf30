/* Structure of the MOLS and Ramanujan assignments, parameter checks, custom lists. */
#include <stdio.h>
#include <string.h>

#include "byz/err.h"
#include "byz/shield.h"
#include "byz_test.h"
#include "shield_ref.h"

static uint32_t overlap(const struct byz_shield_assign *a, uint32_t u, uint32_t v)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < a->l; i++)
		for (uint32_t j = 0; j < a->l; j++)
			n += a->worker_files[(size_t)u * a->l + i] ==
			     a->worker_files[(size_t)v * a->l + j];
	return n;
}

/* Degrees, K l = f r, ascending lists, and the two lists describe one graph. */
static void check_regular(const struct byz_shield_assign *a)
{
	CU_ASSERT_EQUAL((uint64_t)a->n_workers * a->l, (uint64_t)a->n_files * a->r);
	CU_ASSERT_EQUAL(a->majority, a->r / 2 + 1);
	uint32_t *deg = calloc(a->n_files, sizeof(uint32_t));
	CU_ASSERT_FATAL(deg != NULL);
	for (uint32_t w = 0; w < a->n_workers; w++)
		for (uint32_t i = 0; i < a->l; i++) {
			uint32_t j = a->worker_files[(size_t)w * a->l + i];
			CU_ASSERT(j < a->n_files);
			if (i)
				CU_ASSERT(a->worker_files[(size_t)w * a->l + i - 1] < j);
			if (j < a->n_files)
				deg[j]++;
			/* w must appear in j's replica list */
			int found = 0;
			for (uint32_t x = 0; j < a->n_files && x < a->r; x++)
				found |= a->file_workers[(size_t)j * a->r + x] == w;
			CU_ASSERT(found);
		}
	for (uint32_t j = 0; j < a->n_files; j++) {
		CU_ASSERT_EQUAL(deg[j], a->r);
		for (uint32_t x = 1; x < a->r; x++)
			CU_ASSERT(a->file_workers[(size_t)j * a->r + x - 1] <
				  a->file_workers[(size_t)j * a->r + x]);
	}
	free(deg);
}

/* The library's graph equals the one the reference code builds from the definition. */
static void check_same_as_ref(const struct byz_shield_assign *a, const struct ref_assign *ra)
{
	CU_ASSERT_EQUAL_FATAL(a->n_workers, ra->K);
	CU_ASSERT_EQUAL_FATAL(a->n_files, ra->f);
	CU_ASSERT_EQUAL(a->r, ra->r);
	for (uint32_t j = 0; j < a->n_files; j++) {
		uint64_t m = 0;
		for (uint32_t x = 0; x < a->r; x++)
			m |= 1ull << a->file_workers[(size_t)j * a->r + x];
		CU_ASSERT_EQUAL(m, ra->mask[j]);
	}
}

static void test_mols_structure(void)
{
	static const uint32_t cases[][2] = {{3, 2}, {5, 2}, {5, 3}, {5, 4}, {7, 3}, {7, 6}, {11, 5}, {13, 12}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t l = cases[c][0], r = cases[c][1];
		int err = 1;
		struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, l, r, &err);
		CU_ASSERT_EQUAL_FATAL(err, 0);
		CU_ASSERT_FATAL(a != NULL);
		CU_ASSERT_EQUAL(a->n_workers, r * l);
		CU_ASSERT_EQUAL(a->n_files, l * l);
		CU_ASSERT_EQUAL(a->l, l);
		CU_ASSERT_EQUAL(a->r, r);
		check_regular(a);
		/* Same square: disjoint; different squares: exactly one common cell. */
		for (uint32_t u = 0; u < a->n_workers; u++)
			for (uint32_t v = u + 1; v < a->n_workers; v++)
				CU_ASSERT_EQUAL(overlap(a, u, v), u / l == v / l ? 0u : 1u);
		struct ref_assign ra;
		if (ref_mols(l, r, &ra) == 0)
			check_same_as_ref(a, &ra);
		byz_shield_free(a);
	}
}

static void test_ramanujan_structure(void)
{
	/* {s, m}: m < s (case 1) and m a multiple of s (case 2, with copies). */
	static const uint32_t cases[][2] = {{3, 2}, {5, 2}, {5, 3}, {5, 4}, {7, 5}, {2, 2}, {3, 3},
					    {3, 6}, {5, 5}, {5, 10}, {7, 7}, {11, 22}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t s = cases[c][0], m = cases[c][1];
		int err = 1;
		struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_RAMANUJAN, s, m, &err);
		CU_ASSERT_EQUAL_FATAL(err, 0);
		CU_ASSERT_FATAL(a != NULL);
		if (m < s) {
			CU_ASSERT_EQUAL(a->n_workers, m * s);
			CU_ASSERT_EQUAL(a->n_files, s * s);
			CU_ASSERT_EQUAL(a->l, s);
			CU_ASSERT_EQUAL(a->r, m);
		} else {
			CU_ASSERT_EQUAL(a->n_workers, s * s);
			CU_ASSERT_EQUAL(a->n_files, m * s);
			CU_ASSERT_EQUAL(a->l, m);
			CU_ASSERT_EQUAL(a->r, s);
		}
		check_regular(a);
		/*
		 * Workers in the same block (id / s) are disjoint; workers in
		 * different blocks share one file (m < s) or m/s files (m >= s).
		 */
		uint32_t cross = m < s ? 1 : m / s;
		for (uint32_t u = 0; u < a->n_workers; u++)
			for (uint32_t v = u + 1; v < a->n_workers; v++)
				CU_ASSERT_EQUAL(overlap(a, u, v), u / s == v / s ? 0u : cross);
		struct ref_assign ra;
		if (ref_ramanujan(s, m, &ra) == 0)
			check_same_as_ref(a, &ra);
		byz_shield_free(a);
	}
}

static void expect_bad(enum byz_shield_kind kind, uint32_t p1, uint32_t p2, int code,
		       const char *word)
{
	char why[256];
	int rc = byz_shield_check(kind, p1, p2, why, sizeof(why));
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT(strlen(why) > 10);
	if (word && !strstr(why, word)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", why, word);
		CU_FAIL("message does not name the problem");
	}
	int err = 0;
	struct byz_shield_assign *a = byz_shield_build(kind, p1, p2, &err);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_EQUAL(err, code);
	byz_shield_free(a);
}

static void test_param_errors(void)
{
	expect_bad(BYZ_SHIELD_MOLS, 4, 3, -EINVAL, "not prime");
	expect_bad(BYZ_SHIELD_MOLS, 9, 3, -EINVAL, "not prime");
	expect_bad(BYZ_SHIELD_MOLS, 1, 1, -EINVAL, "not prime");
	expect_bad(BYZ_SHIELD_MOLS, 0, 0, -EINVAL, "not prime");
	expect_bad(BYZ_SHIELD_MOLS, 5, 5, -EINVAL, "r = 5");
	expect_bad(BYZ_SHIELD_MOLS, 5, 1, -EINVAL, "r = 1");
	expect_bad(BYZ_SHIELD_MOLS, 2, 1, -EINVAL, "r = 1");
	expect_bad(BYZ_SHIELD_MOLS, 257, 3, -ERANGE, "limit");
	expect_bad(BYZ_SHIELD_MOLS, 4294967291u, 3, -ERANGE, "limit");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 6, 2, -EINVAL, "not prime");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 5, 1, -EINVAL, "m = 1");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 5, 7, -EINVAL, "multiple");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 5, 0, -EINVAL, "m = 0");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 251, 502, -ERANGE, "limit");
	expect_bad(BYZ_SHIELD_RAMANUJAN, 5, 4294967294u, -EINVAL, "multiple");
	expect_bad((enum byz_shield_kind)9, 5, 3, -EINVAL, "kind");
	expect_bad(BYZ_SHIELD_CUSTOM, 5, 3, -EINVAL, "kind");
	/* Valid ones report no problem. */
	char why[64] = "x";
	CU_ASSERT_EQUAL(byz_shield_check(BYZ_SHIELD_MOLS, 5, 3, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(byz_shield_check(BYZ_SHIELD_MOLS, 3, 2, NULL, 0), 0);
	CU_ASSERT_EQUAL(byz_shield_check(BYZ_SHIELD_RAMANUJAN, 5, 15, NULL, 0), 0);
}

static void test_custom_lists(void)
{
	/* Two disjoint copies of K_{2,2}: 4 workers, 4 files, l = r = 2. */
	const uint32_t ok[] = {1, 0, 0, 1, 3, 2, 2, 3};
	int err = 1;
	struct byz_shield_assign *a = byz_shield_from_lists(4, 4, 2, ok, &err);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT_EQUAL(a->kind, BYZ_SHIELD_CUSTOM);
	CU_ASSERT_EQUAL(a->r, 2);
	CU_ASSERT_EQUAL(a->worker_files[0], 0); /* sorted */
	check_regular(a);
	uint8_t h[16];
	CU_ASSERT_EQUAL(byz_shield_biadjacency(a, h, sizeof(h)), 0);
	static const uint8_t want[16] = {1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1};
	CU_ASSERT_EQUAL(memcmp(h, want, 16), 0);
	CU_ASSERT_EQUAL(byz_shield_biadjacency(a, h, 15), -ERANGE);
	const uint32_t set01[] = {0, 1}, set02[] = {0, 2}, dup[] = {1, 1}, big[] = {0, 4};
	CU_ASSERT_EQUAL(byz_shield_distorted(a, set01, 2), 2);
	CU_ASSERT_EQUAL(byz_shield_distorted(a, set02, 2), 0);
	CU_ASSERT_EQUAL(byz_shield_distorted(a, dup, 2), -EINVAL);
	CU_ASSERT_EQUAL(byz_shield_distorted(a, big, 2), -EINVAL);
	byz_shield_free(a);

	const uint32_t duplicate[] = {0, 0, 1, 2, 3, 3, 1, 2};
	const uint32_t out_of_range[] = {0, 1, 2, 4, 0, 1, 2, 3};
	const uint32_t uneven[] = {0, 1, 0, 2, 0, 3, 1, 2}; /* file 0 has 3 replicas */
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(4, 4, 2, duplicate, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(4, 4, 2, out_of_range, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(4, 4, 2, uneven, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(3, 4, 2, ok, &err)); /* 6 edges, 4 files */
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(4, 4, 0, ok, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(4, 4, 2, NULL, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_NULL(byz_shield_from_lists(BYZ_SHIELD_MAX_NODES + 1, 4, 1, ok, &err));
	CU_ASSERT_EQUAL(err, -ERANGE);
}

static void test_detox(void)
{
	struct byz_shield_assign *a = byz_shield_build(BYZ_SHIELD_MOLS, 5, 3, NULL);
	CU_ASSERT_FATAL(a != NULL);
	/* K = 15 in 5 groups of 3; a group falls to 2 Byzantines. */
	for (uint32_t q = 0; q <= 15; q++) {
		uint32_t groups = q / 2 < 5 ? q / 2 : 5;
		CU_ASSERT_DOUBLE_EQUAL(byz_shield_detox_fraction(a, q), groups * 3.0 / 15, 1e-12);
	}
	byz_shield_free(a);
}

BYZ_TEST_MAIN("shield_assign",
	      {"mols_structure", test_mols_structure},
	      {"ramanujan_structure", test_ramanujan_structure},
	      {"param_errors", test_param_errors},
	      {"custom_lists", test_custom_lists},
	      {"detox", test_detox})
