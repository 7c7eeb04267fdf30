/*
 * Leaf hashing. Many-message BLAKE2b-256: argument checks, dispatch to the
 * multi-buffer variants (hash_simd_tmpl.h), and libsodium as the reference;
 * the variant is picked from byz_cpu_simd_level(), so BYZ_SIMD_MAX caps it as
 * it caps the clip kernels. Many-message SHA-256: SHA-NI (hash_sha256_ni.c)
 * where byz_cpu_has_sha(), libsodium otherwise. On top, the run's leaf hash
 * (enum byz_leaf_alg): leaves, roots, the run id that binds the algorithm.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "byz/cpu.h"
#include "byz/hash.h"
#include "hash_internal.h"

static int hash_sodium(const uint8_t *const *msg, const size_t *len, size_t count,
		       uint8_t (*out)[32])
{
	for (size_t i = 0; i < count; i++)
		crypto_generichash(out[i], 32, msg[i], len[i], NULL, 0);
	return 0;
}

/* Built and allowed by the CPU (and BYZ_SIMD_MAX). */
static int impl_supported(enum byz_hash_impl impl)
{
	enum byz_simd_level lvl = byz_cpu_simd_level();
	switch (impl) {
	case BYZ_HASH_SODIUM:
		return 1;
#ifdef BYZ_HAVE_AVX2
	case BYZ_HASH_AVX2:
		return lvl >= BYZ_SIMD_AVX2;
#endif
#ifdef BYZ_HAVE_AVX512
	case BYZ_HASH_AVX512:
		return lvl >= BYZ_SIMD_AVX512;
#endif
	default:
		(void)lvl;
		return 0;
	}
}

enum byz_hash_impl byz_hash_best(void)
{
	if (impl_supported(BYZ_HASH_AVX512))
		return BYZ_HASH_AVX512;
	if (impl_supported(BYZ_HASH_AVX2))
		return BYZ_HASH_AVX2;
	return BYZ_HASH_SODIUM;
}

const char *byz_hash_impl_name(enum byz_hash_impl impl)
{
	switch (impl) {
	case BYZ_HASH_AUTO:
		return "auto";
	case BYZ_HASH_SODIUM:
		return "sodium";
	case BYZ_HASH_AVX2:
		return "avx2";
	case BYZ_HASH_AVX512:
		return "avx512";
	}
	return "?";
}

int byz_hash_many(const uint8_t *const *msg, const size_t *len, size_t count,
		  uint8_t (*out)[32], enum byz_hash_impl impl)
{
	if ((unsigned)impl > BYZ_HASH_AVX512)
		return -EINVAL;
	if (count && (!msg || !len || !out))
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		if (!msg[i] && len[i])
			return -EINVAL;
	if (impl == BYZ_HASH_AUTO)
		impl = byz_hash_best();
	if (!impl_supported(impl))
		return -ENOTSUP;
	switch (impl) {
#ifdef BYZ_HAVE_AVX2
	case BYZ_HASH_AVX2:
		hash_many_avx2(msg, len, count, out);
		return 0;
#endif
#ifdef BYZ_HAVE_AVX512
	case BYZ_HASH_AVX512:
		hash_many_avx512(msg, len, count, out);
		return 0;
#endif
	default:
		return hash_sodium(msg, len, count, out);
	}
}

int byz_hash_leaves(const void *buf, size_t len, size_t leaf, uint8_t (*out)[32])
{
	return byz_leaf_hash(BYZ_LEAF_BLAKE2B, buf, len, leaf, out);
}

/* ---- SHA-256 ---- */

static int sha_supported(enum byz_sha256_impl impl)
{
	switch (impl) {
	case BYZ_SHA256_SODIUM:
		return 1;
#ifdef BYZ_HAVE_SHANI
	case BYZ_SHA256_SHANI:
	case BYZ_SHA256_SHANI_X1:
		return byz_cpu_has_sha();
#endif
	default:
		return 0;
	}
}

enum byz_sha256_impl byz_sha256_best(void)
{
	return sha_supported(BYZ_SHA256_SHANI) ? BYZ_SHA256_SHANI : BYZ_SHA256_SODIUM;
}

const char *byz_sha256_impl_name(enum byz_sha256_impl impl)
{
	switch (impl) {
	case BYZ_SHA256_AUTO:
		return "auto";
	case BYZ_SHA256_SODIUM:
		return "sodium";
	case BYZ_SHA256_SHANI:
		return "shani";
	case BYZ_SHA256_SHANI_X1:
		return "shani-x1";
	}
	return "?";
}

int byz_sha256_many(const uint8_t *const *msg, const size_t *len, size_t count,
		    uint8_t (*out)[32], enum byz_sha256_impl impl)
{
	if ((unsigned)impl > BYZ_SHA256_SHANI_X1)
		return -EINVAL;
	if (count && (!msg || !len || !out))
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		if (!msg[i] && len[i])
			return -EINVAL;
	if (impl == BYZ_SHA256_AUTO)
		impl = byz_sha256_best();
	if (!sha_supported(impl))
		return -ENOTSUP;
	switch (impl) {
#ifdef BYZ_HAVE_SHANI
	case BYZ_SHA256_SHANI:
		hash_sha256_many_ni(msg, len, count, out);
		return 0;
	case BYZ_SHA256_SHANI_X1:
		hash_sha256_many_ni1(msg, len, count, out);
		return 0;
#endif
	default:
		for (size_t i = 0; i < count; i++)
			crypto_hash_sha256(out[i], msg[i], len[i]);
		return 0;
	}
}

/* ---- the run's leaf hash ---- */

const char *byz_leaf_alg_name(enum byz_leaf_alg alg)
{
	switch (alg) {
	case BYZ_LEAF_BLAKE2B:
		return "blake2b";
	case BYZ_LEAF_SHA256:
		return "sha256";
	}
	return "?";
}

int byz_leaf_alg_parse(const char *s, enum byz_leaf_alg *alg)
{
	if (!s || !alg)
		return -EINVAL;
	for (int a = 0; a < BYZ_LEAF_ALG_COUNT; a++)
		if (!strcmp(s, byz_leaf_alg_name((enum byz_leaf_alg)a))) {
			*alg = (enum byz_leaf_alg)a;
			return 0;
		}
	return -EINVAL;
}

const char *byz_leaf_alg_impl(enum byz_leaf_alg alg)
{
	switch (alg) {
	case BYZ_LEAF_BLAKE2B:
		return byz_hash_impl_name(byz_hash_best());
	case BYZ_LEAF_SHA256:
		return byz_sha256_impl_name(byz_sha256_best());
	}
	return "?";
}

int byz_leaf_hash_many(enum byz_leaf_alg alg, const uint8_t *const *msg, const size_t *len,
		       size_t count, uint8_t (*out)[32])
{
	switch (alg) {
	case BYZ_LEAF_BLAKE2B:
		return byz_hash_many(msg, len, count, out, BYZ_HASH_AUTO);
	case BYZ_LEAF_SHA256:
		return byz_sha256_many(msg, len, count, out, BYZ_SHA256_AUTO);
	}
	return -EINVAL;
}

/* A multiple of every lane count, so only the last batch has idle lanes. */
enum { LEAF_BATCH = 64 };

/* Digests of leaves [first, first + c) of buf into h. */
static int leaf_batch(enum byz_leaf_alg alg, const uint8_t *b, size_t len, size_t leaf,
		      size_t first, size_t c, uint8_t (*h)[32])
{
	const uint8_t *m[LEAF_BATCH];
	size_t l[LEAF_BATCH];
	for (size_t k = 0; k < c; k++) {
		size_t off = (first + k) * leaf;
		m[k] = b + off;
		l[k] = len - off < leaf ? len - off : leaf;
	}
	return byz_leaf_hash_many(alg, m, l, c, h);
}

int byz_leaf_hash(enum byz_leaf_alg alg, const void *buf, size_t len, size_t leaf,
		  uint8_t (*out)[32])
{
	if ((unsigned)alg >= BYZ_LEAF_ALG_COUNT || leaf == 0 || (len && (!buf || !out)))
		return -EINVAL;
	size_t nl = len / leaf + (len % leaf != 0);
	for (size_t i = 0; i < nl; i += LEAF_BATCH) {
		size_t c = nl - i < LEAF_BATCH ? nl - i : LEAF_BATCH;
		int r = leaf_batch(alg, buf, len, leaf, i, c, out + i);
		if (r)
			return r;
	}
	return 0;
}

int byz_leaf_root(enum byz_leaf_alg alg, const void *buf, size_t len, size_t leaf,
		  uint8_t out[32])
{
	if ((unsigned)alg >= BYZ_LEAF_ALG_COUNT || leaf == 0 || !out || (len && !buf))
		return -EINVAL;
	/* Leaf digests fed batch by batch into one streaming hash. */
	uint8_t h[LEAF_BATCH][32];
	crypto_generichash_state bs;
	crypto_hash_sha256_state ss;
	if (alg == BYZ_LEAF_BLAKE2B)
		crypto_generichash_init(&bs, NULL, 0, 32);
	else
		crypto_hash_sha256_init(&ss);
	size_t nl = len / leaf + (len % leaf != 0);
	for (size_t i = 0; i < nl; i += LEAF_BATCH) {
		size_t c = nl - i < LEAF_BATCH ? nl - i : LEAF_BATCH;
		int r = leaf_batch(alg, buf, len, leaf, i, c, h);
		if (r)
			return r;
		if (alg == BYZ_LEAF_BLAKE2B)
			crypto_generichash_update(&bs, &h[0][0], c * 32);
		else
			crypto_hash_sha256_update(&ss, &h[0][0], c * 32);
	}
	if (alg == BYZ_LEAF_BLAKE2B)
		crypto_generichash_final(&bs, out, 32);
	else
		crypto_hash_sha256_final(&ss, out);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of 3 timings of 32 leaves of 64 KiB (2 MiB) with alg's best
 * implementation: a few milliseconds, enough to order two hashes whose
 * speeds differ by tens of percent. */
static double calib(enum byz_leaf_alg alg, const uint8_t *buf, size_t len)
{
	uint8_t h[32][32];
	double best = 1e30;
	for (int r = 0; r < 3; r++) {
		double t0 = now_s();
		if (byz_leaf_hash(alg, buf, len, 65536, h))
			return 1e30;
		double t = now_s() - t0;
		best = t < best ? t : best;
	}
	return best;
}

enum byz_leaf_alg byz_leaf_fastest(void)
{
	/* Computed once; a race at worst measures twice. */
	static int cached = -1;
	if (cached < 0) {
		enum { LEN = 32 * 65536 };
		uint8_t *buf = malloc(LEN);
		if (!buf)
			return BYZ_LEAF_BLAKE2B; /* not cached: try again next time */
		for (size_t i = 0; i < LEN; i++)
			buf[i] = (uint8_t)(i * 131u + (i >> 8));
		double b = calib(BYZ_LEAF_BLAKE2B, buf, LEN);
		double s = calib(BYZ_LEAF_SHA256, buf, LEN);
		free(buf);
		cached = s < b ? BYZ_LEAF_SHA256 : BYZ_LEAF_BLAKE2B;
	}
	return (enum byz_leaf_alg)cached;
}

int byz_leaf_run_id(const uint8_t run_id[32], enum byz_leaf_alg alg, uint8_t out[32])
{
	if ((unsigned)alg >= BYZ_LEAF_ALG_COUNT || !run_id || !out)
		return -EINVAL;
	if (alg == BYZ_LEAF_BLAKE2B) {
		memmove(out, run_id, 32);
		return 0;
	}
	static const char tag[] = "byz-leaf-hash";
	const char *name = byz_leaf_alg_name(alg);
	uint8_t b[sizeof(tag) - 1 + 16 + 32];
	size_t nl = strlen(name), o = 0;
	memcpy(b, tag, sizeof(tag) - 1);
	o += sizeof(tag) - 1;
	memcpy(b + o, name, nl);
	o += nl;
	memcpy(b + o, run_id, 32);
	o += 32;
	crypto_generichash(out, 32, b, o, NULL, 0);
	return 0;
}
