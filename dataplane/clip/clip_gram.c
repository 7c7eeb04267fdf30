/*
 * CenteredClip on the Gram matrix: cost independent of the iteration count.
 *
 * Every iterate stays in the affine span of the inputs around a base point b:
 * y = b + U beta, with U = [v_1 - b, ..., v_k - b]. One update is
 *     beta <- beta + (w - W beta) / k,     W = sum_i w_i,
 * and the distances it needs are ||u_i - U beta||^2 = G_ii - 2 (G beta)_i +
 * beta' G beta with G = U'U. So after one pass over the data to build G
 * (fused with the median that gives b), every iteration costs O(k^2) and
 * touches no vector data.
 *
 * The Gram form loses accuracy to cancellation once the residual is tiny
 * compared with the distances, so it never certifies the result itself. A
 * second pass writes y rounded to float32 and, on the same cache-hot blocks,
 * measures the exact squared distances at y, the residual R with the
 * predicted weights, and the rounding's inner products. The exact weights
 * differ from the predicted ones by tiny dw, and
 *     ||r||^2 = R + (2/k) dw'a + dw' M dw / k^2,   a_i = <r_pred, u_i>,
 * where M, the Gram matrix at y, follows from G, beta and the rounding
 * terms in O(k^2). If the residual is still above eps (and the float32
 * rounding does not explain it), one more pass rebuilds G exactly around y
 * and iteration resumes there (at most GRAM_ROUNDS rounds).
 *
 * The kernels (clip_kernels.gram_base/gram_final) are fused SIMD loops in
 * clip_simd_tmpl.h, or OpenBLAS dsyrk/dgemv in clip_gram_blas.c.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"

#define GRAM_ROUNDS 4

static void symmetrize(double *G, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = 0; j < i; j++)
			G[(size_t)i * k + j] = G[(size_t)j * k + i];
}

/* Scratch for the coefficient-space iteration. */
struct gram_ws {
	double *beta, *gb, *w, *c, *dist;
};

/* Distances from base + U beta to every input, and their weights. */
static void gram_dist(const double *G, uint32_t k, double tau,
		      struct gram_ws *s)
{
	cblas_dsymv(CblasRowMajor, CblasUpper, (int)k, 1.0, G, (int)k, s->beta,
		    1, 0.0, s->gb, 1);
	double q = cblas_ddot((int)k, s->beta, 1, s->gb, 1);
	for (uint32_t i = 0; i < k; i++) {
		double d2 = G[(size_t)i * k + i] - 2 * s->gb[i] + q;
		s->dist[i] = sqrt(d2 > 0 ? d2 : 0);
		s->w[i] = clip_weight(s->dist[i], tau);
	}
}

/* Up to cap updates of beta; same stopping rule as the reference. */
static uint32_t gram_iterate(const double *G, uint32_t k, double tau,
			     double eps, uint32_t cap, struct gram_ws *s)
{
	uint32_t it = 0;

	while (it < cap) {
		gram_dist(G, k, tau, s);
		double wsum = 0;
		for (uint32_t i = 0; i < k; i++)
			wsum += s->w[i];
		for (uint32_t i = 0; i < k; i++)
			s->c[i] = (s->w[i] - wsum * s->beta[i]) / k;
		cblas_dsymv(CblasRowMajor, CblasUpper, (int)k, 1.0, G, (int)k,
			    s->c, 1, 0.0, s->gb, 1);
		double r2 = cblas_ddot((int)k, s->c, 1, s->gb, 1);
		for (uint32_t i = 0; i < k; i++)
			s->beta[i] += s->c[i];
		it++;
		if (sqrt(r2 > 0 ? r2 : 0) <= eps)
			break;
	}
	gram_dist(G, k, tau, s);
	return it;
}

int clip_run_gram(const float *const *v, uint32_t k, size_t d,
		  const struct byz_clip_params *p, float *out, double *dist,
		  struct byz_clip_result *res)
{
	const struct clip_kernels *kn = clip_kernels_best();
	size_t kk = (size_t)k * k;
	struct clip_net net = {0};
	struct gram_ws s;
	double *mem = calloc(2 * kk + 9 * (size_t)k, sizeof(double));
	int rc = -ENOMEM;

	if (!mem)
		goto out_free;
	double *G = mem, *M = mem + kk, *a = M + kk, *dw = a + k;
	s.beta = dw + k;
	s.gb = s.beta + k;
	s.w = s.gb + k;
	s.c = s.w + k;
	s.dist = s.c + k;
	double *diag = s.dist + k, *bdot = diag + k;
	rc = clip_net_build(&net, k);
	if (rc)
		goto out_free;

	/* Pass 1: median as the base point, fused with the Gram matrix. */
	rc = kn->gram_base(v, k, d, &net, out, G);
	if (rc)
		goto out_free;
	symmetrize(G, k);

	uint32_t iters = 0;
	double residual = INFINITY;
	for (int round = 0; round < GRAM_ROUNDS; round++) {
		memset(s.beta, 0, k * sizeof(double));
		iters += gram_iterate(G, k, p->tau, p->eps, p->max_iters - iters,
				      &s);

		/* Pass 2: write y; exact squared distances at y; residual R
		 * with the predicted weights s.w; e2 = rounding of y. */
		double R, e2;
		rc = kn->gram_final(v, k, d, s.beta, s.w, out, diag, bdot, &R, &e2);
		if (rc)
			goto out_free;

		/* Exact Gram matrix at the float32 point: the iterate's
		 * u_i = U (e_i - beta) moved by the rounding e, so
		 * M = (I - beta 1')' G (I - beta 1') - b 1' - 1 b' - |e|^2.
		 * The e terms come exact from the pass; the rest is O(k^2). */
		double q = cblas_ddot((int)k, s.beta, 1, s.gb, 1);
		for (uint32_t i = 0; i < k; i++)
			for (uint32_t j = 0; j < k; j++)
				M[(size_t)i * k + j] = G[(size_t)i * k + j] -
						       s.gb[i] - s.gb[j] + q -
						       bdot[i] - bdot[j] - e2;
		for (uint32_t i = 0; i < k; i++) {
			s.dist[i] = sqrt(diag[i]);
			dw[i] = clip_weight(s.dist[i], p->tau) - s.w[i];
			M[(size_t)i * k + i] = diag[i];
		}
		/* a_i = <r_pred, u_i> = (M w)_i / k; it enters ||r||^2 only
		 * multiplied by the weight errors dw. */
		cblas_dsymv(CblasRowMajor, CblasUpper, (int)k, 1.0 / k, M,
			    (int)k, s.w, 1, 0.0, a, 1);
		cblas_dsymv(CblasRowMajor, CblasUpper, (int)k, 1.0, M, (int)k,
			    dw, 1, 0.0, s.gb, 1);
		double r2 = R + 2.0 / k * cblas_ddot((int)k, dw, 1, a, 1) +
			    cblas_ddot((int)k, dw, 1, s.gb, 1) / ((double)k * k);
		residual = sqrt(r2 > 0 ? r2 : 0);
		if (residual <= p->eps || iters >= p->max_iters)
			break;
		/* Rounding y to float32 moved it by sqrt(e2); when that alone
		 * explains the residual, another round cannot do better. */
		double wmean = 0;
		for (uint32_t i = 0; i < k; i++)
			wmean += s.w[i] / k;
		if (residual <= p->eps + 2 * wmean * sqrt(e2))
			break;
		/* Refine: an exact Gram matrix around the new point. */
		memset(G, 0, kk * sizeof(double));
		rc = kn->gram_base(v, k, d, NULL, out, G);
		if (rc)
			goto out_free;
		symmetrize(G, k);
	}

	res->iters = iters;
	res->residual = residual;
	res->clipped = 0;
	for (uint32_t i = 0; i < k; i++) {
		res->clipped += s.dist[i] > p->tau;
		if (dist)
			dist[i] = s.dist[i];
	}
	rc = 0;
out_free:
	clip_net_free(&net);
	free(mem);
	return rc;
}
