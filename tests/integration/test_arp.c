/*
 * ARP on the dataplane: three peers in one process over DPDK ring ports,
 * where some have no static MAC for others. Traffic (a shard stream and a
 * CONTROL message) gets through once ARP resolves; static entries survive
 * forged replies; unsolicited replies teach nothing; malformed ARP frames are
 * dropped and counted by reason; a flood of requests from many addresses
 * leaves the table as configured and the replies within their budget; a peer
 * behind a gateway is reached through the gateway's resolved MAC; entries are
 * refreshed, and expire when the neighbour goes quiet.
 *
 * The clock is virtual and the loop single threaded. Exit 77 when the EAL
 * cannot start for an environmental reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "byz/dp.h"
#include "byz/err.h"
#include "byz_test.h"
#include "byz_test_ring.h"

#define NP 3
#define SHARD (64u << 10)
#define MS 1000000ull
#define SEC 1000000000ull

static struct rte_mempool *pool;
static struct byz_ringnet net;
static struct byz_dp *dp[NP];
static const uint32_t IP[NP] = {0x0a000001u, 0x0a000002u, 0x0a000003u};
static const uint8_t EVIL[6] = {0x02, 0xe, 0xe, 0xe, 0xe, 0xe};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[6];

static void mac_of(int i, uint8_t m[6])
{
	const uint8_t b[6] = {0x02, 'a', 'r', 'p', 0, (uint8_t)i};
	memcpy(m, b, 6);
}

/*
 * Peers at @p ip; dyn[i][j]: peer i resolves peer j by ARP; every peer on
 * /@p prefix with gateway gw[i].
 */
static void dps_create(const uint32_t ip[NP], const uint8_t dyn[NP][NP], uint8_t prefix,
		       const uint32_t gw[NP])
{
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	for (int i = 0; i < NP; i++) {
		struct byz_dp_cfg c = {
			.self = (uint16_t)i, .n_peers = NP, .port_id = net.port[i],
			.tx_queue_per_peer = 1, .pool = pool, .session = 0xa4b,
			.max_shard = SHARD, .scfg = sc,
		};
		int err = 0;
		dp[i] = byz_dp_create(&c, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dp[i]);
		for (int j = 0; j < NP; j++) {
			uint8_t m[6];
			mac_of(j, m);
			CU_ASSERT_EQUAL(byz_dp_set_addr(dp[i], (uint16_t)j, ip[j],
							dyn[i][j] ? NULL : m, 0), 0);
		}
		CU_ASSERT_EQUAL(byz_dp_set_subnet(dp[i], prefix, gw[i]), 0);
		byz_dp_step_begin(dp[i], 1, 0);
	}
}

static void dps_free(void)
{
	for (int i = 0; i < NP; i++) {
		byz_dp_free(dp[i]);
		dp[i] = NULL;
	}
	for (int i = 0; i < NP; i++) {
		struct rte_mbuf *m;
		while (rte_ring_dequeue(net.ring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
}

static void poll_all(uint64_t now)
{
	for (int i = 0; i < NP; i++)
		byz_dp_poll(dp[i], now);
}

static void inject(int to, const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(net.ring[to], m), 0);
}

/* Receive one CONTROL message at @p i and check it. */
static int got_ctrl(int i, uint16_t src, const char *text)
{
	struct byz_ctrl_msg cm;
	if (rte_ring_dequeue_elem(byz_dp_ctrl_ring(dp[i]), &cm, sizeof(cm)))
		return 0;
	int ok = cm.src == src && cm.len == strlen(text) && !memcmp(cm.data, text, cm.len);
	byz_dp_ctrl_free(&cm);
	return ok;
}

static void test_resolve_then_traffic(void)
{
	/* peer 0 has no MAC for peer 1; everyone else is static */
	static const uint8_t dyn[NP][NP] = {{0, 1, 0}};
	static const uint32_t gw[NP];
	dps_create(IP, dyn, 24, gw);
	uint8_t mac[6], m1[6];
	mac_of(1, m1);
	const struct byz_dp_stats *s0 = byz_dp_stats(dp[0]), *s1 = byz_dp_stats(dp[1]);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), -EAGAIN);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 2, mac), 0); /* static */
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 0, mac), -EINVAL);
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 1, "early", 5, 0), -EHOSTUNREACH);
	CU_ASSERT_EQUAL(s0->arp.tx_unresolved, 1);
	/* a shard stream started before resolution */
	static uint8_t src[SHARD], dst[SHARD];
	struct byz_rng r = {byz_test_seed()};
	for (size_t k = 0; k < SHARD; k++)
		src[k] = (uint8_t)byz_rng_next(&r);
	memset(dst, 0, sizeof(dst));
	CU_ASSERT_EQUAL(byz_dp_send(dp[0], BYZ_K_SCATTER, 1, 1, src, SHARD, 0), 0);
	CU_ASSERT_EQUAL(byz_dp_expect(dp[1], BYZ_K_SCATTER, 0, 1, dst, SHARD, 0), 0);
	uint64_t now = 0;
	int done = 0;
	while (!done && now < 20 * SEC) {
		poll_all(now);
		struct byz_shard_done d;
		if (rte_ring_dequeue_elem(byz_dp_done_ring(dp[1]), &d, sizeof(d)) == 0) {
			CU_ASSERT_EQUAL(d.src, 0);
			CU_ASSERT_EQUAL(d.len, SHARD);
			done = 1;
		}
		now += 1000;
	}
	CU_ASSERT(done);
	CU_ASSERT(memcmp(src, dst, SHARD) == 0);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), 0);
	CU_ASSERT(memcmp(mac, m1, 6) == 0);
	CU_ASSERT(s0->arp.tx_unresolved > 1); /* the stream's first burst went nowhere */
	CU_ASSERT_EQUAL(s0->arp.req_tx, 1);
	CU_ASSERT_EQUAL(s0->arp.rep_rx, 1);
	CU_ASSERT_EQUAL(s1->arp.req_rx, 1);
	CU_ASSERT_EQUAL(s1->arp.rep_tx, 1);
	/* the ARP frames were not counted as parser drops anywhere */
	for (int i = 0; i < NP; i++)
		CU_ASSERT_EQUAL(byz_dp_stats(dp[i])->drop[BYZ_DROP_ETHERTYPE], 0);
	/* and control messages now go through */
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 1, "hello", 5, now), 0);
	poll_all(now);
	poll_all(now);
	CU_ASSERT(got_ctrl(1, 0, "hello"));
	fprintf(stderr, "\n  resolved and streamed %u bytes in %.3f ms virtual, %llu frames dropped "
		"while unresolved", SHARD, (double)now / 1e6,
		(unsigned long long)s0->arp.tx_unresolved);
	dps_free();
}

/* An ARP frame to peer 0 (Ethernet source = sha). */
static size_t arp_to0(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
	uint8_t m0[6];
	mac_of(0, m0);
	return byz_arp_build(f, BYZ_ARP_FRAME_TX, op == BYZ_ARP_OP_REPLY ? m0 : BCAST, op, sha,
			     spa, op == BYZ_ARP_OP_REPLY ? m0 : ZERO, tpa);
}

static void test_hostile(void)
{
	static const uint8_t dyn[NP][NP] = {{0, 1, 0}};
	static const uint32_t gw[NP];
	dps_create(IP, dyn, 24, gw);
	const struct byz_dp_stats *s = byz_dp_stats(dp[0]);
	const struct byz_arp *t = byz_dp_arp(dp[0]);
	uint64_t now = SEC;
	for (int k = 0; k < 20 && byz_dp_neigh(dp[0], 1, (uint8_t[6]){0}); k++, now += MS)
		poll_all(now);
	uint8_t mac[6], m1[6], m2[6];
	mac_of(1, m1);
	mac_of(2, m2);
	CU_ASSERT_EQUAL_FATAL(byz_dp_neigh(dp[0], 1, mac), 0);
	uint16_t n_entries = t->n;
	CU_ASSERT_EQUAL(n_entries, 2); /* peer 2 static, peer 1 learned */

	/* forged replies: for the static peer, for the learned one (not asked
	 * any more), for an address nobody asked about */
	uint8_t f[BYZ_ARP_FRAME_TX];
	arp_to0(f, BYZ_ARP_OP_REPLY, EVIL, IP[2], IP[0]);
	inject(0, f, sizeof(f));
	arp_to0(f, BYZ_ARP_OP_REPLY, EVIL, IP[1], IP[0]);
	inject(0, f, sizeof(f));
	arp_to0(f, BYZ_ARP_OP_REPLY, EVIL, 0x0a000077u, IP[0]);
	inject(0, f, sizeof(f));
	byz_dp_poll(dp[0], now);
	CU_ASSERT_EQUAL(s->arp.drop[BYZ_ARP_DROP_STATIC], 1);
	CU_ASSERT_EQUAL(s->arp.drop[BYZ_ARP_DROP_UNSOLICITED], 2);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 2, mac), 0);
	CU_ASSERT(memcmp(mac, m2, 6) == 0);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), 0);
	CU_ASSERT(memcmp(mac, m1, 6) == 0);
	CU_ASSERT_EQUAL(t->n, n_entries);

	/* malformed: truncated, bad htype, ptype, hlen, plen, opcode */
	static const struct {
		int off;
		uint8_t val;
		enum byz_arp_drop why;
	} bad[] = {
		{-1, 0, BYZ_ARP_DROP_SHORT}, {15, 6, BYZ_ARP_DROP_HTYPE},
		{17, 0xdd, BYZ_ARP_DROP_PTYPE}, {18, 16, BYZ_ARP_DROP_HLEN},
		{19, 6, BYZ_ARP_DROP_PLEN}, {21, 9, BYZ_ARP_DROP_OPCODE},
	};
	for (unsigned c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		arp_to0(f, BYZ_ARP_OP_REQUEST, m1, IP[1], IP[0]);
		if (bad[c].off >= 0)
			f[bad[c].off] = bad[c].val;
		inject(0, f, bad[c].off >= 0 ? sizeof(f) : BYZ_ARP_FRAME_LEN - 1);
	}
	/* a frame of neither ARP nor IPv4 is still the parser's ethertype drop */
	arp_to0(f, BYZ_ARP_OP_REQUEST, m1, IP[1], IP[0]);
	f[12] = 0x86;
	f[13] = 0xdd;
	inject(0, f, sizeof(f));
	uint64_t rep_tx = s->arp.rep_tx;
	byz_dp_poll(dp[0], now);
	for (unsigned c = 0; c < sizeof(bad) / sizeof(bad[0]); c++)
		CU_ASSERT_EQUAL(s->arp.drop[bad[c].why], 1);
	CU_ASSERT_EQUAL(s->drop[BYZ_DROP_ETHERTYPE], 1);
	CU_ASSERT_EQUAL(s->arp.rep_tx, rep_tx); /* none of them was answered */

	/* a flood of requests for us from 4000 addresses in 4 ms */
	struct byz_rng r = {byz_test_seed() ^ 0xf100d};
	uint64_t req_rx = s->arp.req_rx;
	for (int round = 0; round < 4; round++) {
		for (int k = 0; k < 1000; k++) {
			uint8_t sha[6] = {0x02, 0xf1, 0, (uint8_t)round, (uint8_t)(k >> 8), (uint8_t)k};
			uint32_t spa = 0x0a000000u | (uint32_t)(10 + byz_rng_next(&r) % 240);
			arp_to0(f, BYZ_ARP_OP_REQUEST, sha, spa, IP[0]);
			inject(0, f, sizeof(f));
		}
		for (int k = 0; k < 40; k++) {
			poll_all(now);
			now += 25000;
		}
	}
	uint64_t answered = s->arp.req_rx - req_rx;
	fprintf(stderr, "\n  flood: 4000 requests, %llu answered, %llu over budget",
		(unsigned long long)answered,
		(unsigned long long)s->arp.drop[BYZ_ARP_DROP_RATE]);
	CU_ASSERT(answered >= 128 && answered <= 128 + 5);
	CU_ASSERT_EQUAL(answered + s->arp.drop[BYZ_ARP_DROP_RATE], 4000);
	CU_ASSERT_EQUAL(t->n, n_entries);
	/* replies to strangers go out on every queue and are ignored there */
	CU_ASSERT(byz_dp_stats(dp[1])->arp.drop[BYZ_ARP_DROP_NOT_US] >= answered);
	CU_ASSERT_EQUAL(s->alloc_fail + s->arp.tx_nobuf, 0);
	/* traffic is unaffected */
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 1, "still", 5, now), 0);
	poll_all(now);
	poll_all(now);
	CU_ASSERT(got_ctrl(1, 0, "still"));
	dps_free();
}

static void test_gateway(void)
{
	/* peer 2 lives on 10.0.1.0/24 behind a router at 10.0.0.250 that is no
	 * peer; peer 0 resolves the router (the test answers for it) */
	static const uint32_t ip[NP] = {0x0a000001u, 0x0a000002u, 0x0a000103u};
	static const uint8_t dyn[NP][NP] = {{0, 1, 1}};
	static const uint32_t gw[NP] = {0x0a0000fau};
	static const uint8_t ROUTER[6] = {0x02, 0x72, 0x6f, 0x75, 0x74, 0x65};
	dps_create(ip, dyn, 24, gw);
	const struct byz_dp_stats *s0 = byz_dp_stats(dp[0]);
	uint8_t mac[6];
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 2, mac), -EAGAIN);
	CU_ASSERT_EQUAL(byz_dp_arp(dp[0])->n, 2); /* peer 1's entry and the gateway's */
	uint64_t now = SEC;
	byz_dp_poll(dp[0], now);
	CU_ASSERT_EQUAL(s0->arp.req_tx, 2);
	/* the gateway's request is flooded: peer 2's ring holds one */
	struct rte_mbuf *m = NULL;
	int seen = 0;
	while (rte_ring_dequeue(net.ring[2], (void **)&m) == 0) {
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		if (rte_pktmbuf_data_len(m) >= BYZ_ARP_FRAME_LEN && d[12] == 0x08 && d[13] == 0x06 &&
		    !memcmp(d, BCAST, 6) && d[21] == BYZ_ARP_OP_REQUEST && d[38] == 10 &&
		    d[39] == 0 && d[40] == 0 && d[41] == 250)
			seen++;
		rte_pktmbuf_free(m);
	}
	CU_ASSERT_EQUAL(seen, 1);
	/* the router answers */
	uint8_t f[BYZ_ARP_FRAME_TX];
	arp_to0(f, BYZ_ARP_OP_REPLY, ROUTER, gw[0], ip[0]);
	inject(0, f, sizeof(f));
	now += MS;
	poll_all(now);
	poll_all(now);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 2, mac), 0);
	CU_ASSERT(memcmp(mac, ROUTER, 6) == 0);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), 0); /* on-link, resolved directly */
	/* a frame to peer 2 carries the router's MAC (the ring fabric delivers it) */
	while (rte_ring_dequeue(net.ring[2], (void **)&m) == 0)
		rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 2, "via gw", 6, now), 0);
	byz_dp_poll(dp[0], now);
	CU_ASSERT_EQUAL_FATAL(rte_ring_count(net.ring[2]), 1);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue(net.ring[2], (void **)&m), 0);
	CU_ASSERT(memcmp(rte_pktmbuf_mtod(m, const uint8_t *), ROUTER, 6) == 0);
	CU_ASSERT_EQUAL(rte_ring_enqueue(net.ring[2], m), 0);
	byz_dp_poll(dp[2], now);
	CU_ASSERT(got_ctrl(2, 0, "via gw"));
	dps_free();

	/* no gateway: the off-subnet peer is unreachable, and says so */
	static const uint32_t nogw[NP];
	dps_create(ip, dyn, 24, nogw);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 2, mac), -ENETUNREACH);
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 2, "x", 1, 0), -EHOSTUNREACH);
	CU_ASSERT_EQUAL(byz_dp_set_subnet(dp[0], 33, 0), -EINVAL);
	CU_ASSERT_EQUAL(byz_dp_set_addr(dp[0], 0, ip[0], NULL, 0), -EINVAL);
	dps_free();
}

static void test_refresh_expiry(void)
{
	static const uint8_t dyn[NP][NP] = {{0, 1, 0}};
	static const uint32_t gw[NP];
	dps_create(IP, dyn, 24, gw);
	const struct byz_dp_stats *s0 = byz_dp_stats(dp[0]);
	uint8_t mac[6];
	uint64_t now = SEC;
	for (int k = 0; k < 5; k++, now += MS)
		poll_all(now);
	CU_ASSERT_EQUAL_FATAL(byz_dp_neigh(dp[0], 1, mac), 0);
	/* everyone polling: refreshed in the last quarter, never lapses */
	for (uint64_t end = now + 100 * SEC; now < end; now += 10 * MS)
		poll_all(now);
	CU_ASSERT_EQUAL(s0->arp.expired, 0);
	CU_ASSERT(s0->arp.rep_rx >= 3);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), 0);
	/* peer 1 goes quiet: the entry lapses within a lifetime */
	for (uint64_t end = now + 61 * SEC; now < end; now += 10 * MS)
		byz_dp_poll(dp[0], now);
	CU_ASSERT_EQUAL(s0->arp.expired, 1);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), -EAGAIN);
	CU_ASSERT_EQUAL(byz_dp_send_control(dp[0], 1, "x", 1, now), -EHOSTUNREACH);
	/* and comes back: resolved again (after the hold-down at worst) */
	for (uint64_t end = now + 5 * SEC; now < end && byz_dp_neigh(dp[0], 1, mac); now += MS)
		poll_all(now);
	CU_ASSERT_EQUAL(byz_dp_neigh(dp[0], 1, mac), 0);
	dps_free();
}

int main(void)
{
	int r = byz_test_ring_fabric("arp", NP, &pool, &net);
	if (r)
		return r;
	static const struct byz_test_case cases[] = {
		{"traffic flows once ARP resolves", test_resolve_then_traffic},
		{"forged, unsolicited, malformed ARP and a request flood", test_hostile},
		{"a peer behind the gateway", test_gateway},
		{"refresh and expiry", test_refresh_expiry},
		{NULL, NULL},
	};
	int rc = byz_test_run("arp-dp", cases);
	byz_ringnet_destroy(&net);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
