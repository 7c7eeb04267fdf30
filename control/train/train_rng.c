/* Seeded streams for data, batches, initialisation and attacks. */
#include <string.h>

#include "train_rng.h"

uint64_t train_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void train_rng_seed(struct train_rng *r, const struct byz_seed *seed)
{
	/* Mix every seed word through splitmix so that related seeds (one
	 * bit apart, all zero) still give unrelated, non-degenerate states. */
	uint64_t acc = 0x6a09e667f3bcc908ull;
	for (int i = 0; i < 4; i++) {
		acc ^= load_le64(seed->b + 8 * i);
		r->s[i] = train_splitmix64(&acc);
	}
	for (int i = 0; i < 4; i++)
		r->s[i] ^= train_splitmix64(&acc);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

void train_rng_seed_u64(struct train_rng *r, uint64_t seed)
{
	struct byz_seed s;
	byz_seed_from_u64(seed, &s);
	train_rng_seed(r, &s);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t train_rng_next(struct train_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double train_rng_unif(struct train_rng *r)
{
	return (double)(train_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t train_rng_below(struct train_rng *r, uint64_t bound)
{
	/* Lemire's multiply-shift with rejection of the biased low band. */
	unsigned __int128 m = (unsigned __int128)train_rng_next(r) * bound;
	uint64_t lo = (uint64_t)m;
	if (lo < bound) {
		uint64_t thresh = (0 - bound) % bound;
		while (lo < thresh) {
			m = (unsigned __int128)train_rng_next(r) * bound;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double train_rng_gauss(struct train_rng *r)
{
	double s = 0;
	for (int i = 0; i < 12; i++)
		s += train_rng_unif(r);
	return s - 6.0;
}

void byz_seed_from_u64(uint64_t s, struct byz_seed *out)
{
	uint64_t st = s;
	for (int i = 0; i < 4; i++) {
		uint64_t w = train_splitmix64(&st);
		for (int j = 0; j < 8; j++)
			out->b[8 * i + j] = (uint8_t)(w >> (8 * j));
	}
}

void byz_seed_derive(const struct byz_seed *base, uint64_t a, uint64_t b,
		     struct byz_seed *out)
{
	struct train_rng r;
	struct byz_seed tmp = *base;
	/* Fold the labels into the seed words, then draw 32 fresh bytes. */
	uint64_t st = a ^ 0x243f6a8885a308d3ull;
	uint64_t ka = train_splitmix64(&st);
	st = b ^ 0x13198a2e03707344ull;
	uint64_t kb = train_splitmix64(&st) + ka;
	for (int j = 0; j < 8; j++) {
		tmp.b[j] ^= (uint8_t)(ka >> (8 * j));
		tmp.b[8 + j] ^= (uint8_t)(kb >> (8 * j));
	}
	train_rng_seed(&r, &tmp);
	for (int i = 0; i < 4; i++) {
		uint64_t w = train_rng_next(&r);
		for (int j = 0; j < 8; j++)
			out->b[8 * i + j] = (uint8_t)(w >> (8 * j));
	}
}
