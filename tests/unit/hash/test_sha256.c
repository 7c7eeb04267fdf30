/*
 * Many-message SHA-256 and the run's leaf hash. Every implementation this
 * CPU runs against libsodium's crypto_hash_sha256, bit for bit: every length
 * 0..320 (so 0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128 and the rest of
 * the padding cases), multi-KiB and 64 KiB leaves, unequal pairs (the
 * interleaved path), random mixes, every pointer alignment. Then leaves and
 * roots per algorithm against a hand-built reference, the run-id binding,
 * the names, the errors, and the SHA-NI detection against /proc/cpuinfo.
 * Run under BYZ_SIMD_MAX=avx2 and scalar too (meson.build): scalar forces
 * the libsodium fallback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/cpu.h"
#include "byz/hash.h"
#include "byz_test.h"

static const enum byz_sha256_impl impls[] = {BYZ_SHA256_SODIUM, BYZ_SHA256_SHANI,
					     BYZ_SHA256_SHANI_X1, BYZ_SHA256_AUTO};
#define NIMPL (sizeof(impls) / sizeof(impls[0]))

/* SHA-NI runs where it was built (meson passes BYZ_HAVE_SHANI) and the CPU
 * has it. */
#ifdef BYZ_HAVE_SHANI
#define SHANI_BUILT 1
#else
#define SHANI_BUILT 0
#endif

static int supported(enum byz_sha256_impl impl)
{
	if (impl == BYZ_SHA256_SHANI || impl == BYZ_SHA256_SHANI_X1)
		return SHANI_BUILT && byz_cpu_has_sha();
	return 1;
}

static void fill(struct byz_rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)byz_rng_next(r);
}

/* Every supported implementation against libsodium; mismatching digests. */
static size_t check_all(const uint8_t *const *msg, const size_t *len, size_t count)
{
	uint8_t(*want)[32] = malloc((count ? count : 1) * 32);
	uint8_t(*got)[32] = malloc((count ? count : 1) * 32);
	size_t bad = 0;
	CU_ASSERT_FATAL(want && got);
	for (size_t i = 0; i < count; i++)
		crypto_hash_sha256(want[i], msg[i], len[i]);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!supported(impls[k]))
			continue;
		memset(got, 0xa5, count * 32);
		CU_ASSERT_EQUAL(byz_sha256_many(msg, len, count, got, impls[k]), 0);
		for (size_t i = 0; i < count; i++)
			if (memcmp(got[i], want[i], 32)) {
				if (!bad)
					fprintf(stderr, "\n  %s: message %zu of %zu (len %zu) differs\n",
						byz_sha256_impl_name(impls[k]), i, count, len[i]);
				bad++;
			}
	}
	free(want);
	free(got);
	return bad;
}

/* FIPS 180-4 examples, independent of libsodium. */
static void test_known_answers(void)
{
	static const struct {
		const char *m;
		uint8_t d[32];
	} kat[] = {
		{"", {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}},
		{"abc", {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
			 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
			 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad}},
		/* 56 bytes: the padding needs a second block */
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
		  0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
		  0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1}},
	};
	for (size_t t = 0; t < sizeof(kat) / sizeof(kat[0]); t++) {
		const uint8_t *m[2] = {(const uint8_t *)kat[t].m, (const uint8_t *)kat[t].m};
		size_t l[2] = {strlen(kat[t].m), strlen(kat[t].m)};
		uint8_t out[2][32];
		for (size_t k = 0; k < NIMPL; k++) {
			if (!supported(impls[k]))
				continue;
			/* count 1 (the odd one out) and 2 (the interleaved pair) */
			CU_ASSERT_EQUAL(byz_sha256_many(m, l, 1, out, impls[k]), 0);
			CU_ASSERT_EQUAL(memcmp(out[0], kat[t].d, 32), 0);
			CU_ASSERT_EQUAL(byz_sha256_many(m, l, 2, out, impls[k]), 0);
			CU_ASSERT_EQUAL(memcmp(out[0], kat[t].d, 32), 0);
			CU_ASSERT_EQUAL(memcmp(out[1], kat[t].d, 32), 0);
		}
	}
}

/* Every length 0..320 alone and as an equal pair, then the big leaves. */
static void test_every_length(void)
{
	static const size_t big[] = {1000, 4095, 4096, 4097, 10000, 65535, 65536, 65537, 200003};
	struct byz_rng r = {byz_test_seed_used ^ 0x5a};
	size_t cap = 200003 + 64;
	uint8_t *buf = malloc(2 * cap);
	CU_ASSERT_FATAL(buf != NULL);
	fill(&r, buf, 2 * cap);
	for (size_t n = 0; n <= 320; n++) {
		const uint8_t *m[2] = {buf, buf + cap};
		size_t l[2] = {n, n};
		CU_ASSERT_EQUAL(check_all(m, l, 1), 0);
		CU_ASSERT_EQUAL(check_all(m, l, 2), 0);
	}
	for (size_t e = 0; e < sizeof(big) / sizeof(big[0]); e++) {
		const uint8_t *m[3] = {buf, buf + cap, buf + 7};
		size_t l[3] = {big[e], big[e], big[e]};
		CU_ASSERT_EQUAL(check_all(m, l, 3), 0);
	}
	free(buf);
}

/* Pairs of unequal lengths (the longer one finishes alone, either side),
 * random mixes, counts 1..17, pointers at every alignment. */
static void test_mixed(void)
{
	enum { MAXC = 17, MAXL = 5000 };
	struct byz_rng r = {byz_test_seed_used ^ 0x6b};
	uint8_t *buf = malloc((size_t)MAXC * (MAXL + 64));
	CU_ASSERT_FATAL(buf != NULL);
	fill(&r, buf, (size_t)MAXC * (MAXL + 64));
	for (int rep = 0; rep < 6; rep++)
		for (size_t count = 1; count <= MAXC; count++) {
			const uint8_t *m[MAXC];
			size_t l[MAXC];
			for (size_t i = 0; i < count; i++) {
				uint64_t x = byz_rng_next(&r);
				/* a third on padding edges (64k + 55..65), the rest anywhere */
				if (x % 3 == 0)
					l[i] = (x >> 8) % 40 * 64 + 55 + (x >> 16) % 11;
				else
					l[i] = (x >> 8) % (MAXL + 1);
				m[i] = buf + i * (MAXL + 64) + (x >> 32) % 64;
			}
			CU_ASSERT_EQUAL(check_all(m, l, count), 0);
		}
	/* NULL with length 0 is allowed, next to a long message */
	const uint8_t *m[4] = {NULL, buf + 3, buf + 1, NULL};
	size_t l[4] = {0, MAXL, 129, 0};
	CU_ASSERT_EQUAL(check_all(m, l, 4), 0);
	free(buf);
}

/* Reference leaf digests and root, from libsodium one call at a time. */
static void ref_leaves(enum byz_leaf_alg alg, const uint8_t *b, size_t len, size_t leaf,
		       uint8_t (*d)[32], uint8_t root[32])
{
	size_t nl = (len + leaf - 1) / leaf;
	for (size_t i = 0; i < nl; i++) {
		size_t off = i * leaf, l = len - off < leaf ? len - off : leaf;
		if (alg == BYZ_LEAF_SHA256)
			crypto_hash_sha256(d[i], b + off, l);
		else
			crypto_generichash(d[i], 32, b + off, l, NULL, 0);
	}
	if (alg == BYZ_LEAF_SHA256)
		crypto_hash_sha256(root, &d[0][0], nl * 32);
	else
		crypto_generichash(root, 32, &d[0][0], nl * 32, NULL, 0);
}

static void test_leaves_and_roots(void)
{
	static const size_t cases[][2] = {
		{0, 4096},	   {1, 4096},	       {4095, 4096},	     {4096, 4096},
		{4097, 4096},	   {65 * 1000 + 7, 1000}, {3 * 65536 + 100, 65536},
		{130 * 64, 64},	   {777, 55},	       {70 * 65536, 65536}};
	struct byz_rng r = {byz_test_seed_used ^ 0x7c};
	for (int a = 0; a < BYZ_LEAF_ALG_COUNT; a++) {
		enum byz_leaf_alg alg = (enum byz_leaf_alg)a;
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			size_t len = cases[c][0], leaf = cases[c][1];
			size_t n = (len + leaf - 1) / leaf;
			uint8_t *buf = malloc(len + 1);
			uint8_t(*got)[32] = malloc((n ? n : 1) * 32);
			uint8_t(*want)[32] = malloc((n ? n : 1) * 32);
			uint8_t root[32], wroot[32];
			CU_ASSERT_FATAL(buf && got && want);
			fill(&r, buf, len + 1);
			/* +1: an unaligned buffer */
			CU_ASSERT_EQUAL(byz_leaf_hash(alg, buf + 1, len, leaf, got), 0);
			CU_ASSERT_EQUAL(byz_leaf_root(alg, buf + 1, len, leaf, root), 0);
			ref_leaves(alg, buf + 1, len, leaf, want, wroot);
			CU_ASSERT_EQUAL(n ? memcmp(got, want, n * 32) : 0, 0);
			CU_ASSERT_EQUAL(memcmp(root, wroot, 32), 0);
			if (alg == BYZ_LEAF_BLAKE2B && n) {
				/* the BLAKE2b leaves are byz_hash_leaves' */
				CU_ASSERT_EQUAL(byz_hash_leaves(buf + 1, len, leaf, want), 0);
				CU_ASSERT_EQUAL(memcmp(got, want, n * 32), 0);
			}
			free(buf);
			free(got);
			free(want);
		}
	}
	/* The two algorithms give different roots for the same data. */
	uint8_t d[100], r1[32], r2[32];
	memset(d, 7, sizeof(d));
	CU_ASSERT_EQUAL(byz_leaf_root(BYZ_LEAF_BLAKE2B, d, sizeof(d), 64, r1), 0);
	CU_ASSERT_EQUAL(byz_leaf_root(BYZ_LEAF_SHA256, d, sizeof(d), 64, r2), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(r1, r2, 32), 0);
}

static void test_run_id(void)
{
	uint8_t id[32], out[32], want[32];
	for (int i = 0; i < 32; i++)
		id[i] = (uint8_t)(i * 7 + 1);
	/* blake2b: the configured run id unchanged */
	CU_ASSERT_EQUAL(byz_leaf_run_id(id, BYZ_LEAF_BLAKE2B, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, id, 32), 0);
	/* sha256: BLAKE2b-256("byz-leaf-hash" "sha256" run_id) */
	uint8_t b[13 + 6 + 32];
	memcpy(b, "byz-leaf-hash", 13);
	memcpy(b + 13, "sha256", 6);
	memcpy(b + 19, id, 32);
	crypto_generichash(want, 32, b, sizeof(b), NULL, 0);
	CU_ASSERT_EQUAL(byz_leaf_run_id(id, BYZ_LEAF_SHA256, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, want, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(out, id, 32), 0);
	/* in place */
	memcpy(out, id, 32);
	CU_ASSERT_EQUAL(byz_leaf_run_id(out, BYZ_LEAF_SHA256, out), 0);
	CU_ASSERT_EQUAL(memcmp(out, want, 32), 0);
	CU_ASSERT_EQUAL(byz_leaf_run_id(id, (enum byz_leaf_alg)2, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_run_id(NULL, BYZ_LEAF_SHA256, out), -EINVAL);
}

static void test_names_and_errors(void)
{
	enum byz_leaf_alg a = BYZ_LEAF_SHA256;
	CU_ASSERT_EQUAL(byz_leaf_alg_parse("blake2b", &a), 0);
	CU_ASSERT_EQUAL(a, BYZ_LEAF_BLAKE2B);
	CU_ASSERT_EQUAL(byz_leaf_alg_parse("sha256", &a), 0);
	CU_ASSERT_EQUAL(a, BYZ_LEAF_SHA256);
	CU_ASSERT_EQUAL(byz_leaf_alg_parse("auto", &a), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_alg_parse("SHA256", &a), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_alg_parse("", &a), -EINVAL);
	CU_ASSERT_EQUAL(a, BYZ_LEAF_SHA256);
	CU_ASSERT_STRING_EQUAL(byz_leaf_alg_name((enum byz_leaf_alg)5), "?");
	CU_ASSERT_STRING_EQUAL(byz_sha256_impl_name(BYZ_SHA256_SHANI), "shani");
	CU_ASSERT_STRING_EQUAL(byz_sha256_impl_name((enum byz_sha256_impl)9), "?");

	uint8_t data[4] = {1, 2, 3, 4}, out[2][32];
	const uint8_t *m[2] = {data, NULL};
	size_t l[2] = {4, 1};
	CU_ASSERT_EQUAL(byz_sha256_many(NULL, l, 1, out, BYZ_SHA256_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_sha256_many(m, NULL, 1, out, BYZ_SHA256_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_sha256_many(m, l, 1, NULL, BYZ_SHA256_AUTO), -EINVAL);
	CU_ASSERT_EQUAL(byz_sha256_many(m, l, 2, out, BYZ_SHA256_SODIUM), -EINVAL);
	CU_ASSERT_EQUAL(byz_sha256_many(m, l, 1, out, (enum byz_sha256_impl)9), -EINVAL);
	CU_ASSERT_EQUAL(byz_sha256_many(NULL, NULL, 0, NULL, BYZ_SHA256_AUTO), 0);
	CU_ASSERT_EQUAL(byz_leaf_hash_many((enum byz_leaf_alg)2, m, l, 1, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_hash(BYZ_LEAF_SHA256, data, 4, 0, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_hash(BYZ_LEAF_SHA256, NULL, 4, 2, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_hash((enum byz_leaf_alg)2, data, 4, 2, out), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_root(BYZ_LEAF_SHA256, data, 4, 0, out[0]), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_root(BYZ_LEAF_SHA256, data, 4, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_leaf_root(BYZ_LEAF_SHA256, NULL, 4, 2, out[0]), -EINVAL);
}

/* CPUID agrees with the kernel's flag, BYZ_SIMD_MAX=scalar forces the
 * fallback, and what is ruled out answers -ENOTSUP. */
static void test_dispatch(void)
{
	const char *cap = getenv("BYZ_SIMD_MAX");
	int scalar = cap && !strcmp(cap, "scalar");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[8192];
		int flag = 0;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "flags", 5)) {
				flag = strstr(line, " sha_ni") != NULL;
				break;
			}
		fclose(f);
		CU_ASSERT_EQUAL(byz_cpu_has_sha(), scalar ? 0 : flag);
	}
	if (scalar) {
		CU_ASSERT_EQUAL(byz_cpu_has_sha(), 0);
		CU_ASSERT_EQUAL(byz_sha256_best(), BYZ_SHA256_SODIUM);
		CU_ASSERT_STRING_EQUAL(byz_leaf_alg_impl(BYZ_LEAF_SHA256), "sodium");
	}
	uint8_t data[1] = {0}, out[1][32];
	const uint8_t *m[1] = {data};
	size_t l[1] = {1};
	for (size_t k = 0; k < NIMPL; k++)
		CU_ASSERT_EQUAL(byz_sha256_many(m, l, 1, out, impls[k]),
				supported(impls[k]) ? 0 : -ENOTSUP);
	CU_ASSERT_EQUAL(byz_sha256_best(),
			supported(BYZ_SHA256_SHANI) ? BYZ_SHA256_SHANI : BYZ_SHA256_SODIUM);
	if (!SHANI_BUILT)
		fprintf(stderr, "\n  SHA-NI not built (-Dsimd=disabled or no -msha): "
			"libsodium only");
	enum byz_leaf_alg fast = byz_leaf_fastest();
	CU_ASSERT(fast == BYZ_LEAF_BLAKE2B || fast == BYZ_LEAF_SHA256);
	CU_ASSERT_EQUAL(byz_leaf_fastest(), fast); /* cached */
}

BYZ_TEST_MAIN("sha256",
	      {"known answers", test_known_answers},
	      {"every length 0..320 and big leaves", test_every_length},
	      {"unequal pairs, mixes, counts 1..17, unaligned", test_mixed},
	      {"leaves and roots per algorithm", test_leaves_and_roots},
	      {"run id binds the algorithm", test_run_id},
	      {"names and bad arguments", test_names_and_errors},
	      {"SHA-NI detection and dispatch", test_dispatch})
