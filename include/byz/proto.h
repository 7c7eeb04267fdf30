/**
 * @file byz/proto.h
 * @brief The BTARD step as a sans-IO state machine per peer, plus the public
 * functions every peer must compute identically (hashes, MPRNG, roles,
 * projections, the fixed-point check). docs/protocol.md describes the
 * protocol as built.
 *
 * A peer has no sockets, threads or clocks. The driver feeds it
 *  - byz_peer_start() once, at virtual time t0,
 *  - byz_peer_on_message() for every received message (untrusted bytes),
 *  - byz_peer_on_tick() whenever time reaches byz_peer_next_deadline(),
 * and drains what it wants sent (byz_peer_pop_out) and what it decided
 * (byz_peer_pop_event). The local gradient comes from the oracle callback
 * (a pure function of public inputs). Times are microseconds of virtual time.
 *
 * Thread safety: a peer is used by one thread at a time; distinct peers are
 * independent.
 */
#ifndef BYZ_PROTO_H
#define BYZ_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "byz/clip.h"
#include "byz/oracle.h"
#include "byz/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Phases of one attempt of a step (each lasts run->phase_us). */
enum byz_phase {
	BYZ_PH_COMMIT = 0,  /**< COMMIT broadcast; validators accuse */
	BYZ_PH_COMMIT_DIG,  /**< DIGEST of the commit set; pushes of missing messages */
	BYZ_PH_SCATTER,     /**< PART to aggregators */
	BYZ_PH_RESULT,      /**< RESULT + AGGV broadcast */
	BYZ_PH_RESULT_DIG,
	BYZ_PH_REVEAL,      /**< MPRNG reveal */
	BYZ_PH_REVEAL_DIG,
	BYZ_PH_PROJ,        /**< projections s, n; aggregators accuse liars */
	BYZ_PH_FINAL_DIG,   /**< last digest; at its end every peer judges */
	BYZ_PH_COUNT
};

/** How validators compare a recomputed gradient (run parameter). */
enum byz_validation {
	BYZ_VALIDATE_EXACT = 0,  /**< part hashes must match bit for bit */
	BYZ_VALIDATE_TOLERANCE,  /**< parts fetched from aggregators, relative tolerance rho */
};

/** Run constants: identical on every peer of a run (see docs/protocol.md). */
struct byz_run {
	uint8_t run_id[32];
	uint32_t n;             /**< roster size, 2..BYZ_MAX_PEERS */
	const uint8_t *roster;  /**< n public keys of 32 bytes (borrowed) */
	size_t d;               /**< model dimension */
	double tau;             /**< CenteredClip radius */
	double eps;             /**< CenteredClip residual target */
	uint32_t max_iters;     /**< CenteredClip iteration cap */
	double kappa;           /**< fixed-point tolerance factor */
	float lr;               /**< SGD learning rate */
	uint32_t validators;    /**< m validators per step */
	uint32_t silent_limit;  /**< K: silent steps before leaving membership */
	uint32_t max_attempts;  /**< attempts per step before it is skipped */
	uint64_t phase_us;      /**< phase length D */
	uint32_t validation;    /**< enum byz_validation */
	double rho;             /**< tolerance mode: a part v passes against the
				 *   recomputed w when ||v - w|| <= rho ||w|| */
	uint32_t probation;     /**< P: validated steps before a newcomer counts */
	uint32_t admit_rate;    /**< R: at most R admissions ... */
	uint32_t admit_window;  /**< ... per W steps */
	uint64_t late_us;       /**< a phase change this long after its deadline means
				 *   this peer is late (out of step); 0: phase_us / 3,
				 *   the delivery bound Delta of docs/protocol.md */
	uint32_t relay_f;       /**< f, the Byzantine members the relay windows tolerate
				 *   (W = f + 1 windows per digest phase); 0: floor((n - 1) / 2)
				 *   for the initial roster n. Below BYZ_WIRE_MAX_RELAY. */
	uint32_t relay_off;     /**< debug switch, never for a deployment: 1 turns the
				 *   relay windows off (the pre-relay schedule, in which a
				 *   Byzantine delivering late to some honest peers splits
				 *   their stores; docs/protocol.md, "Late delivery") */
};

/** @brief Fill the default constants (everything but run_id, n, roster, d). */
void byz_run_defaults(struct byz_run *r);

/**
 * @brief Relay windows W = f + 1 per digest phase of a run whose initial
 * roster has @p n0 peers: f = r->relay_f, or floor((n0 - 1) / 2) when it is
 * 0; 0 with relay_off. A run constant: every peer has the same schedule.
 */
uint32_t byz_relay_windows(const struct byz_run *r, uint32_t n0);
/**
 * @brief Length of one attempt (us): 9 D plus, in each of the three first
 * digest phases, W Delta of relay windows, and in FINAL_DIG (2W + 1) Delta
 * (projections' windows, one Delta for an accusation made on a relayed
 * projection, the accusations' windows; docs/protocol.md).
 */
uint64_t byz_run_attempt_us(const struct byz_run *r, uint32_t n0);

/** Why a peer was banned. */
enum byz_ban_reason {
	BYZ_BAN_BAD_PART = 1,     /**< part does not match its commitment */
	BYZ_BAN_PROJ_LIE,         /**< wrong projection or norm */
	BYZ_BAN_GRAD,             /**< gradient does not match recomputation */
	BYZ_BAN_EQUIV,            /**< two signed messages for one slot */
	BYZ_BAN_FALSE_ACCUSE,     /**< accusation adjudicated false */
	BYZ_BAN_REVEAL,           /**< MPRNG reveal missing or wrong */
	BYZ_BAN_PROJ_MISSING,     /**< no projection for an aggregated part */
	BYZ_BAN_FIXED_POINT,      /**< aggregate fails the fixed-point check */
	BYZ_BAN_RESULT,           /**< aggregate vector does not match its hash */
	BYZ_BAN_MALFORMED,        /**< signed a message whose payload does not parse */
	BYZ_BAN_REASON_END
};
/** @brief "bad-part", "projection-lie", ... */
const char *byz_ban_reason_name(int reason);

/** Decisions a peer reports. */
enum byz_event_kind {
	BYZ_EV_STEP_DONE = 1, /**< step finished; digest = params digest after the update */
	BYZ_EV_BAN,           /**< peer banned (applied at this attempt's end) */
	BYZ_EV_SILENT,        /**< peer excluded from this step (silent), not banned */
	BYZ_EV_LEFT,          /**< peer silent for K steps: left the membership */
	BYZ_EV_RESTART,       /**< attempt restarted without banned/silent peers */
	BYZ_EV_ACCUSE,        /**< this peer sent an accusation */
	BYZ_EV_SKIPPED,       /**< step abandoned after max_attempts (no update) */
	BYZ_EV_JOINED,        /**< peer admitted on probation from the next step */
	BYZ_EV_ACTIVE,        /**< probation over: peer counts from the next step */
	BYZ_EV_OUT_OF_SYNC,   /**< this peer's state digest differs from the swarm's */
	BYZ_EV_RESYNCED,      /**< this peer installed a checked state snapshot */
	BYZ_EV_LATE,          /**< this peer missed a deadline (its own lateness: reason =
			       *   enum byz_late_cause, peer = the phase entered late,
			       *   late_us = by how much): it accuses nobody, does not
			       *   judge this attempt and re-syncs from the swarm */
	BYZ_EV_HALT,          /**< this peer stopped acting (reason = enum byz_halt_reason);
			       *   the driver should stop with an error */
	BYZ_EV_TX_STALL,      /**< node runtime: frames refused by the port with nothing
			       *   sent (late_us = how long so far) */
};

/** Why a peer found itself late (BYZ_EV_LATE reason). */
enum byz_late_cause {
	BYZ_LATE_DEADLINE = 1, /**< a phase change ran late_us past its deadline */
	BYZ_LATE_DRIVER,       /**< the driver said so (byz_peer_mark_late: TX stall...) */
	BYZ_LATE_AGG,          /**< an aggregation job handed to the driver
				*   (byz_agg_driver) was not done when RESULT ended */
};

/** Why a peer halted (BYZ_EV_HALT reason). */
enum byz_halt_reason {
	BYZ_HALT_LATE = 1,   /**< late in BYZ_PEER_LATE_LIMIT attempts in a row: the phases
			      *   are too short for this node's load */
	BYZ_HALT_NO_RESYNC,  /**< out of step and no majority-endorsed snapshot came
			      *   within BYZ_PEER_RESYNC_PHASES phases */
	BYZ_HALT_MINORITY,   /**< fewer than a majority of the non-banned roster active */
};
/** Consecutive late attempts before a peer halts (BYZ_HALT_LATE). */
#define BYZ_PEER_LATE_LIMIT 3u
/** Phases a late peer waits for a snapshot before it halts (BYZ_HALT_NO_RESYNC). */
#define BYZ_PEER_RESYNC_PHASES (8u * BYZ_PH_COUNT)
/** @brief "late", "no-resync", "minority" */
const char *byz_halt_reason_name(int reason);

struct byz_event {
	enum byz_event_kind kind;
	uint64_t step;
	uint16_t attempt;
	uint16_t peer;        /**< subject (banned, silent, accused...) */
	int32_t accuser;      /**< accuser index, or -1 for a public check */
	uint8_t reason;       /**< enum byz_ban_reason / byz_accuse_reason */
	uint8_t digest[32];   /**< STEP_DONE: params digest */
	uint8_t synced;       /**< STEP_DONE: 0 while this peer is re-syncing (no claim) */
	uint64_t late_us;     /**< LATE, TX_STALL: how late (us) */
};

/** A message to send: to a peer index, or BYZ_WIRE_BCAST for every other peer. */
struct byz_out {
	uint16_t to;
	uint8_t *buf; /**< malloc'd; the caller frees it */
	size_t len;
};

struct byz_peer;

/** An outgoing message as a hook sees it, before signing. */
struct byz_send {
	uint8_t type;
	uint16_t to;
	uint8_t *payload; /**< editable in place */
	uint32_t len;     /**< may be changed up to cap */
	uint32_t cap;
};

/**
 * Hooks turn the honest state machine into a Byzantine one. Every hook is
 * optional. Honest peers have none.
 */
struct byz_peer_hooks {
	void *ctx;
	/** Before each message is signed. Return 0 to send it, 1 to drop it. */
	int (*on_send)(void *ctx, struct byz_peer *p, struct byz_send *s);
	/** After the oracle computed the local gradient (d floats). */
	void (*on_gradient)(void *ctx, struct byz_peer *p, float *g, size_t d);
	/** After aggregating a part, before it is hashed. */
	void (*on_aggregate)(void *ctx, struct byz_peer *p, uint16_t part, float *y,
			     uint32_t len);
	/** After the honest actions at the start of a phase. */
	void (*on_phase)(void *ctx, struct byz_peer *p, unsigned phase);
	/** Every received message, before parsing. */
	void (*on_receive)(void *ctx, struct byz_peer *p, const uint8_t *buf, size_t len);
};

/**
 * One CenteredClip of one part, as the peer hands it to an asynchronous
 * driver (struct byz_agg_driver). Everything but the outputs is filled by
 * the peer; the memory (inputs, @c y, the job itself) is the peer's and
 * stays valid until byz_peer_agg_done() takes the job back or the peer is
 * freed. A worker thread may run it (byz_agg_job_run) while the peer's own
 * thread goes on: it reads only the job and writes only the outputs.
 */
struct byz_agg_job {
	/* inputs */
	const float *const *in;      /**< k part vectors in inclusion order (roster order) */
	uint32_t k;                  /**< inputs, >= 1 */
	uint32_t len;                /**< floats per vector (the part length L) */
	struct byz_clip_params cp;   /**< tau, eps, max_iters, impl (the peer's choice) */
	float *y;                    /**< out: len floats */
	uint16_t part;               /**< part index j */
	uint16_t aggregator;         /**< this peer's index */
	uint64_t step;
	uint8_t run_id[32];
	int want_hash;               /**< 1: the runner also fills @c hash (0 when a hook
				      *   edits y after the clip: the peer hashes then) */
	/* outputs (byz_agg_job_run) */
	int rc;                      /**< byz_clip's code */
	struct byz_clip_result res;
	uint8_t hash[32];            /**< byz_agg_hash(run_id, step, aggregator, part, y) */
};

/** @brief Run a job where the caller stands (a worker lcore, or inline):
 *  byz_clip into job->y, then the aggregate hash when job->want_hash. */
void byz_agg_job_run(struct byz_agg_job *job);

/**
 * An asynchronous aggregation driver (byz_peer_set_agg). When the peer
 * needs its part(s) aggregated (phase RESULT) it offers each job to
 * @c submit; a job taken (0) must come back through byz_peer_agg_done(),
 * on the peer's thread, once run; a refused one (negative) runs inline at
 * once. Without a driver every job runs inline, as the peer always did.
 * RESULT and AGGV of a part go out when its job is back; a job not back
 * when RESULT ends is this peer's own lateness (BYZ_EV_LATE, BYZ_LATE_AGG),
 * never anybody's fault (docs/protocol.md, "Own lateness").
 */
struct byz_agg_driver {
	void *ctx;
	int (*submit)(void *ctx, struct byz_peer *p, struct byz_agg_job *job);
};

/**
 * @brief Install (or with NULL remove) the aggregation driver (copied).
 * @return 0; -EBUSY while a job is with the current driver
 */
int byz_peer_set_agg(struct byz_peer *p, const struct byz_agg_driver *drv);
/**
 * @brief A job the driver took is done (its outputs filled): the peer sends
 * RESULT and AGGV if the job is still of the current attempt and RESULT's
 * messages are still accepted (up to the end of RESULT_DIG), else drops it.
 * @return 0 (used), 1 (stale: dropped), -EINVAL (not a job of this peer
 *         that is out with the driver)
 */
int byz_peer_agg_done(struct byz_peer *p, uint64_t now, struct byz_agg_job *job);
/** @brief Jobs out with the driver and not yet done (any attempt). The peer
 *  must not be freed while this is non-zero and a worker still runs them. */
uint32_t byz_peer_agg_pending(const struct byz_peer *p);
/** @brief Jobs run inline and jobs handed to a driver, since creation. */
void byz_peer_agg_counts(const struct byz_peer *p, uint64_t *inline_jobs,
			 uint64_t *async_jobs);

/** Peer configuration (copied; pointers borrowed). */
struct byz_peer_cfg {
	const struct byz_run *run;
	uint16_t self;
	const uint8_t *sk;               /**< 64-byte secret key (copied into sodium memory) */
	struct byz_oracle oracle;
	const struct byz_peer_hooks *hooks; /**< NULL for an honest peer */
	/** 1: a newcomer whose key is not in run->roster; @c self is ignored.
	 * It asks to join, re-syncs from a checked STATE, and gets its index
	 * when it is admitted. */
	int joiner;
};

/**
 * @brief Create a peer (initial params: zeros).
 * @param err out: 0, -EINVAL (bad constants), -ENOMEM
 * @return the peer, or NULL
 */
struct byz_peer *byz_peer_new(const struct byz_peer_cfg *cfg, int *err);
/** @brief Free a peer and its queues; wipes its secret. NULL is fine. */
void byz_peer_free(struct byz_peer *p);

/** @brief Begin step 0 at virtual time @p now. @return 0 or -errno */
int byz_peer_start(struct byz_peer *p, uint64_t now);
/**
 * @brief Feed a received message (untrusted).
 * @return 0 if it was used or was a harmless duplicate; a negative code
 *         (byz_strerror) when it was dropped, e.g. -EBADMSG, -BYZ_EBADSIG,
 *         -BYZ_EBANNED, -ESTALE (another step or attempt), -ETIME (phase over)
 */
int byz_peer_on_message(struct byz_peer *p, uint64_t now, const uint8_t *buf, size_t len);
/** @brief Advance through every deadline <= @p now. @return 0 or -errno */
int byz_peer_on_tick(struct byz_peer *p, uint64_t now);
/** @brief Virtual time of the next phase deadline. */
uint64_t byz_peer_next_deadline(const struct byz_peer *p);
/** @brief Pop one outgoing message. @return 1 if @p o was filled, 0 if none */
int byz_peer_pop_out(struct byz_peer *p, struct byz_out *o);
/** @brief Pop one decision. @return 1 if @p e was filled, 0 if none */
int byz_peer_pop_event(struct byz_peer *p, struct byz_event *e);

/** @brief Current parameters (d floats, owned by the peer). */
const float *byz_peer_params(const struct byz_peer *p);
/** @brief Steps completed so far. */
uint64_t byz_peer_step(const struct byz_peer *p);
/** @brief This peer's index. */
uint16_t byz_peer_self(const struct byz_peer *p);
/** @brief Roster size in this peer's view (grows with admissions). */
uint32_t byz_peer_roster_size(const struct byz_peer *p);
/** @brief Public key of roster entry @p i, or NULL. */
const uint8_t *byz_peer_roster_key(const struct byz_peer *p, uint16_t i);
/** @brief 1 while this peer has no trusted state (newcomer, out of sync). */
int byz_peer_syncing(const struct byz_peer *p);
/** @brief 1 if @p who counts towards n now (member, not on probation). */
int byz_peer_is_active(const struct byz_peer *p, uint16_t who);
/** @brief Fault injection for tests: add 1 to every parameter when step
 * @p step starts (as if memory were corrupted); 0 disables. */
void byz_peer_corrupt_at(struct byz_peer *p, uint64_t step);
/**
 * @brief The aggregate g^ the last completed step applied (d floats, owned
 * by the peer), or NULL when that step was skipped or none completed yet.
 * Valid until the RESULT phase of the next step overwrites it; the trainer
 * API (byz/trainer.h) copies it at the step boundary.
 */
const float *byz_peer_aggregate(const struct byz_peer *p);
/** @brief Decisions queued and not yet popped (byz_peer_pop_event). */
size_t byz_peer_events_pending(const struct byz_peer *p);
/**
 * @brief Read the @p i-th queued decision without popping it (0 = oldest).
 * For a callback that runs inside byz_peer_on_tick (the oracle) and must see
 * the decisions of the step that just ended before the driver pops them.
 * @return 1 if @p e was filled, 0 if @p i is past the queue
 */
int byz_peer_peek_event(const struct byz_peer *p, size_t i, struct byz_event *e);

/**
 * @brief The driver found this peer late by itself (its TX stalled, its
 * clock jumped): treated as a missed deadline at @p now (BYZ_EV_LATE with
 * BYZ_LATE_DRIVER). No effect while syncing, halted or not started.
 */
void byz_peer_mark_late(struct byz_peer *p, uint64_t now);
/** @brief 0, or the enum byz_halt_reason once the peer halted. */
int byz_peer_halted(const struct byz_peer *p);
/** @brief 1 if this peer has banned @p who. */
int byz_peer_has_banned(const struct byz_peer *p, uint16_t who);
/** @brief Messages this peer dropped, by reason (diagnostics). */
uint64_t byz_peer_dropped(const struct byz_peer *p);

/* ---- Public computations (identical on every honest peer) ---- */

/** @brief Commitment to a part: BLAKE2b-256('P' || run || step u64 || sender u16 ||
 *  part u16 || len u32 || R), R the Merkle root (byz/merkle.h) over the part's
 *  float32 LE bytes in 64 KiB leaves; a leaf proof against R shows one leaf. */
void byz_part_hash(const uint8_t run_id[32], uint64_t step, uint16_t sender, uint16_t part,
		   const float *v, uint32_t len, uint8_t out[32]);
/** @brief Same with domain 'A' and the aggregator as sender: hash of g^[j]. */
void byz_agg_hash(const uint8_t run_id[32], uint64_t step, uint16_t aggregator,
		  uint16_t part, const float *v, uint32_t len, uint8_t out[32]);
/** @brief State digest: BLAKE2b-256('S' || run || STATE payload); COMMIT carries it. */
void byz_state_digest(const uint8_t run_id[32], const uint8_t *state, size_t len,
		      uint8_t out[32]);
/** @brief Params digest: BLAKE2b-256('X' || run || step u64 || float32 LE params). */
void byz_params_digest(const uint8_t run_id[32], uint64_t step, const float *x, size_t d,
		       uint8_t out[32]);
/** @brief xi_i^t = BLAKE2b-256("byz-batch" || run || t || r_{t-1} || pk_i). */
void byz_batch_seed(const uint8_t run_id[32], uint64_t step, const uint8_t r_prev[32],
		    const uint8_t pk[32], uint8_t out[32]);
/** @brief r_{-1}: the shared random value before step 0, from the run id. */
void byz_genesis(const uint8_t run_id[32], uint8_t out[32]);
/** @brief MPRNG secret rho: keyed BLAKE2b(key = secret seed, run || step || attempt). */
void byz_mprng_rho(const uint8_t sk[64], const uint8_t run_id[32], uint64_t step,
		   uint16_t attempt, uint8_t out[32]);
/** @brief MPRNG commitment H(run, t, attempt, i, rho). */
void byz_mprng_commit(const uint8_t run_id[32], uint64_t step, uint16_t attempt,
		      uint16_t sender, const uint8_t rho[32], uint8_t out[32]);

/**
 * @brief Seeded permutation of @p n items (Fisher-Yates on a ChaCha20 stream
 * keyed by BLAKE2b(tag || seed || step || attempt)).
 */
void byz_perm(const uint8_t seed[32], const char *tag, uint64_t step, uint16_t attempt,
	      uint16_t *items, uint32_t n);

/** Parts and sizes: part length L = ceil(d / n_parts). */
static inline uint32_t byz_part_len(size_t d, uint32_t n_parts)
{
	return n_parts ? (uint32_t)((d + n_parts - 1) / n_parts) : 0;
}

/**
 * @brief s = <z, v - y> and n = ||v - y|| in float64, z the Rademacher
 * vector z(r_t, part) from crypto_stream_chacha20 keyed by r_t with the part
 * index as nonce (bit c of the stream: 0 -> +1, 1 -> -1).
 */
void byz_proj(const uint8_t r_t[32], uint16_t part, const float *v, const float *y,
	      uint32_t len, double *s, double *n);

/**
 * @brief The fixed-point check of one part.
 * Passes when |sum_i min(1, tau/n_i) s_i| <= tol with
 *   tol = kappa * k * ||z|| * (eps + 2^-23 ||y||)
 *       + 4 (2 len + k + 4) 2^-53 ||z|| sum_i min(1, tau/n_i) n_i,
 * ||z|| = sqrt(len) (docs/protocol.md derives the allowances).
 * @param lhs NULL or out: |sum|;  @param tol NULL or out: the tolerance
 * @return 1 if it passes, 0 if it fails
 */
int byz_fixed_point_ok(double tau, double eps, double kappa, uint32_t len, double ynorm,
		       uint32_t k, const double *s, const double *n, double *lhs, double *tol);

/* ---- Resource limits (docs/security.md, "Resource limits") ---- */

/** Digests accepted from one sender per attempt (an honest peer sends 4;
 *  duplicates of the network count too). */
#define BYZ_PEER_MAX_DIGESTS 16u
/** Slots the attempt store has room for besides accusations: COMMIT,
 *  REVEAL, PROJ per sender and RESULT, AGGV per part, two versions each. */
#define BYZ_PEER_SLOTS_PER_PEER 10u

/** Why a peer dropped a received message (byz_peer_drop_count). */
enum byz_peer_drop {
	BYZ_PDROP_PARSE = 0,  /**< malformed (-EBADMSG, -BYZ_EVERSION, -ERANGE from the parser) */
	BYZ_PDROP_SIG,        /**< bad signature or unknown sender key */
	BYZ_PDROP_BANNED,     /**< from a banned or non-member peer */
	BYZ_PDROP_STALE,      /**< another step or attempt (replay) */
	BYZ_PDROP_LATE,       /**< its phase is over */
	BYZ_PDROP_PROTO,      /**< wrong recipient, role or part (-EPROTO) */
	BYZ_PDROP_ACCUSE_CAP, /**< accusations of one accuser over the per-attempt cap */
	BYZ_PDROP_DIGEST_CAP, /**< digests of one sender over BYZ_PEER_MAX_DIGESTS */
	BYZ_PDROP_STORE_CAP,  /**< another cap of the attempt store (versions, joins, size) */
	BYZ_PDROP_OTHER,
	BYZ_PDROP_RELAY,      /**< a RELAY with a bad chain signature (or outer signature) */
	BYZ_PDROP_COUNT
};

/**
 * @brief Accusations one accuser may have in one attempt, for a roster of
 * @p n: min(2n, (BYZ_WIRE_MAX_DIGEST_ENTRIES - BYZ_WIRE_MAX_QUEUE) / n
 * - BYZ_PEER_SLOTS_PER_PEER - 1), at least 1. Honest peers send at most this
 * many (the rest wait for the next attempt); a peer holding one more from
 * one accuser bans it (false-accusation). With it every sender's share of
 * the attempt store fits, so flooders cannot crowd honest messages out.
 */
uint32_t byz_peer_accuse_cap(uint32_t n);
/** @brief Received messages dropped for @p why (enum byz_peer_drop); 0 if out of range. */
uint64_t byz_peer_drop_count(const struct byz_peer *p, unsigned why);
/** @brief Accusations this peer adjudicated (evidence checks run) so far. */
uint64_t byz_peer_adjudications(const struct byz_peer *p);
/** @brief Signature checks this peer ran on received messages so far (one
 *  per new message that passed the header checks; duplicates are matched by
 *  content hash and not re-verified; evidence checks count separately in
 *  byz_peer_adjudications). */
uint64_t byz_peer_verifies(const struct byz_peer *p);
/** @brief RELAY messages this peer sent so far (0 in a run without late
 *  deliveries: honest messages arrive before the digest that lists them). */
uint64_t byz_peer_relays_sent(const struct byz_peer *p);
/** @brief Relay windows W of the current attempt (0: relay off). */
uint32_t byz_peer_relay_windows(const struct byz_peer *p);
/** @brief Accusations this peer did not send because of its own cap. */
uint64_t byz_peer_accusations_held_back(const struct byz_peer *p);
/** @brief Current phase (enum byz_phase) and attempt of the current step. */
unsigned byz_peer_phase(const struct byz_peer *p);
uint16_t byz_peer_attempt(const struct byz_peer *p);
/** @brief Messages in the attempt store now (bounded by BYZ_WIRE_MAX_DIGEST_ENTRIES). */
size_t byz_peer_held(const struct byz_peer *p);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_PROTO_H */
