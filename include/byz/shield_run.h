/**
 * @file byz/shield_run.h
 * @brief ByzShield as a training mode: redundant files, a signed vote over
 *        hashes, one streamed vector per file, a robust aggregator, and bans
 *        of provable liars (docs/byzshield.md, "ByzShield mode").
 *
 * Three layers, each usable alone:
 *  - the wire format of the mode's four signed messages (SCOMMIT, SVEC,
 *    SACCUSE, SREVEAL), with a strict parser (untrusted input, never
 *    allocates);
 *  - the vote: per file, the hash class held by a strict majority of its
 *    replicas (pure function);
 *  - a whole run in one process: K workers of an assignment, q of them
 *    Byzantine, each honest worker a separate replica of the state that
 *    checks every signature, votes, aggregates and adjudicates by itself.
 *
 * Message layout (little-endian; the same 56-byte header idea as byz/wire.h,
 * with its own version byte so the two formats never parse as each other):
 *   0 u8 version (BYZ_SWIRE_VERSION)  1 u8 type (enum byz_swire_type)
 *   2 u16 sender  4 u16 rsv (0)  6 u16 rsv (0)  8 u64 step
 *  16 u32 payload length  20 u32 rsv (0)  24 run id[32]  56 payload, sig[64]
 * Payloads:
 *   SCOMMIT u16 count u16 rsv, count x (u32 file, hash[32]), mprng[32]; files
 *           strictly ascending, count 1..BYZ_SWIRE_MAX_FILES; mprng is the
 *           commitment byz_shield_mprng_commit(run, step, sender, rho)
 *   SVEC    u32 file u32 count, float32 x count (finite), count 1..2^20
 *   SACCUSE u16 accused u16 rsv u32 file u32 ev_len, ev_len bytes: the
 *           accused's complete signed SCOMMIT (parsed here, verified by the
 *           adjudicator)
 *   SREVEAL rho[32]: the value committed in the sender's SCOMMIT of the step
 * Version 0x54 added the MPRNG commitment and SREVEAL (0x53 had neither).
 * The signature (Ed25519) covers header and payload.
 */
#ifndef BYZ_SHIELD_RUN_H
#define BYZ_SHIELD_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "byz/agg.h"
#include "byz/oracle.h"
#include "byz/shield.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BYZ_SWIRE_VERSION 0x54u  /**< never equal to BYZ_WIRE_VERSION */
#define BYZ_SWIRE_HDR_LEN 56u
#define BYZ_SWIRE_SIG_LEN 64u
#define BYZ_SWIRE_MAX_FILES 4096u    /**< files per SCOMMIT */
#define BYZ_SWIRE_MAX_FLOATS (1u << 20) /**< floats per SVEC */
#define BYZ_SWIRE_MAX_WORKERS 256u   /**< K limit of the mode */

/** Message types of the mode. */
enum byz_swire_type {
	BYZ_SWIRE_COMMIT = 1, /**< a worker's hashes of its file gradients */
	BYZ_SWIRE_VEC = 2,    /**< one file gradient, streamed by one replica */
	BYZ_SWIRE_ACCUSE = 3, /**< a replica's hash is wrong: evidence its SCOMMIT */
	BYZ_SWIRE_REVEAL = 4, /**< the sender's MPRNG value of the step */
	BYZ_SWIRE_TYPE_END
};

/** A parsed message: views into the caller's buffer. */
struct byz_smsg {
	uint8_t type;
	uint16_t sender;
	uint64_t step;
	const uint8_t *run_id;
	const uint8_t *raw;     /**< whole message */
	size_t raw_len;
	/* SCOMMIT */
	uint16_t count;
	const uint8_t *entries; /**< count x 36 bytes */
	const uint8_t *mprng;   /**< 32 bytes: the MPRNG commitment */
	/* SREVEAL */
	const uint8_t *rho;     /**< 32 bytes */
	/* SVEC */
	uint32_t file, nfloats;
	const uint8_t *data;
	/* SACCUSE */
	uint16_t accused;
	const uint8_t *ev;
	uint32_t ev_len;
};

/**
 * @brief Strict structural parse (no signature check).
 * @return 0; -EBADMSG (truncated, trailing bytes, nonzero reserved field,
 *         bad count, unsorted files, malformed evidence); -EPROTO (wrong
 *         version or unknown type); -ERANGE (count over its limit); -EDOM
 *         (non-finite float)
 */
int byz_swire_parse(const uint8_t *buf, size_t len, struct byz_smsg *m);

/**
 * @brief Parse, then check run id, sender < n and the signature.
 * @param roster n Ed25519 public keys of 32 bytes
 * @return as byz_swire_parse; -EPROTO (other run or sender out of range);
 *         -BYZ_EBADSIG
 */
int byz_swire_open(const uint8_t *buf, size_t len, const uint8_t run_id[32],
		   const uint8_t *roster, uint32_t n, struct byz_smsg *m);

/**
 * @brief Build and sign a message (payload not validated: tests and
 *        adversaries build malformed ones this way).
 * @param out malloc'd message, owned by the caller
 * @return 0; -EINVAL (NULL, unknown type); -ERANGE (payload too long); -ENOMEM
 */
int byz_swire_seal(uint8_t type, uint16_t sender, uint64_t step, const uint8_t run_id[32],
		   const uint8_t *payload, uint32_t len, const uint8_t sk[64], uint8_t **out,
		   size_t *out_len);

/** @brief SCOMMIT payload: @p files ascending; @p hashes count x 32 bytes;
 *  @p mprng the 32-byte MPRNG commitment.
 *  @return bytes written to @p p (4 + 36 count + 32) */
size_t byz_swire_put_commit(uint8_t *p, uint16_t count, const uint32_t *files,
			    const uint8_t *hashes, const uint8_t mprng[32]);
/** @brief SVEC payload. @return bytes written (8 + 4 count) */
size_t byz_swire_put_vec(uint8_t *p, uint32_t file, const float *v, uint32_t count);
/** @brief SACCUSE payload. @return bytes written (12 + ev_len) */
size_t byz_swire_put_accuse(uint8_t *p, uint16_t accused, uint32_t file, const uint8_t *ev,
			    uint32_t ev_len);
/** @brief SREVEAL payload. @return bytes written (32) */
size_t byz_swire_put_reveal(uint8_t *p, const uint8_t rho[32]);
/** @brief The hash a parsed SCOMMIT gives @p file, or NULL if absent. */
const uint8_t *byz_swire_commit_hash(const struct byz_smsg *m, uint32_t file);

/**
 * @brief BLAKE2b-256 of a file gradient's canonical bytes: "byzshield-grad",
 *        run id, step (u64), file (u32), then float32 little-endian values.
 *        The sender is not in it: honest replicas of a file hash equal.
 */
void byz_shield_grad_hash(const uint8_t run_id[32], uint64_t step, uint32_t file,
			  const float *g, size_t d, uint8_t out[32]);

/** @brief The public batch seed of @p file in @p step: BLAKE2b of
 *  "byzshield-file", run id, step, file. */
void byz_shield_file_seed(const uint8_t run_id[32], uint64_t step, uint32_t file,
			  uint8_t seed[32]);

/**
 * @brief The MPRNG commitment of a worker's value: BLAKE2b-256 of
 *        "byzshield-mprng", run id, step (u64), worker (u16), rho[32].
 */
void byz_shield_mprng_commit(const uint8_t run_id[32], uint64_t step, uint16_t worker,
			     const uint8_t rho[32], uint8_t out[32]);

/**
 * @brief The shared random value of a step from the reveals that count:
 *        BLAKE2b-256 of "byzshield-r", run id, step, then (u16 worker,
 *        rho[32]) for every worker with @p ok[w] set, in worker order.
 * @param rho n x 32 bytes (entries with ok[w] = 0 are not read)
 */
void byz_shield_mprng_value(const uint8_t run_id[32], uint64_t step, const uint8_t *rho,
			    const uint8_t *ok, uint32_t n, uint8_t out[32]);

/**
 * @brief The audit draw of a step (docs/byzshield.md, "Audits"): @p m
 *        distinct files, uniform over 0..f-1, and for each an auditor
 *        uniform over the @p na eligible workers @p elig, all from the
 *        shared random value @p r by rejection sampling (no modulo bias).
 * @param files    out: m file ids
 * @param auditors out: m worker ids taken from @p elig
 * @return 0; -EINVAL (m > f, m > 0 with na == 0, NULL)
 */
int byz_shield_audit_draw(const uint8_t r[32], uint32_t f, uint32_t m, const uint16_t *elig,
			  uint32_t na, uint32_t *files, uint16_t *auditors);

/**
 * @brief The vote over one file's replicas.
 * @param hashes  r hashes of 32 bytes (replica order)
 * @param present r flags: 0 = no (valid) commitment from that replica
 * @param r       replicas, 1..BYZ_SWIRE_MAX_WORKERS
 * @param quorum  votes the winning class needs (ByzShield: floor(r/2) + 1)
 * @return the index of the first replica of the class holding >= quorum
 *         votes, or -1 if none does (the file is left out); -EINVAL for a
 *         bad argument
 */
int byz_shield_vote(const uint8_t *hashes, const uint8_t *present, uint32_t r,
		    uint32_t quorum);

/** How the voted file gradients are combined. */
enum byz_shield_aggr {
	BYZ_SHIELD_AGG_CCLIP = 0,   /**< CenteredClip over the voted files (tau) */
	BYZ_SHIELD_AGG_MOM,         /**< median-of-means over buckets */
	BYZ_SHIELD_AGG_MULTIKRUM,   /**< multi-Krum over bucket means */
	BYZ_SHIELD_AGG_MEAN,        /**< plain mean (the vote alone) */
	BYZ_SHIELD_AGG_COUNT
};
/** @brief "cclip", "median-of-means", "multikrum", "mean", or NULL. */
const char *byz_shield_aggr_name(int a);
/** @brief @return the enum value, or -EINVAL */
int byz_shield_aggr_parse(const char *s);

/** Configuration of a ByzShield run. */
struct byz_shield_run_cfg {
	const struct byz_shield_assign *assign; /**< borrowed; K workers, f files */
	struct byz_oracle oracle;      /**< file gradient from (x, file seed) */
	struct byz_oracle oracle_flip; /**< labels flipped (label-flip), or .grad NULL */
	size_t d;
	const float *x0;               /**< initial params (NULL: zeros) */
	float lr;                      /**< x -= lr * aggregate */
	uint32_t steps;
	uint64_t seed;                 /**< run id, keys, Byzantine choice */
	uint32_t nbyz;                 /**< q */
	const uint32_t *byz_set;       /**< q worker ids, or NULL: a seeded choice */
	int attack;                    /**< enum byz_attack (a gradient attack) */
	uint64_t attack_start;
	uint32_t attack_period;        /**< 0: 1 */
	double attack_scale;           /**< 0: the attack's default */
	uint32_t attack_delay;
	/** 1: the attackers lie only on files where they hold a majority
	 *  (omniscient colluders; with byz_set from byz_shield_worst_case) */
	int majority_only;
	/** 1: the attackers also accuse one honest replica per step (false
	 *  accusations; the adjudication bans the accuser) */
	int false_accuse;
	/** Files recomputed per step from public data by auditors drawn with
	 *  the step's shared random value (0: none). Catches files whose every
	 *  replica lies, which the vote cannot see (docs/byzshield.md, "Audits"). */
	uint32_t audits;
	/** 1: the attackers lie only on files all of whose non-banned replicas
	 *  are Byzantine (no honest co-replica ever disagrees: only audits
	 *  catch them) */
	int hidden_only;
	/** 1: the attackers reveal last and adaptively: one of them withholds
	 *  its MPRNG value whenever the draw it would complete sends an honest
	 *  auditor to a file they lie on (it is banned for it) */
	int withhold_reveal;
	enum byz_shield_aggr aggr;
	double tau;                    /**< CenteredClip radius */
	uint32_t buckets;              /**< median-of-means / multi-Krum (0: 5) */
	/** Called after every step (may be NULL). */
	void (*progress)(void *ctx, uint64_t step, const float *x);
	void *progress_ctx;
};

/** @brief Defaults: sign-flip, cclip, tau 1, lr 0.1, 5 steps, seed 1,
 *  1 audit per step. */
void byz_shield_run_defaults(struct byz_shield_run_cfg *c);

/** Why a worker was banned. */
enum byz_shield_ban_reason {
	BYZ_SHIELD_BAN_HASH = 0,        /**< its signed file hash differs from the recomputation */
	BYZ_SHIELD_BAN_FALSE_ACCUSE,    /**< it accused a replica whose hash was right */
	BYZ_SHIELD_BAN_REVEAL,          /**< MPRNG value missing or not the committed one */
};

/** One ban as every honest worker recorded it. */
struct byz_shield_ban {
	uint16_t worker;
	uint64_t step;
	uint16_t accuser; /**< who accused (the banned one for a false accusation: its target;
			   *   for a reveal ban: the banned worker itself) */
	uint8_t false_accusation; /**< 1: the accuser was banned, the accused was honest */
	uint8_t reason;           /**< enum byz_shield_ban_reason */
	uint8_t by_audit;         /**< 1: the accusation came from an audit */
};

/** What a run found. Arrays owned by the run. */
struct byz_shield_report {
	uint64_t steps_done;
	uint32_t K, f, nbyz;
	const uint16_t *byz;               /**< q Byzantine worker ids */
	const struct byz_shield_ban *bans;
	size_t nbans;
	uint32_t honest_banned;            /**< honest workers banned by any honest worker */
	int replicas_identical;            /**< honest params equal after every step */
	int bans_consistent;               /**< every honest worker banned the same */
	/* per run (sums over steps) */
	uint64_t files_voted, files_distorted, files_dropped; /**< distorted: voted hash != honest */
	uint64_t disagreements;            /**< replica hashes outside the winning class */
	uint64_t accusations, adjudications;
	uint64_t bad_streams;              /**< SVEC not matching its class hash */
	uint64_t grad_calls;               /**< file gradients the protocol asks for: l per
					    *   worker not banned (K l = f r before any ban) */
	uint64_t adjud_calls;              /**< recomputations for adjudication (all honest workers) */
	uint64_t audit_calls;              /**< recomputations by honest auditors */
	uint64_t withheld;                 /**< MPRNG values withheld or wrong */
	uint64_t msgs, bytes;              /**< every delivery (broadcast = K-1 deliveries) */
	/* the first attacked step's vote (what ByzShield's c_max bounds) */
	int64_t first_attack_step;         /**< -1: no lie seen */
	uint32_t first_distorted, first_dropped;
	uint32_t last_disagreeing;         /**< distinct replicas outside the class, last step */
};

struct byz_shield_run;

/**
 * @brief Build a run.
 * @param err out: 0; -EINVAL (no assignment, K > BYZ_SWIRE_MAX_WORKERS,
 *        nbyz >= K, d or steps 0, a bad set, an attack that is not a
 *        gradient attack, label-flip without oracle_flip); -ENOMEM
 */
struct byz_shield_run *byz_shield_run_new(const struct byz_shield_run_cfg *c, int *err);
/** @brief Run every step. @return 0 or a negative error of the oracle or
 *  aggregator */
int byz_shield_run_all(struct byz_shield_run *s);
/** @brief The report (valid until byz_shield_run_free). */
const struct byz_shield_report *byz_shield_run_report(const struct byz_shield_run *s);
/** @brief The first honest worker's params (d floats). */
const float *byz_shield_run_params(const struct byz_shield_run *s);
/** @brief The run id (32 bytes). */
const uint8_t *byz_shield_run_id(const struct byz_shield_run *s);
/** @brief Release (NULL ignored). */
void byz_shield_run_free(struct byz_shield_run *s);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_SHIELD_RUN_H */
