/* Multi-buffer BLAKE2b-256 variants behind byz_hash_many and SHA-NI SHA-256
 * behind byz_sha256_many (byz/hash.h). */
#ifndef BYZ_HASH_INTERNAL_H
#define BYZ_HASH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Arguments already checked by byz_hash_many; the CPU already checked. */
void hash_many_avx2(const uint8_t *const *msg, const size_t *len, size_t count,
		    uint8_t (*out)[32]);
void hash_many_avx512(const uint8_t *const *msg, const size_t *len,
		      size_t count, uint8_t (*out)[32]);

/* SHA-NI (hash_sha256_ni.c): two messages interleaved, and one at a time. */
void hash_sha256_many_ni(const uint8_t *const *msg, const size_t *len, size_t count,
			 uint8_t (*out)[32]);
void hash_sha256_many_ni1(const uint8_t *const *msg, const size_t *len, size_t count,
			  uint8_t (*out)[32]);

#endif
