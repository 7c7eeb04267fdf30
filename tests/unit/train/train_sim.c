/* Simulated training under attack; see train_sim.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/clip.h"
#include "byz/err.h"
#include "train_sim.h"

void sim_default(struct sim_spec *s)
{
	memset(s, 0, sizeof(*s));
	byz_synth_default(&s->data);
	s->data.n_train = 4096;
	s->data.n_test = 1024;
	s->model.kind = BYZ_MODEL_SOFTMAX;
	s->opt.lr = 0.1f;
	s->opt.momentum = 0.9f;
	s->opt.weight_decay = 1e-4f;
	s->opt.nesterov = 1;
	s->workers = 8;
	s->byzantine = 3;
	s->steps = 100;
	s->batch = 32;
	s->attack = BYZ_GRAD_ATTACK_NONE;
	s->delay = 20;
	s->agg = SIM_MEAN;
	s->tau_mult = 1.0;
	s->seed = 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int sim_run(const struct sim_spec *s, struct sim_result *res)
{
	struct byz_dataset tr, te;
	struct byz_synth_spec ds;
	int rc;
	if (!s || !res || !s->workers || s->byzantine >= s->workers)
		return -EINVAL;
	ds = s->data;
	ds.seed = s->seed;
	rc = byz_synth_generate(&ds, &tr, &te);
	if (rc)
		return rc;
	struct byz_model_spec ms = s->model;
	ms.channels = ds.channels;
	ms.height = ds.height;
	ms.width = ds.width;
	ms.classes = ds.classes;
	struct byz_model *m = byz_model_create(&ms, &rc);
	const uint32_t n = s->workers, f = s->byzantine, h = n - f;
	struct byz_grad_attack **att = calloc(n, sizeof(*att));
	size_t P = m ? byz_model_num_params(m) : 0;
	float *x = malloc(P * sizeof(float)), *v = calloc(P, sizeof(float));
	float *agg = malloc(P * sizeof(float));
	float *grads = malloc((size_t)n * P * sizeof(float));
	const float **ptr = malloc(n * sizeof(*ptr));
	double *norms = malloc(n * sizeof(double));
	if (!m || !att || !x || !v || !agg || !grads || !ptr || !norms) {
		rc = rc ? rc : -ENOMEM;
		goto out;
	}
	for (uint32_t i = h; i < n; i++) {
		struct byz_grad_attack_spec as;
		byz_grad_attack_default(s->attack, &as);
		as.n = n;
		as.f = f;
		as.delay = s->delay;
		as.seed = s->seed ^ 0xa77ac4; /* colluders share it */
		att[i] = byz_grad_attack_create(&as, P, &rc);
		if (!att[i])
			goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		ptr[i] = grads + (size_t)i * P;
	byz_model_init_params(m, s->seed, x);
	struct byz_seed base, bs;
	byz_seed_from_u64(s->seed ^ 0xba7c4, &base);
	double tau = 0;
	memset(res, 0, sizeof(*res));
	for (uint64_t t = 0; t < s->steps; t++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t fl = i >= h ? byz_grad_attack_data_flags(att[i], t) : 0;
			byz_seed_derive(&base, i, t, &bs);
			rc = byz_model_grad_seeded(m, x, &tr, &bs, s->batch, fl,
						   grads + (size_t)i * P, NULL);
			if (rc == -EDOM) { /* parameters blew up: stop here */
				res->diverged = 1;
				res->steps_done = (uint32_t)t;
				goto evaluate;
			}
			if (rc)
				goto out;
		}
		if (t == 0) {
			for (uint32_t i = 0; i < h; i++) {
				double q = 0;
				for (size_t j = 0; j < P; j++)
					q += (double)ptr[i][j] * ptr[i][j];
				norms[i] = sqrt(q);
			}
			qsort(norms, h, sizeof(double), cmp_double);
			res->honest_norm0 = norms[h / 2];
			tau = s->tau_mult * res->honest_norm0;
		}
		/* Attackers see the honest gradients of the step (omniscient). */
		for (uint32_t i = h; i < n; i++) {
			rc = byz_grad_attack_apply(att[i], t, grads + (size_t)i * P,
					      (const float *const *)ptr, h,
					      grads + (size_t)i * P);
			if (rc)
				goto out;
		}
		if (s->agg == SIM_CLIP) {
			struct byz_clip_params cp = {.tau = tau, .eps = 1e-6 * tau,
						     .max_iters = 200, .impl = BYZ_CLIP_AUTO};
			rc = byz_clip((const float *const *)ptr, n, P, &cp, agg, NULL, NULL);
			if (rc == -EDOM) /* diverged inputs: keep going, report below */
				memset(agg, 0, P * sizeof(float));
			else if (rc)
				goto out;
		} else {
			for (size_t j = 0; j < P; j++) {
				double acc = 0;
				for (uint32_t i = 0; i < n; i++)
					acc += ptr[i][j];
				agg[j] = (float)(acc / n);
			}
		}
		rc = byz_sgd_step(&s->opt, x, v, agg, P);
		if (rc)
			goto out;
	}
	res->steps_done = s->steps;
evaluate:
	res->tau = tau;
	rc = byz_model_evaluate(m, x, &te, &res->test_acc, &res->test_loss);
	if (rc == -EDOM) { /* non-finite logits: the accuracy is still defined */
		res->diverged = 1;
		res->test_loss = INFINITY;
		rc = 0;
	}
out:
	if (att)
		for (uint32_t i = 0; i < n; i++)
			byz_grad_attack_destroy(att[i]);
	free(att);
	free(x);
	free(v);
	free(agg);
	free(grads);
	free(ptr);
	free(norms);
	byz_model_destroy(m);
	byz_dataset_free(&tr);
	byz_dataset_free(&te);
	return rc;
}
