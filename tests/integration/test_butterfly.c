/*
 * Four peers in one process, one ring port each, run the full butterfly
 * (reduce-scatter of parts to aggregators, mean, gather) over the DPDK
 * dataplane, first on a clean fabric, then with a seeded fault layer on every
 * port (loss, duplication, corruption, reordering). Every part must arrive
 * bit-identical and every peer must end with the same vector as a direct
 * computation. A last test covers the roster (bans, unknown and spoofed
 * sources), the control ring and probes.
 *
 * The clock is virtual (1 us per round of polls) and the loop is single
 * threaded, so a run is deterministic from its seed. Exit 77 when the EAL
 * cannot start for an environmental reason.
 */
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

#define NP 4
#define GRAD_BYTES (4u << 20)
#define PART (GRAD_BYTES / NP)
#define PARTF (PART / sizeof(float))

static struct rte_mempool *pool;
static struct byz_ringnet net;

struct peer {
	struct byz_dp *dp;
	float *grad;          /* NP parts */
	float *inbox[NP];     /* scatter inputs at this aggregator (own: grad) */
	float *agg;
	float *result;        /* NP parts after the gather */
	int scat, gath, agg_done;
};

static struct peer peers[NP];
static float *reference;

static void mean_parts(float *const *in, float *out)
{
	for (size_t c = 0; c < PARTF; c++) {
		float s = 0;
		for (int i = 0; i < NP; i++)
			s += in[i][c];
		out[c] = s / NP;
	}
}

static void make_data(uint64_t seed)
{
	struct byz_rng r = {seed};
	for (int i = 0; i < NP; i++)
		for (size_t c = 0; c < GRAD_BYTES / sizeof(float); c++)
			peers[i].grad[c] = (float)byz_rng_gauss(&r);
	for (int j = 0; j < NP; j++) {
		float *in[NP];
		for (int i = 0; i < NP; i++)
			in[i] = peers[i].grad + (size_t)j * PARTF;
		mean_parts(in, reference + (size_t)j * PARTF);
	}
}

/* Called before the suite runs, so it reports with a return code. */
static int peers_alloc(void)
{
	reference = malloc(GRAD_BYTES);
	if (!reference)
		return -1;
	for (int i = 0; i < NP; i++) {
		peers[i].grad = malloc(GRAD_BYTES);
		peers[i].result = malloc(GRAD_BYTES);
		peers[i].agg = malloc(PART);
		if (!peers[i].grad || !peers[i].result || !peers[i].agg)
			return -1;
		for (int j = 0; j < NP; j++) {
			/* own part stays local: the aggregator reads it from its gradient */
			peers[i].inbox[j] = j == i ? peers[i].grad + (size_t)i * PARTF : malloc(PART);
			if (!peers[i].inbox[j])
				return -1;
		}
	}
	return 0;
}

static void peers_create(const struct byz_stream_cfg *sc)
{
	for (int i = 0; i < NP; i++) {
		struct byz_dp_cfg c = {
			.self = (uint16_t)i, .n_peers = NP, .port_id = net.port[i],
			.tx_queue_per_peer = 1, .pool = pool, .session = 0x5e551011,
			.max_shard = PART, .scfg = *sc,
		};
		int err = 0;
		peers[i].dp = byz_dp_create(&c, &err);
		if (!peers[i].dp)
			fprintf(stderr, "byz_dp_create: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(peers[i].dp);
	}
}

static void peers_destroy(void)
{
	for (int i = 0; i < NP; i++) {
		byz_dp_free(peers[i].dp);
		peers[i].dp = NULL;
	}
}

/* Run one butterfly step; returns rounds taken, or -1 on no progress. */
static long butterfly(uint32_t step, uint64_t *now)
{
	for (int i = 0; i < NP; i++) {
		struct peer *p = &peers[i];
		p->scat = p->gath = p->agg_done = 0;
		memset(p->result, 0, GRAD_BYTES);
		for (int j = 0; j < NP; j++)
			if (j != i)
				memset(p->inbox[j], 0, PART);
		byz_dp_step_begin(p->dp, step, *now);
		for (int j = 0; j < NP; j++) {
			if (j == i)
				continue;
			CU_ASSERT_EQUAL(byz_dp_send(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)j,
						    p->grad + (size_t)j * PARTF, PART, *now), 0);
			CU_ASSERT_EQUAL(byz_dp_expect(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)i,
						      p->inbox[j], PART, *now), 0);
			CU_ASSERT_EQUAL(byz_dp_expect(p->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)j,
						      p->result + (size_t)j * PARTF, PART, *now), 0);
		}
	}
	long rounds = 0;
	for (;;) {
		int all = 1;
		for (int i = 0; i < NP; i++) {
			struct peer *p = &peers[i];
			byz_dp_poll(p->dp, *now);
			struct byz_shard_done d;
			while (rte_ring_dequeue_elem(byz_dp_done_ring(p->dp), &d, sizeof(d)) == 0) {
				CU_ASSERT_EQUAL(d.step, step);
				CU_ASSERT_EQUAL(d.len, PART);
				if (d.kind == BYZ_K_SCATTER) {
					CU_ASSERT_EQUAL(d.part, i);
					CU_ASSERT(d.buf == p->inbox[d.src]);
					p->scat++;
				} else {
					CU_ASSERT_EQUAL(d.part, d.src);
					p->gath++;
				}
			}
			if (p->scat == NP - 1 && !p->agg_done) {
				/* the worker side: aggregate, then gather to everyone */
				mean_parts(p->inbox, p->agg);
				memcpy(p->result + (size_t)i * PARTF, p->agg, PART);
				for (int j = 0; j < NP; j++)
					if (j != i)
						CU_ASSERT_EQUAL(byz_dp_send(p->dp, BYZ_K_GATHER,
							(uint16_t)j, (uint16_t)i, p->agg, PART, *now), 0);
				p->agg_done = 1;
			}
			if (!p->agg_done || p->gath < NP - 1)
				all = 0;
			for (int j = 0; j < NP && all; j++)
				if (j != i && (byz_dp_tx_state(p->dp, BYZ_K_SCATTER, (uint16_t)j) != BYZ_ST_DONE ||
					       byz_dp_tx_state(p->dp, BYZ_K_GATHER, (uint16_t)j) != BYZ_ST_DONE))
					all = 0;
		}
		rounds++;
		*now += 1000;
		if (all)
			return rounds;
		if (rounds > 20000000) /* 20 s of virtual time */
			return -1;
	}
}

static int check_results(void)
{
	int ok = 1;
	for (int i = 0; i < NP; i++) {
		for (int j = 0; j < NP; j++)
			if (j != i && memcmp(peers[i].inbox[j], peers[j].grad + (size_t)i * PARTF, PART))
				ok = 0;
		if (memcmp(peers[i].result, reference, GRAD_BYTES))
			ok = 0;
	}
	return ok;
}

static void fabric_drain(void)
{
	for (int i = 0; i < NP; i++) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(net.ring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
}

static void test_clean(void)
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	peers_create(&sc);
	make_data(byz_test_seed());
	uint64_t now = 1000000;
	long rounds = butterfly(1, &now);
	CU_ASSERT(rounds > 0);
	CU_ASSERT(check_results());
	uint32_t npk = byz_stream_npkts(PART, BYZ_SEG_1500);
	for (int i = 0; i < NP; i++) {
		const struct byz_dp_stats *s = byz_dp_stats(peers[i].dp);
		for (int d = 1; d < BYZ_DROP_COUNT; d++)
			CU_ASSERT_EQUAL(s->drop[d], 0);
		CU_ASSERT_EQUAL(s->tx_full + s->alloc_fail + s->data_bad + s->ctrl_bad, 0);
		for (int j = 0; j < NP; j++) {
			if (j == i)
				continue;
			const struct byz_tx_stats *t =
				byz_tx_stream_stats(byz_dp_tx_stream(peers[i].dp, BYZ_K_SCATTER, (uint16_t)j));
			CU_ASSERT_EQUAL(t->retx, 0);
			CU_ASSERT_EQUAL(t->pkts, npk);
		}
	}
	/* A second step over the same peers and buffers works the same. */
	long rounds2 = butterfly(2, &now);
	CU_ASSERT(rounds2 > 0);
	CU_ASSERT(check_results());
	fprintf(stderr, "\n  clean: %ld + %ld rounds, %u packets per part", rounds, rounds2, npk);
	peers_destroy();
	fabric_drain();
}

static void test_faulty(void)
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	peers_create(&sc);
	make_data(byz_test_seed());
	struct byz_fault *f[NP];
	for (int i = 0; i < NP; i++) {
		struct byz_fault_cfg fc = {.loss = 0.10, .dup = 0.05, .corrupt = 0.02,
					   .reorder = 0.10, .seed = byz_test_seed() * 31 + (uint64_t)i};
		int err = 0;
		f[i] = byz_fault_attach(net.port[i], &fc, pool, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
	}
	uint64_t now = 1000000;
	long rounds = butterfly(7, &now);
	CU_ASSERT(rounds > 0);
	int ok = check_results();
	CU_ASSERT(ok);
	uint64_t lost = 0, duped = 0, corrupted = 0, held = 0, retx = 0, drops = 0, dups = 0;
	for (int i = 0; i < NP; i++) {
		const struct byz_fault_stats *fs = byz_fault_stats(f[i]);
		lost += fs->lost;
		duped += fs->duped;
		corrupted += fs->corrupted;
		held += fs->held;
		const struct byz_dp_stats *s = byz_dp_stats(peers[i].dp);
		for (int d = 1; d < BYZ_DROP_COUNT; d++)
			drops += s->drop[d];
		for (int j = 0; j < NP; j++) {
			if (j == i)
				continue;
			for (uint8_t k = BYZ_K_SCATTER; k <= BYZ_K_GATHER; k++) {
				retx += byz_tx_stream_stats(byz_dp_tx_stream(peers[i].dp, k, (uint16_t)j))->retx;
				dups += byz_rx_stream_stats(byz_dp_rx_stream(peers[i].dp, k, (uint16_t)j))->dups;
			}
		}
		CU_ASSERT_EQUAL(s->data_bad, 0);
	}
	fprintf(stderr, "\n  faulty: %ld rounds; fault layer lost %llu dup %llu corrupt %llu "
		"held %llu; parser drops %llu, retransmissions %llu, duplicates %llu",
		rounds, (unsigned long long)lost, (unsigned long long)duped,
		(unsigned long long)corrupted, (unsigned long long)held,
		(unsigned long long)drops, (unsigned long long)retx, (unsigned long long)dups);
	CU_ASSERT(lost > 100 && duped > 50 && corrupted > 10 && held > 50);
	CU_ASSERT(retx >= lost / 2);
	/* corruption happens before duplication, so a corrupted frame may be seen twice */
	CU_ASSERT(drops > 0 && drops <= 2 * corrupted);
	CU_ASSERT(dups > 0);
	for (int i = 0; i < NP; i++)
		byz_fault_detach(f[i]);
	peers_destroy();
	fabric_drain();
}

/* Put a hand-made frame on peer @p to's RX ring. */
static void inject(int to, uint16_t src, uint32_t src_ip, uint32_t session, int corrupt)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct byz_l2l3 a = {.src_ip = src_ip, .dst_ip = byz_dp_peer_ip((uint16_t)to),
			     .src_port = 1, .dst_port = BYZ_UDP_PORT};
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_CONTROL,
			    .src = src, .dst = (uint16_t)to, .session = session, .ts = 5};
	int n = byz_frame_build(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
				&a, &h, "evil", 4);
	CU_ASSERT_FATAL(n > 0);
	if (corrupt)
		rte_pktmbuf_mtod(m, uint8_t *)[n - 1] ^= 1;
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(net.ring[to], m), 0);
}

static void test_roster_control_probe(void)
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	peers_create(&sc);
	struct byz_dp *d0 = peers[0].dp;
	uint64_t now = 1000;
	for (int i = 0; i < NP; i++)
		byz_dp_step_begin(peers[i].dp, 1, now);

	/* control hand-off */
	CU_ASSERT_EQUAL(byz_dp_send_control(peers[1].dp, 0, "hello", 5, now), 0);
	CU_ASSERT_EQUAL(byz_dp_send_control(peers[1].dp, 0, "x", BYZ_CONTROL_MAX + 1, now), -ERANGE);
	CU_ASSERT_EQUAL(byz_dp_send_control(peers[1].dp, 1, "x", 1, now), -EINVAL);
	byz_dp_poll(peers[1].dp, now);
	byz_dp_poll(d0, now);
	struct byz_ctrl_msg cm;
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_elem(byz_dp_ctrl_ring(d0), &cm, sizeof(cm)), 0);
	CU_ASSERT_EQUAL(cm.src, 1);
	CU_ASSERT_EQUAL(cm.len, 5);
	CU_ASSERT(memcmp(cm.data, "hello", 5) == 0);
	byz_dp_ctrl_free(&cm);

	/* unknown source, spoofed IP, other session, corruption */
	inject(0, 9, byz_dp_peer_ip(9), 0x5e551011, 0);
	inject(0, 2, byz_dp_peer_ip(1), 0x5e551011, 0);
	inject(0, 2, byz_dp_peer_ip(2), 0x0bad, 0);
	inject(0, 2, byz_dp_peer_ip(2), 0x5e551011, 1);
	byz_dp_poll(d0, now);
	const struct byz_dp_stats *s = byz_dp_stats(d0);
	CU_ASSERT_EQUAL(s->drop_unknown, 1);
	CU_ASSERT_EQUAL(s->drop_spoof, 1);
	CU_ASSERT_EQUAL(s->drop_session, 1);
	CU_ASSERT_EQUAL(s->drop[BYZ_DROP_CRC], 1);
	CU_ASSERT_EQUAL(rte_ring_count(byz_dp_ctrl_ring(d0)), 0);

	/* ban peer 3 by publishing a new roster (epoch swap) */
	static struct byz_roster r;
	memset(&r, 0, sizeof(r));
	r.epoch = 1;
	r.n = NP;
	for (int i = 0; i < NP; i++)
		r.ip[i] = byz_dp_peer_ip((uint16_t)i);
	r.banned[0] = 1u << 3;
	CU_ASSERT_EQUAL(byz_dp_publish_roster(d0, &r), 0);
	CU_ASSERT_EQUAL(byz_dp_publish_roster(d0, &r), -EINVAL); /* epoch must grow */
	CU_ASSERT_EQUAL(byz_dp_roster_epoch(d0), 0);
	byz_dp_poll(d0, now);
	CU_ASSERT_EQUAL(byz_dp_roster_epoch(d0), 1);
	CU_ASSERT_EQUAL(byz_dp_send_control(peers[3].dp, 0, "ban me", 6, now), 0);
	CU_ASSERT_EQUAL(byz_dp_send_control(peers[2].dp, 0, "fine", 4, now), 0);
	byz_dp_poll(peers[3].dp, now);
	byz_dp_poll(peers[2].dp, now);
	byz_dp_poll(d0, now);
	CU_ASSERT_EQUAL(s->drop_banned, 1);
	CU_ASSERT_EQUAL(rte_ring_count(byz_dp_ctrl_ring(d0)), 1);
	/* DATA from a banned peer never reaches a stream either */
	static uint8_t buf[4096], sink[4096];
	CU_ASSERT_EQUAL(byz_dp_expect(d0, BYZ_K_SCATTER, 3, 0, sink, sizeof(sink), now), 0);
	CU_ASSERT_EQUAL(byz_dp_send(peers[3].dp, BYZ_K_SCATTER, 0, 0, buf, sizeof(buf), now), 0);
	byz_dp_poll(peers[3].dp, now);
	byz_dp_poll(d0, now);
	CU_ASSERT_EQUAL(s->drop_banned, 4); /* 3 DATA packets */
	CU_ASSERT_EQUAL(byz_rx_stream_held(byz_dp_rx_stream(d0, BYZ_K_SCATTER, 3)), 0);
	/* a stream nobody armed */
	CU_ASSERT_EQUAL(byz_dp_send(peers[2].dp, BYZ_K_GATHER, 0, 2, buf, 100, now), 0);
	byz_dp_poll(peers[2].dp, now);
	byz_dp_poll(d0, now);
	CU_ASSERT_EQUAL(s->drop_nostream, 1);

	/* probe: the reply carries our timestamp back */
	CU_ASSERT_EQUAL(byz_dp_probe(d0, 1, now), 0);
	byz_dp_poll(d0, now);
	byz_dp_poll(peers[1].dp, now + 3000);
	byz_dp_poll(d0, now + 7000);
	CU_ASSERT_EQUAL(s->rtt_ns_last, 7000);

	peers_destroy(); /* frees the queued control message too */
	fabric_drain();
}

int main(void)
{
	int r = byz_test_ring_fabric("bf", NP, &pool, &net);
	if (r)
		return r;
	if (peers_alloc()) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	static const struct byz_test_case cases[] = {
		{"butterfly, clean fabric", test_clean},
		{"butterfly, 10% loss + dup + corrupt + reorder", test_faulty},
		{"roster, bans, control ring, probes", test_roster_control_probe},
		{NULL, NULL},
	};
	int rc = byz_test_run("butterfly", cases);
	for (int i = 0; i < NP; i++) {
		free(peers[i].grad);
		free(peers[i].result);
		free(peers[i].agg);
		for (int j = 0; j < NP; j++)
			if (j != i)
				free(peers[i].inbox[j]);
	}
	free(reference);
	byz_ringnet_destroy(&net);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
