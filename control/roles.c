/* Roles from shared randomness: a seeded permutation, so nobody chooses its
 * part, its validator or its target. */
#include <string.h>

#include <sodium.h>

#include "byz/proto.h"

void byz_perm(const uint8_t seed[32], const char *tag, uint64_t step, uint16_t attempt,
	      uint16_t *items, uint32_t n)
{
	if (n < 2)
		return;
	crypto_generichash_state st;
	uint8_t key[32], tail[10];
	byz_put64(tail, step);
	byz_put16(tail + 8, attempt);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)tag, strlen(tag));
	crypto_generichash_update(&st, seed, 32);
	crypto_generichash_update(&st, tail, sizeof(tail));
	crypto_generichash_final(&st, key, 32);
	/* 8 random bytes per swap; modulo bias is below 2^-48 for n <= 2^16. */
	uint8_t rnd[8 * 256];
	uint8_t nonce[8] = {0};
	uint64_t blk = 0;
	uint32_t used = 256;
	for (uint32_t i = n - 1; i > 0; i--) {
		if (used == 256) {
			byz_put64(nonce, blk++);
			crypto_stream_chacha20(rnd, sizeof(rnd), nonce, key);
			used = 0;
		}
		uint64_t r = byz_le64(rnd + 8 * used++);
		uint32_t j = (uint32_t)(r % (i + 1));
		uint16_t t = items[i];
		items[i] = items[j];
		items[j] = t;
	}
}
