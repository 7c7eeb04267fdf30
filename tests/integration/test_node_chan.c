/*
 * The node's control channel across a restart (control/node/chan.c): two
 * channels exchange frames through an in-memory wire; one is replaced by a
 * fresh channel with a larger incarnation. Asserted: frames meant for the
 * old incarnation are not used but acked, the ack makes the other end start
 * over (what was queued for the dead one is dropped), messages then flow
 * both ways in order, leftover frames of the old incarnation are dropped,
 * and a frame without an incarnation is a bad header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byz_test.h"
#include "chan.h"

#define WMAX 256

struct wire { /* frames in flight to one end */
	uint8_t *f[WMAX];
	uint32_t len[WMAX];
	unsigned n;
};

struct end {
	struct chan *c;
	struct wire in;        /* frames towards this end */
	char got[32][256];      /* delivered messages, in order */
	unsigned ngot;
};

static struct end e[2];

static int emit(void *ctx, uint16_t to, const uint8_t *p, uint32_t len)
{
	(void)ctx;
	struct wire *w = &e[to].in;
	if (w->n == WMAX)
		return -1;
	w->f[w->n] = malloc(len);
	if (!w->f[w->n])
		return -1;
	memcpy(w->f[w->n], p, len);
	w->len[w->n++] = len;
	return 0;
}

static void deliver(void *ctx, uint16_t from, const uint8_t *msg, uint32_t len)
{
	struct end *x = ctx;
	(void)from;
	if (x->ngot < 32 && len < sizeof(x->got[0])) {
		memcpy(x->got[x->ngot], msg, len);
		x->got[x->ngot++][len] = 0;
	}
}

static void wire_clear(struct wire *w)
{
	for (unsigned i = 0; i < w->n; i++)
		free(w->f[i]);
	w->n = 0;
}

/* Hand every frame in flight to its end. */
static void flow(void)
{
	for (int i = 0; i < 2; i++) {
		struct wire w = e[i].in;
		e[i].in.n = 0;
		for (unsigned k = 0; k < w.n; k++) {
			chan_rx(e[i].c, (uint16_t)(1 - i), w.f[k], w.len[k], deliver, &e[i]);
			free(w.f[k]);
		}
	}
}

static struct chan *mk(uint16_t self, uint64_t inc)
{
	struct chan_cfg cc = {.n = 2, .self = self, .frag_max = 64, .window = 8,
			      .max_msg = 4096, .backlog_max = 64, .rto_ns = 1000,
			      .rto_max_ns = 8000, .incarnation = inc};
	int err = 0;
	struct chan *c = chan_new(&cc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void send_msg(int from, const char *s)
{
	struct chan_buf *b = chan_buf_new((const uint8_t *)s, (uint32_t)strlen(s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	b->refs = 1;
	CU_ASSERT_EQUAL(chan_queue(e[from].c, (uint16_t)(1 - from), b), 0);
	chan_buf_put(b);
}

/* Run both ends until idle (time advances past every RTO). */
static void settle(uint64_t *now)
{
	for (int r = 0; r < 50; r++) {
		*now += 10000;
		unsigned out = chan_tx(e[0].c, *now, emit, NULL) + chan_tx(e[1].c, *now, emit, NULL);
		flow();
		if (!out && !chan_pending(e[0].c) && !chan_pending(e[1].c))
			return;
	}
}

static void test_restart(void)
{
	memset(e, 0, sizeof(e));
	uint64_t now = 0;
	e[0].c = mk(0, 100);
	e[1].c = mk(1, 200);
	/* a message long enough for several fragments, then short ones */
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	send_msg(0, "a1");
	send_msg(1, "b1");
	settle(&now);
	CU_ASSERT_EQUAL(e[1].ngot, 1);
	CU_ASSERT_EQUAL(e[0].ngot, 1);
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->peer_restarts, 0); /* first contact */

	/* end 1 dies with frames of end 0 in flight towards it; frames the old
	 * end 1 sent are kept to replay later */
	send_msg(1, "b-old");
	chan_tx(e[1].c, now, emit, NULL);
	struct wire old1 = e[0].in; /* its frames towards end 0, not delivered yet */
	e[0].in.n = 0;
	send_msg(0, "a-lost");
	send_msg(0, "a-lost2");
	chan_tx(e[0].c, now, emit, NULL);
	chan_free(e[1].c);
	wire_clear(&e[1].in); /* died with them unread */
	e[1].c = mk(1, 300);
	e[1].ngot = 0;
	/* end 0 retransmits to the new end 1: not used, but acked */
	settle(&now);
	CU_ASSERT_TRUE(chan_stats(e[1].c)->stale_inc >= 1);
	CU_ASSERT_EQUAL(e[1].ngot, 0);
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->peer_restarts, 1);
	CU_ASSERT_EQUAL(chan_pending(e[0].c), 0); /* queued for the dead one: dropped */

	/* both directions work from sequence 0, a multi-fragment message too */
	send_msg(0, big);
	send_msg(0, "a2");
	send_msg(1, "b2");
	settle(&now);
	CU_ASSERT_EQUAL_FATAL(e[1].ngot, 2);
	CU_ASSERT_STRING_EQUAL(e[1].got[0], big);
	CU_ASSERT_STRING_EQUAL(e[1].got[1], "a2");
	CU_ASSERT_EQUAL_FATAL(e[0].ngot, 2);
	CU_ASSERT_STRING_EQUAL(e[0].got[1], "b2");

	/* leftovers of the old end 1 arrive late: dropped, nothing delivered */
	uint64_t stale0 = chan_stats(e[0].c)->stale_inc;
	for (unsigned k = 0; k < old1.n; k++)
		chan_rx(e[0].c, 1, old1.f[k], old1.len[k], deliver, &e[0]);
	CU_ASSERT_TRUE(old1.n >= 1);
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->stale_inc, stale0 + old1.n);
	CU_ASSERT_EQUAL(e[0].ngot, 2);
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->peer_restarts, 1);

	/* an incarnation of zero is malformed */
	uint8_t f[CHAN_HDR_LEN + 64];
	CU_ASSERT_FATAL(old1.len[0] <= sizeof(f));
	memcpy(f, old1.f[0], old1.len[0]);
	memset(f + 16, 0, 8);
	uint64_t bad = chan_stats(e[0].c)->bad_hdr;
	chan_rx(e[0].c, 1, f, old1.len[0], deliver, &e[0]);
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->bad_hdr, bad + 1);

	/* still fine afterwards */
	send_msg(1, "b3");
	settle(&now);
	CU_ASSERT_EQUAL_FATAL(e[0].ngot, 3);
	CU_ASSERT_STRING_EQUAL(e[0].got[2], "b3");
	wire_clear(&old1);
	wire_clear(&e[0].in);
	wire_clear(&e[1].in);
	chan_free(e[0].c);
	chan_free(e[1].c);
}

/* Deliver to end 1 only the frames of end 0 whose seq is in [lo, hi). */
static unsigned flow_seq(uint32_t lo, uint32_t hi)
{
	struct wire w = e[1].in;
	unsigned n = 0;
	e[1].in.n = 0;
	for (unsigned k = 0; k < w.n; k++) {
		uint32_t seq = (uint32_t)w.f[k][4] | (uint32_t)w.f[k][5] << 8 |
			       (uint32_t)w.f[k][6] << 16 | (uint32_t)w.f[k][7] << 24;
		if (seq >= lo && seq < hi) {
			chan_rx(e[1].c, 0, w.f[k], w.len[k], deliver, &e[1]);
			n++;
		}
		free(w.f[k]);
	}
	return n;
}

/* Retransmission after an RTO: a receiver that only was slow gets one
 * probe, not the window again; holes below an acked fragment are resent;
 * a fragment announcing more than max_msg is refused. */
static void test_retx(void)
{
	memset(e, 0, sizeof(e));
	uint64_t now = 0;
	e[0].c = mk(0, 100);
	e[1].c = mk(1, 200);
	send_msg(0, "hello");
	settle(&now);
	CU_ASSERT_EQUAL_FATAL(e[1].ngot, 1);
	char big[3 * 64 + 11]; /* 4 fragments of at most 64 bytes */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;

	/* slow receiver: the window goes out, nothing comes back for an RTO */
	send_msg(0, big);
	uint64_t retx = chan_stats(e[0].c)->retx;
	CU_ASSERT_EQUAL(chan_tx(e[0].c, now, emit, NULL), 4);
	struct wire held = e[1].in; /* in flight, not yet read */
	e[1].in.n = 0;
	now += 1500; /* past the first RTO (1000 ns) */
	CU_ASSERT_EQUAL(chan_tx(e[0].c, now, emit, NULL), 1); /* the probe only */
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->retx, retx + 1);
	for (unsigned k = 0; k < held.n; k++)
		chan_rx(e[1].c, 0, held.f[k], held.len[k], deliver, &e[1]);
	wire_clear(&held);
	settle(&now);
	CU_ASSERT_EQUAL_FATAL(e[1].ngot, 2);
	CU_ASSERT_STRING_EQUAL(e[1].got[1], big);

	/* holes: fragments 2 and 3 of the next message arrive, 0 and 1 are lost */
	send_msg(0, big);
	CU_ASSERT_EQUAL(chan_tx(e[0].c, now, emit, NULL), 4);
	uint32_t base = 5; /* "hello" took seq 0, the first big 1..4 */
	CU_ASSERT_EQUAL(flow_seq(base + 2, base + 4), 2);
	chan_tx(e[1].c, now, emit, NULL); /* its ack: cum = base, bitmap 2..3 */
	flow();
	retx = chan_stats(e[0].c)->retx;
	/* the RTO now follows the measured round trip (11.5 us above: the
	 * ceiling, 8 us): 1.5 us is no longer enough, 9 us is */
	now += 1500;
	CU_ASSERT_EQUAL(chan_tx(e[0].c, now, emit, NULL), 0);
	now += 7500;
	CU_ASSERT_EQUAL(chan_tx(e[0].c, now, emit, NULL), 2); /* both holes */
	CU_ASSERT_EQUAL(chan_stats(e[0].c)->retx, retx + 2);
	settle(&now);
	CU_ASSERT_EQUAL_FATAL(e[1].ngot, 3);
	CU_ASSERT_STRING_EQUAL(e[1].got[2], big);

	/* a first fragment announcing max_msg + 1 bytes: a bad header */
	send_msg(0, "abc");
	chan_tx(e[0].c, now, emit, NULL);
	CU_ASSERT_EQUAL_FATAL(e[1].in.n, 1);
	uint8_t *f = e[1].in.f[0];
	f[8] = (4096 + 1) & 0xff; /* total, u32 LE at offset 8 */
	f[9] = (4096 + 1) >> 8;
	uint64_t bad = chan_stats(e[1].c)->bad_hdr;
	flow();
	CU_ASSERT_EQUAL(chan_stats(e[1].c)->bad_hdr, bad + 1);
	CU_ASSERT_EQUAL(e[1].ngot, 3);
	settle(&now); /* the retransmission, unchanged, is delivered */
	CU_ASSERT_EQUAL_FATAL(e[1].ngot, 4);
	CU_ASSERT_STRING_EQUAL(e[1].got[3], "abc");
	wire_clear(&e[0].in);
	wire_clear(&e[1].in);
	chan_free(e[0].c);
	chan_free(e[1].c);
}

/* A channel without an incarnation is refused. */
static void test_cfg(void)
{
	struct chan_cfg cc = {.n = 2, .self = 0, .frag_max = 64, .window = 8, .max_msg = 4096,
			      .backlog_max = 64, .rto_ns = 1000, .rto_max_ns = 8000};
	int err = 0;
	CU_ASSERT_PTR_NULL(chan_new(&cc, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
}

BYZ_TEST_MAIN("node-chan", {"restart of one end", test_restart},
	      {"retransmission: probe, holes, oversized", test_retx},
	      {"incarnation required", test_cfg})
