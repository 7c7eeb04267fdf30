/**
 * @file byz/hash.h
 * @brief Many independent BLAKE2b-256 digests at once (leaf hashing).
 *
 * The verified all-reduce hashes every part in fixed leaves (docs/transport.md):
 * thousands of independent messages of one size. libsodium hashes one message
 * at a time; these functions hash several in SIMD lanes and return exactly
 * what crypto_generichash(out, 32, msg, len, NULL, 0) returns for each
 * message (unkeyed BLAKE2b, 32-byte output). libsodium is the reference the
 * tests compare against, and the fallback where no SIMD variant applies.
 *
 * Thread safety: every function is reentrant; no shared state after the
 * first call chose an implementation.
 */
#ifndef BYZ_HASH_H
#define BYZ_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Implementations of the many-message hash. */
enum byz_hash_impl {
	BYZ_HASH_AUTO = 0, /**< best available on this CPU, chosen once */
	BYZ_HASH_SODIUM,   /**< libsodium, one message at a time: the reference */
	BYZ_HASH_AVX2,     /**< 4 messages per pass in AVX2 lanes */
	BYZ_HASH_AVX512,   /**< 8 messages per pass in AVX-512 lanes */
};

/**
 * @brief BLAKE2b-256 of @p count independent messages.
 * @param msg   message pointers (any alignment)
 * @param len   message lengths in bytes (may differ; 0 is allowed)
 * @param count number of messages
 * @param out   count digests of 32 bytes
 * @param impl  implementation; BYZ_HASH_AUTO picks the best one supported
 * @return 0, or -ENOTSUP when @p impl is not built or not supported here
 *         (BYZ_SIMD_MAX=scalar|avx2 lowers what is supported),
 *         -EINVAL on a NULL array with count > 0, a NULL message with a
 *         nonzero length, or an unknown @p impl; nothing is written then
 */
int byz_hash_many(const uint8_t *const *msg, const size_t *len, size_t count,
		  uint8_t (*out)[32], enum byz_hash_impl impl);

/**
 * @brief BLAKE2b-256 of each @p leaf-byte slice of @p buf (the last may be
 *        shorter): ceil(len / leaf) digests into @p out.
 * @return 0, or -EINVAL when leaf == 0 or a pointer is NULL with len > 0
 */
int byz_hash_leaves(const void *buf, size_t len, size_t leaf, uint8_t (*out)[32]);

/** @brief The implementation BYZ_HASH_AUTO uses on this CPU: the widest
 *         SIMD variant built and allowed by CPUID and BYZ_SIMD_MAX, else
 *         BYZ_HASH_SODIUM. */
enum byz_hash_impl byz_hash_best(void);

/** @brief Short name of an implementation ("sodium", "avx2", "avx512"). */
const char *byz_hash_impl_name(enum byz_hash_impl impl);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_HASH_H */
