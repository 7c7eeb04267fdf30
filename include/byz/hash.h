/**
 * @file byz/hash.h
 * @brief Leaf hashing: many independent BLAKE2b-256 or SHA-256 digests at
 *        once, and the run's leaf hash algorithm.
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

/* ---- SHA-256 ---------------------------------------------------------- */

/** Implementations of the many-message SHA-256. */
enum byz_sha256_impl {
	BYZ_SHA256_AUTO = 0, /**< SHA-NI where the CPU has it, else libsodium */
	BYZ_SHA256_SODIUM,   /**< libsodium crypto_hash_sha256: reference and fallback */
	BYZ_SHA256_SHANI,    /**< x86 SHA extensions, two messages interleaved */
	BYZ_SHA256_SHANI_X1, /**< x86 SHA extensions, one message at a time
				  (kept to measure the interleaving against) */
};

/**
 * @brief SHA-256 of @p count independent messages: for each, exactly what
 *        crypto_hash_sha256(out, msg, len) returns.
 * @return 0, or -ENOTSUP when @p impl needs SHA-NI and byz_cpu_has_sha() is
 *         0 (no SHA extensions, not built, or BYZ_SIMD_MAX=scalar), -EINVAL
 *         on the same bad arguments as byz_hash_many(); nothing is written then
 */
int byz_sha256_many(const uint8_t *const *msg, const size_t *len, size_t count,
		    uint8_t (*out)[32], enum byz_sha256_impl impl);

/** @brief What BYZ_SHA256_AUTO uses here: BYZ_SHA256_SHANI or BYZ_SHA256_SODIUM. */
enum byz_sha256_impl byz_sha256_best(void);

/** @brief "auto", "sodium", "shani", "shani-x1", or "?". */
const char *byz_sha256_impl_name(enum byz_sha256_impl impl);

/* ---- the run's leaf hash ---------------------------------------------- */

/**
 * Leaf hash algorithm of a run: a run parameter every peer must share. Both
 * digests are 32 bytes and both schemes have one structure (docs/transport.md,
 * "Leaf hashing"): a leaf digest is H(leaf bytes), nothing prefixed; a root is
 * H(digest 0 || digest 1 || ...) over the leaves in order.
 */
enum byz_leaf_alg {
	BYZ_LEAF_BLAKE2B = 0, /**< unkeyed BLAKE2b-256 (the default, as before) */
	BYZ_LEAF_SHA256 = 1,  /**< SHA-256: SHA-NI where present, else libsodium */
};
#define BYZ_LEAF_ALG_COUNT 2

/** @brief "blake2b", "sha256", or "?". */
const char *byz_leaf_alg_name(enum byz_leaf_alg alg);

/**
 * @brief Parse a run's algorithm name ("blake2b" or "sha256").
 * @return 0, or -EINVAL for anything else ("auto" too: a run names its hash,
 *         so peers with different CPUs still agree)
 */
int byz_leaf_alg_parse(const char *s, enum byz_leaf_alg *alg);

/** @brief The implementation @p alg runs on here ("avx512", "avx2", "sodium",
 *         "shani"): for logs and benchmarks. */
const char *byz_leaf_alg_impl(enum byz_leaf_alg alg);

/**
 * @brief Digests of @p count messages with @p alg and its best implementation.
 * @return 0, or -EINVAL (bad arguments as byz_hash_many, unknown @p alg)
 */
int byz_leaf_hash_many(enum byz_leaf_alg alg, const uint8_t *const *msg, const size_t *len,
		       size_t count, uint8_t (*out)[32]);

/**
 * @brief byz_hash_leaves() with a chosen algorithm: ceil(len / leaf) digests.
 * @return 0, or -EINVAL (leaf == 0, a NULL pointer with len > 0, unknown @p alg)
 */
int byz_leaf_hash(enum byz_leaf_alg alg, const void *buf, size_t len, size_t leaf,
		  uint8_t (*out)[32]);

/**
 * @brief Root over the leaves of @p buf: H(H(leaf 0) || H(leaf 1) || ...),
 *        H = @p alg (for len == 0: H of the empty string). No buffer grows
 *        with @p len.
 * @return 0, or -EINVAL as byz_leaf_hash()
 */
int byz_leaf_root(enum byz_leaf_alg alg, const void *buf, size_t len, size_t leaf,
		  uint8_t out[32]);

/**
 * @brief The faster algorithm on this machine, measured once (a few
 *        milliseconds of 64 KiB leaves with each algorithm's best
 *        implementation) and then cached. For benchmarks and advice only: a
 *        run names its algorithm in its configuration, since peers on
 *        different CPUs would pick differently.
 */
enum byz_leaf_alg byz_leaf_fastest(void);

/**
 * @brief The run id a run with leaf hash @p alg uses on the wire, from the
 *        configured @p run_id. BYZ_LEAF_BLAKE2B keeps @p run_id unchanged
 *        (runs before this parameter existed are blake2b runs); any other
 *        algorithm gives BLAKE2b-256("byz-leaf-hash" || name || run_id). Every
 *        message signature and the dataplane's session tag bind the run id, so
 *        a peer configured with another algorithm is in another run: nothing
 *        it sends is accepted, its JOIN included, and it is never judged.
 * @param out 32 bytes; may alias @p run_id
 * @return 0, or -EINVAL for an unknown @p alg
 */
int byz_leaf_run_id(const uint8_t run_id[32], enum byz_leaf_alg alg, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_HASH_H */
