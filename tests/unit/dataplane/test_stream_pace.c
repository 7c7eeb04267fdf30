/*
 * Sender pacing (byz_stream_cfg.pace_bps, byz_tx_stream_set_rate) on a
 * simulated clock: the bytes a paced stream puts on the wire in any interval
 * stay within one burst of the rate, retransmissions are paced too, a rate
 * change takes effect at once, idle credit is capped at the burst, and the
 * deadline says when the next packet may go (no busy polling needed).
 */
#include <stdlib.h>
#include <string.h>

#include "byz/frame.h"
#include "byz/stream.h"
#include "byz_test.h"

#define SEG 1024u
#define NPK 1024u
#define WIRE (SEG + BYZ_FRAME_OVERHEAD)
#define T0 1000000000ull /* a monotonic clock well past 0 */

struct rec {
	uint64_t t[4 * NPK];
	uint32_t len[4 * NPK];
	uint32_t n;
	uint64_t idle_calls; /* next() returned 0 at a time the deadline had named */
};

static struct byz_tx_stream *mk(uint64_t rate, uint32_t burst, uint8_t *buf)
{
	struct byz_stream_cfg c;
	byz_stream_cfg_default(&c, SEG);
	c.window = NPK;
	c.init_grant = NPK;
	c.pace_bps = rate;
	c.pace_burst = burst;
	c.rto_init_ns = c.rto_max_ns = 60000000000ull; /* no timeouts: only NACKs resend */
	int err = 0;
	struct byz_tx_stream *tx = byz_tx_stream_create(NPK * SEG, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL(byz_tx_stream_start(tx, buf, NPK * SEG, 1000), 0);
	return tx;
}

/* Drain what may go at each instant, jumping the clock to the deadline. */
static uint64_t drive(struct byz_tx_stream *tx, uint64_t now, uint32_t upto, struct rec *r)
{
	while (r->n < upto) {
		struct byz_tx_pkt p;
		int got = 0;
		while (r->n < upto && byz_tx_stream_next(tx, now, &p) == 1) {
			r->t[r->n] = now;
			r->len[r->n] = p.len + BYZ_FRAME_OVERHEAD;
			r->n++;
			got = 1;
		}
		if (!got)
			r->idle_calls++;
		uint64_t d = byz_tx_stream_deadline(tx);
		if (d == UINT64_MAX)
			break;
		now = d > now ? d : now + 1;
	}
	return now;
}

/* Largest excess of bytes over rate * interval, across all intervals. */
static double max_excess(const struct rec *r, uint32_t from, uint32_t to, double rate)
{
	double worst = 0;
	for (uint32_t i = from; i < to; i++) {
		double bytes = 0;
		for (uint32_t j = i; j < to; j++) {
			bytes += r->len[j];
			double allowed = rate * (double)(r->t[j] - r->t[i]) / 1e9;
			if (bytes - allowed > worst)
				worst = bytes - allowed;
		}
	}
	return worst;
}

static void test_paced_rate(void)
{
	uint8_t *buf = calloc(NPK, SEG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	const uint64_t rate = 1250000000ull; /* 10 Gbit/s */
	struct byz_tx_stream *tx = mk(rate, 0, buf);
	struct rec *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	uint64_t end = drive(tx, T0, NPK, r);
	CU_ASSERT_EQUAL(r->n, NPK);
	/* within the default burst (two packets) of the rate, in every interval */
	double ex = max_excess(r, 0, r->n, (double)rate);
	CU_ASSERT_TRUE(ex <= 2.0 * WIRE + 1);
	/* and not slower than the rate: the whole shard in bytes / rate */
	double want_ns = (double)NPK * WIRE / (double)rate * 1e9;
	double took = (double)(r->t[NPK - 1] - r->t[0]);
	CU_ASSERT_TRUE(took >= want_ns - 3.0 * WIRE / (double)rate * 1e9);
	CU_ASSERT_TRUE(took <= want_ns * 1.01);
	/* the deadline named the next send time: hardly any empty polls */
	CU_ASSERT_TRUE(r->idle_calls <= 2);
	CU_ASSERT_TRUE(byz_tx_stream_stats(tx)->paced >= NPK - 2);
	(void)end;
	byz_tx_stream_free(tx);
	free(r);
	free(buf);
}

static void test_unpaced(void)
{
	uint8_t *buf = calloc(NPK, SEG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	struct byz_tx_stream *tx = mk(0, 0, buf);
	struct rec *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	drive(tx, T0, NPK, r);
	CU_ASSERT_EQUAL(r->n, NPK);
	CU_ASSERT_EQUAL(r->t[NPK - 1], r->t[0]); /* grant and window only: all at once */
	CU_ASSERT_EQUAL(byz_tx_stream_stats(tx)->paced, 0);
	byz_tx_stream_free(tx);
	free(r);
	free(buf);
}

/* NACKed packets go out at the rate too: a NACK storm cannot raise it. */
static void test_retx_paced(void)
{
	uint8_t *buf = calloc(NPK, SEG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	const uint64_t rate = 125000000ull; /* 1 Gbit/s */
	struct byz_tx_stream *tx = mk(rate, 0, buf);
	struct rec *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	uint64_t now = drive(tx, T0, NPK, r);
	now += 10000000; /* past the NACK guard (no RTT yet: rto_min) */
	uint32_t *seqs = malloc(NPK * sizeof(uint32_t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(seqs);
	for (uint32_t i = 0; i < NPK; i++)
		seqs[i] = i;
	for (uint32_t k = 0; k < 256; k += BYZ_NACK_MAX) /* a NACK lists at most BYZ_NACK_MAX */
		CU_ASSERT_EQUAL(byz_tx_stream_on_nack(tx, seqs + k, BYZ_NACK_MAX, now), 0);
	uint32_t from = r->n;
	drive(tx, now, from + 256, r);
	CU_ASSERT_EQUAL(r->n, from + 256);
	CU_ASSERT_TRUE(byz_tx_stream_stats(tx)->retx == 256);
	/* after a 10 ms idle the first burst is capped, then the rate holds */
	CU_ASSERT_TRUE(max_excess(r, from, r->n, (double)rate) <= 2.0 * WIRE + 1);
	free(seqs);
	byz_tx_stream_free(tx);
	free(r);
	free(buf);
}

/* A rate change applies from the next packet; idle credit stays capped at
 * the configured burst. */
static void test_rate_change_and_burst(void)
{
	uint8_t *buf = calloc(NPK, SEG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	const uint64_t r1 = 125000000ull, r2 = 12500000ull;
	const uint32_t burst = 8 * WIRE;
	struct byz_tx_stream *tx = mk(r1, burst, buf);
	struct rec *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	uint64_t now = drive(tx, T0, 100, r);
	CU_ASSERT_TRUE(max_excess(r, 0, 100, (double)r1) <= burst + 1);
	/* the first packets of an idle stream: exactly the burst back to back */
	uint32_t b2b = 0;
	while (b2b < 100 && r->t[b2b] == r->t[0])
		b2b++;
	CU_ASSERT_EQUAL(b2b, burst / WIRE);
	byz_tx_stream_set_rate(tx, r2);
	now += 1000000000ull; /* a long idle banks no more than the burst */
	uint32_t from = r->n;
	drive(tx, now, from + 100, r);
	CU_ASSERT_TRUE(max_excess(r, from, r->n, (double)r2) <= burst + 1);
	double took = (double)(r->t[r->n - 1] - r->t[from]);
	double want = (100.0 * WIRE - burst) / (double)r2 * 1e9;
	CU_ASSERT_TRUE(took >= want * 0.98 && took <= want * 1.02);
	byz_tx_stream_free(tx);
	free(r);
	free(buf);
}

BYZ_TEST_MAIN("stream_pace", {"paced_rate", test_paced_rate}, {"unpaced", test_unpaced},
	      {"retx_paced", test_retx_paced},
	      {"rate_change_and_burst", test_rate_change_and_burst})
