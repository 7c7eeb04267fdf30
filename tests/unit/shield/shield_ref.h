/*
 * Independent reference code for the shield tests: the constructions written
 * again from their definitions (not from the library's formulas), and a
 * brute force over every subset of workers with no pruning.
 */
#ifndef SHIELD_REF_H
#define SHIELD_REF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REF_MAX_K 64
#define REF_MAX_F 512

/* A small assignment as per-file replica masks (bit w = worker w holds it). */
struct ref_assign {
	uint32_t K, f, r;
	uint64_t mask[REF_MAX_F];
};

/* MOLS: worker (k, s), id (k-1)*l + s, holds cell (a, b), id a*l + b, iff L_k(a, b) = s. */
static inline int ref_mols(uint32_t l, uint32_t r, struct ref_assign *ra)
{
	if (r * l > REF_MAX_K || l * l > REF_MAX_F)
		return -1;
	memset(ra, 0, sizeof(*ra));
	ra->K = r * l;
	ra->f = l * l;
	ra->r = r;
	for (uint32_t k = 1; k <= r; k++)
		for (uint32_t sym = 0; sym < l; sym++)
			for (uint32_t a = 0; a < l; a++)
				for (uint32_t b = 0; b < l; b++)
					if ((k * a + b) % l == sym)
						ra->mask[a * l + b] |= 1ull << ((k - 1) * l + sym);
	return 0;
}

/*
 * Ramanujan: B is the (s*s) x (m*s) 0/1 matrix whose block (a, c) is P^(a*c
 * mod s), P the cyclic shift with P[i][j] = 1 iff j = i + 1 (mod s). Built
 * densely, then read as rows of B^T (m < s) or rows of B (m >= s).
 */
static inline int ref_ramanujan(uint32_t s, uint32_t m, struct ref_assign *ra)
{
	uint32_t rows = s * s, cols = m * s;
	uint32_t K = m < s ? cols : rows, f = m < s ? rows : cols;
	if (K > REF_MAX_K || f > REF_MAX_F)
		return -1;
	uint8_t *B = calloc((size_t)rows * cols, 1);
	if (!B)
		return -1;
	for (uint32_t a = 0; a < s; a++)
		for (uint32_t c = 0; c < m; c++) {
			uint32_t e = (a * c) % s;
			/* P^e[i][j] = 1 iff j = i + e (mod s) */
			for (uint32_t i = 0; i < s; i++)
				B[(size_t)(a * s + i) * cols + c * s + (i + e) % s] = 1;
		}
	memset(ra, 0, sizeof(*ra));
	ra->K = K;
	ra->f = f;
	ra->r = m < s ? m : s;
	for (uint32_t i = 0; i < rows; i++)
		for (uint32_t j = 0; j < cols; j++)
			if (B[(size_t)i * cols + j]) {
				if (m < s) /* worker = column j, file = row i */
					ra->mask[i] |= 1ull << j;
				else       /* worker = row i, file = column j */
					ra->mask[j] |= 1ull << i;
			}
	free(B);
	return 0;
}

static inline uint32_t ref_score(const struct ref_assign *ra, uint64_t set)
{
	uint32_t maj = ra->r / 2 + 1, n = 0;
	for (uint32_t j = 0; j < ra->f; j++)
		n += (uint32_t)__builtin_popcountll(ra->mask[j] & set) >= maj;
	return n;
}

/* cmax[q] for q = 0..K by scoring every one of the 2^K subsets (K <= 30). */
static inline void ref_brute(const struct ref_assign *ra, uint32_t *cmax)
{
	memset(cmax, 0, sizeof(uint32_t) * (ra->K + 1));
	uint64_t end = 1ull << ra->K;
	for (uint64_t set = 0; set < end; set++) {
		uint32_t q = (uint32_t)__builtin_popcountll(set);
		uint32_t v = ref_score(ra, set);
		if (v > cmax[q])
			cmax[q] = v;
	}
}

/* c_max(q) alone, walking the C(K, q) subsets in order (Gosper's hack). */
static inline uint32_t ref_brute_q(const struct ref_assign *ra, uint32_t q)
{
	if (q == 0 || q > ra->K)
		return 0;
	uint64_t set = (q == 64 ? ~0ull : (1ull << q) - 1), best = 0;
	uint64_t limit = ra->K == 64 ? 0 : 1ull << ra->K;
	for (;;) {
		uint32_t v = ref_score(ra, set);
		if (v > best)
			best = v;
		uint64_t c = set & -set, r = set + c;
		if (r == 0)
			break; /* carried out of 64 bits */
		set = (((r ^ set) >> 2) / c) | r;
		if (limit && set >= limit)
			break;
	}
	return (uint32_t)best;
}

#endif
