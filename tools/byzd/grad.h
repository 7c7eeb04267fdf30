/* byzd's gradient sources: the toy least-squares model or a built-in model
 * (include/byz/model.h) on seeded synthetic data derived from the run id. */
#ifndef BYZD_GRAD_H
#define BYZD_GRAD_H

#include <stddef.h>

#include "byz/config.h"
#include "byz/data.h"
#include "byz/model.h"
#include "byz/oracle.h"

struct byzd_grad {
	struct byz_toy_lsq toy;
	struct byz_model *model;
	struct byz_dataset train, test;
	struct byz_model_oracle mo;
	struct byz_oracle oracle;
	size_t d;
	int has_fp;      /* built-in models: fp is this host's fingerprint */
	uint8_t fp[BYZ_MODEL_FINGERPRINT_LEN];
};

/* Builds the source; for a built-in model also computes this host's
 * byz_model_fingerprint and, when the config names one, refuses a
 * different value (-EINVAL, both values in @p why).
 * @return 0 or a negative code with @p why filled */
int byzd_grad_init(struct byzd_grad *g, const struct byz_config *c, const uint8_t run_id[32],
		   char *why, size_t whylen);
void byzd_grad_free(struct byzd_grad *g);

#endif
