/*
 * Aggregation workers of the node runtime: CenteredClip (and the hash of
 * its result) on worker lcores, so that the control thread only signs,
 * verifies and runs the small steps of the protocol. The peer hands a job
 * out through its byz_agg_driver; the control thread copies a descriptor
 * (one cache line: the job pointer and a sequence number) onto the ring of
 * the worker with the fewest jobs in flight; the worker runs
 * byz_agg_job_run() and puts the descriptor, now with its run time, on its
 * return ring; byz_node_poll() reaps the return rings and hands each job
 * back to the peer (byz_peer_agg_done), which sends RESULT and AGGV.
 * Every ring is single producer, single consumer, sized so that it never
 * refuses a descriptor another ring holds; nothing is allocated per job.
 * A full ring (more jobs in flight than it holds) refuses: the peer runs
 * that job inline and the node counts it (agg_ring_full).
 * Stop: the stop flag, rte_eal_wait_lcore, then the jobs still queued run
 * on the calling thread and go back to the peer, so none is lost and no
 * worker touches the peer's memory after it.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "node_int.h"

/* Descriptors in flight per worker (a power of two); an attempt has at
 * most a few jobs per aggregator, earlier attempts' stragglers included. */
#define WK_RING 256u

struct wk_desc {
	alignas(64) struct byz_agg_job *job;
	uint64_t seq;
	uint64_t cycles; /* run time on the worker (TSC cycles) */
	uint8_t pad[40];
};

struct wk {
	struct rte_ring *in, *back;
	unsigned lcore;
	int launched;
	uint32_t inflight;          /* control thread only */
	struct node_workers *ws;
	/* written by the worker (relaxed), read by others */
	alignas(64) uint64_t jobs, cycles;
	/* written by the control thread */
	alignas(64) int stop;
};

struct node_workers {
	struct wk *w;
	unsigned nw;
	int busy;
	uint64_t seq;
	uint64_t ring_full;
};

static int wk_main(void *arg)
{
	struct wk *w = arg;
	unsigned idle = 0;
	uint64_t jobs = 0, cyc = 0;
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct wk_desc d;
		if (rte_ring_sc_dequeue_elem(w->in, &d, sizeof(d)) == 0) {
			uint64_t t0 = rte_rdtsc();
			byz_agg_job_run(d.job);
			d.cycles = rte_rdtsc() - t0;
			/* never refused: back holds every descriptor in holds */
			rte_ring_sp_enqueue_elem(w->back, &d, sizeof(d));
			jobs++;
			cyc += d.cycles;
			__atomic_store_n(&w->jobs, jobs, __ATOMIC_RELAXED);
			__atomic_store_n(&w->cycles, cyc, __ATOMIC_RELAXED);
			idle = 0;
			continue;
		}
		if (w->ws->busy)
			continue;
		/* polite: spin briefly, then leave the core to others; jobs come
		 * once per RESULT phase, so after a while idle a 1 ms nap costs
		 * far less than the phase and spares the shared cores' wakeups */
		if (++idle > 4096)
			usleep(1000);
		else if (idle > 1024)
			usleep(50);
		else if (idle > 64)
			rte_pause();
	}
	return 0;
}

struct node_workers *node_workers_new(const unsigned *lcores, unsigned nw, int busy, int *err)
{
	static unsigned seq; /* ring names are process-wide */
	int e = -EINVAL;
	struct node_workers *ws = NULL;
	if (!lcores || nw == 0 || nw > BYZ_NODE_MAX_WORKERS)
		goto fail;
	e = -ENOMEM;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		goto fail;
	void *mem = NULL;
	if (posix_memalign(&mem, 64, nw * sizeof(struct wk)))
		goto fail;
	ws->w = mem;
	memset(ws->w, 0, nw * sizeof(struct wk));
	ws->nw = nw;
	ws->busy = busy;
	for (unsigned i = 0; i < nw; i++) {
		struct wk *w = &ws->w[i];
		w->ws = ws;
		w->lcore = lcores[i];
		unsigned id = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
		char name[32];
		snprintf(name, sizeof(name), "bzwki%u", id);
		w->in = rte_ring_create_elem(name, sizeof(struct wk_desc), WK_RING, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "bzwkb%u", id);
		/* twice the in ring: every descriptor out fits at once */
		w->back = rte_ring_create_elem(name, sizeof(struct wk_desc), 2 * WK_RING,
					       SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!w->in || !w->back)
			goto fail;
	}
	if (err)
		*err = 0;
	return ws;
fail:
	node_workers_free(ws, NULL, 0);
	if (err)
		*err = e;
	return NULL;
}

int node_workers_launch(struct node_workers *ws)
{
	if (rte_lcore_id() != rte_get_main_lcore())
		return -EPERM; /* only the main lcore may launch (DPDK) */
	for (unsigned i = 0; i < ws->nw; i++) {
		unsigned l = ws->w[i].lcore;
		if (l >= RTE_MAX_LCORE || l == rte_get_main_lcore() || !rte_lcore_is_enabled(l))
			return -EINVAL;
		if (rte_eal_get_lcore_state(l) != WAIT)
			return -EBUSY;
	}
	for (unsigned i = 0; i < ws->nw; i++) {
		struct wk *w = &ws->w[i];
		__atomic_store_n(&w->stop, 0, __ATOMIC_RELEASE);
		int r = rte_eal_remote_launch(wk_main, w, w->lcore);
		if (r)
			return r < 0 ? r : -r; /* the caller frees, which stops the others */
		w->launched = 1;
	}
	return 0;
}

int node_workers_submit(struct node_workers *ws, struct byz_agg_job *job)
{
	struct wk *best = NULL;
	for (unsigned i = 0; i < ws->nw; i++)
		if (ws->w[i].launched && (!best || ws->w[i].inflight < best->inflight))
			best = &ws->w[i];
	if (!best || best->inflight >= WK_RING) {
		ws->ring_full++;
		return -ENOBUFS;
	}
	struct wk_desc d = {.job = job, .seq = ++ws->seq};
	if (rte_ring_sp_enqueue_elem(best->in, &d, sizeof(d)) != 0) {
		ws->ring_full++;
		return -ENOBUFS;
	}
	best->inflight++;
	return 0;
}

unsigned node_workers_reap(struct node_workers *ws, struct byz_peer *p, uint64_t now_us)
{
	unsigned got = 0;
	for (unsigned i = 0; i < ws->nw; i++) {
		struct wk *w = &ws->w[i];
		struct wk_desc d;
		while (w->inflight && rte_ring_sc_dequeue_elem(w->back, &d, sizeof(d)) == 0) {
			w->inflight--;
			byz_peer_agg_done(p, now_us, d.job);
			got++;
		}
	}
	return got;
}

void node_workers_free(struct node_workers *ws, struct byz_peer *p, uint64_t now_us)
{
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->nw; i++) {
		struct wk *w = &ws->w[i];
		if (w->launched) {
			__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
			rte_eal_wait_lcore(w->lcore);
			w->launched = 0;
		}
	}
	/* the workers are gone: what they finished goes back, and what they
	 * never started runs here, so the peer gets every job back */
	for (unsigned i = 0; p && i < ws->nw; i++) {
		struct wk *w = &ws->w[i];
		struct wk_desc d;
		while (w->in && rte_ring_sc_dequeue_elem(w->in, &d, sizeof(d)) == 0) {
			byz_agg_job_run(d.job);
			rte_ring_sp_enqueue_elem(w->back, &d, sizeof(d));
		}
	}
	if (p)
		node_workers_reap(ws, p, now_us);
	for (unsigned i = 0; ws->w && i < ws->nw; i++) {
		rte_ring_free(ws->w[i].in);
		rte_ring_free(ws->w[i].back);
	}
	free(ws->w);
	free(ws);
}

unsigned node_workers_count(const struct node_workers *ws)
{
	return ws ? ws->nw : 0;
}

int node_workers_stats(const struct node_workers *ws, unsigned i,
		       struct byz_node_worker_stats *st)
{
	if (!ws || i >= ws->nw || !st)
		return -EINVAL;
	const struct wk *w = &ws->w[i];
	uint64_t hz = rte_get_tsc_hz();
	uint64_t cyc = __atomic_load_n(&w->cycles, __ATOMIC_RELAXED);
	st->lcore = (int)w->lcore;
	st->jobs = __atomic_load_n(&w->jobs, __ATOMIC_RELAXED);
	st->busy_ns = hz ? (uint64_t)((double)cyc * 1e9 / (double)hz) : 0;
	return 0;
}

uint64_t node_workers_ring_full(const struct node_workers *ws)
{
	return ws ? ws->ring_full : 0;
}
