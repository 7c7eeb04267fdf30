/**
 * @file byz/merkle.h
 * @brief Merkle trees over the 64 KiB leaves of a vector: the commitment a
 *        peer signs for each part and aggregate, and the leaf proofs that
 *        show one leaf of a committed vector to a third peer without the rest.
 *
 * Tree (docs/protocol.md, "Commitments"): leaf digest i = BLAKE2b-256 of the
 * bytes [i * BYZ_MERKLE_LEAF, (i + 1) * BYZ_MERKLE_LEAF) of the vector (the
 * last leaf may be shorter), unkeyed and with nothing prefixed, so the
 * dataplane's multi-buffer leaf hashing (byz/hash.h) computes it; an inner
 * node is BLAKE2b-256(0x01 || left || right); the shape is RFC 6962's (the
 * left subtree of n leaves holds the largest power of two below n). The
 * root of zero leaves is BLAKE2b-256 of the empty string. A root alone does
 * not fix the number of leaves: whoever signs one binds the vector's length
 * next to it (byz_part_hash does), which fixes the shape, so no inner node
 * can pass for a leaf.
 *
 * A path holds the sibling digests from the leaf's level up to the root's
 * children (at most BYZ_MERKLE_MAX_DEPTH of them).
 *
 * Thread safety: every function is reentrant.
 */
#ifndef BYZ_MERKLE_H
#define BYZ_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Leaf size in bytes (16384 float32). */
#define BYZ_MERKLE_LEAF 65536u
/** Longest path: 2^40 leaves (64 PiB), far beyond any vector of a run. */
#define BYZ_MERKLE_MAX_DEPTH 40u

/** @brief Leaves of a vector of @p len bytes: ceil(len / BYZ_MERKLE_LEAF). */
static inline size_t byz_merkle_leaves(size_t len)
{
	return (len + BYZ_MERKLE_LEAF - 1) / BYZ_MERKLE_LEAF;
}

/** @brief Inner node: BLAKE2b-256(0x01 || left || right); @p out may alias. */
void byz_merkle_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

/**
 * @brief Root over @p n leaf digests already computed (e.g. by the
 *        dataplane's workers as leaves arrived).
 * @return 0, or -EINVAL when @p leaves is NULL with n > 0
 */
int byz_merkle_root_of(const uint8_t (*leaves)[32], size_t n, uint8_t out[32]);

/**
 * @brief Root of the tree over @p buf: hashes the leaves in SIMD batches
 *        (byz_hash_many, its best implementation: the same bits at every
 *        SIMD level) and folds them with a stack of at most
 *        BYZ_MERKLE_MAX_DEPTH nodes; allocates nothing.
 * @return 0, or -EINVAL when @p buf is NULL with len > 0
 */
int byz_merkle_root(const void *buf, size_t len, uint8_t out[32]);

/**
 * @brief The path of leaf @p index of @p buf.
 * @param path  room for @p max digests
 * @param plen  out: digests written
 * @return 0; -EINVAL (NULL pointer, index >= leaves), -ENOSPC (max too
 *         small), -ENOMEM (the leaf digests are kept while the path is built:
 *         32 bytes per leaf)
 */
int byz_merkle_path(const void *buf, size_t len, size_t index, uint8_t (*path)[32],
		    size_t max, size_t *plen);

/**
 * @brief Check that the leaf bytes @p leaf (of @p leaf_len bytes) are leaf
 *        @p index of a tree of @p nleaves leaves with root @p root, given
 *        its path. Everything is hostile input: a path of the wrong length
 *        for (index, nleaves), an index out of range, or a leaf longer than
 *        BYZ_MERKLE_LEAF (or not of the length its position implies when
 *        @p total_len is given) is refused, never read past.
 * @param total_len the committed vector's length in bytes, or 0 to skip the
 *        leaf-length check
 * @return 0 when the proof holds; -EINVAL for malformed arguments; -EBADMSG
 *         when the proof is well-formed but does not lead to @p root
 */
int byz_merkle_verify(const void *leaf, size_t leaf_len, size_t index, size_t nleaves,
		      const uint8_t (*path)[32], size_t plen, size_t total_len,
		      const uint8_t root[32]);

/** @brief Path length of leaf @p index in a tree of @p nleaves leaves
 *  (0 when index >= nleaves or nleaves <= 1). */
size_t byz_merkle_path_len(size_t index, size_t nleaves);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_MERKLE_H */
