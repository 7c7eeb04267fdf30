/*
 * Reliable shard streams over a simulated channel: real frames (built and
 * parsed by byz/frame.h) travel through a seeded lossy, reordering,
 * duplicating and corrupting link with a simulated clock. Shards must arrive
 * bit-identical, every sender must terminate, and the counters must agree
 * with what the channel did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/frame.h"
#include "byz/stream.h"
#include "byz_test.h"

#define SEG 1024u
#define MAXS 8        /* senders into one receiver (incast) */
#define QCAP 8192     /* packets in flight in the channel */
#define FMAX (BYZ_FRAME_OVERHEAD + SEG)

struct chan_cfg {
	double loss, dup, corrupt;
	uint64_t delay_ns, jitter_ns; /* jitter > gap between packets reorders */
};

struct qpkt {
	uint64_t t;
	uint32_t len;
	uint8_t b[FMAX];
};

struct sim {
	struct byz_rng rng;
	struct chan_cfg ch;
	struct qpkt *pool;
	uint32_t heap[QCAP], freel[QCAP];
	uint32_t nheap, nfree;
	uint64_t now;
	/* what the channel did */
	uint64_t sent, lost, duped, corrupted, parse_drops, overflow;
	/* invariant: DATA seq stays below the largest grant the receiver sent */
	uint32_t max_grant[MAXS];
	uint64_t grant_violations;
};

static void sim_init(struct sim *s, uint64_t seed, const struct chan_cfg *ch)
{
	memset(s, 0, sizeof(*s));
	s->rng.s = seed;
	s->ch = *ch;
	s->pool = malloc(sizeof(struct qpkt) * QCAP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->pool);
	for (uint32_t i = 0; i < QCAP; i++)
		s->freel[i] = QCAP - 1 - i;
	s->nfree = QCAP;
	s->now = 1000; /* a timestamp of 0 means "none" on the wire */
}

static void heap_push(struct sim *s, uint32_t id)
{
	uint32_t i = s->nheap++;
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (s->pool[s->heap[p]].t <= s->pool[id].t)
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = id;
}

static uint32_t heap_pop(struct sim *s)
{
	uint32_t top = s->heap[0], last = s->heap[--s->nheap], i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->pool[s->heap[c + 1]].t < s->pool[s->heap[c]].t)
			c++;
		if (s->pool[last].t <= s->pool[s->heap[c]].t)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* Put a frame on the wire: maybe lose, corrupt or duplicate it. */
static void sim_send(struct sim *s, const uint8_t *f, uint32_t len)
{
	s->sent++;
	if (byz_rng_unif(&s->rng) < s->ch.loss) {
		s->lost++;
		return;
	}
	int copies = byz_rng_unif(&s->rng) < s->ch.dup ? 2 : 1;
	s->duped += (uint64_t)(copies - 1);
	for (int c = 0; c < copies; c++) {
		if (!s->nfree) {
			s->overflow++;
			return;
		}
		uint32_t id = s->freel[--s->nfree];
		struct qpkt *q = &s->pool[id];
		memcpy(q->b, f, len);
		q->len = len;
		if (byz_rng_unif(&s->rng) < s->ch.corrupt) {
			s->corrupted++;
			q->b[byz_rng_next(&s->rng) % len] ^= (uint8_t)(1u << (byz_rng_next(&s->rng) % 8));
		}
		q->t = s->now + s->ch.delay_ns +
		       (s->ch.jitter_ns ? byz_rng_next(&s->rng) % s->ch.jitter_ns : 0);
		heap_push(s, id);
	}
}

struct world {
	struct sim sim;
	uint32_t k;
	struct byz_stream_cfg cfg;
	struct byz_tx_stream *tx[MAXS];
	struct byz_rx_stream *rx[MAXS];
	uint8_t *src[MAXS], *dst[MAXS];
	uint32_t len[MAXS];
	uint64_t bad_rx, bad_tx;
};

static struct byz_l2l3 addr_of(uint16_t from)
{
	struct byz_l2l3 a = {.src_ip = 0x0a000000u + from, .dst_ip = 0x0a0000ffu,
			     .src_port = (uint16_t)(49152 + from), .dst_port = BYZ_UDP_PORT};
	a.src_mac[5] = (uint8_t)from;
	return a;
}

/* Node ids: senders 1..k, receiver 0. */
static void send_data(struct world *w, uint32_t i, const struct byz_tx_pkt *p)
{
	static uint8_t f[FMAX];
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_DATA,
			    .flags = p->flags, .kind = BYZ_K_SCATTER,
			    .src = (uint16_t)(i + 1), .dst = 0, .session = 9, .step = 1,
			    .part = 0, .seq = p->seq, .aux = w->len[i], .ts = w->sim.now};
	struct byz_l2l3 a = addr_of((uint16_t)(i + 1));
	int n = byz_frame_build(f, sizeof(f), &a, &h, w->src[i] + p->off, p->len);
	CU_ASSERT_FATAL(n > 0);
	uint32_t lim = w->sim.max_grant[i] > w->cfg.init_grant ? w->sim.max_grant[i]
							       : w->cfg.init_grant;
	if (p->seq >= lim)
		w->sim.grant_violations++;
	sim_send(&w->sim, f, (uint32_t)n);
}

static void send_ctrl(struct world *w, uint32_t i, const struct byz_rx_ctrl *c)
{
	static uint8_t f[FMAX];
	uint8_t pl[4 * BYZ_NACK_MAX];
	size_t plen;
	if (c->type == BYZ_T_SACK) {
		byz_sack_encode(pl, &c->sack);
		plen = BYZ_SACK_LEN;
		if (c->sack.grant > w->sim.max_grant[i])
			w->sim.max_grant[i] = c->sack.grant;
	} else {
		for (uint32_t j = 0; j < c->nack_n; j++)
			byz_le32_put(pl + 4 * j, c->nack[j]);
		plen = 4u * c->nack_n;
	}
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = c->type,
			    .flags = c->flags, .kind = BYZ_K_SCATTER, .src = 0,
			    .dst = (uint16_t)(i + 1), .session = 9, .step = 1,
			    .ts = w->sim.now, .ts_echo = c->ts_echo};
	struct byz_l2l3 a = addr_of(0);
	int n = byz_frame_build(f, sizeof(f), &a, &h, pl, plen);
	CU_ASSERT_FATAL(n > 0);
	sim_send(&w->sim, f, (uint32_t)n);
}

static void deliver(struct world *w, const struct qpkt *q)
{
	struct byz_frame_view v;
	if (byz_frame_parse(q->b, q->len, BYZ_UDP_PORT, &v) != BYZ_DROP_NONE) {
		w->sim.parse_drops++;
		return;
	}
	uint64_t now = w->sim.now;
	if (v.h.type == BYZ_T_DATA) {
		uint32_t i = v.h.src - 1u;
		CU_ASSERT_FATAL(v.h.dst == 0 && i < w->k);
		if (byz_rx_stream_on_data(w->rx[i], v.h.seq, v.payload, v.h.payload_len,
					  v.h.aux, v.h.ts, now) < 0)
			w->bad_rx++;
		return;
	}
	uint32_t i = v.h.dst - 1u;
	CU_ASSERT_FATAL(v.h.src == 0 && i < w->k);
	int r;
	if (v.h.type == BYZ_T_SACK) {
		struct byz_sack s;
		byz_sack_decode(v.payload, &s);
		r = byz_tx_stream_on_sack(w->tx[i], &s, v.h.ts_echo, now);
	} else {
		uint32_t seqs[BYZ_NACK_MAX], n = v.h.payload_len / 4u;
		for (uint32_t j = 0; j < n; j++)
			seqs[j] = byz_le32_get(v.payload + 4 * j);
		r = byz_tx_stream_on_nack(w->tx[i], seqs, n, now);
	}
	if (r < 0)
		w->bad_tx++;
}

static int world_done(const struct world *w)
{
	for (uint32_t i = 0; i < w->k; i++) {
		enum byz_stream_state st = byz_tx_stream_state(w->tx[i]);
		if (st == BYZ_ST_ACTIVE)
			return 0;
		if (st == BYZ_ST_DONE && byz_rx_stream_state(w->rx[i]) != BYZ_ST_DONE)
			return 0;
	}
	return 1;
}

/* Run until every sender is DONE or FAILED. Senders emit at most `burst`
 * packets per microsecond each (a paced link). Returns simulated ns. */
static uint64_t world_run(struct world *w, uint32_t burst, uint64_t limit_ns)
{
	struct sim *s = &w->sim;
	uint64_t iters = 0;
	while (!world_done(w)) {
		iters++;
		CU_ASSERT_FATAL(s->now < limit_ns);
		while (s->nheap && s->pool[s->heap[0]].t <= s->now) {
			uint32_t id = heap_pop(s);
			deliver(w, &s->pool[id]);
			s->freel[s->nfree++] = id;
		}
		int busy = 0;
		for (uint32_t i = 0; i < w->k; i++) {
			struct byz_tx_pkt p;
			uint32_t n = 0;
			while (n < burst && byz_tx_stream_next(w->tx[i], s->now, &p)) {
				send_data(w, i, &p);
				n++;
			}
			busy |= n == burst;
			struct byz_rx_ctrl c;
			while (byz_rx_stream_poll(w->rx[i], s->now, &c))
				send_ctrl(w, i, &c);
		}
		/* Advance the clock to the next thing that can happen. */
		uint64_t next = busy ? s->now + 1000 : UINT64_MAX;
		if (s->nheap && s->pool[s->heap[0]].t < next)
			next = s->pool[s->heap[0]].t;
		for (uint32_t i = 0; i < w->k; i++) {
			uint64_t d = byz_tx_stream_deadline(w->tx[i]);
			if (d < next)
				next = d;
			d = byz_rx_stream_deadline(w->rx[i]);
			if (d < next)
				next = d;
		}
		if (next == UINT64_MAX) {
			if (!world_done(w))
				CU_FAIL("deadlock: nothing scheduled but senders are not finished");
			break;
		}
		s->now = next > s->now ? next : s->now + 1;
	}
	(void)iters;
	return s->now;
}

static void world_setup(struct world *w, uint32_t k, const uint32_t *lens,
			const struct byz_stream_cfg *cfg, uint64_t seed,
			const struct chan_cfg *ch)
{
	memset(w, 0, sizeof(*w));
	sim_init(&w->sim, seed, ch);
	w->k = k;
	w->cfg = *cfg;
	struct byz_rng r = {seed ^ 0xabcdef};
	for (uint32_t i = 0; i < k; i++) {
		int err = 0;
		w->len[i] = lens[i];
		w->tx[i] = byz_tx_stream_create(lens[i], cfg, &err);
		w->rx[i] = byz_rx_stream_create(lens[i], cfg, &err);
		CU_ASSERT_FATAL(w->tx[i] && w->rx[i]);
		w->src[i] = malloc(lens[i]);
		w->dst[i] = calloc(1, lens[i]);
		CU_ASSERT_FATAL(w->src[i] && w->dst[i]);
		for (uint32_t b = 0; b < lens[i]; b++)
			w->src[i][b] = (uint8_t)byz_rng_next(&r);
		CU_ASSERT_EQUAL(byz_tx_stream_start(w->tx[i], w->src[i], lens[i], 0), 0);
		CU_ASSERT_EQUAL(byz_rx_stream_start(w->rx[i], w->dst[i], lens[i], 0), 0);
	}
}

static void world_free(struct world *w)
{
	for (uint32_t i = 0; i < w->k; i++) {
		byz_tx_stream_free(w->tx[i]);
		byz_rx_stream_free(w->rx[i]);
		free(w->src[i]);
		free(w->dst[i]);
	}
	free(w->sim.pool);
}

static int world_identical(const struct world *w)
{
	for (uint32_t i = 0; i < w->k; i++)
		if (byz_rx_stream_state(w->rx[i]) != BYZ_ST_DONE ||
		    memcmp(w->src[i], w->dst[i], w->len[i]))
			return 0;
	return 1;
}

static void test_clean(void)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	struct chan_cfg ch = {.delay_ns = 10000};
	uint32_t lens[] = {256 * 1024, 1, SEG, SEG + 1, 100000};
	struct world w;
	world_setup(&w, 5, lens, &cfg, byz_test_seed(), &ch);
	world_run(&w, 4, 10ull * 1000000000);
	CU_ASSERT(world_identical(&w));
	for (uint32_t i = 0; i < w.k; i++) {
		const struct byz_tx_stats *t = byz_tx_stream_stats(w.tx[i]);
		const struct byz_rx_stats *r = byz_rx_stream_stats(w.rx[i]);
		CU_ASSERT_EQUAL(byz_tx_stream_state(w.tx[i]), BYZ_ST_DONE);
		CU_ASSERT_EQUAL(t->retx, 0);
		CU_ASSERT_EQUAL(t->pkts, byz_stream_npkts(lens[i], SEG));
		CU_ASSERT_EQUAL(r->pkts, byz_stream_npkts(lens[i], SEG));
		CU_ASSERT_EQUAL(r->bytes, lens[i]);
		CU_ASSERT_EQUAL(r->dups + r->out_window + r->bad + r->nacks, 0);
		CU_ASSERT(t->rtt_samples > 0);
		/* RTT is 2 x 10 us: the smoothed RTO sits at its floor */
		CU_ASSERT_EQUAL(byz_tx_stream_rto(w.tx[i]), cfg.rto_min_ns);
	}
	CU_ASSERT_EQUAL(w.sim.grant_violations, 0);
	CU_ASSERT_EQUAL(w.sim.parse_drops + w.bad_rx + w.bad_tx, 0);
	world_free(&w);
}

static void run_faulty(uint64_t seed, double loss, double dup, double corrupt,
		       uint32_t k, uint32_t maxlen, int verbose)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	cfg.window = 64;
	cfg.init_grant = 16;
	struct chan_cfg ch = {.loss = loss, .dup = dup, .corrupt = corrupt,
			      .delay_ns = 10000, .jitter_ns = 30000};
	struct byz_rng r = {seed};
	uint32_t lens[MAXS];
	for (uint32_t i = 0; i < k; i++)
		lens[i] = 1 + (uint32_t)(byz_rng_next(&r) % maxlen);
	struct world w;
	world_setup(&w, k, lens, &cfg, seed, &ch);
	uint64_t t = world_run(&w, 4, 600ull * 1000000000);
	int same = world_identical(&w);
	if (!same)
		fprintf(stderr, "\n  seed 0x%llx loss %.2f: shards differ\n",
			(unsigned long long)seed, loss);
	CU_ASSERT(same);
	uint64_t retx = 0, dups = 0, bad = 0, pk = 0;
	for (uint32_t i = 0; i < k; i++) {
		CU_ASSERT_EQUAL(byz_tx_stream_state(w.tx[i]), BYZ_ST_DONE);
		retx += byz_tx_stream_stats(w.tx[i])->retx;
		pk += byz_tx_stream_stats(w.tx[i])->pkts;
		dups += byz_rx_stream_stats(w.rx[i])->dups;
		bad += byz_rx_stream_stats(w.rx[i])->bad + byz_rx_stream_stats(w.rx[i])->out_window;
	}
	/* Honest senders never exceed a grant and never send inconsistent DATA. */
	CU_ASSERT_EQUAL(w.sim.grant_violations, 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(w.bad_rx + w.bad_tx, 0);
	/* Every corrupted frame that reached the parser was caught there (a flip in
	 * a MAC address or TTL is harmless and passes). */
	CU_ASSERT(w.sim.parse_drops <= w.sim.corrupted);
	if (w.sim.lost > 5)
		CU_ASSERT(retx > 0);
	if (verbose)
		fprintf(stderr, "\n  loss %.2f: %u senders, %.1f ms simulated, sent %llu "
			"(lost %llu dup %llu corrupt %llu, parse drops %llu), data pkts %llu, "
			"retx %llu, rx dups %llu",
			loss, k, (double)t / 1e6, (unsigned long long)w.sim.sent,
			(unsigned long long)w.sim.lost, (unsigned long long)w.sim.duped,
			(unsigned long long)w.sim.corrupted,
			(unsigned long long)w.sim.parse_drops, (unsigned long long)pk,
			(unsigned long long)retx, (unsigned long long)dups);
	world_free(&w);
}

static void test_faulty(void)
{
	run_faulty(byz_test_seed(), 0.10, 0.05, 0.02, 4, 400000, 1);
}

static void test_heavy_loss(void)
{
	run_faulty(byz_test_seed() + 1, 0.50, 0.05, 0.05, 3, 100000, 1);
}

static void test_many_seeds(void)
{
	struct byz_rng r = {byz_test_seed() + 2};
	for (int i = 0; i < 40; i++) {
		double loss = byz_rng_unif(&r) * 0.3;
		run_faulty(byz_rng_next(&r), loss, byz_rng_unif(&r) * 0.1,
			   byz_rng_unif(&r) * 0.05, 1 + (uint32_t)(byz_rng_next(&r) % MAXS),
			   50000, 0);
	}
}

static void test_total_loss_terminates(void)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	cfg.retx_budget = 50;
	struct chan_cfg ch = {.loss = 1.0, .delay_ns = 10000};
	uint32_t lens[] = {100000, 5000};
	struct world w;
	world_setup(&w, 2, lens, &cfg, byz_test_seed(), &ch);
	uint64_t t = world_run(&w, 4, 3600ull * 1000000000);
	for (uint32_t i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(byz_tx_stream_state(w.tx[i]), BYZ_ST_FAILED);
		CU_ASSERT_EQUAL(byz_tx_stream_stats(w.tx[i])->retx, 50);
		CU_ASSERT_EQUAL(byz_rx_stream_held(w.rx[i]), 0);
		/* back-off reached the ceiling */
		CU_ASSERT_EQUAL(byz_tx_stream_rto(w.tx[i]), cfg.rto_max_ns);
	}
	/* 50 retransmissions with back-off to 200 ms: seconds, not hours */
	CU_ASSERT(t < 60ull * 1000000000);
	world_free(&w);
}

static void test_incast_window(void)
{
	/* Eight senders into one receiver whose grant is 4 packets each: the
	 * receiver never sees a packet beyond its grant, and a grown window is
	 * picked up. */
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	cfg.window = 64;
	cfg.init_grant = 4;
	struct chan_cfg ch = {.delay_ns = 5000, .jitter_ns = 5000};
	uint32_t lens[MAXS];
	for (int i = 0; i < MAXS; i++)
		lens[i] = 64 * SEG;
	struct world w;
	world_setup(&w, MAXS, lens, &cfg, byz_test_seed(), &ch);
	for (int i = 0; i < MAXS; i++)
		CU_ASSERT_EQUAL(byz_rx_stream_set_window(w.rx[i], 4), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_set_window(w.rx[0], 0), -EINVAL);
	uint64_t t_small = world_run(&w, 64, 10ull * 1000000000);
	CU_ASSERT(world_identical(&w));
	CU_ASSERT_EQUAL(w.sim.grant_violations, 0);
	for (int i = 0; i < MAXS; i++)
		CU_ASSERT_EQUAL(byz_rx_stream_stats(w.rx[i])->out_window, 0);
	world_free(&w);

	world_setup(&w, MAXS, lens, &cfg, byz_test_seed(), &ch);
	for (int i = 0; i < MAXS; i++)
		CU_ASSERT_EQUAL(byz_rx_stream_set_window(w.rx[i], 64), 0);
	uint64_t t_big = world_run(&w, 64, 10ull * 1000000000);
	CU_ASSERT(world_identical(&w));
	/* a 16x larger grant needs far fewer round trips */
	CU_ASSERT(t_big * 4 < t_small);
	world_free(&w);
}

static void test_hostile_control(void)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	int err = 0;
	uint8_t src[10 * SEG], dst[10 * SEG];
	memset(src, 7, sizeof(src));
	struct byz_tx_stream *tx = byz_tx_stream_create(sizeof(src), &cfg, &err);
	struct byz_rx_stream *rx = byz_rx_stream_create(sizeof(dst), &cfg, &err);
	CU_ASSERT_FATAL(tx && rx);
	CU_ASSERT_EQUAL(byz_tx_stream_start(tx, src, sizeof(src), 0), 0);
	CU_ASSERT_EQUAL(byz_tx_stream_start(tx, src, sizeof(src) + 1, 0), -ERANGE);
	CU_ASSERT_EQUAL(byz_tx_stream_start(tx, src, sizeof(src), 0), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_start(rx, dst, sizeof(dst), 0), 0);
	struct byz_tx_pkt p;
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(byz_tx_stream_next(tx, 100, &p), 1);
	/* A SACK acknowledging packets never sent is refused whole. */
	struct byz_sack s = {.cum = 5, .grant = 10};
	CU_ASSERT_EQUAL(byz_tx_stream_on_sack(tx, &s, 0, 200), -EPROTO);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(tx)->bad_ctrl, 1);
	/* A bitmap bit past what was sent is counted; the rest applies. */
	struct byz_sack s2 = {.cum = 1, .grant = 10, .bits = {0x3}};
	CU_ASSERT_EQUAL(byz_tx_stream_on_sack(tx, &s2, 150, 200), -EPROTO);
	/* seq 0 (cum) and 2 (bit 0) acked; bit 1 names seq 3, never sent */
	uint32_t nk[] = {1, 7};
	CU_ASSERT_EQUAL(byz_tx_stream_on_nack(tx, nk, 2, 100000000), -EPROTO);
	CU_ASSERT_EQUAL(byz_tx_stream_next(tx, 100000000, &p), 1);
	CU_ASSERT_EQUAL(p.seq, 1u);
	CU_ASSERT(p.flags & BYZ_F_RETX);
	/* A bogus echo timestamp (in the future) gives no RTT sample. */
	uint64_t samples = byz_tx_stream_stats(tx)->rtt_samples;
	struct byz_sack s3 = {.cum = 1, .grant = 10};
	CU_ASSERT_EQUAL(byz_tx_stream_on_sack(tx, &s3, 900000000, 100000001), 0);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(tx)->rtt_samples, samples);

	/* Receiver: wrong shard length, seq past the end, wrong payload size. */
	uint8_t pl[SEG] = {0};
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 0, pl, SEG, sizeof(dst) + 1, 1, 1), -EPROTO);
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 10, pl, SEG, sizeof(dst), 1, 1), -EPROTO);
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 0, pl, SEG - 1, sizeof(dst), 1, 1), -EPROTO);
	CU_ASSERT_EQUAL(byz_rx_stream_stats(rx)->bad, 3);
	/* Beyond the grant: ignored and counted. */
	CU_ASSERT_EQUAL(byz_rx_stream_set_window(rx, 2), 0);
	struct byz_stream_cfg c2 = cfg;
	(void)c2;
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 0, pl, SEG, sizeof(dst), 1, 1), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 0, pl, SEG, sizeof(dst), 1, 1), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_stats(rx)->dups, 1);
	CU_ASSERT_EQUAL(byz_rx_stream_held(rx), 1);
	/* init_grant (64) is honoured even though the window is 2 */
	CU_ASSERT_EQUAL(byz_rx_stream_on_data(rx, 9, pl, SEG, sizeof(dst), 1, 1), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_held(rx), 2);
	struct byz_rx_ctrl c;
	CU_ASSERT_EQUAL(byz_rx_stream_poll(rx, 2, &c), 1); /* the dup forces a SACK */
	CU_ASSERT_EQUAL(c.type, BYZ_T_SACK);
	CU_ASSERT_EQUAL(c.sack.cum, 1u);
	CU_ASSERT_EQUAL(c.sack.bits[0], 1ull << 7); /* seq 9 = cum + 1 + 7 */
	CU_ASSERT_EQUAL(c.sack.grant, 10u);         /* capped at the shard */
	/* The hole 1..8 is NACKed once nack_ns has passed, not before. */
	CU_ASSERT_EQUAL(byz_rx_stream_poll(rx, 3, &c), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_poll(rx, 1 + cfg.nack_ns, &c), 1);
	CU_ASSERT_EQUAL(c.type, BYZ_T_NACK);
	CU_ASSERT_EQUAL(c.nack_n, 8u);
	CU_ASSERT_EQUAL(c.nack[0], 1u);
	CU_ASSERT_EQUAL(byz_rx_stream_poll(rx, 2 + cfg.nack_ns, &c), 0);

	/* Configuration checks. */
	struct byz_stream_cfg bad = cfg;
	bad.seg = 10;
	CU_ASSERT_PTR_NULL(byz_tx_stream_create(100, &bad, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	bad = cfg;
	bad.init_grant = cfg.window + 1;
	CU_ASSERT_EQUAL(byz_stream_cfg_check(&bad), -EINVAL);
	CU_ASSERT_PTR_NULL(byz_rx_stream_create(0, &cfg, &err));
	byz_tx_stream_free(tx);
	byz_rx_stream_free(rx);
}

BYZ_TEST_MAIN("stream",
	      {"clean channel", test_clean},
	      {"10% loss, reorder, dup, corrupt", test_faulty},
	      {"50% loss", test_heavy_loss},
	      {"40 seeds, random faults", test_many_seeds},
	      {"100% loss terminates", test_total_loss_terminates},
	      {"incast grants", test_incast_window},
	      {"hostile control and data", test_hostile_control})
