/* Many-message BLAKE2b-256: dispatch, and libsodium as the reference. */
#include <errno.h>
#include <stddef.h>

#include <sodium.h>

#include "byz/hash.h"

static int hash_sodium(const uint8_t *const *msg, const size_t *len, size_t count,
		       uint8_t (*out)[32])
{
	for (size_t i = 0; i < count; i++)
		crypto_generichash(out[i], 32, msg[i], len[i], NULL, 0);
	return 0;
}

enum byz_hash_impl byz_hash_best(void)
{
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
	if (count && (!msg || !len || !out))
		return -EINVAL;
	if (impl == BYZ_HASH_AUTO)
		impl = byz_hash_best();
	switch (impl) {
	case BYZ_HASH_SODIUM:
		return hash_sodium(msg, len, count, out);
	default:
		return -ENOTSUP;
	}
}

int byz_hash_leaves(const void *buf, size_t len, size_t leaf, uint8_t (*out)[32])
{
	if (leaf == 0 || (len && (!buf || !out)))
		return -EINVAL;
	enum { BATCH = 16 };
	const uint8_t *b = buf;
	const uint8_t *m[BATCH];
	size_t l[BATCH];
	size_t nl = (len + leaf - 1) / leaf;
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
