/* Shared pieces of byz-bench allreduce: see bench_ar.h. */
#include <string.h>

#include <sodium.h>

#include "bench_ar.h"
#include "byz/auth.h"
#include "byz/clip.h"
#include "byz/dp.h"
#include "byz/hash.h"

const char *ar_transport_name(enum ar_transport t)
{
	switch (t) {
	case AR_RING:
		return "ring";
	case AR_MEMIF:
		return "memif";
	case AR_AFPACKET:
		return "afpacket";
	case AR_AFXDP:
		return "afxdp";
	}
	return "?";
}

static void ar_ident(uint64_t seed, int i, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t s[32] = {'b', 'e', 'n', 'c', 'h'};
	memcpy(s + 8, &seed, sizeof(seed));
	s[16] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, s);
}

int ar_auth_keys(struct byz_dp *dp, int self, int n, uint64_t seed)
{
	uint8_t run_id[32], pk[32], sk[64], peer_pk[32], peer_sk[64];
	crypto_generichash(run_id, sizeof(run_id), (const uint8_t *)&seed, sizeof(seed), NULL, 0);
	ar_ident(seed, self, pk, sk);
	int e = 0;
	for (int j = 0; j < n && !e; j++) {
		if (j == self)
			continue;
		struct byz_auth_keys k;
		ar_ident(seed, j, peer_pk, peer_sk);
		e = byz_auth_derive(sk, pk, peer_pk, run_id, &k);
		if (!e)
			e = byz_dp_set_keys(dp, (uint16_t)j, &k, 1);
		sodium_memzero(&k, sizeof(k));
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(peer_sk, sizeof(peer_sk));
	return e;
}

void ar_fill_grad(float *g, size_t nf, uint64_t seed, int peer)
{
	uint64_t s = (seed * 64 + (uint64_t)peer) * 0x9e3779b97f4a7c15ull + 7;
	for (size_t k = 0; k < nf; k++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		float noise = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
		g[k] = 1e-3f * (float)((k * 2654435761u) % 1000) + 1e-3f * noise;
	}
}

void ar_hash_leaves(const void *buf, uint32_t len, uint8_t (*out)[32])
{
	/* Cannot fail for a non-NULL buffer; zeroed digests would only make
	 * every later check fail. */
	if (byz_hash_leaves(buf, len, AR_LEAF, out))
		memset(out, 0, (size_t)ar_leaves(len) * 32);
}

/* Leaves are hashed in batches across the SIMD lanes; the batch is the one
 * byz_hash_leaves uses inside, so a stack array holds it. */
enum { LEAF_BATCH = 64 };

/* Digests of the leaves [l, l + LEAF_BATCH) of buf (fewer at the end) into
 * h; returns how many (a failure zeroes them: every later check fails). */
static uint32_t leaf_batch(const uint8_t *buf, uint32_t len, uint32_t l, uint8_t (*h)[32])
{
	uint32_t nl = ar_leaves(len);
	uint32_t c = nl - l < LEAF_BATCH ? nl - l : LEAF_BATCH;
	size_t off = (size_t)l * AR_LEAF;
	size_t n = len - off < (size_t)c * AR_LEAF ? len - off : (size_t)c * AR_LEAF;
	if (byz_hash_leaves(buf + off, n, AR_LEAF, h))
		memset(h, 0, (size_t)c * 32);
	return c;
}

int ar_verify_leaves(const void *buf, uint32_t len, const uint8_t (*want)[32])
{
	uint8_t h[LEAF_BATCH][32];
	for (uint32_t l = 0; l < ar_leaves(len); l += LEAF_BATCH) {
		uint32_t c = leaf_batch(buf, len, l, h);
		if (memcmp(h, want[l], (size_t)c * 32))
			return -1;
	}
	return 0;
}

void ar_leaf_root(const void *buf, uint32_t len, uint8_t out[32])
{
	/* The root the protocol would sign: BLAKE2b over the leaf digests, fed
	 * batch by batch so no buffer scales with the part. */
	uint8_t h[LEAF_BATCH][32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	for (uint32_t l = 0; l < ar_leaves(len); l += LEAF_BATCH) {
		uint32_t c = leaf_batch(buf, len, l, h);
		crypto_generichash_update(&st, &h[0][0], (size_t)c * 32);
	}
	crypto_generichash_final(&st, out, 32);
}

void ar_mean(const float *const *in, int n, uint64_t mask, size_t d, float *out)
{
	int cnt = 0;
	for (int i = 0; i < n; i++)
		cnt += (int)((mask >> i) & 1u);
	for (size_t c = 0; c < d; c++) {
		float s = 0;
		for (int i = 0; i < n; i++)
			if ((mask >> i) & 1u)
				s += in[i][c];
		out[c] = cnt ? s / (float)cnt : 0.0f;
	}
}

int ar_clip(const float *const *in, int n, uint64_t mask, size_t d, double tau, float *out)
{
	const float *sel[AR_MAXP];
	uint32_t k = 0;
	for (int i = 0; i < n; i++)
		if ((mask >> i) & 1u)
			sel[k++] = in[i];
	if (!k)
		return -1;
	struct byz_clip_params cp = {.tau = tau, .eps = 1e-6, .max_iters = 100,
				     .impl = BYZ_CLIP_AUTO};
	return byz_clip(sel, k, d, &cp, out, NULL, NULL);
}

void ar_digest_hex(const void *buf, size_t len, char hex[65])
{
	uint8_t h[32];
	crypto_generichash(h, 32, buf, len, NULL, 0);
	sodium_bin2hex(hex, 65, h, 32);
}
