/* Synthetic gradient source of any d (byz/oracle.h): a ChaCha20 keystream
 * read as int32 noise plus half the parameters. Cheap, deterministic and the
 * same bits on every host, so validation in exact mode works at d = 2^26. */
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/oracle.h"

/* Both terms are exact power-of-two scalings except x / 2 of an odd
 * subnormal, so a contracted fma(x, 0.5, n) could differ from the rounded
 * product plus n there: keep the compiler from contracting. */
#if defined(__clang__)
#define NO_CONTRACT
#elif defined(__GNUC__)
#define NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_CONTRACT
#endif

NO_CONTRACT int byz_synth_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32],
			       float *g)
{
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
	(void)ctx;
	if (!x || !seed || !g || d == 0 || d > SIZE_MAX / 4)
		return -EINVAL;
	uint8_t key[crypto_stream_chacha20_KEYBYTES];
	static const uint8_t dom[] = "byz-synth-grad-v1";
	crypto_generichash(key, sizeof(key), seed, 32, dom, sizeof(dom) - 1);
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	/* the keystream is written into g itself, then turned into floats in place */
	crypto_stream_chacha20((unsigned char *)g, 4u * (unsigned long long)d, nonce, key);
	sodium_memzero(key, sizeof(key));
	uint8_t *b = (uint8_t *)g;
	for (size_t c = 0; c < d; c++) {
		const uint8_t *p = b + 4 * c;
		int32_t u = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				      (uint32_t)p[3] << 24);
		float half = x[c] * 0.5f;
		float noise = (float)u * 0x1p-41f;
		g[c] = half + noise;
	}
	return 0;
}
