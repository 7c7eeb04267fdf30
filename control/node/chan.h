/*
 * Reliable, ordered, fragmenting message channel over unreliable CONTROL
 * frames (internal to byz_node). One sender and one receiver state per
 * remote peer; selective repeat with a cumulative ack plus a 64-bit bitmap.
 *
 * Fragment header, 32 bytes little-endian, at the start of every CONTROL
 * payload the node sends:
 *   0 u8  version  CHAN_VERSION
 *   1 u8  type     CHAN_T_DATA | CHAN_T_ACK
 *   2 u8  flags    DATA: CHAN_F_FIRST | CHAN_F_LAST; ACK: 0
 *   3 u8  zero
 *   4 u32 seq      DATA: fragment number on this (src, dst) pair; ACK: 0
 *   8 u32 total    DATA: message length; ACK: cum (every seq < cum is held)
 *  12 u32 off      DATA: offset of this fragment in the message; ACK: 0
 *  16 u64 src_inc  the sender's incarnation (non-zero; larger after a restart)
 *  24 u64 dst_inc  the receiver's incarnation the sender knows (0: none yet)
 * DATA carries 1..frag_max bytes after it, ACK exactly 8 (bit i: seq cum+1+i).
 *
 * Incarnations: a restarted node starts its sequence spaces at 0. A frame
 * from a larger src_inc than the one on record means the sender restarted:
 * both directions with it start over (what was queued for the old one is
 * dropped); a smaller one is a leftover of the old incarnation and dropped,
 * as is a frame whose dst_inc names an earlier incarnation of the receiver
 * (a DATA one is still acked, which tells the sender that we restarted).
 */
#ifndef BYZ_NODE_CHAN_H
#define BYZ_NODE_CHAN_H

#include <stddef.h>
#include <stdint.h>

#define CHAN_VERSION 2u
#define CHAN_HDR_LEN 32u
#define CHAN_T_DATA 1u
#define CHAN_T_ACK 2u
#define CHAN_F_FIRST 0x01u
#define CHAN_F_LAST 0x02u
#define CHAN_ACK_LEN (CHAN_HDR_LEN + 8u)
#define CHAN_WINDOW_MAX 64u /* the ack bitmap covers this many fragments */

/** A message shared by every destination it is queued for (refcounted). */
struct chan_buf {
	uint32_t refs;
	uint32_t len;
	uint8_t data[];
};

struct chan_cfg {
	uint16_t n, self;
	uint32_t frag_max;    /* payload bytes per fragment, after the header */
	uint32_t window;      /* fragments in flight per destination, 1..CHAN_WINDOW_MAX */
	uint32_t max_msg;     /* largest message accepted */
	uint32_t backlog_max; /* queued messages per destination before drops */
	uint64_t rto_ns, rto_max_ns;
	uint64_t incarnation;  /* ours, non-zero, larger than any earlier one of this peer */
};

struct chan_stats {
	uint64_t frags_out, retx, acks_out, frags_in, acks_in, msgs_in, msgs_out;
	uint64_t bad_hdr;      /* malformed header or lengths */
	uint64_t bad_ack;      /* ack naming fragments never sent */
	uint64_t dup;          /* fragment already held */
	uint64_t out_window;   /* fragment beyond the window */
	uint64_t asm_reset;    /* fragments inconsistent with their message: dropped */
	uint64_t backlog_drop; /* messages dropped because a backlog was full */
	uint64_t stale_inc;    /* from or to an earlier incarnation: dropped */
	uint64_t peer_restarts; /* a peer came back with a new incarnation */
	uint64_t oom;
};

struct chan;

typedef void (*chan_deliver_fn)(void *ctx, uint16_t from, const uint8_t *msg, uint32_t len);
/* Emit one CONTROL payload to @p to; returns 0 or a negative code (retried by RTO). */
typedef int (*chan_emit_fn)(void *ctx, uint16_t to, const uint8_t *p, uint32_t len);

struct chan *chan_new(const struct chan_cfg *c, int *err);
void chan_free(struct chan *c);

/* A new buffer holding a copy of @p len bytes, refs = 0. NULL on OOM. */
struct chan_buf *chan_buf_new(const uint8_t *p, uint32_t len);
/* Queue @p b for @p to (takes a reference). 0, -EINVAL, -ENOBUFS (backlog full). */
int chan_queue(struct chan *c, uint16_t to, struct chan_buf *b);
/* Drop one reference; frees at zero. */
void chan_buf_put(struct chan_buf *b);

/* Handle one received CONTROL payload from @p from (hostile bytes). */
void chan_rx(struct chan *c, uint16_t from, const uint8_t *p, uint32_t len,
	     chan_deliver_fn deliver, void *ctx);
/* Send due acks, retransmissions and new fragments. @return frames emitted. */
unsigned chan_tx(struct chan *c, uint64_t now_ns, chan_emit_fn emit, void *ctx);
/* Forget everything queued for @p to (a banned peer). */
void chan_drop_peer(struct chan *c, uint16_t to);

const struct chan_stats *chan_stats(const struct chan *c);
/* Messages queued or in flight towards anyone (0: idle). */
uint64_t chan_pending(const struct chan *c);

#endif
