/*
 * Hashing worker lcores for byz-bench allreduce --workers (see bench_wk.h).
 *
 * A worker owns one leaf ring. It takes up to a burst of descriptors, keeps
 * those of the current step, hashes them all with one byz_hash_many call
 * (SIMD lanes across leaves where the CPU has them), then acts by kind:
 * a scatter leaf is compared with its sender's commitment, a gather leaf's
 * digest is kept (what a peer checks against the signed result hash), a
 * commit job's digest becomes our commitment, and the one clip job of a step
 * runs CenteredClip on the verified inputs (the spec's "workers run
 * CenteredClip when all inputs of a block are present"; a part is the
 * block: CenteredClip does not split by coordinates). Each outcome is one atomic add
 * on a per-source counter in its own cache line. Step changes are a
 * handshake: the main lcore bumps the step and waits until every worker has
 * finished the burst it started under the old one, so counters are cleared
 * only when nobody can still add an old step's result to them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring_elem.h>

#include "bench_wk.h"
#include "byz/dp.h"
#include "byz/hash.h"
#include "bench_ar.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int ar_wk_post_clip(struct ar_wk *w, const float *const *in, uint64_t mask, size_t d,
		    double tau, float *out)
{
	for (int i = 0; i < w->n; i++)
		w->clip_in[i] = in[i];
	w->clip_mask = mask;
	w->clip_d = d;
	w->clip_tau = tau;
	w->clip_out = out;
	/* the ring's release publishes the fields above to the worker */
	struct byz_leaf_done job = {.step = w->step, .kind = AR_WK_CLIP,
				    .leaf = w->clip_posted + 1};
	if (rte_ring_enqueue_elem(w->ring[0], &job, sizeof(job)))
		return -1;
	w->clip_posted++;
	return 0;
}

int ar_wk_clip_done(const struct ar_wk *w, int *rc, double *secs)
{
	if (__atomic_load_n(&w->clip_fin, __ATOMIC_ACQUIRE) != w->clip_posted)
		return 0;
	*rc = w->clip_rc;
	*secs = (double)w->clip_ns * 1e-9;
	return 1;
}

uint8_t *ar_wk_slot(const struct ar_wk *w, int kind, int src, int part, uint32_t leaf)
{
	if (kind == BYZ_K_GATHER)
		return w->rdig[(size_t)src * w->Lmax + leaf];
	/* commit job: our own commitment; scatter leaf: the sender's commitment to us */
	size_t i = ((size_t)src * (size_t)w->n + (size_t)part) * w->Lmax + leaf;
	return w->commits + i * 32;
}

static void wk_burst(struct ar_wk *w, struct ar_wk_lane *ln, const struct byz_leaf_done *d,
		     unsigned k, uint32_t step)
{
	const uint8_t *msg[BYZ_DP_BURST];
	size_t len[BYZ_DP_BURST];
	uint8_t out[BYZ_DP_BURST][32];
	unsigned idx[BYZ_DP_BURST], m = 0;
	for (unsigned j = 0; j < k; j++) {
		int kind = d[j].kind;
		if (kind == AR_WK_CLIP && d[j].step == step) {
			uint64_t t0 = now_ns();
			int rc = ar_clip(w->clip_in, w->n, w->clip_mask, w->clip_d, w->clip_tau,
					 w->clip_out);
			w->clip_rc = rc;
			w->clip_ns = now_ns() - t0;
			__atomic_store_n(&w->clip_fin, d[j].leaf, __ATOMIC_RELEASE);
			continue;
		}
		/* descriptors come from our own dataplane and main lcore, but a
		 * step boundary can leave old ones behind */
		if (d[j].step != step || d[j].src >= w->n || d[j].part >= w->n ||
		    d[j].leaf >= w->Lmax || kind > BYZ_K_GATHER) {
			ln->stale++;
			continue;
		}
		msg[m] = d[j].buf;
		len[m] = d[j].len;
		idx[m++] = j;
	}
	if (!m)
		return;
	if (byz_hash_many(msg, len, m, out, BYZ_HASH_AUTO))
		memset(out, 0, sizeof(out)); /* cannot happen with valid pointers: fail closed */
	for (unsigned q = 0; q < m; q++) {
		const struct byz_leaf_done *e = &d[idx[q]];
		uint8_t *slot = ar_wk_slot(w, e->kind, e->src, e->part, e->leaf);
		struct ar_wk_cnt *c = &w->cnt[e->kind][e->kind == AR_WK_COMMIT ? e->part : e->src];
		if (e->kind == BYZ_K_SCATTER) {
			/* the control plane would have delivered the commitment first */
			while (__atomic_load_n(w->cstep[e->src], __ATOMIC_ACQUIRE) != step &&
			       !__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
				rte_pause();
			if (memcmp(slot, out[q], 32)) {
				__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELEASE);
				continue;
			}
		} else {
			memcpy(slot, out[q], 32);
		}
		__atomic_fetch_add(&c->ok, 1, __ATOMIC_RELEASE);
	}
}

static int wk_main(void *arg)
{
	struct ar_wk_lane *ln = arg;
	struct ar_wk *w = ln->w;
	struct rte_ring *r = w->ring[ln->id];
	struct byz_leaf_done d[BYZ_DP_BURST];
	unsigned idle = 0;
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		uint32_t step = __atomic_load_n(&w->step, __ATOMIC_ACQUIRE);
		int robust = __atomic_load_n(&w->robust, __ATOMIC_ACQUIRE);
		unsigned k = rte_ring_dequeue_burst_elem(r, d, sizeof(d[0]), BYZ_DP_BURST, NULL);
		if (k) {
			idle = 0;
			if (robust) {
				uint64_t t0 = now_ns();
				wk_burst(w, ln, d, k, step);
				__atomic_fetch_add(&ln->busy_ns, now_ns() - t0, __ATOMIC_RELAXED);
			} else {
				ln->stale += k; /* plain steps verify nothing */
			}
		}
		__atomic_store_n(&ln->seen_step, step, __ATOMIC_RELEASE);
		if (k || !w->polite)
			continue;
		/* polite: spin a little, then give the core to the peers */
		if (++idle > 256)
			usleep(50);
		else if (idle > 32)
			rte_pause();
	}
	return 0;
}

int ar_wk_launch(struct ar_wk *w, char *why, size_t whylen)
{
	unsigned id = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (id == w->nw)
			break;
		struct ar_wk_lane *ln = &w->lane[id];
		ln->w = w;
		ln->id = id;
		ln->lcore = lc;
		int r = rte_eal_remote_launch(wk_main, ln, lc);
		if (r) {
			snprintf(why, whylen, "cannot launch worker %u on lcore %u: %s", id, lc,
				 strerror(-r));
			return -1;
		}
		ln->launched = 1;
		id++;
	}
	if (id < w->nw) {
		snprintf(why, whylen, "%u worker lcores wanted, the EAL has %u", w->nw, id);
		return -1;
	}
	return 0;
}

void ar_wk_stop(struct ar_wk *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < AR_WK_MAX; i++)
		if (w->lane[i].launched) {
			rte_eal_wait_lcore(w->lane[i].lcore);
			w->lane[i].launched = 0;
		}
}

void ar_wk_step(struct ar_wk *w, uint32_t step, int robust)
{
	__atomic_store_n(&w->robust, robust, __ATOMIC_RELEASE);
	__atomic_store_n(&w->step, step, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < w->nw; i++) {
		unsigned spins = 0;
		while (__atomic_load_n(&w->lane[i].seen_step, __ATOMIC_ACQUIRE) != step) {
			if (++spins > 64 && w->polite)
				usleep(10);
			else
				rte_pause();
		}
	}
	/* nobody works on the old step now, and the new one has no jobs yet */
	for (int k = 0; k < 3; k++)
		for (int s = 0; s < AR_MAXP; s++)
			w->cnt[k][s].ok = w->cnt[k][s].bad = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

uint32_t ar_wk_post(struct ar_wk *w, uint8_t kind, uint16_t src, uint16_t part,
		    const uint8_t *buf, uint32_t len, uint32_t first_leaf)
{
	uint32_t nl = ar_leaves(len), q = 0;
	for (uint32_t l = first_leaf; l < nl; l++, q++) {
		uint32_t off = l * AR_LEAF;
		struct byz_leaf_done d = {
			.buf = buf + off, .len = len - off < AR_LEAF ? len - off : AR_LEAF, .leaf = l,
			.step = w->step, .src = src, .part = part, .kind = kind,
		};
		if (rte_ring_enqueue_elem(w->ring[(src + l) % w->nw], &d, sizeof(d)))
			break;
	}
	return q;
}

uint32_t ar_wk_ok(const struct ar_wk *w, int kind, int src)
{
	return __atomic_load_n(&w->cnt[kind][src].ok, __ATOMIC_ACQUIRE);
}

uint32_t ar_wk_bad(const struct ar_wk *w, int kind, int src)
{
	return __atomic_load_n(&w->cnt[kind][src].bad, __ATOMIC_ACQUIRE);
}

double ar_wk_busy(const struct ar_wk *w)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < w->nw; i++)
		s += __atomic_load_n(&w->lane[i].busy_ns, __ATOMIC_RELAXED);
	return (double)s * 1e-9;
}
