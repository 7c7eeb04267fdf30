/* Commitment hashes, params digests, batch seeds and MPRNG values: the
 * canonical byte strings every honest peer hashes identically. Each hash
 * starts with a domain byte so no two kinds of value can collide. */
#include <string.h>

#include <sodium.h>

#include "byz/merkle.h"
#include "byz/proto.h"

/* A commitment to a vector: the Merkle root over its 64 KiB leaves
 * (byz/merkle.h), bound to what it is (domain byte, run, step, signer, part)
 * and to its length, which fixes the tree's shape. The leaves are the
 * float32 little-endian bytes, i.e. the vector's memory on every host this
 * builds for, so the dataplane can hash them in place as they arrive. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "commitments hash float32 little-endian bytes in place");

static void hash_vec(uint8_t dom, const uint8_t run_id[32], uint64_t step, uint16_t who,
		     uint16_t part, const float *v, uint32_t len, uint8_t out[32])
{
	uint8_t pre[1 + 32 + 8 + 2 + 2 + 4 + 32];
	pre[0] = dom;
	memcpy(pre + 1, run_id, 32);
	byz_put64(pre + 33, step);
	byz_put16(pre + 41, who);
	byz_put16(pre + 43, part);
	byz_put32(pre + 45, len);
	byz_merkle_root(v, (size_t)len * sizeof(float), pre + 49);
	crypto_generichash(out, 32, pre, sizeof(pre), NULL, 0);
}

void byz_part_hash(const uint8_t run_id[32], uint64_t step, uint16_t sender, uint16_t part,
		   const float *v, uint32_t len, uint8_t out[32])
{
	hash_vec('P', run_id, step, sender, part, v, len, out);
}

void byz_agg_hash(const uint8_t run_id[32], uint64_t step, uint16_t aggregator, uint16_t part,
		  const float *v, uint32_t len, uint8_t out[32])
{
	hash_vec('A', run_id, step, aggregator, part, v, len, out);
}

void byz_params_digest(const uint8_t run_id[32], uint64_t step, const float *x, size_t d,
		       uint8_t out[32])
{
	/* d may exceed a u32 part; hash in part-sized slices under one state. */
	crypto_generichash_state st;
	uint8_t pre[1 + 32 + 8];
	pre[0] = 'X';
	memcpy(pre + 1, run_id, 32);
	byz_put64(pre + 33, step);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, pre, sizeof(pre));
	uint8_t buf[1024];
	for (size_t i = 0; i < d;) {
		size_t m = d - i < 256 ? d - i : 256;
		for (size_t c = 0; c < m; c++)
			byz_putf32(buf + 4 * c, x[i + c]);
		crypto_generichash_update(&st, buf, 4 * m);
		i += m;
	}
	crypto_generichash_final(&st, out, 32);
}

void byz_batch_seed(const uint8_t run_id[32], uint64_t step, const uint8_t r_prev[32],
		    const uint8_t pk[32], uint8_t out[32])
{
	uint8_t b[9 + 32 + 8 + 32 + 32];
	memcpy(b, "byz-batch", 9);
	memcpy(b + 9, run_id, 32);
	byz_put64(b + 41, step);
	memcpy(b + 49, r_prev, 32);
	memcpy(b + 81, pk, 32);
	crypto_generichash(out, 32, b, sizeof(b), NULL, 0);
}

void byz_genesis(const uint8_t run_id[32], uint8_t out[32])
{
	uint8_t b[11 + 32];
	memcpy(b, "byz-genesis", 11);
	memcpy(b + 11, run_id, 32);
	crypto_generichash(out, 32, b, sizeof(b), NULL, 0);
}

void byz_mprng_rho(const uint8_t sk[64], const uint8_t run_id[32], uint64_t step,
		   uint16_t attempt, uint8_t out[32])
{
	/* Keyed by the secret seed: unpredictable to others, yet replayable. */
	uint8_t b[3 + 32 + 8 + 2];
	memcpy(b, "rho", 3);
	memcpy(b + 3, run_id, 32);
	byz_put64(b + 35, step);
	byz_put16(b + 43, attempt);
	crypto_generichash(out, 32, b, sizeof(b), sk, 32);
}

void byz_mprng_commit(const uint8_t run_id[32], uint64_t step, uint16_t attempt,
		      uint16_t sender, const uint8_t rho[32], uint8_t out[32])
{
	uint8_t b[1 + 32 + 8 + 2 + 2 + 32];
	b[0] = 'C';
	memcpy(b + 1, run_id, 32);
	byz_put64(b + 33, step);
	byz_put16(b + 41, attempt);
	byz_put16(b + 43, sender);
	memcpy(b + 45, rho, 32);
	crypto_generichash(out, 32, b, sizeof(b), NULL, 0);
}
