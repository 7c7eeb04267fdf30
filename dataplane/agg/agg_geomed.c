/*
 * Geometric median by smoothed Weiszfeld iterations:
 *
 *     w_i = 1 / max(nu, ||v_i - y||),   y <- sum_i w_i v_i / sum_i w_i
 *
 * Start: the coordinate-wise lower median, not the mean. With fewer than half
 * the inputs adversarial the median already sits among the honest inputs, so
 * the iteration starts near the answer; the mean can be dragged arbitrarily
 * far by one input and would spend iterations coming back. Stop after a step
 * of norm <= eps or max_iters steps; the reported residual is the last step's
 * norm. The smoothing nu keeps the weights finite when y meets an input
 * (Pillutla, Kakade, Harchaoui, "Robust aggregation for federated learning").
 * y lives in double throughout and is rounded to float32 once, at the end.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"
#include "byz/clip.h"

/* ||x - y||^2 with four partial sums (one would be bound by the add latency). */
static double sqdist_fd(const float *x, const double *y, size_t d)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t c = 0;
	for (; c + 4 <= d; c += 4) {
		double t0 = (double)x[c] - y[c], t1 = (double)x[c + 1] - y[c + 1];
		double t2 = (double)x[c + 2] - y[c + 2], t3 = (double)x[c + 3] - y[c + 3];
		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	for (; c < d; c++) {
		double t = (double)x[c] - y[c];
		s0 += t * t;
	}
	return (s0 + s1) + (s2 + s3);
}

int byz_agg_geomed(const float *const *v, uint32_t k, size_t d, double eps,
		   uint32_t max_iters, double nu, float *out, uint32_t *iters,
		   double *last_step)
{
	int rc = byz_median_lower(v, k, d, out);
	if (rc)
		return rc;
	*iters = 0;
	*last_step = 0;
	if (max_iters == 0)
		return 0;
	double *y = malloc(d * sizeof(double));
	double *ny = malloc(d * sizeof(double));
	double *w = malloc((size_t)k * sizeof(double));
	if (!y || !ny || !w) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t c = 0; c < d; c++)
		y[c] = out[c];
	uint32_t it = 0;
	double step = 0;
	while (it < max_iters) {
		double wsum = 0;
		for (uint32_t i = 0; i < k; i++) {
			double dist = sqrt(sqdist_fd(v[i], y, d));
			w[i] = 1.0 / (dist > nu ? dist : nu);
			wsum += w[i];
		}
		memset(ny, 0, d * sizeof(double));
		for (uint32_t i = 0; i < k; i++) {
			const float *x = v[i];
			double wi = w[i];
			for (size_t c = 0; c < d; c++)
				ny[c] += wi * (double)x[c];
		}
		double s = 0;
		for (size_t c = 0; c < d; c++) {
			double t = ny[c] / wsum;
			double dl = t - y[c];
			s += dl * dl;
			y[c] = t;
		}
		step = sqrt(s);
		it++;
		if (step <= eps)
			break;
	}
	for (size_t c = 0; c < d; c++)
		out[c] = (float)y[c];
	*iters = it;
	*last_step = step;
out:
	free(y);
	free(ny);
	free(w);
	return rc;
}
