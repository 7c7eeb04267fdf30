/*
 * A small swarm driver for the hardening tests: n honest protocol peers on a
 * virtual clock with a fixed, seeded delivery delay (well inside D/3), plus
 * what control/swarm.c does not offer: destroying a peer and re-creating it
 * from its key at any instant, and injecting arbitrary bytes (a hostile
 * sender) at any peer. Every member's secret key is known to the test, so a
 * hostile member can sign whatever it likes.
 */
#ifndef BYZ_MINISW_H
#define BYZ_MINISW_H

#include <stddef.h>
#include <stdint.h>

#include "byz/oracle.h"
#include "byz/proto.h"

#define MSW_MAX 24

struct msw_ev {
	uint64_t t;
	uint16_t to;
	int tick;
	uint8_t *buf;
	size_t len;
};

struct msw {
	uint32_t n;
	struct byz_run run;
	uint8_t roster[MSW_MAX * 32];
	uint8_t sk[MSW_MAX][64];
	struct byz_toy_lsq toy;
	struct byz_peer *peer[MSW_MAX];
	int alive[MSW_MAX];
	int mute[MSW_MAX];        /* nothing it sends is routed */
	int byz[MSW_MAX];         /* hostile: routed, but left out of the agreement checks */
	uint64_t sched[MSW_MAX];
	struct msw_ev *q;
	size_t nq, capq;
	uint64_t now;
	uint64_t seed;
	/* from the events of live, non-mute peers */
	uint8_t digest[64][32];   /* synced STEP_DONE digest per step (first reporter) */
	uint8_t have_digest[64];
	int disagree;             /* two synced digests of one step differ */
	uint64_t done[MSW_MAX];   /* last STEP_DONE step per peer */
	uint64_t resynced[MSW_MAX], joined[MSW_MAX], active_ev[MSW_MAX], left[MSW_MAX];
	uint64_t bans[MSW_MAX];   /* ban events (by any peer) against each index */
	uint8_t ban_reason[MSW_MAX];
	uint64_t msgs;
};

/** @brief n peers (keys and run id from @p seed), toy oracle of dimension @p d. */
int msw_init(struct msw *s, uint32_t n, uint64_t seed, size_t d, uint64_t phase_us);
void msw_free(struct msw *s);
/** @brief Start every peer at time 0. */
void msw_start(struct msw *s);
/** @brief Process every event up to time @p t (inclusive). */
void msw_run_until(struct msw *s, uint64_t t);
/** @brief Process events until @p cond(s, ctx) holds or time passes @p limit. @return 1 if it held */
int msw_run_while(struct msw *s, int (*cond)(struct msw *, void *), void *ctx, uint64_t limit);
/** @brief Destroy peer @p i (a crash: everything in memory is lost). */
void msw_crash(struct msw *s, uint16_t i);
/** @brief Re-create peer @p i from its key alone, as a peer without state. @return 0 or -errno */
int msw_restart(struct msw *s, uint16_t i);
/** @brief A newcomer with a fresh key (from the seed and @p tag) in slot s->n
 *  (its index if it is the next one admitted); s->n grows by one. @return the slot or -errno */
int msw_add_joiner(struct msw *s, uint32_t tag);
/** @brief Deliver @p len bytes to peer @p to now (untrusted input). @return the peer's code */
int msw_inject(struct msw *s, uint16_t to, const uint8_t *buf, size_t len);
/** @brief Lowest step every live non-mute peer has completed. */
uint64_t msw_min_done(const struct msw *s);
/** A point in protocol time, for msw_reached(). */
struct msw_at {
	uint64_t step;
	unsigned phase;
};
/** @brief msw_run_while() condition: peer 0 is at or past the msw_at @p ctx. */
int msw_reached(struct msw *s, void *ctx);
/** @brief msw_run_while() condition: msw_min_done() >= *(const uint64_t *)@p ctx. */
int msw_all_done(struct msw *s, void *ctx);
/** @brief 1 if every live, in-sync, non-mute peer holds the same params. */
int msw_params_equal(const struct msw *s);

#endif
