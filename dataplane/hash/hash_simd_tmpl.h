/*
 * DESIGN: multi-buffer BLAKE2b-256 (RFC 7693), shared by the AVX2 and
 * AVX-512 variants. Lane i of vector v[k] holds state word k of the message in
 * lane i, so the G function runs on N messages with plain vertical ops and no
 * diagonal shuffles; the cost moved elsewhere is the transpose of each
 * 128-byte block from N message pointers (LOAD_BLOCK).
 *
 * Scheduling: N lanes take messages from the queue in order. A run of blocks
 * that are non-final in every busy lane goes through a tight loop (state in
 * registers, one common offset). Then one mixed step: lanes with more than a
 * block left do an ordinary block; the others do their final block (padded
 * with zeros, counter = message length, last-block flag set), write their
 * digest and are refilled. Equal lengths, the leaf case, finish together.
 * Idle lanes (queue empty) hash a copy of a busy lane's data or zeros and are
 * ignored.
 *
 * The including file defines:
 *   V, V_N                      vector of V_N uint64 lanes
 *   V_SET1(x), V_ZERO(), V_ADD, V_XOR, V_LOAD(p), V_STORE(p, x)  (aligned)
 *   V_ROR32, V_ROR24, V_ROR16, V_ROR63
 *   LOAD_BLOCK(m, bp, off)      m[w] lane i = word w of 128 bytes at bp[i]+off
 *   KSUFFIX                     name suffix of the entry point
 */
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "hash_internal.h"

#define KCAT_(a, b) a##_##b
#define KCAT(a, b) KCAT_(a, b)
#define KFN(name) KCAT(name, KSUFFIX)

#define BLK 128

static const uint64_t blake2b_iv[8] = {
	0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
	0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
	0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

/* Message word schedule; rounds 10 and 11 reuse rows 0 and 1. */
static const uint8_t blake2b_sigma[12][16] = {
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

/* h[0] of an unkeyed 32-byte BLAKE2b: IV[0] ^ (digest 32, key 0, fanout 1,
 * depth 1). */
#define H0_INIT (0x6a09e667f3bcc908ull ^ 0x01010020ull)

#define G(r, i, a, b, c, d)                                              \
	do {                                                             \
		(a) = V_ADD(V_ADD((a), (b)), m[blake2b_sigma[r][2 * (i)]]); \
		(d) = V_ROR32(V_XOR((d), (a)));                          \
		(c) = V_ADD((c), (d));                                   \
		(b) = V_ROR24(V_XOR((b), (c)));                          \
		(a) = V_ADD(V_ADD((a), (b)),                             \
			    m[blake2b_sigma[r][2 * (i) + 1]]);           \
		(d) = V_ROR16(V_XOR((d), (a)));                          \
		(c) = V_ADD((c), (d));                                   \
		(b) = V_ROR63(V_XOR((b), (c)));                          \
	} while (0)

#define ROUND(r)                                  \
	do {                                      \
		G(r, 0, v0, v4, v8, v12);         \
		G(r, 1, v1, v5, v9, v13);         \
		G(r, 2, v2, v6, v10, v14);        \
		G(r, 3, v3, v7, v11, v15);        \
		G(r, 4, v0, v5, v10, v15);        \
		G(r, 5, v1, v6, v11, v12);        \
		G(r, 6, v2, v7, v8, v13);         \
		G(r, 7, v3, v4, v9, v14);         \
	} while (0)

/* One compression of N lanes: t = byte counter after this block (the high
 * counter word is 0 for any length a size_t can hold), f = all ones in lanes
 * whose block is their last. */
static inline __attribute__((always_inline)) void
KFN(compress)(V h[8], const V m[16], V t, V f)
{
	V v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3];
	V v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
	V v8 = V_SET1(blake2b_iv[0]), v9 = V_SET1(blake2b_iv[1]);
	V v10 = V_SET1(blake2b_iv[2]), v11 = V_SET1(blake2b_iv[3]);
	V v12 = V_XOR(V_SET1(blake2b_iv[4]), t);
	V v13 = V_SET1(blake2b_iv[5]);
	V v14 = V_XOR(V_SET1(blake2b_iv[6]), f);
	V v15 = V_SET1(blake2b_iv[7]);

	ROUND(0);
	ROUND(1);
	ROUND(2);
	ROUND(3);
	ROUND(4);
	ROUND(5);
	ROUND(6);
	ROUND(7);
	ROUND(8);
	ROUND(9);
	ROUND(10);
	ROUND(11);

	h[0] = V_XOR(h[0], V_XOR(v0, v8));
	h[1] = V_XOR(h[1], V_XOR(v1, v9));
	h[2] = V_XOR(h[2], V_XOR(v2, v10));
	h[3] = V_XOR(h[3], V_XOR(v3, v11));
	h[4] = V_XOR(h[4], V_XOR(v4, v12));
	h[5] = V_XOR(h[5], V_XOR(v5, v13));
	h[6] = V_XOR(h[6], V_XOR(v6, v14));
	h[7] = V_XOR(h[7], V_XOR(v7, v15));
}

/* Per-call lane bookkeeping; the state lives here between runs so that one
 * lane can be reset without touching the others. */
struct KFN(lanes) {
	alignas(64) uint64_t h[8][V_N];
	alignas(64) uint64_t t[V_N];
	alignas(64) uint64_t f[V_N];
	alignas(64) uint8_t pad[V_N][BLK];
	const uint8_t *p[V_N]; /* next unread byte */
	size_t rem[V_N];       /* bytes not yet compressed */
	size_t idx[V_N];       /* message index, for the digest */
	int live[V_N];
};

static void KFN(lane_start)(struct KFN(lanes) *L, int i, const uint8_t *msg,
			    size_t len, size_t idx)
{
	L->h[0][i] = H0_INIT;
	for (int w = 1; w < 8; w++)
		L->h[w][i] = blake2b_iv[w];
	L->t[i] = 0;
	L->p[i] = msg;
	L->rem[i] = len;
	L->idx[i] = idx;
	L->live[i] = 1;
}

/* Blocks every busy lane can take before any of them reaches its last one;
 * also names a busy lane's data pointer for the idle lanes to read. */
static size_t KFN(common_run)(const struct KFN(lanes) *L,
			      const uint8_t **any)
{
	size_t run = SIZE_MAX;
	for (int i = 0; i < V_N; i++) {
		if (!L->live[i])
			continue;
		size_t k = L->rem[i] ? (L->rem[i] - 1) / BLK : 0;
		if (k < run)
			run = k;
		*any = L->p[i];
	}
	return run;
}

static void KFN(run_blocks)(struct KFN(lanes) *L, size_t run,
			    const uint8_t *any)
{
	const uint8_t *bp[V_N];
	V h[8];
	for (int i = 0; i < V_N; i++)
		bp[i] = L->live[i] ? L->p[i] : any;
	for (int w = 0; w < 8; w++)
		h[w] = V_LOAD(L->h[w]);
	V t = V_LOAD(L->t);
	const V step = V_SET1(BLK), zero = V_ZERO();
	for (size_t b = 0; b < run; b++) {
		V m[16];
		LOAD_BLOCK(m, bp, b * BLK);
		t = V_ADD(t, step);
		KFN(compress)(h, m, t, zero);
	}
	for (int w = 0; w < 8; w++)
		V_STORE(L->h[w], h[w]);
	V_STORE(L->t, t);
	for (int i = 0; i < V_N; i++)
		if (L->live[i]) {
			L->p[i] += run * BLK;
			L->rem[i] -= run * BLK;
		}
}

/* One block in every lane: ordinary for lanes with more than a block left,
 * final for the rest, whose digests are written and lanes freed. */
static void KFN(mixed_step)(struct KFN(lanes) *L, uint8_t (*out)[32])
{
	const uint8_t *bp[V_N];
	int done[V_N];
	V h[8], m[16];
	for (int i = 0; i < V_N; i++) {
		done[i] = 0;
		bp[i] = L->pad[i];
		if (!L->live[i])
			continue;
		if (L->rem[i] > BLK) {
			bp[i] = L->p[i];
			L->t[i] += BLK;
			L->f[i] = 0;
			L->p[i] += BLK;
			L->rem[i] -= BLK;
		} else {
			/* The last block may be full: BLAKE2b never adds an
			 * empty block after an exact multiple of 128. A full
			 * one is read in place (the leaf case). */
			if (L->rem[i] == BLK) {
				bp[i] = L->p[i];
			} else {
				if (L->rem[i])
					memcpy(L->pad[i], L->p[i], L->rem[i]);
				memset(L->pad[i] + L->rem[i], 0, BLK - L->rem[i]);
			}
			L->t[i] += L->rem[i];
			L->f[i] = ~0ull;
			done[i] = 1;
		}
	}
	for (int w = 0; w < 8; w++)
		h[w] = V_LOAD(L->h[w]);
	LOAD_BLOCK(m, bp, 0);
	KFN(compress)(h, m, V_LOAD(L->t), V_LOAD(L->f));
	for (int w = 0; w < 8; w++)
		V_STORE(L->h[w], h[w]);
	for (int i = 0; i < V_N; i++)
		if (done[i]) {
			for (int w = 0; w < 4; w++)
				memcpy(out[L->idx[i]] + 8 * w, &L->h[w][i], 8);
			L->live[i] = 0;
		}
}

void KFN(hash_many)(const uint8_t *const *msg, const size_t *len, size_t count,
		    uint8_t (*out)[32])
{
	struct KFN(lanes) L;
	size_t next = 0;

	memset(&L, 0, sizeof(L));
	for (;;) {
		int busy = 0;
		for (int i = 0; i < V_N; i++) {
			if (!L.live[i] && next < count) {
				KFN(lane_start)(&L, i, msg[next], len[next], next);
				next++;
			}
			busy += L.live[i];
		}
		if (!busy)
			break;
		const uint8_t *any = NULL;
		size_t run = KFN(common_run)(&L, &any);
		if (run)
			KFN(run_blocks)(&L, run, any);
		KFN(mixed_step)(&L, out);
	}
}
