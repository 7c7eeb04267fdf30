/* Gradient attacks inside the swarm (gradattack.c): what swarm.c and
 * attack.c share with it. Not a public API. */
#ifndef BYZ_GRADATTACK_INT_H
#define BYZ_GRADATTACK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "byz/swarm.h"

/* Per swarm: the oracles and the honest gradients of the current step,
 * computed once and shared by the colluders (omniscient attacks). */
struct grad_shared {
	struct byz_oracle honest;   /* the oracle every honest peer runs */
	struct byz_oracle flip;     /* labels flipped (.grad NULL: none) */
	size_t d;
	uint64_t step;              /* step the cache holds */
	int valid;
	uint32_t m;                 /* honest gradients held */
	float *buf;                 /* n * d floats, owned */
	const float **ptr;          /* n pointers into buf, owned */
};

/* swarm.c */
struct grad_shared *swarm_grad_shared(struct byz_swarm *s);
const struct byz_swarm_cfg *swarm_cfg(const struct byz_swarm *s);
/* Adversaries that choose their own timing (late-to-some): deliver @p buf
 * from slot @p from to roster index @p to at virtual time @p t exactly (no
 * network draw; at least now). 0, -ENOENT (no such started peer), -ENOMEM. */
int swarm_deliver_at(struct byz_swarm *s, uint16_t from, uint16_t to, uint64_t t,
		     const uint8_t *buf, size_t len);

/* gradattack.c */
/* Build a->grad for the gradient attack a->attack. 0, -ENOTSUP (label-flip
 * without a flipped oracle), -EINVAL, -ENOMEM. */
int gradattack_init(struct byz_attacker *a, const struct byz_swarm_cfg *cfg);
/* Replace the attacker's honest gradient g by what the attack sends. */
void gradattack_on_gradient(struct byz_attacker *a, struct byz_peer *p, float *g, size_t d);
/* Colluders never accuse each other: 1 drops the message. */
int gradattack_on_send(struct byz_attacker *a, struct byz_peer *p, const struct byz_send *s);
void grad_shared_free(struct grad_shared *g);

#endif
