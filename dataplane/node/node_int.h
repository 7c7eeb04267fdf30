/* Internal state of a node (node.c, telemetry.c). */
#ifndef BYZ_NODE_INT_H
#define BYZ_NODE_INT_H

#include "byz/node.h"

struct chan;

struct byz_node {
	struct byz_node_cfg cfg;
	struct byz_peer *peer;
	struct byz_dp *dp;
	struct chan *ch;
	uint16_t nn, self;
	uint8_t started, origin_set, roster_dirty;
	uint64_t origin_ns, now_ns, now_us;
	uint32_t epoch;
	struct byz_roster rosters[2]; /* alternating: see publish_bans() */
	struct byz_event *ev;
	size_t evhead, nev, capev;
	uint8_t digest[32];
	uint8_t join_from[BYZ_RINGNET_MAX]; /* sent a JOIN since our last STATE to outsiders */
	struct byz_node_stats st;
};

/* Unregister @p n from telemetry if it is the registered node. */
void byz_node_telemetry_forget(struct byz_node *n);

#endif
