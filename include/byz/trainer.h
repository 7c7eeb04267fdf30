/**
 * @file byz/trainer.h
 * @brief byzreduce for your own training loop: hand in a gradient, get the
 * Byzantine-robust aggregate back. docs/trainer.md is the guide.
 *
 * A trainer is one protocol peer (byz/node.h) whose gradients come from the
 * caller instead of a built-in model. Each step s:
 *   1. byz_trainer_next() (or the @c next field of the previous step's
 *      report) says whether this peer contributes a gradient to step s and
 *      gives the public batch seed xi_s of that gradient;
 *   2. the trainer computes its gradient on the batch that seed selects, at
 *      its parameters of step s, and hands it in with byz_trainer_step()
 *      (NULL when it does not contribute: it validates this step instead);
 *   3. the call returns when step s is decided, with the aggregate g^_s
 *      (float32, d) and the step's events (bans with reasons, exclusions);
 *   4. the trainer applies its own optimizer to g^_s and goes on to s + 1.
 *
 * Determinism: the protocol lets anyone recompute any peer's gradient. The
 * gradient of step s must be a pure function of (the parameters of step s,
 * the batch seed): the same bits on every honest peer. Honest peers that
 * start from the same parameters and apply the same deterministic optimizer
 * to the same aggregates stay bit-identical, so a validator's own parameters
 * of step s are the ones the validated peer used.
 *
 * Validation callback: validators (and peers adjudicating an accusation)
 * recompute another peer's gradient of the previous step. The library asks
 * the trainer with byz_trainer_grad_fn(ctx, step, seed, g, d): "your
 * gradient at your parameters of step @c step on the batch of @c seed".
 * It is always the step before the one in progress, so a trainer keeps one
 * copy of its previous parameters. A PyTorch trainer implements it with a
 * second copy of the model: load the saved parameters of @c step into it,
 * run the same loss on the batch of @c seed, backward, flatten the
 * gradients in the same order (python/byzreduce/torch.py does this).
 *
 * Replica identity: the library never sees the parameters. Divergent
 * parameters make a peer's gradients fail recomputation (exact validation
 * compares part hashes bit for bit), so a diverged replica is banned
 * (reason "gradient") by the honest majority; use the protocol's tolerance
 * validation where kernels are not bit-reproducible. Inside, the peer keeps
 * the protocol's own plain-SGD shadow of the parameters (lr from the run)
 * for its state digest; it is not your model.
 *
 * Threading rule: the library owns one polling thread per trainer (created
 * by open, joined by close). It runs the node's poll loop and the
 * validation callback. The caller's thread only calls byz_trainer_* : it
 * hands in a gradient and waits (byz_trainer_step), or hands in and polls
 * (byz_trainer_submit + byz_trainer_poll). One caller thread per trainer;
 * distinct trainers are independent. The validation callback runs on the
 * library's thread, possibly while the caller's thread computes the next
 * gradient, so it must not touch state that thread uses (use a copy of the
 * model).
 *
 * Time: the protocol's phases run on the clock. The gradient of step s is
 * asked for when step s starts; the polling thread waits for it (the node
 * is not polled meanwhile), at most grad_timeout_ns (a quarter phase by
 * default), so phase_us must be at least four times the time from one
 * aggregate to the next gradient. A gradient that comes later makes this
 * peer silent for the step (nothing is sent: excluded, never banned).
 *
 * Errors: negative errno codes, byz_strerror() for text. Ownership: every
 * buffer passed in is borrowed for the call and copied; every buffer filled
 * is the caller's.
 */
#ifndef BYZ_TRAINER_H
#define BYZ_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "byz/node.h"
#include "byz/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Events one step's report holds; more are counted in @c events_lost. */
#define BYZ_TRAINER_MAX_EVENTS 256u

/**
 * @brief Validation callback: the trainer's gradient at its parameters of
 * step @p step on the batch of @p seed.
 * @param ctx  the context given with it
 * @param step the step whose parameters to use (always the previous step)
 * @param seed the public batch seed
 * @param g    out: d floats
 * @param d    the dimension
 * @return 0, or a negative code (the library then does not accuse)
 */
typedef int (*byz_trainer_grad_fn)(void *ctx, uint64_t step, const uint8_t seed[32],
				   float *g, size_t d);

/** What the next step asks of the trainer. */
struct byz_trainer_next {
	uint64_t step;    /**< the step the next gradient is for */
	int contribute;   /**< 1: hand in the gradient on the batch of @c seed;
			       0: this peer validates this step (hand in NULL) */
	uint8_t seed[32]; /**< batch seed xi (contribute = 1; zeros otherwise) */
};

/** What one step decided. */
struct byz_trainer_report {
	uint64_t step;        /**< the step decided */
	int updated;          /**< 1: the aggregate is valid; 0: step skipped
				   (max_attempts), or not judged by this peer (it
				   was late and re-syncs: its model no longer
				   follows the swarm's), agg_out is zero-filled */
	int contributed;      /**< 1: our gradient was committed this step */
	uint32_t bans;        /**< BYZ_EV_BAN events below */
	uint32_t excluded;    /**< BYZ_EV_SILENT events below */
	uint8_t digest[32];   /**< the protocol's shadow-state digest after the step */
	struct byz_trainer_next next; /**< what step + 1 asks */
	uint32_t nevents;     /**< events[0..nevents) */
	uint32_t events_lost; /**< events beyond BYZ_TRAINER_MAX_EVENTS */
	struct byz_event events[BYZ_TRAINER_MAX_EVENTS]; /**< in the order decided */
};

/** A trainer on a node the caller sets up (ports, pool and EAL are the caller's). */
struct byz_trainer_cfg {
	struct byz_node_cfg node;   /**< as byz_node_new; .oracle is ignored
				         (the trainer supplies it); .run borrowed */
	byz_trainer_grad_fn validate; /**< required: see the file comment */
	void *validate_ctx;
	uint64_t origin_ns;         /**< protocol time 0 on node.clock_ns; 0: now + 100 ms */
	int busy;                   /**< 1: the polling thread never sleeps */
	/** Longest the polling thread waits for a gradient (from the step's
	 * start) before this peer stays silent for the step; 0: a quarter
	 * phase (the commit must reach every peer well inside its phase). */
	uint64_t grad_timeout_ns;
};

struct byz_trainer;

/**
 * @brief Create a trainer on a node the caller's setup provides and start
 * its polling thread. The EAL must be up.
 * @param err out: 0; -EINVAL (bad config, no validate callback); -ENOMEM;
 *            a node code; -errno from pthread_create
 * @return the trainer or NULL
 */
struct byz_trainer *byz_trainer_new(const struct byz_trainer_cfg *cfg, int *err);

/**
 * @brief Open a trainer from a byzd config file (docs/byzd.md; [gradient] is
 * ignored and [protocol] d is the gradient length): loads the key, brings up
 * the EAL (once per process: a second open reuses it), the mbuf pool and
 * the port, creates the node and starts the polling thread.
 * @param why NULL or receives "file:line: problem" / what failed
 * @param err out: 0; -EINVAL (config, key, port); -ENOMEM; -EIO (EAL or port)
 * @return the trainer or NULL
 */
struct byz_trainer *byz_trainer_open(const char *path, byz_trainer_grad_fn validate,
				     void *validate_ctx, char *why, size_t whylen, int *err);

/**
 * @brief Local swarm for tests and first steps: @p n trainers in this
 * process over an in-process ring fabric (no NIC, no hugepages), keys and
 * run id derived from @p seed. Brings the EAL up when it is not.
 * @param validate n callbacks (NULL: none may be NULL) with @p ctx[i]
 * @param out n trainers, freed one by one with byz_trainer_close (the
 *            fabric goes with the last one)
 * @return 0; -EINVAL (n not 2..BYZ_CONFIG_MAX_PEERS, d == 0, another local
 *         swarm is open); -ENOMEM; -EIO (EAL)
 */
int byz_trainer_local(uint32_t n, size_t d, uint64_t seed, uint64_t phase_us,
		      const byz_trainer_grad_fn *validate, void *const *ctx,
		      struct byz_trainer **out);

/** @brief Gradient length d. */
size_t byz_trainer_dim(const struct byz_trainer *t);
/** @brief Our roster index. */
uint16_t byz_trainer_self(const struct byz_trainer *t);
/** @brief Roster size. */
uint32_t byz_trainer_peers(const struct byz_trainer *t);

/**
 * @brief Wait until the library knows what the next step asks (its seed or
 * that this peer validates it).
 * @return 0; -ETIMEDOUT; -ECANCELED (closed); -ECONNABORTED (node halted)
 */
int byz_trainer_next(struct byz_trainer *t, struct byz_trainer_next *next,
		     uint64_t timeout_ns);

/**
 * @brief Hand in the gradient of the current step (borrowed for the call,
 * copied) without waiting. @p grad: d finite floats, or NULL when the step
 * does not ask for one (@c contribute = 0; a gradient then is ignored).
 * Waits only until the step's role is known (as byz_trainer_next).
 * @return 0; -EINVAL (NULL when a gradient is asked for); -EDOM (NaN or
 *         Inf; nothing handed in); -EBUSY (submitted already, not collected
 *         yet); -ECANCELED (closed)
 */
int byz_trainer_submit(struct byz_trainer *t, const float *grad);

/**
 * @brief Collect the submitted step if it is decided: fills @p agg_out (d
 * floats, the caller's) and @p rep (NULL: not wanted).
 * @return 0; -EAGAIN (not decided yet); -EINVAL (nothing submitted);
 *         -ECANCELED (closed); -ECONNABORTED (the node halted, e.g. late too
 *         often or no re-sync in time: no step will be decided any more;
 *         reports published before come first)
 */
int byz_trainer_poll(struct byz_trainer *t, float *agg_out, struct byz_trainer_report *rep);

/** @brief byz_trainer_poll, waiting up to @p timeout_ns. @return as poll, -ETIMEDOUT */
int byz_trainer_wait(struct byz_trainer *t, float *agg_out, struct byz_trainer_report *rep,
		     uint64_t timeout_ns);

/**
 * @brief submit + wait (no timeout beyond the protocol's: a step always
 * ends, decided or skipped, unless the trainer is closed or its node halted:
 * -ECANCELED, -ECONNABORTED).
 */
int byz_trainer_step(struct byz_trainer *t, const float *grad, float *agg_out,
		     struct byz_trainer_report *rep);

/** @brief Node counters (read from the caller's thread: plain loads). */
const struct byz_node_stats *byz_trainer_stats(const struct byz_trainer *t);

/**
 * @brief Stop the polling thread, free the node (and, for byz_trainer_open,
 * the port and pool; the EAL stays up for the process). Wakes a waiting
 * caller with -ECANCELED first. NULL is fine.
 */
void byz_trainer_close(struct byz_trainer *t);

/**
 * @brief sizeof(struct byz_trainer_report) in this library: a binding that
 * declares the struct itself (python/byzreduce/_lib.py) checks it at load,
 * so a layout change fails there with a message, not as memory corruption.
 */
size_t byz_trainer_report_size(void);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_TRAINER_H */
