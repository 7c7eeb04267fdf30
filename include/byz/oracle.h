/**
 * @file byz/oracle.h
 * @brief Gradient oracle: params x and a public batch seed -> gradient.
 *
 * The protocol needs anyone to recompute any peer's honest gradient from
 * public data, so an oracle must be a pure, deterministic function of
 * (x, seed): same inputs, same bits, on every honest peer.
 */
#ifndef BYZ_ORACLE_H
#define BYZ_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Gradient callback.
 * @param ctx  the oracle's context
 * @param x    d parameters (read only)
 * @param seed the public 32-byte batch seed xi_i^t (all data order and
 *             randomness of the batch derive from it)
 * @param g    out: d floats
 * @return 0 or a negative error code
 */
typedef int (*byz_grad_fn)(void *ctx, const float *x, size_t d,
			   const uint8_t seed[32], float *g);

/** An oracle: callback plus context (borrowed; outlives every peer using it). */
struct byz_oracle {
	byz_grad_fn grad;
	void *ctx;
};

/**
 * Deterministic toy model: least squares 0.5 (<a, x> - b)^2 on seeded data.
 * x* has coordinates uniform in [-1, 1] from the run id; a sample a has
 * coordinates uniform in [-1, 1] and b = <a, x*> + uniform noise in
 * [-0.01, 0.01], all from ChaCha20 streams keyed by the batch seed.
 * The gradient is the batch mean of (<a, x> - b) a, computed in float64.
 */
struct byz_toy_lsq {
	size_t d;
	uint32_t batch;
	float *xstar; /**< owned */
};

/**
 * @brief Set up the toy model.
 * @return 0, -EINVAL (d == 0, batch == 0), -ENOMEM
 */
int byz_toy_lsq_init(struct byz_toy_lsq *t, const uint8_t run_id[32], size_t d,
		     uint32_t batch);
/** @brief Free what init allocated (safe on a zeroed struct). */
void byz_toy_lsq_free(struct byz_toy_lsq *t);
/** @brief The byz_grad_fn of the toy model (ctx: struct byz_toy_lsq *). */
int byz_toy_lsq_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32],
		     float *g);
/** @brief ||x - x*||_2, the training progress metric. */
double byz_toy_lsq_dist(const struct byz_toy_lsq *t, const float *x);

/**
 * Hardware whose kernels are not bit-reproducible, simulated: wraps an
 * oracle and multiplies coordinate c of its gradient by 1 + rel * u_c, with
 * u_c uniform in [-1, 1) from a ChaCha20 stream keyed by BLAKE2b(salt, seed).
 * Deterministic per (salt, seed), so a run replays; the relative L2 error is
 * at most rel. Tolerance-mode validation with rho > rel accepts it.
 */
struct byz_noisy_oracle {
	struct byz_oracle inner;
	double rel;    /**< relative noise, 0 <= rel < 1 */
	uint64_t salt; /**< which "device" */
};
/** @brief The byz_grad_fn of the wrapper (ctx: struct byz_noisy_oracle *). */
int byz_noisy_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g);

/**
 * Synthetic gradient of any size (byzd's `[gradient] source = synthetic`):
 * g_c = x_c / 2 + u_c * 2^-41, u_c the c-th little-endian int32 of the
 * ChaCha20 keystream (libsodium crypto_stream_chacha20, nonce 0) under the
 * key BLAKE2b-256(seed, key "byz-synth-grad-v1"). The seed is the protocol's
 * public batch seed (a function of the run, the step and the peer), and x
 * enters coordinate-wise, so the gradient is a pure function of public
 * inputs that any validator recomputes bit for bit: every operation is an
 * exact scaling or one IEEE rounding (no FMA contraction, see the source).
 * Noise of at most 2^-10 per coordinate keeps the honest parts within a
 * CenteredClip radius of each other up to d = 2^26. About one ChaCha20 pass
 * over 4d bytes plus one vectorised loop: far cheaper than sending the part.
 * @param ctx unused (NULL)
 * @return 0, -EINVAL (NULL pointers, d == 0)
 */
int byz_synth_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_ORACLE_H */
