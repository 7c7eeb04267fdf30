/*
 * DESIGN (gradient attacks in the swarm). A Byzantine peer runs the honest
 * state machine; its on_gradient hook swaps the honest gradient for the one
 * the attack of byz/attack.h produces, before the gradient is split and
 * committed. The lie is therefore committed consistently: no check inside a
 * step can see it, clipping bounds it, and a validator that recomputes the
 * gradient from public data proves it (docs/protocol.md, docs/experiments.md).
 *
 * Omniscience: ipm and alie need the honest gradients of the step. Batch
 * seeds are public (xi_i^t = H(run, t, r_{t-1}, pk_i)), so the colluders
 * recompute them with the honest oracle, once per step for all of them.
 * Colluders also drop accusations against each other (a Byzantine validator
 * never reports a fellow attacker).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/attack.h"
#include "byz/data.h"
#include "byz/err.h"
#include "gradattack_int.h"
#include "peer_int.h"

void grad_shared_free(struct grad_shared *g)
{
	free(g->buf);
	free(g->ptr);
	g->buf = NULL;
	g->ptr = NULL;
	g->valid = 0;
}

int gradattack_init(struct byz_attacker *a, const struct byz_swarm_cfg *cfg)
{
	int kind = byz_attack_grad_kind(a->attack);
	if (kind < 0)
		return -EINVAL;
	if (kind == BYZ_GRAD_ATTACK_LABEL_FLIP && !cfg->oracle_flip.grad)
		return -ENOTSUP;
	struct byz_grad_attack_spec sp;
	byz_grad_attack_default((enum byz_grad_attack_kind)kind, &sp);
	sp.start = cfg->attack_start;
	sp.period = cfg->attack_period ? cfg->attack_period : 1;
	sp.n = cfg->n;
	sp.f = cfg->nbyz;
	if (cfg->attack_scale > 0)
		sp.scale = cfg->attack_scale;
	if (cfg->attack_delay)
		sp.delay = cfg->attack_delay;
	/* Colluders share one direction (random-direction). */
	sp.seed = cfg->seed ^ 0x7a11d1cull;
	int err = 0;
	a->grad = byz_grad_attack_create(&sp, cfg->d, &err);
	return a->grad ? 0 : err;
}

/* The honest gradients of this step, as every colluder can recompute them. */
static const float *const *honest_grads(struct byz_attacker *a, struct byz_peer *p,
					uint32_t *m)
{
	struct grad_shared *gs = swarm_grad_shared(a->swarm);
	uint32_t n = p->run.n;
	size_t d = p->run.d;
	*m = 0;
	if (gs->valid && gs->step == p->step) {
		*m = gs->m;
		return gs->ptr;
	}
	if (!gs->buf) {
		gs->buf = malloc((size_t)n * d * sizeof(float));
		gs->ptr = malloc(n * sizeof(*gs->ptr));
		gs->d = d;
		if (!gs->buf || !gs->ptr) {
			grad_shared_free(gs);
			return NULL;
		}
	}
	uint32_t k = 0;
	for (uint16_t i = 0; i < n; i++) {
		/* The contributors of the step in the attacker's (= every honest
		 * peer's) view, minus the colluders. */
		if (byz_swarm_is_byz(a->swarm, i) || !p->active[i] || p->validator[i] ||
		    p->banned[i])
			continue;
		uint8_t seed[32];
		float *g = gs->buf + (size_t)k * d;
		byz_batch_seed(p->run.run_id, p->step, p->r_prev, peer_pk(p, i), seed);
		if (gs->honest.grad(gs->honest.ctx, p->x, d, seed, g) != 0)
			continue;
		gs->ptr[k++] = g;
	}
	gs->step = p->step;
	gs->m = k;
	gs->valid = 1;
	*m = k;
	return gs->ptr;
}

void gradattack_on_gradient(struct byz_attacker *a, struct byz_peer *p, float *g, size_t d)
{
	if (!a->grad)
		return;
	uint64_t t = p->step;
	if (byz_grad_attack_data_flags(a->grad, t) & BYZ_DATA_FLIP_LABELS) {
		const struct grad_shared *gs = swarm_grad_shared(a->swarm);
		uint8_t seed[32];
		byz_batch_seed(p->run.run_id, t, p->r_prev, peer_pk(p, p->self), seed);
		if (gs->flip.grad(gs->flip.ctx, p->x, d, seed, g) != 0)
			return;
	}
	const float *const *h = NULL;
	uint32_t m = 0;
	if (byz_grad_attack_omniscient(a->grad) && byz_grad_attack_active(a->grad, t)) {
		h = honest_grads(a, p, &m);
		if (!h || m == 0)
			return; /* nothing to imitate: send the honest gradient */
	}
	/* On error (e.g. a non-finite own gradient) the gradient stays honest. */
	float *out = malloc(d * sizeof(float));
	if (!out)
		return;
	if (byz_grad_attack_apply(a->grad, t, g, h, m, out) == 0)
		memcpy(g, out, d * sizeof(float));
	free(out);
}

int gradattack_on_send(struct byz_attacker *a, struct byz_peer *p, const struct byz_send *s)
{
	(void)p;
	if (s->type != BYZ_MSG_ACCUSE || s->len < 4)
		return 0;
	return byz_swarm_is_byz(a->swarm, byz_le16(s->payload + 2));
}
