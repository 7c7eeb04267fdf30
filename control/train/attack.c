/*
 * DESIGN: gradient attacks of the shared catalogue (byz/attack.h).
 *
 * An attack object wraps one attacker: it decides when it is active (start,
 * period), which data transform its honest gradient needs (label flip), and
 * turns its honest gradient, plus the honest gradients of the step for the
 * omniscient attacks, into the vector it sends. Colluders that share a seed
 * share the random direction; ALIE and IPM outputs depend only on the
 * honest set, so every colluder sends the same vector, as in the papers.
 * Statistics over honest gradients are taken in double in a fixed order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byz/attack.h"
#include "byz/data.h"
#include "byz/err.h"
#include "train_rng.h"

/* Largest delay ring, in floats (4 GiB). */
#define DELAY_MAX_FLOATS ((size_t)1 << 30)

struct byz_grad_attack {
	struct byz_grad_attack_spec spec;
	size_t d;
	double scale;      /* effective knob; z for alie */
	float *dir;        /* random-direction: unit vector */
	float *ring;       /* delayed: delay slots of d floats */
	uint32_t head, count;
	int started;
	uint64_t last;
};

static const char *const names[BYZ_GRAD_ATTACK_KIND_COUNT] = {
	[BYZ_GRAD_ATTACK_NONE] = "none",
	[BYZ_GRAD_ATTACK_SIGN_FLIP] = "sign-flip",
	[BYZ_GRAD_ATTACK_RANDOM_DIRECTION] = "random-direction",
	[BYZ_GRAD_ATTACK_LABEL_FLIP] = "label-flip",
	[BYZ_GRAD_ATTACK_DELAYED] = "delayed",
	[BYZ_GRAD_ATTACK_IPM] = "ipm",
	[BYZ_GRAD_ATTACK_ALIE] = "alie",
};

const char *byz_grad_attack_name(enum byz_grad_attack_kind kind)
{
	return (unsigned)kind < BYZ_GRAD_ATTACK_KIND_COUNT ? names[kind] : "?";
}

int byz_grad_attack_parse(const char *name, enum byz_grad_attack_kind *kind)
{
	if (!name || !kind)
		return -EINVAL;
	for (int i = 0; i < BYZ_GRAD_ATTACK_KIND_COUNT; i++)
		if (!strcasecmp(name, names[i])) {
			*kind = (enum byz_grad_attack_kind)i;
			return 0;
		}
	return -EINVAL;
}

void byz_grad_attack_default(enum byz_grad_attack_kind kind,
			struct byz_grad_attack_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->kind = kind;
	spec->period = 1;
	spec->scale = NAN;
	spec->delay = 100;
}

static double default_scale(enum byz_grad_attack_kind kind)
{
	switch (kind) {
	case BYZ_GRAD_ATTACK_SIGN_FLIP:
	case BYZ_GRAD_ATTACK_RANDOM_DIRECTION:
		return 1000.0;
	case BYZ_GRAD_ATTACK_IPM:
		return 0.1;
	default:
		return 0.0;
	}
}

struct byz_grad_attack *byz_grad_attack_create(const struct byz_grad_attack_spec *spec,
				     size_t d, int *err)
{
	int rc = -EINVAL;
	struct byz_grad_attack *a = NULL;
	if (!spec || !d || !spec->period ||
	    (unsigned)spec->kind >= BYZ_GRAD_ATTACK_KIND_COUNT)
		goto fail;
	if (!isnan(spec->scale) && !(isfinite(spec->scale) &&
				     (spec->scale >= 0 || spec->kind == BYZ_GRAD_ATTACK_ALIE)))
		goto fail;
	a = calloc(1, sizeof(*a));
	if (!a) {
		rc = -ENOMEM;
		goto fail;
	}
	a->spec = *spec;
	a->d = d;
	a->scale = isnan(spec->scale) ? default_scale(spec->kind) : spec->scale;
	switch (spec->kind) {
	case BYZ_GRAD_ATTACK_ALIE:
		if (isnan(spec->scale)) {
			rc = byz_alie_z(spec->n, spec->f, &a->scale);
			if (rc)
				goto fail;
		}
		break;
	case BYZ_GRAD_ATTACK_RANDOM_DIRECTION: {
		a->dir = malloc(d * sizeof(float));
		double *tmp = malloc(d * sizeof(double));
		if (!a->dir || !tmp) {
			free(tmp);
			rc = -ENOMEM;
			goto fail;
		}
		struct train_rng r;
		double nn = 0;
		train_rng_seed_u64(&r, spec->seed ^ 0xd1b54a32d192ed03ull);
		for (size_t j = 0; j < d; j++) {
			tmp[j] = train_rng_gauss(&r);
			nn += tmp[j] * tmp[j];
		}
		nn = sqrt(nn);
		for (size_t j = 0; j < d; j++)
			a->dir[j] = (float)(tmp[j] / nn);
		free(tmp);
		break;
	}
	case BYZ_GRAD_ATTACK_DELAYED:
		if (!spec->delay || spec->delay > BYZ_GRAD_ATTACK_MAX_DELAY)
			goto fail;
		if (d > DELAY_MAX_FLOATS / spec->delay) {
			rc = -ERANGE;
			goto fail;
		}
		a->ring = malloc((size_t)spec->delay * d * sizeof(float));
		if (!a->ring) {
			rc = -ENOMEM;
			goto fail;
		}
		break;
	default:
		break;
	}
	if (err)
		*err = 0;
	return a;
fail:
	byz_grad_attack_destroy(a);
	if (err)
		*err = rc;
	return NULL;
}

void byz_grad_attack_destroy(struct byz_grad_attack *a)
{
	if (!a)
		return;
	free(a->dir);
	free(a->ring);
	free(a);
}

int byz_grad_attack_active(const struct byz_grad_attack *a, uint64_t step)
{
	if (!a || a->spec.kind == BYZ_GRAD_ATTACK_NONE || step < a->spec.start)
		return 0;
	return (step - a->spec.start) % a->spec.period == 0;
}

int byz_grad_attack_omniscient(const struct byz_grad_attack *a)
{
	return a && (a->spec.kind == BYZ_GRAD_ATTACK_IPM ||
		     a->spec.kind == BYZ_GRAD_ATTACK_ALIE);
}

uint32_t byz_grad_attack_data_flags(const struct byz_grad_attack *a, uint64_t step)
{
	return a && a->spec.kind == BYZ_GRAD_ATTACK_LABEL_FLIP &&
			       byz_grad_attack_active(a, step)
		       ? BYZ_DATA_FLIP_LABELS
		       : 0;
}

double byz_grad_attack_scale(const struct byz_grad_attack *a)
{
	return a ? a->scale : NAN;
}

/* Record own; when active, write the gradient recorded delay calls ago
 * (or the oldest one kept) into out. out may alias own. */
static void delayed(struct byz_grad_attack *a, int active, const float *own,
		    float *out)
{
	const size_t d = a->d;
	const uint32_t D = a->spec.delay;
	float *slot = a->ring + (size_t)a->head * d;
	if (active && a->count) {
		const float *src = a->ring + (size_t)(a->count == D ? a->head : 0) * d;
		if (src == slot) {
			/* Full ring: the oldest entry is the one to overwrite. */
			for (size_t j = 0; j < d; j++) {
				float t = slot[j];
				slot[j] = own[j];
				out[j] = t;
			}
		} else {
			memcpy(slot, own, d * sizeof(float));
			memcpy(out, src, d * sizeof(float));
		}
	} else {
		memcpy(slot, own, d * sizeof(float));
		if (out != own)
			memcpy(out, own, d * sizeof(float));
	}
	a->head = (a->head + 1) % D;
	if (a->count < D)
		a->count++;
}

int byz_grad_attack_apply(struct byz_grad_attack *a, uint64_t step, const float *own,
		     const float *const *honest, uint32_t m, float *out)
{
	if (!a || !own || !out || (a->started && step <= a->last))
		return -EINVAL;
	const int active = byz_grad_attack_active(a, step);
	const size_t d = a->d;
	if (active && byz_grad_attack_omniscient(a)) {
		if (!honest || !m)
			return -EINVAL;
		for (uint32_t i = 0; i < m; i++)
			if (!honest[i])
				return -EINVAL;
	}
	double own_norm = 0;
	if (active && a->spec.kind == BYZ_GRAD_ATTACK_RANDOM_DIRECTION) {
		for (size_t j = 0; j < d; j++)
			own_norm += (double)own[j] * own[j];
		own_norm = sqrt(own_norm);
		if (!isfinite(own_norm))
			return -EDOM;
	}
	a->started = 1;
	a->last = step;

	if (a->spec.kind == BYZ_GRAD_ATTACK_DELAYED) {
		delayed(a, active, own, out);
		return 0;
	}
	if (!active) {
		if (out != own)
			memcpy(out, own, d * sizeof(float));
		return 0;
	}
	switch (a->spec.kind) {
	case BYZ_GRAD_ATTACK_SIGN_FLIP: {
		const float s = (float)-a->scale;
		for (size_t j = 0; j < d; j++)
			out[j] = s * own[j];
		break;
	}
	case BYZ_GRAD_ATTACK_RANDOM_DIRECTION: {
		const double s = a->scale * own_norm;
		for (size_t j = 0; j < d; j++)
			out[j] = (float)(s * a->dir[j]);
		break;
	}
	case BYZ_GRAD_ATTACK_IPM:
		for (size_t j = 0; j < d; j++) {
			double s = 0;
			for (uint32_t i = 0; i < m; i++)
				s += honest[i][j];
			out[j] = (float)(-a->scale * (s / m));
		}
		break;
	case BYZ_GRAD_ATTACK_ALIE:
		/* Two passes per coordinate (mean, then squared deviations)
		 * rather than sum of squares: no cancellation. */
		for (size_t j = 0; j < d; j++) {
			double s = 0, v = 0;
			for (uint32_t i = 0; i < m; i++)
				s += honest[i][j];
			const double mean = s / m;
			for (uint32_t i = 0; i < m; i++) {
				double e = honest[i][j] - mean;
				v += e * e;
			}
			const double sd = m > 1 ? sqrt(v / (m - 1)) : 0.0;
			out[j] = (float)(mean + a->scale * sd);
		}
		break;
	default: /* none, label-flip: the honest (possibly flipped) gradient */
		if (out != own)
			memcpy(out, own, d * sizeof(float));
		break;
	}
	return 0;
}
