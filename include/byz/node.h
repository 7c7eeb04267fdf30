/**
 * @file byz/node.h
 * @brief The node runtime: one protocol peer (byz/proto.h, unchanged) on one
 * DPDK dataplane port (byz/dp.h). docs/byzd.md describes it.
 *
 * Every signed protocol message travels as CONTROL frames through a reliable
 * fragmenting channel (per-pair sequence numbers, selective acks, RTO), is
 * handed over on the dataplane's control ring and fed to the peer; timers
 * come from the caller's clock. The events and messages are exactly those of
 * the in-process harness (control/swarm.c), so the same seed gives the same
 * decisions when every message meets its phase deadline.
 *
 * Time: all nodes of a run share an origin (protocol time 0, in the clock's
 * nanoseconds); phase deadlines are origin + k * phase_us. In one process the
 * TSC clock (byz_dp_now_ns) is shared; across hosts byzd uses CLOCK_REALTIME
 * and a configured start time, so host clocks must agree to well under D/3.
 *
 * Restart: a node that crashed comes back with the same key and config and
 * @c rejoin set. It starts without state, learns the current step from the
 * swarm's messages, asks with a JOIN, installs a STATE snapshot only when a
 * majority of the active members committed to its digest, and takes part
 * again from the step after (after probation if it had left meanwhile). The
 * control channel notices the restart by the sender's incarnation and starts
 * both directions over. docs/byzd.md, "Restart after a crash".
 *
 * Threads: a node is driven by one thread (byz_node_poll); distinct nodes are
 * independent. Counters may be read by another thread (telemetry) as plain
 * aligned 64-bit loads. By default that thread also runs the dataplane
 * (byz_dp_poll inside byz_node_poll). Split mode (byz_node_launch_dp) moves
 * the dataplane loop to a worker lcore of its own; the polling thread is
 * then the control thread (channel, signatures, protocol) and reaches the
 * dataplane only through rings and the epoch-swapped roster.
 */
#ifndef BYZ_NODE_H
#define BYZ_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "byz/dp.h"
#include "byz/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;

/** Node configuration (copied; pointers borrowed for the node's lifetime). */
struct byz_node_cfg {
	const struct byz_run *run;      /**< run constants; run->roster borrowed */
	uint16_t self;                  /**< our roster index */
	const uint8_t *sk;              /**< 64-byte secret key (copied by the peer) */
	struct byz_oracle oracle;       /**< gradient source (pure function of x, seed) */
	const struct byz_peer_hooks *hooks; /**< NULL: honest (tests plug attackers here) */
	uint16_t port_id;               /**< started ethdev port */
	int tx_queue_per_peer;          /**< 1: TX queue = destination (ring fabric) */
	struct rte_mempool *pool;       /**< TX mbufs, room for mtu */
	uint32_t mtu;                   /**< IP MTU, BYZ_MTU_MIN..BYZ_MTU_MAX; 0: 1500 */
	uint16_t udp_port;              /**< 0: BYZ_UDP_PORT */
	const uint32_t *peer_ip;        /**< n IPv4 addresses (host order); NULL: 10.0.0.1+i */
	const uint8_t (*peer_mac)[6];   /**< n MACs; NULL: 02:62:79:7a:hi:lo of the index */
	const uint16_t *peer_udp;       /**< n UDP ports; NULL: udp_port for all */
	uint32_t window;                /**< channel fragments in flight per peer; 0: 64 */
	uint64_t rto_us;                /**< channel first retransmission timeout; 0: 2000 */
	uint64_t rto_max_us;            /**< channel RTO ceiling; 0: 50000 */
	uint64_t (*clock_ns)(void);     /**< for byz_node_run_until; NULL: byz_dp_now_ns */
	/** 1: this identity was a member and restarts without state (a crash):
	 * the peer starts as a joiner at the first poll after the origin, at
	 * the protocol time of that poll, and re-syncs from the swarm. 0: a
	 * fresh start at protocol time 0 with the initial parameters. */
	int rejoin;
	/** The run's leaf hash (enum byz_leaf_alg, byz/hash.h); 0: blake2b. It
	 * is bound into the run id the node uses on the wire,
	 * byz_leaf_run_id(run->run_id, leaf_hash): peers configured with
	 * different algorithms are in different runs, so none of their frames
	 * or messages (a JOIN included) is accepted and none is judged; the node
	 * reports such peers (byz_node_mixed_hash). */
	uint32_t leaf_hash;
	/** 0 (default): every frame carries a tag under per-pair keys derived
	 * from sk, the roster and the run id (byz/auth.h); frames whose tag
	 * fails are dropped (dp stats drop_auth). 1: no tags, for trusted links;
	 * every node of a run must agree. */
	int auth_off;
};

/** Counters (one writer: the polling thread). */
struct byz_node_stats {
	uint64_t ctrl_in, ctrl_out;       /**< CONTROL payloads received / emitted */
	uint64_t ctrl_out_fail;           /**< byz_dp_send_control refused (mbuf pool empty) */
	uint64_t ctrl_ring_full;          /**< split mode: no free slot towards the dp lcore
					       (dropped; the channel retransmits) */
	uint64_t frags_out, retx, acks_out, frags_in, acks_in;
	uint64_t chan_bad_hdr, chan_bad_ack, chan_dup, chan_out_window, chan_asm_reset;
	uint64_t chan_backlog_drop, oom;
	uint64_t chan_stale_inc;          /**< frames from/to an earlier incarnation */
	uint64_t peer_restarts;           /**< peers seen coming back with a new incarnation */
	uint64_t msgs_in, msgs_out;       /**< whole protocol messages */
	uint64_t msg_ok;                  /**< accepted by the peer (or harmless duplicates) */
	uint64_t msg_badmsg, msg_badsig, msg_banned, msg_stale, msg_late, msg_other;
	uint64_t steps, restarts, skipped, accusations, silent, left, bans;
	uint64_t resyncs;                 /**< state snapshots installed (RESYNCED) */
	uint64_t joined;                  /**< admissions seen (JOINED, any peer) */
	uint64_t mixed_hash_peers;        /**< roster peers seen sending frames of this run
					       under another leaf hash (refused) */
	uint64_t ticks, polls;
	uint64_t late;                    /**< attempts this node was late in (BYZ_EV_LATE) */
	uint64_t tx_stalls;               /**< TX stalls seen (BYZ_EV_TX_STALL) */
	/* CenteredClip jobs (byz_node_launch_workers) */
	uint64_t agg_inline;              /**< jobs run on the control thread */
	uint64_t agg_worker;              /**< jobs handed to worker lcores */
	uint64_t agg_ring_full;           /**< jobs a full worker ring refused (run inline) */
	uint64_t peer_ns;                 /**< time the polling thread spent inside the
					       protocol peer (messages, ticks, finished jobs) */
};

/** Most aggregation worker lcores per node. */
#define BYZ_NODE_MAX_WORKERS 16u

/** One aggregation worker lcore's counters (byz_node_worker_stats). */
struct byz_node_worker_stats {
	int lcore;
	uint64_t jobs;     /**< CenteredClip jobs run (clip + aggregate hash) */
	uint64_t busy_ns;  /**< time spent running them */
};

struct byz_node;

/**
 * @brief Create a node: the peer, its dataplane and the control channel.
 * @param err out: 0; -EINVAL (bad config); -ENOMEM; or the peer's code
 * @return the node or NULL
 */
struct byz_node *byz_node_new(const struct byz_node_cfg *cfg, int *err);
/** @brief Free the node (its dataplane and peer; stops its dp lcore first). NULL is fine. */
void byz_node_free(struct byz_node *n);

/**
 * @brief Fix protocol time 0 at @p origin_ns (the clock the caller feeds to
 * byz_node_poll). The peer starts at the first poll at or after it.
 */
void byz_node_start(struct byz_node *n, uint64_t origin_ns);

/**
 * @brief One run-to-completion turn: control ring -> channel -> peer; phase
 * deadlines; peer output -> channel -> CONTROL frames; dataplane RX/TX (in
 * split mode the frames go to the dp lcore instead, which does RX/TX).
 * @return units of work done (0: idle, the caller may back off)
 */
unsigned byz_node_poll(struct byz_node *n, uint64_t now_ns);

/**
 * @brief Poll (with the configured clock) until step @p step is done, @p stop
 * becomes non-zero or @p timeout_ns passes. With @p polite it backs off
 * when idle (shared cores).
 * @return 0 when the step is done; -EINTR (stop); -ETIMEDOUT; -ECANCELED when
 * the node stopped itself (byz_node_fatal)
 */
int byz_node_run_until(struct byz_node *n, uint64_t step, volatile const int *stop,
		       uint64_t timeout_ns, int polite);

/**
 * @brief Split mode: run the dataplane loop (byz_dp_poll: RX, TX, ARP) on
 * worker lcore @p lcore until byz_node_stop_dp() or byz_node_free().
 *
 * From here on byz_node_poll() runs the control side only and hands CONTROL
 * frames to the lcore through a fixed pool of slots on a single-producer,
 * single-consumer ring (a frame finding no free slot is dropped and counted
 * in ctrl_ring_full; the channel retransmits). Call on the main lcore, from
 * the thread that polls the node, after every byz_dp_set_* / fault set-up on
 * byz_node_dp(): the caller must not touch dataplane state while it runs
 * (counters may be read).
 * @param busy 1: poll without backing off; 0: spin briefly when idle, then
 *             sleep 50 us (shared cores)
 * @return 0; -EINVAL (@p lcore is the main lcore or not enabled); -EPERM
 *         (not called on the main lcore); -EBUSY (already split, or the
 *         lcore is running something); -ENOMEM
 */
int byz_node_launch_dp(struct byz_node *n, unsigned lcore, int busy);

/**
 * @brief Stop the dataplane lcore (raise its stop flag, rte_eal_wait_lcore)
 * and go back to single-lcore mode; frames still queued towards it are
 * dropped (the channel retransmits). No-op when not split.
 */
void byz_node_stop_dp(struct byz_node *n);

/** @brief The lcore running the dataplane, or -1 in single-lcore mode. */
int byz_node_dp_lcore(const struct byz_node *n);

/**
 * @brief Run the peer's CenteredClip jobs (each part this node aggregates:
 * the clip of the received parts and the hash of the result) on worker
 * lcores @p lcores[0..nw-1] instead of the polling thread.
 *
 * The peer hands each job out through its aggregation driver
 * (byz_peer_set_agg); a descriptor goes onto the ring of the worker with the
 * fewest jobs in flight (one SPSC ring each way per worker, no allocation
 * per job), and byz_node_poll() reaps the finished ones and lets the peer
 * send RESULT and AGGV. The bits are those of the inline call (the same
 * byz_clip on the same inputs); a job not back when RESULT ends is this
 * node's own lateness (BYZ_EV_LATE with BYZ_LATE_AGG). Call on the main
 * lcore, from the polling thread, before the RESULT phase of the first step
 * (e.g. before byz_node_start) or between steps.
 * @param busy 1: poll the ring without backing off (dedicated cores); 0:
 *             spin briefly when idle, then sleep 50 us (shared cores)
 * @return 0; -EINVAL (no lcores, more than BYZ_NODE_MAX_WORKERS, an lcore
 *         is the main one, not enabled, or named twice); -EPERM (not on
 *         the main lcore); -EBUSY (workers already running, or an lcore is
 *         busy: the dataplane lcore of split mode, another node's worker);
 *         -ENOMEM
 */
int byz_node_launch_workers(struct byz_node *n, const unsigned *lcores, unsigned nw, int busy);
/**
 * @brief Stop the workers (stop flag, rte_eal_wait_lcore); jobs still
 * queued run on the calling thread and go back to the peer, so aggregation
 * continues inline. No-op without workers.
 */
void byz_node_stop_workers(struct byz_node *n);
/** @brief Worker lcores running (0: CenteredClip inline). */
unsigned byz_node_workers(const struct byz_node *n);
/** @brief Counters of worker @p i. @return 0, or -EINVAL (no such worker) */
int byz_node_worker_stats(const struct byz_node *n, unsigned i,
			  struct byz_node_worker_stats *ws);

/** @brief Pop one decision the peer reported (as byz_peer_pop_event). @return 1 or 0 */
int byz_node_pop_event(struct byz_node *n, struct byz_event *e);

/** @brief 1 while the peer has no trusted state (rejoining, out of sync). */
int byz_node_syncing(const struct byz_node *n);
/** @brief Steps completed. */
uint64_t byz_node_step(const struct byz_node *n);
/** @brief Current parameters (d floats, owned by the peer; valid until the next poll). */
const float *byz_node_params(const struct byz_node *n);
/** @brief Params digest after the last completed step (zeros before). */
const uint8_t *byz_node_digest(const struct byz_node *n);
/** @brief 1 if this node's peer banned @p who. */
int byz_node_has_banned(const struct byz_node *n, uint16_t who);
/** @brief Counters. */
const struct byz_node_stats *byz_node_stats(const struct byz_node *n);
/**
 * @brief The leaf hash (enum byz_leaf_alg) that roster peer @p who was seen
 *        using when it is not ours: its frames carry the session of this run's
 *        configured id under that algorithm and are all refused. -1: not seen
 *        (the same algorithm, silent, or @p who out of range).
 */
int byz_node_mixed_hash(const struct byz_node *n, uint16_t who);

/** @brief The dataplane underneath (its own counters: byz_dp_stats). */
struct byz_dp *byz_node_dp(struct byz_node *n);
/** @brief The protocol peer (read-only inspection). */
const struct byz_peer *byz_node_peer(const struct byz_node *n);
/** @brief Messages queued or in flight in the channel (0: quiescent). */
uint64_t byz_node_pending(const struct byz_node *n);

/**
 * @brief 0 while the node runs; once it must stop, the enum byz_halt_reason
 * (its peer halted: phases too short for this node, no majority snapshot
 * after being late, a minority view). The node then does nothing more of
 * the protocol; the driver should stop and exit with an error
 * (byz_node_fatal_msg says why, for the log).
 */
int byz_node_fatal(const struct byz_node *n);
/** @brief A one-line reason for byz_node_fatal ("" while running); owned by @p n. */
const char *byz_node_fatal_msg(const struct byz_node *n);

/**
 * @brief Register "/byz/stats" with DPDK telemetry for @p n (one node per
 * process; a later call replaces the node). Readable with
 * dpdk-telemetry.py: frames in/out, drops by reason, steps, bans.
 * @return 0 or a negative code from rte_telemetry_register_cmd
 */
int byz_node_telemetry_register(struct byz_node *n);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_NODE_H */
