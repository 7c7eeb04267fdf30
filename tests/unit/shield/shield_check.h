/* Shared checks for the search tests: library search against the brute force. */
#ifndef SHIELD_CHECK_H
#define SHIELD_CHECK_H

#include <stdio.h>

#include "byz/shield.h"
#include "byz_test.h"
#include "shield_ref.h"

/* Compare every q of the library search against ref (cmax[q], q = 0..K). */
static inline void compare_all_q(const struct byz_shield_assign *a, const struct ref_assign *ra,
			  const uint32_t *cmax, int symmetry, const char *what)
{
	int err = 1;
	struct byz_shield_search *s = byz_shield_search_new(a, symmetry, &err);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_FATAL(s != NULL);
	struct byz_shield_worst *res = malloc(sizeof(*res));
	CU_ASSERT_FATAL(res != NULL);
	for (uint32_t q = 1; q <= a->n_workers; q++) {
		CU_ASSERT_EQUAL_FATAL(byz_shield_worst_case(s, q, NULL, res), 0);
		CU_ASSERT_EQUAL(res->q, q);
		CU_ASSERT_EQUAL(res->exact, 1);
		CU_ASSERT_EQUAL(res->c_upper, res->c_best);
		if (res->c_best != cmax[q])
			fprintf(stderr, "%s sym=%d q=%u: search %u, brute force %u\n", what, symmetry,
				q, res->c_best, cmax[q]);
		CU_ASSERT_EQUAL(res->c_best, cmax[q]);
		/* The set is q distinct ascending workers that really distort c_max files. */
		uint64_t mask = 0;
		for (uint32_t i = 0; i < q; i++) {
			CU_ASSERT(res->set[i] < a->n_workers);
			if (i)
				CU_ASSERT(res->set[i - 1] < res->set[i]);
			mask |= 1ull << res->set[i];
		}
		CU_ASSERT_EQUAL(ref_score(ra, mask), cmax[q]);
		CU_ASSERT_EQUAL(byz_shield_distorted(a, res->set, q), (int)cmax[q]);
	}
	free(res);
	byz_shield_search_free(s);
}

static inline void run_construction(enum byz_shield_kind kind, uint32_t p1, uint32_t p2)
{
	struct ref_assign ra = {0};
	int ok = kind == BYZ_SHIELD_MOLS ? ref_mols(p1, p2, &ra) : ref_ramanujan(p1, p2, &ra);
	CU_ASSERT_EQUAL_FATAL(ok, 0);
	uint32_t cmax[REF_MAX_K + 1];
	ref_brute(&ra, cmax);
	struct byz_shield_assign *a = byz_shield_build(kind, p1, p2, NULL);
	CU_ASSERT_FATAL(a != NULL);
	char what[64];
	snprintf(what, sizeof(what), "%s(%u,%u)", kind == BYZ_SHIELD_MOLS ? "MOLS" : "Ramanujan",
		 p1, p2);
	compare_all_q(a, &ra, cmax, 1, what);
	compare_all_q(a, &ra, cmax, 0, what);
	/* The spectral bound is an upper bound on the exact value. */
	struct byz_shield_spectrum sp;
	CU_ASSERT_EQUAL_FATAL(byz_shield_spectrum(a, &sp), 0);
	for (uint32_t q = 1; q <= a->n_workers && a->majority >= 2; q++) {
		struct byz_shield_bound b;
		CU_ASSERT_EQUAL(byz_shield_spectral_bound(a, sp.mu1, q, &b), 0);
		CU_ASSERT(b.bound >= cmax[q]);
	}
	byz_shield_free(a);
}

#endif
