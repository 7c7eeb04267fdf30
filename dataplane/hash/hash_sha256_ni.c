/*
 * SHA-256 (FIPS 180-4) of many independent messages with the x86 SHA
 * extensions. Built with -msha -msse4.1 (SSSE3 byte shuffles, SSE4.1 blends);
 * only called after byz_cpu_has_sha() said the CPU has them.
 *
 * The state lives in two registers in the order the instructions want:
 * ABEF and CDGH (high lane first). One sha256rnds2 does two rounds, so a
 * block is 32 of them in a dependent chain: a single message is latency
 * bound. Two messages are therefore hashed side by side (two independent
 * chains the core overlaps) whenever both have whole blocks left; measured
 * in docs/transport.md.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "hash_internal.h"

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2};

/* Big-endian words: reverse the bytes of every 32-bit lane. */
#define BSWAP32_MASK() _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll)
#define LDU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define KV(i) _mm_loadu_si128((const __m128i *)(const void *)(sha256_k + 4 * (i)))

struct st {
	__m128i abef, cdgh;
};

static struct st st_init(void)
{
	/* H0 of FIPS 180-4: lanes (low first) F E B A and H G D C. */
	struct st s;
	s.abef = _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c);
	s.cdgh = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
	return s;
}

static void st_out(struct st s, uint8_t out[32])
{
	/* ABEF/CDGH back to A B C D | E F G H, then big-endian bytes. */
	__m128i feba = _mm_shuffle_epi32(s.abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xb1);
	__m128i abcd = _mm_blend_epi16(feba, dchg, 0xf0);
	__m128i efgh = _mm_alignr_epi8(dchg, feba, 8);
	_mm_storeu_si128((__m128i *)(void *)out, _mm_shuffle_epi8(abcd, BSWAP32_MASK()));
	_mm_storeu_si128((__m128i *)(void *)(out + 16), _mm_shuffle_epi8(efgh, BSWAP32_MASK()));
}

/* Four rounds 4i..4i+3 on one state, w = W[4i..4i+3]. */
#define ROUNDS4(s, w, i)                                                          \
	do {                                                                      \
		__m128i k_ = _mm_add_epi32((w), KV(i));                           \
		(s).cdgh = _mm_sha256rnds2_epu32((s).cdgh, (s).abef, k_);         \
		(s).abef = _mm_sha256rnds2_epu32((s).abef, (s).cdgh,              \
						 _mm_shuffle_epi32(k_, 0x0e));    \
	} while (0)

/* W[i+4] from W[i..i+3] (w0..w3), in place into w0:
 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]. */
#define SCHED(w0, w1, w2, w3)                                                     \
	(w0) = _mm_sha256msg2_epu32(                                              \
		_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)),                   \
			      _mm_alignr_epi8((w3), (w2), 4)),                    \
		(w3))

/* One 64-byte block into s. The 16 groups of 4 rounds cycle through four
 * registers of schedule words: group i uses w[i % 4], which then becomes
 * the words of group i + 4. */
static inline void block1(struct st *s, const uint8_t *p)
{
	const __m128i bs = BSWAP32_MASK();
	struct st save = *s;
	__m128i w0 = _mm_shuffle_epi8(LDU(p), bs);
	__m128i w1 = _mm_shuffle_epi8(LDU(p + 16), bs);
	__m128i w2 = _mm_shuffle_epi8(LDU(p + 32), bs);
	__m128i w3 = _mm_shuffle_epi8(LDU(p + 48), bs);
	for (int i = 0; i < 12; i += 4) {
		ROUNDS4(*s, w0, i);
		SCHED(w0, w1, w2, w3);
		ROUNDS4(*s, w1, i + 1);
		SCHED(w1, w2, w3, w0);
		ROUNDS4(*s, w2, i + 2);
		SCHED(w2, w3, w0, w1);
		ROUNDS4(*s, w3, i + 3);
		SCHED(w3, w0, w1, w2);
	}
	ROUNDS4(*s, w0, 12);
	ROUNDS4(*s, w1, 13);
	ROUNDS4(*s, w2, 14);
	ROUNDS4(*s, w3, 15);
	s->abef = _mm_add_epi32(s->abef, save.abef);
	s->cdgh = _mm_add_epi32(s->cdgh, save.cdgh);
}

/* The same on two messages' states, interleaved step by step so the two
 * round chains overlap in the pipeline. */
static inline void block2(struct st *a, const uint8_t *pa, struct st *b, const uint8_t *pb)
{
	const __m128i bs = BSWAP32_MASK();
	struct st sa = *a, sb = *b;
	__m128i a0 = _mm_shuffle_epi8(LDU(pa), bs), b0 = _mm_shuffle_epi8(LDU(pb), bs);
	__m128i a1 = _mm_shuffle_epi8(LDU(pa + 16), bs), b1 = _mm_shuffle_epi8(LDU(pb + 16), bs);
	__m128i a2 = _mm_shuffle_epi8(LDU(pa + 32), bs), b2 = _mm_shuffle_epi8(LDU(pb + 32), bs);
	__m128i a3 = _mm_shuffle_epi8(LDU(pa + 48), bs), b3 = _mm_shuffle_epi8(LDU(pb + 48), bs);
	for (int i = 0; i < 12; i += 4) {
		ROUNDS4(*a, a0, i);
		ROUNDS4(*b, b0, i);
		SCHED(a0, a1, a2, a3);
		SCHED(b0, b1, b2, b3);
		ROUNDS4(*a, a1, i + 1);
		ROUNDS4(*b, b1, i + 1);
		SCHED(a1, a2, a3, a0);
		SCHED(b1, b2, b3, b0);
		ROUNDS4(*a, a2, i + 2);
		ROUNDS4(*b, b2, i + 2);
		SCHED(a2, a3, a0, a1);
		SCHED(b2, b3, b0, b1);
		ROUNDS4(*a, a3, i + 3);
		ROUNDS4(*b, b3, i + 3);
		SCHED(a3, a0, a1, a2);
		SCHED(b3, b0, b1, b2);
	}
	ROUNDS4(*a, a0, 12);
	ROUNDS4(*b, b0, 12);
	ROUNDS4(*a, a1, 13);
	ROUNDS4(*b, b1, 13);
	ROUNDS4(*a, a2, 14);
	ROUNDS4(*b, b2, 14);
	ROUNDS4(*a, a3, 15);
	ROUNDS4(*b, b3, 15);
	a->abef = _mm_add_epi32(a->abef, sa.abef);
	a->cdgh = _mm_add_epi32(a->cdgh, sa.cdgh);
	b->abef = _mm_add_epi32(b->abef, sb.abef);
	b->cdgh = _mm_add_epi32(b->cdgh, sb.cdgh);
}

/* The last len % 64 bytes of message m and the padding: 0x80, zeros, the
 * length in bits big-endian; one block, or two when fewer than 9 bytes are
 * left in the first. (m may be NULL when len is 0.) */
static void finish(struct st *s, const uint8_t *m, size_t len, uint8_t out[32])
{
	uint8_t tail[128];
	size_t r = len % 64;
	size_t nb = r < 56 ? 1 : 2;
	memset(tail, 0, sizeof(tail));
	if (r)
		memcpy(tail, m + (len - r), r);
	tail[r] = 0x80;
	uint64_t bits = (uint64_t)len << 3;
	for (int i = 0; i < 8; i++)
		tail[64 * nb - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
	block1(s, tail);
	if (nb == 2)
		block1(s, tail + 64);
	st_out(*s, out);
}

static void one(const uint8_t *m, size_t len, uint8_t out[32])
{
	struct st s = st_init();
	size_t full = len / 64;
	for (size_t b = 0; b < full; b++)
		block1(&s, m + 64 * b);
	finish(&s, m, len, out);
}

void hash_sha256_many_ni(const uint8_t *const *msg, const size_t *len, size_t count,
			 uint8_t (*out)[32])
{
	size_t i = 0;
	for (; i + 1 < count; i += 2) {
		const uint8_t *ma = msg[i], *mb = msg[i + 1];
		size_t fa = len[i] / 64, fb = len[i + 1] / 64;
		size_t both = fa < fb ? fa : fb;
		struct st a = st_init(), b = st_init();
		for (size_t k = 0; k < both; k++)
			block2(&a, ma + 64 * k, &b, mb + 64 * k);
		/* Unequal lengths: the longer one runs on alone. */
		for (size_t k = both; k < fa; k++)
			block1(&a, ma + 64 * k);
		for (size_t k = both; k < fb; k++)
			block1(&b, mb + 64 * k);
		finish(&a, ma, len[i], out[i]);
		finish(&b, mb, len[i + 1], out[i + 1]);
	}
	if (i < count)
		one(msg[i], len[i], out[i]);
}

void hash_sha256_many_ni1(const uint8_t *const *msg, const size_t *len, size_t count,
			  uint8_t (*out)[32])
{
	for (size_t i = 0; i < count; i++)
		one(msg[i], len[i], out[i]);
}
