/*
 * Frame authentication (byz/auth.h): per-pair key derivation, tag create and
 * verify (a flipped bit anywhere it covers, a truncated payload or tag, the
 * wrong key, the wrong direction, the counter), and a replayed sealed frame,
 * which the tag accepts and the stream's sequence logic then ignores. The
 * tag's bytes themselves are checked against an independent encoder by the
 * sealed known-answer frames of test_frame.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "byz/auth.h"
#include "byz/err.h"
#include "byz/frame.h"
#include "byz/stream.h"
#include "byz_test.h"

static uint8_t pk[3][32], sk[3][64], run_id[32];

static void idents(void)
{
	static int done;
	if (done)
		return;
	CU_ASSERT_FATAL(sodium_init() >= 0);
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32] = {'a', 'u', 't', 'h', (uint8_t)i};
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
	memset(run_id, 0x5a, sizeof(run_id));
	done = 1;
}

static void test_derive(void)
{
	idents();
	struct byz_auth_keys ab, ba, ac, ab2;
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[0], pk[0], pk[1], run_id, &ab), 0);
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[1], pk[1], pk[0], run_id, &ba), 0);
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[0], pk[0], pk[2], run_id, &ac), 0);
	/* mirrored: what one side seals with, the other checks with */
	CU_ASSERT(memcmp(ab.tx, ba.rx, 32) == 0);
	CU_ASSERT(memcmp(ab.rx, ba.tx, 32) == 0);
	/* one key per direction, per pair */
	CU_ASSERT(memcmp(ab.tx, ab.rx, 32) != 0);
	CU_ASSERT(memcmp(ab.tx, ac.tx, 32) != 0 && memcmp(ab.rx, ac.rx, 32) != 0);
	/* deterministic, and bound to the run */
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], pk[1], run_id, &ab2), 0);
	CU_ASSERT(memcmp(&ab, &ab2, sizeof(ab)) == 0);
	uint8_t other_run[32];
	memcpy(other_run, run_id, 32);
	other_run[31] ^= 1;
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], pk[1], other_run, &ab2), 0);
	CU_ASSERT(memcmp(ab.tx, ab2.tx, 32) != 0 && memcmp(ab.rx, ab2.rx, 32) != 0);
	/* hostile rosters: ourselves, a small-order point, NULL */
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], pk[0], run_id, &ab2), -EINVAL);
	uint8_t bad[32] = {1}; /* the identity point: small order */
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], bad, run_id, &ab2), -EINVAL);
	static const uint8_t zero[sizeof(ab2)];
	CU_ASSERT(memcmp(&ab2, zero, sizeof(ab2)) == 0); /* wiped on failure */
	CU_ASSERT_EQUAL(byz_auth_derive(NULL, pk[0], pk[1], run_id, &ab2), -EINVAL);
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], pk[1], NULL, &ab2), -EINVAL);
	CU_ASSERT_EQUAL(byz_auth_derive(sk[0], pk[0], pk[1], run_id, NULL), -EINVAL);
}

static uint8_t fbuf[BYZ_FRAME_MAX];

/* A sealed frame from peer 0 to peer 1 with counter @p ctr; its length. */
static int sealed(uint8_t type, const uint8_t *pl, size_t plen, uint64_t ctr, const uint8_t *key)
{
	struct byz_l2l3 a = {.dst_mac = {2, 0, 0, 0, 0, 2}, .src_mac = {2, 0, 0, 0, 0, 1},
			     .src_ip = 0x0a000001, .dst_ip = 0x0a000002, .src_port = 49152,
			     .dst_port = BYZ_UDP_PORT};
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = type, .src = 0, .dst = 1,
			    .session = 9, .step = 3, .ts = 77, .ctr = ctr};
	h.kind = type == BYZ_T_DATA ? BYZ_K_SCATTER : BYZ_K_NONE;
	if (type == BYZ_T_DATA)
		h.aux = (uint32_t)plen;
	int n = byz_frame_build(fbuf, sizeof(fbuf), &a, &h, pl, plen);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(byz_frame_seal(fbuf, (size_t)n, key), 0);
	return n;
}

static int verify(size_t plen, const uint8_t *key)
{
	return byz_frame_verify(fbuf + BYZ_HDR_OFF, plen, key);
}

static void test_tag(void)
{
	idents();
	struct byz_auth_keys ab, ba;
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[0], pk[0], pk[1], run_id, &ab), 0);
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[1], pk[1], pk[0], run_id, &ba), 0);
	uint8_t pl[200];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 13 + 1);
	int n = sealed(BYZ_T_CONTROL, pl, sizeof(pl), 41, ab.tx);
	struct byz_frame_view v;
	/* the CRC does not cover the tag: a sealed frame still parses */
	CU_ASSERT_EQUAL(byz_frame_parse(fbuf, (size_t)n, BYZ_UDP_PORT, &v), BYZ_DROP_NONE);
	CU_ASSERT_EQUAL(v.h.ctr, 41);
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), 0);
	/* wrong direction (our own rx key, or the receiver's tx key), wrong key */
	CU_ASSERT_EQUAL(verify(sizeof(pl), ab.rx), -EBADMSG);
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.tx), -EBADMSG);
	uint8_t other[32];
	memcpy(other, ba.rx, 32);
	other[0] ^= 0x80;
	CU_ASSERT_EQUAL(verify(sizeof(pl), other), -EBADMSG);
	/* a flipped bit anywhere the tag covers (header to the tag, payload) or
	 * in the tag itself */
	unsigned caught = 0, flips = 0;
	size_t covered_end = BYZ_HDR_OFF + BYZ_HDR_LEN + sizeof(pl);
	for (size_t off = BYZ_HDR_OFF; off < covered_end; off++)
		for (int b = 0; b < 8; b++) {
			fbuf[off] ^= (uint8_t)(1u << b);
			caught += verify(sizeof(pl), ba.rx) == -EBADMSG;
			flips++;
			fbuf[off] ^= (uint8_t)(1u << b);
		}
	CU_ASSERT_EQUAL(caught, flips);
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), 0);
	/* truncated payload, truncated tag */
	CU_ASSERT_EQUAL(verify(sizeof(pl) - 1, ba.rx), -EBADMSG);
	uint8_t tag[BYZ_TAG_LEN];
	memcpy(tag, fbuf + BYZ_HDR_OFF + BYZ_HO_TAG, sizeof(tag));
	memset(fbuf + BYZ_HDR_OFF + BYZ_HO_TAG + 8, 0, 8);
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), -EBADMSG);
	memset(fbuf + BYZ_HDR_OFF + BYZ_HO_TAG, 0, BYZ_TAG_LEN); /* an unsealed frame */
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), -EBADMSG);
	memcpy(fbuf + BYZ_HDR_OFF + BYZ_HO_TAG, tag, sizeof(tag));
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), 0);
	/* seal refuses a length short of the frame's own */
	CU_ASSERT_EQUAL(byz_frame_seal(fbuf, (size_t)n - 1, ab.tx), -EBADMSG);
	CU_ASSERT_EQUAL(byz_frame_seal(fbuf, BYZ_PAYLOAD_OFF - 1, ab.tx), -EBADMSG);
	CU_ASSERT_EQUAL(byz_frame_seal(NULL, (size_t)n, ab.tx), -EINVAL);
	/* another counter gives another one-time key, so another tag */
	sealed(BYZ_T_CONTROL, pl, sizeof(pl), 42, ab.tx);
	CU_ASSERT(memcmp(tag, fbuf + BYZ_HDR_OFF + BYZ_HO_TAG, sizeof(tag)) != 0);
	CU_ASSERT_EQUAL(verify(sizeof(pl), ba.rx), 0);
	/* an empty payload (PROBE) is sealed too */
	sealed(BYZ_T_PROBE, NULL, 0, 43, ab.tx);
	CU_ASSERT_EQUAL(verify(0, ba.rx), 0);
	fbuf[BYZ_HDR_OFF + BYZ_HO_TS] ^= 1;
	CU_ASSERT_EQUAL(verify(0, ba.rx), -EBADMSG);
}

/* The benchmark's alternative: keyed BLAKE2b-128, same coverage. */
static void test_blake2b(void)
{
	uint8_t key[32] = {9}, hdr[BYZ_HDR_LEN + 64] = {2, 4}, t1[16], t2[16], t3[16];
	byz_mac_compute(BYZ_MAC_BLAKE2B, key, hdr, hdr + BYZ_HDR_LEN, 64, t1);
	byz_mac_compute(BYZ_MAC_BLAKE2B, key, hdr, hdr + BYZ_HDR_LEN, 64, t2);
	CU_ASSERT(memcmp(t1, t2, 16) == 0);
	byz_mac_compute(BYZ_MAC_POLY1305, key, hdr, hdr + BYZ_HDR_LEN, 64, t3);
	CU_ASSERT(memcmp(t1, t3, 16) != 0);
	/* the tag field is outside what it covers, the rest inside */
	hdr[BYZ_HO_TAG + 3] ^= 1;
	byz_mac_compute(BYZ_MAC_BLAKE2B, key, hdr, hdr + BYZ_HDR_LEN, 64, t2);
	CU_ASSERT(memcmp(t1, t2, 16) == 0);
	hdr[BYZ_HDR_LEN + 63] ^= 1;
	byz_mac_compute(BYZ_MAC_BLAKE2B, key, hdr, hdr + BYZ_HDR_LEN, 64, t2);
	CU_ASSERT(memcmp(t1, t2, 16) != 0);
}

/* A replayed frame carries a valid tag (the same bytes): authentication
 * cannot refuse it, the stream's sequence numbers do. */
static void test_replay(void)
{
	idents();
	struct byz_auth_keys ab, ba;
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[0], pk[0], pk[1], run_id, &ab), 0);
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sk[1], pk[1], pk[0], run_id, &ba), 0);
	enum { SEG = 256, LEN = 4 * SEG };
	static uint8_t src[LEN], dst[LEN];
	for (int i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i ^ 0x3c);
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, SEG);
	int err = 0;
	struct byz_rx_stream *rx = byz_rx_stream_create(LEN, &sc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_EQUAL_FATAL(byz_rx_stream_start(rx, dst, LEN, 0), 0);
	struct byz_l2l3 a = {.src_ip = 0x0a000001, .dst_ip = 0x0a000002, .dst_port = BYZ_UDP_PORT};
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_DATA,
			    .kind = BYZ_K_SCATTER, .src = 0, .dst = 1, .seq = 1, .aux = LEN,
			    .ctr = 7};
	int n = byz_frame_build(fbuf, sizeof(fbuf), &a, &h, src + SEG, SEG);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(byz_frame_seal(fbuf, (size_t)n, ab.tx), 0);
	for (int k = 0; k < 3; k++) { /* the original and two replays */
		struct byz_frame_view v;
		CU_ASSERT_EQUAL_FATAL(byz_frame_parse(fbuf, (size_t)n, BYZ_UDP_PORT, &v), BYZ_DROP_NONE);
		CU_ASSERT_EQUAL(byz_frame_verify(fbuf + BYZ_HDR_OFF, v.h.payload_len, ba.rx), 0);
		CU_ASSERT(byz_rx_stream_on_data(rx, v.h.seq, v.payload, v.h.payload_len, v.h.aux,
						v.h.ts, 10 + (uint64_t)k) >= 0);
		CU_ASSERT_EQUAL(byz_rx_stream_held(rx), 1);
	}
	CU_ASSERT(byz_rx_stream_stats(rx)->dups >= 2);
	CU_ASSERT(memcmp(dst + SEG, src + SEG, SEG) == 0);
	byz_rx_stream_free(rx);
}

BYZ_TEST_MAIN("auth",
	      {"per-pair key derivation", test_derive},
	      {"tag create and verify", test_tag},
	      {"keyed BLAKE2b alternative", test_blake2b},
	      {"replays pass the tag, not the sequence logic", test_replay})
