/* Merkle trees over 64 KiB leaves (byz/merkle.h): RFC 6962's shape, built
 * with a stack so a root over a whole part needs no buffer that grows with
 * the part, and proofs checked as hostile input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/hash.h"
#include "byz/merkle.h"

void byz_merkle_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
	uint8_t b[1 + 64];
	b[0] = 0x01;
	memcpy(b + 1, left, 32);
	memcpy(b + 33, right, 32);
	crypto_generichash(out, 32, b, sizeof(b), NULL, 0);
}

/* Pending subtrees, heights strictly decreasing from bottom to top: the
 * binary counter of the leaves seen so far. */
struct fold {
	uint8_t h[BYZ_MERKLE_MAX_DEPTH + 1][32];
	uint8_t ht[BYZ_MERKLE_MAX_DEPTH + 1];
	unsigned top;
};

static void fold_push(struct fold *f, const uint8_t d[32])
{
	memcpy(f->h[f->top], d, 32);
	f->ht[f->top++] = 0;
	while (f->top >= 2 && f->ht[f->top - 1] == f->ht[f->top - 2]) {
		byz_merkle_node(f->h[f->top - 2], f->h[f->top - 1], f->h[f->top - 2]);
		f->ht[f->top - 2]++;
		f->top--;
	}
}

/* Merging the rest right to left gives RFC 6962's split at the largest
 * power of two below n at every level. */
static void fold_end(struct fold *f, uint8_t out[32])
{
	if (!f->top) {
		crypto_generichash(out, 32, NULL, 0, NULL, 0);
		return;
	}
	while (f->top >= 2) {
		byz_merkle_node(f->h[f->top - 2], f->h[f->top - 1], f->h[f->top - 2]);
		f->top--;
	}
	memcpy(out, f->h[0], 32);
}

int byz_merkle_root_of(const uint8_t (*leaves)[32], size_t n, uint8_t out[32])
{
	if ((n && !leaves) || !out)
		return -EINVAL;
	struct fold f = {.top = 0};
	for (size_t i = 0; i < n; i++)
		fold_push(&f, leaves[i]);
	fold_end(&f, out);
	return 0;
}

enum { BATCH = 64 }; /* a multiple of every lane count */

int byz_merkle_root(const void *buf, size_t len, uint8_t out[32])
{
	if ((len && !buf) || !out)
		return -EINVAL;
	const uint8_t *b = buf;
	struct fold f = {.top = 0};
	uint8_t d[BATCH][32];
	/* BATCH leaves at a time through the multi-buffer leaf hash, folded
	 * as they come: the stack is all that is kept. */
	for (size_t off = 0; off < len; off += (size_t)BATCH * BYZ_MERKLE_LEAF) {
		size_t chunk = len - off < (size_t)BATCH * BYZ_MERKLE_LEAF
				       ? len - off
				       : (size_t)BATCH * BYZ_MERKLE_LEAF;
		int r = byz_hash_leaves(b + off, chunk, BYZ_MERKLE_LEAF, d);
		if (r)
			return r;
		for (size_t k = 0; k < byz_merkle_leaves(chunk); k++)
			fold_push(&f, d[k]);
	}
	fold_end(&f, out);
	return 0;
}

static size_t split(size_t n)
{
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

size_t byz_merkle_path_len(size_t index, size_t nleaves)
{
	size_t c = 0;
	while (nleaves > 1 && index < nleaves) {
		size_t k = split(nleaves);
		if (index < k) {
			nleaves = k;
		} else {
			index -= k;
			nleaves -= k;
		}
		c++;
	}
	return c;
}

/* RFC 6962 PATH(m, D[lo, lo + n)), bottom-up: the inner path first, then
 * the sibling subtree's root. */
static void path_rec(const uint8_t (*d)[32], size_t n, size_t m, uint8_t (*path)[32],
		     size_t *c)
{
	if (n <= 1)
		return;
	size_t k = split(n);
	if (m < k) {
		path_rec(d, k, m, path, c);
		byz_merkle_root_of(d + k, n - k, path[(*c)++]);
	} else {
		path_rec(d + k, n - k, m - k, path, c);
		byz_merkle_root_of(d, k, path[(*c)++]);
	}
}

int byz_merkle_path(const void *buf, size_t len, size_t index, uint8_t (*path)[32],
		    size_t max, size_t *plen)
{
	size_t n = byz_merkle_leaves(len);
	if (!buf || !path || !plen || index >= n)
		return -EINVAL;
	size_t need = byz_merkle_path_len(index, n);
	if (need > max)
		return -ENOSPC;
	uint8_t(*d)[32] = malloc(n * 32);
	if (!d)
		return -ENOMEM;
	int r = byz_hash_leaves(buf, len, BYZ_MERKLE_LEAF, d);
	if (!r) {
		size_t c = 0;
		path_rec((const uint8_t(*)[32])d, n, index, path, &c);
		*plen = c;
	}
	free(d);
	return r;
}

/* Root implied by digest h at position m of n leaves and the path's last
 * `avail` entries (consumed top-down: the last entry is the top sibling). */
static int climb(const uint8_t h[32], size_t m, size_t n, const uint8_t (*path)[32],
		 size_t avail, uint8_t out[32])
{
	if (n == 1) {
		if (avail)
			return -EINVAL;
		memcpy(out, h, 32);
		return 0;
	}
	if (!avail)
		return -EINVAL;
	size_t k = split(n);
	uint8_t sub[32];
	int r = m < k ? climb(h, m, k, path, avail - 1, sub)
		      : climb(h, m - k, n - k, path, avail - 1, sub);
	if (r)
		return r;
	if (m < k)
		byz_merkle_node(sub, path[avail - 1], out);
	else
		byz_merkle_node(path[avail - 1], sub, out);
	return 0;
}

int byz_merkle_verify(const void *leaf, size_t leaf_len, size_t index, size_t nleaves,
		      const uint8_t (*path)[32], size_t plen, size_t total_len,
		      const uint8_t root[32])
{
	if ((!leaf && leaf_len) || !root || (plen && !path) || index >= nleaves ||
	    leaf_len > BYZ_MERKLE_LEAF || plen > BYZ_MERKLE_MAX_DEPTH)
		return -EINVAL;
	if (total_len) {
		if (byz_merkle_leaves(total_len) != nleaves)
			return -EINVAL;
		size_t off = index * BYZ_MERKLE_LEAF;
		size_t want = total_len - off < BYZ_MERKLE_LEAF ? total_len - off : BYZ_MERKLE_LEAF;
		if (leaf_len != want)
			return -EINVAL;
	}
	if (plen != byz_merkle_path_len(index, nleaves))
		return -EINVAL;
	uint8_t h[32], got[32];
	crypto_generichash(h, 32, leaf, leaf_len, NULL, 0);
	int r = climb(h, index, nleaves, path, plen, got);
	if (r)
		return r;
	return sodium_memcmp(got, root, 32) ? -EBADMSG : 0;
}
