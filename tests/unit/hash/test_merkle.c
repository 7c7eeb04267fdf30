/*
 * Merkle trees over 64 KiB leaves (byz/merkle.h) against an independent
 * reference: RFC 6962's recursive MTH written here over libsodium digests.
 * Every leaf count from 0 to 70 (every shape of the last levels) and the
 * lengths around a leaf; roots of precomputed digests; every path of trees
 * up to 33 leaves verified; and the hostile proofs: a forged leaf, a wrong
 * sibling, a path one too short or too long, another index, a leaf of the
 * wrong length, an index out of range: all refused, none read past.
 * Then byz_part_hash as documented: BLAKE2b-256('P' || run || step ||
 * sender || part || len || root). Run under BYZ_SIMD_MAX=avx2 and scalar
 * too (the root must not depend on the level).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/merkle.h"
#include "byz/proto.h"
#include "byz_test.h"

#define L BYZ_MERKLE_LEAF

static void ref_leaf(const uint8_t *b, size_t len, size_t i, uint8_t out[32])
{
	size_t off = i * L, m = len - off < L ? len - off : L;
	crypto_generichash(out, 32, b + off, m, NULL, 0);
}

/* MTH(D[lo, lo + n)) of RFC 6962 with 0x01 inner nodes. */
static void ref_mth(const uint8_t *b, size_t len, size_t lo, size_t n, uint8_t out[32])
{
	if (n == 0) {
		crypto_generichash(out, 32, NULL, 0, NULL, 0);
		return;
	}
	if (n == 1) {
		ref_leaf(b, len, lo, out);
		return;
	}
	size_t k = 1;
	while (2 * k < n)
		k *= 2;
	uint8_t in[65];
	in[0] = 1;
	ref_mth(b, len, lo, k, in + 1);
	ref_mth(b, len, lo + k, n - k, in + 33);
	crypto_generichash(out, 32, in, sizeof(in), NULL, 0);
}

static uint8_t *random_buf(size_t n, uint64_t salt)
{
	struct byz_rng r = {byz_test_seed() ^ salt};
	uint8_t *b = malloc(n ? n : 1);
	CU_ASSERT_FATAL(b != NULL);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)byz_rng_next(&r);
	return b;
}

static void test_roots(void)
{
	/* 0..70 leaves (with a short last leaf), and lengths around one leaf */
	size_t lens[80];
	size_t nl = 0;
	for (size_t n = 0; n <= 70; n += (n < 20 ? 1 : 7))
		lens[nl++] = n ? (n - 1) * L + 1 + (n * 977) % L : 0;
	size_t edge[] = {1, 4, L - 1, L, L + 1, 2 * L, 2 * L + 4, 64 * L, 65 * L};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		lens[nl++] = edge[i];
	for (size_t t = 0; t < nl; t++) {
		size_t len = lens[t], n = byz_merkle_leaves(len);
		uint8_t *b = random_buf(len, len);
		uint8_t want[32], got[32];
		ref_mth(b, len, 0, n, want);
		CU_ASSERT_EQUAL(byz_merkle_root(b, len, got), 0);
		if (memcmp(want, got, 32))
			fprintf(stderr, "root differs at %zu bytes (%zu leaves)\n", len, n);
		CU_ASSERT_EQUAL(memcmp(want, got, 32), 0);
		/* the same from digests computed elsewhere */
		uint8_t(*d)[32] = malloc((n ? n : 1) * 32);
		CU_ASSERT_FATAL(d != NULL);
		for (size_t i = 0; i < n; i++)
			ref_leaf(b, len, i, d[i]);
		CU_ASSERT_EQUAL(byz_merkle_root_of((const uint8_t(*)[32])d, n, got), 0);
		CU_ASSERT_EQUAL(memcmp(want, got, 32), 0);
		/* one flipped bit anywhere changes the root */
		if (len) {
			b[(len * 7) / 11] ^= 0x10;
			CU_ASSERT_EQUAL(byz_merkle_root(b, len, got), 0);
			CU_ASSERT_NOT_EQUAL(memcmp(want, got, 32), 0);
		}
		free(d);
		free(b);
	}
}

static void test_paths(void)
{
	uint8_t path[BYZ_MERKLE_MAX_DEPTH][32];
	for (size_t n = 1; n <= 33; n++) {
		size_t len = (n - 1) * L + 1 + (n * 4099) % L;
		uint8_t *b = random_buf(len, 0x9a770 + n);
		uint8_t root[32];
		CU_ASSERT_FATAL(byz_merkle_root(b, len, root) == 0);
		for (size_t i = 0; i < n; i++) {
			size_t plen = 99;
			CU_ASSERT_FATAL(byz_merkle_path(b, len, i, path, BYZ_MERKLE_MAX_DEPTH,
							&plen) == 0);
			CU_ASSERT_EQUAL(plen, byz_merkle_path_len(i, n));
			const uint8_t *leaf = b + i * L;
			size_t ll = len - i * L < L ? len - i * L : L;
			const uint8_t(*cp)[32] = (const uint8_t(*)[32])path;
			CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, i, n, cp, plen, len, root), 0);
			CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, i, n, cp, plen, 0, root), 0);
			/* a forged leaf */
			uint8_t *f = malloc(ll);
			CU_ASSERT_FATAL(f != NULL);
			memcpy(f, leaf, ll);
			f[ll / 2] ^= 1;
			CU_ASSERT_EQUAL(byz_merkle_verify(f, ll, i, n, cp, plen, len, root),
					-EBADMSG);
			free(f);
			if (plen) {
				/* a wrong sibling at each level */
				for (size_t k = 0; k < plen; k++) {
					path[k][k % 32] ^= 0x80;
					CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, i, n, cp, plen, len,
									  root), -EBADMSG);
					path[k][k % 32] ^= 0x80;
				}
				/* too short, too long */
				CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, i, n, cp, plen - 1, len,
								  root), -EINVAL);
				CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, i, n, cp, plen + 1, len,
								  root), -EINVAL);
			}
			/* the same leaf and path claimed at another index */
			if (n > 1) {
				size_t j = (i + 1) % n;
				if (byz_merkle_path_len(j, n) == plen && j != n - 1)
					CU_ASSERT_EQUAL(byz_merkle_verify(leaf, ll, j, n, cp, plen, 0,
									  root), -EBADMSG);
			}
		}
		/* out of range, and a leaf longer than its position allows */
		size_t plen;
		CU_ASSERT_EQUAL(byz_merkle_path(b, len, n, path, BYZ_MERKLE_MAX_DEPTH, &plen),
				-EINVAL);
		CU_ASSERT_EQUAL(byz_merkle_verify(b, L, n, n, NULL, 0, 0, (const uint8_t *)b),
				-EINVAL);
		if (n > 1) {
			CU_ASSERT_FATAL(byz_merkle_path(b, len, n - 1, path, BYZ_MERKLE_MAX_DEPTH,
							&plen) == 0);
			CU_ASSERT_EQUAL(byz_merkle_verify(b + (n - 1) * L, L, n - 1, n,
							  (const uint8_t(*)[32])path, plen, len, root),
					-EINVAL);
			CU_ASSERT_EQUAL(byz_merkle_path(b, len, 0, path, 0, &plen), -ENOSPC);
		}
		CU_ASSERT_EQUAL(byz_merkle_verify(b, L + 1, 0, n, (const uint8_t(*)[32])path, 0,
						  0, root), -EINVAL);
		free(b);
	}
}

static void test_part_hash(void)
{
	size_t count = 3 * L / 4 + 5; /* 3 leaves and a bit */
	float *v = malloc(count * sizeof(float));
	CU_ASSERT_FATAL(v != NULL);
	struct byz_rng r = {byz_test_seed()};
	for (size_t i = 0; i < count; i++)
		v[i] = (float)byz_rng_gauss(&r);
	uint8_t run[32];
	for (int i = 0; i < 32; i++)
		run[i] = (uint8_t)(i * 7);
	uint8_t pre[1 + 32 + 8 + 2 + 2 + 4 + 32], want[32], got[32];
	pre[0] = 'P';
	memcpy(pre + 1, run, 32);
	byz_put64(pre + 33, 12345);
	byz_put16(pre + 41, 3);
	byz_put16(pre + 43, 2);
	byz_put32(pre + 45, (uint32_t)count);
	size_t bytes = count * sizeof(float);
	ref_mth((const uint8_t *)v, bytes, 0, byz_merkle_leaves(bytes), pre + 49);
	crypto_generichash(want, 32, pre, sizeof(pre), NULL, 0);
	byz_part_hash(run, 12345, 3, 2, v, (uint32_t)count, got);
	CU_ASSERT_EQUAL(memcmp(want, got, 32), 0);
	/* another domain, sender, part or length is another commitment */
	byz_agg_hash(run, 12345, 3, 2, v, (uint32_t)count, got);
	CU_ASSERT_NOT_EQUAL(memcmp(want, got, 32), 0);
	byz_part_hash(run, 12345, 4, 2, v, (uint32_t)count, got);
	CU_ASSERT_NOT_EQUAL(memcmp(want, got, 32), 0);
	byz_part_hash(run, 12345, 3, 2, v, (uint32_t)count - 1, got);
	CU_ASSERT_NOT_EQUAL(memcmp(want, got, 32), 0);
	free(v);
}

BYZ_TEST_MAIN("merkle",
	      {"roots against RFC 6962's recursion, 0..70 leaves", test_roots},
	      {"every path of 1..33 leaves; forged leaves and paths refused", test_paths},
	      {"part commitments bind the root and the length", test_part_hash})
