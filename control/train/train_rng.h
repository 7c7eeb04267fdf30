/*
 * Internal PRNG of byz_train: xoshiro256** seeded from a 32-byte seed.
 * Only integer arithmetic and exact IEEE operations are used, so every
 * stream is bit-identical on any machine. Not cryptographic: seeds are
 * public by design, unpredictability comes from how the protocol derives
 * them.
 */
#ifndef BYZ_TRAIN_RNG_H
#define BYZ_TRAIN_RNG_H

#include <stdint.h>

#include "byz/data.h"

struct train_rng {
	uint64_t s[4];
};

void train_rng_seed(struct train_rng *r, const struct byz_seed *seed);
void train_rng_seed_u64(struct train_rng *r, uint64_t seed);
uint64_t train_rng_next(struct train_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double train_rng_unif(struct train_rng *r);
/* Uniform integer in [0, bound), bound >= 1, unbiased (Lemire). */
uint64_t train_rng_below(struct train_rng *r, uint64_t bound);
/* Approximately standard normal: sum of 12 uniforms minus 6 (Irwin-Hall).
 * Mean 0, variance 1, tails cut at +-6; chosen over Box-Muller because it
 * needs no libm call, so data are identical whatever the libm. */
double train_rng_gauss(struct train_rng *r);

uint64_t train_splitmix64(uint64_t *state);

#endif /* BYZ_TRAIN_RNG_H */
