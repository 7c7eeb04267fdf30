/*
 * Internal interface of the CenteredClip engine: the kernel table each SIMD
 * variant fills, and the helpers the drivers share. Not installed.
 *
 * Every kernel works on a coordinate range [c0, c1) so that drivers can block
 * for cache and so that the same kernels serve the direct and Gram paths.
 * Sums that decide anything are accumulated in float64.
 */
#ifndef BYZ_CLIP_INTERNAL_H
#define BYZ_CLIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "byz/clip.h"
#include "byz/err.h"

/* A comparator network that leaves the lower median at index net->mid. */
struct clip_net {
	uint32_t width;    /* k rounded up to a power of two (pads are +inf) */
	uint32_t mid;      /* (k - 1) / 2 */
	uint32_t ncmp;     /* comparators kept after pruning */
	uint16_t (*cmp)[2];
};

int clip_net_build(struct clip_net *net, uint32_t k);
void clip_net_free(struct clip_net *net);

struct clip_kernels {
	/* out[c] = lower median over c in [c0,c1). Returns -EDOM if any input
	 * in the range is NaN or Inf (out is then unspecified), else 0. */
	int (*median)(const float *const *v, uint32_t k, size_t c0, size_t c1,
		      const struct clip_net *net, float *out);
	/* dist2[i] += sum_c (v_i[c] - y[c])^2, y in float64. */
	void (*dist2_d)(const float *const *v, uint32_t k, size_t c0, size_t c1,
			const double *y, double *dist2);
	/* One update on [c0,c1): r = (1/k) sum_i w_i (v_i - y); y += r;
	 * dist2n[i] += sum_c (v_i - y_new)^2. Returns sum_c r_c^2. */
	double (*step)(const float *const *v, uint32_t k, size_t c0, size_t c1,
		       const double *w, double *y, double *dist2n);
	/* dist2[i] += sum_c (v_i[c] - y[c])^2, y in float32. */
	void (*dist2_f)(const float *const *v, uint32_t k, size_t c0, size_t c1,
			const float *y, double *dist2);
	/* sum_c (sum_i w_i (v_i[c] - y[c]))^2, y in float32. */
	double (*resid2_f)(const float *const *v, uint32_t k, size_t c0,
			   size_t c1, const double *w, const float *y);
	/* Gram pass over [0,d): if net is non-NULL, out first becomes the
	 * lower median (else out is the given base point); then G (k x k,
	 * upper triangle, zeroed by the caller) += U U' with U = v - out.
	 * -EDOM on non-finite input (median only), -ENOMEM. */
	int (*gram_base)(const float *const *v, uint32_t k, size_t d,
			 const struct clip_net *net, float *out, double *G);
	/* Final pass over [0,d): out (base b on entry) becomes
	 * float32(b + (v - b)' beta); then with u_i = v_i - out,
	 * e = out - y (the rounding), diag[i] = ||u_i||^2,
	 * bdot[i] = <u_i, e>, *R = ||(1/k) sum_i w_i u_i||^2, *e2 = ||e||^2.
	 * All float64. */
	int (*gram_final)(const float *const *v, uint32_t k, size_t d,
			  const double *beta, const double *w, float *out,
			  double *diag, double *bdot, double *R, double *e2);
};

extern const struct clip_kernels clip_kernels_scalar;

/* The OpenBLAS Gram passes (clip_gram_blas.c), used by the scalar table. */
int clip_gram_base_blas(const float *const *v, uint32_t k, size_t d,
			const struct clip_net *net, float *out, double *G);
int clip_gram_final_blas(const float *const *v, uint32_t k, size_t d,
			 const double *beta, const double *w, float *out,
			 double *diag, double *bdot, double *R, double *e2);
#ifdef BYZ_HAVE_AVX2
extern const struct clip_kernels clip_kernels_avx2;
#endif
#ifdef BYZ_HAVE_AVX512
extern const struct clip_kernels clip_kernels_avx512;
#endif

/* The widest kernel set this CPU runs (scalar when SIMD is off). */
const struct clip_kernels *clip_kernels_best(void);

/* Cache-line aligned allocation; C11 wants the size a multiple of it. */
static inline void *clip_alloc64(size_t n)
{
	return aligned_alloc(64, (n + 63) & ~(size_t)63);
}

/* Weight of an input at distance dist: min(1, tau/dist), 1 at distance 0. */
static inline double clip_weight(double dist, double tau)
{
	return dist > tau ? tau / dist : 1.0;
}

/* Drivers; arguments already validated by byz_clip. */
int clip_run_ref(const float *const *v, uint32_t k, size_t d,
		 const struct byz_clip_params *p, float *out, double *dist,
		 struct byz_clip_result *res);
int clip_run_direct(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, const struct byz_clip_params *p,
		    float *out, double *dist, struct byz_clip_result *res);
int clip_run_gram(const float *const *v, uint32_t k, size_t d,
		  const struct byz_clip_params *p, float *out, double *dist,
		  struct byz_clip_result *res);

/* Exact residual/distances at a float32 point with the given kernels. */
int clip_check_with(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, double tau, const float *y,
		    double *dist, uint32_t *clipped, double *residual);

/* Median over all of [0,d) with the best kernels; -EDOM on non-finite. */
int clip_median_all(const struct clip_kernels *kn, const float *const *v,
		    uint32_t k, size_t d, float *out);

#endif /* BYZ_CLIP_INTERNAL_H */
