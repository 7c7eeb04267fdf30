/*
 * The ARP neighbour table without DPDK: a request/reply exchange between two
 * tables, one test per field the parser must reject, truncation at every
 * length, static entries against forged replies, unsolicited and gratuitous
 * ARP, the retry backoff, hold-down, refresh and expiry timers, both budgets
 * under floods, the next-hop choice, and random mutations.
 */
#include <stdio.h>
#include <string.h>

#include "byz/arp.h"
#include "byz/err.h"
#include "byz_test.h"

#define IP_A 0x0a000001u /* 10.0.0.1 */
#define IP_B 0x0a000002u
#define IP_GW 0x0a0000feu
#define MS 1000000ull
#define SEC 1000000000ull

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {2, 0, 0, 0, 0, 0xb};
static const uint8_t MAC_X[6] = {2, 0xee, 0xee, 0xee, 0xee, 0xee};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[6];

static struct byz_arp ta, tb;

static void setup(void)
{
	byz_arp_init(&ta, NULL, NULL);
	byz_arp_init(&tb, NULL, NULL);
	byz_arp_set_self(&ta, IP_A, MAC_A);
	byz_arp_set_self(&tb, IP_B, MAC_B);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&ta, 24, IP_GW), 0);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 24, 0), 0);
}

/* A reply from @p sha/@p spa to table A, Ethernet source = sha. */
static size_t reply_to_a(uint8_t *f, const uint8_t *sha, uint32_t spa)
{
	return byz_arp_build(f, BYZ_ARP_FRAME_TX, MAC_A, BYZ_ARP_OP_REPLY, sha, spa, MAC_A, IP_A);
}

static void test_exchange(void)
{
	setup();
	int i = byz_arp_add_dynamic(&ta, IP_B);
	CU_ASSERT_EQUAL_FATAL(i, 0);
	CU_ASSERT_PTR_NULL(byz_arp_mac(&ta, i));
	uint16_t idx[8];
	CU_ASSERT_EQUAL_FATAL(byz_arp_poll(&ta, 1000, idx, 8), 1);
	CU_ASSERT_EQUAL(idx[0], i);
	uint8_t f[BYZ_ARP_FRAME_TX + 4];
	CU_ASSERT_EQUAL_FATAL(byz_arp_build_request(&ta, idx[0], f, sizeof(f)), BYZ_ARP_FRAME_TX);
	CU_ASSERT(memcmp(f, BCAST, 6) == 0); /* no MAC yet: broadcast */
	CU_ASSERT_EQUAL(byz_arp_build_request(&ta, idx[0], f, BYZ_ARP_FRAME_TX - 1), 0);
	struct byz_arp_peer to;
	CU_ASSERT_EQUAL(byz_arp_input(&tb, f, BYZ_ARP_FRAME_TX, 1000, &to), BYZ_ARP_DROP_NONE);
	CU_ASSERT_EQUAL(to.ip, IP_A);
	CU_ASSERT(memcmp(to.mac, MAC_A, 6) == 0);
	CU_ASSERT_EQUAL(tb.st->req_rx, 1);
	CU_ASSERT_EQUAL(tb.n, 0); /* answering teaches B nothing */
	uint8_t r[BYZ_ARP_FRAME_TX];
	CU_ASSERT_EQUAL_FATAL(byz_arp_build_reply(&tb, &to, r, sizeof(r)), BYZ_ARP_FRAME_TX);
	CU_ASSERT(memcmp(r, MAC_A, 6) == 0); /* unicast back */
	CU_ASSERT_EQUAL(byz_arp_input(&ta, r, sizeof(r), 2000, &to), BYZ_ARP_DROP_NONE);
	CU_ASSERT_EQUAL(to.ip, 0);
	const uint8_t *m = byz_arp_mac(&ta, i);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(memcmp(m, MAC_B, 6) == 0);
	CU_ASSERT_EQUAL(ta.st->rep_rx, 1);
	/* the same reply again is no longer solicited */
	CU_ASSERT_EQUAL(byz_arp_input(&ta, r, sizeof(r), 3000, &to), BYZ_ARP_DROP_UNSOLICITED);
}

/* A valid request for A from B; tests break one field at a time. */
static void good_request(uint8_t *f)
{
	byz_arp_build(f, BYZ_ARP_FRAME_TX, BCAST, BYZ_ARP_OP_REQUEST, MAC_B, IP_B, ZERO, IP_A);
}

static void expect(const uint8_t *f, size_t len, enum byz_arp_drop want)
{
	struct byz_arp_peer to;
	uint64_t before = ta.st->drop[want];
	enum byz_arp_drop got = byz_arp_input(&ta, f, len, 5 * SEC, &to);
	if (got != want)
		fprintf(stderr, "\n  want %s got %s", byz_arp_drop_name(want), byz_arp_drop_name(got));
	CU_ASSERT_EQUAL(got, want);
	if (want != BYZ_ARP_DROP_NONE) {
		CU_ASSERT_EQUAL(ta.st->drop[want], before + 1);
		CU_ASSERT_EQUAL(to.ip, 0);
	}
}

static void test_fields(void)
{
	setup();
	uint8_t f[BYZ_ARP_FRAME_TX];
	good_request(f);
	expect(f, sizeof(f), BYZ_ARP_DROP_NONE);
	expect(f, BYZ_ARP_FRAME_LEN, BYZ_ARP_DROP_NONE); /* no padding is fine */
	expect(f, BYZ_ARP_FRAME_LEN - 1, BYZ_ARP_DROP_SHORT);
	struct {
		unsigned off;
		uint8_t val;
		enum byz_arp_drop why;
	} cases[] = {
		{13, 0x08, BYZ_ARP_DROP_ETHERTYPE}, /* 0x0806 -> 0x0808 */
		{14, 0x01, BYZ_ARP_DROP_HTYPE},     /* htype 0x0101 */
		{15, 0x06, BYZ_ARP_DROP_HTYPE},     /* htype 6 (IEEE 802) */
		{16, 0x86, BYZ_ARP_DROP_PTYPE},     /* ptype 0x8600 */
		{18, 8, BYZ_ARP_DROP_HLEN},
		{18, 0, BYZ_ARP_DROP_HLEN},
		{19, 16, BYZ_ARP_DROP_PLEN},
		{19, 0, BYZ_ARP_DROP_PLEN},
		{21, 0, BYZ_ARP_DROP_OPCODE},
		{21, 3, BYZ_ARP_DROP_OPCODE},       /* RARP */
		{20, 1, BYZ_ARP_DROP_OPCODE},       /* op 0x0101 */
		{22, 0x03, BYZ_ARP_DROP_SHA},       /* multicast sender MAC */
		{27, 0x0c, BYZ_ARP_DROP_SHA},       /* sender MAC != Ethernet source */
		{0, 0x06, BYZ_ARP_DROP_NOT_US},     /* Ethernet destination another unicast */
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		good_request(f);
		if (cases[c].off == 0)
			memcpy(f, MAC_X, 6);
		f[cases[c].off] = cases[c].val;
		expect(f, sizeof(f), cases[c].why);
	}
	/* addresses */
	static const struct {
		uint32_t spa, tpa;
		enum byz_arp_drop why;
	} ips[] = {
		{0, IP_A, BYZ_ARP_DROP_SPA},             /* RFC 5227 probe */
		{0xe0000001u, IP_A, BYZ_ARP_DROP_SPA},   /* multicast */
		{0xffffffffu, IP_A, BYZ_ARP_DROP_SPA},   /* broadcast */
		{0x0a000102u, IP_A, BYZ_ARP_DROP_SPA},   /* off our /24 */
		{IP_A, IP_A, BYZ_ARP_DROP_SELF},         /* claims our address */
		{IP_B, 0x0a000009u, BYZ_ARP_DROP_NOT_US},
		{IP_B, IP_B, BYZ_ARP_DROP_NOT_US},       /* gratuitous */
	};
	for (unsigned c = 0; c < sizeof(ips) / sizeof(ips[0]); c++) {
		byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, MAC_B, ips[c].spa, ZERO,
			      ips[c].tpa);
		expect(f, sizeof(f), ips[c].why);
	}
	byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, MAC_A, IP_B, ZERO, IP_A);
	expect(f, sizeof(f), BYZ_ARP_DROP_SELF); /* our own MAC as sender: a loop */
	static const uint8_t zero_sha[6];
	byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, zero_sha, IP_B, ZERO, IP_A);
	expect(f, sizeof(f), BYZ_ARP_DROP_SHA);
	/* a reply to another MAC */
	byz_arp_add_dynamic(&ta, IP_B);
	uint16_t idx[4];
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, 5 * SEC, idx, 4), 1);
	byz_arp_build(f, sizeof(f), MAC_A, BYZ_ARP_OP_REPLY, MAC_B, IP_B, MAC_X, IP_A);
	expect(f, sizeof(f), BYZ_ARP_DROP_NOT_US);
	CU_ASSERT_PTR_NULL(byz_arp_mac(&ta, 0));
	/* and a correct one after all that */
	reply_to_a(f, MAC_B, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_NONE);
	CU_ASSERT_PTR_NOT_NULL(byz_arp_mac(&ta, 0));
	for (int d = 0; d < BYZ_ARP_DROP_COUNT; d++)
		CU_ASSERT(strcmp(byz_arp_drop_name((enum byz_arp_drop)d), "?") != 0);
	CU_ASSERT_STRING_EQUAL(byz_arp_drop_name(BYZ_ARP_DROP_COUNT), "?");
}

static void test_truncation(void)
{
	setup();
	uint8_t f[BYZ_ARP_FRAME_TX];
	good_request(f);
	for (size_t len = 0; len <= sizeof(f); len++) {
		/* copy to the end of a buffer so ASan sees any read past len */
		uint8_t *p = (uint8_t *)malloc(len ? len : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memcpy(p, f, len);
		struct byz_arp_peer to;
		enum byz_arp_drop d = byz_arp_input(&ta, p, len, 10 * SEC + len * SEC, &to);
		CU_ASSERT_EQUAL(d, len < BYZ_ARP_FRAME_LEN ? BYZ_ARP_DROP_SHORT : BYZ_ARP_DROP_NONE);
		free(p);
	}
	CU_ASSERT_EQUAL(ta.st->drop[BYZ_ARP_DROP_SHORT], BYZ_ARP_FRAME_LEN);
}

static void test_static_wins(void)
{
	setup();
	int s = byz_arp_add_static(&ta, IP_B, MAC_B);
	CU_ASSERT_EQUAL_FATAL(s, 0);
	CU_ASSERT_EQUAL(byz_arp_add_dynamic(&ta, IP_B), s); /* stays static */
	CU_ASSERT_EQUAL(ta.e[s].state, BYZ_ARP_STATIC);
	uint16_t idx[4];
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, SEC, idx, 4), 0); /* nothing to ask */
	uint8_t f[BYZ_ARP_FRAME_TX];
	reply_to_a(f, MAC_X, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_STATIC);
	CU_ASSERT(memcmp(byz_arp_mac(&ta, s), MAC_B, 6) == 0);
	/* a static entry over a dynamic one: the learned MAC is gone for good */
	int g = byz_arp_add_dynamic(&ta, IP_GW);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, 2 * SEC, idx, 4), 1);
	CU_ASSERT_EQUAL(byz_arp_add_static(&ta, IP_GW, MAC_X), g);
	reply_to_a(f, MAC_B, IP_GW);
	expect(f, sizeof(f), BYZ_ARP_DROP_STATIC);
	CU_ASSERT(memcmp(byz_arp_mac(&ta, g), MAC_X, 6) == 0);
	CU_ASSERT_EQUAL(byz_arp_build_request(&ta, g, f, sizeof(f)), 0);
	/* bad static entries */
	CU_ASSERT_EQUAL(byz_arp_add_static(&ta, 0, MAC_B), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_add_static(&ta, IP_B, BCAST), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_add_static(&ta, IP_B, ZERO), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_add_dynamic(&ta, 0), -EINVAL);
}

static void test_unsolicited(void)
{
	setup();
	uint8_t f[BYZ_ARP_FRAME_TX];
	/* an IP we never heard of */
	reply_to_a(f, MAC_X, 0x0a000077u);
	expect(f, sizeof(f), BYZ_ARP_DROP_UNSOLICITED);
	CU_ASSERT_EQUAL(ta.n, 0);
	/* an entry we have, before any request went out */
	int i = byz_arp_add_dynamic(&ta, IP_B);
	reply_to_a(f, MAC_X, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_UNSOLICITED);
	CU_ASSERT_PTR_NULL(byz_arp_mac(&ta, i));
	/* gratuitous ARP (request and broadcast reply) for it teaches nothing */
	byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, MAC_X, IP_B, ZERO, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_NOT_US);
	byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REPLY, MAC_X, IP_B, BCAST, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_NOT_US);
	/* a request from it for us is answered but not learned */
	byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, MAC_X, IP_B, ZERO, IP_A);
	expect(f, sizeof(f), BYZ_ARP_DROP_NONE);
	CU_ASSERT_PTR_NULL(byz_arp_mac(&ta, i));
	CU_ASSERT_EQUAL(ta.n, 1);
}

static void test_backoff_holddown(void)
{
	setup();
	int i = byz_arp_add_dynamic(&ta, IP_B);
	uint16_t idx[4];
	uint64_t t = 7 * SEC, gap = 50 * MS;
	for (int k = 0; k < 6; k++) {
		CU_ASSERT_EQUAL(byz_arp_poll(&ta, t, idx, 4), 1);
		CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + gap - 1, idx, 4), 0);
		CU_ASSERT(ta.next_due == t + gap);
		t += gap;
		gap *= 2;
	}
	CU_ASSERT_EQUAL(ta.st->req_tx, 6);
	/* the round is over: failed, held down */
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t, idx, 4), 0);
	CU_ASSERT_EQUAL(ta.e[i].state, BYZ_ARP_FAILED);
	CU_ASSERT_EQUAL(ta.st->failed, 1);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + 2 * SEC - 1, idx, 4), 0);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + 2 * SEC, idx, 4), 1);
	CU_ASSERT_EQUAL(ta.e[i].state, BYZ_ARP_INCOMPLETE);
	/* a late answer to the last round is still welcome */
	uint8_t f[BYZ_ARP_FRAME_TX];
	reply_to_a(f, MAC_B, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_NONE);
	CU_ASSERT_EQUAL(ta.e[i].state, BYZ_ARP_REACHABLE);
}

static void test_refresh_expiry(void)
{
	setup();
	int i = byz_arp_add_dynamic(&ta, IP_B);
	uint16_t idx[4];
	uint8_t f[BYZ_ARP_FRAME_TX];
	uint64_t t0 = SEC;
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t0, idx, 4), 1);
	reply_to_a(f, MAC_B, IP_B);
	expect(f, sizeof(f), BYZ_ARP_DROP_NONE); /* learned at 5 s (expect's clock) */
	uint64_t learned = 5 * SEC, life = 60 * SEC;
	CU_ASSERT_EQUAL(ta.e[i].expires, learned + life);
	/* quiet until the last quarter, then a unicast refresh */
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, learned + life * 3 / 4 - 1, idx, 4), 0);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, learned + life * 3 / 4, idx, 4), 1);
	CU_ASSERT_EQUAL(byz_arp_build_request(&ta, idx[0], f, sizeof(f)), BYZ_ARP_FRAME_TX);
	CU_ASSERT(memcmp(f, MAC_B, 6) == 0);
	CU_ASSERT_PTR_NOT_NULL(byz_arp_mac(&ta, i)); /* still used meanwhile */
	/* the answer brings a new MAC (the NIC was swapped) */
	struct byz_arp_peer to;
	reply_to_a(f, MAC_X, IP_B);
	uint64_t t1 = learned + life * 3 / 4 + MS;
	CU_ASSERT_EQUAL(byz_arp_input(&ta, f, sizeof(f), t1, &to), BYZ_ARP_DROP_NONE);
	CU_ASSERT_EQUAL(ta.st->changed, 1);
	CU_ASSERT(memcmp(byz_arp_mac(&ta, i), MAC_X, 6) == 0);
	CU_ASSERT_EQUAL(ta.e[i].expires, t1 + life);
	/* now nobody answers: refreshes, then expiry, then broadcast again */
	unsigned sent = 0;
	uint64_t t;
	for (t = t1; t < t1 + life; t += MS)
		sent += byz_arp_poll(&ta, t, idx, 4);
	CU_ASSERT_EQUAL(sent, 6);
	CU_ASSERT_PTR_NOT_NULL(byz_arp_mac(&ta, i));
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t1 + life, idx, 4), 1);
	CU_ASSERT_EQUAL(ta.st->expired, 1);
	CU_ASSERT_PTR_NULL(byz_arp_mac(&ta, i));
	CU_ASSERT_EQUAL(byz_arp_build_request(&ta, idx[0], f, sizeof(f)), BYZ_ARP_FRAME_TX);
	CU_ASSERT(memcmp(f, BCAST, 6) == 0);
	(void)t;
}

static void test_floods(void)
{
	setup();
	struct byz_rng r = {byz_test_seed()};
	uint8_t f[BYZ_ARP_FRAME_TX];
	unsigned replies = 0;
	uint64_t t = 100 * SEC;
	/* 20000 requests from random on-link senders in 10 ms */
	for (unsigned k = 0; k < 20000; k++) {
		uint8_t sha[6] = {2, 1, 2, 3, (uint8_t)(k >> 8), (uint8_t)k};
		uint32_t spa = 0x0a000000u | (uint32_t)(2 + byz_rng_next(&r) % 250);
		byz_arp_build(f, sizeof(f), BCAST, BYZ_ARP_OP_REQUEST, sha, spa, ZERO, IP_A);
		struct byz_arp_peer to;
		if (byz_arp_input(&ta, f, sizeof(f), t + k / 2 * 1000, &to) == BYZ_ARP_DROP_NONE)
			replies += to.ip != 0;
		/* and replies from them, none asked for */
		reply_to_a(f, sha, spa);
		CU_ASSERT_EQUAL(byz_arp_input(&ta, f, sizeof(f), t, &to), BYZ_ARP_DROP_UNSOLICITED);
	}
	/* the bucket: 128 at once plus 1000/s over 10 ms */
	CU_ASSERT(replies >= 128 && replies <= 128 + 11);
	CU_ASSERT_EQUAL(ta.st->drop[BYZ_ARP_DROP_RATE], 20000 - replies);
	CU_ASSERT_EQUAL(ta.n, 0);
	CU_ASSERT_EQUAL(ta.st->drop[BYZ_ARP_DROP_UNSOLICITED], 20000);
	/* the table is bounded by configuration */
	for (unsigned k = 0; k < BYZ_ARP_NEIGH_MAX; k++)
		CU_ASSERT_EQUAL(byz_arp_add_dynamic(&ta, 0x0a000100u + k), (int)k);
	CU_ASSERT_EQUAL(byz_arp_add_dynamic(&ta, 0x0a000fffu), -ENOSPC);
	CU_ASSERT_EQUAL(byz_arp_add_static(&ta, 0x0a000fffu, MAC_B), -ENOSPC);
	/* the request budget: the burst, then 200/s */
	uint16_t idx[BYZ_ARP_NEIGH_MAX];
	unsigned sent = byz_arp_poll(&ta, t, idx, BYZ_ARP_NEIGH_MAX);
	CU_ASSERT_EQUAL(sent, 128);
	/* 50 ms later all 128 retries are due; 50 ms of credit buys 10 */
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + 50 * MS, idx, BYZ_ARP_NEIGH_MAX), 10);
	CU_ASSERT_EQUAL(ta.st->req_deferred, 118);
	/* the deferred ones wait for the next token, not the next turn */
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + 50 * MS + 1, idx, BYZ_ARP_NEIGH_MAX), 0);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + 55 * MS, idx, BYZ_ARP_NEIGH_MAX), 1);
	byz_arp_clear(&ta);
	CU_ASSERT_EQUAL(ta.n, 0);
	CU_ASSERT_EQUAL(byz_arp_poll(&ta, t + SEC, idx, 4), 0);
}

static void test_next_hop(void)
{
	setup();
	uint32_t h = 0;
	CU_ASSERT_EQUAL(byz_arp_next_hop(&ta, IP_B, &h), 0);
	CU_ASSERT_EQUAL(h, IP_B);
	CU_ASSERT_EQUAL(byz_arp_next_hop(&ta, 0x0a000103u, &h), 0);
	CU_ASSERT_EQUAL(h, IP_GW);
	CU_ASSERT_EQUAL(byz_arp_next_hop(&tb, 0x0a000103u, &h), -ENETUNREACH);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 24, 0x0b000001u), 0);
	CU_ASSERT_EQUAL(byz_arp_next_hop(&tb, 0x0a000103u, &h), -ENETUNREACH); /* gw off-link */
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 33, 0), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 24, 0xe0000001u), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 24, 0xffffffffu), -EINVAL);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 0, 0), 0); /* everything on-link */
	CU_ASSERT_EQUAL(byz_arp_next_hop(&tb, 0x08080808u, &h), 0);
	CU_ASSERT_EQUAL(h, 0x08080808u);
	CU_ASSERT_EQUAL(byz_arp_set_subnet(&tb, 32, 0), 0);
	CU_ASSERT_EQUAL(byz_arp_next_hop(&tb, IP_A, &h), -ENETUNREACH);
}

static void test_mutations(void)
{
	setup();
	int s = byz_arp_add_static(&ta, IP_GW, MAC_X);
	int d = byz_arp_add_dynamic(&ta, IP_B);
	uint16_t idx[4];
	byz_arp_poll(&ta, SEC, idx, 4);
	struct byz_rng r = {byz_test_seed() ^ 0xa4b};
	uint8_t base[BYZ_ARP_FRAME_TX], f[BYZ_ARP_FRAME_TX];
	unsigned ok = 0, bad = 0;
	for (int it = 0; it < 100000; it++) {
		if (it & 1)
			good_request(base);
		else
			reply_to_a(base, MAC_B, IP_B);
		memcpy(f, base, sizeof(f));
		int flips = 1 + (int)(byz_rng_next(&r) % 3);
		for (int k = 0; k < flips; k++)
			f[14 + byz_rng_next(&r) % BYZ_ARP_LEN] ^= (uint8_t)(1u << (byz_rng_next(&r) % 8));
		size_t len = sizeof(f) - byz_rng_next(&r) % 24;
		struct byz_arp_peer to;
		if (byz_arp_input(&ta, f, len, SEC + (uint64_t)it, &to) == BYZ_ARP_DROP_NONE)
			ok++;
		else
			bad++;
		CU_ASSERT(to.ip == 0 || (to.ip != IP_A && !(to.mac[0] & 1)));
	}
	CU_ASSERT(bad > 50000);
	CU_ASSERT(ok > 0);
	CU_ASSERT_EQUAL(ta.n, 2);
	CU_ASSERT(memcmp(byz_arp_mac(&ta, s), MAC_X, 6) == 0);
	const uint8_t *m = byz_arp_mac(&ta, d);
	/* whatever was learned came from a reply that passed every check */
	CU_ASSERT(m == NULL || !(m[0] & 1));
}

BYZ_TEST_MAIN("arp",
	      {"request/reply between two tables", test_exchange},
	      {"every field wrong", test_fields},
	      {"truncation at every length", test_truncation},
	      {"static entries win over forged replies", test_static_wins},
	      {"unsolicited and gratuitous ARP are not learned", test_unsolicited},
	      {"retry backoff and hold-down", test_backoff_holddown},
	      {"refresh and expiry", test_refresh_expiry},
	      {"request and reply floods, bounded table", test_floods},
	      {"next hop: subnet and gateway", test_next_hop},
	      {"random mutations", test_mutations})
