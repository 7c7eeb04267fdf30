/**
 * @file byz/arp.h
 * @brief The dataplane's neighbour table: static MACs from the
 * configuration, ARP (RFC 826) for next hops without one.
 *
 * The module is sans-IO, like byz/frame.h: it parses and builds frames in
 * plain byte buffers and keeps timers against a caller-given clock, so unit
 * tests drive it without DPDK. The dataplane (byz/dp.h) owns one table, calls
 * byz_arp_input() for every frame of ethertype ARP, byz_arp_poll() once per
 * loop turn, and byz_arp_mac() for every frame it sends to a peer that has
 * no static MAC.
 *
 * Rules, because every ARP frame is hostile input:
 *  - static entries always win: ARP never creates, changes or removes one;
 *  - an entry exists only for a next hop the configuration names (a peer on
 *    our subnet, or the gateway), so the table's size is fixed at set-up and
 *    no sender can grow it;
 *  - a reply is learned only for an entry that has a request out, from a
 *    sender whose Ethernet source is its ARP sender address; requests,
 *    gratuitous ARP and unsolicited replies never teach us anything;
 *  - requests for our own IP are answered, at most @c reply_per_s a second;
 *    requests we send are limited to @c req_per_s a second;
 *  - a learned entry lives @c reachable_ns; in its last quarter it is
 *    refreshed (unicast requests) while still used; an entry that does not
 *    answer @c retries requests (backoff doubling from @c retry_ns) is marked
 *    failed for @c holddown_ns, then tried again.
 *
 * Threads: one writer, the polling lcore. Memory: the table is an array
 * inside struct byz_arp; nothing is allocated after byz_arp_init().
 */
#ifndef BYZ_ARP_H
#define BYZ_ARP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BYZ_ETHERTYPE_IPV4 0x0800u
#define BYZ_ETHERTYPE_ARP  0x0806u
/** ARP body for Ethernet/IPv4: htype, ptype, hlen, plen, op, sha, spa, tha, tpa. */
#define BYZ_ARP_LEN        28u
/** Shortest ARP frame accepted: Ethernet header + ARP body (padding optional). */
#define BYZ_ARP_FRAME_LEN  (14u + BYZ_ARP_LEN)
/** Length of the frames we build: the Ethernet minimum without FCS. */
#define BYZ_ARP_FRAME_TX   60u
#define BYZ_ARP_OP_REQUEST 1u
#define BYZ_ARP_OP_REPLY   2u
/** Table capacity: one entry per peer plus the gateway, with room to spare. */
#define BYZ_ARP_NEIGH_MAX  128u

/** Why an ARP frame was dropped (or ignored). 0: accepted. */
enum byz_arp_drop {
	BYZ_ARP_DROP_NONE = 0,
	BYZ_ARP_DROP_SHORT,       /**< shorter than Ethernet + 28 bytes */
	BYZ_ARP_DROP_ETHERTYPE,   /**< not 0x0806 (the caller dispatched wrongly) */
	BYZ_ARP_DROP_HTYPE,       /**< hardware type not Ethernet (1) */
	BYZ_ARP_DROP_PTYPE,       /**< protocol type not IPv4 */
	BYZ_ARP_DROP_HLEN,        /**< hardware length not 6 */
	BYZ_ARP_DROP_PLEN,        /**< protocol length not 4 */
	BYZ_ARP_DROP_OPCODE,      /**< neither request nor reply */
	BYZ_ARP_DROP_SHA,         /**< sender MAC zero, multicast, or not the Ethernet source */
	BYZ_ARP_DROP_SPA,         /**< sender IP zero (probe), multicast, broadcast or off-subnet */
	BYZ_ARP_DROP_SELF,        /**< sender claims our MAC or our IP (loop or conflict) */
	BYZ_ARP_DROP_NOT_US,      /**< target IP/MAC or Ethernet destination not ours */
	BYZ_ARP_DROP_UNSOLICITED, /**< reply for an IP we did not ask about */
	BYZ_ARP_DROP_STATIC,      /**< reply for an IP with a static entry */
	BYZ_ARP_DROP_RATE,        /**< request for us over the reply budget */
	BYZ_ARP_DROP_COUNT
};

/** Counters (written by the polling lcore only). */
struct byz_arp_stats {
	uint64_t drop[BYZ_ARP_DROP_COUNT]; /**< by reason */
	uint64_t req_rx;        /**< requests for our IP accepted */
	uint64_t rep_rx;        /**< replies learned */
	uint64_t req_tx;        /**< requests sent */
	uint64_t rep_tx;        /**< replies sent */
	uint64_t req_deferred;  /**< requests held back by the request budget */
	uint64_t changed;       /**< a refresh brought a different MAC */
	uint64_t expired;       /**< learned entries that lapsed unanswered */
	uint64_t failed;        /**< request rounds that got no answer */
	uint64_t tx_unresolved; /**< frames not sent: next hop unresolved (dataplane) */
	uint64_t tx_nobuf;      /**< ARP frames not sent: mbuf pool empty (dataplane) */
};

/** Timers and budgets; 0 in any field takes the default shown. */
struct byz_arp_cfg {
	uint64_t reachable_ns; /**< life of a learned entry; 60 s */
	uint64_t retry_ns;     /**< first retry interval, doubling; 50 ms */
	uint64_t holddown_ns;  /**< pause after a failed round; 2 s */
	uint32_t retries;      /**< requests per round; 6 */
	uint32_t req_per_s;    /**< request budget; 200 */
	uint32_t reply_per_s;  /**< reply budget; 1000 */
	uint32_t burst;        /**< bucket depth of both budgets; 128 */
};

/** Entry states. */
enum byz_arp_state {
	BYZ_ARP_FREE = 0,
	BYZ_ARP_INCOMPLETE, /**< no MAC yet: requests go out */
	BYZ_ARP_REACHABLE,  /**< MAC learned, valid until expires */
	BYZ_ARP_FAILED,     /**< no answer: hold-down until expires */
	BYZ_ARP_STATIC,     /**< configured */
};

/** One neighbour. Fields are the module's; read them through the API. */
struct byz_arp_entry {
	uint32_t ip;       /**< host order */
	uint8_t mac[6];
	uint8_t state;     /**< enum byz_arp_state */
	uint8_t tries;     /**< requests sent in this round */
	uint8_t asked;     /**< a request is out: a reply is welcome */
	uint8_t pad[7];
	uint64_t expires;  /**< REACHABLE: end of life; FAILED: end of hold-down */
	uint64_t next_tx;  /**< when the next request may go */
};

/** A token bucket that counts in nanoseconds of credit. */
struct byz_arp_bucket {
	uint64_t credit, cost, cap, last;
};

/** The table. Embed or allocate it; initialise with byz_arp_init(). */
struct byz_arp {
	struct byz_arp_cfg cfg;
	uint32_t ip;              /**< ours, host order; 0: unset */
	uint32_t gateway;         /**< 0: none */
	uint8_t mac[6];           /**< ours */
	uint8_t prefix;           /**< our subnet's prefix length; 0: everything on-link */
	uint8_t pad;
	uint16_t n;               /**< entries in use (e[0..n-1]) */
	uint16_t n_dynamic;
	uint64_t next_due;        /**< earliest timer; byz_arp_poll() is a no-op before */
	struct byz_arp_bucket req, rep;
	struct byz_arp_stats *st; /**< where counters go */
	struct byz_arp_stats own; /**< used when byz_arp_init() got no stats */
	struct byz_arp_entry e[BYZ_ARP_NEIGH_MAX];
};

/** A peer to answer, filled by byz_arp_input(). ip == 0: no reply due. */
struct byz_arp_peer {
	uint32_t ip;
	uint8_t mac[6];
};

/**
 * @brief Initialise an empty table.
 * @param c   timers and budgets, NULL for the defaults
 * @param st  where counters go (e.g. inside struct byz_dp_stats), NULL: internal
 */
void byz_arp_init(struct byz_arp *a, const struct byz_arp_cfg *c, struct byz_arp_stats *st);

/** @brief Our IP (host order) and MAC: the addresses we answer for and send from. */
void byz_arp_set_self(struct byz_arp *a, uint32_t ip, const uint8_t mac[6]);

/**
 * @brief Our subnet and default gateway.
 * @param prefix  0..32; 0 puts every address on-link
 * @param gateway host order, 0 for none
 * @return 0; -EINVAL (prefix > 32, gateway multicast or broadcast)
 */
int byz_arp_set_subnet(struct byz_arp *a, uint8_t prefix, uint32_t gateway);

/**
 * @brief The next hop for @p ip: itself when on our subnet, else the gateway.
 * @return 0; -ENETUNREACH (off-subnet and no gateway, or a gateway off-subnet)
 */
int byz_arp_next_hop(const struct byz_arp *a, uint32_t ip, uint32_t *hop);

/** @brief Drop every entry (set-up only; counters, self and subnet stay). */
void byz_arp_clear(struct byz_arp *a);

/**
 * @brief Add or overwrite a static entry.
 * @return its index; -EINVAL (ip 0, MAC zero or multicast); -ENOSPC
 */
int byz_arp_add_static(struct byz_arp *a, uint32_t ip, const uint8_t mac[6]);

/**
 * @brief Ensure an entry for next hop @p ip exists, to be resolved by ARP
 * (at the first byz_arp_poll()). An existing entry, static or not, is kept.
 * @return its index; -EINVAL (ip 0); -ENOSPC
 */
int byz_arp_add_dynamic(struct byz_arp *a, uint32_t ip);

/** @brief Index of the entry for @p ip, or -ENOENT. */
int byz_arp_find(const struct byz_arp *a, uint32_t ip);

/**
 * @brief The MAC to send to for entry @p idx, or NULL while it is
 * unresolved. The hot-path check: one load and a compare.
 */
static inline const uint8_t *byz_arp_mac(const struct byz_arp *a, int idx)
{
	const struct byz_arp_entry *e = &a->e[idx];
	return e->state == BYZ_ARP_REACHABLE || e->state == BYZ_ARP_STATIC ? e->mac : NULL;
}

/**
 * @brief Handle one received frame of ethertype ARP.
 * @param frame  the whole Ethernet frame
 * @param len    its length (trailing padding allowed)
 * @param now    clock (ns)
 * @param reply  set to the requester when a reply is due (build it with
 *               byz_arp_build_reply()), else ip = 0
 * @return BYZ_ARP_DROP_NONE, or why the frame was dropped (also counted)
 */
enum byz_arp_drop byz_arp_input(struct byz_arp *a, const uint8_t *frame, size_t len,
				uint64_t now, struct byz_arp_peer *reply);

/**
 * @brief Run the timers: expire, retry, give up, refresh. Requests that are
 * due and within the budget are listed in @p idx (entry indices) for the
 * caller to send with byz_arp_build_request().
 * @return number of indices written (<= max)
 */
unsigned byz_arp_poll(struct byz_arp *a, uint64_t now, uint16_t *idx, unsigned max);

/**
 * @brief Build the request for entry @p idx: broadcast while it has no MAC,
 * unicast to the known MAC when refreshing.
 * @return BYZ_ARP_FRAME_TX, or 0 when @p cap is short or @p idx invalid
 */
size_t byz_arp_build_request(const struct byz_arp *a, int idx, uint8_t *out, size_t cap);

/** @brief Build our reply to @p to. @return BYZ_ARP_FRAME_TX or 0 (cap short). */
size_t byz_arp_build_reply(const struct byz_arp *a, const struct byz_arp_peer *to,
			   uint8_t *out, size_t cap);

/**
 * @brief Build any ARP frame (tests and tools that forge them).
 * @param eth_dst Ethernet destination; the Ethernet source is @p sha
 * @return BYZ_ARP_FRAME_TX or 0 (cap short)
 */
size_t byz_arp_build(uint8_t *out, size_t cap, const uint8_t eth_dst[6], uint16_t op,
		     const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/** @brief Short name of a drop reason ("hlen", "unsolicited", ...); never NULL. */
const char *byz_arp_drop_name(enum byz_arp_drop d);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_ARP_H */
