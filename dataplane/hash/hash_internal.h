/* Multi-buffer BLAKE2b-256 variants behind byz_hash_many (byz/hash.h). */
#ifndef BYZ_HASH_INTERNAL_H
#define BYZ_HASH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Arguments already checked by byz_hash_many; the CPU already checked. */
void hash_many_avx2(const uint8_t *const *msg, const size_t *len, size_t count,
		    uint8_t (*out)[32]);
void hash_many_avx512(const uint8_t *const *msg, const size_t *len,
		      size_t count, uint8_t (*out)[32]);

#endif
