/*
 * Internal interface between byz_aggregate (agg.c, which validates every
 * argument and checks finiteness) and the rules. Functions here assume
 * validated input: k >= 1, d >= 1, finite values, parameters in range.
 * Exposed (not static) so the unit tests can compare internal paths.
 */
#ifndef BYZ_AGG_INTERNAL_H
#define BYZ_AGG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Coordinate-wise mean, accumulated in double. Never fails. */
void byz_agg_mean(const float *const *v, uint32_t k, size_t d, float *out);

/* Mean of the inputs whose sel[i] is nonzero (at least one), in index order. */
void byz_agg_mean_sel(const float *const *v, uint32_t k, size_t d,
		      const uint8_t *sel, float *out);

/* Coordinate-wise mean without the f lowest and f highest values; k > 2f. */
int byz_agg_trimmed_mean(const float *const *v, uint32_t k, size_t d,
			 uint32_t f, float *out);

/* Smoothed Weiszfeld from the coordinate-wise lower median. */
int byz_agg_geomed(const float *const *v, uint32_t k, size_t d, double eps,
		   uint32_t max_iters, double nu, float *out, uint32_t *iters,
		   double *last_step);

/* How byz_agg_sqdist computes the pairwise squared distances. */
enum byz_agg_dist_method {
	BYZ_AGG_DIST_AUTO = 0, /* direct for small k, Gram otherwise */
	BYZ_AGG_DIST_DIRECT,   /* sum of squared differences, in double */
	BYZ_AGG_DIST_GRAM,     /* ||a||^2 + ||b||^2 - 2<a,b> via dsyrk, near pairs direct */
};

/* k below this use the direct loop under AUTO. */
#define BYZ_AGG_GRAM_MIN_K 8u

/* D (k x k, row-major, symmetric, zero diagonal) of squared distances. */
int byz_agg_sqdist(const float *const *v, uint32_t k, size_t d, double *D,
		   enum byz_agg_dist_method method);

/* Krum scores: sum of each input's k-f-2 smallest squared distances to the others. */
int byz_agg_krum_scores(const float *const *v, uint32_t k, size_t d, uint32_t f,
			double *scores, enum byz_agg_dist_method method);

/* Krum (m == 0: the single best input) or Multi-Krum (mean of the m best). */
int byz_agg_krum(const float *const *v, uint32_t k, size_t d, uint32_t f,
		 uint32_t m, float *out, uint32_t *selected);

#endif /* BYZ_AGG_INTERNAL_H */
