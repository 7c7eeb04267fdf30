/*
 * DESIGN: the neighbour table (byz/arp.h), sans-IO.
 *
 * Entries are created only by configuration: static ones from configured
 * MACs, dynamic ones for the next hops of peers without a MAC. The wire can
 * fill in a dynamic entry's MAC, and only after we asked: that keeps the
 * table's size fixed and makes a forged reply useful to an attacker only in
 * the window of a request it also sees (the same exposure any ARP has; the
 * dataplane's integrity and authenticity never rest on it). The frames that
 * move after a wrong answer still carry our CRCs and signed payloads.
 *
 * Timers are absolute times in each entry; next_due caches the earliest, so
 * the poll loop pays a compare per turn while nothing is due. Budgets are
 * token buckets counted in nanoseconds of credit, exact at any poll rate.
 */
#include <errno.h>
#include <string.h>

#include "byz/arp.h"

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void bucket_init(struct byz_arp_bucket *b, uint32_t per_s, uint32_t burst)
{
	b->cost = 1000000000ull / per_s;
	if (!b->cost)
		b->cost = 1;
	b->cap = b->cost * burst;
	b->credit = b->cap;
	b->last = 0;
}

static int bucket_take(struct byz_arp_bucket *b, uint64_t now)
{
	if (now > b->last) {
		uint64_t dt = now - b->last;
		b->credit = dt >= b->cap - b->credit ? b->cap : b->credit + dt;
		b->last = now;
	}
	if (b->credit < b->cost)
		return 0;
	b->credit -= b->cost;
	return 1;
}

void byz_arp_init(struct byz_arp *a, const struct byz_arp_cfg *c, struct byz_arp_stats *st)
{
	memset(a, 0, sizeof(*a));
	if (c)
		a->cfg = *c;
	struct byz_arp_cfg *g = &a->cfg;
	if (!g->reachable_ns)
		g->reachable_ns = 60000000000ull;
	if (!g->retry_ns)
		g->retry_ns = 50000000ull;
	if (g->retry_ns > 3600000000000ull) /* the backoff shift cannot overflow */
		g->retry_ns = 3600000000000ull;
	if (!g->holddown_ns)
		g->holddown_ns = 2000000000ull;
	if (!g->retries)
		g->retries = 6;
	if (g->retries > 255) /* tries is a byte */
		g->retries = 255;
	if (!g->req_per_s)
		g->req_per_s = 200;
	if (!g->reply_per_s)
		g->reply_per_s = 1000;
	if (!g->burst)
		g->burst = 128;
	bucket_init(&a->req, g->req_per_s, g->burst);
	bucket_init(&a->rep, g->reply_per_s, g->burst);
	a->st = st ? st : &a->own;
	a->next_due = UINT64_MAX;
}

void byz_arp_set_self(struct byz_arp *a, uint32_t ip, const uint8_t mac[6])
{
	a->ip = ip;
	memcpy(a->mac, mac, 6);
}

static int ip_special(uint32_t ip)
{
	/* 0.0.0.0, multicast, reserved and limited broadcast: never a neighbour */
	return ip == 0 || ip >= 0xe0000000u;
}

int byz_arp_set_subnet(struct byz_arp *a, uint8_t prefix, uint32_t gateway)
{
	if (prefix > 32 || (gateway && ip_special(gateway)))
		return -EINVAL;
	a->prefix = prefix;
	a->gateway = gateway;
	return 0;
}

static int on_link(const struct byz_arp *a, uint32_t ip)
{
	uint32_t mask = a->prefix ? ~0u << (32 - a->prefix) : 0;
	return ((ip ^ a->ip) & mask) == 0;
}

int byz_arp_next_hop(const struct byz_arp *a, uint32_t ip, uint32_t *hop)
{
	if (on_link(a, ip)) {
		*hop = ip;
		return 0;
	}
	if (!a->gateway || !on_link(a, a->gateway))
		return -ENETUNREACH;
	*hop = a->gateway;
	return 0;
}

void byz_arp_clear(struct byz_arp *a)
{
	memset(a->e, 0, sizeof(a->e));
	a->n = 0;
	a->n_dynamic = 0;
	a->next_due = UINT64_MAX;
}

int byz_arp_find(const struct byz_arp *a, uint32_t ip)
{
	for (uint16_t i = 0; i < a->n; i++)
		if (a->e[i].ip == ip)
			return i;
	return -ENOENT;
}

static int mac_bad(const uint8_t mac[6])
{
	return (mac[0] & 1u) || !memcmp(mac, zero6, 6);
}

int byz_arp_add_static(struct byz_arp *a, uint32_t ip, const uint8_t mac[6])
{
	if (!ip || !mac || mac_bad(mac))
		return -EINVAL;
	int i = byz_arp_find(a, ip);
	if (i < 0) {
		if (a->n >= BYZ_ARP_NEIGH_MAX)
			return -ENOSPC;
		i = a->n++;
	} else if (a->e[i].state != BYZ_ARP_STATIC) {
		a->n_dynamic--;
	}
	struct byz_arp_entry *e = &a->e[i];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	memcpy(e->mac, mac, 6);
	e->state = BYZ_ARP_STATIC;
	return i;
}

int byz_arp_add_dynamic(struct byz_arp *a, uint32_t ip)
{
	if (!ip)
		return -EINVAL;
	int i = byz_arp_find(a, ip);
	if (i >= 0)
		return i;
	if (a->n >= BYZ_ARP_NEIGH_MAX)
		return -ENOSPC;
	i = a->n++;
	struct byz_arp_entry *e = &a->e[i];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->state = BYZ_ARP_INCOMPLETE; /* next_tx 0: asked at the first poll */
	a->n_dynamic++;
	a->next_due = 0;
	return i;
}

static enum byz_arp_drop drop(struct byz_arp *a, enum byz_arp_drop why)
{
	a->st->drop[why]++;
	return why;
}

enum byz_arp_drop byz_arp_input(struct byz_arp *a, const uint8_t *f, size_t len, uint64_t now,
				struct byz_arp_peer *reply)
{
	reply->ip = 0;
	/* every length and type first: nothing past f + len is read */
	if (len < BYZ_ARP_FRAME_LEN)
		return drop(a, BYZ_ARP_DROP_SHORT);
	if (be16(f + 12) != BYZ_ETHERTYPE_ARP)
		return drop(a, BYZ_ARP_DROP_ETHERTYPE);
	const uint8_t *p = f + 14;
	if (be16(p) != 1)
		return drop(a, BYZ_ARP_DROP_HTYPE);
	if (be16(p + 2) != BYZ_ETHERTYPE_IPV4)
		return drop(a, BYZ_ARP_DROP_PTYPE);
	if (p[4] != 6)
		return drop(a, BYZ_ARP_DROP_HLEN);
	if (p[5] != 4)
		return drop(a, BYZ_ARP_DROP_PLEN);
	uint16_t op = be16(p + 6);
	if (op != BYZ_ARP_OP_REQUEST && op != BYZ_ARP_OP_REPLY)
		return drop(a, BYZ_ARP_DROP_OPCODE);
	const uint8_t *sha = p + 8, *tha = p + 18, *eth_dst = f, *eth_src = f + 6;
	uint32_t spa = be32(p + 14), tpa = be32(p + 24);
	if (mac_bad(sha) || memcmp(sha, eth_src, 6))
		return drop(a, BYZ_ARP_DROP_SHA);
	if (ip_special(spa) || !on_link(a, spa))
		return drop(a, BYZ_ARP_DROP_SPA);
	if (!memcmp(sha, a->mac, 6) || spa == a->ip)
		return drop(a, BYZ_ARP_DROP_SELF);
	if (!a->ip || tpa != a->ip ||
	    (memcmp(eth_dst, a->mac, 6) && memcmp(eth_dst, bcast, 6)))
		return drop(a, BYZ_ARP_DROP_NOT_US);
	if (op == BYZ_ARP_OP_REQUEST) {
		if (!bucket_take(&a->rep, now))
			return drop(a, BYZ_ARP_DROP_RATE);
		a->st->req_rx++;
		reply->ip = spa;
		memcpy(reply->mac, sha, 6);
		return BYZ_ARP_DROP_NONE;
	}
	if (memcmp(tha, a->mac, 6))
		return drop(a, BYZ_ARP_DROP_NOT_US);
	int i = byz_arp_find(a, spa);
	if (i < 0)
		return drop(a, BYZ_ARP_DROP_UNSOLICITED);
	struct byz_arp_entry *e = &a->e[i];
	if (e->state == BYZ_ARP_STATIC)
		return drop(a, BYZ_ARP_DROP_STATIC);
	if (!e->asked)
		return drop(a, BYZ_ARP_DROP_UNSOLICITED);
	if (e->state == BYZ_ARP_REACHABLE && memcmp(e->mac, sha, 6))
		a->st->changed++;
	memcpy(e->mac, sha, 6);
	e->state = BYZ_ARP_REACHABLE;
	e->tries = 0;
	e->asked = 0;
	e->expires = now + a->cfg.reachable_ns;
	/* refresh starts in the last quarter of the entry's life */
	e->next_tx = e->expires - a->cfg.reachable_ns / 4;
	if (e->next_tx < a->next_due)
		a->next_due = e->next_tx;
	a->st->rep_rx++;
	return BYZ_ARP_DROP_NONE;
}

/* Send the next request of a round, or end the round; returns 1 to send. */
static int entry_due(struct byz_arp *a, struct byz_arp_entry *e, uint64_t now)
{
	if (e->tries >= a->cfg.retries) {
		if (e->state == BYZ_ARP_REACHABLE)
			return 0; /* refresh round over: the entry lapses at expires */
		e->state = BYZ_ARP_FAILED;
		e->expires = now + a->cfg.holddown_ns;
		a->st->failed++;
		return 0;
	}
	if (!bucket_take(&a->req, now)) {
		/* try again when the bucket holds a token, not every turn */
		a->st->req_deferred++;
		e->next_tx = now + (a->req.cost - a->req.credit);
		return 0;
	}
	e->next_tx = now + (a->cfg.retry_ns << (e->tries < 16 ? e->tries : 16));
	e->tries++;
	e->asked = 1;
	a->st->req_tx++;
	return 1;
}

unsigned byz_arp_poll(struct byz_arp *a, uint64_t now, uint16_t *idx, unsigned max)
{
	if (now < a->next_due)
		return 0;
	unsigned k = 0;
	uint64_t due = UINT64_MAX;
	for (uint16_t i = 0; i < a->n; i++) {
		struct byz_arp_entry *e = &a->e[i];
		if (e->state == BYZ_ARP_STATIC)
			continue;
		if (e->state == BYZ_ARP_REACHABLE && now >= e->expires) {
			e->state = BYZ_ARP_INCOMPLETE;
			e->tries = 0;
			e->next_tx = now;
			a->st->expired++;
		} else if (e->state == BYZ_ARP_FAILED && now >= e->expires) {
			e->state = BYZ_ARP_INCOMPLETE;
			e->tries = 0;
			e->next_tx = now;
		}
		if (e->state != BYZ_ARP_FAILED && now >= e->next_tx && k < max &&
		    entry_due(a, e, now))
			idx[k++] = i;
		/* the earliest thing this entry waits for */
		uint64_t t = e->state == BYZ_ARP_FAILED ? e->expires : e->next_tx;
		if (e->state == BYZ_ARP_REACHABLE) {
			if (e->tries >= a->cfg.retries || e->expires < t)
				t = e->expires;
		} else if (e->state == BYZ_ARP_INCOMPLETE && now >= t) {
			t = now + 1; /* deferred by the budget or by max: next turn */
		}
		if (t < due)
			due = t;
	}
	a->next_due = due;
	return k;
}

size_t byz_arp_build(uint8_t *out, size_t cap, const uint8_t eth_dst[6], uint16_t op,
		     const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	if (!out || cap < BYZ_ARP_FRAME_TX)
		return 0;
	memset(out, 0, BYZ_ARP_FRAME_TX); /* the padding to 60 bytes is zero */
	memcpy(out, eth_dst, 6);
	memcpy(out + 6, sha, 6);
	put16(out + 12, BYZ_ETHERTYPE_ARP);
	uint8_t *p = out + 14;
	put16(p, 1);
	put16(p + 2, BYZ_ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	put32(p + 14, spa);
	memcpy(p + 18, tha, 6);
	put32(p + 24, tpa);
	return BYZ_ARP_FRAME_TX;
}

size_t byz_arp_build_request(const struct byz_arp *a, int idx, uint8_t *out, size_t cap)
{
	if (idx < 0 || idx >= a->n || a->e[idx].state == BYZ_ARP_STATIC)
		return 0;
	const struct byz_arp_entry *e = &a->e[idx];
	/* a refresh asks the known MAC directly (RFC 1122 unicast poll) */
	const uint8_t *dst = e->state == BYZ_ARP_REACHABLE ? e->mac : bcast;
	return byz_arp_build(out, cap, dst, BYZ_ARP_OP_REQUEST, a->mac, a->ip, zero6, e->ip);
}

size_t byz_arp_build_reply(const struct byz_arp *a, const struct byz_arp_peer *to,
			   uint8_t *out, size_t cap)
{
	return byz_arp_build(out, cap, to->mac, BYZ_ARP_OP_REPLY, a->mac, a->ip, to->mac, to->ip);
}

const char *byz_arp_drop_name(enum byz_arp_drop d)
{
	static const char *const n[BYZ_ARP_DROP_COUNT] = {
		[BYZ_ARP_DROP_NONE] = "none",
		[BYZ_ARP_DROP_SHORT] = "short",
		[BYZ_ARP_DROP_ETHERTYPE] = "ethertype",
		[BYZ_ARP_DROP_HTYPE] = "htype",
		[BYZ_ARP_DROP_PTYPE] = "ptype",
		[BYZ_ARP_DROP_HLEN] = "hlen",
		[BYZ_ARP_DROP_PLEN] = "plen",
		[BYZ_ARP_DROP_OPCODE] = "opcode",
		[BYZ_ARP_DROP_SHA] = "sha",
		[BYZ_ARP_DROP_SPA] = "spa",
		[BYZ_ARP_DROP_SELF] = "self",
		[BYZ_ARP_DROP_NOT_US] = "not-us",
		[BYZ_ARP_DROP_UNSOLICITED] = "unsolicited",
		[BYZ_ARP_DROP_STATIC] = "static",
		[BYZ_ARP_DROP_RATE] = "rate",
	};
	return (unsigned)d < BYZ_ARP_DROP_COUNT ? n[d] : "?";
}
