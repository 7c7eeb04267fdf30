/**
 * @file byz/attack.h
 * @brief Gradient attacks of the catalogue in spec/protocol.md, as the
 * tests and the swarm runner share them.
 *
 * An attack object belongs to one attacker. Each step the caller gives it
 * the attacker's own honest gradient (computed on the attacker's public
 * batch, with the data flags byz_grad_attack_data_flags() asked for) and, for
 * the omniscient attacks, the honest gradients of the step; it writes the
 * gradient the attacker sends. Outside its active steps an attacker sends
 * its honest gradient.
 *
 * Attacks (scale is the one knob each has; default in brackets):
 *   none              out = g
 *   sign-flip         out = -scale * g                          [1000]
 *   random-direction  out = scale * ||g|| * u, u a unit vector fixed by
 *                     the seed, the same for every colluder      [1000]
 *   label-flip        out = g computed on labels y -> C-1-y (a data flag)
 *   delayed           out = own honest gradient of step t - delay
 *                     (the oldest kept one until that exists)
 *   ipm               out = -scale * mean(honest)               [0.1]
 *   alie              out_j = mean_j + z * std_j over the honest gradients
 *                     (std with m - 1 in the denominator); z = scale if
 *                     finite, else z = Phi^{-1}((n - s) / n) with
 *                     s = floor(n/2 + 1) - f (Baruch et al. 2019)
 * Active steps: t >= start and (t - start) % period == 0.
 *
 * Thread safety: an attack object has one user; different objects are
 * independent.
 */
#ifndef BYZ_GRAD_ATTACK_H
#define BYZ_GRAD_ATTACK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Attack kinds. */
enum byz_grad_attack_kind {
	BYZ_GRAD_ATTACK_NONE = 0,
	BYZ_GRAD_ATTACK_SIGN_FLIP,
	BYZ_GRAD_ATTACK_RANDOM_DIRECTION,
	BYZ_GRAD_ATTACK_LABEL_FLIP,
	BYZ_GRAD_ATTACK_DELAYED,
	BYZ_GRAD_ATTACK_IPM,
	BYZ_GRAD_ATTACK_ALIE,
	BYZ_GRAD_ATTACK_KIND_COUNT
};

/** Largest delay (steps) the delayed attack keeps. */
#define BYZ_GRAD_ATTACK_MAX_DELAY 100000u

/** Parameters of an attack. */
struct byz_grad_attack_spec {
	enum byz_grad_attack_kind kind;
	uint64_t start;  /**< first step the attack may be active */
	uint32_t period; /**< active every period-th step from start; >= 1 */
	uint32_t n;      /**< peers in the step (honest + Byzantine), for alie */
	uint32_t f;      /**< Byzantine peers among n, for alie */
	double scale;    /**< the knob (see above); NAN picks the default */
	uint32_t delay;  /**< delayed: steps back, 1..BYZ_GRAD_ATTACK_MAX_DELAY */
	uint64_t seed;   /**< random-direction: shared by colluders */
};

/** @brief Fill @p spec with the defaults of @p kind (start 0, period 1,
 *  scale NAN, delay 100, seed 0, n = f = 0). */
void byz_grad_attack_default(enum byz_grad_attack_kind kind,
			struct byz_grad_attack_spec *spec);

/** @brief Attack name as listed above ("sign-flip", ...), or "?". */
const char *byz_grad_attack_name(enum byz_grad_attack_kind kind);

/** @brief Parse an attack name. @return 0 or -EINVAL. */
int byz_grad_attack_parse(const char *name, enum byz_grad_attack_kind *kind);

/**
 * @brief z of "a little is enough": Phi^{-1}((n - s) / n) with
 * s = floor(n/2 + 1) - f.
 * @param z out
 * @return 0; -EINVAL if n == 0 or s < 1 (f too large for a z to exist)
 */
int byz_alie_z(uint32_t n, uint32_t f, double *z);

/** @brief Inverse standard normal CDF, |error| < 1e-14 on (0, 1);
 *  -inf at 0, +inf at 1, NaN outside. */
double byz_norm_ppf(double p);

struct byz_grad_attack;

/**
 * @brief Build an attack for gradients of @p d floats.
 * @param err NULL or out: 0; -EINVAL (d == 0, period == 0, bad kind, alie
 *            with no valid z, non-finite or negative scale, bad delay);
 *            -ENOMEM
 * @return the attack (free with byz_grad_attack_destroy), or NULL
 */
struct byz_grad_attack *byz_grad_attack_create(const struct byz_grad_attack_spec *spec,
				     size_t d, int *err);

/** @brief Free an attack. NULL is a no-op. */
void byz_grad_attack_destroy(struct byz_grad_attack *a);

/** @brief 1 if the attack misbehaves at @p step, else 0. */
int byz_grad_attack_active(const struct byz_grad_attack *a, uint64_t step);

/** @brief 1 if byz_grad_attack_apply needs the honest gradients of the step
 *  (ipm, alie), else 0. */
int byz_grad_attack_omniscient(const struct byz_grad_attack *a);

/** @brief Data flags (enum byz_data_flags) the attacker's gradient must be
 *  computed with at @p step: BYZ_DATA_FLIP_LABELS for an active label-flip,
 *  else 0. */
uint32_t byz_grad_attack_data_flags(const struct byz_grad_attack *a, uint64_t step);

/** @brief The effective scale (the default filled in) or, for alie, z. */
double byz_grad_attack_scale(const struct byz_grad_attack *a);

/**
 * @brief Produce the gradient the attacker sends at @p step.
 * Call once per step in increasing step order (the delayed attack records
 * @p own every call, active or not).
 * @param own      the attacker's honest gradient (d floats), computed with
 *                 byz_grad_attack_data_flags(a, step)
 * @param honest   the honest gradients of the step (omniscient attacks;
 *                 may be NULL otherwise)
 * @param m        number of honest gradients (>= 1 for ipm and alie)
 * @param out      d floats; may alias @p own
 * @return 0; -EINVAL (NULL where needed, m == 0 for an omniscient attack,
 *         step not after the previous one); -EDOM (@p own is not finite
 *         when the attack needs its norm)
 */
int byz_grad_attack_apply(struct byz_grad_attack *a, uint64_t step, const float *own,
		     const float *const *honest, uint32_t m, float *out);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_GRAD_ATTACK_H */
