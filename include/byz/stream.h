/**
 * @file byz/stream.h
 * @brief Reliable shard streams: the sans-IO core of the dataplane.
 *
 * One stream moves one shard (a byte buffer of known length) from one peer
 * to another. The sender cuts it into packets of @c seg bytes (the last may
 * be shorter), so packet @c seq always lands at offset seq * seg and the
 * receiver places payloads straight into the destination buffer.
 *
 * Reliability is selective repeat: the receiver keeps a bitmap, answers with
 * SACKs (cumulative ack, a 256-packet bitmap above it and a grant) and NACK
 * lists for holes that persist; the sender retransmits NACKed packets and
 * packets whose retransmission timeout expires (RTT measured from echoed
 * timestamps, RFC 6298 smoothing, exponential back-off). The receiver's
 * grant bounds the packets a sender may have outstanding, which is how an
 * aggregator shares its buffer among n-1 incoming streams (incast control).
 *
 * No I/O and no clock here: the caller feeds packets and the current time in
 * nanoseconds, and asks what to send. Streams are created once with a
 * capacity (all memory allocated then) and re-armed for every step without
 * allocating. Every function is O(1) or O(window) per call; none allocates,
 * locks or calls the kernel. A stream has a single writer (its lcore).
 */
#ifndef BYZ_STREAM_H
#define BYZ_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "byz/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest shard a stream accepts (bytes). */
#define BYZ_STREAM_MAX_LEN  (1u << 30)
/** Smallest packet payload (seg) accepted. */
#define BYZ_SEG_MIN         64u
/** Highest pacing rate accepted, bytes per second (800 Gbit/s). */
#define BYZ_PACE_MAX_BPS    100000000000ull
/** Default seg for a 1500-byte MTU: 1500 - 20 - 8 - 72 = 1400, rounded down to 16. */
#define BYZ_SEG_1500        1392u
_Static_assert(BYZ_SEG_1500 % 16u == 0 &&
	       BYZ_SEG_1500 <= 1500u - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN &&
	       BYZ_SEG_1500 + 16u > 1500u - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN,
	       "BYZ_SEG_1500 fills a 1500-byte MTU");

/** Tunables shared by both ends; byz_stream_cfg_default() fills them. */
struct byz_stream_cfg {
	uint32_t seg;           /**< payload bytes per packet, BYZ_SEG_MIN..BYZ_PAYLOAD_MAX */
	uint32_t window;        /**< receiver: packets granted beyond cum; >= 1 */
	uint32_t init_grant;    /**< sender: packets it may send before any SACK */
	uint32_t ack_every;     /**< receiver: SACK after this many new packets */
	uint64_t ack_delay_ns;  /**< receiver: SACK no later than this after a new packet */
	uint64_t nack_ns;       /**< receiver: a hole is NACKed after this, then at this period */
	uint64_t rto_init_ns;   /**< sender: RTO before the first RTT sample */
	uint64_t rto_min_ns;    /**< sender: RTO floor */
	uint64_t rto_max_ns;    /**< sender: RTO ceiling (back-off stops here) */
	uint32_t retx_budget;   /**< sender: retransmissions allowed per stream; 0 = 8 * packets + 256 */
	uint64_t pace_bps;      /**< sender: wire bytes per second (payload + BYZ_FRAME_OVERHEAD
				     per packet); 0 = unpaced (grants and window only) */
	uint32_t pace_burst;    /**< sender: bytes it may send back to back when paced;
				     0 = two full packets */
};

/** Fill @p c with defaults for a datacenter RTT and the given seg. */
void byz_stream_cfg_default(struct byz_stream_cfg *c, uint32_t seg);

/** @return 0 or -EINVAL naming nothing: check seg, window, ack_every, RTOs and pace_bps. */
int byz_stream_cfg_check(const struct byz_stream_cfg *c);

/** @brief Number of packets a shard of @p len bytes takes at @p seg. */
static inline uint32_t byz_stream_npkts(uint32_t len, uint32_t seg)
{
	return (uint32_t)(((uint64_t)len + seg - 1) / seg);
}

/* ---------------------------------------------------------------- sender */

enum byz_stream_state {
	BYZ_ST_IDLE = 0,   /**< not armed */
	BYZ_ST_ACTIVE,     /**< moving data */
	BYZ_ST_DONE,       /**< sender: every packet acked; receiver: shard complete */
	BYZ_ST_FAILED,     /**< sender: retransmission budget spent */
};

/** Sender counters (monotone within one arming). */
struct byz_tx_stats {
	uint64_t pkts;        /**< DATA packets handed out, retransmissions included */
	uint64_t retx;        /**< retransmissions */
	uint64_t rto_fires;   /**< timer expiries that found lost packets */
	uint64_t sacks;       /**< SACKs applied */
	uint64_t nacks;       /**< NACKs applied */
	uint64_t bad_ctrl;    /**< SACK/NACK naming packets never sent (ignored) */
	uint64_t rtt_samples;
	uint64_t paced;       /**< calls to byz_tx_stream_next() held back by the pacer */
};

/** Opaque sender; see byz_tx_stream_create(). */
struct byz_tx_stream;

/** One packet the sender wants on the wire. */
struct byz_tx_pkt {
	uint32_t seq;
	uint32_t off;   /**< seq * seg */
	uint32_t len;   /**< payload bytes */
	uint8_t flags;  /**< BYZ_F_LAST, BYZ_F_RETX */
};

/**
 * @brief Allocate a sender able to carry shards up to @p max_len bytes.
 * @param max_len largest shard, 1..BYZ_STREAM_MAX_LEN
 * @param cfg     tunables (copied)
 * @param err     NULL, or set to -EINVAL / -ENOMEM when NULL is returned
 * @return the sender (free with byz_tx_stream_free), or NULL
 */
struct byz_tx_stream *byz_tx_stream_create(uint32_t max_len,
					   const struct byz_stream_cfg *cfg,
					   int *err);

/** @brief Free a sender (NULL is fine). */
void byz_tx_stream_free(struct byz_tx_stream *tx);

/**
 * @brief Arm the sender for one shard. The buffer is borrowed until the
 * stream is re-armed or freed; it must not change meanwhile.
 * @return 0; -EINVAL (NULL buf, len 0); -ERANGE (len over the capacity)
 */
int byz_tx_stream_start(struct byz_tx_stream *tx, const void *buf, uint32_t len,
			uint64_t now);

/**
 * @brief Next packet to send now, if any. The packet counts as sent at @p now.
 *
 * Order: queued retransmissions (NACKed or timed out), then new packets
 * while seq < grant and in-flight packets < window. When paced, nothing
 * goes before the pacer's time (byz_tx_stream_deadline() tells when).
 * @return 1 with @p p filled, 0 when nothing may be sent now
 */
int byz_tx_stream_next(struct byz_tx_stream *tx, uint64_t now,
		       struct byz_tx_pkt *p);

/**
 * @brief Change the sender's pacing rate (wire bytes per second; 0 = off).
 * Rates above BYZ_PACE_MAX_BPS are clamped to it.
 * Meant to be called off the packet path (per step, or when the set of
 * concurrent streams changes); credit already earned is kept, capped at the
 * burst.
 */
void byz_tx_stream_set_rate(struct byz_tx_stream *tx, uint64_t bytes_per_s);

/**
 * @brief Apply a SACK. @p ts_echo is the echoed send time (0: none).
 * @return 0; -EPROTO when the SACK names packets never sent (ignored, counted)
 */
int byz_tx_stream_on_sack(struct byz_tx_stream *tx, const struct byz_sack *s,
			  uint64_t ts_echo, uint64_t now);

/**
 * @brief Apply a NACK: queue the listed packets for retransmission unless
 * acked, already queued, or sent less than one smoothed RTT ago. Only the
 * first BYZ_NACK_MAX entries are read (a NACK frame holds no more).
 * @return 0; -EPROTO when an entry names a packet never sent or the list is
 *         longer than BYZ_NACK_MAX (the rest applied)
 */
int byz_tx_stream_on_nack(struct byz_tx_stream *tx, const uint32_t *seqs,
			  uint32_t n, uint64_t now);

/** @brief Current state. */
enum byz_stream_state byz_tx_stream_state(const struct byz_tx_stream *tx);

/** @brief Earliest time the sender wants to be polled again (UINT64_MAX: none). */
uint64_t byz_tx_stream_deadline(const struct byz_tx_stream *tx);

/** @brief Counters. */
const struct byz_tx_stats *byz_tx_stream_stats(const struct byz_tx_stream *tx);

/** @brief Current RTO in ns (for tests and telemetry). */
uint64_t byz_tx_stream_rto(const struct byz_tx_stream *tx);

/* -------------------------------------------------------------- receiver */

/** Receiver counters. */
struct byz_rx_stats {
	uint64_t pkts;        /**< new packets placed */
	uint64_t bytes;       /**< payload bytes placed */
	uint64_t dups;        /**< packets already held (ignored) */
	uint64_t out_window;  /**< packets at or beyond the grant (ignored) */
	uint64_t bad;         /**< wrong shard length, seq or payload size (ignored) */
	uint64_t sacks;       /**< SACKs emitted */
	uint64_t nacks;       /**< NACKs emitted */
};

/** Opaque receiver; see byz_rx_stream_create(). */
struct byz_rx_stream;

/** What the receiver wants to send (filled by byz_rx_stream_poll). */
struct byz_rx_ctrl {
	uint8_t type;         /**< BYZ_T_SACK or BYZ_T_NACK */
	uint8_t flags;        /**< BYZ_F_DONE on a SACK for a complete shard */
	uint64_t ts_echo;     /**< ts of the newest DATA that triggered a SACK */
	struct byz_sack sack;
	uint32_t nack_n;
	uint32_t nack[BYZ_NACK_MAX];
};

/**
 * @brief Allocate a receiver able to hold shards up to @p max_len bytes.
 * @return the receiver (free with byz_rx_stream_free), or NULL with *err set
 *         to -EINVAL or -ENOMEM
 */
struct byz_rx_stream *byz_rx_stream_create(uint32_t max_len,
					   const struct byz_stream_cfg *cfg,
					   int *err);

/** @brief Free a receiver (NULL is fine). */
void byz_rx_stream_free(struct byz_rx_stream *rx);

/**
 * @brief Arm the receiver: payloads will be written into @p buf (@p len
 * bytes, borrowed until re-armed or freed).
 * @return 0; -EINVAL; -ERANGE (len over the capacity)
 */
int byz_rx_stream_start(struct byz_rx_stream *rx, void *buf, uint32_t len,
			uint64_t now);

/**
 * @brief Accept one DATA payload (the frame is already parsed and CRC-checked).
 * @param shard_len the aux field of the frame; must equal the armed length
 * @return 1 when this packet completed the shard; 0 when placed or ignored as
 *         a duplicate / out of window; -EPROTO when inconsistent (counted in bad)
 */
int byz_rx_stream_on_data(struct byz_rx_stream *rx, uint32_t seq,
			  const void *payload, uint32_t plen, uint32_t shard_len,
			  uint64_t ts, uint64_t now);

/**
 * @brief What to send now: call until it returns 0.
 * @return 1 with @p c filled (a SACK or a NACK), 0 when nothing is due
 */
int byz_rx_stream_poll(struct byz_rx_stream *rx, uint64_t now,
		       struct byz_rx_ctrl *c);

/**
 * @brief Change the grant window (packets beyond cum). A larger window is
 * announced by the next SACK, which is sent promptly.
 * @return 0 or -EINVAL for 0
 */
int byz_rx_stream_set_window(struct byz_rx_stream *rx, uint32_t window);

/** @brief Current state: ACTIVE until every packet is held, then DONE. */
enum byz_stream_state byz_rx_stream_state(const struct byz_rx_stream *rx);

/** @brief Earliest time the receiver wants to be polled again (UINT64_MAX: none). */
uint64_t byz_rx_stream_deadline(const struct byz_rx_stream *rx);

/** @brief Counters. */
const struct byz_rx_stats *byz_rx_stream_stats(const struct byz_rx_stream *rx);

/** @brief Packets held so far. */
uint32_t byz_rx_stream_held(const struct byz_rx_stream *rx);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_STREAM_H */
