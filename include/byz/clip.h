/**
 * @file byz/clip.h
 * @brief CenteredClip robust aggregation (Karimireddy, He, Jaggi, ICML 2021).
 *
 * Given k input vectors v_1..v_k of dimension d (float32), CenteredClip finds
 * the fixed point of
 *
 *     y <- y + (1/k) sum_i min(1, tau / ||v_i - y||) (v_i - y)
 *
 * starting from the coordinate-wise lower median. The quantity
 * r(y) = (1/k) sum_i min(1, tau/||v_i - y||)(v_i - y) is the fixed-point
 * residual; the iteration stops when ||r(y)|| <= eps or after max_iters
 * updates. An input at distance 0 gets weight 1.
 *
 * Every implementation returns the same quantities, all measured at the
 * returned float32 point and computed in float64: the residual, each input's
 * distance and the number of clipped inputs (distance > tau). The scalar
 * reference is the specification; the SIMD variants follow it to rounding,
 * and the Gram variant reaches the same fixed point with a cost that does not
 * grow with the iteration count.
 *
 * Thread safety: every function is reentrant; scratch memory is per call.
 */
#ifndef BYZ_CLIP_H
#define BYZ_CLIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Implementations of CenteredClip. */
enum byz_clip_impl {
	BYZ_CLIP_AUTO = 0, /**< byz_clip_auto_impl(k, max_iters) */
	BYZ_CLIP_REF,      /**< scalar reference: the specification */
	BYZ_CLIP_AVX2,     /**< direct iteration, AVX2+FMA */
	BYZ_CLIP_AVX512,   /**< direct iteration, AVX-512F */
	BYZ_CLIP_GRAM,     /**< iterate on the k x k Gram matrix (OpenBLAS) */
	BYZ_CLIP_IMPL_COUNT
};

/** Largest k accepted (inputs per part). */
#define BYZ_CLIP_MAX_K 4096u

/** Parameters of one CenteredClip call. */
struct byz_clip_params {
	double tau;              /**< clipping radius, finite and > 0 */
	double eps;              /**< stop when ||r(y)|| <= eps; finite, >= 0 */
	uint32_t max_iters;      /**< cap on updates of y (0: return the median) */
	enum byz_clip_impl impl; /**< which implementation; AUTO picks */
};

/** What a CenteredClip call reports besides the aggregate. */
struct byz_clip_result {
	uint32_t iters;          /**< updates of y performed */
	uint32_t clipped;        /**< inputs with ||v_i - y|| > tau at the result */
	int converged;           /**< 1 when residual <= eps */
	enum byz_clip_impl impl; /**< implementation that actually ran */
	double residual;         /**< ||r(y)|| at the returned y, in float64 */
};

/**
 * @brief Run CenteredClip.
 *
 * @param v      k pointers to input vectors of d floats each (not modified)
 * @param k      number of inputs, 1..BYZ_CLIP_MAX_K
 * @param d      dimension, >= 1
 * @param p      parameters
 * @param out    d floats: the aggregate (may not alias an input)
 * @param dist   NULL, or k doubles: ||v_i - out|| at the result
 * @param res    NULL, or filled with iterations, residual and counts
 * @return 0; -EINVAL for a bad argument; -EDOM if any input holds NaN or
 *         Inf (out is then zero-filled, never partly written); -ENOTSUP if
 *         the forced implementation cannot run here; -ENOMEM.
 */
int byz_clip(const float *const *v, uint32_t k, size_t d,
	     const struct byz_clip_params *p, float *out, double *dist,
	     struct byz_clip_result *res);

/**
 * @brief Coordinate-wise lower median: out[c] is the ((k-1)/2)-th smallest
 * of v_1[c]..v_k[c] (0-based), i.e. the lower median for even k.
 * Inputs must be finite (NaN ordering is unspecified). Uses the widest SIMD
 * the CPU has.
 * @return 0, -EINVAL, -ENOMEM
 */
int byz_median_lower(const float *const *v, uint32_t k, size_t d, float *out);

/**
 * @brief The implementation AUTO resolves to for @p k inputs and an
 * iteration cap of @p max_iters on this CPU.
 *
 * BYZ_CLIP_IMPL (ref, avx2, avx512, gram), when set to an implementation
 * this CPU runs, decides. Otherwise the Gram path, unless the direct SIMD
 * iteration needs fewer operations: k > 24 (min(max_iters, 10) + 1)
 * (docs/clip.md).
 * The choice depends on k, max_iters, the CPU's SIMD level (capped by
 * BYZ_SIMD_MAX) and the environment only, never on timing, so the same call
 * on one machine always gives the same output bits.
 */
enum byz_clip_impl byz_clip_auto_impl(uint32_t k, uint32_t max_iters);

/** @brief What AUTO resolves to for a typical part: byz_clip_auto_impl(16, 1000). */
enum byz_clip_impl byz_clip_best_impl(void);

/** @brief 1 if @p impl was built and this CPU can run it, else 0. */
int byz_clip_impl_available(enum byz_clip_impl impl);

/** @brief "auto", "ref", "avx2", "avx512" or "gram". */
const char *byz_clip_impl_name(enum byz_clip_impl impl);

/**
 * @brief Parse an implementation name (as printed by byz_clip_impl_name).
 * @return 0, or -EINVAL for an unknown name
 */
int byz_clip_impl_parse(const char *name, enum byz_clip_impl *impl);

/**
 * @brief Residual and distances of an arbitrary point, exactly as byz_clip
 * reports them (float64). Useful to verify someone else's aggregate.
 * @param y      the candidate point (d floats)
 * @param dist   NULL or k doubles
 * @param clipped NULL or the count of inputs farther than tau
 * @param residual out: ||r(y)||
 * @return 0, -EINVAL, -EDOM (non-finite input or y), -ENOMEM
 */
int byz_clip_check(const float *const *v, uint32_t k, size_t d, double tau,
		   const float *y, double *dist, uint32_t *clipped,
		   double *residual);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_CLIP_H */
