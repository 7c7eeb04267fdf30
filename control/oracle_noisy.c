/* A noisy oracle wrapper: simulates a device whose floating-point kernels
 * differ from the reference by a small relative amount, so tolerance-mode
 * validation can be tested against honest but non-reproducible peers. */
#include <errno.h>

#include <sodium.h>

#include "byz/oracle.h"
#include "byz/wire.h"

int byz_noisy_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g)
{
	const struct byz_noisy_oracle *o = ctx;
	if (!o || !o->inner.grad || !(o->rel >= 0 && o->rel < 1))
		return -EINVAL;
	int rc = o->inner.grad(o->inner.ctx, x, d, seed, g);
	if (rc)
		return rc;
	uint8_t key[32], salt[8];
	byz_put64(salt, o->salt);
	crypto_generichash(key, 32, seed, 32, salt, sizeof(salt));
	uint8_t nonce[8] = {'n', 'o', 'i', 's', 'e', 0, 0, 0};
	uint8_t buf[256];
	for (size_t c = 0; c < d; c += 64) {
		size_t m = d - c < 64 ? d - c : 64;
		/* Block c/64 of the stream: ic counts 64-byte blocks. */
		crypto_stream_chacha20_xor_ic(buf, (const uint8_t[256]){0}, 4 * m, nonce, c / 64 * 4,
					      key);
		for (size_t k = 0; k < m; k++) {
			double u = (double)byz_le32(buf + 4 * k) / 2147483648.0 - 1.0;
			g[c + k] = (float)((double)g[c + k] * (1.0 + o->rel * u));
		}
	}
	sodium_memzero(key, sizeof(key));
	return 0;
}
