/*
 * "/byz/stats" for DPDK telemetry (dpdk-telemetry.py). The handler runs on
 * the telemetry thread and reads counters the polling thread writes: plain
 * aligned 64-bit loads, so a value may be one update old, never torn on the
 * 64-bit targets DPDK supports.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "byz/node.h"
#include "node_int.h"

static struct byz_node *volatile tel_node;
static int tel_registered;

#define U64(name, v) rte_tel_data_add_dict_u64(d, name, v)

static int stats_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct byz_node *n = tel_node;
	rte_tel_data_start_dict(d);
	if (!n) {
		rte_tel_data_add_dict_string(d, "state", "no node");
		return 0;
	}
	const struct byz_dp_stats *ds = byz_dp_stats(n->dp);
	const struct byz_node_stats *s = &n->st;
	rte_tel_data_add_dict_int(d, "self", n->self);
	rte_tel_data_add_dict_int(d, "peers", n->nn);
	U64("steps", s->steps);
	U64("step", byz_peer_step(n->peer));
	U64("frames_in", ds->rx_frames);
	U64("frames_out", ds->tx_frames);
	U64("bytes_in", ds->rx_bytes);
	U64("bytes_out", ds->tx_bytes);
	/* every parser verdict, then the roster and stream checks */
	for (int r = 1; r < BYZ_DROP_COUNT; r++) {
		char name[64];
		snprintf(name, sizeof(name), "drop_%s", byz_drop_name((enum byz_drop)r));
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		U64(name, ds->drop[r]);
	}
	U64("drop_unknown", ds->drop_unknown);
	U64("drop_banned", ds->drop_banned);
	U64("drop_spoof", ds->drop_spoof);
	U64("drop_auth", ds->drop_auth);
	U64("tx_nokey", ds->tx_nokey);
	U64("drop_dst", ds->drop_dst);
	U64("drop_session", ds->drop_session);
	U64("drop_step", ds->drop_step);
	U64("drop_nostream", ds->drop_nostream);
	U64("drop_ctrl_ring_full", ds->ctrl_full);
	U64("drop_tx_full", ds->tx_full);
	U64("drop_dp_ring_full", s->ctrl_ring_full);
	U64("alloc_fail", ds->alloc_fail);
	U64("chan_frags_in", s->frags_in);
	U64("chan_frags_out", s->frags_out);
	U64("chan_retx", s->retx);
	U64("chan_acks_in", s->acks_in);
	U64("chan_acks_out", s->acks_out);
	U64("chan_drop_bad_hdr", s->chan_bad_hdr);
	U64("chan_drop_bad_ack", s->chan_bad_ack);
	U64("chan_drop_dup", s->chan_dup);
	U64("chan_drop_out_window", s->chan_out_window);
	U64("chan_drop_asm_reset", s->chan_asm_reset);
	U64("chan_drop_backlog", s->chan_backlog_drop);
	U64("chan_drop_stale_incarnation", s->chan_stale_inc);
	U64("peer_restarts", s->peer_restarts);
	U64("msgs_in", s->msgs_in);
	U64("msgs_out", s->msgs_out);
	U64("msg_ok", s->msg_ok);
	U64("msg_drop_malformed", s->msg_badmsg);
	U64("msg_drop_badsig", s->msg_badsig);
	U64("msg_drop_banned", s->msg_banned);
	U64("msg_drop_stale", s->msg_stale);
	U64("msg_drop_late", s->msg_late);
	U64("msg_drop_other", s->msg_other);
	U64("restarts", s->restarts);
	U64("skipped", s->skipped);
	U64("accusations", s->accusations);
	U64("silent", s->silent);
	U64("left", s->left);
	U64("bans", s->bans);
	U64("syncing", (uint64_t)byz_peer_syncing(n->peer));
	U64("resyncs", s->resyncs);
	U64("late", s->late);
	U64("tx_stalls", s->tx_stalls);
	U64("fatal", (uint64_t)n->fatal);
	U64("joined", s->joined);
	U64("mixed_hash_peers", s->mixed_hash_peers);
	U64("agg_inline", s->agg_inline);
	U64("agg_worker", s->agg_worker);
	U64("agg_ring_full", s->agg_ring_full);
	U64("peer_ns", s->peer_ns);
	/* jobs done per worker lcore, in the order of the configured lcores */
	struct rte_tel_data *wj = rte_tel_data_alloc();
	if (wj) {
		rte_tel_data_start_array(wj, RTE_TEL_U64_VAL);
		struct byz_node_worker_stats ws;
		for (unsigned i = 0; byz_node_worker_stats(n, i, &ws) == 0; i++)
			rte_tel_data_add_array_u64(wj, ws.jobs);
		if (rte_tel_data_add_dict_container(d, "worker_jobs", wj, 0))
			rte_tel_data_free(wj);
	}
	struct rte_tel_data *b = rte_tel_data_alloc();
	if (b) {
		rte_tel_data_start_array(b, RTE_TEL_INT_VAL);
		for (uint16_t i = 0; i < n->nn; i++)
			if (byz_peer_has_banned(n->peer, i))
				rte_tel_data_add_array_int(b, i);
		if (rte_tel_data_add_dict_container(d, "banned", b, 0))
			rte_tel_data_free(b);
	}
	return 0;
}

int byz_node_telemetry_register(struct byz_node *n)
{
	tel_node = n;
	if (tel_registered)
		return 0;
	int r = rte_telemetry_register_cmd("/byz/stats", stats_cb,
					   "byzreduce node counters: frames, drops by reason, steps, bans");
	if (r == 0)
		tel_registered = 1;
	return r;
}

void byz_node_telemetry_forget(struct byz_node *n)
{
	if (tel_node == n)
		tel_node = NULL;
}
