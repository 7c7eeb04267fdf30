/*
 * A dataplane flood at one node: 4 honest byz_node peers and one silent
 * Byzantine member (5-member roster) over in-process ring ports, while the
 * Byzantine member's port keeps the victim's RX ring as full as the victim
 * drains it (up to 128 frames, the victim's RX budget, per poll turn) with
 * random bytes, truncated frames, bad CRCs, valid frames from unknown ids,
 * frames spoofing an honest id from the wrong address, frames spoofing an
 * honest id and its address with no valid frame tag (byz/auth.h), replays of
 * captured honest CONTROL fragments, and well-formed CONTROL fragments
 * carrying garbage or wrongly-signed protocol messages (sealed with the
 * hostile member's own frame keys: a member's frames pass the tag check).
 *
 * Checks: every honest node completes every step with the params digest of
 * the in-process harness (same seed, no flood) and its bans; the victim's
 * counters account for each injected class by reason; the flood's mbufs all
 * come back to their pool (the victim frees what it drops) and the shared
 * pool's in-use count returns to its baseline; RSS grows less than a bound
 * (see RSS_BOUND_KB). Figures go to stderr for docs/security.md.
 *
 * Single-threaded like test_node_swarm: the hostile sender injects between
 * poll turns, so every counter is read without races. Exit 77 when the EAL
 * cannot start here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sodium.h>

#include "byz/auth.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/node.h"
#include "byz/swarm.h"
#include "byz/wire.h"
#include "byz_test.h"
#include "chan.h"

#define N 5u             /* roster: 4 honest nodes + the hostile member */
#define STEPS 4u
#define PER_TURN 128u    /* the victim reads at most 4 bursts of 32 per poll */
#define NCAP 256u        /* captured honest fragments replayed */
#define CAP_MAX 1600u
/* Everything the dataplane and the channel use is allocated at creation and
 * both mbuf pools are touched before the baseline. Measured growth is about
 * 1 MiB whatever the frame count (1.0 MiB at 230k frames, 1.2 MiB at 830k):
 * the honest steps' own state and first use of rings, not the flood. 4 MiB
 * leaves room for that and still catches a per-frame leak of 16 bytes or
 * more at the 250k+ frames a run injects. */
#define RSS_BOUND_KB 4096u

/* Frame offsets: Ethernet 14 + IPv4 20 + UDP 8, then the byz header. */
#define OFF_BYZ 42u
#define OFF_PAYLOAD (OFF_BYZ + BYZ_HDR_LEN)

enum cat { C_RANDOM, C_TRUNC, C_BADCRC, C_UNKNOWN, C_SPOOF, C_FORGE, C_REPLAY, C_GARBAGE,
	   C_BADSIG, C_N };
static const char *const cat_name[C_N] = {"random bytes", "truncated",    "bad CRC",
					  "unknown src",  "spoofed src",  "forged tag",
					  "replayed",     "garbage msg",  "bad signature"};
/* One flood round of 32 frames: mostly cheap junk, 2 messages that cost the
 * victim a signature check, 1 garbage message. */
static const uint8_t pattern[32] = {
	C_RANDOM, C_TRUNC, C_BADCRC, C_UNKNOWN, C_SPOOF, C_REPLAY, C_RANDOM, C_TRUNC,
	C_BADCRC, C_UNKNOWN, C_SPOOF, C_REPLAY, C_BADSIG, C_RANDOM, C_TRUNC, C_BADCRC,
	C_UNKNOWN, C_SPOOF, C_REPLAY, C_RANDOM, C_TRUNC, C_BADCRC, C_UNKNOWN, C_SPOOF,
	C_REPLAY, C_GARBAGE, C_FORGE, C_TRUNC, C_BADCRC, C_REPLAY, C_BADSIG, C_FORGE,
};

static struct rte_mempool *pool, *hpool;

struct hostile {
	uint16_t port, self, victim;
	struct rte_ring *vring; /* the victim's RX ring */
	struct byz_l2l3 a;
	uint32_t session, chan_seq;
	uint8_t key[BYZ_AUTH_KEY_LEN]; /* our frame key towards the victim */
	uint64_t ctr;
	uint64_t rng;
	uint8_t cap[NCAP][CAP_MAX];
	uint16_t caplen[NCAP];
	unsigned ncap, turn;
	int capturing;
	uint8_t *msg[3]; /* garbage, FETCH signed by a stranger, FETCH with a zero signature */
	size_t msglen[3];
	uint64_t sent[C_N];
};

static struct hostile H;

static uint64_t rnd(void)
{
	H.rng ^= H.rng << 13;
	H.rng ^= H.rng >> 7;
	H.rng ^= H.rng << 17;
	return H.rng;
}

/* RX callback on the victim's port: copy honest chan DATA fragments while
 * capturing (this runs inside the victim's rx_burst, on the test thread). */
static uint16_t capture(uint16_t port, uint16_t q, struct rte_mbuf *pkts[], uint16_t nb,
			uint16_t max, void *ctx)
{
	(void)port, (void)q, (void)max, (void)ctx;
	for (uint16_t i = 0; i < nb && H.capturing && H.ncap < NCAP; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(pkts[i]);
		if (len <= OFF_PAYLOAD + 2 || len > CAP_MAX || d[OFF_BYZ + 1] != BYZ_T_CONTROL ||
		    d[OFF_PAYLOAD + 1] != CHAN_T_DATA)
			continue;
		memcpy(H.cap[H.ncap], d, len);
		H.caplen[H.ncap++] = (uint16_t)len;
	}
	return nb;
}

/* A valid frame from @p src (CONTROL, payload @p p) into @p out; its length. */
static int build(uint8_t *out, uint16_t src, uint32_t src_ip, const uint8_t *p, uint32_t plen)
{
	struct byz_l2l3 a = H.a;
	a.src_ip = src_ip;
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_CONTROL,
			    .kind = BYZ_K_NONE, .src = src, .dst = H.victim,
			    .session = H.session, .ts = H.turn, .ctr = ++H.ctr};
	int n = byz_frame_build(out, CAP_MAX, &a, &h, p, plen);
	if (n <= 0)
		abort(); /* arguments are ours: a failure is a bug in this test */
	return n;
}

/* A chan DATA fragment holding the whole message @p m (chan.h's layout),
 * from the hostile member's one incarnation to whatever the victim is. */
static uint32_t chan_frag(uint8_t *p, uint32_t seq, const uint8_t *m, size_t len)
{
	p[0] = CHAN_VERSION;
	p[1] = CHAN_T_DATA;
	p[2] = CHAN_F_FIRST | CHAN_F_LAST;
	p[3] = 0;
	byz_le32_put(p + 4, seq);
	byz_le32_put(p + 8, (uint32_t)len);
	byz_le32_put(p + 12, 0);
	byz_le64_put(p + 16, 1); /* src_inc: any non-zero value */
	byz_le64_put(p + 24, 0); /* dst_inc: none known */
	memcpy(p + CHAN_HDR_LEN, m, len);
	return (uint32_t)(CHAN_HDR_LEN + len);
}

static void make_frame(struct rte_mbuf *mb, enum cat c)
{
	uint8_t *d = rte_pktmbuf_mtod(mb, uint8_t *), pl[CAP_MAX];
	uint32_t own_ip = byz_dp_peer_ip(H.self);
	int len = 0;
	switch (c) {
	case C_RANDOM:
		len = 1 + (int)(rnd() % 1514);
		for (int i = 0; i < len; i++)
			d[i] = (uint8_t)rnd();
		break;
	case C_TRUNC:
	case C_BADCRC: {
		uint32_t pn = 16 + (uint32_t)(rnd() % 200);
		for (uint32_t i = 0; i < pn; i++)
			pl[i] = (uint8_t)rnd();
		len = build(d, H.self, own_ip, pl, pn);
		if (c == C_TRUNC)
			len = 1 + (int)(rnd() % (uint64_t)(len - 1));
		else
			d[OFF_PAYLOAD + rnd() % pn] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	}
	case C_UNKNOWN: {
		uint32_t pn = chan_frag(pl, 0, (const uint8_t *)"x", 1);
		uint16_t src = (uint16_t)(N + rnd() % 32);
		len = build(d, src, byz_dp_peer_ip(src), pl, pn);
		break;
	}
	case C_SPOOF: {
		uint16_t src;
		do /* an honest member's id from our address */
			src = (uint16_t)(rnd() % N);
		while (src == H.self || src == H.victim);
		uint32_t pn = chan_frag(pl, 0, (const uint8_t *)"x", 1);
		len = build(d, src, own_ip, pl, pn);
		break;
	}
	case C_FORGE: {
		/* an honest id from its own address (IP spoofing): only the tag
		 * tells, and ours is random */
		uint16_t src;
		do
			src = (uint16_t)(rnd() % N);
		while (src == H.self || src == H.victim);
		uint32_t pn = chan_frag(pl, (uint32_t)rnd(), (const uint8_t *)"x", 1);
		len = build(d, src, byz_dp_peer_ip(src), pl, pn);
		for (unsigned i = 0; i < BYZ_TAG_LEN; i++)
			d[OFF_BYZ + BYZ_HO_TAG + i] = (uint8_t)rnd();
		break;
	}
	case C_REPLAY: {
		unsigned k = (unsigned)(rnd() % H.ncap);
		len = H.caplen[k];
		memcpy(d, H.cap[k], (size_t)len);
		break;
	}
	case C_GARBAGE:
	case C_BADSIG: {
		unsigned k = c == C_GARBAGE ? 0 : 1 + (unsigned)(rnd() & 1);
		uint32_t pn = chan_frag(pl, H.chan_seq++, H.msg[k], H.msglen[k]);
		len = build(d, H.self, own_ip, pl, pn);
		byz_frame_seal(d, (size_t)len, H.key);
		break;
	}
	default:
		abort();
	}
	mb->data_len = (uint16_t)len;
	mb->pkt_len = (uint32_t)len;
}

/* What the honest nodes send to the silent member: read and dropped. */
static void drain_own(void)
{
	struct rte_mbuf *m[BYZ_DP_BURST];
	uint16_t got;
	while ((got = rte_eth_rx_burst(H.port, 0, m, BYZ_DP_BURST)) > 0)
		rte_pktmbuf_free_bulk(m, got);
}

/* Fill the victim's RX ring with up to PER_TURN frames. */
static void inject(void)
{
	struct rte_mbuf *m[BYZ_DP_BURST];
	unsigned room = rte_ring_free_count(H.vring);
	unsigned want = room < PER_TURN ? room : PER_TURN;
	while (want) {
		unsigned b = want < BYZ_DP_BURST ? want : BYZ_DP_BURST;
		if (rte_pktmbuf_alloc_bulk(hpool, m, b))
			abort(); /* sized for a full ring plus a burst */
		for (unsigned i = 0; i < b; i++) {
			enum cat c = (enum cat)pattern[(H.turn * 7u + i) % 32u];
			make_frame(m[i], c);
			H.sent[c]++;
		}
		/* Only this thread enqueues here and room was checked: all go. */
		uint16_t tx = rte_eth_tx_burst(H.port, H.victim, m, (uint16_t)b);
		CU_ASSERT_EQUAL_FATAL(tx, b);
		want -= b;
	}
	H.turn++;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Allocate and write every mbuf once, so first-touch page faults happen
 * before the RSS baseline, not during the flood. */
static void touch_pool(struct rte_mempool *mp)
{
	unsigned n = rte_mempool_avail_count(mp);
	struct rte_mbuf **m = calloc(n, sizeof(*m));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	unsigned k = 0;
	while (k < n && (m[k] = rte_pktmbuf_alloc(mp)) != NULL) {
		memset(rte_pktmbuf_mtod(m[k], void *), 0, rte_pktmbuf_tailroom(m[k]));
		k++;
	}
	for (unsigned i = 0; i < k; i++)
		rte_pktmbuf_free(m[i]);
	free(m);
}

static void make_messages(const uint8_t run_id[32], uint16_t honest)
{
	uint8_t pl[64], pk[32], sk[64];
	size_t pn = byz_wire_put_fetch(pl, BYZ_FETCH_PART, honest, 0, 1);
	CU_ASSERT_FATAL(pn > 0);
	H.msglen[0] = 120;
	H.msg[0] = malloc(H.msglen[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(H.msg[0]);
	for (size_t i = 0; i < H.msglen[0]; i++)
		H.msg[0][i] = (uint8_t)rnd();
	H.msg[0][0] = 0xff; /* no wire version is 0xff: never parses */
	/* In the name of an honest member (a FETCH is checked whatever the
	 * step), signed by a key that is not theirs. */
	crypto_sign_keypair(pk, sk);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_FETCH, honest, H.victim, 0, 1, run_id, pl,
					    (uint32_t)pn, sk, &H.msg[1], &H.msglen[1]),
			      0);
	/* The same bytes with the signature zeroed: "unsigned". */
	H.msg[2] = malloc(H.msglen[1]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(H.msg[2]);
	memcpy(H.msg[2], H.msg[1], H.msglen[1]);
	H.msglen[2] = H.msglen[1];
	memset(H.msg[2] + H.msglen[2] - BYZ_WIRE_SIG_LEN, 0, BYZ_WIRE_SIG_LEN);
	sodium_memzero(sk, sizeof(sk));
}

static void test_flood(void)
{
	uint64_t seed = byz_test_seed();
	static const int silent[] = {BYZ_ATK_SILENT};
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	sc.n = N;
	sc.nbyz = 1;
	sc.attacks = silent;
	sc.nattacks = 1;
	sc.steps = STEPS;
	sc.seed = seed;
	sc.d = 64;
	uint64_t phase_us = 90000;
	const char *pe = getenv("BYZ_NODE_PHASE_MS");
	if (pe)
		phase_us = strtoull(pe, NULL, 10) * 1000u;
#if defined(__SANITIZE_ADDRESS__)
	if (!pe)
		phase_us *= 3;
#endif
	sc.run.phase_us = phase_us;
	sc.net.delay_min_us = 100;
	sc.net.delay_max_us = phase_us / 20;
	sc.net.retx_us = phase_us / 20;
	int err = 0;
	struct byz_swarm *ref = byz_swarm_new(&sc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL_FATAL(byz_swarm_run(ref), 0);
	const struct byz_swarm_report *rr = byz_swarm_report(ref);
	CU_ASSERT_FATAL(rr->replicas_identical && rr->honest_banned == 0);

	uint8_t run_id[32], roster[N * 32], sks[N][64];
	byz_swarm_derive_keys(seed, N, run_id, roster, sks); /* the harness's keys */
	struct byz_run run = sc.run;
	memcpy(run.run_id, run_id, 32);
	run.n = N;
	run.roster = roster;
	run.d = sc.d;
	struct byz_toy_lsq toy;
	CU_ASSERT_EQUAL_FATAL(byz_toy_lsq_init(&toy, run_id, sc.d, sc.batch), 0);
	struct byz_ringnet net;
	CU_ASSERT_EQUAL_FATAL(byz_ringnet_create(&net, "fl", N, 4096, pool), 0);

	uint16_t bad = rr->byz[0], victim = bad == 0 ? 1 : 0;
	memset(&H, 0, sizeof(H));
	H.rng = seed | 1;
	H.self = bad;
	H.victim = victim;
	H.port = net.port[bad];
	H.vring = net.ring[victim];
	H.session = byz_le32_get(run_id);
	H.a = (struct byz_l2l3){.dst_mac = {0x02, 'b', 'y', 'z', 0, (uint8_t)victim},
				.src_mac = {0x02, 'b', 'y', 'z', 0, (uint8_t)bad},
				.dst_ip = byz_dp_peer_ip(victim), .src_port = 40000,
				.dst_port = BYZ_UDP_PORT};
	uint16_t honest = 0; /* whose name the forged messages use */
	while (honest == bad || honest == victim)
		honest++;
	make_messages(run_id, honest);
	struct byz_auth_keys hk;
	CU_ASSERT_EQUAL_FATAL(byz_auth_derive(sks[bad], roster + 32u * bad, roster + 32u * victim,
					      run_id, &hk), 0);
	memcpy(H.key, hk.tx, sizeof(H.key));
	const struct rte_eth_rxtx_callback *cb =
		rte_eth_add_rx_callback(net.port[victim], 0, capture, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cb);

	touch_pool(pool);
	touch_pool(hpool);
	unsigned pool_base = rte_mempool_in_use_count(pool);

	struct byz_node *node[N] = {0};
	for (uint16_t i = 0; i < N; i++) {
		if (i == bad)
			continue;
		struct byz_node_cfg nc = {
			.run = &run, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool, .mtu = 1500,
			.rto_us = 1000, .rto_max_us = 8000,
		};
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(node[i]);
	}
	struct byz_dp *vdp = byz_node_dp(node[victim]);
	uint64_t t0 = byz_dp_now_ns(), origin = t0 + 20000000ull;
	for (uint32_t i = 0; i < N; i++)
		if (node[i])
			byz_node_start(node[i], origin);
	uint64_t limit = origin + (uint64_t)(STEPS + 2) * sc.run.max_attempts * BYZ_PH_COUNT *
					  phase_us * 1000u;
	struct byz_dp_stats d0 = {0};
	struct byz_node_stats s0 = {0};
	long rss0 = 0, rss_peak = 0;
	unsigned pool_peak = 0, hpool_peak = 0;
	uint64_t flood_t0 = 0, flood_t1 = 0;
	H.capturing = 1;
	int flooding = 0;
	for (;;) {
		int done = 1;
		for (uint32_t i = 0; i < N; i++)
			if (node[i] && byz_node_step(node[i]) < STEPS)
				done = 0;
		uint64_t now = byz_dp_now_ns();
		if (done || now > limit)
			break;
		/* Capture during step 0, flood from step 1 to the end. */
		if (!flooding && byz_node_step(node[victim]) >= 1 && H.ncap > 0) {
			H.capturing = 0;
			flooding = 1;
			d0 = *byz_dp_stats(vdp);
			s0 = *byz_node_stats(node[victim]);
			rss0 = rss_peak = rss_kb();
			flood_t0 = now;
		}
		drain_own();
		if (flooding)
			inject();
		unsigned work = 0;
		for (uint32_t i = 0; i < N; i++)
			if (node[i])
				work += byz_node_poll(node[i], now);
		unsigned u = rte_mempool_in_use_count(pool), hu = rte_mempool_in_use_count(hpool);
		pool_peak = u > pool_peak ? u : pool_peak;
		hpool_peak = hu > hpool_peak ? hu : hpool_peak;
		if (flooding && (H.turn & 255) == 0) {
			long r = rss_kb();
			rss_peak = r > rss_peak ? r : rss_peak;
		}
		if (!work && !flooding)
			usleep(20);
	}
	flood_t1 = byz_dp_now_ns();
	CU_ASSERT_FATAL(flooding);
	/* The victim drains what is left of the flood; one more turn hands the
	 * CONTROL frames of the last one from the control ring to the channel. */
	for (int k = 0; k < 1000 && rte_ring_count(H.vring); k++)
		byz_node_poll(node[victim], byz_dp_now_ns());
	byz_node_poll(node[victim], byz_dp_now_ns());
	drain_own();
	long rss1 = rss_kb();
	rss_peak = rss1 > rss_peak ? rss1 : rss_peak;

	/* Honest progress: every step, the harness's digest and bans. */
	uint64_t retx_others = 0;
	for (uint16_t i = 0; i < N; i++) {
		if (!node[i])
			continue;
		CU_ASSERT_EQUAL(byz_node_step(node[i]), STEPS);
		uint8_t dg[32];
		byz_params_digest(run_id, byz_node_step(node[i]), byz_node_params(node[i]), sc.d, dg);
		CU_ASSERT(memcmp(dg, rr->params_digest, 32) == 0);
		for (uint16_t j = 0; j < N; j++)
			CU_ASSERT_EQUAL(byz_node_has_banned(node[i], j), 0);
		if (i != victim)
			retx_others += byz_node_stats(node[i])->retx;
	}
	CU_ASSERT_EQUAL(rr->nbans, 0);

	/* Accounting at the victim, by reason (the run has no fault layer, so
	 * honest traffic adds no parser, unknown or spoof drops). */
	const struct byz_dp_stats *d1 = byz_dp_stats(vdp);
	const struct byz_node_stats *s1 = byz_node_stats(node[victim]);
	uint64_t parse = 0, total = 0;
	for (int r = 1; r < BYZ_DROP_COUNT; r++)
		parse += d1->drop[r] - d0.drop[r];
	/* random bytes with the ARP ethertype (about 1 in 65536) go to ARP */
	for (int r = 0; r < BYZ_ARP_DROP_COUNT; r++)
		parse += d1->arp.drop[r] - d0.arp.drop[r];
	parse += (d1->arp.req_rx - d0.arp.req_rx) + (d1->arp.rep_rx - d0.arp.rep_rx);
	for (int c = 0; c < C_N; c++)
		total += H.sent[c];
	CU_ASSERT_EQUAL(parse, H.sent[C_RANDOM] + H.sent[C_TRUNC] + H.sent[C_BADCRC]);
	CU_ASSERT(d1->drop[BYZ_DROP_CRC] - d0.drop[BYZ_DROP_CRC] >= H.sent[C_BADCRC]);
	CU_ASSERT_EQUAL(d1->drop_unknown - d0.drop_unknown, H.sent[C_UNKNOWN]);
	CU_ASSERT_EQUAL(d1->drop_spoof - d0.drop_spoof, H.sent[C_SPOOF]);
	CU_ASSERT_EQUAL(d1->drop_auth - d0.drop_auth, H.sent[C_FORGE]);
	CU_ASSERT_EQUAL(d1->ctrl_full, 0);
	CU_ASSERT_EQUAL(s1->msg_badmsg - s0.msg_badmsg, H.sent[C_GARBAGE]);
	CU_ASSERT_EQUAL(s1->msg_badsig - s0.msg_badsig, H.sent[C_BADSIG]);
	/* Replays are fragments the channel already delivered: duplicates; the
	 * rest of the duplicates are honest retransmissions. */
	uint64_t dup = s1->chan_dup - s0.chan_dup;
	CU_ASSERT(dup >= H.sent[C_REPLAY] && dup - H.sent[C_REPLAY] <= retx_others);
	CU_ASSERT_EQUAL(s1->chan_bad_hdr, 0);
	/* Every flood mbuf came back: the victim freed all it dropped. */
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(hpool), 0);
	CU_ASSERT(hpool_peak <= hpool->size && pool_peak <= pool->size);
	CU_ASSERT(rss0 > 0 && rss1 > 0);
	CU_ASSERT(rss_peak - rss0 < (long)RSS_BOUND_KB);

	double secs = (double)(flood_t1 - flood_t0) / 1e9;
	fprintf(stderr, "\n  flood at node %u (hostile member %u), steps %u, phase %llu ms: "
			"%llu frames in %.2f s (%.0f frames/s), %u replayable fragments captured\n",
		victim, bad, STEPS, (unsigned long long)(phase_us / 1000), (unsigned long long)total,
		secs, (double)total / secs, H.ncap);
	for (int c = 0; c < C_N; c++)
		fprintf(stderr, "    injected %-14s %9llu\n", cat_name[c],
			(unsigned long long)H.sent[c]);
	for (int r = 1; r < BYZ_DROP_COUNT; r++)
		if (d1->drop[r] - d0.drop[r])
			fprintf(stderr, "    dropped parse:%-10s %8llu\n",
				byz_drop_name((enum byz_drop)r),
				(unsigned long long)(d1->drop[r] - d0.drop[r]));
	fprintf(stderr, "    dropped unknown-src %8llu, spoofed-src %llu, bad tag %llu, channel dup %llu "
			"(honest retx elsewhere %llu), message parse %llu, signature %llu\n",
		(unsigned long long)(d1->drop_unknown - d0.drop_unknown),
		(unsigned long long)(d1->drop_spoof - d0.drop_spoof),
		(unsigned long long)(d1->drop_auth - d0.drop_auth), (unsigned long long)dup,
		(unsigned long long)retx_others,
		(unsigned long long)(s1->msg_badmsg - s0.msg_badmsg),
		(unsigned long long)(s1->msg_badsig - s0.msg_badsig));
	if (getenv("BYZ_NODE_VERBOSE"))
		fprintf(stderr, "    victim: msgs in %llu ok %llu stale %llu late %llu banned %llu "
				"other %llu | chan frags in %llu out-of-window %llu asm-reset %llu\n",
			(unsigned long long)(s1->msgs_in - s0.msgs_in),
			(unsigned long long)(s1->msg_ok - s0.msg_ok),
			(unsigned long long)(s1->msg_stale - s0.msg_stale),
			(unsigned long long)(s1->msg_late - s0.msg_late),
			(unsigned long long)(s1->msg_banned - s0.msg_banned),
			(unsigned long long)(s1->msg_other - s0.msg_other),
			(unsigned long long)(s1->frags_in - s0.frags_in),
			(unsigned long long)(s1->chan_out_window - s0.chan_out_window),
			(unsigned long long)(s1->chan_asm_reset - s0.chan_asm_reset));
	fprintf(stderr, "    RSS %ld KiB at flood start, peak %ld, end %ld (bound +%u); "
			"mbufs in use: node pool peak %u of %u, flood pool peak %u, 0 after\n",
		rss0, rss_peak, rss1, RSS_BOUND_KB, pool_peak, pool->size, hpool_peak);

	for (uint32_t i = 0; i < N; i++)
		byz_node_free(node[i]);
	rte_eth_remove_rx_callback(net.port[victim], 0, cb);
	byz_ringnet_destroy(&net);
	/* Every node mbuf came back too, once the nodes and rings are gone. */
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), pool_base);
	for (int k = 0; k < 3; k++)
		free(H.msg[k]);
	byz_toy_lsq_free(&toy);
	byz_swarm_free(ref);
}

int main(void)
{
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzflood%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	int r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	pool = byz_dp_pool_create("flpool", 8191, 1500, SOCKET_ID_ANY);
	/* A full victim ring (4096) plus one turn's frames. */
	hpool = byz_dp_pool_create("flhpool", 8191, 1500, SOCKET_ID_ANY);
	if (!pool || !hpool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	static const struct byz_test_case cases[] = {
		{"4 honest nodes + 1 silent member flooding one node's dataplane", test_flood},
		{NULL, NULL},
	};
	int rc = byz_test_run("node-flood", cases);
	rte_mempool_free(hpool);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
