/*
 * The scalar reference of CenteredClip: the specification every other
 * implementation is tested against. Written for clarity, not speed: each
 * iteration makes one pass for distances and one for the update, the median
 * sorts every coordinate, and all arithmetic on y is float64.
 *
 *   y_0 = coordinate-wise lower median
 *   repeat up to max_iters times:
 *       w_i = min(1, tau / ||v_i - y||)          (1 at distance 0)
 *       r   = (1/k) sum_i w_i (v_i - y)
 *       y  += r
 *       stop once ||r|| <= eps
 *   return float32(y), with distances, residual and clipped count measured
 *   at that float32 point (clip_check_with).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

int clip_run_ref(const float *const *v, uint32_t k, size_t d,
		 const struct byz_clip_params *p, float *out, double *dist,
		 struct byz_clip_result *res)
{
	double *y = malloc(d * sizeof(*y));
	double *w = malloc(k * sizeof(*w));
	float *col = malloc(k * sizeof(*col));
	int rc = 0;

	if (!y || !w || !col) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < k; i++)
		for (size_t c = 0; c < d; c++)
			if (!isfinite(v[i][c])) {
				rc = -EDOM;
				goto out_free;
			}

	for (size_t c = 0; c < d; c++) {
		for (uint32_t i = 0; i < k; i++)
			col[i] = v[i][c];
		qsort(col, k, sizeof(*col), cmp_float);
		y[c] = col[(k - 1) / 2];
	}

	uint32_t it = 0;
	while (it < p->max_iters) {
		for (uint32_t i = 0; i < k; i++) {
			double s = 0;
			for (size_t c = 0; c < d; c++) {
				double u = (double)v[i][c] - y[c];
				s += u * u;
			}
			w[i] = clip_weight(sqrt(s), p->tau);
		}
		double rn2 = 0;
		for (size_t c = 0; c < d; c++) {
			double r = 0;
			for (uint32_t i = 0; i < k; i++)
				r += w[i] * ((double)v[i][c] - y[c]);
			r /= k;
			y[c] += r;
			rn2 += r * r;
		}
		it++;
		if (sqrt(rn2) <= p->eps)
			break;
	}

	for (size_t c = 0; c < d; c++)
		out[c] = (float)y[c];
	res->iters = it;
	rc = clip_check_with(&clip_kernels_scalar, v, k, d, p->tau, out, dist,
			     &res->clipped, &res->residual);
out_free:
	free(col);
	free(w);
	free(y);
	return rc;
}
