/*
 * Training under attack, one configuration at a time: a model, a dataset,
 * n peers of which some attack, and a defence. The defence is either the
 * full BTARD protocol (the in-process swarm of byz/swarm.h: validators,
 * accusations, bans) or a trusted aggregator with no verification (mean,
 * CenteredClip per part, coordinate-wise median, geometric median). Every
 * defence sees the same data, model initialisation, attack and seed, so the
 * results compare. Used by byz-swarm (--model, --matrix) and by the tests.
 */
#ifndef BYZ_TOOLS_SWARM_EXPERIMENT_H
#define BYZ_TOOLS_SWARM_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "byz/data.h"
#include "byz/model.h"
#include "byz/shield.h"
#include "byz/swarm.h"

/** Defences. */
enum exp_defence {
	EXP_DEF_MEAN = 0,     /**< "mean": trusted server, plain average */
	EXP_DEF_CCLIP_SERVER, /**< "cclip-server": trusted server, CenteredClip per part */
	EXP_DEF_MEDIAN,       /**< "median": trusted server, coordinate-wise median */
	EXP_DEF_GEOMED,       /**< "geomed": trusted server, geometric median */
	EXP_DEF_BTARD,        /**< "btard": the protocol swarm */
	EXP_DEF_BYZSHIELD,    /**< "byzshield": redundant files + vote (byz/shield_run.h) */
	EXP_DEF_COUNT
};

/** @brief Name of a defence, or NULL. */
const char *exp_defence_name(int def);
/** @brief Defence by name. @return the enum value or -EINVAL */
int exp_defence_parse(const char *name);

/** A training set and its held-out set. */
struct exp_data {
	struct byz_dataset train, test;
	char desc[160]; /**< what was loaded, for reports */
	char name[16];  /**< "synthetic", "MNIST" or "CIFAR-10" */
};

/**
 * @brief Load "synthetic" (the default Gaussian mixture of byz/data.h, from
 * @p seed) or a path: a directory holding MNIST IDX files
 * (train-images-idx3-ubyte ... t10k-labels-idx1-ubyte, '-' or '.' before
 * idx, plain or .gz) or CIFAR-10 binaries (data_batch_1..5.bin + test_batch.bin, directly
 * or in cifar-10-batches-bin/), or one CIFAR-10 .bin file (its last sixth is
 * held out).
 * @param why out: a message naming the problem on error
 * @return 0; -ENOENT (nothing recognisable there); -EBADMSG (malformed
 *         file); other loader errors
 */
int exp_data_load(const char *spec, uint64_t seed, struct exp_data *d, char *why,
		  size_t whylen);
void exp_data_free(struct exp_data *d);

/** One configuration. */
struct exp_cfg {
	enum byz_model_kind model;
	uint32_t hidden;         /**< MLP hidden width */
	uint32_t filters;        /**< CNN filters */
	uint32_t n, nbyz;        /**< peers, attackers among them */
	int attack;              /**< enum byz_attack (gradient attacks; protocol ones with btard) */
	uint64_t attack_start;
	uint32_t attack_period;  /**< >= 1 */
	double attack_scale;     /**< 0: the attack's default */
	uint32_t attack_delay;   /**< delayed: steps back (0: default) */
	int defence;             /**< enum exp_defence */
	double tau;              /**< CenteredClip radius (per part) */
	uint32_t validators;     /**< btard: validators per step */
	float lr;                /**< plain SGD, x -= lr g, as the protocol applies it */
	uint32_t batch;          /**< examples per peer and step */
	uint32_t steps;
	uint32_t eval_every;     /**< held-out accuracy every this many steps (and at the end) */
	uint64_t seed;
	struct byz_net_cfg net;  /**< btard: the virtual network */
	int stop_when_banned;    /**< btard: stop once every provable attacker is banned */
	FILE *log;               /**< NULL or a stream for progress lines */
	/* byzshield (n must equal the assignment's K) */
	const struct byz_shield_assign *shield; /**< borrowed; NULL: byzshield refused */
	int shield_aggr;         /**< enum byz_shield_aggr */
	uint32_t shield_buckets; /**< median-of-means / multi-Krum buckets (0: 5) */
	int shield_worst;        /**< 1: attackers = a maximising set of byz_shield_worst_case,
				  *   lying only where they hold a majority; 2: the same set,
				  *   lying only on files they hold entirely */
	uint32_t shield_audits;  /**< files audited per step (byz_shield_run_cfg.audits) */
	int shield_withhold;     /**< attackers withhold reveals adaptively */
};

/** @brief Defaults: MLP (32 hidden), 16 peers, 7 attackers, sign-flip,
 *  btard, 60 steps, lr 0.5, batch 32, tau 0.1, 1 validator, seed 1. */
void exp_defaults(struct exp_cfg *c);

struct exp_point {
	uint64_t step;
	double acc;
};

/** What a run found (arrays owned; exp_result_free). */
struct exp_result {
	double final_acc, final_loss;
	int diverged;                /**< parameters became non-finite */
	struct exp_point *curve;     /**< held-out accuracy, step 0 first */
	size_t ncurve;
	struct byz_ban_rec *bans;    /**< btard: the ban timeline */
	size_t nbans;
	uint16_t byz[BYZ_MAX_PEERS]; /**< btard: the attackers' ids */
	uint32_t nbyz;
	uint32_t honest_banned;
	int replicas_identical, bans_consistent, finished;
	uint64_t steps_done, restarts, msgs, bytes;
	size_t d;                    /**< model parameters */
	double wall_s;               /**< wall-clock seconds of the run */
	/* cost counters (btard, byzshield) */
	uint64_t grad_calls;         /**< gradient-oracle calls of the defence (btard: every
				      *   call of every peer, validators and adjudication
				      *   included; byzshield: l per worker not banned,
				      *   K l = f r per step before bans) */
	uint64_t adjud_calls;        /**< byzshield: recomputations by adjudicators */
	uint64_t files_distorted, files_dropped, disagreements; /**< byzshield, summed */
	uint32_t shield_batch;       /**< byzshield: examples per file */
	/** byz_params_digest of the final parameters (btard: the honest
	 *  replicas'; otherwise of the run id byz_swarm_derive_keys gives the
	 *  seed, at steps_done), comparable across hosts and BLAS settings. */
	uint8_t params_digest[32];
	/** byz_model_fingerprint of the run's model spec on this host. */
	uint8_t model_fingerprint[BYZ_MODEL_FINGERPRINT_LEN];
};

/**
 * @brief Train one configuration.
 * @param why out: a message naming the problem on error
 * @return 0; -EINVAL (bad configuration); -ENOTSUP (a protocol attack with
 *         a trusted-aggregator defence); -ENOMEM; errors of the model,
 *         swarm and aggregators
 */
int exp_run(const struct exp_cfg *c, const struct exp_data *d, struct exp_result *r,
	    char *why, size_t whylen);
void exp_result_free(struct exp_result *r);

/** @brief Step at which attacker @p peer was banned, or -1. */
int64_t exp_ban_step(const struct exp_result *r, uint16_t peer);

/** One line of a chart: a label and its points. */
struct svg_series {
	const char *label;
	const struct exp_point *pts;
	size_t n;
	const uint64_t *marks; /**< steps drawn as triangles on the x axis (bans) */
	size_t nmarks;
};
/** One panel: a title and its lines. */
struct svg_panel {
	const char *title;
	const struct svg_series *series;
	size_t nseries;
};
/**
 * @brief Draw panels of accuracy against step side by side (up to 3 per
 * row), shared y range [0, 1], one colour per series label, one legend.
 * @param chance NULL-free level drawn as a grey dotted line (0: none)
 * @return 0 or -EIO
 */
int svg_write(FILE *f, const char *title, const struct svg_panel *panels, size_t npanels,
	      uint64_t max_step, double chance);

#endif
