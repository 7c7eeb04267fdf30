/*
 * Leaf-completion descriptors of the dataplane (byz_dp_cfg.leaf_bytes):
 * peers on DPDK ring ports in one process stream shards to peer 0, which
 * announces every completed leaf on its leaf rings. Checked: each leaf is
 * announced exactly once and the descriptors tile the shard (buffer, length,
 * step, source, part, kind), also under loss, duplication, corruption and
 * reordering from the fault layer, for leaf sizes that divide neither the
 * shard nor the packet size; every leaf is queued before its shard's done
 * descriptor; a full leaf ring drops descriptors with a count and a flag on
 * the done descriptor while the shard still completes; bad configurations
 * are refused. The clock is virtual, so a run is deterministic from its
 * seed. Exit 77 when the EAL cannot start for an environmental reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz_test.h"
#include "byz_test_ring.h"

#define NP 3
#define SHARD_MAX (1u << 20)

static struct rte_mempool *pool;
static struct byz_ringnet net;
static struct byz_dp *dps[NP];
static uint8_t *src_buf[NP], *dst_buf[NP];
static uint8_t seen[NP][SHARD_MAX / BYZ_SEG_MIN + 1]; /* announcements per leaf */
static unsigned nrings_cur; /* leaf rings of the peers made last */

static void fabric_drain(void)
{
	for (int i = 0; i < NP; i++) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(net.ring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
}

static int make_peers(uint32_t leaf, uint16_t rings, uint32_t ring_size)
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	for (int i = 0; i < NP; i++) {
		struct byz_dp_cfg c = {
			.self = (uint16_t)i, .n_peers = NP, .port_id = net.port[i],
			.tx_queue_per_peer = 1, .pool = pool, .session = 77,
			.max_shard = SHARD_MAX, .scfg = sc,
			/* only the receiver follows leaves */
			.leaf_bytes = i == 0 ? leaf : 0, .leaf_rings = rings,
			.leaf_ring_size = ring_size,
		};
		int err = 0;
		dps[i] = byz_dp_create(&c, &err);
		if (!dps[i]) {
			fprintf(stderr, "byz_dp_create: %s\n", byz_strerror(err));
			return -1;
		}
	}
	return 0;
}

static void free_peers(void)
{
	for (int i = 0; i < NP; i++) {
		byz_dp_free(dps[i]);
		dps[i] = NULL;
	}
	fabric_drain();
}

struct run_res {
	uint32_t leaves[NP];     /* descriptors received per source */
	int done[NP];            /* done descriptors per source */
	int lost_flag[NP];       /* BYZ_DONE_F_LEAF_LOST seen */
	int early_done;          /* a done descriptor before all its leaves */
	int bad_desc;            /* a descriptor with wrong fields */
};

/* Drain leaf ring r of peer 0 and account each descriptor. */
static void drain_leaves(unsigned r, uint32_t step, uint32_t len, uint32_t leaf,
			 struct run_res *res)
{
	struct byz_leaf_done d[BYZ_DP_BURST];
	struct rte_ring *ring = byz_dp_leaf_ring(dps[0], r);
	unsigned k;
	while ((k = rte_ring_dequeue_burst_elem(ring, d, sizeof(d[0]), BYZ_DP_BURST, NULL))) {
		for (unsigned j = 0; j < k; j++) {
			uint32_t nl = (len + leaf - 1) / leaf;
			uint64_t lo = (uint64_t)d[j].leaf * leaf;
			uint32_t want = lo + leaf <= len ? leaf : (uint32_t)(len - lo);
			if (d[j].src == 0 || d[j].src >= NP || d[j].leaf >= nl ||
			    d[j].kind != BYZ_K_SCATTER || d[j].part != 0 || d[j].step != step ||
			    d[j].len != want || d[j].buf != dst_buf[d[j].src] + lo ||
			    (d[j].src + d[j].leaf) % nrings_cur != r) {
				res->bad_desc++;
				continue;
			}
			/* the leaf's bytes are in place when it is announced */
			if (memcmp(d[j].buf, src_buf[d[j].src] + lo, d[j].len))
				res->bad_desc++;
			seen[d[j].src][d[j].leaf]++;
			res->leaves[d[j].src]++;
		}
	}
}

/*
 * Peers 1..NP-1 each send a shard of @p len bytes to peer 0 (part 0);
 * peer 0 consumes its leaf rings every turn unless @p hold (ring-full case).
 * Returns 0 when every shard completed and every sender finished.
 */
static int run_step(uint32_t step, uint32_t len, uint32_t leaf, unsigned nrings, int hold,
		    struct run_res *res, uint64_t *now)
{
	memset(res, 0, sizeof(*res));
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NP; i++)
		byz_dp_step_begin(dps[i], step, *now);
	for (int s = 1; s < NP; s++) {
		memset(dst_buf[s], 0, SHARD_MAX);
		CU_ASSERT_EQUAL(byz_dp_expect(dps[0], BYZ_K_SCATTER, (uint16_t)s, 0, dst_buf[s], len,
					      *now), 0);
		CU_ASSERT_EQUAL(byz_dp_send(dps[s], BYZ_K_SCATTER, 0, 0, src_buf[s], len, *now), 0);
	}
	uint32_t nl = (len + leaf - 1) / leaf;
	for (long round = 0; round < 20000000; round++) {
		for (int i = NP - 1; i >= 0; i--)
			byz_dp_poll(dps[i], *now);
		struct byz_shard_done d;
		while (rte_ring_dequeue_elem(byz_dp_done_ring(dps[0]), &d, sizeof(d)) == 0) {
			/* every leaf of this shard is queued already (or dropped) */
			uint32_t queued = res->leaves[d.src];
			for (unsigned r = 0; r < nrings; r++)
				queued += rte_ring_count(byz_dp_leaf_ring(dps[0], r));
			if (!hold && queued < nl)
				res->early_done++;
			res->done[d.src]++;
			if (d.flags & BYZ_DONE_F_LEAF_LOST)
				res->lost_flag[d.src] = 1;
			if (!hold)
				for (unsigned r = 0; r < nrings; r++)
					drain_leaves(r, step, len, leaf, res);
		}
		if (!hold)
			for (unsigned r = 0; r < nrings; r++)
				drain_leaves(r, step, len, leaf, res);
		int all = 1;
		for (int s = 1; s < NP; s++)
			if (!res->done[s] || byz_dp_tx_state(dps[s], BYZ_K_SCATTER, 0) != BYZ_ST_DONE)
				all = 0;
		*now += 1000;
		if (all) {
			for (unsigned r = 0; r < nrings; r++)
				drain_leaves(r, step, len, leaf, res);
			return 0;
		}
	}
	return -1;
}

/* Every leaf of every shard announced exactly once. */
static int exactly_once(uint32_t len, uint32_t leaf)
{
	uint32_t nl = (len + leaf - 1) / leaf;
	for (int s = 1; s < NP; s++)
		for (uint32_t l = 0; l < nl; l++)
			if (seen[s][l] != 1)
				return 0;
	return 1;
}

static void check_sizes(uint32_t leaf, uint32_t len, unsigned rings, struct byz_fault **f,
			uint32_t step)
{
	nrings_cur = rings;
	CU_ASSERT_FATAL(make_peers(leaf, (uint16_t)rings, 0) == 0);
	if (f) {
		for (int i = 0; i < NP; i++) {
			struct byz_fault_cfg fc = {.loss = 0.10, .dup = 0.10, .corrupt = 0.02,
						   .reorder = 0.15,
						   .seed = byz_test_seed() * 13 + step * 7 + (uint64_t)i};
			int err = 0;
			f[i] = byz_fault_attach(net.port[i], &fc, pool, &err);
			CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		}
	}
	uint64_t now = 1000000;
	struct run_res res;
	/* two steps over the same streams: re-arming resets the leaf counts */
	for (uint32_t st = step; st < step + 2; st++) {
		CU_ASSERT_EQUAL_FATAL(run_step(st, len, leaf, rings, 0, &res, &now), 0);
		uint32_t nl = (len + leaf - 1) / leaf;
		CU_ASSERT(exactly_once(len, leaf));
		CU_ASSERT_EQUAL(res.bad_desc, 0);
		CU_ASSERT_EQUAL(res.early_done, 0);
		for (int s = 1; s < NP; s++) {
			CU_ASSERT_EQUAL(res.leaves[s], nl);
			CU_ASSERT_EQUAL(res.done[s], 1);
			CU_ASSERT_EQUAL(res.lost_flag[s], 0);
			CU_ASSERT(memcmp(dst_buf[s], src_buf[s], len) == 0);
		}
	}
	const struct byz_dp_stats *ds = byz_dp_stats(dps[0]);
	CU_ASSERT_EQUAL(ds->leaf_full, 0);
	CU_ASSERT_EQUAL(ds->leaves, 2ull * (NP - 1) * ((len + leaf - 1) / leaf));
	if (f) {
		uint64_t dups = 0, lost = 0;
		for (int s = 1; s < NP; s++)
			dups += byz_rx_stream_stats(byz_dp_rx_stream(dps[0], BYZ_K_SCATTER,
								     (uint16_t)s))->dups;
		for (int i = 0; i < NP; i++) {
			lost += byz_fault_stats(f[i])->lost;
			byz_fault_detach(f[i]);
		}
		/* the faults did act: duplicates reached the stream and were not announced */
		CU_ASSERT(dups > 0 && lost > 0);
	}
	free_peers();
}

static void test_clean(void)
{
	/* a leaf equal to seg, dividing the shard, dividing neither, larger than the shard */
	check_sizes(BYZ_SEG_1500, 100000, 1, NULL, 1);
	check_sizes(4096, 262144, 2, NULL, 3);
	check_sizes(65536, 1000003, 3, NULL, 5);
	check_sizes(3001, 77777, 4, NULL, 7);
	check_sizes(SHARD_MAX, 500000, 1, NULL, 9);
}

static void test_faults(void)
{
	struct byz_fault *f[NP];
	check_sizes(65536, 1000003, 3, f, 11);
	check_sizes(5000, 300001, 2, f, 13);
}

static void test_ring_full(void)
{
	/* 16 entries hold 15; 1 MB in 64 KiB leaves is 16 per shard, two shards */
	const uint32_t len = SHARD_MAX, leaf = 65536, nl = len / leaf;
	nrings_cur = 1;
	CU_ASSERT_FATAL(make_peers(leaf, 1, 16) == 0);
	uint64_t now = 1000000;
	struct run_res res;
	CU_ASSERT_EQUAL_FATAL(run_step(21, len, leaf, 1, 1, &res, &now), 0);
	const struct byz_dp_stats *ds = byz_dp_stats(dps[0]);
	/* the shards completed anyway, and the loss is counted and flagged */
	CU_ASSERT_EQUAL(ds->leaves, 15);
	CU_ASSERT_EQUAL(ds->leaf_full, 2ull * nl - 15);
	int flagged = 0;
	for (int s = 1; s < NP; s++) {
		CU_ASSERT_EQUAL(res.done[s], 1);
		flagged += res.lost_flag[s];
		/* the consumer's fallback: check the whole shard */
		CU_ASSERT(memcmp(dst_buf[s], src_buf[s], len) == 0);
	}
	CU_ASSERT(flagged >= 1);
	/* what did get through is valid and distinct */
	drain_leaves(0, 21, len, leaf, &res);
	CU_ASSERT_EQUAL(res.bad_desc, 0);
	CU_ASSERT_EQUAL(res.leaves[1] + res.leaves[2], 15);
	for (int s = 1; s < NP; s++)
		for (uint32_t l = 0; l < nl; l++)
			CU_ASSERT(seen[s][l] <= 1);
	/* a shard whose leaves all got through is not flagged */
	for (int s = 1; s < NP; s++)
		if (res.leaves[s] == nl)
			CU_ASSERT_EQUAL(res.lost_flag[s], 0);
	/* with room again, the next step announces everything */
	CU_ASSERT_EQUAL_FATAL(run_step(22, 100000, leaf, 1, 0, &res, &now), 0);
	CU_ASSERT(exactly_once(100000, leaf));
	CU_ASSERT_EQUAL(res.lost_flag[1] + res.lost_flag[2], 0);
	free_peers();
}

static void test_config(void)
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	struct byz_dp_cfg c = {.self = 0, .n_peers = 2, .port_id = net.port[0], .pool = pool,
			       .max_shard = 4096, .scfg = sc};
	int err = 0;
	struct byz_dp *d = byz_dp_create(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(byz_dp_leaf_ring(d, 0)); /* off by default */
	byz_dp_free(d);
	c.leaf_bytes = BYZ_SEG_1500 - 1; /* smaller than a packet */
	err = 0;
	CU_ASSERT_PTR_NULL(byz_dp_create(&c, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	c.leaf_bytes = 65536;
	c.leaf_rings = BYZ_DP_LEAF_RINGS_MAX + 1;
	err = 0;
	CU_ASSERT_PTR_NULL(byz_dp_create(&c, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	c.leaf_rings = 2;
	c.leaf_ring_size = 1000; /* not a power of two */
	err = 0;
	CU_ASSERT_PTR_NULL(byz_dp_create(&c, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	c.leaf_ring_size = 0;
	d = byz_dp_create(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NOT_NULL(byz_dp_leaf_ring(d, 0));
	CU_ASSERT_PTR_NOT_NULL(byz_dp_leaf_ring(d, 1));
	CU_ASSERT_PTR_NULL(byz_dp_leaf_ring(d, 2));
	byz_dp_free(d);
}

int main(void)
{
	int r = byz_test_ring_fabric("lf", NP, &pool, &net);
	if (r)
		return r;
	struct byz_rng g = {byz_test_seed()};
	for (int i = 0; i < NP; i++) {
		src_buf[i] = malloc(SHARD_MAX);
		dst_buf[i] = malloc(SHARD_MAX);
		if (!src_buf[i] || !dst_buf[i]) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		for (uint32_t b = 0; b < SHARD_MAX; b += 8) {
			uint64_t v = byz_rng_next(&g);
			memcpy(src_buf[i] + b, &v, 8);
		}
	}
	static const struct byz_test_case cases[] = {
		{"leaves announced once, tiling the shard (sizes, rings)", test_clean},
		{"leaves under loss, dup, corruption, reordering", test_faults},
		{"leaf ring full: counted, flagged, shard completes", test_ring_full},
		{"leaf configuration checks", test_config},
		{NULL, NULL},
	};
	int rc = byz_test_run("dp-leaf", cases);
	for (int i = 0; i < NP; i++) {
		free(src_buf[i]);
		free(dst_buf[i]);
	}
	byz_ringnet_destroy(&net);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
