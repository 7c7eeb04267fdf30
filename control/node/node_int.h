/* Internal state of a node (node.c, telemetry.c). */
#ifndef BYZ_NODE_INT_H
#define BYZ_NODE_INT_H

#include "byz/hash.h"
#include "byz/node.h"

struct chan;
struct node_split;
struct node_workers;

struct byz_node {
	struct byz_node_cfg cfg;
	struct byz_peer *peer;
	struct byz_dp *dp;
	struct chan *ch;
	uint16_t nn, self;
	uint8_t started, origin_set, roster_dirty;
	uint64_t origin_ns, now_ns, now_us;
	uint32_t epoch;
	uint32_t room; /* CONTROL payload bytes per frame */
	struct byz_roster rosters[2]; /* alternating: see publish_bans() */
	struct byz_event *ev;
	size_t evhead, nev, capev;
	uint8_t digest[32];
	uint8_t join_from[BYZ_RINGNET_MAX]; /* sent a JOIN since our last STATE to outsiders */
	struct byz_node_stats st;
	struct node_split *split; /* NULL: single-lcore mode */
	uint64_t fail_base;       /* ctrl_out_fail when the split began */
	struct byz_run run;       /* cfg.run with the run id bound to the leaf hash */
	uint32_t sess_alg[BYZ_LEAF_ALG_COUNT]; /* session tag of the run under each leaf hash */
	uint64_t drop_session_seen;            /* the dataplane's drop_session last looked at */
	int8_t mixed[BYZ_RINGNET_MAX];         /* per peer: its other leaf hash, -1: none seen */
	/* TX stall watch: the port refusing frames while sending none */
	uint64_t tx_seen, txfull_seen; /* dataplane counters at the last look */
	uint64_t refuse_ns;       /* first refusal since tx_frames last moved; 0: none */
	uint64_t spread_seen;     /* dataplane tx_full_spread at that first refusal */
	uint64_t stall_ns;        /* 0: no stall; else when it began */
	uint64_t stall_warn_ns;   /* last BYZ_EV_TX_STALL */
	int stall_late;           /* this stall was handed to the peer as lateness */
	int fatal;                /* enum byz_halt_reason */
	char fatal_msg[512];
	uint64_t last_late_us;    /* the last BYZ_EV_LATE, for the fatal message */
	unsigned last_late_phase;
	unsigned last_late_cause; /* enum byz_late_cause */
	struct node_workers *workers; /* NULL: CenteredClip inline on the control thread */
	struct byz_agg_driver agg;
	uint64_t peer_cyc, tsc_hz;    /* TSC cycles inside the peer (stats peer_ns) */
};

/* Unregister @p n from telemetry if it is the registered node. */
void byz_node_telemetry_forget(struct byz_node *n);

/* Split mode (split.c): the dataplane loop on its own lcore, CONTROL frames
 * handed to it through @p nslots (a power of two) slots of @p room bytes. */
struct node_split *node_split_new(struct byz_dp *dp, uint32_t room, uint32_t nslots,
				  uint64_t (*clk)(void), int busy, int *err);
/* Stops the lcore if it runs, then frees. NULL is fine. */
void node_split_free(struct node_split *s);
/* Launch the loop on worker @p lcore (from the main lcore): 0, -EINVAL,
 * -EPERM (not on the main lcore), -EBUSY (running, or the lcore is busy). */
int node_split_launch(struct node_split *s, unsigned lcore);
/* Raise the stop flag and wait for the lcore (no-op when not running). */
void node_split_stop(struct node_split *s);
/* Queue one CONTROL payload: 0; -ENOBUFS (no free slot: dropped); -ERANGE. */
int node_split_emit(struct node_split *s, uint16_t to, const uint8_t *p, uint32_t len);
/* Hand the staged payloads to the dp lcore. */
void node_split_flush(struct node_split *s);
/* Payloads the dp lcore sent / that byz_dp_send_control refused. */
void node_split_counters(const struct node_split *s, uint64_t *sent, uint64_t *fail);
/* The lcore running the loop, or -1. */
int node_split_lcore(const struct node_split *s);

/* Aggregation workers (workers.c): CenteredClip jobs of the peer on worker
 * lcores, one SPSC ring each way per worker. */
struct node_workers *node_workers_new(const unsigned *lcores, unsigned nw, int busy, int *err);
/* Launch every worker (from the main lcore): 0, -EINVAL (an lcore is the
 * main one or not enabled), -EPERM (not on the main lcore), -EBUSY. */
int node_workers_launch(struct node_workers *ws);
/* Queue a job on the least loaded worker: 0, or -ENOBUFS (run it inline). */
int node_workers_submit(struct node_workers *ws, struct byz_agg_job *job);
/* Hand finished jobs back to @p p: how many. */
unsigned node_workers_reap(struct node_workers *ws, struct byz_peer *p, uint64_t now_us);
/* Stop (rte_eal_wait_lcore), give every job still held back to @p p (run
 * here if no worker started it; none when @p p is NULL), free. NULL is fine. */
void node_workers_free(struct node_workers *ws, struct byz_peer *p, uint64_t now_us);
unsigned node_workers_count(const struct node_workers *ws);
int node_workers_stats(const struct node_workers *ws, unsigned i,
		       struct byz_node_worker_stats *st);
/* Jobs refused because the chosen worker's ring was full (run inline). */
uint64_t node_workers_ring_full(const struct node_workers *ws);

#endif
