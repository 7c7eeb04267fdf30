/* Internal layout of a built-in model; shared by model.c and layers.c. */
#ifndef BYZ_TRAIN_MODEL_INTERNAL_H
#define BYZ_TRAIN_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "byz/model.h"

#define MODEL_MAX_DENSE 3 /* two hidden layers + output */

struct byz_model {
	struct byz_model_spec spec;
	uint32_t in_dim; /* channels * height * width */

	/* Dense stack: width[0] inputs (raw x, or pooled conv features),
	 * width[ndense] = classes; layer l maps width[l] -> width[l+1]. */
	uint32_t ndense;
	uint32_t width[MODEL_MAX_DENSE + 1];
	size_t w_off[MODEL_MAX_DENSE], b_off[MODEL_MAX_DENSE];

	/* Convolution front end (CNN only). */
	int conv;
	uint32_t filters, k9, hw, h2, w2;
	size_t k_off, bk_off;

	size_t nparams;

	/* Scratch, grown to the largest batch seen (cap examples). */
	uint32_t cap;
	float *act[MODEL_MAX_DENSE + 1]; /* act[0] unused for dense models */
	float *delta, *delta2;           /* cap x max width */
	float *col;                      /* k9 x cap*hw (im2col) */
	float *cz;                       /* filters x cap*hw: conv after ReLU */
	float *dcz;                      /* filters x cap*hw */
	uint32_t *amax;                  /* cap x filters*h2*w2 */
	float *bx;                       /* cap x in_dim (seeded batches) */
	uint32_t *by, *bidx;             /* cap labels, cap indices */
	float *pack;                     /* gemm panel scratch */
	size_t pack_cap;                 /* floats in pack */

	int simd; /* enum byz_simd_level of the products (same bits at any) */
};

/* Forward pass over n examples; leaves logits in m->act[m->ndense].
 * Returns 0, -ERANGE, -ENOMEM. */
int model_forward(struct byz_model *m, const float *params, const float *x,
		  uint32_t n);

/* Backward pass from dlogits in m->delta (n x classes); writes grad. */
void model_backward(struct byz_model *m, const float *params, const float *x,
		    uint32_t n, float *grad);

/* Make scratch hold n examples. 0 or -ENOMEM / -ERANGE. */
int model_reserve(struct byz_model *m, uint32_t n);

#endif
