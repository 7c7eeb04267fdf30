/*
 * DESIGN: one peer's dataplane, run to completion.
 *
 * byz_dp_poll() is the whole loop turn, l2fwd style: up to four RX bursts of
 * 32; each frame is parsed strictly (byz_frame_parse), checked against the
 * roster (known, not banned, source IP as published, addressed to us, this
 * session and step) and dispatched: DATA is copied straight into the shard
 * buffer by its receiver stream, SACK/NACK go to the sender stream, CONTROL
 * payloads are handed to the control thread on a ring without a copy (the
 * mbuf travels with them), PROBE is answered. Then every armed sender emits
 * up to a burst of DATA, every receiver its SACK/NACK, into per-destination
 * TX buffers flushed with one tx_burst each. A completed shard becomes a
 * descriptor on the done ring for the worker that aggregates it. Opt-in
 * (leaf_bytes), every completed fixed-size leaf of a shard becomes a
 * descriptor on the leaf ring of the worker that hashes it, so hashing
 * overlaps the transfer instead of following it (see "Leaves" below).
 *
 * Streams are indexed by (kind, peer): scatter streams carry part j from a
 * peer to aggregator j, gather streams carry the aggregate back. Every
 * stream and ring is created with the peer; the loop allocates nothing but
 * mbufs from the pool, and every structure has one writer, the polling
 * lcore. The roster is the one thing another thread writes: it publishes a
 * new immutable struct with an atomic pointer store and the loop adopts it at
 * the start of a turn (epoch swap, never shared mutable state).
 *
 * Authentication (byz/auth.h, cfg.auth): tx_frame seals every frame it
 * builds with the destination's tx key and the next counter of that
 * direction; a retransmission is a new frame with a new counter. RX checks
 * the tag right after the parser and the stateless checks (known, not
 * banned, source IP, destination, session), before any stream, channel or
 * ring sees the frame,
 * so a forged frame touches nothing but the drop_auth counter.
 *
 * Neighbours (byz/arp.h): frames of ethertype ARP go to the table before the
 * frame parser; its timers run once per turn. A peer with a static MAC sends
 * from its address template as before; a peer resolved by ARP has an entry
 * index (nh) and a frame to it takes the entry's MAC, or is dropped and
 * counted while there is none. No queue holds frames for an unresolved
 * neighbour: resolution starts at the first poll, before the protocol's
 * first exchange, and the streams and the control channel retransmit what
 * was dropped, so a queue would add mbuf ownership and a bound to tune for
 * frames that are re-sent anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <sodium.h>

#include "byz/dp.h"

_Static_assert(sizeof(struct byz_shard_done) == 24, "done ring element");
_Static_assert(sizeof(struct byz_ctrl_msg) == 32, "control ring element");
_Static_assert(sizeof(struct byz_leaf_done) == 32, "leaf ring element");

#define NK 2 /* scatter, gather */

struct dp_tx {
	struct byz_tx_stream *s;
	const uint8_t *buf;
	uint32_t len;
	uint16_t part;
	uint8_t active;
};

struct dp_rx {
	struct byz_rx_stream *s;
	uint8_t *buf;
	uint32_t len;
	uint16_t part;
	uint8_t armed;
	uint8_t notify; /* completed, descriptor not yet on the done ring */
	uint8_t leaf_lost; /* a leaf descriptor was dropped (ring full) */
	uint32_t *leaf_left; /* per leaf: packets still missing (leaf_bytes set) */
};

/* leaf descriptors waiting for one burst enqueue, per leaf ring */
struct dp_leafq {
	uint16_t n;
	struct byz_leaf_done d[BYZ_DP_BURST];
} __rte_cache_aligned;

/* keys towards one peer; have = 0 until byz_dp_set_keys */
struct dp_key {
	struct byz_auth_keys k;
	uint64_t ctr; /* next counter of our direction */
	uint8_t have;
} __rte_cache_aligned;

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *m[BYZ_DP_BURST];
} __rte_cache_aligned;

struct byz_dp {
	struct byz_dp_cfg cfg;
	uint32_t step;
	uint32_t epoch_seen;
	uint32_t notify_n;
	const struct byz_roster *roster;
	const struct byz_roster *published; /* written by the control thread */
	struct byz_roster *def;
	struct rte_ring *done, *ctrl;
	struct rte_ring *leaf[BYZ_DP_LEAF_RINGS_MAX];
	struct dp_leafq *leafq;
	uint16_t n_leaf;
	struct dp_tx *tx[NK];
	struct dp_rx *rx[NK];
	struct dp_txq *txq;
	struct byz_l2l3 *addr; /* per destination */
	/* byz_dp_set_route(): per-destination port and queue, RX from every port */
	struct dp_route { uint16_t port, queue; } *route;
	uint16_t rx_port[BYZ_RINGNET_MAX];
	uint16_t n_rx_port;
	struct byz_arp *arp;
	int16_t *nh; /* per destination: DP_NH_STATIC, DP_NH_NONE or a table index */
	uint8_t *dyn; /* per destination: resolve by ARP */
	struct dp_key *key; /* per peer, cfg.auth only */
	struct byz_dp_stats st __rte_cache_aligned;
};

#define DP_NH_STATIC (-1) /* the MAC in addr[] */
#define DP_NH_NONE (-2)   /* no route: off-subnet without a usable gateway */

static void neigh_rebuild(struct byz_dp *dp);

uint32_t byz_dp_peer_ip(uint16_t i)
{
	return 0x0a000001u + i; /* 10.0.0.1 + i */
}

static void peer_mac(uint16_t i, uint8_t mac[6])
{
	/* locally administered, unicast */
	mac[0] = 0x02;
	mac[1] = 'b';
	mac[2] = 'y';
	mac[3] = 'z';
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

struct byz_dp *byz_dp_create(const struct byz_dp_cfg *cfg, int *err)
{
	int e = -EINVAL;
	struct byz_dp *dp = NULL;
	char name[RTE_RING_NAMESIZE];
	if (!cfg || cfg->n_peers < 2 || cfg->n_peers > BYZ_RINGNET_MAX ||
	    cfg->self >= cfg->n_peers || !cfg->pool || cfg->max_shard == 0 ||
	    byz_stream_cfg_check(&cfg->scfg))
		goto fail;
	uint32_t dsz = cfg->done_ring_size ? cfg->done_ring_size : 1024;
	uint32_t csz = cfg->ctrl_ring_size ? cfg->ctrl_ring_size : 256;
	if (!rte_is_power_of_2(dsz) || !rte_is_power_of_2(csz))
		goto fail;
	uint16_t nleafr = cfg->leaf_bytes ? (cfg->leaf_rings ? cfg->leaf_rings : 1) : 0;
	uint32_t lsz = cfg->leaf_ring_size ? cfg->leaf_ring_size : 4096;
	if (cfg->leaf_bytes && (cfg->leaf_bytes < cfg->scfg.seg ||
				nleafr > BYZ_DP_LEAF_RINGS_MAX || !rte_is_power_of_2(lsz)))
		goto fail;
	e = -ENOMEM;
	dp = rte_zmalloc("byz_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (!dp)
		goto fail;
	dp->cfg = *cfg;
	if (!dp->cfg.udp_port)
		dp->cfg.udp_port = BYZ_UDP_PORT;
	uint16_t n = cfg->n_peers;
	dp->def = rte_zmalloc("byz_roster", sizeof(*dp->def), RTE_CACHE_LINE_SIZE);
	dp->txq = rte_zmalloc("byz_txq", n * sizeof(*dp->txq), RTE_CACHE_LINE_SIZE);
	dp->addr = rte_zmalloc("byz_addr", n * sizeof(*dp->addr), RTE_CACHE_LINE_SIZE);
	dp->arp = rte_zmalloc("byz_arp", sizeof(*dp->arp), RTE_CACHE_LINE_SIZE);
	dp->nh = rte_zmalloc("byz_nh", n * sizeof(*dp->nh), RTE_CACHE_LINE_SIZE);
	dp->dyn = rte_zmalloc("byz_dyn", n, RTE_CACHE_LINE_SIZE);
	if (!dp->def || !dp->txq || !dp->addr || !dp->arp || !dp->nh || !dp->dyn)
		goto fail;
	if (cfg->auth) {
		/* picks libsodium's SIMD Poly1305/ChaCha20; idempotent */
		if (sodium_init() < 0) {
			e = -EIO;
			goto fail;
		}
		dp->key = rte_zmalloc("byz_key", n * sizeof(*dp->key), RTE_CACHE_LINE_SIZE);
		if (!dp->key)
			goto fail;
	}
	byz_arp_init(dp->arp, NULL, &dp->st.arp);
	dp->def->n = n;
	for (uint16_t i = 0; i < n; i++)
		dp->def->ip[i] = byz_dp_peer_ip(i);
	dp->roster = dp->published = dp->def;
	for (int k = 0; k < NK; k++) {
		dp->tx[k] = rte_zmalloc("byz_tx", n * sizeof(struct dp_tx), RTE_CACHE_LINE_SIZE);
		dp->rx[k] = rte_zmalloc("byz_rx", n * sizeof(struct dp_rx), RTE_CACHE_LINE_SIZE);
		if (!dp->tx[k] || !dp->rx[k])
			goto fail;
		for (uint16_t i = 0; i < n; i++) {
			if (i == cfg->self)
				continue;
			dp->tx[k][i].s = byz_tx_stream_create(cfg->max_shard, &cfg->scfg, &e);
			dp->rx[k][i].s = byz_rx_stream_create(cfg->max_shard, &cfg->scfg, &e);
			if (!dp->tx[k][i].s || !dp->rx[k][i].s)
				goto fail;
			if (nleafr) {
				size_t nl = (cfg->max_shard + (size_t)cfg->leaf_bytes - 1) /
					    cfg->leaf_bytes;
				dp->rx[k][i].leaf_left = rte_zmalloc("byz_leaf", nl * sizeof(uint32_t), 0);
				if (!dp->rx[k][i].leaf_left)
					goto fail;
			}
		}
	}
	if (nleafr) {
		dp->leafq = rte_zmalloc("byz_leafq", nleafr * sizeof(*dp->leafq), RTE_CACHE_LINE_SIZE);
		if (!dp->leafq)
			goto fail;
		for (uint16_t r = 0; r < nleafr; r++) {
			snprintf(name, sizeof(name), "byzl%u_%u_%p", cfg->self, r, (void *)dp);
			dp->leaf[r] = rte_ring_create_elem(name, sizeof(struct byz_leaf_done), lsz,
							   SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!dp->leaf[r])
				goto fail;
			dp->n_leaf = (uint16_t)(r + 1);
		}
	}
	/* ring names are global in the EAL: make them unique per instance */
	snprintf(name, sizeof(name), "byzd%u_%p", cfg->self, (void *)dp);
	dp->done = rte_ring_create_elem(name, sizeof(struct byz_shard_done), dsz,
					SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "byzc%u_%p", cfg->self, (void *)dp);
	dp->ctrl = rte_ring_create_elem(name, sizeof(struct byz_ctrl_msg), csz,
					SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!dp->done || !dp->ctrl)
		goto fail;
	peer_mac(cfg->self, dp->addr[0].src_mac);
	for (uint16_t i = 0; i < n; i++) {
		struct byz_l2l3 *a = &dp->addr[i];
		peer_mac(cfg->self, a->src_mac);
		peer_mac(i, a->dst_mac);
		a->src_ip = byz_dp_peer_ip(cfg->self);
		a->dst_ip = byz_dp_peer_ip(i);
		a->dst_port = dp->cfg.udp_port;
		a->src_port = 49152;
	}
	dp->n_rx_port = 1;
	dp->rx_port[0] = cfg->port_id;
	dp->step = UINT32_MAX;
	byz_arp_set_self(dp->arp, dp->addr[0].src_ip, dp->addr[0].src_mac);
	neigh_rebuild(dp);
	return dp;
fail:
	byz_dp_free(dp);
	if (err)
		*err = e;
	return NULL;
}

void byz_dp_free(struct byz_dp *dp)
{
	if (!dp)
		return;
	for (int k = 0; k < NK; k++) {
		for (uint16_t i = 0; dp->tx[k] && i < dp->cfg.n_peers; i++)
			byz_tx_stream_free(dp->tx[k][i].s);
		for (uint16_t i = 0; dp->rx[k] && i < dp->cfg.n_peers; i++) {
			byz_rx_stream_free(dp->rx[k][i].s);
			rte_free(dp->rx[k][i].leaf_left);
		}
		rte_free(dp->tx[k]);
		rte_free(dp->rx[k]);
	}
	if (dp->txq)
		for (uint16_t i = 0; i < dp->cfg.n_peers; i++)
			rte_pktmbuf_free_bulk(dp->txq[i].m, dp->txq[i].n);
	if (dp->ctrl) {
		struct byz_ctrl_msg m;
		while (rte_ring_dequeue_elem(dp->ctrl, &m, sizeof(m)) == 0)
			rte_pktmbuf_free(m.m);
	}
	rte_ring_free(dp->done);
	rte_ring_free(dp->ctrl);
	for (uint16_t r = 0; r < dp->n_leaf; r++)
		rte_ring_free(dp->leaf[r]);
	rte_free(dp->leafq);
	rte_free(dp->txq);
	rte_free(dp->addr);
	rte_free(dp->route);
	rte_free(dp->arp);
	rte_free(dp->nh);
	rte_free(dp->dyn);
	if (dp->key) {
		sodium_memzero(dp->key, dp->cfg.n_peers * sizeof(*dp->key));
		rte_free(dp->key);
	}
	rte_free(dp->def);
	rte_free(dp);
}

int byz_dp_set_keys(struct byz_dp *dp, uint16_t peer, const struct byz_auth_keys *k,
		    uint64_t ctr0)
{
	if (!dp || !k || !dp->key || peer >= dp->cfg.n_peers || peer == dp->cfg.self)
		return -EINVAL;
	dp->key[peer].k = *k;
	dp->key[peer].ctr = ctr0;
	dp->key[peer].have = 1;
	return 0;
}

/*
 * Rebuild the neighbour table from the addresses as configured so far (set-up
 * only, so nothing learned is lost): static entries first, so that a next hop
 * with a configured MAC (a gateway that is also a peer) never goes to ARP.
 */
static void neigh_rebuild(struct byz_dp *dp)
{
	byz_arp_clear(dp->arp);
	for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
		dp->nh[i] = DP_NH_STATIC;
		if (i != dp->cfg.self && !dp->dyn[i])
			byz_arp_add_static(dp->arp, dp->addr[i].dst_ip, dp->addr[i].dst_mac);
	}
	for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
		uint32_t hop;
		if (i == dp->cfg.self || !dp->dyn[i])
			continue;
		int x = byz_arp_next_hop(dp->arp, dp->addr[i].dst_ip, &hop);
		if (!x)
			x = byz_arp_add_dynamic(dp->arp, hop);
		dp->nh[i] = x < 0 ? DP_NH_NONE : (int16_t)x;
	}
}

int byz_dp_set_addr(struct byz_dp *dp, uint16_t peer, uint32_t ip, const uint8_t mac[6],
		    uint16_t udp_port)
{
	if (!dp || peer >= dp->cfg.n_peers || (!mac && peer == dp->cfg.self) ||
	    (mac && (mac[0] & 1u)))
		return -EINVAL;
	/* the default roster is ours to change until the loop runs */
	dp->def->ip[peer] = ip;
	if (peer == dp->cfg.self) {
		/* our source fields go into every destination's template */
		for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
			dp->addr[i].src_ip = ip;
			memcpy(dp->addr[i].src_mac, mac, 6);
		}
		if (udp_port)
			dp->cfg.udp_port = udp_port;
		byz_arp_set_self(dp->arp, ip, mac);
		neigh_rebuild(dp);
		return 0;
	}
	dp->addr[peer].dst_ip = ip;
	dp->dyn[peer] = !mac;
	if (mac)
		memcpy(dp->addr[peer].dst_mac, mac, 6);
	if (udp_port)
		dp->addr[peer].dst_port = udp_port;
	neigh_rebuild(dp);
	return 0;
}

int byz_dp_set_subnet(struct byz_dp *dp, uint8_t prefix, uint32_t gateway)
{
	if (!dp)
		return -EINVAL;
	int r = byz_arp_set_subnet(dp->arp, prefix, gateway);
	if (!r)
		neigh_rebuild(dp);
	return r;
}

int byz_dp_neigh(const struct byz_dp *dp, uint16_t peer, uint8_t mac[6])
{
	if (!dp || !mac || peer >= dp->cfg.n_peers || peer == dp->cfg.self)
		return -EINVAL;
	int16_t nh = dp->nh[peer];
	if (nh == DP_NH_STATIC) {
		memcpy(mac, dp->addr[peer].dst_mac, 6);
		return 0;
	}
	if (nh == DP_NH_NONE)
		return -ENETUNREACH;
	const uint8_t *m = byz_arp_mac(dp->arp, nh);
	if (!m)
		return -EAGAIN;
	memcpy(mac, m, 6);
	return 0;
}

const struct byz_arp *byz_dp_arp(const struct byz_dp *dp)
{
	return dp->arp;
}

int byz_dp_publish_roster(struct byz_dp *dp, const struct byz_roster *r)
{
	const struct byz_roster *cur = __atomic_load_n(&dp->published, __ATOMIC_ACQUIRE);
	if (!r || r->n != dp->cfg.n_peers || r->epoch <= cur->epoch)
		return -EINVAL;
	__atomic_store_n(&dp->published, r, __ATOMIC_RELEASE);
	return 0;
}

uint32_t byz_dp_roster_epoch(const struct byz_dp *dp)
{
	return __atomic_load_n(&dp->epoch_seen, __ATOMIC_ACQUIRE);
}

void byz_dp_step_begin(struct byz_dp *dp, uint32_t step, uint64_t now)
{
	for (int k = 0; k < NK; k++)
		for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
			dp->tx[k][i].active = 0;
			dp->rx[k][i].armed = 0;
			dp->rx[k][i].notify = 0;
		}
	dp->notify_n = 0;
	dp->step = step;
	(void)now;
}

/* ------------------------------------------------------------- Leaves
 *
 * Each armed receiver keeps, per leaf, the number of its packets not yet
 * placed. A packet covers at most two leaves (leaf_bytes >= seg), and the
 * stream places each seq once per arming, so a count reaches zero exactly
 * once: that packet announces the leaf. Descriptors are staged per ring and
 * enqueued with one burst; leaf_flush() runs at the end of every RX burst
 * and before any done descriptor, so a shard's leaves precede its
 * completion and a drop is known when the done descriptor is built. */

static void leaf_arm(struct byz_dp *dp, struct dp_rx *x)
{
	uint64_t L = dp->cfg.leaf_bytes, seg = dp->cfg.scfg.seg;
	uint32_t nl = (uint32_t)((x->len + L - 1) / L);
	for (uint32_t l = 0; l < nl; l++) {
		uint64_t end = (uint64_t)(l + 1) * L < x->len ? (uint64_t)(l + 1) * L : x->len;
		x->leaf_left[l] = (uint32_t)((end - 1) / seg - (uint64_t)l * L / seg + 1);
	}
	x->leaf_lost = 0;
}

static void leaf_flush(struct byz_dp *dp)
{
	for (uint16_t r = 0; r < dp->n_leaf; r++) {
		struct dp_leafq *q = &dp->leafq[r];
		if (!q->n)
			continue;
		unsigned put = rte_ring_enqueue_burst_elem(dp->leaf[r], q->d, sizeof(q->d[0]),
							   q->n, NULL);
		dp->st.leaves += put;
		for (unsigned j = put; j < q->n; j++) {
			/* the consumer learns it from the shard's done descriptor */
			dp->rx[q->d[j].kind - 1][q->d[j].src].leaf_lost = 1;
			dp->st.leaf_full++;
		}
		q->n = 0;
	}
}

/* The packet of header @p h was placed in @p x (new, not a duplicate). */
static void leaf_on_pkt(struct byz_dp *dp, struct dp_rx *x, const struct byz_hdr *h)
{
	uint64_t L = dp->cfg.leaf_bytes, off = (uint64_t)h->seq * dp->cfg.scfg.seg;
	uint32_t l1 = (uint32_t)((off + h->payload_len - 1) / L);
	for (uint32_t l = (uint32_t)(off / L); l <= l1; l++) {
		if (--x->leaf_left[l])
			continue;
		uint16_t r = (uint16_t)((h->src + l) % dp->n_leaf);
		struct dp_leafq *q = &dp->leafq[r];
		uint64_t lo = (uint64_t)l * L;
		q->d[q->n++] = (struct byz_leaf_done){
			.buf = x->buf + lo, .len = (uint32_t)(x->len - lo < L ? x->len - lo : L),
			.leaf = l, .step = dp->step, .src = h->src, .part = x->part, .kind = h->kind,
		};
		if (q->n == BYZ_DP_BURST)
			leaf_flush(dp);
	}
}

static int kind_ok(uint8_t kind)
{
	return kind == BYZ_K_SCATTER || kind == BYZ_K_GATHER;
}

int byz_dp_send(struct byz_dp *dp, uint8_t kind, uint16_t dst, uint16_t part,
		const void *buf, uint32_t len, uint64_t now)
{
	if (!kind_ok(kind) || dst >= dp->cfg.n_peers || dst == dp->cfg.self)
		return -EINVAL;
	if (len > dp->cfg.max_shard)
		return -ERANGE;
	struct dp_tx *t = &dp->tx[kind - 1][dst];
	int r = byz_tx_stream_start(t->s, buf, len, now);
	if (r)
		return r;
	t->buf = buf;
	t->len = len;
	t->part = part;
	t->active = 1;
	return 0;
}

int byz_dp_expect(struct byz_dp *dp, uint8_t kind, uint16_t src, uint16_t part,
		  void *buf, uint32_t len, uint64_t now)
{
	if (!kind_ok(kind) || src >= dp->cfg.n_peers || src == dp->cfg.self)
		return -EINVAL;
	if (len > dp->cfg.max_shard)
		return -ERANGE;
	struct dp_rx *x = &dp->rx[kind - 1][src];
	int r = byz_rx_stream_start(x->s, buf, len, now);
	if (r)
		return r;
	x->buf = buf;
	x->len = len;
	x->part = part;
	x->armed = 1;
	x->notify = 0;
	if (x->leaf_left)
		leaf_arm(dp, x);
	return 0;
}

/* ----------------------------------------------------------------- TX */

static void txq_port(const struct byz_dp *dp, uint16_t dst, uint16_t *port, uint16_t *qid)
{
	*qid = dp->cfg.tx_queue_per_peer ? dst : 0;
	*port = dp->cfg.port_id;
	if (dp->route) {
		*port = dp->route[dst].port;
		*qid = dp->route[dst].queue;
	}
}

static void txq_flush(struct byz_dp *dp, uint16_t dst)
{
	struct dp_txq *q = &dp->txq[dst];
	if (!q->n)
		return;
	uint16_t qid, port;
	txq_port(dp, dst, &port, &qid);
	uint16_t sent = rte_eth_tx_burst(port, qid, q->m, q->n);
	dp->st.tx_frames += sent;
	for (uint16_t i = 0; i < sent; i++)
		dp->st.tx_bytes += rte_pktmbuf_pkt_len(q->m[i]);
	if (sent < q->n) {
		/* a full ring or NIC queue is loss: the streams repair it */
		dp->st.tx_full += (uint64_t)(q->n - sent);
		if (dp->st.tx_full_dst != dst) {
			dp->st.tx_full_spread++;
			dp->st.tx_full_dst = dst;
		}
		rte_pktmbuf_free_bulk(q->m + sent, q->n - sent);
	}
	q->n = 0;
}

/* Build a frame into a fresh mbuf queued for @p dst. */
static int tx_frame(struct byz_dp *dp, uint16_t dst, const struct byz_hdr *h,
		    const void *payload, uint32_t plen, uint16_t sport)
{
	struct byz_l2l3 a = dp->addr[dst];
	a.src_port = sport;
	if (dp->nh[dst] != DP_NH_STATIC) {
		const uint8_t *mac = dp->nh[dst] >= 0 ? byz_arp_mac(dp->arp, dp->nh[dst]) : NULL;
		if (!mac) {
			/* dropped, not queued: see DESIGN */
			dp->st.arp.tx_unresolved++;
			return -EHOSTUNREACH;
		}
		memcpy(a.dst_mac, mac, 6);
	}
	struct dp_key *key = NULL;
	if (dp->key) {
		key = &dp->key[dst];
		if (!key->have) {
			dp->st.tx_nokey++;
			return -ENOKEY;
		}
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->cfg.pool);
	if (!m) {
		dp->st.alloc_fail++;
		return -ENOBUFS;
	}
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct byz_hdr hc;
	if (key) {
		/* every frame, retransmissions included, takes a fresh counter */
		hc = *h;
		hc.ctr = key->ctr++;
		h = &hc;
	}
	int n = byz_frame_build(d, rte_pktmbuf_tailroom(m), &a, h, payload, plen);
	if (n < 0) {
		rte_pktmbuf_free(m);
		return n;
	}
	if (key)
		byz_frame_seal(d, (size_t)n, key->k.tx);
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	struct dp_txq *q = &dp->txq[dst];
	q->m[q->n++] = m;
	if (q->n == BYZ_DP_BURST)
		txq_flush(dp, dst);
	return 0;
}

/* ---------------------------------------------------------------- ARP */

static void arp_queue(struct byz_dp *dp, uint16_t dst, const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->cfg.pool);
	if (!m) {
		dp->st.arp.tx_nobuf++;
		return;
	}
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	struct dp_txq *q = &dp->txq[dst];
	q->m[q->n++] = m;
	if (q->n == BYZ_DP_BURST)
		txq_flush(dp, dst);
}

/*
 * Send an ARP frame about @p ip through the TX queue of the peer that has
 * that address. Any other address (a gateway that is no peer, a requester we
 * do not know) goes out once on every distinct (port, queue): on a NIC that
 * is queue 0 and the switch does the rest; on the ring fabric, where a queue
 * per destination plays the switch, it is the broadcast.
 */
static void arp_emit(struct byz_dp *dp, const uint8_t *f, size_t len, uint32_t ip)
{
	uint16_t n = dp->cfg.n_peers;
	for (uint16_t i = 0; i < n; i++)
		if (i != dp->cfg.self && dp->addr[i].dst_ip == ip) {
			arp_queue(dp, i, f, len);
			return;
		}
	for (uint16_t i = 0; i < n; i++) {
		if (i == dp->cfg.self)
			continue;
		uint16_t p, q, pj, qj, j = 0;
		txq_port(dp, i, &p, &q);
		for (; j < i; j++) {
			if (j == dp->cfg.self)
				continue;
			txq_port(dp, j, &pj, &qj);
			if (pj == p && qj == q)
				break;
		}
		if (j == i)
			arp_queue(dp, i, f, len);
	}
}

static void arp_rx(struct byz_dp *dp, const uint8_t *d, size_t len, uint64_t now)
{
	struct byz_arp_peer to;
	uint8_t f[BYZ_ARP_FRAME_TX];
	if (byz_arp_input(dp->arp, d, len, now, &to) == BYZ_ARP_DROP_NONE && to.ip &&
	    byz_arp_build_reply(dp->arp, &to, f, sizeof(f))) {
		dp->st.arp.rep_tx++;
		arp_emit(dp, f, sizeof(f), to.ip);
	}
}

static void arp_poll(struct byz_dp *dp, uint64_t now)
{
	uint16_t idx[BYZ_DP_BURST];
	uint8_t f[BYZ_ARP_FRAME_TX];
	unsigned k = byz_arp_poll(dp->arp, now, idx, BYZ_DP_BURST);
	for (unsigned i = 0; i < k; i++)
		if (byz_arp_build_request(dp->arp, idx[i], f, sizeof(f)))
			arp_emit(dp, f, sizeof(f), dp->arp->e[idx[i]].ip);
}

static uint16_t stream_port(uint8_t kind, uint16_t part)
{
	/* source port entropy per stream for RSS and ECMP */
	return (uint16_t)(49152u + ((unsigned)kind << 12) + (part & 0xfffu));
}

static void hdr_init(struct byz_dp *dp, struct byz_hdr *h, uint8_t type, uint8_t kind,
		     uint16_t dst, uint16_t part, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->version = BYZ_FRAME_VERSION;
	h->type = type;
	h->kind = kind;
	h->src = dp->cfg.self;
	h->dst = dst;
	h->session = dp->cfg.session;
	h->step = dp->step;
	h->part = part;
	h->ts = now;
}

static unsigned tx_streams(struct byz_dp *dp, uint64_t now)
{
	unsigned sent = 0;
	for (int k = 0; k < NK; k++) {
		for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
			struct dp_tx *t = &dp->tx[k][i];
			if (t->active) {
				struct byz_tx_pkt p;
				unsigned n = 0;
				while (n < BYZ_DP_BURST && byz_tx_stream_next(t->s, now, &p)) {
					struct byz_hdr h;
					hdr_init(dp, &h, BYZ_T_DATA, (uint8_t)(k + 1), i, t->part, now);
					h.flags = p.flags;
					h.seq = p.seq;
					h.aux = t->len;
					if (tx_frame(dp, i, &h, t->buf + p.off, p.len,
						     stream_port((uint8_t)(k + 1), t->part)))
						break; /* the packet counts as sent: RTO repairs it */
					n++;
				}
				sent += n;
			}
			struct dp_rx *x = &dp->rx[k][i];
			if (x->armed) {
				struct byz_rx_ctrl c;
				while (byz_rx_stream_poll(x->s, now, &c)) {
					struct byz_hdr h;
					uint8_t pl[4 * BYZ_NACK_MAX];
					uint32_t plen;
					hdr_init(dp, &h, c.type, (uint8_t)(k + 1), i, x->part, now);
					h.flags = c.flags;
					h.ts_echo = c.ts_echo;
					if (c.type == BYZ_T_SACK) {
						byz_sack_encode(pl, &c.sack);
						plen = BYZ_SACK_LEN;
					} else {
						for (uint32_t j = 0; j < c.nack_n; j++)
							byz_le32_put(pl + 4 * j, c.nack[j]);
						plen = 4 * c.nack_n;
					}
					if (!tx_frame(dp, i, &h, pl, plen,
						      stream_port((uint8_t)(k + 1), x->part)))
						sent++;
				}
			}
		}
	}
	return sent;
}

int byz_dp_send_control(struct byz_dp *dp, uint16_t dst, const void *p,
			uint32_t len, uint64_t now)
{
	if (dst >= dp->cfg.n_peers || dst == dp->cfg.self || !p || !len)
		return -EINVAL;
	if (len > BYZ_CONTROL_MAX)
		return -ERANGE;
	struct byz_hdr h;
	hdr_init(dp, &h, BYZ_T_CONTROL, BYZ_K_NONE, dst, 0, now);
	return tx_frame(dp, dst, &h, p, len, 49152);
}

int byz_dp_probe(struct byz_dp *dp, uint16_t dst, uint64_t now)
{
	if (dst >= dp->cfg.n_peers || dst == dp->cfg.self)
		return -EINVAL;
	struct byz_hdr h;
	hdr_init(dp, &h, BYZ_T_PROBE, BYZ_K_NONE, dst, 0, now);
	return tx_frame(dp, dst, &h, NULL, 0, 49152);
}

/* ----------------------------------------------------------------- RX */

static void notify_done(struct byz_dp *dp, uint8_t kind, uint16_t src)
{
	struct dp_rx *x = &dp->rx[kind - 1][src];
	if (dp->n_leaf)
		leaf_flush(dp);
	struct byz_shard_done d = {
		.buf = x->buf, .len = x->len, .step = dp->step, .src = src,
		.part = x->part, .kind = kind, .flags = x->leaf_lost ? BYZ_DONE_F_LEAF_LOST : 0,
	};
	if (rte_ring_enqueue_elem(dp->done, &d, sizeof(d)) == 0) {
		if (x->notify) {
			x->notify = 0;
			dp->notify_n--;
		}
	} else if (!x->notify) {
		x->notify = 1; /* retried every turn: a completion is never lost */
		dp->notify_n++;
	}
}

/* @return 1 if the mbuf was handed off (not to be freed) */
static int rx_frame(struct byz_dp *dp, struct rte_mbuf *m, uint64_t now)
{
	struct byz_frame_view v;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	if (rte_pktmbuf_data_len(m) >= BYZ_ETH_HLEN && d[12] == 0x08 && d[13] == 0x06) {
		arp_rx(dp, d, rte_pktmbuf_data_len(m), now);
		return 0;
	}
	enum byz_drop why = byz_frame_parse(d, rte_pktmbuf_data_len(m), dp->cfg.udp_port, &v);
	if (why) {
		dp->st.drop[why]++;
		return 0;
	}
	const struct byz_hdr *h = &v.h;
	const struct byz_roster *r = dp->roster;
	if (h->src >= r->n) {
		dp->st.drop_unknown++;
		return 0;
	}
	if ((r->banned[h->src >> 6] >> (h->src & 63)) & 1u) {
		dp->st.drop_banned++;
		return 0;
	}
	if (v.src_ip != r->ip[h->src]) {
		dp->st.drop_spoof++;
		return 0;
	}
	if (h->dst != dp->cfg.self) {
		dp->st.drop_dst++;
		return 0;
	}
	/* Another session (another run, or this run under another leaf hash:
	 * byz_leaf_run_id) is dropped before the tag, whose keys are bound to
	 * our run id and could not verify it anyway. Only the per-source note
	 * that reports mixed runs is written, and a forger can at most make
	 * that report wrong: nothing is judged on it. */
	if (h->session != dp->cfg.session) {
		dp->st.drop_session++;
		dp->st.drop_session_src[h->src] = h->session; /* h->src < r->n, checked above */
		return 0;
	}
	/* before anything stateful: a forged frame must not reach a stream,
	 * the channel or the probe echo */
	if (dp->key && (!dp->key[h->src].have ||
			byz_frame_verify(d + BYZ_HDR_OFF, h->payload_len, dp->key[h->src].k.rx))) {
		dp->st.drop_auth++;
		return 0;
	}
	dp->st.rx_frames++;
	dp->st.rx_bytes += rte_pktmbuf_data_len(m);
	if (h->type == BYZ_T_CONTROL) {
		struct byz_ctrl_msg c = {.m = m, .data = v.payload, .len = h->payload_len,
					 .step = h->step, .src = h->src};
		if (rte_ring_enqueue_elem(dp->ctrl, &c, sizeof(c)) == 0) {
			dp->st.ctrl_rx++;
			return 1;
		}
		dp->st.ctrl_full++;
		return 0;
	}
	if (h->type == BYZ_T_PROBE) {
		dp->st.probes_rx++;
		if (h->flags & BYZ_F_REPLY) {
			if (h->ts_echo && h->ts_echo <= now)
				dp->st.rtt_ns_last = now - h->ts_echo;
		} else {
			struct byz_hdr rh;
			hdr_init(dp, &rh, BYZ_T_PROBE, BYZ_K_NONE, h->src, 0, now);
			rh.flags = BYZ_F_REPLY;
			rh.ts_echo = h->ts;
			tx_frame(dp, h->src, &rh, NULL, 0, 49152);
		}
		return 0;
	}
	if (h->step != dp->step) {
		dp->st.drop_step++;
		return 0;
	}
	uint8_t k = (uint8_t)(h->kind - 1);
	if (h->type == BYZ_T_DATA) {
		struct dp_rx *x = &dp->rx[k][h->src];
		if (!x->armed || x->part != h->part) {
			dp->st.drop_nostream++;
			return 0;
		}
		uint32_t held = byz_rx_stream_held(x->s);
		int rr = byz_rx_stream_on_data(x->s, h->seq, v.payload, h->payload_len,
					       h->aux, h->ts, now);
		if (rr < 0)
			dp->st.data_bad++;
		else if (x->leaf_left && byz_rx_stream_held(x->s) != held)
			leaf_on_pkt(dp, x, h); /* a new packet, not a duplicate */
		if (rr == 1)
			notify_done(dp, h->kind, h->src);
		return 0;
	}
	struct dp_tx *t = &dp->tx[k][h->src];
	if (!t->active || t->part != h->part) {
		dp->st.drop_nostream++;
		return 0;
	}
	int rr;
	if (h->type == BYZ_T_SACK) {
		struct byz_sack s;
		byz_sack_decode(v.payload, &s);
		dp->st.sacks_rx++;
		rr = byz_tx_stream_on_sack(t->s, &s, h->ts_echo, now);
	} else {
		uint32_t seqs[BYZ_NACK_MAX], n = h->payload_len / 4u;
		for (uint32_t j = 0; j < n; j++)
			seqs[j] = byz_le32_get(v.payload + 4 * j);
		dp->st.nacks_rx++;
		rr = byz_tx_stream_on_nack(t->s, seqs, n, now);
	}
	if (rr < 0)
		dp->st.ctrl_bad++;
	return 0;
}

unsigned byz_dp_poll(struct byz_dp *dp, uint64_t now)
{
	const struct byz_roster *pub = __atomic_load_n(&dp->published, __ATOMIC_ACQUIRE);
	if (pub != dp->roster) {
		dp->roster = pub;
		__atomic_store_n(&dp->epoch_seen, pub->epoch, __ATOMIC_RELEASE);
	}
	unsigned work = 0;
	struct rte_mbuf *pkts[BYZ_DP_BURST], *dead[BYZ_DP_BURST];
	/* up to 4 rounds over the RX ports (one port unless routes were set) */
	for (int b = 0; b < 4; b++) {
		int full = 0;
		for (uint16_t pi = 0; pi < dp->n_rx_port; pi++) {
			uint16_t nb = rte_eth_rx_burst(dp->rx_port[pi], 0, pkts, BYZ_DP_BURST);
			unsigned nd = 0;
			for (uint16_t i = 0; i < nb; i++) {
				if (i + 1 < nb)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				if (!rx_frame(dp, pkts[i], now))
					dead[nd++] = pkts[i];
			}
			rte_pktmbuf_free_bulk(dead, nd);
			if (dp->n_leaf)
				leaf_flush(dp);
			work += nb;
			full |= nb == BYZ_DP_BURST;
		}
		if (!full)
			break;
	}
	if (dp->notify_n)
		for (int k = 0; k < NK; k++)
			for (uint16_t i = 0; i < dp->cfg.n_peers; i++)
				if (dp->rx[k][i].notify)
					notify_done(dp, (uint8_t)(k + 1), i);
	arp_poll(dp, now);
	work += tx_streams(dp, now);
	for (uint16_t i = 0; i < dp->cfg.n_peers; i++)
		txq_flush(dp, i);
	return work;
}

void byz_dp_loop(struct byz_dp *dp, volatile int *stop, int polite)
{
	unsigned idle = 0;
	while (!*stop) {
		if (byz_dp_poll(dp, byz_dp_now_ns())) {
			idle = 0;
			continue;
		}
		if (!polite)
			continue;
		/* Polite poll: spin briefly, then yield the core to peers with work. */
		if (++idle > 1024)
			usleep(50);
		else if (idle > 64)
			rte_pause();
	}
}

int byz_dp_set_route(struct byz_dp *dp, uint16_t dst, uint16_t port, uint16_t queue)
{
	if (!dp || dst >= dp->cfg.n_peers || dst == dp->cfg.self || !rte_eth_dev_is_valid_port(port))
		return -EINVAL;
	if (!dp->route) {
		dp->route = rte_zmalloc("byz_route", dp->cfg.n_peers * sizeof(*dp->route), 0);
		if (!dp->route)
			return -ENOMEM;
		for (uint16_t i = 0; i < dp->cfg.n_peers; i++) {
			dp->route[i].port = dp->cfg.port_id;
			dp->route[i].queue = dp->cfg.tx_queue_per_peer ? i : 0;
		}
	}
	dp->route[dst].port = port;
	dp->route[dst].queue = queue;
	uint16_t k = 0;
	while (k < dp->n_rx_port && dp->rx_port[k] != port)
		k++;
	if (k == dp->n_rx_port)
		dp->rx_port[dp->n_rx_port++] = port;
	return 0;
}

struct rte_ring *byz_dp_done_ring(struct byz_dp *dp)
{
	return dp->done;
}

struct rte_ring *byz_dp_leaf_ring(struct byz_dp *dp, unsigned i)
{
	return i < dp->n_leaf ? dp->leaf[i] : NULL;
}

struct rte_ring *byz_dp_ctrl_ring(struct byz_dp *dp)
{
	return dp->ctrl;
}

void byz_dp_ctrl_free(struct byz_ctrl_msg *m)
{
	if (m && m->m) {
		rte_pktmbuf_free(m->m);
		m->m = NULL;
	}
}

const struct byz_dp_stats *byz_dp_stats(const struct byz_dp *dp)
{
	return &dp->st;
}

enum byz_stream_state byz_dp_tx_state(const struct byz_dp *dp, uint8_t kind,
				      uint16_t peer)
{
	if (!kind_ok(kind) || peer >= dp->cfg.n_peers || !dp->tx[kind - 1][peer].active)
		return BYZ_ST_IDLE;
	return byz_tx_stream_state(dp->tx[kind - 1][peer].s);
}

const struct byz_tx_stream *byz_dp_tx_stream(const struct byz_dp *dp, uint8_t kind,
					     uint16_t peer)
{
	if (!kind_ok(kind) || peer >= dp->cfg.n_peers)
		return NULL;
	return dp->tx[kind - 1][peer].s;
}

const struct byz_rx_stream *byz_dp_rx_stream(const struct byz_dp *dp, uint8_t kind,
					     uint16_t peer)
{
	if (!kind_ok(kind) || peer >= dp->cfg.n_peers)
		return NULL;
	return dp->rx[kind - 1][peer].s;
}
