/**
 * @file byz/swarm.h
 * @brief A whole swarm in one process: n protocol peers (some Byzantine), a
 * seeded virtual network and a virtual clock. Every run is a pure function
 * of its configuration and seed.
 *
 * Network model: each delivery gets a delay uniform in [delay_min, delay_max];
 * with probability dup it is delivered twice; with probability loss it is
 * "lost" and delivered again after retx_us (the transport retransmits);
 * partitions cut a random minority off for partition_us, holding messages
 * across the cut until it heals. Reordering follows from the random delays.
 * Honest agreement needs every delivery within D/3 (D = run phase length);
 * docs/protocol.md explains the bound.
 */
#ifndef BYZ_SWARM_H
#define BYZ_SWARM_H

#include <stddef.h>
#include <stdint.h>

#include "byz/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Attacks, by the names the tests and byz-swarm use. */
enum byz_attack {
	BYZ_ATK_BAD_PART = 0,      /**< "bad-part": parts differ from the commitment */
	BYZ_ATK_EQUIV_COMMIT,      /**< "equivocate-commit": two commitments to two halves */
	BYZ_ATK_EQUIV_RESULT,      /**< "equivocate-result": two result hashes */
	BYZ_ATK_WRONG_AGGREGATE,   /**< "wrong-aggregate": shifted aggregate, hashed consistently */
	BYZ_ATK_LIE_PROJECTION,    /**< "lie-projection": wrong s_i^j */
	BYZ_ATK_FALSE_ACCUSE,      /**< "false-accuse": accuses an honest peer of a bad part */
	BYZ_ATK_WITHHOLD_REVEAL,   /**< "withhold-reveal" */
	BYZ_ATK_WRONG_REVEAL,      /**< "wrong-reveal" */
	BYZ_ATK_REPLAY,            /**< "replay": re-sends old messages of any sender */
	BYZ_ATK_FORGE,             /**< "forge": messages in others' names (bad signatures) */
	BYZ_ATK_SILENT,            /**< "silent": sends nothing */
	BYZ_ATK_MALFORMED,         /**< "malformed": junk, truncated and bad-field messages */
	BYZ_ATK_SIGN_FLIP,         /**< "sign-flip": commits -1000 x its honest gradient (caught by validators) */
	BYZ_ATK_LEAVE_REJOIN,      /**< "leave-rejoin": silent K+1 steps (leaves), then honest: rejoins on probation */
	/* Gradient attacks of byz/attack.h (run by control/gradattack.c; like
	 * sign-flip, committed consistently and proven by validators). */
	BYZ_ATK_RANDOM_DIRECTION,  /**< "random-direction" */
	BYZ_ATK_LABEL_FLIP,        /**< "label-flip": needs an oracle_flip (a model oracle) */
	BYZ_ATK_DELAYED,           /**< "delayed" */
	BYZ_ATK_IPM,               /**< "ipm": sees the honest gradients of the step */
	BYZ_ATK_ALIE,              /**< "alie": sees the honest gradients of the step */
	BYZ_ATK_NONE,              /**< "none": a Byzantine identity that behaves honestly */
	BYZ_ATK_SIGNED_MALFORMED,  /**< "signed-malformed": validly signed messages whose
				    *   payload does not parse (provable: banned) */
	BYZ_ATK_LATE_TO_SOME,      /**< "late-to-some": its digest-phase broadcasts reach
				    *   a few honest peers just before the deadline, and
				    *   colluders relay them one window late each */
	BYZ_ATK_COUNT
};

/** @brief The attack's name, or NULL. */
const char *byz_attack_name(int attack);
/** @brief Attack by name. @return the enum value, or -EINVAL */
int byz_attack_parse(const char *name);
/** @brief One-line description of the attack and what honest peers do. */
const char *byz_attack_help(int attack);
/** @brief 1 if the attack is a provable lie that must end in a ban. */
int byz_attack_bans(int attack);
/** @brief The gradient attack (enum byz_grad_attack_kind of byz/attack.h)
 *  that @p attack runs, or -1 for a protocol attack. */
int byz_attack_grad_kind(int attack);

struct byz_grad_attack;

/** Hooks and state of one attacker (see attack.c). */
struct byz_attacker {
	int attack;
	uint64_t start_step;   /**< first step it attacks */
	uint64_t seed;
	struct byz_swarm *swarm;
	/* replay memory */
	uint8_t **old;
	size_t *old_len;
	size_t nold, capold;
	/* gradient attacks (control/gradattack.c) */
	struct byz_grad_attack *grad; /**< owned; NULL for protocol attacks */
};
/** @brief Hooks implementing @p a->attack (a must outlive the peer). */
void byz_attacker_hooks(struct byz_attacker *a, struct byz_peer_hooks *h);
/** @brief Free the attacker's replay memory. */
void byz_attacker_free(struct byz_attacker *a);

struct byz_net_cfg {
	uint64_t delay_min_us, delay_max_us;
	double dup, loss;
	uint64_t retx_us;
	double partition_rate;  /**< chance per phase that a partition starts */
	uint64_t partition_us;
};

struct byz_swarm_cfg {
	uint32_t n;
	uint32_t nbyz;
	const int *attacks;     /**< attacks, assigned round-robin to attackers */
	uint32_t nattacks;
	uint64_t attack_start;  /**< first attacked step */
	uint32_t steps;
	uint64_t seed;
	size_t d;
	uint32_t batch;
	struct byz_net_cfg net;
	uint32_t joiners;       /**< newcomers (keys not in the roster) ... */
	uint64_t join_step;     /**< ... that start asking to join once step T is reached */
	uint32_t joiner_byz;    /**< the first joiner_byz of them are Byzantine ... */
	int joiner_attack;      /**< ... with this attack (from step 0) */
	uint64_t corrupt_step;  /**< nonzero: one honest peer's params are corrupted when
				 *   this step starts (it must re-sync, not be banned) */
	uint32_t noisy;         /**< honest peers (lowest ids) whose oracle is noisy */
	double noise;           /**< their relative noise (byz_noisy_oracle.rel) */
	struct byz_run run;     /**< constants (run_id, n, roster, d are filled in) */
	/** Called after each step all honest peers finished (may be NULL). */
	void (*progress)(void *ctx, const struct byz_swarm *s, uint64_t step);
	void *progress_ctx;
	/* Training with a real model (all optional; zero values keep the toy
	 * least-squares oracle and its defaults). */
	struct byz_oracle oracle;      /**< every peer's oracle (d must match); .grad NULL: toy */
	struct byz_oracle oracle_flip; /**< the same with labels flipped (label-flip attack) */
	const float *x0;               /**< initial parameters, d floats (NULL: zeros) */
	uint32_t attack_period;        /**< gradient attacks: active every period-th step (0: 1) */
	double attack_scale;           /**< gradient attacks: the knob of byz/attack.h (0: default) */
	uint32_t attack_delay;         /**< delayed attack: steps back (0: default) */
	/* Asynchronous aggregation (byz_agg_driver): every peer hands its
	 * CenteredClip jobs to the harness, which runs each agg_delay_us of
	 * virtual time later (as a worker lcore would). 0: inline, as always. */
	int agg_async;
	uint64_t agg_delay_us;
	uint32_t agg_slow;             /**< 1 + the peer whose jobs take agg_slow_us instead
					*   (0: none): its own lateness, never a ban */
	uint64_t agg_slow_us;
};

/** @brief Defaults: 4 peers, no attackers, 5 steps, d = 256, mild faults. */
void byz_swarm_defaults(struct byz_swarm_cfg *c);

/** One ban as the first honest peer recorded it. */
struct byz_ban_rec {
	uint16_t peer;
	uint64_t step;
	uint8_t reason;   /**< enum byz_ban_reason */
	int32_t accuser;  /**< -1: a public check */
};

/** One admission as the first honest peer recorded it. */
struct byz_join_rec {
	uint16_t peer;        /**< roster index given on admission */
	uint16_t slot;        /**< the harness's peer slot (>= n: a newcomer) */
	uint64_t admitted;    /**< first step on probation */
	uint64_t active;      /**< first step counted, or UINT64_MAX */
	int byz;              /**< the harness made it Byzantine */
};

/** What a run found. Arrays are owned by the swarm. */
#define BYZ_SWARM_TYPES 16u

struct byz_swarm_report {
	uint64_t steps_done;          /**< steps every honest peer finished */
	uint32_t n, nbyz;
	const uint16_t *byz;          /**< Byzantine peer ids */
	const int *byz_attack;        /**< their attacks */
	const struct byz_ban_rec *bans;
	size_t nbans;
	uint32_t honest_banned;       /**< honest peers banned by any honest peer */
	int replicas_identical;       /**< honest params digests equal after every step */
	int bans_consistent;          /**< every honest peer banned the same, in order */
	int finished;                 /**< all honest peers reached cfg.steps */
	uint8_t params_digest[32];    /**< honest digest after the last step */
	uint64_t restarts, silent_events, left_events, accusations;
	const struct byz_join_rec *joined; /**< admissions, in order */
	size_t njoined;
	uint32_t active_end;          /**< peers counting towards n at the end */
	uint64_t out_of_sync, resyncs; /**< events of honest peers */
	uint64_t msgs, bytes, dropped, virtual_us;
	/** Deliveries and bytes by message type (index enum byz_msg_type;
	 *  BYZ_SWARM_TYPES - 1 collects unknown types). */
	uint64_t type_msgs[BYZ_SWARM_TYPES], type_bytes[BYZ_SWARM_TYPES];
	uint64_t verifies;            /**< signature checks by all peers (byz_peer_verifies) */
	uint64_t late_events;         /**< BYZ_EV_LATE of honest peers (own lateness) */
	uint64_t late_agg;            /**< ... of them with cause BYZ_LATE_AGG */
	double dist_start, dist_end;  /**< ||x - x*|| of the toy model */
};

struct byz_swarm;

/**
 * @brief The run id and the keys of roster slots 0..@p n-1 that
 * byz_swarm_new() derives from @p seed, so that another driver (the node
 * runtime tests) can run the same swarm and compare with the harness.
 * @param roster n public keys of 32 bytes
 * @param sks    n secret keys of 64 bytes
 */
void byz_swarm_derive_keys(uint64_t seed, uint32_t n, uint8_t run_id[32], uint8_t *roster,
			   uint8_t (*sks)[64]);

/**
 * @brief Build a swarm (keys, roster, peers, attackers).
 * @param err out: 0; -EINVAL (n < 2 or > BYZ_MAX_PEERS, nbyz >= n/2... ) ; -ENOMEM
 */
struct byz_swarm *byz_swarm_new(const struct byz_swarm_cfg *cfg, int *err);
/** @brief Run to completion. @return 0, or -ETIMEDOUT if honest peers did not finish */
int byz_swarm_run(struct byz_swarm *s);
/** @brief The report (valid until byz_swarm_free). */
const struct byz_swarm_report *byz_swarm_report(const struct byz_swarm *s);
/** @brief 1 if @p id is Byzantine. */
int byz_swarm_is_byz(const struct byz_swarm *s, uint16_t id);
/** @brief The harness slot holding roster key @p pk, or -1. */
int byz_swarm_slot_of(const struct byz_swarm *s, const uint8_t pk[32]);
/** @brief Peer @p id (for hooks and inspection). */
struct byz_peer *byz_swarm_peer(const struct byz_swarm *s, uint16_t id);
/** @brief Virtual time now. */
uint64_t byz_swarm_now(const struct byz_swarm *s);
/** @brief Ask byz_swarm_run to return after the current step (e.g. from the
 *  progress callback once every attacker is banned); finished stays 0. */
void byz_swarm_stop(struct byz_swarm *s);
void byz_swarm_free(struct byz_swarm *s);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_SWARM_H */
