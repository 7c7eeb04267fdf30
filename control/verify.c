/* Random-projection verification of CenteredClip. z is Rademacher (exact in
 * float64) from ChaCha20 keyed by r_t, so nobody knows it before the reveal. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "byz/proto.h"

void byz_proj(const uint8_t r_t[32], uint16_t part, const float *v, const float *y,
	      uint32_t len, double *s, double *n)
{
	uint8_t nonce[8] = {0};
	byz_put16(nonce, part);
	uint8_t bits[512];
	double ss = 0, nn = 0;
	uint64_t ic = 0;
	for (uint32_t c = 0; c < len; c++) {
		if (c % 4096 == 0) {
			size_t want = (len - c + 7) / 8;
			if (want > sizeof(bits))
				want = sizeof(bits);
			/* Continue the stream at byte offset c/8 (a multiple of 64). */
			crypto_stream_chacha20_xor_ic(bits, (const uint8_t[512]){0}, want, nonce,
						      ic, r_t);
			ic += 512 / 64;
		}
		uint32_t o = c % 4096;
		double u = (double)v[c] - (double)y[c];
		ss += ((bits[o / 8] >> (o % 8)) & 1) ? -u : u;
		nn += u * u;
	}
	*s = ss;
	*n = sqrt(nn);
}

int byz_fixed_point_ok(double tau, double eps, double kappa, uint32_t len, double ynorm,
		       uint32_t k, const double *s, const double *n, double *lhs, double *tol)
{
	const double u = 0x1p-53;
	double sum = 0, wn = 0;
	for (uint32_t i = 0; i < k; i++) {
		double w = (n[i] > tau) ? tau / n[i] : 1.0;
		sum += w * s[i];
		wn += w * n[i];
	}
	double zn = sqrt((double)len);
	double t = kappa * k * zn * (eps + 0x1p-23 * ynorm) +
		   4.0 * (2.0 * len + k + 4.0) * u * zn * wn;
	if (lhs)
		*lhs = fabs(sum);
	if (tol)
		*tol = t;
	return fabs(sum) <= t;
}
