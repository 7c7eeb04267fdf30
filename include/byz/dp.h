/**
 * @file byz/dp.h
 * @brief The DPDK dataplane: EAL set-up, ports, and one peer's poll loop
 * moving reliable shard streams (byz/stream.h) over Ethernet/IPv4/UDP frames
 * (byz/frame.h).
 *
 * Threads: a struct byz_dp has one writer, the lcore (or test loop) that
 * calls byz_dp_poll(). Everything else meets it through rings: completed
 * shards, completed leaves (opt-in, for hashing workers) and CONTROL
 * payloads come out of rte_rings; the roster and ban list
 * go in by publishing a new immutable struct byz_roster (epoch swap).
 *
 * Memory: every stream, mbuf and ring is sized at byz_dp_create(); the poll
 * path allocates nothing but mbufs from the pool given at creation.
 */
#ifndef BYZ_DP_H
#define BYZ_DP_H

#include <stddef.h>
#include <stdint.h>

#include "byz/arp.h"
#include "byz/auth.h"
#include "byz/frame.h"
#include "byz/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;
struct rte_ring;
struct rte_mbuf;

/* ------------------------------------------------------------------ EAL */

/** What byz_eal_init() passes to rte_eal_init(). */
struct byz_eal_cfg {
	const char *lcores;       /**< "-l" list ("0", "0-1"); NULL: "0" */
	const char *lcore_map;    /**< "--lcores" map instead of -l, e.g. "(0-2)@(0-1)":
				       more lcores than CPUs, floating over a CPU set */
	unsigned mem_mb;          /**< "-m"; 0: 256 */
	int no_huge;              /**< add --no-huge (machines without hugepages) */
	int no_pci;               /**< add --no-pci (ring, memif and af_packet only) */
	const char *file_prefix;  /**< unique per process; NULL: "byz<pid>" */
	const char *vdevs[8];     /**< e.g. "net_ring0", "net_memif0,role=server" */
	const char *pci_allow[8]; /**< "-a" addresses */
	const char *log_level;    /**< NULL: "error" */
};

/**
 * @brief Initialise the EAL once per process (--no-shconf always).
 * @param c    configuration
 * @param why  NULL, or a buffer that receives a one-line reason on failure
 * @return 0; -EALREADY if already initialised; -EINVAL for a bad config;
 *         otherwise -rte_errno from rte_eal_init (an environment problem:
 *         no memory, no permissions)
 */
int byz_eal_init(const struct byz_eal_cfg *c, char *why, size_t whylen);

/** @brief rte_eal_cleanup() if byz_eal_init() succeeded. */
void byz_eal_cleanup(void);

/** @brief Monotonic nanoseconds from the TSC (after EAL init). */
uint64_t byz_dp_now_ns(void);

/* ---------------------------------------------------------------- ports */

/**
 * @brief A packet pool for frames up to @p mtu (IP MTU, <= BYZ_MTU_MAX).
 * @return the pool, or NULL (rte_errno set)
 */
struct rte_mempool *byz_dp_pool_create(const char *name, unsigned nb_mbufs,
				       unsigned mtu, int socket);
/**
 * @brief A packet pool whose mbufs have @p data_room bytes (headroom
 * included, <= 65535): for PMDs that need more room than the MTU (af_packet
 * wants its whole frame size).
 * @return the pool, or NULL (rte_errno set)
 */
struct rte_mempool *byz_dp_pool_create_room(const char *name, unsigned nb_mbufs,
					    unsigned data_room, int socket);

/** Largest fabric byz_ringnet_create() builds. */
#define BYZ_RINGNET_MAX 64u

/** An in-process fabric: n ring-backed ports; port i's TX queue j feeds
 * port j's RX ring, so a TX queue per destination plays the switch. */
struct byz_ringnet {
	uint16_t n;                   /**< rings created */
	uint16_t nports;              /**< ports created */
	uint16_t port[BYZ_RINGNET_MAX];
	struct rte_ring *ring[BYZ_RINGNET_MAX];
};

/**
 * @brief Create and start @p n ring ports named "<prefix><i>".
 * @param ring_size RX ring entries per port (power of two)
 * @return 0; -EINVAL; -ENOMEM; or a negative ethdev code
 */
int byz_ringnet_create(struct byz_ringnet *rn, const char *prefix, uint16_t n,
		       unsigned ring_size, struct rte_mempool *pool);

/** @brief Stop and close the ports and free the rings. */
void byz_ringnet_destroy(struct byz_ringnet *rn);

/* --------------------------------------------------------------- roster */

/** Who may send to us. Immutable once published; see byz_dp_publish_roster(). */
struct byz_roster {
	uint32_t epoch;                       /**< increases with every publication */
	uint16_t n;                           /**< peers 0..n-1 exist */
	uint32_t ip[BYZ_PEERS_MAX];           /**< expected source IPv4 (host order) */
	uint64_t banned[BYZ_PEERS_MAX / 64];  /**< bit i: drop everything from i */
};

/* ------------------------------------------------------------ the peer */

/** Burst size of every RX and TX call. */
#define BYZ_DP_BURST 32u

/** One peer's configuration. */
struct byz_dp_cfg {
	uint16_t self;            /**< our index */
	uint16_t n_peers;         /**< 2..BYZ_RINGNET_MAX */
	uint16_t port_id;
	int tx_queue_per_peer;    /**< 1: TX queue = destination (ring fabric); 0: queue 0 */
	struct rte_mempool *pool; /**< mbufs for TX (RX mbufs come from the port) */
	uint32_t session;         /**< run/session tag every frame must carry */
	uint32_t max_shard;       /**< largest part in bytes */
	struct byz_stream_cfg scfg;
	uint16_t udp_port;        /**< 0: BYZ_UDP_PORT */
	uint32_t done_ring_size;  /**< completed-shard ring (power of two); 0: 1024 */
	uint32_t ctrl_ring_size;  /**< control ring (power of two); 0: 256 */
	uint32_t leaf_bytes;      /**< 0: no leaf descriptors; else announce each completed
				       leaf of this many bytes (>= scfg.seg), see byz_dp_leaf_ring() */
	uint16_t leaf_rings;      /**< leaf rings, one per consumer (worker); 0: 1;
				       at most BYZ_DP_LEAF_RINGS_MAX */
	uint32_t leaf_ring_size;  /**< entries per leaf ring (power of two); 0: 4096 */
	int auth;                 /**< 1: seal every frame we send and drop every frame
				       whose tag fails (byz/auth.h); keys per peer with
				       byz_dp_set_keys(). 0: no tags (trusted links) */
};

/** Most leaf rings a peer may have (byz_dp_cfg.leaf_rings). */
#define BYZ_DP_LEAF_RINGS_MAX 16u

/** Completed shard, as it comes out of byz_dp_done_ring(). */
struct byz_shard_done {
	void *buf;           /**< the buffer given to byz_dp_expect() */
	uint32_t len;
	uint32_t step;
	uint16_t src;        /**< sending peer */
	uint16_t part;
	uint8_t kind;        /**< BYZ_K_SCATTER or BYZ_K_GATHER */
	uint8_t flags;       /**< BYZ_DONE_F_* */
	uint8_t pad[2];
};

/** byz_shard_done.flags: at least one leaf descriptor of this shard was
 * dropped (leaf ring full), so leaf consumers did not see every leaf: check
 * the whole shard instead of waiting for per-leaf results. */
#define BYZ_DONE_F_LEAF_LOST 0x01u

/**
 * A completed leaf, as it comes out of byz_dp_leaf_ring(). Leaf @c leaf of a
 * shard covers bytes [leaf * leaf_bytes, min((leaf + 1) * leaf_bytes, len)).
 * Each leaf of an armed shard is announced exactly once per byz_dp_expect(),
 * as soon as its last missing byte is placed, in no particular leaf order.
 */
struct byz_leaf_done {
	const uint8_t *buf;  /**< first byte of the leaf (inside the expect() buffer) */
	uint32_t len;        /**< bytes in this leaf */
	uint32_t leaf;       /**< index of the leaf in its shard */
	uint32_t step;
	uint16_t src;        /**< sending peer */
	uint16_t part;
	uint8_t kind;        /**< BYZ_K_SCATTER or BYZ_K_GATHER */
	uint8_t pad[7];
};

/** A CONTROL payload on byz_dp_ctrl_ring(): free with byz_dp_ctrl_free(). */
struct byz_ctrl_msg {
	struct rte_mbuf *m;  /**< owns the bytes */
	const uint8_t *data; /**< payload inside m */
	uint32_t len;
	uint32_t step;
	uint16_t src;
	uint8_t pad[6];
};

/** Per-peer counters (written only by the polling lcore). */
struct byz_dp_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t drop[BYZ_DROP_COUNT]; /**< parser verdicts */
	uint64_t drop_unknown;   /**< src not in the roster */
	uint64_t drop_banned;    /**< src banned */
	uint64_t drop_spoof;     /**< source IP not the roster's */
	uint64_t drop_auth;      /**< auth on: tag wrong, or no key for the source */
	uint64_t tx_nokey;       /**< auth on: frame to a peer without keys (not sent) */
	uint64_t drop_dst;       /**< not addressed to us */
	uint64_t drop_session;   /**< other run */
	/** per roster source: the session of its last frame counted in
	 * drop_session (0: none). Lets the node tell a peer of the same run
	 * under another leaf hash (byz_leaf_run_id) from a stray frame. */
	uint32_t drop_session_src[BYZ_RINGNET_MAX];
	uint64_t drop_step;      /**< other step */
	uint64_t drop_nostream;  /**< no stream armed for it */
	uint64_t data_bad;       /**< DATA refused by the stream */
	uint64_t ctrl_bad;       /**< SACK/NACK refused by the stream */
	uint64_t ctrl_full;      /**< control ring full: CONTROL dropped */
	uint64_t tx_full;        /**< TX burst refused frames (freed) */
	uint64_t tx_full_spread; /**< refusals for a destination other than the
				  *   previous refusal's: a port that refuses
				  *   everyone, not one peer's full queue */
	uint32_t tx_full_dst;    /**< destination of the last refusal */
	uint64_t alloc_fail;     /**< mbuf pool empty */
	uint64_t sacks_rx, nacks_rx, ctrl_rx, probes_rx;
	uint64_t rtt_ns_last;    /**< last PROBE round trip */
	uint64_t leaves;         /**< leaf descriptors put on the leaf rings */
	uint64_t leaf_full;      /**< leaf descriptors dropped: ring full (see BYZ_DONE_F_LEAF_LOST) */
	struct byz_arp_stats arp; /**< ARP frames by verdict, unresolved sends */
};

struct byz_dp;

/**
 * @brief Create a peer: allocates every stream (capacity max_shard) and the
 * two rings. The initial roster admits peers 0..n-1 at 10.0.0.(1+i).
 * @return the peer or NULL with *err = -EINVAL / -ENOMEM / -EIO (cfg.auth and
 *         libsodium failed to initialise)
 */
struct byz_dp *byz_dp_create(const struct byz_dp_cfg *cfg, int *err);

/** @brief Free a peer (its mbufs in flight are returned to their pools). */
void byz_dp_free(struct byz_dp *dp);

/**
 * @brief Set the addressing of peer @p peer: its IPv4 address (host order),
 * MAC (e.g. a veth's, for af_packet) and UDP port (0: keep). For @p peer ==
 * self these become our source fields (and the addresses ARP answers for).
 * The default roster's expected source IP changes too; a roster published
 * later (byz_dp_publish_roster) rules. Call before the first poll (setup only).
 *
 * A MAC given here is a static neighbour entry: ARP never overrides it. With
 * @p mac NULL (not for self) the peer's next hop (its IP on our subnet, else
 * the gateway of byz_dp_set_subnet()) is resolved by ARP from the first poll
 * on; until it is, frames to the peer are dropped and counted in
 * stats.arp.tx_unresolved (the streams' retransmissions repair the loss).
 * Without any such call every peer keeps the MAC derived from its index.
 * @return 0 or -EINVAL (peer out of range, NULL MAC for self, bad MAC)
 */
int byz_dp_set_addr(struct byz_dp *dp, uint16_t peer, uint32_t ip, const uint8_t mac[6],
		    uint16_t udp_port);

/**
 * @brief Our subnet (prefix length) and default gateway, for peers resolved
 * by ARP: a peer on our subnet is asked for directly, any other through the
 * gateway. Without this call every address counts as on-link. Setup only.
 * @param gateway host order, 0 for none
 * @return 0; -EINVAL (prefix > 32, gateway multicast or broadcast)
 */
int byz_dp_set_subnet(struct byz_dp *dp, uint8_t prefix, uint32_t gateway);

/**
 * @brief The destination MAC frames to @p peer carry now.
 * @return 0 (mac filled); -EAGAIN (ARP has not resolved the next hop yet);
 *         -ENETUNREACH (off-subnet, no usable gateway); -EINVAL
 */
int byz_dp_neigh(const struct byz_dp *dp, uint16_t peer, uint8_t mac[6]);

/** @brief The neighbour table (tests, telemetry). */
const struct byz_arp *byz_dp_arp(const struct byz_dp *dp);

/** @brief IPv4 address (host order) the default roster gives peer @p i. */
uint32_t byz_dp_peer_ip(uint16_t i);

/**
 * @brief Publish a roster. The dataplane picks it up at its next poll; the
 * caller keeps @p r alive, and frees the previous one only once
 * byz_dp_roster_epoch() has reached r->epoch.
 * @return 0 or -EINVAL (n mismatch, epoch not newer)
 */
int byz_dp_publish_roster(struct byz_dp *dp, const struct byz_roster *r);

/**
 * @brief Install the keys between us and @p peer (byz_auth_derive) for a
 * dataplane created with cfg.auth = 1. Frames to the peer carry counters
 * @p ctr0, ctr0 + 1, ...: the caller picks @p ctr0 so that no counter is
 * used twice under the same key (a restart within one run must start above
 * what the last incarnation sent; the node runtime uses wall-clock ns).
 * Until a peer has keys, frames from it count in drop_auth and frames to it
 * in tx_nokey. Setup only (before the first poll). The keys are copied.
 * @return 0; -EINVAL (peer out of range or self, NULL keys, auth off)
 */
int byz_dp_set_keys(struct byz_dp *dp, uint16_t peer, const struct byz_auth_keys *k,
		    uint64_t ctr0);

/** @brief Epoch of the roster the dataplane last used. */
uint32_t byz_dp_roster_epoch(const struct byz_dp *dp);

/** @brief Disarm every stream and accept frames of @p step only. */
void byz_dp_step_begin(struct byz_dp *dp, uint32_t step, uint64_t now);

/**
 * @brief Stream @p len bytes of @p buf to peer @p dst as part @p part.
 * @return 0; -EINVAL (dst == self, bad kind); -ERANGE (len > max_shard)
 */
int byz_dp_send(struct byz_dp *dp, uint8_t kind, uint16_t dst, uint16_t part,
		const void *buf, uint32_t len, uint64_t now);

/**
 * @brief Receive part @p part from peer @p src into @p buf; a descriptor goes
 * to the done ring when it is complete.
 * @return 0; -EINVAL; -ERANGE
 */
int byz_dp_expect(struct byz_dp *dp, uint8_t kind, uint16_t src, uint16_t part,
		  void *buf, uint32_t len, uint64_t now);

/**
 * @brief One turn of the loop: up to 4 RX bursts, parse, dispatch, then TX
 * of DATA, SACK/NACK and queued frames in bursts.
 * @return frames received + sent (0 means idle)
 */
unsigned byz_dp_poll(struct byz_dp *dp, uint64_t now);

/**
 * @brief Send a CONTROL payload to @p dst (unreliable; the control plane
 * retries). Call from the polling thread.
 * @return 0; -EINVAL; -ERANGE (len > BYZ_CONTROL_MAX); -ENOBUFS;
 *         -EHOSTUNREACH (next hop not resolved by ARP yet)
 */
int byz_dp_send_control(struct byz_dp *dp, uint16_t dst, const void *p,
			uint32_t len, uint64_t now);

/** @brief Send a PROBE to @p dst; the reply's RTT lands in stats.rtt_ns_last. */
int byz_dp_probe(struct byz_dp *dp, uint16_t dst, uint64_t now);

/** @brief Ring of struct byz_shard_done (single producer: the dataplane). */
struct rte_ring *byz_dp_done_ring(struct byz_dp *dp);

/**
 * @brief Leaf ring @p i: struct byz_leaf_done, single producer (the polling
 * thread), single consumer (one worker per ring).
 *
 * With byz_dp_cfg.leaf_bytes set, the RX path follows every armed receiver
 * stream leaf by leaf: a per-leaf count of missing packets drops as new
 * packets are placed (duplicates and retransmissions of held packets change
 * nothing), and the packet that completes a leaf queues its descriptor for
 * ring (src + leaf) % leaf_rings. Descriptors are staged per ring and
 * enqueued in bursts at the end of each RX burst, and always before the
 * shard's own descriptor reaches the done ring. A descriptor that finds its
 * ring full is dropped and counted (stats.leaf_full); the shard still
 * completes and its done descriptor carries BYZ_DONE_F_LEAF_LOST, so the
 * consumer must then check the whole shard itself.
 *
 * Descriptors of an earlier step may still be queued when a new step
 * begins: consumers compare byz_leaf_done.step. The polling thread may put
 * descriptors of its own on a ring (it is the single producer).
 * @return the ring, or NULL when leaf descriptors are off or @p i is out of range
 */
struct rte_ring *byz_dp_leaf_ring(struct byz_dp *dp, unsigned i);

/** @brief Ring of struct byz_ctrl_msg. */
struct rte_ring *byz_dp_ctrl_ring(struct byz_dp *dp);

/** @brief Return a control message's mbuf to its pool. */
void byz_dp_ctrl_free(struct byz_ctrl_msg *m);

/** @brief Counters. */
const struct byz_dp_stats *byz_dp_stats(const struct byz_dp *dp);

/** @brief Sender state of the stream to @p peer (BYZ_ST_IDLE if unarmed). */
enum byz_stream_state byz_dp_tx_state(const struct byz_dp *dp, uint8_t kind,
				      uint16_t peer);

/** @brief The sans-IO sender / receiver behind a stream (statistics). */
const struct byz_tx_stream *byz_dp_tx_stream(const struct byz_dp *dp, uint8_t kind,
					     uint16_t peer);
const struct byz_rx_stream *byz_dp_rx_stream(const struct byz_dp *dp, uint8_t kind,
					     uint16_t peer);

/**
 * @brief Run byz_dp_poll() until *stop becomes non-zero. With @p polite,
 * after 64 idle turns it calls rte_pause(), after 1024 it sleeps 50 us, and
 * resets on the first frame: several peers can share few cores.
 */
void byz_dp_loop(struct byz_dp *dp, volatile int *stop, int polite);

/**
 * @brief Send frames for @p dst through (@p port, @p queue) instead of the
 * configured port, and poll @p port for RX too: one point-to-point port per
 * peer pair (a memif mesh). Destinations without a route keep the default.
 * Call before the first byz_dp_poll().
 * @return 0; -EINVAL (dst, port); -ENOMEM
 */
int byz_dp_set_route(struct byz_dp *dp, uint16_t dst, uint16_t port, uint16_t queue);

/* --------------------------------------------------------- fault layer */

/** Seeded faults applied to every RX burst of a port (tests, benchmarks). */
struct byz_fault_cfg {
	double loss;     /**< drop probability */
	double dup;      /**< duplicate probability */
	double corrupt;  /**< flip one random bit */
	double reorder;  /**< hold a frame back for a few bursts */
	uint64_t seed;
};

/** Counters of what the fault layer did. */
struct byz_fault_stats {
	uint64_t seen, lost, duped, corrupted, held;
};

struct byz_fault;

/**
 * @brief Install the fault layer as an RX callback on (port, queue 0).
 * Duplicates are copied from @p pool.
 * @return handle or NULL (err set)
 */
struct byz_fault *byz_fault_attach(uint16_t port, const struct byz_fault_cfg *c,
				   struct rte_mempool *pool, int *err);

/** @brief Remove the callback and free held frames. Call before the port stops. */
void byz_fault_detach(struct byz_fault *f);

/** @brief Counters. */
const struct byz_fault_stats *byz_fault_stats(const struct byz_fault *f);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_DP_H */
