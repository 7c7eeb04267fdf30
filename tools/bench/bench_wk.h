/*
 * Hashing worker lcores of the multi-process all-reduce (bench_mp.c,
 * --workers W): each worker drains one leaf ring of its peer's dataplane
 * (byz_dp_leaf_ring) in bursts, hashes the leaves with byz_hash_many and
 * publishes per-source counts the main lcore polls. One struct ar_wk per
 * process; the main lcore is the only writer of its control fields.
 */
#ifndef BYZ_BENCH_WK_H
#define BYZ_BENCH_WK_H

#include <stdint.h>

#include "bench_ar.h"

struct rte_ring;
struct byz_leaf_done;

#define AR_WK_MAX 8

/* Job kinds beyond the dataplane's BYZ_K_SCATTER / BYZ_K_GATHER: the main
 * lcore posts the leaves of its own gradient parts to be committed to. */
#define AR_WK_COMMIT 0
/* ... and the CenteredClip of its part once every input is verified (one
 * job per step, on worker 0's ring; see ar_wk_post_clip). */
#define AR_WK_CLIP 3

/* One counter per cache line: workers add, the main lcore reads. */
struct ar_wk_cnt {
	uint32_t ok, bad;
	uint8_t pad[56];
} __attribute__((aligned(64)));

struct ar_wk_lane {
	uint32_t seen_step;   /* the step this worker last started a burst in */
	uint64_t busy_ns;     /* time spent hashing and comparing */
	uint64_t stale;       /* descriptors of another step, or of a plain step */
	struct ar_wk *w;
	unsigned id;
	unsigned lcore;
	int launched;
} __attribute__((aligned(64)));

struct ar_wk {
	unsigned nw;
	int n, self, polite;
	struct rte_ring *ring[AR_WK_MAX];
	uint8_t *commits;                      /* [n][n][Lmax][32], shared between processes */
	uint32_t Lmax;
	uint8_t (*rdig)[32];                   /* [n][Lmax]: leaf digests of the result parts */
	const uint32_t *cstep[AR_MAXP];        /* each peer's published commitment step */
	/* written by the main lcore */
	uint32_t step;
	int32_t robust;
	int32_t stop;
	/* the clip job of this step: written by the main lcore before it posts
	 * the job, read by the worker that takes it */
	const float *clip_in[AR_MAXP];
	uint64_t clip_mask;
	size_t clip_d;
	double clip_tau;
	float *clip_out;
	uint32_t clip_posted; /* jobs posted so far (the job carries the count) */
	/* written by that worker: the last job done, its status, time */
	uint32_t clip_fin;
	int32_t clip_rc;
	uint64_t clip_ns;
	/* written by the workers: [AR_WK_COMMIT]: per own part, [kind]: per source */
	struct ar_wk_cnt cnt[3][AR_MAXP];
	struct ar_wk_lane lane[AR_WK_MAX];
};

/* Start one worker on each of the first w->nw worker lcores of the EAL.
 * 0, or -1 with @p why filled (too few lcores, launch refused). */
int ar_wk_launch(struct ar_wk *w, char *why, size_t whylen);

/* Stop and join every launched worker (safe on a partly launched set). */
void ar_wk_stop(struct ar_wk *w);

/* Enter a new step: workers drop descriptors of other steps (and all of them
 * when !robust); returns once every worker has left the previous step, then
 * clears the counters. Call before byz_dp_step_begin(). */
void ar_wk_step(struct ar_wk *w, uint32_t step, int robust);

/* From the polling thread (the leaf rings' single producer): queue the
 * leaves of @p len bytes at @p buf as jobs of @p kind from @p src for part
 * @p part. Returns the number of leaves queued; the caller does the rest. */
uint32_t ar_wk_post(struct ar_wk *w, uint8_t kind, uint16_t src, uint16_t part,
		    const uint8_t *buf, uint32_t len, uint32_t first_leaf);

/* From the polling thread: run CenteredClip of @p in (mask, d floats each,
 * radius tau) into @p out on worker 0 while this thread keeps polling.
 * 0, or -1 when the job could not be queued (the caller clips itself). */
int ar_wk_post_clip(struct ar_wk *w, const float *const *in, uint64_t mask, size_t d,
		    double tau, float *out);

/* 1 once this step's clip job is done, with its ar_clip status in @p rc and
 * the worker's time for it in @p secs. */
int ar_wk_clip_done(const struct ar_wk *w, int *rc, double *secs);

/* Leaves of one kind and source done so far / found wrong. */
uint32_t ar_wk_ok(const struct ar_wk *w, int kind, int src);
uint32_t ar_wk_bad(const struct ar_wk *w, int kind, int src);

/* Workers' busy time so far, summed (seconds). */
double ar_wk_busy(const struct ar_wk *w);

/* The digest slot of job (kind, src, part, leaf): where a commitment or a
 * result leaf digest goes. */
uint8_t *ar_wk_slot(const struct ar_wk *w, int kind, int src, int part, uint32_t leaf);

#endif
