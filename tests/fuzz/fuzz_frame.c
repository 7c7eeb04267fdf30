/*
 * Fuzz target: the dataplane frame parser (byz_frame_parse) and the SACK
 * codec. The first input byte picks a mode; the rest is the frame.
 *   bit 0: repair the IPv4/UDP lengths, the IP checksum, payload_len and the
 *          CRC32C before parsing, so mutations reach the byz-header checks
 *          instead of dying at a checksum;
 *   bit 1: parse with the default UDP port instead of "any port".
 * Invariants on acceptance: the payload lies inside the input, its length
 * fits the type, rebuilding the frame from the view gives back the same
 * byz header and payload bytes, and the rebuilt frame parses to the same
 * header (parser and builder agree on every field).
 */
#include "fuzz.h"

#include <errno.h>

#include "byz/auth.h"
#include "byz/frame.h"

static void be16_set(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void repair(uint8_t *f, size_t len)
{
	if (len < BYZ_ETH_HLEN + BYZ_IPV4_HLEN || len - BYZ_ETH_HLEN > 0xffff)
		return;
	uint8_t *ip = f + BYZ_ETH_HLEN;
	size_t iplen = len - BYZ_ETH_HLEN;
	be16_set(ip + 2, iplen);
	if (iplen >= BYZ_IPV4_HLEN + BYZ_UDP_HLEN)
		be16_set(ip + BYZ_IPV4_HLEN + 4, iplen - BYZ_IPV4_HLEN);
	be16_set(ip + 10, 0);
	be16_set(ip + 10, byz_ipv4_csum(ip));
	if (len < BYZ_PAYLOAD_OFF)
		return;
	uint8_t *bh = f + BYZ_HDR_OFF;
	size_t plen = len - BYZ_PAYLOAD_OFF;
	byz_le16_put(bh + BYZ_HO_PLEN, (uint16_t)plen);
	byz_le32_put(bh + BYZ_HO_CRC, 0);
	memset(bh + BYZ_HO_TAG, 0, BYZ_TAG_LEN); /* the CRC counts it as zero */
	uint32_t c = byz_crc32c(0, bh, BYZ_HDR_LEN + plen);
	byz_le32_put(bh + BYZ_HO_CRC, c);
}

static void check_accepted(const uint8_t *f, size_t len, const struct byz_frame_view *v)
{
	static uint8_t out[BYZ_FRAME_MAX];
	size_t plen = v->h.payload_len;
	FUZZ_CHECK(v->payload == f + BYZ_PAYLOAD_OFF);
	FUZZ_CHECK(BYZ_PAYLOAD_OFF + plen <= len);
	FUZZ_CHECK(plen <= BYZ_PAYLOAD_MAX);
	FUZZ_CHECK(v->h.src < BYZ_PEERS_MAX && v->h.dst < BYZ_PEERS_MAX && v->h.src != v->h.dst);
	switch (v->h.type) {
	case BYZ_T_SACK: {
		FUZZ_CHECK(plen == BYZ_SACK_LEN);
		struct byz_sack s;
		uint8_t back[BYZ_SACK_LEN];
		byz_sack_decode(v->payload, &s);
		byz_sack_encode(back, &s);
		FUZZ_CHECK(memcmp(back, v->payload, BYZ_SACK_LEN) == 0);
		break;
	}
	case BYZ_T_NACK:
		FUZZ_CHECK(plen > 0 && plen % 4 == 0 && plen <= 4 * BYZ_NACK_MAX);
		break;
	case BYZ_T_DATA:
		FUZZ_CHECK(plen > 0 && plen <= v->h.aux);
		break;
	case BYZ_T_CONTROL:
		FUZZ_CHECK(plen > 0 && plen <= BYZ_CONTROL_MAX);
		break;
	case BYZ_T_PROBE:
		FUZZ_CHECK(plen == 0);
		break;
	default:
		FUZZ_CHECK(!"accepted an unknown type");
	}

	struct byz_l2l3 a = {.src_ip = v->src_ip, .dst_ip = v->dst_ip,
			     .src_port = v->src_port, .dst_port = v->dst_port};
	memcpy(a.src_mac, v->src_mac, 6);
	memcpy(a.dst_mac, f, 6);
	int n = byz_frame_build(out, sizeof(out), &a, &v->h, v->payload, plen);
	FUZZ_CHECK(n == (int)(BYZ_PAYLOAD_OFF + plen));
	/* the builder leaves the tag to byz_frame_seal: compare around it */
	FUZZ_CHECK(memcmp(out + BYZ_HDR_OFF, f + BYZ_HDR_OFF, BYZ_HO_TAG) == 0);
	FUZZ_CHECK(memcmp(out + BYZ_PAYLOAD_OFF, v->payload, plen) == 0);
	struct byz_frame_view w;
	FUZZ_CHECK(byz_frame_parse(out, (size_t)n, v->dst_port, &w) == BYZ_DROP_NONE);
	/* a hostile tag is checked without harm; a sealed copy verifies and still
	 * parses (the CRC does not cover the tag) */
	static const uint8_t key[BYZ_AUTH_KEY_LEN] = {1, 2, 3};
	int hostile_ok = byz_frame_verify(f + BYZ_HDR_OFF, plen, key);
	FUZZ_CHECK(hostile_ok == 0 || hostile_ok == -EBADMSG);
	FUZZ_CHECK(byz_frame_seal(out, (size_t)n, key) == 0);
	FUZZ_CHECK(byz_frame_verify(out + BYZ_HDR_OFF, plen, key) == 0);
	FUZZ_CHECK(byz_frame_parse(out, (size_t)n, v->dst_port, &w) == BYZ_DROP_NONE);
	FUZZ_CHECK(memcmp(&w.h, &v->h, sizeof(w.h)) == 0);
	FUZZ_CHECK(w.src_ip == v->src_ip && w.dst_ip == v->dst_ip);
	FUZZ_CHECK(w.src_port == v->src_port && w.dst_port == v->dst_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > BYZ_FRAME_MAX + 64)
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	/* An exact-size heap copy: ASan flags any read past the frame. */
	uint8_t *f = malloc(len ? len : 1);
	if (!f)
		return 0;
	memcpy(f, data + 1, len);
	if (mode & 1)
		repair(f, len);
	uint16_t port = (mode & 2) ? BYZ_UDP_PORT : 0;

	struct byz_frame_view v;
	enum byz_drop d = byz_frame_parse(len ? f : NULL, len, port, &v);
	FUZZ_CHECK((unsigned)d < BYZ_DROP_COUNT);
	FUZZ_CHECK(byz_drop_name(d) != NULL && strcmp(byz_drop_name(d), "unknown") != 0);
	if ((mode & 1) && len >= BYZ_PAYLOAD_OFF && len - BYZ_ETH_HLEN <= 0xffff)
		FUZZ_CHECK(d != BYZ_DROP_IP_CSUM && d != BYZ_DROP_IP_LEN &&
			   d != BYZ_DROP_UDP_LEN && d != BYZ_DROP_SHORT_HDR &&
			   d != BYZ_DROP_PLEN && d != BYZ_DROP_CRC);
	if (d == BYZ_DROP_NONE)
		check_accepted(f, len, &v);
	free(f);
	return 0;
}
