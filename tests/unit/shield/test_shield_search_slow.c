/* Slow suite: brute force over all 2^K subsets for K = 21 and K = 25. */
#include "shield_check.h"

static void test_mols_7_3(void)
{
	run_construction(BYZ_SHIELD_MOLS, 7, 3);
}

static void test_ramanujan_5_5(void)
{
	run_construction(BYZ_SHIELD_RAMANUJAN, 5, 5);
}

BYZ_TEST_MAIN("shield_search_slow",
	      {"mols_7_3", test_mols_7_3},
	      {"ramanujan_5_5", test_ramanujan_5_5})
