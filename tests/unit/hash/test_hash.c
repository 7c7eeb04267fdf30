/*
 * Many-message BLAKE2b-256: every implementation this CPU runs against
 * libsodium's crypto_generichash, one message at a time. Lengths around the
 * 128-byte block (0, exact multiples, one over), leaf sizes, random mixes of
 * lengths in one call, every count up to a few lane groups, unaligned
 * pointers; byz_hash_leaves with a short last leaf; and the error returns.
 * Run under BYZ_SIMD_MAX=avx2 and scalar too (meson.build).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/cpu.h"
#include "byz/hash.h"
#include "byz_test.h"

static const enum byz_hash_impl impls[] = {BYZ_HASH_SODIUM, BYZ_HASH_AVX2,
					   BYZ_HASH_AVX512, BYZ_HASH_AUTO};
#define NIMPL (sizeof(impls) / sizeof(impls[0]))

static int supported(enum byz_hash_impl impl)
{
	enum byz_simd_level lvl = byz_cpu_simd_level();
	switch (impl) {
	case BYZ_HASH_AVX2:
		return lvl >= BYZ_SIMD_AVX2;
	case BYZ_HASH_AVX512:
		return lvl >= BYZ_SIMD_AVX512;
	default:
		return 1;
	}
}

static void fill(struct byz_rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)byz_rng_next(r);
}

/* Hash count messages with every supported implementation and compare each
 * digest with libsodium's. Returns the number of mismatching digests. */
static size_t check_all(const uint8_t *const *msg, const size_t *len,
			size_t count)
{
	uint8_t(*want)[32] = malloc((count ? count : 1) * 32);
	uint8_t(*got)[32] = malloc((count ? count : 1) * 32);
	size_t bad = 0;
	CU_ASSERT_FATAL(want && got);
	for (size_t i = 0; i < count; i++)
		crypto_generichash(want[i], 32, msg[i], len[i], NULL, 0);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!supported(impls[k]))
			continue;
		memset(got, 0xa5, count * 32);
		int rc = byz_hash_many(msg, len, count, got, impls[k]);
		CU_ASSERT_EQUAL(rc, 0);
		for (size_t i = 0; i < count; i++)
			if (memcmp(got[i], want[i], 32)) {
				if (!bad)
					fprintf(stderr, "\n  %s: message %zu of %zu (len %zu) differs\n",
						byz_hash_impl_name(impls[k]), i,
						count, len[i]);
				bad++;
			}
	}
	free(want);
	free(got);
	return bad;
}

/* Known answer, independent of libsodium: BLAKE2b-256("abc"). */
static void test_known_answer(void)
{
	static const uint8_t abc_digest[32] = {
		0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72,
		0x31, 0x71, 0xef, 0x3f, 0xee, 0x98, 0x57, 0x9b,
		0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e, 0x42,
		0x72, 0x62, 0xc8, 0xc0, 0x68, 0xd5, 0x23, 0x19};
	const uint8_t *m = (const uint8_t *)"abc";
	size_t l = 3;
	uint8_t out[1][32];
	for (size_t k = 0; k < NIMPL; k++) {
		if (!supported(impls[k]))
			continue;
		CU_ASSERT_EQUAL(byz_hash_many(&m, &l, 1, out, impls[k]), 0);
		CU_ASSERT_EQUAL(memcmp(out[0], abc_digest, 32), 0);
	}
}

/* Each edge length alone, and a full lane group of it. */
static void test_edge_lengths(void)
{
	static const size_t lens[] = {0,   1,   2,   63,  64,  127,   128,
				      129, 255, 256, 257, 383, 384,   385,
				      4096, 65535, 65536, 65537};
	struct byz_rng r = {byz_test_seed_used};
	uint8_t *buf = malloc(65537 * 9);
	CU_ASSERT_FATAL(buf != NULL);
	fill(&r, buf, 65537 * 9);
	for (size_t e = 0; e < sizeof(lens) / sizeof(lens[0]); e++) {
		const uint8_t *m[9];
		size_t l[9];
		for (int i = 0; i < 9; i++) {
			m[i] = buf + (size_t)i * 65537;
			l[i] = lens[e];
		}
		CU_ASSERT_EQUAL(check_all(m, l, 1), 0);
		CU_ASSERT_EQUAL(check_all(m, l, 9), 0);
	}
	free(buf);
}

/* Counts 1..20 (partial lane groups of 4 and 8), lengths mixed in one call,
 * pointers at every alignment. */
static void test_mixed_counts(void)
{
	enum { MAXC = 20, MAXL = 3000 };
	struct byz_rng r = {byz_test_seed_used ^ 0x1234};
	uint8_t *buf = malloc((size_t)MAXC * (MAXL + 64));
	CU_ASSERT_FATAL(buf != NULL);
	fill(&r, buf, (size_t)MAXC * (MAXL + 64));
	for (int rep = 0; rep < 4; rep++)
		for (size_t count = 1; count <= MAXC; count++) {
			const uint8_t *m[MAXC];
			size_t l[MAXC];
			for (size_t i = 0; i < count; i++) {
				uint64_t x = byz_rng_next(&r);
				/* A third near block edges, the rest anywhere. */
				size_t edge = (x >> 8) % 8 * 128 + (x >> 16) % 3;
				if (x % 3 == 0)
					l[i] = edge ? edge - 1 : 0;
				else
					l[i] = (x >> 8) % (MAXL + 1);
				m[i] = buf + i * (MAXL + 64) + (x >> 32) % 64;
			}
			CU_ASSERT_EQUAL(check_all(m, l, count), 0);
		}
	free(buf);
}

/* Long and empty messages side by side: lanes refill many times while one
 * lane runs on. */
static void test_long_with_short(void)
{
	enum { N = 37 };
	struct byz_rng r = {byz_test_seed_used ^ 0x77};
	size_t big = 300000 + 5;
	uint8_t *buf = malloc(big + 64);
	CU_ASSERT_FATAL(buf != NULL);
	fill(&r, buf, big + 64);
	const uint8_t *m[N];
	size_t l[N];
	for (size_t i = 0; i < N; i++) {
		m[i] = buf + i;
		l[i] = i == 3 ? big : (i % 5 == 0 ? 0 : byz_rng_next(&r) % 700);
	}
	m[5] = NULL; /* length 0: no pointer needed */
	CU_ASSERT_EQUAL(check_all(m, l, N), 0);
	free(buf);
}

/* Leaves: the last one shorter, a single short leaf, exact multiples. */
static void test_leaves(void)
{
	static const size_t cases[][2] = {
		{1, 4096},	     {4095, 4096},	     {4096, 4096},
		{4097, 4096},	     {10 * 4096 + 1, 4096},
		{65 * 1000 + 7, 1000}, {3 * 65536 + 100, 65536}, {1000, 1},
		{777, 128},	     {129 * 17, 129}};
	struct byz_rng r = {byz_test_seed_used ^ 0x99};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t len = cases[c][0], leaf = cases[c][1];
		size_t n = (len + leaf - 1) / leaf;
		uint8_t *buf = malloc(len + 1);
		uint8_t(*got)[32] = malloc(n * 32);
		uint8_t want[32];
		CU_ASSERT_FATAL(buf && got);
		fill(&r, buf, len + 1);
		/* +1: an unaligned buffer */
		CU_ASSERT_EQUAL(byz_hash_leaves(buf + 1, len, leaf, got), 0);
		size_t bad = 0;
		for (size_t i = 0; i < n; i++) {
			size_t off = i * leaf, l = len - off < leaf ? len - off : leaf;
			crypto_generichash(want, 32, buf + 1 + off, l, NULL, 0);
			bad += memcmp(want, got[i], 32) != 0;
		}
		CU_ASSERT_EQUAL(bad, 0);
		free(buf);
		free(got);
	}
}

static void test_errors(void)
{
	uint8_t data[4] = {1, 2, 3, 4}, out[2][32];
	const uint8_t *m[2] = {data, NULL};
	size_t l[2] = {4, 1};

	CU_ASSERT_EQUAL(byz_hash_many(NULL, l, 1, out, BYZ_HASH_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_many(m, NULL, 1, out, BYZ_HASH_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_many(m, l, 1, NULL, BYZ_HASH_AUTO), -EINVAL);
	/* NULL message with a nonzero length */
	CU_ASSERT_EQUAL(byz_hash_many(m, l, 2, out, BYZ_HASH_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_many(m, l, 1, out, (enum byz_hash_impl)99), -EINVAL);
	/* count 0: nothing to do, NULLs allowed */
	CU_ASSERT_EQUAL(byz_hash_many(NULL, NULL, 0, NULL, BYZ_HASH_AUTO), 0);

	CU_ASSERT_EQUAL(byz_hash_leaves(data, 4, 0, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_leaves(NULL, 4, 2, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_leaves(data, 4, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_hash_leaves(NULL, 0, 2, NULL), 0);
}

/* What the CPU (or BYZ_SIMD_MAX) rules out is refused, not run. */
static void test_dispatch(void)
{
	uint8_t data[1] = {0}, out[1][32];
	const uint8_t *m[1] = {data};
	size_t l[1] = {1};
	enum byz_simd_level lvl = byz_cpu_simd_level();
	const char *cap = getenv("BYZ_SIMD_MAX");

	if (cap && !strcmp(cap, "scalar"))
		CU_ASSERT_EQUAL(lvl, BYZ_SIMD_SCALAR);
	if (cap && !strcmp(cap, "avx2"))
		CU_ASSERT(lvl <= BYZ_SIMD_AVX2);
	for (size_t k = 0; k < NIMPL; k++) {
		int rc = byz_hash_many(m, l, 1, out, impls[k]);
		CU_ASSERT_EQUAL(rc, supported(impls[k]) ? 0 : -ENOTSUP);
	}
	enum byz_hash_impl best = byz_hash_best();
	CU_ASSERT(supported(best));
	CU_ASSERT(best != BYZ_HASH_AUTO);
	if (lvl >= BYZ_SIMD_AVX512)
		CU_ASSERT_EQUAL(best, BYZ_HASH_AVX512);
	if (lvl == BYZ_SIMD_SCALAR)
		CU_ASSERT_EQUAL(best, BYZ_HASH_SODIUM);
	CU_ASSERT_STRING_EQUAL(byz_hash_impl_name(BYZ_HASH_AVX2), "avx2");
	CU_ASSERT_STRING_EQUAL(byz_hash_impl_name((enum byz_hash_impl)99), "?");
}

BYZ_TEST_MAIN("hash",
	      {"known answer", test_known_answer},
	      {"edge lengths", test_edge_lengths},
	      {"mixed lengths, counts 1..20, unaligned", test_mixed_counts},
	      {"long message among short ones", test_long_with_short},
	      {"leaves with a short last leaf", test_leaves},
	      {"bad arguments", test_errors},
	      {"dispatch and BYZ_SIMD_MAX", test_dispatch})
