/*
 * DESIGN: reliable shard streams (sans-IO).
 *
 * A shard moves as packets of `seg` bytes, so a packet's place in the shard
 * is its sequence number times seg: no reassembly buffer, no per-packet
 * allocation, and a duplicate or a retransmission simply rewrites the same
 * bytes (first copy wins; later ones are dropped as duplicates).
 *
 * Receiver: a bitmap of held packets, `cum` (first missing packet) and the
 * highest packet seen. It answers with a SACK every `ack_every` new packets,
 * at most `ack_delay` after a new packet, at once on completion, on a
 * duplicate (the sender's view is stale: our SACK was lost) and when its
 * grant grows. A hole that persists for `nack_ns` is NACKed, then again every
 * `nack_ns`, so one lost packet costs about one RTT, not one RTO.
 *
 * Sender: selective repeat. It may send seq < min(grant, una + window): the
 * grant comes from the receiver (incast control), the window bounds its own
 * state (the retransmit queue holds at most `window` entries). A packet is
 * retransmitted when NACKed (unless it was sent less than one SRTT ago, so
 * repeated NACKs do not double the traffic) or when its RTO expires (RTT from
 * echoed timestamps, RFC 6298 smoothing, back-off doubling up to rto_max).
 * Pacing (optional): a token bucket kept as a clock. Each packet moves the
 * pacer's clock by its wire time at the rate, and a packet may go once the
 * clock is a packet's time behind now; the clock never lags now by more than
 * `pace_burst`, so an idle stream sends at most that back to back. Retransmissions are
 * paced like new data, so a NACK storm cannot make a sender exceed its rate.
 * Each retransmission spends one unit of a per-stream budget; a spent budget
 * fails the stream, so a sender always terminates: with DONE while loss is
 * below 100% and the budget is sized for it, with FAILED otherwise (the
 * control plane then treats the peer as silent).
 *
 * Hostile input: a SACK or NACK naming packets never sent is counted and
 * ignored, as are NACK entries past BYZ_NACK_MAX; grants only grow; RTT samples outside [0, 4 * rto_max] are
 * discarded. DATA with the wrong shard length, a seq past the end or a
 * payload size that does not match its seq is counted as bad and ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byz/stream.h"

#define NONE UINT64_MAX

static inline int bm_test(const uint64_t *bm, uint32_t i)
{
	return (int)((bm[i >> 6] >> (i & 63)) & 1u);
}

static inline void bm_set(uint64_t *bm, uint32_t i)
{
	bm[i >> 6] |= 1ull << (i & 63);
}

static inline void bm_clear(uint64_t *bm, uint32_t i)
{
	bm[i >> 6] &= ~(1ull << (i & 63));
}

/* 64 bits starting at pos; the bitmap has one spare zero word at the end and
 * bits past the shard are never set, so reading across the end is safe. */
static inline uint64_t bm_get64(const uint64_t *bm, uint32_t nwords, uint64_t pos)
{
	uint64_t w = pos >> 6, sh = pos & 63;
	if (w >= nwords)
		return 0;
	uint64_t v = bm[w] >> sh;
	if (sh && w + 1 < nwords)
		v |= bm[w + 1] << (64 - sh);
	return v;
}

static uint32_t bm_words(uint32_t bits)
{
	return bits / 64u + 2u;
}

static inline uint64_t u64min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint32_t u32min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

void byz_stream_cfg_default(struct byz_stream_cfg *c, uint32_t seg)
{
	memset(c, 0, sizeof(*c));
	c->seg = seg;
	c->window = 256;
	c->init_grant = 64;
	c->ack_every = 16;
	c->ack_delay_ns = 20000;
	c->nack_ns = 200000;
	c->rto_init_ns = 2000000;
	c->rto_min_ns = 500000;
	c->rto_max_ns = 200000000;
	c->retx_budget = 0;
}

int byz_stream_cfg_check(const struct byz_stream_cfg *c)
{
	if (!c || c->seg < BYZ_SEG_MIN || c->seg > BYZ_PAYLOAD_MAX)
		return -EINVAL;
	if (c->window == 0 || c->window > (1u << 20) || c->init_grant == 0 ||
	    c->init_grant > c->window || c->ack_every == 0)
		return -EINVAL;
	if (c->rto_min_ns == 0 || c->rto_min_ns > c->rto_max_ns ||
	    c->rto_init_ns < c->rto_min_ns || c->rto_init_ns > c->rto_max_ns ||
	    c->nack_ns == 0 || c->pace_bps > BYZ_PACE_MAX_BPS)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- sender */

struct byz_tx_stream {
	struct byz_stream_cfg cfg;
	uint32_t cap_pkts;
	uint32_t nwords;
	const uint8_t *buf;
	uint32_t len, npkts;
	uint32_t una;        /* lowest unacked seq */
	uint32_t next;       /* lowest never-sent seq */
	uint32_t grant;      /* receiver's limit, monotone */
	uint32_t retx_used, retx_budget;
	uint64_t rate;       /* pacing, wire bytes per second; 0: off */
	uint64_t pace_t;     /* the pacer's clock: no packet before it */
	uint64_t burst_ns;   /* credit an idle stream may bank */
	enum byz_stream_state state;
	int have_rtt;
	uint64_t srtt, rttvar, rto;
	uint64_t timer;      /* next RTO scan, NONE when nothing is outstanding */
	uint64_t *acked;     /* bitmap */
	uint64_t *queued;    /* bitmap: in the retransmit queue */
	uint64_t *sent_ts;   /* last transmission time of each sent packet */
	uint32_t *rq;        /* retransmit queue (ring of window entries) */
	uint32_t rq_head, rq_n;
	struct byz_tx_stats st;
};

/* Argument check shared by both constructors; sets *err on failure. */
static int create_check(uint32_t max_len, const struct byz_stream_cfg *cfg, int *err)
{
	int e = byz_stream_cfg_check(cfg);
	if (!e && (max_len == 0 || max_len > BYZ_STREAM_MAX_LEN))
		e = -EINVAL;
	if (e && err)
		*err = e;
	return e;
}

struct byz_tx_stream *byz_tx_stream_create(uint32_t max_len,
					   const struct byz_stream_cfg *cfg,
					   int *err)
{
	if (create_check(max_len, cfg, err))
		return NULL;
	struct byz_tx_stream *tx = calloc(1, sizeof(*tx));
	if (!tx)
		goto nomem;
	tx->cfg = *cfg;
	byz_tx_stream_set_rate(tx, cfg->pace_bps);
	tx->cap_pkts = byz_stream_npkts(max_len, cfg->seg);
	tx->nwords = bm_words(tx->cap_pkts);
	tx->acked = calloc(tx->nwords, sizeof(uint64_t));
	tx->queued = calloc(tx->nwords, sizeof(uint64_t));
	tx->sent_ts = calloc(tx->cap_pkts, sizeof(uint64_t));
	tx->rq = calloc(cfg->window, sizeof(uint32_t));
	if (!tx->acked || !tx->queued || !tx->sent_ts || !tx->rq) {
		byz_tx_stream_free(tx);
		goto nomem;
	}
	return tx;
nomem:
	if (err)
		*err = -ENOMEM;
	return NULL;
}

void byz_tx_stream_free(struct byz_tx_stream *tx)
{
	if (!tx)
		return;
	free(tx->acked);
	free(tx->queued);
	free(tx->sent_ts);
	free(tx->rq);
	free(tx);
}

int byz_tx_stream_start(struct byz_tx_stream *tx, const void *buf, uint32_t len,
			uint64_t now)
{
	if (!tx || !buf || len == 0)
		return -EINVAL;
	uint32_t np = byz_stream_npkts(len, tx->cfg.seg);
	if (np > tx->cap_pkts)
		return -ERANGE;
	tx->buf = buf;
	tx->len = len;
	tx->npkts = np;
	tx->una = tx->next = 0;
	tx->grant = u32min(tx->cfg.init_grant, np);
	tx->retx_used = 0;
	tx->retx_budget = tx->cfg.retx_budget ? tx->cfg.retx_budget
					     : (uint32_t)u64min(8ull * np + 256, UINT32_MAX);
	tx->state = BYZ_ST_ACTIVE;
	tx->have_rtt = 0;
	tx->srtt = tx->rttvar = 0;
	tx->rto = tx->cfg.rto_init_ns;
	tx->timer = NONE;
	uint32_t w = np / 64u + 2u;
	memset(tx->acked, 0, w * sizeof(uint64_t));
	memset(tx->queued, 0, w * sizeof(uint64_t));
	tx->rq_head = tx->rq_n = 0;
	memset(&tx->st, 0, sizeof(tx->st));
	(void)now;
	return 0;
}

void byz_tx_stream_set_rate(struct byz_tx_stream *tx, uint64_t bytes_per_s)
{
	if (!tx)
		return;
	if (bytes_per_s > BYZ_PACE_MAX_BPS)
		bytes_per_s = BYZ_PACE_MAX_BPS;
	tx->rate = bytes_per_s;
	if (!bytes_per_s) {
		tx->burst_ns = 0;
		return;
	}
	uint64_t pkt = (uint64_t)tx->cfg.seg + BYZ_FRAME_OVERHEAD;
	uint64_t burst = tx->cfg.pace_burst ? tx->cfg.pace_burst : 2 * pkt;
	if (burst < pkt) /* below one packet nothing could ever go */
		burst = pkt;
	tx->burst_ns = burst * 1000000000ull / bytes_per_s;
}

/* Wire time of one packet at the pacing rate, rounded up so that rounding
 * never lets the stream exceed the rate. */
static uint64_t pace_cost(const struct byz_tx_stream *tx, uint32_t len)
{
	return (((uint64_t)len + BYZ_FRAME_OVERHEAD) * 1000000000ull + tx->rate - 1) / tx->rate;
}

/* Time from which a full packet may go: the pacer's clock, with at most one
 * burst of credit banked while idle. */
static uint64_t pace_ready(struct byz_tx_stream *tx, uint64_t now)
{
	if (now > tx->burst_ns && tx->pace_t < now - tx->burst_ns)
		tx->pace_t = now - tx->burst_ns;
	return tx->pace_t + pace_cost(tx, tx->cfg.seg);
}

static void rq_push(struct byz_tx_stream *tx, uint32_t seq)
{
	/* queued packets lie in [una, next), at most `window` of them */
	if (tx->rq_n >= tx->cfg.window || bm_test(tx->queued, seq))
		return;
	tx->rq[(tx->rq_head + tx->rq_n) % tx->cfg.window] = seq;
	tx->rq_n++;
	bm_set(tx->queued, seq);
}

static void rto_scan(struct byz_tx_stream *tx, uint64_t now)
{
	uint64_t earliest = NONE;
	int fired = 0;
	for (uint32_t s = tx->una; s < tx->next; s++) {
		if (bm_test(tx->acked, s) || bm_test(tx->queued, s))
			continue;
		uint64_t due = tx->sent_ts[s] + tx->rto;
		if (due <= now) {
			rq_push(tx, s);
			fired = 1;
		} else if (due < earliest) {
			earliest = due;
		}
	}
	if (fired) {
		tx->st.rto_fires++;
		tx->rto = u64min(tx->rto * 2, tx->cfg.rto_max_ns);
	}
	tx->timer = earliest;
}

static void emit(struct byz_tx_stream *tx, uint32_t seq, uint64_t now,
		 uint8_t flags, struct byz_tx_pkt *p)
{
	p->seq = seq;
	p->off = seq * tx->cfg.seg;
	p->len = u32min(tx->cfg.seg, tx->len - p->off);
	p->flags = flags | (seq + 1 == tx->npkts ? BYZ_F_LAST : 0);
	tx->sent_ts[seq] = now;
	tx->st.pkts++;
	if (tx->rate)
		tx->pace_t += pace_cost(tx, p->len);
	if (tx->timer == NONE)
		tx->timer = now + tx->rto;
}

/* A never-sent packet is within the grant and the window. */
static int new_allowed(const struct byz_tx_stream *tx)
{
	uint32_t limit = u32min(tx->grant, tx->npkts);
	return tx->next < limit && tx->next < tx->una + tx->cfg.window;
}

int byz_tx_stream_next(struct byz_tx_stream *tx, uint64_t now,
		       struct byz_tx_pkt *p)
{
	if (tx->state != BYZ_ST_ACTIVE)
		return 0;
	if (now >= tx->timer)
		rto_scan(tx, now);
	if (tx->rate && now < pace_ready(tx, now)) {
		if (tx->rq_n || new_allowed(tx))
			tx->st.paced++;
		return 0;
	}
	while (tx->rq_n) {
		uint32_t seq = tx->rq[tx->rq_head];
		tx->rq_head = (tx->rq_head + 1) % tx->cfg.window;
		tx->rq_n--;
		bm_clear(tx->queued, seq);
		if (bm_test(tx->acked, seq))
			continue;
		if (tx->retx_used >= tx->retx_budget) {
			tx->state = BYZ_ST_FAILED;
			tx->timer = NONE;
			return 0;
		}
		tx->retx_used++;
		tx->st.retx++;
		emit(tx, seq, now, BYZ_F_RETX, p);
		return 1;
	}
	uint32_t limit = u32min(tx->grant, tx->npkts);
	if (tx->una + tx->cfg.window < limit)
		limit = tx->una + tx->cfg.window;
	if (tx->next < limit) {
		emit(tx, tx->next++, now, 0, p);
		return 1;
	}
	return 0;
}

static void ack_one(struct byz_tx_stream *tx, uint32_t seq)
{
	bm_set(tx->acked, seq);
}

static void rtt_sample(struct byz_tx_stream *tx, uint64_t r)
{
	if (!tx->have_rtt) {
		tx->srtt = r;
		tx->rttvar = r / 2;
		tx->have_rtt = 1;
	} else {
		uint64_t d = tx->srtt > r ? tx->srtt - r : r - tx->srtt;
		tx->rttvar = (3 * tx->rttvar + d) / 4;
		tx->srtt = (7 * tx->srtt + r) / 8;
	}
	uint64_t rto = tx->srtt + 4 * tx->rttvar;
	if (rto < tx->cfg.rto_min_ns)
		rto = tx->cfg.rto_min_ns;
	tx->rto = u64min(rto, tx->cfg.rto_max_ns);
	tx->st.rtt_samples++;
}

int byz_tx_stream_on_sack(struct byz_tx_stream *tx, const struct byz_sack *s,
			  uint64_t ts_echo, uint64_t now)
{
	if (tx->state != BYZ_ST_ACTIVE)
		return 0;
	if (s->cum > tx->next) {
		tx->st.bad_ctrl++;
		return -EPROTO;
	}
	int bad = 0;
	for (uint32_t q = tx->una; q < s->cum; q++)
		ack_one(tx, q);
	for (uint32_t w = 0; w < BYZ_SACK_BITS / 64u; w++) {
		uint64_t b = s->bits[w];
		while (b) {
			uint32_t i = (uint32_t)__builtin_ctzll(b);
			b &= b - 1;
			uint64_t q = (uint64_t)s->cum + 1 + 64u * w + i;
			if (q >= tx->next) {
				bad = 1;
				continue;
			}
			ack_one(tx, (uint32_t)q);
		}
	}
	while (tx->una < tx->npkts && bm_test(tx->acked, tx->una))
		tx->una++;
	uint32_t g = u32min(s->grant, tx->npkts);
	if (g > tx->grant)
		tx->grant = g;
	if (ts_echo && ts_echo <= now && now - ts_echo <= 4 * tx->cfg.rto_max_ns)
		rtt_sample(tx, now - ts_echo);
	tx->st.sacks++;
	if (tx->una == tx->npkts) {
		tx->state = BYZ_ST_DONE;
		tx->timer = NONE;
		tx->rq_n = 0;
	}
	if (bad) {
		tx->st.bad_ctrl++;
		return -EPROTO;
	}
	return 0;
}

int byz_tx_stream_on_nack(struct byz_tx_stream *tx, const uint32_t *seqs,
			  uint32_t n, uint64_t now)
{
	if (tx->state != BYZ_ST_ACTIVE)
		return 0;
	int bad = 0;
	uint64_t guard = tx->have_rtt ? tx->srtt : tx->cfg.rto_min_ns;
	tx->st.nacks++;
	/* A NACK frame carries at most BYZ_NACK_MAX entries: a longer list is
	 * malformed, and the work one NACK causes stays bounded. */
	if (n > BYZ_NACK_MAX) {
		n = BYZ_NACK_MAX;
		bad = 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t q = seqs[i];
		if (q >= tx->next) {
			bad = 1;
			continue;
		}
		if (q < tx->una || bm_test(tx->acked, q) || bm_test(tx->queued, q))
			continue;
		if (now - tx->sent_ts[q] < guard)
			continue;
		rq_push(tx, q);
	}
	if (bad) {
		tx->st.bad_ctrl++;
		return -EPROTO;
	}
	return 0;
}

enum byz_stream_state byz_tx_stream_state(const struct byz_tx_stream *tx)
{
	return tx->state;
}

uint64_t byz_tx_stream_deadline(const struct byz_tx_stream *tx)
{
	if (tx->state != BYZ_ST_ACTIVE)
		return NONE;
	if (tx->rq_n || new_allowed(tx))
		return tx->rate ? tx->pace_t + pace_cost(tx, tx->cfg.seg) : 0;
	return tx->timer;
}

const struct byz_tx_stats *byz_tx_stream_stats(const struct byz_tx_stream *tx)
{
	return &tx->st;
}

uint64_t byz_tx_stream_rto(const struct byz_tx_stream *tx)
{
	return tx->rto;
}

/* -------------------------------------------------------------- receiver */

struct byz_rx_stream {
	struct byz_stream_cfg cfg;
	uint32_t cap_pkts;
	uint32_t nwords;     /* words in use for the armed shard */
	uint8_t *buf;
	uint32_t len, npkts;
	uint64_t *have;
	uint32_t cum, highest, held, window, grant_sent;
	uint32_t since_ack;
	int ack_now;
	enum byz_stream_state state;
	uint64_t ack_due;
	uint64_t echo_ts;
	uint64_t gap_since;
	uint64_t next_nack;
	struct byz_rx_stats st;
};

struct byz_rx_stream *byz_rx_stream_create(uint32_t max_len,
					   const struct byz_stream_cfg *cfg,
					   int *err)
{
	if (create_check(max_len, cfg, err))
		return NULL;
	struct byz_rx_stream *rx = calloc(1, sizeof(*rx));
	if (rx) {
		rx->cfg = *cfg;
		rx->cap_pkts = byz_stream_npkts(max_len, cfg->seg);
		rx->have = calloc(bm_words(rx->cap_pkts), sizeof(uint64_t));
		if (rx->have)
			return rx;
		free(rx);
	}
	if (err)
		*err = -ENOMEM;
	return NULL;
}

void byz_rx_stream_free(struct byz_rx_stream *rx)
{
	if (!rx)
		return;
	free(rx->have);
	free(rx);
}

int byz_rx_stream_start(struct byz_rx_stream *rx, void *buf, uint32_t len,
			uint64_t now)
{
	if (!rx || !buf || len == 0)
		return -EINVAL;
	uint32_t np = byz_stream_npkts(len, rx->cfg.seg);
	if (np > rx->cap_pkts)
		return -ERANGE;
	rx->buf = buf;
	rx->len = len;
	rx->npkts = np;
	rx->nwords = bm_words(np);
	memset(rx->have, 0, rx->nwords * sizeof(uint64_t));
	rx->cum = rx->highest = rx->held = 0;
	rx->window = rx->cfg.window;
	rx->grant_sent = u32min(rx->cfg.init_grant, np);
	rx->since_ack = 0;
	rx->ack_now = 0;
	rx->state = BYZ_ST_ACTIVE;
	rx->ack_due = NONE;
	rx->echo_ts = 0;
	rx->gap_since = NONE;
	rx->next_nack = 0;
	memset(&rx->st, 0, sizeof(rx->st));
	(void)now;
	return 0;
}

int byz_rx_stream_on_data(struct byz_rx_stream *rx, uint32_t seq,
			  const void *payload, uint32_t plen, uint32_t shard_len,
			  uint64_t ts, uint64_t now)
{
	if (rx->state == BYZ_ST_IDLE || shard_len != rx->len || seq >= rx->npkts) {
		rx->st.bad++;
		return -EPROTO;
	}
	uint32_t off = seq * rx->cfg.seg;
	if (plen != u32min(rx->cfg.seg, rx->len - off)) {
		rx->st.bad++;
		return -EPROTO;
	}
	if (bm_test(rx->have, seq)) {
		/* The sender thinks this is missing: our SACK was lost or late. */
		rx->st.dups++;
		rx->ack_now = 1;
		rx->echo_ts = ts;
		return 0;
	}
	uint32_t lim = rx->cum + rx->window;
	if (lim < rx->grant_sent)
		lim = rx->grant_sent;
	if (seq >= lim) {
		rx->st.out_window++;
		return 0;
	}
	memcpy(rx->buf + off, payload, plen);
	bm_set(rx->have, seq);
	rx->held++;
	rx->st.pkts++;
	rx->st.bytes += plen;
	if (seq + 1 > rx->highest)
		rx->highest = seq + 1;
	while (rx->cum < rx->npkts && bm_test(rx->have, rx->cum))
		rx->cum++;
	rx->echo_ts = ts;
	rx->since_ack++;
	if (rx->ack_due == NONE)
		rx->ack_due = now + rx->cfg.ack_delay_ns;
	if (rx->cum < rx->highest) {
		if (rx->gap_since == NONE)
			rx->gap_since = now;
	} else {
		rx->gap_since = NONE;
	}
	if (rx->held == rx->npkts) {
		rx->state = BYZ_ST_DONE;
		rx->ack_now = 1;
		rx->gap_since = NONE;
		return 1;
	}
	return 0;
}

static void fill_sack(struct byz_rx_stream *rx, struct byz_rx_ctrl *c)
{
	c->type = BYZ_T_SACK;
	c->flags = rx->state == BYZ_ST_DONE ? BYZ_F_DONE : 0;
	c->ts_echo = rx->echo_ts;
	c->sack.cum = rx->cum;
	uint32_t g = (uint32_t)u64min((uint64_t)rx->cum + rx->window, rx->npkts);
	if (g < rx->grant_sent)
		g = rx->grant_sent;
	rx->grant_sent = g;
	c->sack.grant = g;
	for (uint32_t w = 0; w < BYZ_SACK_BITS / 64u; w++)
		c->sack.bits[w] = bm_get64(rx->have, rx->nwords,
					   (uint64_t)rx->cum + 1 + 64u * w);
	c->nack_n = 0;
}

int byz_rx_stream_poll(struct byz_rx_stream *rx, uint64_t now,
		       struct byz_rx_ctrl *c)
{
	if (rx->state == BYZ_ST_IDLE)
		return 0;
	if (rx->ack_now || rx->since_ack >= rx->cfg.ack_every ||
	    (rx->since_ack && now >= rx->ack_due)) {
		fill_sack(rx, c);
		rx->ack_now = 0;
		rx->since_ack = 0;
		rx->ack_due = NONE;
		rx->st.sacks++;
		return 1;
	}
	if (rx->state == BYZ_ST_ACTIVE && rx->gap_since != NONE &&
	    now >= rx->gap_since + rx->cfg.nack_ns && now >= rx->next_nack) {
		uint32_t n = 0;
		for (uint32_t q = rx->cum; q < rx->highest && n < BYZ_NACK_MAX; q++)
			if (!bm_test(rx->have, q))
				c->nack[n++] = q;
		rx->next_nack = now + rx->cfg.nack_ns;
		if (n) {
			c->type = BYZ_T_NACK;
			c->flags = 0;
			c->ts_echo = 0;
			c->nack_n = n;
			rx->st.nacks++;
			return 1;
		}
	}
	return 0;
}

int byz_rx_stream_set_window(struct byz_rx_stream *rx, uint32_t window)
{
	if (!window || window > (1u << 20))
		return -EINVAL;
	if (window > rx->window && rx->state == BYZ_ST_ACTIVE)
		rx->ack_now = 1;
	rx->window = window;
	return 0;
}

enum byz_stream_state byz_rx_stream_state(const struct byz_rx_stream *rx)
{
	return rx->state;
}

uint64_t byz_rx_stream_deadline(const struct byz_rx_stream *rx)
{
	if (rx->state == BYZ_ST_IDLE)
		return NONE;
	if (rx->ack_now || rx->since_ack >= rx->cfg.ack_every)
		return 0;
	uint64_t d = rx->since_ack ? rx->ack_due : NONE;
	if (rx->state == BYZ_ST_ACTIVE && rx->gap_since != NONE) {
		uint64_t n = rx->gap_since + rx->cfg.nack_ns;
		if (n < rx->next_nack)
			n = rx->next_nack;
		d = u64min(d, n);
	}
	return d;
}

const struct byz_rx_stats *byz_rx_stream_stats(const struct byz_rx_stream *rx)
{
	return &rx->st;
}

uint32_t byz_rx_stream_held(const struct byz_rx_stream *rx)
{
	return rx->held;
}
