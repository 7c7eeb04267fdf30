/* Internal state of a protocol peer; shared by peer.c, accuse.c, judge.c and
 * the adversary hooks in attack.c. Not a public API. */
#ifndef BYZ_PEER_INT_H
#define BYZ_PEER_INT_H

#include <stdint.h>

#include "byz/proto.h"
#include "byz/wire.h"

#define BITSET(b, i) ((b)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))
#define BITTST(b, i) (((b)[(i) >> 3] >> ((i) & 7)) & 1u)

/* Aggregator inboxes are indexed part * BYZ_MAX_PEERS + sender, a fixed
 * stride because the roster grows when peers join. */
#define PB_IDX(j, i) ((size_t)(j) * BYZ_MAX_PEERS + (size_t)(i))
#define PB_SIZE ((size_t)BYZ_MAX_PEERS * BYZ_MAX_PEERS)

/* A signed broadcast message held for the current attempt. */
struct agg_batch;

struct held {
	uint8_t type;
	uint16_t sender, aux;
	uint8_t h16[16];
	uint8_t *buf;
	size_t len;
	struct byz_msg m;
	uint8_t pushed[BYZ_WIRE_BITMAP_LEN];
};

struct byz_peer {
	struct byz_run run;
	uint8_t *roster;          /* owned copy */
	uint16_t self;
	uint8_t *sk;              /* sodium_malloc, 64 bytes */
	struct byz_oracle oracle;
	struct byz_peer_hooks hooks;
	int has_hooks;

	/* membership (whole run); run.n is the roster size and grows */
	uint8_t banned[BYZ_MAX_PEERS];
	uint8_t left[BYZ_MAX_PEERS];
	uint32_t silent_run[BYZ_MAX_PEERS];
	uint8_t probation[BYZ_MAX_PEERS]; /* admitted, not counted yet */
	uint16_t clean[BYZ_MAX_PEERS];    /* validated probation steps */
	uint64_t admit_step[BYZ_MAX_PEERS]; /* UINT64_MAX: initial member */
	uint8_t jq[BYZ_WIRE_MAX_QUEUE][32]; /* keys waiting for admission, in order */
	uint32_t njq;
	uint8_t self_pk[32];
	uint8_t *roster0;         /* the initial roster (a run constant) */
	uint32_t run_n0;
	uint64_t now;             /* latest time fed by the driver */
	uint64_t t_step;          /* start of the current step */

	/* re-sync: a peer without trusted state buffers attempt-0 commits and
	 * STATE snapshots until one matches the digest a majority committed to */
	int syncing;
	int outsider;             /* not (or no longer) admitted: asks with JOIN */
	uint8_t **sbuf;           /* buffered raw COMMIT and STATE messages */
	size_t *sbuf_len;
	size_t nsbuf;
	uint64_t seen_step;       /* newest (step, attempt) seen while syncing */
	uint16_t seen_attempt;
	int seen;
	uint8_t *snap;            /* this step's STATE payload (served on request) */
	size_t snap_len;
	uint8_t sync_to[BYZ_MAX_PEERS]; /* members that asked for a STATE */
	int sync_outsiders;       /* a JOIN asked for one */
	uint64_t mute_step;       /* no COMMIT in this step (installed mid-step); 0: none */
	uint64_t corrupt_step;

	/* clock */
	uint64_t t_attempt;       /* start of the current attempt */
	unsigned phase;
	int started;

	/* step state */
	uint64_t step;
	uint16_t attempt;
	float *x, *x_prev;        /* params now and before the last update */
	uint8_t r_prev[32];       /* r_{t-1} */
	uint8_t r_prev2[32];      /* r_{t-2} (seeds of step t-1, for validation) */
	uint8_t active[BYZ_MAX_PEERS];    /* not banned, not left, at step start */
	uint8_t excluded[BYZ_MAX_PEERS];  /* silent aggregators excluded this step */
	uint8_t validator[BYZ_MAX_PEERS];
	uint8_t was_validator[BYZ_MAX_PEERS]; /* validators of step t-1 */
	uint8_t probe[BYZ_MAX_PEERS];     /* probationers that committed this attempt */
	int16_t target[BYZ_MAX_PEERS];
	uint16_t n_parts;         /* parts this attempt */
	uint32_t L;               /* part length */
	float *g;                 /* local gradient, n_parts * L (padded) */
	size_t g_cap;
	int have_grad;            /* gradient of this step computed */
	float *g_raw;             /* d floats */
	uint8_t rho[32];
	uint8_t params_digest[32];

	/* attempt store */
	struct held *store;
	size_t nstore, capstore;

	/* after the commit barrier */
	uint8_t committer[BYZ_MAX_PEERS];
	uint8_t contributor[BYZ_MAX_PEERS];
	uint16_t agg_of[BYZ_MAX_PEERS]; /* part -> aggregator */
	int roles_done;

	/* aggregator inbox: part * n + sender -> index into parts_in (or -1) */
	uint8_t **part_buf;       /* raw PART messages at PB_IDX(part, sender) */
	size_t *part_len;
	/* the previous step's inbox, kept to serve validators' FETCH requests */
	uint8_t **prev_part_buf;
	size_t *prev_part_len;
	uint16_t prev_agg_of[BYZ_MAX_PEERS];
	/* tolerance-mode validation of the target's previous-step parts */
	uint8_t *fetched[BYZ_MAX_PEERS]; /* signed PART messages of the target */
	size_t fetched_len[BYZ_MAX_PEERS];
	int fetch_open;
	int val_accused;          /* this validator accused its target this step */
	uint8_t *val_ev;          /* tolerance mode: the target's part it used */
	size_t val_ev_len;
	/* Probationers this peer found lying this step (member.c), with the
	 * evidence to re-send if an equivocation voids the attempt's accusations. */
	uint8_t prob_bad[BYZ_MAX_PEERS];
	uint8_t *prob_ev[BYZ_MAX_PEERS]; /* tolerance mode: their signed part */
	size_t prob_ev_len[BYZ_MAX_PEERS];
	uint16_t served[BYZ_MAX_PEERS]; /* parts served to each validator this step */
	uint8_t accused_part[BYZ_MAX_PEERS]; /* accused for bad part/proj lie this attempt */
	uint8_t accused_equiv[BYZ_MAX_PEERS];

	/* after results */
	float *y;                 /* n_parts * L aggregated parts */
	uint8_t have_y[BYZ_MAX_PEERS];
	uint8_t r_cur[32];        /* r_t */
	int have_r;

	/* previous step (for validation and gradient adjudication) */
	uint16_t prev_n_parts;
	uint16_t prev_attempt;
	uint8_t prev_contrib[BYZ_MAX_PEERS];
	uint8_t *prev_commit[BYZ_MAX_PEERS]; /* raw final commits of step t-1 */
	size_t prev_commit_len[BYZ_MAX_PEERS];
	int have_prev;
	uint8_t silent_step[BYZ_MAX_PEERS];  /* SILENT reported this step */
	float *tmp;               /* scratch, part-sized */
	float *tmp2;

	/* queues */
	struct byz_out *out;
	size_t nout, capout, headout;
	struct byz_event *ev;
	size_t nev, capev, headev;
	uint64_t dropped;

	/* resource limits (docs/security.md): per-attempt counts and drop counters */
	uint8_t n_digest[BYZ_MAX_PEERS];  /* digests accepted per sender this attempt */
	uint8_t full_sent[BYZ_WIRE_BITMAP_LEN]; /* full-list digests sent this phase, by peer */
	uint8_t accused_malformed[BYZ_MAX_PEERS]; /* one malformed accusation per signer */
	uint32_t acc_sent;                /* accusations this peer sent this attempt */
	uint64_t acc_held_back;           /* ... and those its own cap held back */
	uint64_t drops[BYZ_PDROP_COUNT];
	uint64_t adjudications;
	uint64_t verifies;                /* signature checks of received messages */
	int drop_why;                     /* set by a cap that refused the message; -1 none */

	/* own lateness (docs/protocol.md, "Own lateness"): a late peer accuses
	 * nobody, does not judge the attempt and re-syncs */
	int late_attempt;                 /* this attempt: a deadline passed late_us ago */
	uint32_t late_runs;               /* late attempts with no judged one between */
	int late_sync;                    /* syncing because it was late: halts unless
					   * a snapshot comes in time */
	uint64_t late_since;              /* when that sync began */
	int halted;                       /* enum byz_halt_reason; 0: running */

	/* aggregation jobs (byz_agg_driver): this attempt's, and earlier ones
	 * still out with the driver (their memory is the worker's until done) */
	struct byz_agg_driver agg;
	int has_agg;
	struct agg_batch *agg_cur;
	struct agg_batch *agg_old;
	uint32_t agg_out;                 /* jobs out with the driver, all batches */
	uint64_t agg_inline, agg_async;

	/* relay windows (relay.c): W this attempt, and the RELAY whose inner
	 * message is being processed (chain length 0: it came directly) */
	uint32_t relay_w;
	uint32_t rx_chain;
	const struct byz_msg *rx_relay;
	uint64_t relays_sent, relays_bad;
};

/* peer.c */
void pb_clear(uint8_t **buf, size_t *len);
void peer_event(struct byz_peer *p, enum byz_event_kind kind, uint16_t who, int32_t accuser,
		uint8_t reason);
int peer_send(struct byz_peer *p, uint8_t type, uint16_t to, const uint8_t *payload,
	      uint32_t len, uint32_t extra_cap);
int peer_emit_signed(struct byz_peer *p, uint8_t type, uint16_t to, const uint8_t *payload,
		     uint32_t len, uint16_t as_sender);
int peer_emit_raw(struct byz_peer *p, uint16_t to, const uint8_t *buf, size_t len);
struct held *store_find(struct byz_peer *p, uint8_t type, uint16_t sender, uint16_t aux,
			int version);
const uint8_t *peer_pk(const struct byz_peer *p, uint16_t i);
int peer_is_member(const struct byz_peer *p, uint16_t i);
/* Last phase in which broadcasts of @p type are accepted. */
unsigned peer_seal_of(uint8_t type);
/* 1 if the store holds this exact content (any version of its slot). */
int peer_store_holds(struct byz_peer *p, const struct byz_msg *m);

/* accuse.c: 1 if the accused is guilty, 0 if the accusation fails */
int accuse_adjudicate(struct byz_peer *p, const struct byz_msg *acc);
int accuse_send(struct byz_peer *p, uint8_t reason, uint16_t accused, uint16_t part,
		const uint8_t *ev0, size_t len0, const uint8_t *ev1, size_t len1);
int grad_parts_match(struct byz_peer *p, const struct byz_msg *commit, const float *x,
		     const uint8_t r_prev[32], uint64_t step);
int grad_recompute(struct byz_peer *p, uint16_t who, const float *x, const uint8_t r_prev[32],
		   uint64_t step, float *g);
int part_within_rho(const struct byz_peer *p, const float *g, const struct byz_msg *part,
		    uint32_t L);

/* judge.c: end of the attempt; restarts the attempt or finishes the step */
void judge_attempt(struct byz_peer *p, uint64_t now);

/* member.c: joins, admissions, probation */
void member_collect_joins(struct byz_peer *p);
void member_step_end(struct byz_peer *p, int update, const uint8_t *checked);
void member_check_probationers(struct byz_peer *p);
void member_reset_checks(struct byz_peer *p);

/* state.c: snapshots, the state digest, re-sync */
int state_build(struct byz_peer *p, uint64_t t_step);
int state_buffer(struct byz_peer *p, const struct byz_msg *m);
int state_try_install(struct byz_peer *p, uint64_t now);
void state_free(struct byz_peer *p);
void peer_begin_step(struct byz_peer *p, uint64_t now, int clear);
int peer_process(struct byz_peer *p, const uint8_t *buf, size_t len, int local);
void peer_halt(struct byz_peer *p, int reason);

#endif
