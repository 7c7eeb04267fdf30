/* Slow suite: brute force over all 2^K subsets for K = 22 and K = 25. */
#include "shield_check.h"

static void test_mols_11_2(void)
{
	run_construction(BYZ_SHIELD_MOLS, 11, 2); /* f = 121: two-word bitsets */
}

static void test_ramanujan_5_5(void)
{
	run_construction(BYZ_SHIELD_RAMANUJAN, 5, 5);
}

BYZ_TEST_MAIN("shield_search_slow",
	      {"mols_11_2", test_mols_11_2},
	      {"ramanujan_5_5", test_ramanujan_5_5})
