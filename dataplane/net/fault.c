/*
 * Seeded fault layer: an RX callback that loses, duplicates, corrupts and
 * reorders frames of one port before the dataplane sees them. It stands in for
 * netem (absent on these machines) in tests and benchmarks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "byz/dp.h"

#define HOLD_MAX 64u

struct byz_fault {
	struct byz_fault_cfg c;
	uint64_t rng;
	uint16_t port;
	const struct rte_eth_rxtx_callback *cb;
	struct rte_mempool *pool;
	struct rte_mbuf *hold[HOLD_MAX];
	uint32_t hold_n;
	struct byz_fault_stats st;
};

static uint64_t next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int chance(uint64_t *s, double p)
{
	return p > 0 && (double)(next64(s) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static uint16_t fault_cb(uint16_t port, uint16_t queue, struct rte_mbuf **pkts,
			 uint16_t nb, uint16_t max, void *arg)
{
	struct byz_fault *f = arg;
	struct rte_mbuf *out[2 * BYZ_DP_BURST + HOLD_MAX];
	uint32_t n = 0, cap = max < RTE_DIM(out) ? max : RTE_DIM(out);
	/* held frames come back first: they were received earlier */
	uint32_t release = f->hold_n ? (uint32_t)(next64(&f->rng) % (f->hold_n + 1)) : 0;
	if (nb == 0)
		release = f->hold_n; /* an idle port flushes, or frames would wait forever */
	uint32_t r = 0;
	for (; r < release && n < cap; r++)
		out[n++] = f->hold[r];
	memmove(f->hold, f->hold + r, (f->hold_n - r) * sizeof(f->hold[0]));
	f->hold_n -= r;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		f->st.seen++;
		if (chance(&f->rng, f->c.loss)) {
			f->st.lost++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (chance(&f->rng, f->c.corrupt) && rte_pktmbuf_data_len(m)) {
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
			d[next64(&f->rng) % rte_pktmbuf_data_len(m)] ^=
				(uint8_t)(1u << (next64(&f->rng) % 8));
			f->st.corrupted++;
		}
		struct rte_mbuf *dup = NULL;
		if (chance(&f->rng, f->c.dup) &&
		    (dup = rte_pktmbuf_copy(m, f->pool, 0, UINT32_MAX)) != NULL)
			f->st.duped++;
		struct rte_mbuf *two[2] = {m, dup};
		for (int k = 0; k < 2 && two[k]; k++) {
			if (chance(&f->rng, f->c.reorder) && f->hold_n < HOLD_MAX) {
				f->hold[f->hold_n++] = two[k];
				f->st.held++;
			} else if (n < cap) {
				out[n++] = two[k];
			} else if (f->hold_n < HOLD_MAX) {
				f->hold[f->hold_n++] = two[k];
			} else {
				rte_pktmbuf_free(two[k]);
				f->st.lost++;
			}
		}
	}
	memcpy(pkts, out, n * sizeof(out[0]));
	(void)port;
	(void)queue;
	return (uint16_t)n;
}

struct byz_fault *byz_fault_attach(uint16_t port, const struct byz_fault_cfg *c,
				   struct rte_mempool *pool, int *err)
{
	if (!c || !pool || c->loss < 0 || c->loss > 1 || c->dup < 0 || c->dup > 1 ||
	    c->corrupt < 0 || c->corrupt > 1 || c->reorder < 0 || c->reorder > 1) {
		if (err)
			*err = -EINVAL;
		return NULL;
	}
	struct byz_fault *f = calloc(1, sizeof(*f));
	if (!f) {
		if (err)
			*err = -ENOMEM;
		return NULL;
	}
	f->c = *c;
	f->rng = c->seed;
	f->port = port;
	f->pool = pool;
	f->cb = rte_eth_add_rx_callback(port, 0, fault_cb, f);
	if (!f->cb) {
		free(f);
		if (err)
			*err = -ENOTSUP;
		return NULL;
	}
	return f;
}

void byz_fault_detach(struct byz_fault *f)
{
	if (!f)
		return;
	rte_eth_remove_rx_callback(f->port, 0, f->cb);
	/* single-threaded users only: no RX burst can be running now */
	for (uint32_t i = 0; i < f->hold_n; i++)
		rte_pktmbuf_free(f->hold[i]);
	free(f);
}

const struct byz_fault_stats *byz_fault_stats(const struct byz_fault *f)
{
	return &f->st;
}
