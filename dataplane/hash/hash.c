/*
 * Many-message BLAKE2b-256: argument checks, dispatch to the multi-buffer
 * variants (hash_simd_tmpl.h), and libsodium as the reference. The variant is
 * picked from byz_cpu_simd_level(), so BYZ_SIMD_MAX caps it as it caps the
 * clip kernels.
 */
#include <errno.h>
#include <stddef.h>

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
	if (leaf == 0 || (len && (!buf || !out)))
		return -EINVAL;
	/* A multiple of every lane count, so only the last batch has idle
	 * lanes. */
	enum { BATCH = 64 };
	const uint8_t *b = buf;
	const uint8_t *m[BATCH];
	size_t l[BATCH];
	size_t nl = len / leaf + (len % leaf != 0);
	for (size_t i = 0; i < nl; i += BATCH) {
		size_t c = nl - i < BATCH ? nl - i : BATCH;
		for (size_t k = 0; k < c; k++) {
			size_t off = (i + k) * leaf;
			m[k] = b + off;
			l[k] = len - off < leaf ? len - off : leaf;
		}
		int r = byz_hash_many(m, l, c, out + i, BYZ_HASH_AUTO);
		if (r)
			return r;
	}
	return 0;
}
