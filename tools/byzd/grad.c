/* Gradient sources for byzd (see grad.h). Every peer derives the same data
 * from the run id, so any peer can recompute any other's gradient. */
#include <stdio.h>
#include <string.h>

#include "byz/err.h"
#include "byz/frame.h"
#include "byz/ident.h"
#include "grad.h"

int byzd_grad_init(struct byzd_grad *g, const struct byz_config *c, const uint8_t run_id[32],
		   char *why, size_t whylen)
{
	memset(g, 0, sizeof(*g));
	int r;
	if (c->source == BYZ_GRAD_TOY) {
		r = byz_toy_lsq_init(&g->toy, run_id, (size_t)c->d, c->batch);
		if (r) {
			snprintf(why, whylen, "toy model: %s", byz_strerror(r));
			return r;
		}
		g->oracle = (struct byz_oracle){.grad = byz_toy_lsq_grad, .ctx = &g->toy};
		g->d = (size_t)c->d;
		return 0;
	}
	if (c->source == BYZ_GRAD_SYNTHETIC) {
		g->oracle = (struct byz_oracle){.grad = byz_synth_grad, .ctx = NULL};
		g->d = (size_t)c->d;
		return 0;
	}
	struct byz_synth_spec ss;
	byz_synth_default(&ss);
	ss.classes = c->classes;
	ss.n_train = c->examples;
	ss.n_test = 256;
	ss.seed = byz_le64_get(run_id);
	r = byz_synth_generate(&ss, &g->train, &g->test);
	if (r) {
		snprintf(why, whylen, "synthetic data: %s", byz_strerror(r));
		return r;
	}
	struct byz_model_spec ms = {
		.kind = c->source == BYZ_GRAD_SOFTMAX ? BYZ_MODEL_SOFTMAX : BYZ_MODEL_MLP,
		.channels = ss.channels, .height = ss.height, .width = ss.width,
		.classes = c->classes, .hidden = {c->hidden, 0},
		.portable = 1, /* bit for bit across hosts, with or without FMA hardware */
	};
	g->model = byz_model_create(&ms, &r);
	if (!g->model) {
		snprintf(why, whylen, "model: %s", byz_strerror(r));
		byzd_grad_free(g);
		return r;
	}
	if (c->batch > g->train.n) {
		snprintf(why, whylen, "batch %u is larger than examples %u", c->batch, g->train.n);
		byzd_grad_free(g);
		return -22;
	}
	/* A peer whose kernels or libm give other bits would accuse honest
	 * peers (or be banned): find out now, not at the first validation. */
	r = byz_model_fingerprint(&ms, g->fp);
	if (r) {
		snprintf(why, whylen, "model fingerprint: %s", byz_strerror(r));
		byzd_grad_free(g);
		return r;
	}
	g->has_fp = 1;
	if (c->fingerprint_line && memcmp(g->fp, c->fingerprint, sizeof(g->fp))) {
		char mine[65], want[65];
		byz_hex(g->fp, sizeof(g->fp), mine);
		byz_hex(c->fingerprint, sizeof(c->fingerprint), want);
		snprintf(why, whylen, "fingerprint (line %u): this host's %s model gives %s, the "
			 "config expects %s: its products, compiler or libm differ from the "
			 "swarm's (docs/training.md), so it would disagree with honest peers",
			 c->fingerprint_line, byz_grad_source_name(c->source), mine, want);
		byzd_grad_free(g);
		return -EINVAL;
	}
	g->mo = (struct byz_model_oracle){.model = g->model, .data = &g->train, .batch = c->batch};
	g->oracle = (struct byz_oracle){.grad = byz_model_oracle_grad, .ctx = &g->mo};
	g->d = byz_model_num_params(g->model);
	return 0;
}

void byzd_grad_free(struct byzd_grad *g)
{
	byz_toy_lsq_free(&g->toy);
	byz_model_destroy(g->model);
	byz_dataset_free(&g->train);
	byz_dataset_free(&g->test);
	g->model = NULL;
}
