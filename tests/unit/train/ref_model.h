/*
 * Independent double-precision reference of the built-in models, written
 * from the documented parameter layout (docs/training.md) with plain loops.
 * Tests compare byz_model_loss/grad against it and against its finite
 * differences.
 */
#ifndef BYZ_TEST_REF_MODEL_H
#define BYZ_TEST_REF_MODEL_H

#include <math.h>
#include <stdlib.h>

#include "byz/model.h"

static inline void ref_dense(const double *W, const double *b, const double *in,
			     size_t ni, size_t no, int relu, double *out)
{
	for (size_t o = 0; o < no; o++) {
		double s = b[o];
		for (size_t i = 0; i < ni; i++)
			s += W[o * ni + i] * in[i];
		out[o] = relu && s < 0 ? 0 : s;
	}
}

/* Mean cross-entropy of a batch under the reference model. */
static inline double ref_loss(const struct byz_model_spec *s, const double *p,
			      const float *x, const uint32_t *y, uint32_t n)
{
	const size_t C = s->classes, D = (size_t)s->channels * s->height * s->width;
	double *buf = calloc(4 * (D + 4096 + 1024), sizeof(double));
	double *in = buf, *h1 = buf + D + 4096, *h2 = h1 + D + 4096,
	       *lg = h2 + D + 4096;
	double total = 0;
	for (uint32_t e = 0; e < n; e++) {
		const float *xe = x + (size_t)e * D;
		const double *q = p;
		size_t feat = D;
		if (s->kind == BYZ_MODEL_CNN) {
			const size_t F = s->filters, H = s->height, W = s->width,
				     Ci = s->channels, H2 = H / 2, W2 = W / 2;
			const double *K = q, *bk = q + F * Ci * 9;
			for (size_t f = 0; f < F; f++)
				for (size_t i = 0; i < H2; i++)
					for (size_t j = 0; j < W2; j++) {
						double best = -INFINITY;
						for (size_t dy = 0; dy < 2; dy++)
							for (size_t dx = 0; dx < 2; dx++) {
								long yy = (long)(2 * i + dy), xx = (long)(2 * j + dx);
								double z = bk[f];
								for (size_t c = 0; c < Ci; c++)
									for (long ky = 0; ky < 3; ky++)
										for (long kx = 0; kx < 3; kx++) {
											long sy = yy + ky - 1, sx = xx + kx - 1;
											if (sy < 0 || sx < 0 || sy >= (long)H || sx >= (long)W)
												continue;
											z += K[((f * Ci + c) * 3 + (size_t)ky) * 3 + (size_t)kx] *
											     xe[(c * H + (size_t)sy) * W + (size_t)sx];
										}
								z = z < 0 ? 0 : z;
								if (z > best)
									best = z;
							}
						in[(f * H2 + i) * W2 + j] = best;
					}
			feat = F * H2 * W2;
			q += F * Ci * 9 + F;
		} else {
			for (size_t i = 0; i < D; i++)
				in[i] = xe[i];
		}
		const double *last = in;
		size_t lw = feat;
		if (s->kind == BYZ_MODEL_MLP) {
			ref_dense(q, q + s->hidden[0] * lw, last, lw, s->hidden[0], 1, h1);
			q += s->hidden[0] * lw + s->hidden[0];
			last = h1;
			lw = s->hidden[0];
			if (s->hidden[1]) {
				ref_dense(q, q + s->hidden[1] * lw, last, lw, s->hidden[1], 1, h2);
				q += s->hidden[1] * lw + s->hidden[1];
				last = h2;
				lw = s->hidden[1];
			}
		}
		ref_dense(q, q + C * lw, last, lw, C, 0, lg);
		double mx = lg[0], sum = 0;
		for (size_t c = 1; c < C; c++)
			mx = lg[c] > mx ? lg[c] : mx;
		for (size_t c = 0; c < C; c++)
			sum += exp(lg[c] - mx);
		total += mx + log(sum) - lg[y[e]];
	}
	free(buf);
	return total / n;
}

#endif
