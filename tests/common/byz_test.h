/*
 * Shared test scaffolding: a CUnit main that runs one suite and exits with the
 * failure count, a seeded PRNG so every random test can be replayed, and
 * assertion helpers for float vectors.
 *
 * Seeds: BYZ_TEST_SEED in the environment overrides the default; a failing
 * test prints the seed it ran with.
 */
#ifndef BYZ_TEST_H
#define BYZ_TEST_H

#include <CUnit/Basic.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct byz_test_case {
	const char *name;
	void (*fn)(void);
};

/* splitmix64: tiny, seedable, good enough for test data. */
struct byz_rng {
	uint64_t s;
};

static inline uint64_t byz_rng_next(struct byz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double byz_rng_unif(struct byz_rng *r)
{
	return (double)(byz_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller, one value per call). */
static inline double byz_rng_gauss(struct byz_rng *r)
{
	double u1 = byz_rng_unif(r), u2 = byz_rng_unif(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline uint64_t byz_test_seed(void)
{
	const char *s = getenv("BYZ_TEST_SEED");
	return s ? strtoull(s, NULL, 0) : 0x5eed2026ull;
}

static uint64_t byz_test_seed_used;

static inline int byz_test_run(const char *suite_name,
			       const struct byz_test_case *cases)
{
	byz_test_seed_used = byz_test_seed();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
	if (!s)
		return 2;
	for (const struct byz_test_case *c = cases; c->name; c++)
		if (!CU_add_test(s, c->name, c->fn))
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (fails)
		fprintf(stderr, "%s: %u failure(s); replay with BYZ_TEST_SEED=0x%" PRIx64 "\n",
			suite_name, fails, byz_test_seed_used);
	if (ran == 0) {
		fprintf(stderr, "%s: no test ran\n", suite_name);
		return 1;
	}
	return fails ? 1 : 0;
}

#define BYZ_TEST_MAIN(suite, ...)                                          \
	int main(void)                                                     \
	{                                                                  \
		static const struct byz_test_case cases_[] = {__VA_ARGS__, \
							      {NULL, NULL}}; \
		return byz_test_run(suite, cases_);                        \
	}

/* Largest |a[i]-b[i]| / max(1, |b[i]|). */
static inline double byz_max_rel_diff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++) {
		double den = fabs((double)b[i]);
		double e = fabs((double)a[i] - (double)b[i]) / (den > 1 ? den : 1);
		if (e > m || e != e)
			m = e != e ? INFINITY : e;
	}
	return m;
}

#endif /* BYZ_TEST_H */
