/*
 * The sender's retransmission budget against a hostile receiver: NACK
 * storms of the same packets, SACKs that never advance, NACKs naming packets
 * never sent and lists longer than a NACK frame holds. The budget is per
 * stream, and the dataplane has one sender stream per (peer, kind), so this
 * is the per-peer cap of docs/transport.md: retransmissions stop at exactly
 * the budget, the stream reports FAILED and goes quiet, a stream to an
 * honest peer driven in the same loop is untouched, and nothing allocates.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "byz/frame.h"
#include "byz/stream.h"
#include "byz_test.h"

#define SEG 1024u
#define NPK 64u /* packets per shard */
#define NS_US 1000ull

static uint8_t src_a[NPK * SEG], src_b[NPK * SEG], dst_b[NPK * SEG];

/* Bytes the allocator hands out now (glibc; the streams must not change it). */
static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

/* Drains the sender: returns packets handed out, counts retransmissions. */
static unsigned drain(struct byz_tx_stream *tx, uint64_t now, unsigned *retx, int *past_end)
{
	struct byz_tx_pkt p;
	unsigned k = 0;
	while (byz_tx_stream_next(tx, now, &p) == 1) {
		k++;
		if (p.flags & BYZ_F_RETX)
			(*retx)++;
		if (p.seq >= NPK)
			*past_end = 1;
	}
	return k;
}

/* One clean round trip of the honest stream B at @p now. */
static void honest_turn(struct byz_tx_stream *tx, struct byz_rx_stream *rx, uint64_t now)
{
	struct byz_tx_pkt p;
	while (byz_tx_stream_next(tx, now, &p) == 1)
		byz_rx_stream_on_data(rx, p.seq, src_b + p.off, p.len, sizeof(src_b), now, now);
	struct byz_rx_ctrl c;
	while (byz_rx_stream_poll(rx, now, &c) == 1) {
		if (c.type == BYZ_T_SACK)
			byz_tx_stream_on_sack(tx, &c.sack, c.ts_echo, now);
		else
			byz_tx_stream_on_nack(tx, c.nack, c.nack_n, now);
	}
}

static void test_nack_storm(void)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	int err = 0;
	struct byz_tx_stream *a = byz_tx_stream_create(sizeof(src_a), &cfg, &err);
	struct byz_tx_stream *b = byz_tx_stream_create(sizeof(src_b), &cfg, &err);
	struct byz_rx_stream *rb = byz_rx_stream_create(sizeof(dst_b), &cfg, &err);
	CU_ASSERT_FATAL(a && b && rb);
	for (size_t i = 0; i < sizeof(src_b); i++) {
		src_a[i] = (uint8_t)(i * 7);
		src_b[i] = (uint8_t)(i * 13 + 1);
	}
	uint64_t now = 1000;
	CU_ASSERT_EQUAL(byz_tx_stream_start(a, src_a, sizeof(src_a), now), 0);
	CU_ASSERT_EQUAL(byz_tx_stream_start(b, src_b, sizeof(src_b), now), 0);
	CU_ASSERT_EQUAL(byz_rx_stream_start(rb, dst_b, sizeof(dst_b), now), 0);
	const unsigned budget = 8 * NPK + 256; /* the documented default */

	/* The hostile receiver of A, every 10 us: a SACK that acks nothing with
	 * an echo that makes the RTT 1 ns (so the NACK guard is as small as it
	 * gets), and a NACK of every packet plus three it never got. */
	uint32_t nack[BYZ_NACK_MAX];
	for (uint32_t i = 0; i < NPK - 3; i++)
		nack[i] = i;
	nack[NPK - 3] = NPK;
	nack[NPK - 2] = 1000000;
	nack[NPK - 1] = UINT32_MAX;
	struct byz_sack stuck = {.cum = 0, .grant = UINT32_MAX};
	unsigned sent = 0, retx = 0, turns = 0, eproto = 0, second = 0;
	int past_end = 0;
	size_t heap0 = heap_used();
	sent += drain(a, now, &retx, &past_end);
	while (byz_tx_stream_state(a) == BYZ_ST_ACTIVE && turns < 100000) {
		now += 10 * NS_US;
		turns++;
		byz_tx_stream_on_sack(a, &stuck, now - 1, now);
		eproto += byz_tx_stream_on_nack(a, nack, BYZ_NACK_MAX, now) == -EPROTO;
		sent += drain(a, now, &retx, &past_end);
		/* The same NACK again at once: nothing was sent less than a RTT ago. */
		byz_tx_stream_on_nack(a, nack, BYZ_NACK_MAX, now);
		second += drain(a, now, &retx, &past_end);
		honest_turn(b, rb, now);
	}
	size_t heap1 = heap_used();
	const struct byz_tx_stats *st = byz_tx_stream_stats(a);
	CU_ASSERT_EQUAL(byz_tx_stream_state(a), BYZ_ST_FAILED);
	CU_ASSERT_EQUAL(st->retx, budget);
	CU_ASSERT_EQUAL(retx, budget);
	CU_ASSERT_EQUAL(sent, NPK + budget);
	CU_ASSERT_EQUAL(second, 0);
	CU_ASSERT_EQUAL(past_end, 0);
	CU_ASSERT_EQUAL(eproto, turns);
	/* both NACKs of every turn but the last, whose second found FAILED */
	CU_ASSERT_EQUAL(st->bad_ctrl, 2 * turns - 1);
	/* Failed means quiet: no deadline, no packets, control ignored. */
	CU_ASSERT_EQUAL(byz_tx_stream_deadline(a), UINT64_MAX);
	CU_ASSERT_EQUAL(byz_tx_stream_on_nack(a, nack, NPK - 3, now + 1000000000), 0);
	CU_ASSERT_EQUAL(drain(a, now + 1000000000, &retx, &past_end), 0);
	CU_ASSERT_EQUAL(st->retx, budget);
	/* The honest peer's stream, driven in the same loop, is untouched. */
	for (int k = 0; k < 100 && byz_tx_stream_state(b) != BYZ_ST_DONE; k++)
		honest_turn(b, rb, now += 10 * NS_US);
	CU_ASSERT_EQUAL(byz_tx_stream_state(b), BYZ_ST_DONE);
	CU_ASSERT_EQUAL(byz_rx_stream_state(rb), BYZ_ST_DONE);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(b)->retx, 0);
	CU_ASSERT(memcmp(src_b, dst_b, sizeof(src_b)) == 0);
	CU_ASSERT_EQUAL(heap1, heap0);
	fprintf(stderr, "\n  NACK storm: %u turns (%llu us simulated), %u packets out, "
			"%u retransmissions = budget 8 x %u + 256, then FAILED; heap %zu -> %zu bytes",
		turns, (unsigned long long)(turns * 10), sent, retx, NPK, heap0, heap1);
	byz_tx_stream_free(a);
	byz_tx_stream_free(b);
	byz_rx_stream_free(rb);
}

static void test_stuck_sacks(void)
{
	/* Only SACKs that never move: the RTO retransmits, backs off to its
	 * ceiling, and the stream fails at the configured budget. */
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	cfg.retx_budget = 100;
	int err = 0;
	struct byz_tx_stream *a = byz_tx_stream_create(10 * SEG, &cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	uint64_t now = 1000;
	CU_ASSERT_EQUAL(byz_tx_stream_start(a, src_a, 10 * SEG, now), 0);
	struct byz_sack stuck = {.cum = 0, .grant = 5};
	unsigned sent = 0, retx = 0, turns = 0;
	int past_end = 0;
	size_t heap0 = heap_used();
	sent += drain(a, now, &retx, &past_end);
	while (byz_tx_stream_state(a) == BYZ_ST_ACTIVE && turns < 1000) {
		now += cfg.rto_max_ns;
		turns++;
		CU_ASSERT_EQUAL(byz_tx_stream_on_sack(a, &stuck, 0, now), 0);
		sent += drain(a, now, &retx, &past_end);
	}
	CU_ASSERT_EQUAL(byz_tx_stream_state(a), BYZ_ST_FAILED);
	CU_ASSERT_EQUAL(retx, 100);
	/* grant 5 < init_grant 10 never shrinks what was sent; all 10 went out */
	CU_ASSERT_EQUAL(sent, 10 + 100);
	CU_ASSERT_EQUAL(byz_tx_stream_rto(a), cfg.rto_max_ns);
	/* 10 packets per RTO: 10 rounds and the one that finds the budget spent */
	CU_ASSERT_EQUAL(turns, 11);
	CU_ASSERT_EQUAL(heap_used(), heap0);
	byz_tx_stream_free(a);
}

static void test_out_of_range(void)
{
	struct byz_stream_cfg cfg;
	byz_stream_cfg_default(&cfg, SEG);
	int err = 0;
	struct byz_tx_stream *a = byz_tx_stream_create(10 * SEG, &cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	uint64_t now = 1000;
	CU_ASSERT_EQUAL(byz_tx_stream_start(a, src_a, 10 * SEG, now), 0);
	unsigned retx = 0;
	int past_end = 0;
	CU_ASSERT_EQUAL(drain(a, now, &retx, &past_end), 10);
	now += cfg.rto_min_ns; /* past the NACK guard, before the first RTO */

	/* Packets never sent: refused, counted, nothing queued. */
	static const uint32_t never[] = {10, 11, 1u << 20, UINT32_MAX};
	CU_ASSERT_EQUAL(byz_tx_stream_on_nack(a, never, 4, now), -EPROTO);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(a)->bad_ctrl, 1);
	CU_ASSERT_EQUAL(drain(a, now, &retx, &past_end), 0);
	/* A SACK acking past what was sent is refused whole. */
	struct byz_sack s = {.cum = 11, .grant = 10};
	CU_ASSERT_EQUAL(byz_tx_stream_on_sack(a, &s, 0, now), -EPROTO);
	CU_ASSERT_EQUAL(byz_tx_stream_state(a), BYZ_ST_ACTIVE);

	/* A list longer than a NACK frame holds: only the first BYZ_NACK_MAX
	 * entries count (all seq 0), so seq 3 at entry 500 is not resent. */
	static uint32_t lng[1000];
	lng[500] = 3;
	CU_ASSERT_EQUAL(byz_tx_stream_on_nack(a, lng, 1000, now), -EPROTO);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(a)->bad_ctrl, 3);
	struct byz_tx_pkt p;
	CU_ASSERT_EQUAL(byz_tx_stream_next(a, now, &p), 1);
	CU_ASSERT_EQUAL(p.seq, 0u);
	CU_ASSERT(p.flags & BYZ_F_RETX);
	CU_ASSERT_EQUAL(byz_tx_stream_next(a, now, &p), 0);
	CU_ASSERT_EQUAL(byz_tx_stream_stats(a)->retx, 1);
	CU_ASSERT_EQUAL(past_end, 0);
	byz_tx_stream_free(a);
}

BYZ_TEST_MAIN("stream-budget",
	      {"NACK storm: retransmissions stop at the budget, others unaffected",
	       test_nack_storm},
	      {"SACKs that never advance: RTO to the budget", test_stuck_sacks},
	      {"NACKs out of range and over-long lists", test_out_of_range})
