/*
 * DESIGN (control channel). The protocol state machine assumes reliable
 * delivery (docs/protocol.md models loss as a late retransmission), while a
 * CONTROL frame is a single unreliable datagram of at most BYZ_CONTROL_MAX
 * bytes. This channel closes the gap: messages are cut into fragments that
 * take consecutive sequence numbers on their (src, dst) pair; the receiver
 * keeps a window of out-of-order fragments, reassembles in order and acks
 * cumulatively with a bitmap; the sender retransmits a fragment after an RTO
 * that doubles per try. Ordering per pair keeps reassembly trivial (the
 * fragments of one message are consecutive) and costs nothing here: the
 * protocol tolerates any order, it only needs delivery within its phase.
 *
 * A peer that restarts (its memory lost) starts its sequence spaces over;
 * every frame names the sender's incarnation and the receiver's incarnation
 * it was meant for, so both ends notice and start over too, and nothing of
 * an old incarnation is mixed into a new one (chan.h).
 *
 * Everything is bounds-checked against hostile input: a bad header is
 * dropped and counted; a fragment that disagrees with the message being
 * reassembled drops that message (only its sender is harmed). Memory is
 * allocated at creation except message buffers, which the control thread
 * owns (the protocol peer allocates its messages anyway).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byz/frame.h"
#include "chan.h"

/* A reassembly buffer larger than this is freed after its message. */
#define CHAN_ASM_KEEP (1u << 20)

struct fq { /* FIFO of message references */
	struct chan_buf **v;
	uint32_t head, n, cap;
};

struct inflight {
	struct chan_buf *b;
	uint64_t sent_ns;
	uint32_t off, len, seq;
	uint8_t flags, acked, tries, sent;
};

struct dst {
	struct fq backlog;
	uint64_t srtt_ns, rttvar_ns; /* smoothed RTT of this pair (0: no sample yet) */
	uint32_t cur_off;         /* next fragment offset of the backlog head */
	uint32_t una, next;       /* oldest unacked seq, next seq to assign */
	uint32_t hi;              /* one past the highest seq acked (una <= hi <= next) */
	struct inflight *fl;      /* window entries, indexed seq % window */
};

struct slot {
	uint32_t len, total, off;
	uint8_t flags, have;
};

struct src {
	uint64_t inc;             /* the peer's incarnation (0: not heard yet) */
	uint32_t expected;        /* every seq below is delivered */
	uint8_t ack_pending;
	struct slot *sl;          /* window entries, indexed seq % window */
	uint8_t *data;            /* window * frag_max */
	uint8_t *asm_buf;         /* reassembly: grows with the bytes received, <= max_msg */
	uint32_t asm_len, asm_total, asm_cap;
	uint8_t asm_bad;          /* drop the rest of the current message */
};

struct chan {
	struct chan_cfg cfg;
	struct dst *d;
	struct src *s;
	uint8_t *frame;           /* CHAN_HDR_LEN + frag_max scratch */
	uint64_t now_ns;          /* of the last chan_tx: RTT samples of acks */
	struct chan_stats st;
};

struct chan_buf *chan_buf_new(const uint8_t *p, uint32_t len)
{
	struct chan_buf *b = malloc(sizeof(*b) + (len ? len : 1));
	if (!b)
		return NULL;
	b->refs = 0;
	b->len = len;
	if (len)
		memcpy(b->data, p, len);
	return b;
}

void chan_buf_put(struct chan_buf *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static int fq_push(struct fq *q, struct chan_buf *b)
{
	if (q->n == q->cap) {
		uint32_t nc = q->cap ? 2 * q->cap : 16;
		struct chan_buf **nv = malloc(nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		for (uint32_t i = 0; i < q->n; i++)
			nv[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = nv;
		q->cap = nc;
		q->head = 0;
	}
	q->v[(q->head + q->n++) % q->cap] = b;
	return 0;
}

static struct chan_buf *fq_head(const struct fq *q)
{
	return q->n ? q->v[q->head] : NULL;
}

static void fq_pop(struct fq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

struct chan *chan_new(const struct chan_cfg *cfg, int *err)
{
	int e = -EINVAL;
	struct chan *c = NULL;
	if (!cfg || cfg->n < 2 || cfg->self >= cfg->n || cfg->frag_max < 64 || !cfg->incarnation ||
	    cfg->frag_max + CHAN_HDR_LEN > BYZ_CONTROL_MAX || cfg->window == 0 ||
	    cfg->window > CHAN_WINDOW_MAX || cfg->max_msg == 0 || cfg->rto_ns == 0 ||
	    cfg->rto_max_ns < cfg->rto_ns || cfg->backlog_max == 0)
		goto fail;
	e = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->cfg = *cfg;
	c->d = calloc(cfg->n, sizeof(*c->d));
	c->s = calloc(cfg->n, sizeof(*c->s));
	c->frame = malloc(CHAN_HDR_LEN + cfg->frag_max);
	if (!c->d || !c->s || !c->frame)
		goto fail;
	for (uint16_t i = 0; i < cfg->n; i++) {
		if (i == cfg->self)
			continue;
		c->d[i].fl = calloc(cfg->window, sizeof(struct inflight));
		c->s[i].sl = calloc(cfg->window, sizeof(struct slot));
		c->s[i].data = malloc((size_t)cfg->window * cfg->frag_max);
		if (!c->d[i].fl || !c->s[i].sl || !c->s[i].data)
			goto fail;
	}
	return c;
fail:
	chan_free(c);
	if (err)
		*err = e;
	return NULL;
}

void chan_drop_peer(struct chan *c, uint16_t to)
{
	if (!c || to >= c->cfg.n || to == c->cfg.self)
		return;
	struct dst *d = &c->d[to];
	while (d->backlog.n) {
		chan_buf_put(fq_head(&d->backlog));
		fq_pop(&d->backlog);
	}
	d->cur_off = 0;
	for (uint32_t s = d->una; s != d->next; s++) {
		struct inflight *f = &d->fl[s % c->cfg.window];
		chan_buf_put(f->b);
		f->b = NULL;
	}
	d->una = d->hi = d->next;
}

/* @p from restarted: both directions with it start over from sequence 0. */
static void reset_peer(struct chan *c, uint16_t from)
{
	chan_drop_peer(c, from);
	struct dst *d = &c->d[from];
	d->una = d->next = d->hi = 0;
	d->srtt_ns = d->rttvar_ns = 0;
	memset(d->fl, 0, c->cfg.window * sizeof(*d->fl));
	struct src *s = &c->s[from];
	s->expected = 0;
	memset(s->sl, 0, c->cfg.window * sizeof(*s->sl));
	s->asm_len = s->asm_total = 0;
	s->asm_bad = 0;
	c->st.peer_restarts++;
}

void chan_free(struct chan *c)
{
	if (!c)
		return;
	for (uint16_t i = 0; c->d && c->s && i < c->cfg.n; i++) {
		if (i == c->cfg.self)
			continue;
		if (c->d[i].fl)
			chan_drop_peer(c, i);
		free(c->d[i].backlog.v);
		free(c->d[i].fl);
		free(c->s[i].sl);
		free(c->s[i].data);
		free(c->s[i].asm_buf);
	}
	free(c->d);
	free(c->s);
	free(c->frame);
	free(c);
}

int chan_queue(struct chan *c, uint16_t to, struct chan_buf *b)
{
	if (!c || !b || to >= c->cfg.n || to == c->cfg.self || b->len == 0 ||
	    b->len > c->cfg.max_msg)
		return -EINVAL;
	struct dst *d = &c->d[to];
	if (d->backlog.n >= c->cfg.backlog_max) {
		c->st.backlog_drop++;
		return -ENOBUFS;
	}
	if (fq_push(&d->backlog, b)) {
		c->st.oom++;
		return -ENOMEM;
	}
	b->refs++;
	c->st.msgs_out++;
	return 0;
}

/* ------------------------------------------------------------- receive */

/* Mark @p f acked; a fragment sent once gives an RTT sample (Karn: never
 * one that was retransmitted), smoothed as TCP does (RFC 6298). */
static void ack_one(struct chan *c, struct dst *d, struct inflight *f)
{
	if (f->acked)
		return;
	f->acked = 1;
	if (f->seq + 1u - d->una > d->hi - d->una)
		d->hi = f->seq + 1u;
	if (f->tries || c->now_ns < f->sent_ns)
		return;
	uint64_t r = c->now_ns - f->sent_ns;
	if (!d->srtt_ns) {
		d->srtt_ns = r;
		d->rttvar_ns = r / 2;
		return;
	}
	uint64_t dev = r > d->srtt_ns ? r - d->srtt_ns : d->srtt_ns - r;
	d->rttvar_ns = (3 * d->rttvar_ns + dev) / 4;
	d->srtt_ns = (7 * d->srtt_ns + r) / 8;
}

/* The first RTO of a pair: the configured one until the RTT is known, then
 * srtt + 4 rttvar (never below the configured one), so a loaded host whose
 * acks take longer than rto_us does not resend every window. */
static uint64_t base_rto(const struct chan *c, const struct dst *d)
{
	uint64_t r = d->srtt_ns + 4 * d->rttvar_ns;
	r = r > c->cfg.rto_ns ? r : c->cfg.rto_ns;
	return r < c->cfg.rto_max_ns ? r : c->cfg.rto_max_ns;
}

static void on_ack(struct chan *c, uint16_t from, const uint8_t *p)
{
	struct dst *d = &c->d[from];
	uint32_t cum = byz_le32_get(p + 8);
	uint64_t bits = byz_le64_get(p + CHAN_HDR_LEN);
	c->st.acks_in++;
	if (cum - d->una > d->next - d->una) {
		/* an ack older than what we know is reordering; beyond next is a lie */
		if (d->una - cum >= 0x80000000u)
			c->st.bad_ack++;
		return;
	}
	for (uint32_t s = d->una; s != cum; s++)
		ack_one(c, d, &d->fl[s % c->cfg.window]);
	for (uint32_t i = 0; i < 64 && bits; i++, bits >>= 1) {
		uint32_t s = cum + 1 + i;
		if ((bits & 1u) && s - d->una < d->next - d->una)
			ack_one(c, d, &d->fl[s % c->cfg.window]);
	}
	while (d->una != d->next && d->fl[d->una % c->cfg.window].acked) {
		struct inflight *f = &d->fl[d->una % c->cfg.window];
		chan_buf_put(f->b);
		f->b = NULL;
		d->una++;
	}
	if (d->hi - d->una > d->next - d->una)
		d->hi = d->una;
}

/* Append in-order fragment @p sl (bytes @p data) to the reassembly. */
static void assemble(struct chan *c, uint16_t from, struct src *s, const struct slot *sl,
		     const uint8_t *data, chan_deliver_fn deliver, void *ctx)
{
	if (sl->flags & CHAN_F_FIRST) {
		s->asm_len = 0;
		s->asm_total = sl->total;
		s->asm_bad = 0;
	} else if (s->asm_bad || sl->total != s->asm_total || sl->off != s->asm_len) {
		/* a fragment of another message than the one being built */
		if (!s->asm_bad)
			c->st.asm_reset++;
		s->asm_bad = 1;
		return;
	}
	if (s->asm_bad)
		return;
	/* The buffer grows with the bytes that arrived in order, doubling up to
	 * the announced total (<= max_msg, checked in chan_rx): announcing a
	 * huge message reserves nothing. */
	if (!s->asm_buf || s->asm_cap < s->asm_len + sl->len) {
		uint64_t want = 2ull * s->asm_cap;
		if (want < 65536)
			want = 65536;
		if (want < (uint64_t)s->asm_len + sl->len)
			want = (uint64_t)s->asm_len + sl->len;
		if (want > s->asm_total)
			want = s->asm_total;
		uint8_t *nb = realloc(s->asm_buf, want);
		if (!nb) {
			c->st.oom++;
			s->asm_bad = 1;
			return;
		}
		s->asm_buf = nb;
		s->asm_cap = (uint32_t)want;
	}
	memcpy(s->asm_buf + s->asm_len, data, sl->len);
	s->asm_len += sl->len;
	if (sl->flags & CHAN_F_LAST) {
		c->st.msgs_in++;
		deliver(ctx, from, s->asm_buf, s->asm_len);
		s->asm_len = 0;
		s->asm_bad = 1; /* the next fragment must start a message */
		if (s->asm_cap > CHAN_ASM_KEEP) { /* a vector: give its memory back */
			free(s->asm_buf);
			s->asm_buf = NULL;
			s->asm_cap = 0;
		}
	}
}

void chan_rx(struct chan *c, uint16_t from, const uint8_t *p, uint32_t len,
	     chan_deliver_fn deliver, void *ctx)
{
	if (from >= c->cfg.n || from == c->cfg.self || len < CHAN_HDR_LEN ||
	    p[0] != CHAN_VERSION || p[3] != 0 || (p[1] != CHAN_T_DATA && p[1] != CHAN_T_ACK)) {
		c->st.bad_hdr++;
		return;
	}
	/* Incarnations before anything else: a stale frame must not touch the
	 * state of the current sequence spaces. Frames are unauthenticated, as
	 * everything else here: a forged larger incarnation only costs what a
	 * forged ack or fragment can (the messages inside are signed). */
	uint64_t sinc = byz_le64_get(p + 16), dinc = byz_le64_get(p + 24);
	struct src *s = &c->s[from];
	if (sinc == 0) {
		c->st.bad_hdr++;
		return;
	}
	if (sinc < s->inc) {
		c->st.stale_inc++;
		return;
	}
	if (sinc > s->inc) {
		if (s->inc)
			reset_peer(c, from);
		s->inc = sinc;
	}
	if (dinc && dinc != c->cfg.incarnation) {
		/* meant for an earlier incarnation of ours: ack (our ack carries
		 * our incarnation, so the sender starts over), use nothing */
		c->st.stale_inc++;
		if (p[1] == CHAN_T_DATA)
			s->ack_pending = 1;
		return;
	}
	if (p[1] == CHAN_T_ACK) {
		if (len != CHAN_ACK_LEN || p[2] != 0 || byz_le32_get(p + 4) ||
		    byz_le32_get(p + 12)) {
			c->st.bad_hdr++;
			return;
		}
		on_ack(c, from, p);
		return;
	}
	uint32_t plen = len - CHAN_HDR_LEN, seq = byz_le32_get(p + 4);
	uint32_t total = byz_le32_get(p + 8), off = byz_le32_get(p + 12);
	uint8_t fl = p[2];
	if (p[1] != CHAN_T_DATA || plen == 0 || plen > c->cfg.frag_max || total == 0 ||
	    total > c->cfg.max_msg || off > total || plen > total - off ||
	    (fl & ~(CHAN_F_FIRST | CHAN_F_LAST)) || (!!(fl & CHAN_F_FIRST) != (off == 0)) ||
	    (!!(fl & CHAN_F_LAST) != (off + plen == total))) {
		c->st.bad_hdr++;
		return;
	}
	c->st.frags_in++;
	s->ack_pending = 1; /* duplicates too: our previous ack may be lost */
	if (seq - s->expected >= 0x80000000u) {
		c->st.dup++;
		return;
	}
	if (seq - s->expected >= c->cfg.window) {
		c->st.out_window++;
		return;
	}
	uint32_t w = c->cfg.window;
	struct slot *sl = &s->sl[seq % w];
	if (sl->have) {
		c->st.dup++;
		return;
	}
	*sl = (struct slot){.len = plen, .total = total, .off = off, .flags = fl, .have = 1};
	memcpy(s->data + (size_t)(seq % w) * c->cfg.frag_max, p + CHAN_HDR_LEN, plen);
	while (s->sl[s->expected % w].have) {
		struct slot *h = &s->sl[s->expected % w];
		assemble(c, from, s, h, s->data + (size_t)(s->expected % w) * c->cfg.frag_max,
			 deliver, ctx);
		h->have = 0;
		s->expected++;
	}
}

/* ------------------------------------------------------------- transmit */

static int emit_frag(struct chan *c, uint16_t to, struct inflight *f, chan_emit_fn emit,
		     void *ctx)
{
	uint8_t *h = c->frame;
	h[0] = CHAN_VERSION;
	h[1] = CHAN_T_DATA;
	h[2] = f->flags;
	h[3] = 0;
	byz_le32_put(h + 4, f->seq);
	byz_le32_put(h + 8, f->b->len);
	byz_le32_put(h + 12, f->off);
	byz_le64_put(h + 16, c->cfg.incarnation);
	byz_le64_put(h + 24, c->s[to].inc);
	memcpy(h + CHAN_HDR_LEN, f->b->data + f->off, f->len);
	return emit(ctx, to, h, CHAN_HDR_LEN + f->len);
}

unsigned chan_tx(struct chan *c, uint64_t now, chan_emit_fn emit, void *ctx)
{
	unsigned out = 0;
	uint32_t w = c->cfg.window;
	c->now_ns = now;
	if (w == 0) /* refused by chan_create; keeps the modulo below total */
		return 0;
	for (uint16_t i = 0; i < c->cfg.n; i++) {
		if (i == c->cfg.self)
			continue;
		struct src *s = &c->s[i];
		if (s->ack_pending) {
			uint8_t a[CHAN_ACK_LEN] = {CHAN_VERSION, CHAN_T_ACK, 0, 0};
			uint64_t bits = 0;
			for (uint32_t k = 0; k < 64 && k + 1 < w; k++)
				if (s->sl[(s->expected + 1 + k) % w].have)
					bits |= 1ull << k;
			byz_le32_put(a + 8, s->expected);
			byz_le64_put(a + 16, c->cfg.incarnation);
			byz_le64_put(a + 24, s->inc);
			byz_le64_put(a + CHAN_HDR_LEN, bits);
			if (emit(ctx, i, a, sizeof(a)) == 0) {
				s->ack_pending = 0;
				c->st.acks_out++;
				out++;
			}
		}
		struct dst *d = &c->d[i];
		/* Retransmissions first: they are the oldest data. An expired
		 * fragment is resent when a later one was acked (a hole: lost),
		 * or when it is the oldest (a probe); the others wait for the
		 * probe's ack, so a receiver that was only slow (a long
		 * verification, a descheduled process) does not get the whole
		 * window again at every RTO. */
		for (uint32_t q = d->una; q != d->next; q++) {
			struct inflight *f = &d->fl[q % w];
			if (q != d->una && q - d->una >= d->hi - d->una)
				break;
			uint32_t sh = f->tries < 8 ? f->tries : 8;
			uint64_t rto = base_rto(c, d) << sh;
			if (rto > c->cfg.rto_max_ns)
				rto = c->cfg.rto_max_ns;
			if (f->acked || now - f->sent_ns < rto)
				continue;
			f->sent_ns = now;
			f->tries++;
			if (emit_frag(c, i, f, emit, ctx) == 0) {
				c->st.retx++;
				out++;
			}
		}
		while (d->next - d->una < w && d->backlog.n) {
			struct chan_buf *b = fq_head(&d->backlog);
			uint32_t left = b->len - d->cur_off;
			uint32_t len = left < c->cfg.frag_max ? left : c->cfg.frag_max;
			struct inflight *f = &d->fl[d->next % w];
			*f = (struct inflight){.b = b, .sent_ns = now, .off = d->cur_off, .len = len,
					       .seq = d->next};
			f->flags = (uint8_t)((d->cur_off == 0 ? CHAN_F_FIRST : 0) |
					     (len == left ? CHAN_F_LAST : 0));
			b->refs++;
			d->next++;
			d->cur_off += len;
			if (len == left) {
				fq_pop(&d->backlog);
				d->cur_off = 0;
				chan_buf_put(b); /* the backlog's reference */
			}
			/* a failed emit counts as sent: the RTO repairs it */
			if (emit_frag(c, i, f, emit, ctx) == 0) {
				c->st.frags_out++;
				out++;
			}
		}
	}
	return out;
}

const struct chan_stats *chan_stats(const struct chan *c)
{
	return &c->st;
}

uint64_t chan_pending(const struct chan *c)
{
	uint64_t n = 0;
	for (uint16_t i = 0; i < c->cfg.n; i++)
		if (i != c->cfg.self)
			n += c->d[i].backlog.n + (c->d[i].next - c->d[i].una);
	return n;
}
