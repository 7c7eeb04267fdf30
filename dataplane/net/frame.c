/*
 * Frame builder and strict parser for the wire format of byz/frame.h.
 * The parser checks each length before it reads the bytes the length covers
 * and returns the first reason a frame fails, so drop counters say why.
 */
#include <errno.h>
#include <string.h>

#include <isa-l/crc.h>

#include "byz/frame.h"

uint32_t byz_crc32c(uint32_t crc, const void *buf, size_t len)
{
	/* ISA-L keeps the pre/post inversion outside; its API is not const-correct
	 * and takes an int length, so feed it in chunks. */
	uint32_t c = ~crc;
	const uint8_t *p = buf;
	while (len) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		unsigned char *q;
		memcpy(&q, &p, sizeof(q));
		c = crc32_iscsi(q, (int)n, c);
		p += n;
		len -= n;
	}
	return ~c;
}

static uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
	be16_put(p, (uint16_t)(v >> 16));
	be16_put(p + 2, (uint16_t)v);
}

uint16_t byz_ipv4_csum(const uint8_t *iph)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < BYZ_IPV4_HLEN; i += 2)
		sum += be16_get(iph + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void hdr_encode(uint8_t *p, const struct byz_hdr *h, uint16_t plen)
{
	p[BYZ_HO_VERSION] = h->version;
	p[BYZ_HO_TYPE] = h->type;
	p[BYZ_HO_FLAGS] = h->flags;
	p[BYZ_HO_KIND] = h->kind;
	byz_le16_put(p + BYZ_HO_SRC, h->src);
	byz_le16_put(p + BYZ_HO_DST, h->dst);
	byz_le32_put(p + BYZ_HO_SESSION, h->session);
	byz_le32_put(p + BYZ_HO_STEP, h->step);
	byz_le16_put(p + BYZ_HO_PART, h->part);
	byz_le16_put(p + BYZ_HO_PLEN, plen);
	byz_le32_put(p + BYZ_HO_SEQ, h->seq);
	byz_le32_put(p + BYZ_HO_AUX, h->aux);
	byz_le32_put(p + BYZ_HO_CRC, 0);
	byz_le64_put(p + BYZ_HO_TS, h->ts);
	byz_le64_put(p + BYZ_HO_TS_ECHO, h->ts_echo);
	byz_le64_put(p + BYZ_HO_CTR, h->ctr);
	memset(p + BYZ_HO_TAG, 0, BYZ_TAG_LEN); /* byz_frame_seal writes it */
}

static void hdr_decode(const uint8_t *p, struct byz_hdr *h)
{
	h->version = p[BYZ_HO_VERSION];
	h->type = p[BYZ_HO_TYPE];
	h->flags = p[BYZ_HO_FLAGS];
	h->kind = p[BYZ_HO_KIND];
	h->src = byz_le16_get(p + BYZ_HO_SRC);
	h->dst = byz_le16_get(p + BYZ_HO_DST);
	h->session = byz_le32_get(p + BYZ_HO_SESSION);
	h->step = byz_le32_get(p + BYZ_HO_STEP);
	h->part = byz_le16_get(p + BYZ_HO_PART);
	h->payload_len = byz_le16_get(p + BYZ_HO_PLEN);
	h->seq = byz_le32_get(p + BYZ_HO_SEQ);
	h->aux = byz_le32_get(p + BYZ_HO_AUX);
	h->crc = byz_le32_get(p + BYZ_HO_CRC);
	h->ts = byz_le64_get(p + BYZ_HO_TS);
	h->ts_echo = byz_le64_get(p + BYZ_HO_TS_ECHO);
	h->ctr = byz_le64_get(p + BYZ_HO_CTR);
}

static uint32_t frame_crc(const uint8_t *hdr, const uint8_t *payload, size_t plen)
{
	/* The crc and tag fields count as zero: hash around them rather than copy
	 * the header. The tag is written after the CRC (byz_frame_seal). */
	static const uint8_t zero[BYZ_TAG_LEN];
	uint32_t c = byz_crc32c(0, hdr, BYZ_HO_CRC);
	c = byz_crc32c(c, zero, 4);
	c = byz_crc32c(c, hdr + BYZ_HO_CRC + 4, BYZ_HO_TAG - BYZ_HO_CRC - 4);
	c = byz_crc32c(c, zero, BYZ_TAG_LEN);
	_Static_assert(BYZ_HO_TAG + BYZ_TAG_LEN == BYZ_HDR_LEN, "tag ends the header");
	return byz_crc32c(c, payload, plen);
}

int byz_frame_build(uint8_t *out, size_t cap, const struct byz_l2l3 *a,
		    const struct byz_hdr *h, const void *payload, size_t plen)
{
	if (!out || !a || !h || (plen && !payload))
		return -EINVAL;
	if (plen > BYZ_PAYLOAD_MAX || cap < BYZ_FRAME_OVERHEAD + plen)
		return -ERANGE;
	uint8_t *eth = out, *ip = out + BYZ_ETH_HLEN;
	uint8_t *udp = ip + BYZ_IPV4_HLEN, *bh = out + BYZ_HDR_OFF;
	uint8_t *pl = out + BYZ_PAYLOAD_OFF;

	memcpy(eth, a->dst_mac, 6);
	memcpy(eth + 6, a->src_mac, 6);
	be16_put(eth + 12, 0x0800);

	uint16_t iplen = (uint16_t)(BYZ_IPV4_HLEN + BYZ_UDP_HLEN + BYZ_HDR_LEN + plen);
	ip[0] = 0x45;
	ip[1] = 0;
	be16_put(ip + 2, iplen);
	be16_put(ip + 4, 0);      /* id: unused with DF (RFC 6864) */
	be16_put(ip + 6, 0x4000); /* DF: a lost fragment would cost a whole packet */
	ip[8] = a->ttl ? a->ttl : 64;
	ip[9] = 17;
	be16_put(ip + 10, 0);
	be32_put(ip + 12, a->src_ip);
	be32_put(ip + 16, a->dst_ip);
	be16_put(ip + 10, byz_ipv4_csum(ip));

	be16_put(udp, a->src_port);
	be16_put(udp + 2, a->dst_port);
	be16_put(udp + 4, (uint16_t)(iplen - BYZ_IPV4_HLEN));
	be16_put(udp + 6, 0); /* no UDP checksum: CRC32C is stronger and covers the payload */

	if (plen && (const uint8_t *)payload != pl)
		memmove(pl, payload, plen);
	hdr_encode(bh, h, (uint16_t)plen);
	byz_le32_put(bh + BYZ_HO_CRC, frame_crc(bh, pl, plen));
	return (int)(BYZ_FRAME_OVERHEAD + plen);
}

static enum byz_drop check_type(const struct byz_hdr *h)
{
	unsigned stream = h->kind == BYZ_K_SCATTER || h->kind == BYZ_K_GATHER;
	uint8_t allowed;
	switch (h->type) {
	case BYZ_T_DATA:
		allowed = BYZ_F_LAST | BYZ_F_RETX;
		break;
	case BYZ_T_SACK:
		allowed = BYZ_F_DONE;
		break;
	case BYZ_T_PROBE:
		allowed = BYZ_F_REPLY;
		break;
	case BYZ_T_NACK:
	case BYZ_T_CONTROL:
		allowed = 0;
		break;
	default: /* PARITY is reserved until FEC exists */
		return BYZ_DROP_TYPE;
	}
	if (h->flags & ~allowed)
		return BYZ_DROP_FLAGS;
	int wants_stream = h->type == BYZ_T_DATA || h->type == BYZ_T_SACK ||
			   h->type == BYZ_T_NACK;
	if (wants_stream ? !stream : h->kind != BYZ_K_NONE)
		return BYZ_DROP_KIND;
	if (h->src >= BYZ_PEERS_MAX || h->dst >= BYZ_PEERS_MAX || h->src == h->dst)
		return BYZ_DROP_PEER;
	return BYZ_DROP_NONE;
}

static enum byz_drop check_payload(const struct byz_hdr *h)
{
	uint32_t n = h->payload_len;
	switch (h->type) {
	case BYZ_T_DATA:
		/* aux = shard length: a packet cannot be longer than its shard. */
		if (n == 0 || n > BYZ_PAYLOAD_MAX || n > h->aux)
			return BYZ_DROP_PAYLOAD;
		return BYZ_DROP_NONE;
	case BYZ_T_SACK:
		if (n != BYZ_SACK_LEN)
			return BYZ_DROP_PAYLOAD;
		break;
	case BYZ_T_NACK:
		if (n == 0 || n % 4 || n > 4 * BYZ_NACK_MAX)
			return BYZ_DROP_PAYLOAD;
		break;
	case BYZ_T_CONTROL:
		if (n == 0 || n > BYZ_CONTROL_MAX)
			return BYZ_DROP_PAYLOAD;
		break;
	case BYZ_T_PROBE:
		if (n != 0)
			return BYZ_DROP_PAYLOAD;
		break;
	default:
		return BYZ_DROP_TYPE;
	}
	/* Unused fields must be zero so that they stay free for later versions. */
	if (h->seq || h->aux || (h->kind == BYZ_K_NONE && h->part))
		return BYZ_DROP_FIELD;
	return BYZ_DROP_NONE;
}

enum byz_drop byz_frame_parse(const uint8_t *buf, size_t len, uint16_t port,
			      struct byz_frame_view *v)
{
	if (!buf || len < BYZ_ETH_HLEN)
		return BYZ_DROP_SHORT_ETH;
	if (be16_get(buf + 12) != 0x0800)
		return BYZ_DROP_ETHERTYPE;
	if (len < BYZ_ETH_HLEN + BYZ_IPV4_HLEN)
		return BYZ_DROP_SHORT_IP;
	const uint8_t *ip = buf + BYZ_ETH_HLEN;
	if ((ip[0] >> 4) != 4)
		return BYZ_DROP_IP_VERSION;
	if ((ip[0] & 0xf) != 5)
		return BYZ_DROP_IP_IHL;
	size_t iplen = be16_get(ip + 2);
	/* Ethernet may pad short frames, so bytes after the IP packet are ignored. */
	if (iplen < BYZ_IPV4_HLEN || iplen > len - BYZ_ETH_HLEN)
		return BYZ_DROP_IP_LEN;
	if (be16_get(ip + 6) & 0x3fff)
		return BYZ_DROP_IP_FRAG;
	if (ip[9] != 17)
		return BYZ_DROP_IP_PROTO;
	if (byz_ipv4_csum(ip) != 0)
		return BYZ_DROP_IP_CSUM;
	const uint8_t *udp = ip + BYZ_IPV4_HLEN;
	if (iplen < BYZ_IPV4_HLEN + BYZ_UDP_HLEN ||
	    be16_get(udp + 4) != iplen - BYZ_IPV4_HLEN)
		return BYZ_DROP_UDP_LEN;
	if (port && be16_get(udp + 2) != port)
		return BYZ_DROP_UDP_PORT;
	size_t ulen = iplen - BYZ_IPV4_HLEN - BYZ_UDP_HLEN;
	const uint8_t *bh = udp + BYZ_UDP_HLEN;
	/* The version byte first: an older header is shorter, and its frames
	 * must be counted as another version, not as short. */
	if (ulen >= 1 && bh[BYZ_HO_VERSION] != BYZ_FRAME_VERSION)
		return BYZ_DROP_VERSION;
	if (ulen < BYZ_HDR_LEN)
		return BYZ_DROP_SHORT_HDR;
	hdr_decode(bh, &v->h);
	enum byz_drop d = check_type(&v->h);
	if (d)
		return d;
	if (v->h.payload_len != ulen - BYZ_HDR_LEN)
		return BYZ_DROP_PLEN;
	d = check_payload(&v->h);
	if (d)
		return d;
	if (frame_crc(bh, bh + BYZ_HDR_LEN, v->h.payload_len) != v->h.crc)
		return BYZ_DROP_CRC;
	v->payload = bh + BYZ_HDR_LEN;
	v->src_ip = be32_get(ip + 12);
	v->dst_ip = be32_get(ip + 16);
	v->src_port = be16_get(udp);
	v->dst_port = be16_get(udp + 2);
	memcpy(v->src_mac, buf + 6, 6);
	return BYZ_DROP_NONE;
}

const char *byz_drop_name(enum byz_drop d)
{
	static const char *const names[BYZ_DROP_COUNT] = {
		[BYZ_DROP_NONE] = "none",
		[BYZ_DROP_SHORT_ETH] = "short-eth",
		[BYZ_DROP_ETHERTYPE] = "ethertype",
		[BYZ_DROP_SHORT_IP] = "short-ip",
		[BYZ_DROP_IP_VERSION] = "ip-version",
		[BYZ_DROP_IP_IHL] = "ip-ihl",
		[BYZ_DROP_IP_LEN] = "ip-len",
		[BYZ_DROP_IP_FRAG] = "ip-frag",
		[BYZ_DROP_IP_PROTO] = "ip-proto",
		[BYZ_DROP_IP_CSUM] = "ip-csum",
		[BYZ_DROP_UDP_LEN] = "udp-len",
		[BYZ_DROP_UDP_PORT] = "udp-port",
		[BYZ_DROP_SHORT_HDR] = "short-hdr",
		[BYZ_DROP_VERSION] = "version",
		[BYZ_DROP_TYPE] = "type",
		[BYZ_DROP_FLAGS] = "flags",
		[BYZ_DROP_KIND] = "kind",
		[BYZ_DROP_PEER] = "peer",
		[BYZ_DROP_PLEN] = "payload-len",
		[BYZ_DROP_PAYLOAD] = "payload",
		[BYZ_DROP_FIELD] = "field",
		[BYZ_DROP_CRC] = "crc",
	};
	return (unsigned)d < BYZ_DROP_COUNT && names[d] ? names[d] : "unknown";
}

void byz_sack_encode(uint8_t *out, const struct byz_sack *s)
{
	byz_le32_put(out, s->cum);
	byz_le32_put(out + 4, s->grant);
	for (unsigned i = 0; i < BYZ_SACK_BITS / 64u; i++)
		byz_le64_put(out + 8 + 8 * i, s->bits[i]);
}

void byz_sack_decode(const uint8_t *in, struct byz_sack *s)
{
	s->cum = byz_le32_get(in);
	s->grant = byz_le32_get(in + 4);
	for (unsigned i = 0; i < BYZ_SACK_BITS / 64u; i++)
		s->bits[i] = byz_le64_get(in + 8 + 8 * i);
}
