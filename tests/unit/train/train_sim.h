/*
 * A simulated data-parallel run without the protocol: n workers compute
 * gradients on their seeded batches, the last f of them attack, and one
 * aggregator (plain mean or CenteredClip over the whole vector) feeds SGD.
 * Shared by test_experiment.c (assertions) and train_table.c (the numbers
 * in docs/training.md).
 */
#ifndef BYZ_TEST_TRAIN_SIM_H
#define BYZ_TEST_TRAIN_SIM_H

#include "byz/attack.h"
#include "byz/data.h"
#include "byz/model.h"

enum sim_agg { SIM_MEAN = 0, SIM_CLIP };

struct sim_spec {
	struct byz_synth_spec data;
	struct byz_model_spec model; /* shape and classes taken from data */
	struct byz_sgd_params opt;
	uint32_t workers, byzantine, steps, batch;
	enum byz_grad_attack_kind attack;
	uint32_t delay;              /* delayed attack */
	enum sim_agg agg;
	double tau_mult;             /* tau = tau_mult * median honest norm at step 0 */
	uint64_t seed;
};

struct sim_result {
	double test_acc, test_loss;
	double tau;                  /* the tau used (clip) */
	double honest_norm0;         /* median honest gradient norm at step 0 */
	int diverged;                /* parameters became non-finite */
	uint32_t steps_done;         /* steps applied before stopping */
};

/* Defaults used by the test and the table: softmax regression on the
 * default synthetic data, 8 workers, 100 steps, batch 32. */
void sim_default(struct sim_spec *s);

/* Returns 0 or a negative error code. */
int sim_run(const struct sim_spec *s, struct sim_result *res);

#endif
