/**
 * @file byz/frame.h
 * @brief The dataplane wire format: the one header that defines every byte
 * byzreduce puts on the wire below the control plane.
 *
 * A frame is
 *
 *     Ethernet (14) | IPv4, no options, DF (20) | UDP (8) | byz header (72) | payload
 *
 * Ethernet, IPv4 and UDP fields are in network byte order as their RFCs
 * say. The byz header and every payload structure defined here are
 * little-endian with explicit widths; readers and writers go through the
 * byz_le*() helpers, never through a cast of the packet bytes.
 *
 * The CRC32C (Castagnoli, as iSCSI) covers the byz header with its crc and
 * tag fields set to zero, followed by the payload. It catches corruption,
 * not attackers. Attackers are kept out by the per-frame tag (byz/auth.h):
 * with authentication on, every frame carries a Poly1305 tag under the key
 * of its direction (sender, receiver) and a counter that never repeats under
 * that key; the tag covers the header up to the tag field (crc and counter
 * included) and the payload. With authentication off (trusted links) both
 * fields are zero. Content authenticity stays with the control plane's
 * signed commitments either way.
 *
 * Version history: 1 had a 48-byte header without ctr and tag; version 2
 * appended them. Frames of any other version are refused (BYZ_DROP_VERSION).
 *
 * Nothing in this file depends on DPDK: the builder and parser work on plain
 * byte buffers so that unit tests, fuzzers and the sans-IO stream code can
 * use them. Parsing is strict: every length is checked before the bytes it
 * covers are read, and every rejected frame gets a reason code.
 */
#ifndef BYZ_FRAME_H
#define BYZ_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- limits */

#define BYZ_FRAME_VERSION   2u     /**< version byte this code writes and accepts */
#define BYZ_ETH_HLEN        14u
#define BYZ_IPV4_HLEN       20u    /**< IHL 5 only: options are rejected */
#define BYZ_UDP_HLEN        8u
#define BYZ_HDR_LEN         72u    /**< byz header, fixed */
#define BYZ_FRAME_OVERHEAD  (BYZ_ETH_HLEN + BYZ_IPV4_HLEN + BYZ_UDP_HLEN + BYZ_HDR_LEN)
/** Offset of the byz header inside the frame. */
#define BYZ_HDR_OFF         (BYZ_ETH_HLEN + BYZ_IPV4_HLEN + BYZ_UDP_HLEN)
/** Offset of the payload inside the frame. */
#define BYZ_PAYLOAD_OFF     BYZ_FRAME_OVERHEAD
/** Largest IP MTU accepted (jumbo frames). */
#define BYZ_MTU_MAX         9000u
/** Smallest IP MTU accepted (the IPv4 minimum every link must carry). */
#define BYZ_MTU_MIN         576u
/** Largest payload: what a BYZ_MTU_MAX IP packet leaves after the headers. */
#define BYZ_PAYLOAD_MAX     (BYZ_MTU_MAX - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN)
/** Largest frame (no FCS). */
#define BYZ_FRAME_MAX       (BYZ_ETH_HLEN + BYZ_MTU_MAX)
/** Default UDP destination port of the dataplane. */
#define BYZ_UDP_PORT        7410u
/** Largest peer index + 1 a frame can name (source/destination fields). */
#define BYZ_PEERS_MAX       1024u

/** Packet types. */
enum byz_frame_type {
	BYZ_T_DATA = 1,    /**< a slice of a shard: payload at offset seq * seg */
	BYZ_T_SACK = 2,    /**< cumulative ack + bitmap + grant (struct byz_sack) */
	BYZ_T_NACK = 3,    /**< list of missing sequence numbers (u32 LE each) */
	BYZ_T_CONTROL = 4, /**< opaque signed protocol message for the control thread */
	BYZ_T_PROBE = 5,   /**< RTT / liveness probe; echoed with BYZ_F_REPLY */
	BYZ_T_PARITY = 6,  /**< reserved for FEC; rejected by this version */
};

/** Stream kinds (which half of the butterfly a stream belongs to). */
enum byz_stream_kind {
	BYZ_K_NONE = 0,    /**< CONTROL and PROBE frames */
	BYZ_K_SCATTER = 1, /**< peer -> aggregator: part j of a peer's gradient */
	BYZ_K_GATHER = 2,  /**< aggregator -> peers: the aggregate of part j */
	BYZ_K_COUNT
};

/** Header flags; bits not listed must be zero. */
#define BYZ_F_LAST   0x01u /**< DATA: last packet of the shard */
#define BYZ_F_RETX   0x02u /**< DATA: a retransmission (statistics only) */
#define BYZ_F_REPLY  0x04u /**< PROBE: this is the echo */
#define BYZ_F_DONE   0x08u /**< SACK: the receiver holds the whole shard */
#define BYZ_F_KNOWN  (BYZ_F_LAST | BYZ_F_RETX | BYZ_F_REPLY | BYZ_F_DONE)

/*
 * byz header layout (little-endian):
 *
 *   off size field
 *     0    1 version      BYZ_FRAME_VERSION
 *     1    1 type         enum byz_frame_type
 *     2    1 flags        BYZ_F_*
 *     3    1 kind         enum byz_stream_kind
 *     4    2 src          source peer index
 *     6    2 dst          destination peer index
 *     8    4 session      run/session tag (from the 32-byte run id)
 *    12    4 step         training step
 *    16    2 part         part index
 *    18    2 payload_len  bytes after the header
 *    20    4 seq          DATA: packet number; SACK/NACK: 0
 *    24    4 aux          DATA: shard length in bytes; others: 0
 *    28    4 crc          CRC32C of header (crc = 0) + payload
 *    32    8 ts           sender clock (ns) when the frame was built
 *    40    8 ts_echo      the ts of the frame that caused this one (SACK, PROBE reply)
 *    48    8 ctr          authentication counter (nonce); 0 with authentication off
 *    56   16 tag          Poly1305 tag of bytes 0..55 + payload; zeros when off
 */
#define BYZ_HO_VERSION   0u
#define BYZ_HO_TYPE      1u
#define BYZ_HO_FLAGS     2u
#define BYZ_HO_KIND      3u
#define BYZ_HO_SRC       4u
#define BYZ_HO_DST       6u
#define BYZ_HO_SESSION   8u
#define BYZ_HO_STEP      12u
#define BYZ_HO_PART      16u
#define BYZ_HO_PLEN      18u
#define BYZ_HO_SEQ       20u
#define BYZ_HO_AUX       24u
#define BYZ_HO_CRC       28u
#define BYZ_HO_TS        32u
#define BYZ_HO_TS_ECHO   40u
#define BYZ_HO_CTR       48u
#define BYZ_HO_TAG       56u
#define BYZ_TAG_LEN      16u

_Static_assert(BYZ_HO_TAG + BYZ_TAG_LEN == BYZ_HDR_LEN, "byz header layout");
_Static_assert(BYZ_HDR_LEN % 8u == 0, "64-bit fields stay 8-byte aligned in the header");
_Static_assert(BYZ_FRAME_OVERHEAD == 114u, "frame overhead");
_Static_assert(BYZ_PAYLOAD_MAX <= UINT16_MAX, "payload_len is 16 bits");
_Static_assert(BYZ_PEERS_MAX <= UINT16_MAX, "peer fields are 16 bits");

/** Decoded byz header (host order). */
struct byz_hdr {
	uint8_t version;
	uint8_t type;
	uint8_t flags;
	uint8_t kind;
	uint16_t src;
	uint16_t dst;
	uint32_t session;
	uint32_t step;
	uint16_t part;
	uint16_t payload_len;
	uint32_t seq;
	uint32_t aux;
	uint32_t crc;
	uint64_t ts;
	uint64_t ts_echo;
	uint64_t ctr;     /**< written by byz_frame_build; the tag is left to byz_frame_seal */
};

/*
 * SACK payload (40 bytes, little-endian):
 *   0 u32 cum     every seq < cum is held
 *   4 u32 grant   the sender may have seq < grant outstanding
 *   8 u64 bits[4] bit i of word i/64 set: seq cum + 1 + i is held
 */
#define BYZ_SACK_BITS    256u
#define BYZ_SACK_LEN     (8u + BYZ_SACK_BITS / 8u)

_Static_assert(BYZ_SACK_LEN == 40u, "SACK payload layout");

/** Decoded SACK. */
struct byz_sack {
	uint32_t cum;
	uint32_t grant;
	uint64_t bits[BYZ_SACK_BITS / 64u];
};

/** NACK payload: 1..BYZ_NACK_MAX u32 LE sequence numbers. */
#define BYZ_NACK_MAX     64u
/** CONTROL payload limit (signed protocol messages are small). */
#define BYZ_CONTROL_MAX  4096u
/** PROBE payload: none. */

/** Addressing of one frame (network order handled by the builder). */
struct byz_l2l3 {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint32_t src_ip;      /**< host order, e.g. 0x7f000001 */
	uint32_t dst_ip;      /**< host order */
	uint16_t src_port;    /**< host order; varies per stream for RSS/ECMP */
	uint16_t dst_port;    /**< host order; BYZ_UDP_PORT by default */
	uint8_t ttl;          /**< 0: use 64 */
};

/** Why the parser rejected a frame. 0 means accepted. */
enum byz_drop {
	BYZ_DROP_NONE = 0,
	BYZ_DROP_SHORT_ETH,     /**< shorter than an Ethernet header */
	BYZ_DROP_ETHERTYPE,     /**< not IPv4 (VLAN tags are not accepted) */
	BYZ_DROP_SHORT_IP,      /**< shorter than an IPv4 header */
	BYZ_DROP_IP_VERSION,    /**< version != 4 */
	BYZ_DROP_IP_IHL,        /**< options present (IHL != 5) */
	BYZ_DROP_IP_LEN,        /**< total length < header or > bytes present */
	BYZ_DROP_IP_FRAG,       /**< MF set or fragment offset != 0 */
	BYZ_DROP_IP_PROTO,      /**< not UDP */
	BYZ_DROP_IP_CSUM,       /**< header checksum wrong */
	BYZ_DROP_UDP_LEN,       /**< UDP length != IP payload length */
	BYZ_DROP_UDP_PORT,      /**< not our destination port */
	BYZ_DROP_SHORT_HDR,     /**< UDP payload shorter than the byz header */
	BYZ_DROP_VERSION,       /**< unknown byz version */
	BYZ_DROP_TYPE,          /**< unknown or reserved type */
	BYZ_DROP_FLAGS,         /**< unknown flag bits */
	BYZ_DROP_KIND,          /**< stream kind invalid for the type */
	BYZ_DROP_PEER,          /**< src or dst out of range, or src == dst */
	BYZ_DROP_PLEN,          /**< payload_len != bytes after the header */
	BYZ_DROP_PAYLOAD,       /**< payload length invalid for the type */
	BYZ_DROP_FIELD,         /**< a field unused by the type is not zero */
	BYZ_DROP_CRC,           /**< CRC32C mismatch */
	BYZ_DROP_COUNT
};

/** A parsed frame: the header and where its payload lies (inside the input). */
struct byz_frame_view {
	struct byz_hdr h;
	uint32_t src_ip;      /**< host order */
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t src_mac[6];
	const uint8_t *payload; /**< points into the parsed buffer */
};

/* ------------------------------------------------- little-endian helpers */

static inline void byz_le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void byz_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void byz_le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t byz_le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t byz_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t byz_le64_get(const uint8_t *p)
{
	return (uint64_t)byz_le32_get(p) | ((uint64_t)byz_le32_get(p + 4) << 32);
}

/* ------------------------------------------------------------------ API */

/**
 * @brief CRC32C (Castagnoli) of @p len bytes, continuing from @p crc
 * (start with 0). Uses ISA-L.
 */
uint32_t byz_crc32c(uint32_t crc, const void *buf, size_t len);

/**
 * @brief Build a frame in @p out.
 *
 * Fills Ethernet, IPv4 (DF, checksum), UDP (checksum 0: the CRC32C covers
 * the payload) and the byz header from @p h (its payload_len and crc fields
 * are ignored and computed), then copies @p payload unless it already lies at
 * out + BYZ_PAYLOAD_OFF (zero-copy builders write the payload first).
 *
 * @param out      destination, at least BYZ_FRAME_OVERHEAD + plen bytes
 * @param cap      bytes available at @p out
 * @param a        addressing
 * @param h        header fields
 * @param payload  plen bytes, or NULL when plen == 0
 * @param plen     payload length, <= BYZ_PAYLOAD_MAX
 * @return frame length (> 0); -EINVAL for bad arguments; -ERANGE if plen is
 *         over the limit or @p cap is too small.
 */
int byz_frame_build(uint8_t *out, size_t cap, const struct byz_l2l3 *a,
		    const struct byz_hdr *h, const void *payload, size_t plen);

/**
 * @brief Parse and validate a received frame. Reads nothing beyond @p len.
 *
 * Checks, in order: Ethernet length and type; IPv4 version, IHL, total
 * length (frames may carry Ethernet padding after it), no fragmentation,
 * protocol, header checksum; UDP length and destination port (@p port, 0 to
 * accept any); byz version (its one byte is read before the header length
 * is checked, so shorter headers of other versions count as BYZ_DROP_VERSION),
 * header length, type, flags, kind, peers, payload length against the frame
 * and against the type; CRC32C. The authentication tag is not checked here:
 * it needs the sender's key (byz_frame_verify in byz/auth.h).
 *
 * @param buf   frame bytes
 * @param len   frame length
 * @param port  expected UDP destination port (host order), 0 for any
 * @param v     filled on success (payload points into @p buf); on failure its
 *              contents are unspecified
 * @return BYZ_DROP_NONE (0) or the first reason the frame fails
 */
enum byz_drop byz_frame_parse(const uint8_t *buf, size_t len, uint16_t port,
			      struct byz_frame_view *v);

/** @brief Short name of a drop reason ("crc", "ip-csum", ...); never NULL. */
const char *byz_drop_name(enum byz_drop d);

/** @brief Encode a SACK into BYZ_SACK_LEN bytes at @p out. */
void byz_sack_encode(uint8_t *out, const struct byz_sack *s);

/** @brief Decode BYZ_SACK_LEN bytes (the parser has checked the length). */
void byz_sack_decode(const uint8_t *in, struct byz_sack *s);

/** @brief Internet checksum (RFC 1071) of an IPv4 header, as stored. */
uint16_t byz_ipv4_csum(const uint8_t *iph);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_FRAME_H */
