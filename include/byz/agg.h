/**
 * @file byz/agg.h
 * @brief One interface over CenteredClip and the baseline aggregators that the
 * experiments compare it with.
 *
 * Every aggregator takes k float32 input vectors of dimension d and writes one
 * d-vector. Inputs must be finite: a NaN or Inf anywhere gives -EDOM and a
 * zero-filled output. None of the functions keep state between calls.
 */
#ifndef BYZ_AGG_H
#define BYZ_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "byz/clip.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Aggregation rules. */
enum byz_agg_kind {
	BYZ_AGG_CCLIP = 0,    /**< CenteredClip (byz/clip.h) */
	BYZ_AGG_MEAN,         /**< arithmetic mean: no defence */
	BYZ_AGG_MEDIAN,       /**< coordinate-wise lower median */
	BYZ_AGG_TRIMMED_MEAN, /**< coordinate-wise mean without the b lowest and b highest */
	BYZ_AGG_GEOMED,       /**< geometric median, Weiszfeld iterations */
	BYZ_AGG_KRUM,         /**< Krum: the input with the least score */
	BYZ_AGG_MULTIKRUM,    /**< mean of the m inputs with the least Krum score */
	BYZ_AGG_COUNT
};

/** Parameters; byz_agg_params_default() fills sane values. */
struct byz_agg_params {
	enum byz_agg_kind kind;
	struct byz_clip_params clip; /**< for BYZ_AGG_CCLIP */
	uint32_t f;          /**< assumed Byzantine inputs (trimmed mean trims f per side; Krum) */
	uint32_t m;          /**< Multi-Krum: inputs averaged (0: k - f) */
	double geomed_eps;   /**< Weiszfeld stops when the step norm <= this */
	uint32_t geomed_iters; /**< Weiszfeld iteration cap */
	double geomed_nu;    /**< Weiszfeld smoothing: distances below nu count as nu */
};

/** What an aggregation reports. */
struct byz_agg_result {
	uint32_t iters;      /**< iterations (CenteredClip, geometric median), else 0 */
	double residual;     /**< CenteredClip residual / Weiszfeld last step norm, else 0 */
	uint32_t clipped;    /**< CenteredClip clipped count, else 0 */
	uint32_t selected;   /**< Krum: index chosen; Multi-Krum: number averaged */
};

/**
 * @brief Defaults for @p kind with k inputs: f = floor((k-1)/2) capped so
 * every rule stays defined, tau = 1, eps = 1e-6, 1000 iterations.
 */
void byz_agg_params_default(struct byz_agg_params *p, enum byz_agg_kind kind,
			    uint32_t k);

/**
 * @brief Aggregate k inputs.
 * @return 0; -EINVAL (bad argument, e.g. f too large for Krum: needs
 *         k > 2f + 2); -EDOM (non-finite input); -ENOMEM; -ENOTSUP.
 */
int byz_aggregate(const struct byz_agg_params *p, const float *const *v,
		  uint32_t k, size_t d, float *out, struct byz_agg_result *res);

/** @brief "cclip", "mean", "median", "trimmed-mean", "geomed", "krum", "multikrum". */
const char *byz_agg_name(enum byz_agg_kind kind);

/** @brief Parse a name printed by byz_agg_name. @return 0 or -EINVAL. */
int byz_agg_parse(const char *name, enum byz_agg_kind *kind);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_AGG_H */
