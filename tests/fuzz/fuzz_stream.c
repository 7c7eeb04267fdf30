/*
 * Fuzz target: the reliable-stream sender and receiver state machines
 * (byz/stream.h) driven by a script of operations decoded from the input:
 * DATA with hostile sequence numbers, lengths and shard lengths, forged
 * SACKs (any cum, grant and bitmap) and NACKs (any entries), window changes,
 * time jumps, re-arming, and honest traffic between the two ends (the
 * sender's packets delivered to the receiver, the receiver's SACKs and NACKs
 * fed back to the sender), with loss chosen by the input.
 *
 * Invariants checked after every operation:
 *  - packets the sender emits lie inside the shard and have the right size;
 *  - SACK/NACK the receiver emits name only packets of the shard, and
 *    cum never passes the held count;
 *  - the RTO stays within [rto_min, rto_max];
 *  - once the receiver is DONE, its buffer equals the sender's shard unless
 *    garbage DATA was injected (forged DATA with the right placement
 *    carries the true bytes, so hostile framing alone cannot corrupt it);
 *  - without forged SACKs, the sender is DONE only when the receiver holds
 *    the whole shard (it never believes an acknowledgement nobody sent).
 */
#include "fuzz.h"

#include <errno.h>

#include "byz/stream.h"

#define MAX_LEN (1u << 16)
#define MAX_OPS 4096

/* The shard, padded so that a hostile plen (<= BYZ_PAYLOAD_MAX) stays readable. */
static uint8_t src[MAX_LEN + BYZ_PAYLOAD_MAX];
static uint8_t dst[MAX_LEN];
static uint8_t junk[BYZ_PAYLOAD_MAX];

struct run {
	struct byz_stream_cfg cfg;
	struct byz_tx_stream *tx;
	struct byz_rx_stream *rx;
	uint32_t len, npkts;
	uint64_t now;
	int junk_data;   /* garbage DATA reached the receiver */
	int forged_ack;  /* a forged SACK reached the sender */
};

static void arm(struct run *r, uint32_t len)
{
	r->len = len;
	r->npkts = byz_stream_npkts(len, r->cfg.seg);
	memset(dst, 0, sizeof(dst));
	FUZZ_CHECK(byz_tx_stream_start(r->tx, src, len, r->now) == 0);
	FUZZ_CHECK(byz_rx_stream_start(r->rx, dst, len, r->now) == 0);
	r->junk_data = r->forged_ack = 0;
}

static void check_ctrl(const struct run *r, const struct byz_rx_ctrl *c)
{
	if (c->type == BYZ_T_SACK) {
		FUZZ_CHECK(c->sack.cum <= r->npkts);
		FUZZ_CHECK(c->sack.grant <= r->npkts);
		FUZZ_CHECK(c->sack.cum <= byz_rx_stream_held(r->rx));
		for (uint32_t w = 0; w < BYZ_SACK_BITS / 64u; w++)
			for (uint32_t i = 0; i < 64; i++)
				if (c->sack.bits[w] >> i & 1u)
					FUZZ_CHECK((uint64_t)c->sack.cum + 1 + 64u * w + i < r->npkts);
		FUZZ_CHECK(!(c->flags & BYZ_F_DONE) ||
			   byz_rx_stream_state(r->rx) == BYZ_ST_DONE);
	} else {
		FUZZ_CHECK(c->type == BYZ_T_NACK);
		FUZZ_CHECK(c->nack_n >= 1 && c->nack_n <= BYZ_NACK_MAX);
		for (uint32_t i = 0; i < c->nack_n; i++)
			FUZZ_CHECK(c->nack[i] < r->npkts);
	}
}

static void deliver(struct run *r, const struct byz_tx_pkt *p)
{
	int rc = byz_rx_stream_on_data(r->rx, p->seq, src + p->off, p->len, r->len, r->now,
				       r->now);
	/* Honest packets of the armed shard are never inconsistent. */
	FUZZ_CHECK(rc == 0 || rc == 1);
}

static void tx_step(struct run *r, int lose)
{
	struct byz_tx_pkt p;
	if (byz_tx_stream_next(r->tx, r->now, &p) != 1)
		return;
	FUZZ_CHECK(p.seq < r->npkts);
	FUZZ_CHECK(p.off == p.seq * r->cfg.seg);
	FUZZ_CHECK(p.len >= 1 && p.len <= r->cfg.seg && p.off + p.len <= r->len);
	FUZZ_CHECK(((p.flags & BYZ_F_LAST) != 0) == (p.seq + 1 == r->npkts));
	if (!lose)
		deliver(r, &p);
}

static void rx_step(struct run *r, int lose)
{
	struct byz_rx_ctrl c;
	if (byz_rx_stream_poll(r->rx, r->now, &c) != 1)
		return;
	check_ctrl(r, &c);
	if (lose)
		return;
	int rc = c.type == BYZ_T_SACK
			 ? byz_tx_stream_on_sack(r->tx, &c.sack, c.ts_echo, r->now)
			 : byz_tx_stream_on_nack(r->tx, c.nack, c.nack_n, r->now);
	/* Control from an honest receiver names only sent packets, unless the
	 * receiver was fed forged DATA for packets the sender never sent. */
	FUZZ_CHECK(rc == 0 || rc == -EPROTO);
}

static void forged_data(struct run *r, struct fuzz_in *in, int garbage)
{
	uint32_t seq = fuzz_u8(in) & 1 ? fuzz_u32(in) : fuzz_u16(in) % (r->npkts + 2);
	uint8_t how = fuzz_u8(in);
	uint32_t shard = how & 1 ? fuzz_u32(in) : r->len;
	uint32_t plen = how & 2 ? fuzz_u16(in) % (BYZ_PAYLOAD_MAX + 1)
				: (seq < r->npkts ? (seq + 1 == r->npkts ? r->len - seq * r->cfg.seg
									 : r->cfg.seg)
						  : r->cfg.seg);
	const uint8_t *pl = src + (uint64_t)(seq < r->npkts ? seq : 0) * r->cfg.seg;
	if (garbage) {
		for (uint32_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)(fuzz_u8(in) ^ 0x5a);
		pl = junk;
	}
	int rc = byz_rx_stream_on_data(r->rx, seq, pl, plen, shard, fuzz_u64(in), r->now);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -EPROTO);
	if (rc >= 0 && garbage)
		r->junk_data = 1;
}

static void forged_sack(struct run *r, struct fuzz_in *in)
{
	struct byz_sack s;
	uint8_t how = fuzz_u8(in);
	s.cum = how & 1 ? fuzz_u32(in) : fuzz_u16(in) % (r->npkts + 2);
	s.grant = how & 2 ? fuzz_u32(in) : fuzz_u16(in) % (r->npkts + 2);
	for (unsigned w = 0; w < BYZ_SACK_BITS / 64u; w++)
		s.bits[w] = how & 4 ? fuzz_u64(in) : 0;
	uint64_t echo = how & 8 ? fuzz_u64(in) : r->now - fuzz_u16(in);
	int rc = byz_tx_stream_on_sack(r->tx, &s, echo, r->now);
	FUZZ_CHECK(rc == 0 || rc == -EPROTO);
	r->forged_ack = 1;
}

static void forged_nack(struct run *r, struct fuzz_in *in)
{
	uint32_t seqs[BYZ_NACK_MAX];
	uint32_t n = fuzz_u8(in) % (BYZ_NACK_MAX + 1);
	for (uint32_t i = 0; i < n; i++)
		seqs[i] = fuzz_u8(in) & 1 ? fuzz_u32(in) : fuzz_u16(in) % (r->npkts + 2);
	int rc = byz_tx_stream_on_nack(r->tx, seqs, n, r->now);
	FUZZ_CHECK(rc == 0 || rc == -EPROTO);
}

static void invariants(const struct run *r)
{
	uint64_t rto = byz_tx_stream_rto(r->tx);
	FUZZ_CHECK(rto >= r->cfg.rto_min_ns && rto <= r->cfg.rto_max_ns);
	uint32_t held = byz_rx_stream_held(r->rx);
	FUZZ_CHECK(held <= r->npkts);
	enum byz_stream_state rs = byz_rx_stream_state(r->rx);
	FUZZ_CHECK((rs == BYZ_ST_DONE) == (held == r->npkts));
	if (rs == BYZ_ST_DONE && !r->junk_data)
		FUZZ_CHECK(memcmp(dst, src, r->len) == 0);
	if (byz_tx_stream_state(r->tx) == BYZ_ST_DONE && !r->forged_ack)
		FUZZ_CHECK(rs == BYZ_ST_DONE);
	(void)byz_tx_stream_deadline(r->tx);
	(void)byz_rx_stream_deadline(r->rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		for (size_t i = 0; i < sizeof(src); i++)
			src[i] = (uint8_t)(i * 131u + (i >> 8));
		init = 1;
	}
	struct fuzz_in in = {data, size};
	struct run r = {0};
	uint32_t seg = BYZ_SEG_MIN + 16u * (fuzz_u8(&in) % 16u);
	byz_stream_cfg_default(&r.cfg, seg);
	r.cfg.window = 1u + fuzz_u8(&in);
	r.cfg.init_grant = 1u + fuzz_u8(&in) % r.cfg.window;
	r.cfg.ack_every = 1u + fuzz_u8(&in) % 32u;
	r.cfg.retx_budget = fuzz_u8(&in);
	uint8_t scale = fuzz_u8(&in);
	r.cfg.rto_min_ns = 1000u + 1000u * (scale & 15u);
	r.cfg.rto_init_ns = r.cfg.rto_min_ns * (1u + (scale >> 4));
	r.cfg.rto_max_ns = r.cfg.rto_init_ns * 64u;
	r.cfg.nack_ns = 1000u + 500u * (fuzz_u8(&in) % 32u);
	r.cfg.ack_delay_ns = 500u * (fuzz_u8(&in) % 32u);
	FUZZ_CHECK(byz_stream_cfg_check(&r.cfg) == 0);
	int err = 0;
	r.tx = byz_tx_stream_create(MAX_LEN, &r.cfg, &err);
	r.rx = byz_rx_stream_create(MAX_LEN, &r.cfg, &err);
	FUZZ_CHECK(r.tx && r.rx);
	r.now = fuzz_u32(&in);
	arm(&r, 1u + fuzz_u16(&in) % MAX_LEN);

	for (unsigned ops = 0; in.n && ops < MAX_OPS; ops++) {
		uint8_t op = fuzz_u8(&in);
		switch (op % 12) {
		case 0:
			forged_data(&r, &in, 0);
			break;
		case 1:
			forged_data(&r, &in, 1);
			break;
		case 2:
			forged_sack(&r, &in);
			break;
		case 3:
			forged_nack(&r, &in);
			break;
		case 4: /* time passes, sometimes a lot */
			r.now += op & 0x80 ? fuzz_u32(&in) : fuzz_u16(&in);
			break;
		case 5: {
			uint32_t w = fuzz_u8(&in) & 1 ? fuzz_u32(&in) : fuzz_u8(&in);
			int rc = byz_rx_stream_set_window(r.rx, w);
			FUZZ_CHECK(rc == 0 || (rc == -EINVAL && (w == 0 || w > (1u << 20))));
			break;
		}
		case 6:
			arm(&r, 1u + fuzz_u16(&in) % MAX_LEN);
			break;
		case 7: { /* over-long shard: refused, and the armed one is untouched */
			uint32_t big = MAX_LEN + 1u + fuzz_u16(&in);
			uint32_t np = byz_stream_npkts(big, seg);
			if (np > byz_stream_npkts(MAX_LEN, seg)) {
				FUZZ_CHECK(byz_tx_stream_start(r.tx, src, big, r.now) == -ERANGE);
				FUZZ_CHECK(byz_rx_stream_start(r.rx, dst, big, r.now) == -ERANGE);
			}
			break;
		}
		default: /* honest traffic, with loss picked by the op's high bits */
			for (unsigned k = 0; k < 1u + (op >> 5); k++) {
				tx_step(&r, (op >> 4) & 1);
				rx_step(&r, (op >> 3) & 1 && k == 0);
				r.now += 1000;
			}
			break;
		}
		invariants(&r);
	}
	byz_tx_stream_free(r.tx);
	byz_rx_stream_free(r.rx);
	return 0;
}
