/* Toy least-squares oracle: deterministic data from ChaCha20 streams, so any
 * peer can recompute any other peer's gradient bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/oracle.h"

/* Uniform [-1, 1) from 32 random bits; exact in float64. */
static double unif(const uint8_t *p)
{
	uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return (double)u * (2.0 / 4294967296.0) - 1.0;
}

int byz_toy_lsq_init(struct byz_toy_lsq *t, const uint8_t run_id[32], size_t d, uint32_t batch)
{
	if (!t || !run_id || d == 0 || batch == 0 || d > (1u << 24))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->xstar = malloc(d * sizeof(float));
	uint8_t *buf = malloc(4 * d);
	if (!t->xstar || !buf) {
		free(buf);
		free(t->xstar);
		t->xstar = NULL;
		return -ENOMEM;
	}
	uint8_t key[32];
	crypto_generichash(key, 32, run_id, 32, (const uint8_t *)"byz-toy-xstar", 13);
	uint8_t nonce[8] = {0};
	crypto_stream_chacha20(buf, 4 * d, nonce, key);
	for (size_t c = 0; c < d; c++)
		t->xstar[c] = (float)unif(buf + 4 * c);
	free(buf);
	t->d = d;
	t->batch = batch;
	return 0;
}

void byz_toy_lsq_free(struct byz_toy_lsq *t)
{
	if (!t)
		return;
	free(t->xstar);
	t->xstar = NULL;
}

int byz_toy_lsq_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g)
{
	const struct byz_toy_lsq *t = ctx;
	if (!t || !x || !seed || !g || d != t->d)
		return -EINVAL;
	size_t row = 4 * (d + 1);
	uint8_t *buf = malloc(row);
	double *acc = calloc(d, sizeof(double));
	if (!buf || !acc) {
		free(buf);
		free(acc);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < t->batch; s++) {
		/* Sample s is ChaCha20 block stream (seed, nonce = s): independent per sample. */
		uint8_t nonce[8];
		for (int i = 0; i < 8; i++)
			nonce[i] = (uint8_t)((uint64_t)s >> (8 * i));
		crypto_stream_chacha20(buf, row, nonce, seed);
		double ax = 0, b = 0.01 * unif(buf + 4 * d);
		for (size_t c = 0; c < d; c++) {
			double a = unif(buf + 4 * c);
			ax += a * x[c];
			b += a * t->xstar[c];
		}
		double r = ax - b;
		for (size_t c = 0; c < d; c++)
			acc[c] += r * unif(buf + 4 * c);
	}
	for (size_t c = 0; c < d; c++)
		g[c] = (float)(acc[c] / t->batch);
	free(acc);
	free(buf);
	return 0;
}

double byz_toy_lsq_dist(const struct byz_toy_lsq *t, const float *x)
{
	double s = 0;
	for (size_t c = 0; c < t->d; c++) {
		double u = (double)x[c] - t->xstar[c];
		s += u * u;
	}
	return sqrt(s);
}
