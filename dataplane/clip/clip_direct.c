/*
 * Direct CenteredClip with SIMD kernels: the reference's iteration, but each
 * iteration is one fused pass (update y and measure the distances to the new
 * y while the block is still in cache) instead of two.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"

int clip_run_direct(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, const struct byz_clip_params *p,
		    float *out, double *dist, struct byz_clip_result *res)
{
	double *y = malloc(d * sizeof(*y));
	double *d2 = calloc(3 * (size_t)k, sizeof(double));
	int rc;

	if (!y || !d2) {
		rc = -ENOMEM;
		goto out_free;
	}
	double *d2n = d2 + k, *w = d2 + 2 * k;

	rc = clip_median_all(kn, v, k, d, out);
	if (rc)
		goto out_free;
	for (size_t c = 0; c < d; c++)
		y[c] = out[c];

	uint32_t it = 0;
	if (p->max_iters)
		kn->dist2_d(v, k, 0, d, y, d2);
	while (it < p->max_iters) {
		for (uint32_t i = 0; i < k; i++) {
			w[i] = clip_weight(sqrt(d2[i]), p->tau);
			d2n[i] = 0;
		}
		double rn2 = kn->step(v, k, 0, d, w, y, d2n);
		memcpy(d2, d2n, k * sizeof(double));
		it++;
		if (sqrt(rn2) <= p->eps)
			break;
	}
	for (size_t c = 0; c < d; c++)
		out[c] = (float)y[c];
	res->iters = it;
	rc = clip_check_with(kn, v, k, d, p->tau, out, dist, &res->clipped,
			     &res->residual);
out_free:
	free(d2);
	free(y);
	return rc;
}
