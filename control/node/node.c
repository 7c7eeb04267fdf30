/*
 * DESIGN (node runtime). One protocol peer, exactly the state machine the
 * in-process harness drives, on one dataplane port. A poll turn is
 *   1. CONTROL payloads from the dataplane's control ring go into the
 *      reliable channel (chan.c), which hands back whole signed messages;
 *      each is fed to the peer (byz_peer_on_message: it verifies, we count);
 *   2. when protocol time reaches the peer's next deadline, byz_peer_on_tick;
 *   3. the peer's outgoing messages go into the channel (a broadcast is one
 *      shared buffer queued for every member), its events are recorded
 *      (bans are also published to the dataplane roster by epoch swap, so
 *      a banned peer's frames die at the parser);
 *   4. the channel emits acks, retransmissions and new fragments as CONTROL
 *      frames, and byz_dp_poll flushes them and receives the next burst.
 * Split mode (byz_node_launch_dp, split.c) moves byz_dp_poll to a worker
 * lcore; step 4 then copies the frames into slots handed to that lcore on
 * an SPSC ring, and the control thread calls nothing that touches dataplane
 * state: the control ring, the roster epoch swap and counter reads are
 * built for a second thread. Everything else is the same turn.
 * Vector data (PART, AGGV) rides the same channel as signed messages: the
 * protocol's proof of a bad part is the signed part itself, so carrying it
 * unsigned on DATA streams would need a signed leaf root per stream first
 * (docs/byzd.md, "Decisions").
 * Outsiders: a JOIN is signed by a key, not sent from a roster index, and
 * the peer answers it with a STATE addressed to BYZ_WIRE_OUTSIDER. Every
 * node here has a roster slot (a restarted member asks with a JOIN too), so
 * such a STATE goes to the slots a JOIN came from since the last one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/node.h"
#include "chan.h"
#include "node_int.h"

static int emit(void *ctx, uint16_t to, const uint8_t *p, uint32_t len)
{
	struct byz_node *n = ctx;
	if (n->split) {
		/* the dp lcore sends it; its refusals come back as ctrl_out_fail */
		int r = node_split_emit(n->split, to, p, len);
		if (r) {
			n->st.ctrl_ring_full++;
			return r;
		}
		n->st.ctrl_out++;
		return 0;
	}
	int r = byz_dp_send_control(n->dp, to, p, len, n->now_ns);
	if (r) {
		n->st.ctrl_out_fail++;
		return r;
	}
	n->st.ctrl_out++;
	return 0;
}

static void deliver(void *ctx, uint16_t from, const uint8_t *msg, uint32_t len)
{
	struct byz_node *n = ctx;
	n->st.msgs_in++;
	if (!n->started)
		return; /* before protocol time 0 nothing is valid yet */
	uint64_t t0 = rte_rdtsc();
	int r = byz_peer_on_message(n->peer, n->now_us, msg, len);
	n->peer_cyc += rte_rdtsc() - t0;
	switch (r) {
	case 0:
		n->st.msg_ok++;
		/* header: u8 version, u8 type, u16 sender (byz/wire.h) */
		if (len >= BYZ_WIRE_HDR_LEN && msg[1] == BYZ_MSG_JOIN &&
		    byz_le16(msg + 2) == BYZ_WIRE_OUTSIDER && from < n->nn)
			n->join_from[from] = 1;
		break;
	case -EBADMSG:
	case -ERANGE:
	case -EDOM:
	case -EPROTO:
	case -BYZ_EVERSION:
		n->st.msg_badmsg++;
		break;
	case -BYZ_EBADSIG:
		n->st.msg_badsig++;
		break;
	case -BYZ_EBANNED:
		n->st.msg_banned++;
		break;
	case -ESTALE:
		n->st.msg_stale++;
		break;
	case -ETIME:
		n->st.msg_late++;
		break;
	default:
		n->st.msg_other++;
		break;
	}
}

static void ev_push(struct byz_node *n, const struct byz_event *e)
{
	if (n->nev == n->capev && n->evhead) { /* compact what was popped */
		memmove(n->ev, n->ev + n->evhead, (n->nev - n->evhead) * sizeof(*n->ev));
		n->nev -= n->evhead;
		n->evhead = 0;
	}
	if (n->nev == n->capev) {
		if (n->capev >= 65536) { /* nobody reads them: keep the newest */
			memmove(n->ev, n->ev + 1, (n->nev - 1) * sizeof(*n->ev));
			n->nev--;
		} else {
			size_t nc = n->capev ? 2 * n->capev : 64;
			struct byz_event *ne = realloc(n->ev, nc * sizeof(*ne));
			if (!ne) {
				n->st.oom++;
				return;
			}
			n->ev = ne;
			n->capev = nc;
		}
	}
	n->ev[n->nev++] = *e;
}

static void publish_bans(struct byz_node *n)
{
	/* Two alternating rosters: once the dataplane reports the last epoch
	 * (an acquire load; it stores it after switching, from this thread's
	 * poll or from its own lcore), it never reads the other one again, so
	 * that one is free to rewrite. */
	if (byz_dp_roster_epoch(n->dp) != n->epoch) {
		n->roster_dirty = 1;
		return;
	}
	struct byz_roster *r = &n->rosters[(n->epoch + 1) & 1];
	*r = n->rosters[n->epoch & 1];
	r->epoch = n->epoch + 1;
	for (uint16_t i = 0; i < n->nn; i++)
		if (byz_peer_has_banned(n->peer, i))
			r->banned[i >> 6] |= 1ull << (i & 63);
	if (byz_dp_publish_roster(n->dp, r) == 0) {
		n->epoch++;
		n->roster_dirty = 0;
	}
}

static const char *phase_name(unsigned ph)
{
	static const char *const names[BYZ_PH_COUNT] = {
		"COMMIT", "COMMIT_DIG", "SCATTER", "RESULT", "RESULT_DIG",
		"REVEAL", "REVEAL_DIG", "PROJ", "FINAL_DIG"};
	return ph < BYZ_PH_COUNT ? names[ph] : "?";
}

/* The peer halted: say why in words a operator can act on. */
static void set_fatal(struct byz_node *n, const struct byz_event *e)
{
	n->fatal = e->reason ? e->reason : BYZ_HALT_LATE;
	uint64_t ph = n->cfg.run->phase_us;
	switch (e->reason) {
	case BYZ_HALT_LATE:
		snprintf(n->fatal_msg, sizeof(n->fatal_msg),
			 "step %llu: late in %u attempts in a row (last: phase %s entered %.1f ms "
			 "after its deadline, phase %.1f ms): the phases are too short for this "
			 "node's load (gradient, CenteredClip, signatures, TX); raise phase_us",
			 (unsigned long long)e->step, BYZ_PEER_LATE_LIMIT,
			 phase_name(n->last_late_phase), (double)n->last_late_us / 1e3,
			 (double)ph / 1e3);
		break;
	case BYZ_HALT_NO_RESYNC: {
		char why[96];
		if (!n->st.late)
			snprintf(why, sizeof(why), "its state digest differed from the one most "
				 "committers signed");
		else if (n->last_late_cause == BYZ_LATE_DRIVER)
			snprintf(why, sizeof(why), "its TX stalled in phase %s",
				 phase_name(n->last_late_phase));
		else if (n->last_late_cause == BYZ_LATE_AGG)
			snprintf(why, sizeof(why), "its CenteredClip job was not done when "
				 "RESULT ended");
		else
			snprintf(why, sizeof(why), "phase %s entered %.1f ms after its deadline",
				 phase_name(n->last_late_phase), (double)n->last_late_us / 1e3);
		snprintf(n->fatal_msg, sizeof(n->fatal_msg),
			 "step %llu: out of step (%s) and no state "
			 "snapshot endorsed by a majority came within %u phases: the swarm makes "
			 "no progress (every node late: raise phase_us) or this node is cut off "
			 "(TX stalls: %llu)",
			 (unsigned long long)e->step, why, BYZ_PEER_RESYNC_PHASES,
			 (unsigned long long)n->st.tx_stalls);
		break;
	}
	case BYZ_HALT_MINORITY: {
		uint32_t act = 0, all = byz_peer_roster_size(n->peer);
		for (uint16_t i = 0; i < all; i++)
			act += byz_peer_is_active(n->peer, i) != 0;
		snprintf(n->fatal_msg, sizeof(n->fatal_msg),
			 "step %llu: minority view: %u of %u roster members active here (banned "
			 "keys not counted): stopping rather than carrying on apart from the swarm",
			 (unsigned long long)e->step, act, all);
		break;
	}
	default:
		snprintf(n->fatal_msg, sizeof(n->fatal_msg), "step %llu: halted (%s)",
			 (unsigned long long)e->step, byz_halt_reason_name(e->reason));
		break;
	}
}

static void drain_peer(struct byz_node *n)
{
	struct byz_out o;
	while (byz_peer_pop_out(n->peer, &o)) {
		struct chan_buf *b = chan_buf_new(o.buf, (uint32_t)o.len);
		free(o.buf);
		if (!b) {
			n->st.oom++;
			continue;
		}
		b->refs = 1; /* ours until queued everywhere */
		n->st.msgs_out++;
		if (o.to == BYZ_WIRE_BCAST) {
			for (uint16_t j = 0; j < n->nn; j++)
				if (j != n->self && !byz_peer_has_banned(n->peer, j))
					chan_queue(n->ch, j, b);
		} else if (o.to == BYZ_WIRE_OUTSIDER) {
			for (uint16_t j = 0; j < n->nn; j++)
				if (n->join_from[j] && j != n->self && !byz_peer_has_banned(n->peer, j))
					chan_queue(n->ch, j, b);
			memset(n->join_from, 0, sizeof(n->join_from));
		} else if (o.to < n->nn && o.to != n->self) {
			chan_queue(n->ch, o.to, b);
		}
		chan_buf_put(b);
	}
	struct byz_event e;
	int banned = 0;
	while (byz_peer_pop_event(n->peer, &e)) {
		switch (e.kind) {
		case BYZ_EV_STEP_DONE:
			n->st.steps++;
			if (e.synced) /* a re-syncing peer makes no claim */
				memcpy(n->digest, e.digest, 32);
			break;
		case BYZ_EV_RESYNCED:
			/* the snapshot's bans were not events here: publish them */
			n->st.resyncs++;
			banned = 1;
			break;
		case BYZ_EV_JOINED:
			n->st.joined++;
			break;
		case BYZ_EV_BAN:
			n->st.bans++;
			banned = 1;
			chan_drop_peer(n->ch, e.peer);
			break;
		case BYZ_EV_RESTART:
			n->st.restarts++;
			break;
		case BYZ_EV_SKIPPED:
			n->st.skipped++;
			break;
		case BYZ_EV_ACCUSE:
			n->st.accusations++;
			break;
		case BYZ_EV_SILENT:
			n->st.silent++;
			break;
		case BYZ_EV_LEFT:
			n->st.left++;
			break;
		case BYZ_EV_LATE:
			n->st.late++;
			n->last_late_us = e.late_us;
			n->last_late_phase = e.peer;
			n->last_late_cause = e.reason;
			break;
		case BYZ_EV_HALT:
			if (!n->fatal)
				set_fatal(n, &e);
			break;
		default:
			break;
		}
		ev_push(n, &e);
	}
	if (banned || n->roster_dirty)
		publish_bans(n);
}

static void copy_chan_stats(struct byz_node *n)
{
	const struct chan_stats *c = chan_stats(n->ch);
	n->st.frags_out = c->frags_out;
	n->st.retx = c->retx;
	n->st.acks_out = c->acks_out;
	n->st.frags_in = c->frags_in;
	n->st.acks_in = c->acks_in;
	n->st.chan_bad_hdr = c->bad_hdr;
	n->st.chan_bad_ack = c->bad_ack;
	n->st.chan_dup = c->dup;
	n->st.chan_out_window = c->out_window;
	n->st.chan_asm_reset = c->asm_reset;
	n->st.chan_backlog_drop = c->backlog_drop;
	n->st.chan_stale_inc = c->stale_inc;
	n->st.peer_restarts = c->peer_restarts;
}

/* Frames of another session: from a roster peer, with the session this run
 * has under another leaf hash, they come from a peer configured with that
 * algorithm. The dataplane keeps the last such session per source; a scan
 * of the roster only when its drop_session counter moved. */
static void check_mixed(struct byz_node *n)
{
	const struct byz_dp_stats *ds = byz_dp_stats(n->dp);
	uint64_t seen = __atomic_load_n(&ds->drop_session, __ATOMIC_RELAXED);
	if (seen == n->drop_session_seen)
		return;
	n->drop_session_seen = seen;
	for (uint16_t src = 0; src < n->nn; src++) {
		uint32_t sess = __atomic_load_n(&ds->drop_session_src[src], __ATOMIC_RELAXED);
		if (!sess || src == n->self)
			continue;
		for (int a = 0; a < BYZ_LEAF_ALG_COUNT; a++)
			if (a != (int)n->cfg.leaf_hash && sess == n->sess_alg[a] &&
			    n->mixed[src] != a) {
				if (n->mixed[src] < 0)
					n->st.mixed_hash_peers++;
				n->mixed[src] = (int8_t)a;
			}
	}
}

int byz_node_mixed_hash(const struct byz_node *n, uint16_t who)
{
	return n && who < n->nn ? n->mixed[who] : -1;
}

/* TX stall: the port refuses frames (tx_full grows) while tx_frames stands
 * still. Reported at once and then at most once a second (BYZ_EV_TX_STALL);
 * lasting longer than a phase, it is this node's own lateness: nothing it
 * sends arrives, so its view of the phase is no evidence against others. */
#define STALL_MIN_NS 1000000ull
#define STALL_REPORT_NS 1000000000ull
static void watch_tx(struct byz_node *n, uint64_t now_ns)
{
	const struct byz_dp_stats *ds = byz_dp_stats(n->dp);
	uint64_t tx = __atomic_load_n(&ds->tx_frames, __ATOMIC_RELAXED);
	uint64_t full = __atomic_load_n(&ds->tx_full, __ATOMIC_RELAXED) + n->st.ctrl_out_fail;
	if (tx != n->tx_seen) {
		n->tx_seen = tx;
		n->refuse_ns = 0;
		n->stall_ns = 0;
		n->stall_late = 0;
	} else if (full != n->txfull_seen) {
		/* refused again a while after the first refusal, nothing sent
		 * between: not one full burst but a port that does not drain */
		uint64_t spread = __atomic_load_n(&ds->tx_full_spread, __ATOMIC_RELAXED);
		if (!n->refuse_ns) {
			n->refuse_ns = now_ns;
			n->spread_seen = spread;
		} else if (!n->stall_ns && now_ns - n->refuse_ns >= STALL_MIN_NS &&
			   (spread != n->spread_seen || n->cfg.run->n <= 2)) {
			/* Refusals for one destination only are that peer's full
			 * queue (it is down, its ring is full): the port still
			 * carries the others' frames, which idle phases (relay
			 * windows) may simply not have. A stall refuses several. */
			n->stall_ns = n->refuse_ns;
			n->st.tx_stalls++;
			n->stall_warn_ns = 0;
		}
	}
	n->txfull_seen = full;
	if (!n->stall_ns)
		return;
	if (!n->stall_warn_ns || now_ns - n->stall_warn_ns >= STALL_REPORT_NS) {
		struct byz_event e = {.kind = BYZ_EV_TX_STALL, .step = byz_peer_step(n->peer),
				      .peer = n->self, .accuser = -1,
				      .late_us = (now_ns - n->stall_ns) / 1000u};
		ev_push(n, &e);
		n->stall_warn_ns = now_ns;
	}
	if (!n->stall_late && n->started &&
	    now_ns - n->stall_ns > n->cfg.run->phase_us * 1000u) {
		n->stall_late = 1;
		byz_peer_mark_late(n->peer, n->now_us);
		drain_peer(n);
	}
}

unsigned byz_node_poll(struct byz_node *n, uint64_t now_ns)
{
	unsigned work = 0;
	n->now_ns = now_ns;
	n->st.polls++;
	if (!n->started && n->origin_set && now_ns >= n->origin_ns) {
		/* a rejoining peer has no schedule: it starts listening now */
		n->now_us = n->cfg.rejoin ? (now_ns - n->origin_ns) / 1000u : 0;
		if (byz_peer_start(n->peer, n->now_us) == 0)
			n->started = 1;
		drain_peer(n);
		work++;
	}
	if (n->started)
		n->now_us = (now_ns - n->origin_ns) / 1000u;
	struct byz_ctrl_msg m[BYZ_DP_BURST];
	unsigned got;
	while ((got = rte_ring_dequeue_burst_elem(byz_dp_ctrl_ring(n->dp), m, sizeof(m[0]),
						  BYZ_DP_BURST, NULL)) > 0) {
		for (unsigned i = 0; i < got; i++) {
			n->st.ctrl_in++;
			chan_rx(n->ch, m[i].src, m[i].data, m[i].len, deliver, n);
			byz_dp_ctrl_free(&m[i]);
		}
		work += got;
	}
	if (n->started) {
		uint64_t t0 = rte_rdtsc();
		/* finished jobs first: their RESULT must precede RESULT_DIG's digest */
		if (n->workers)
			work += node_workers_reap(n->workers, n->peer, n->now_us);
		if (n->now_us >= byz_peer_next_deadline(n->peer)) {
			byz_peer_on_tick(n->peer, n->now_us);
			n->st.ticks++;
			work++;
		}
		n->peer_cyc += rte_rdtsc() - t0;
		drain_peer(n);
	}
	work += chan_tx(n->ch, now_ns, emit, n);
	if (n->split) {
		node_split_flush(n->split);
		uint64_t sent, fail;
		node_split_counters(n->split, &sent, &fail);
		n->st.ctrl_out_fail = n->fail_base + fail;
	} else {
		work += byz_dp_poll(n->dp, now_ns);
	}
	watch_tx(n, now_ns);
	copy_chan_stats(n);
	byz_peer_agg_counts(n->peer, &n->st.agg_inline, &n->st.agg_worker);
	n->st.agg_ring_full = node_workers_ring_full(n->workers);
	n->st.peer_ns = n->tsc_hz ? (uint64_t)((double)n->peer_cyc * 1e9 / (double)n->tsc_hz) : 0;
	check_mixed(n);
	return work;
}

/* Wall-clock nanoseconds: larger for every later incarnation of a peer, in
 * this process or after a restart (a clock stepped back by more than the
 * downtime would make a restart look stale: its frames are dropped until
 * the peer's old incarnation is forgotten, i.e. never; hosts keep time). */
static uint64_t incarnation(void)
{
	static uint64_t last; /* nodes may be created from several threads */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t v = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	uint64_t l = __atomic_load_n(&last, __ATOMIC_RELAXED);
	for (;;) {
		uint64_t w = v > l ? v : l + 1; /* two nodes in one nanosecond */
		if (__atomic_compare_exchange_n(&last, &l, w, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return w;
	}
}

/* Frame keys towards every peer. The counters start at the incarnation
 * (wall-clock ns), above any counter an earlier incarnation of this node
 * used under the same run's keys. A peer whose roster key yields no keys (a
 * duplicate or an invalid point) stays without: its frames are dropped. */
static int node_auth_keys(struct byz_node *n, uint64_t ctr0)
{
	const struct byz_run *run = n->cfg.run;
	const uint8_t *self_pk = run->roster + 32u * n->self;
	for (uint16_t i = 0; i < n->nn; i++) {
		struct byz_auth_keys k;
		if (i == n->self)
			continue;
		int e = byz_auth_derive(n->cfg.sk, self_pk, run->roster + 32u * i, run->run_id, &k);
		if (e == -EIO)
			return e;
		if (e == 0)
			e = byz_dp_set_keys(n->dp, i, &k, ctr0);
		sodium_memzero(&k, sizeof(k));
		if (e && e != -EINVAL)
			return e;
	}
	return 0;
}

struct byz_node *byz_node_new(const struct byz_node_cfg *cfg, int *err)
{
	int e = -EINVAL;
	struct byz_node *n = NULL;
	if (!cfg || !cfg->run || !cfg->pool || cfg->run->n < 2 ||
	    cfg->run->d > BYZ_WIRE_MAX_PART_FLOATS ||
	    cfg->run->n > BYZ_RINGNET_MAX || cfg->self >= cfg->run->n)
		goto fail;
	uint32_t mtu = cfg->mtu ? cfg->mtu : 1500;
	if (mtu < BYZ_MTU_MIN || mtu > BYZ_MTU_MAX)
		goto fail;
	e = -ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n)
		goto fail;
	n->cfg = *cfg;
	n->tsc_hz = rte_get_tsc_hz();
	n->nn = (uint16_t)cfg->run->n;
	n->self = cfg->self;
	/* The leaf hash is part of the run's identity: the peer signs, and the
	 * dataplane tags every frame, with the run id bound to it. */
	e = -EINVAL;
	if (cfg->leaf_hash >= BYZ_LEAF_ALG_COUNT)
		goto fail;
	n->run = *cfg->run;
	n->cfg.run = &n->run;
	for (int a = 0; a < BYZ_LEAF_ALG_COUNT; a++) {
		uint8_t id[32];
		byz_leaf_run_id(cfg->run->run_id, (enum byz_leaf_alg)a, id);
		n->sess_alg[a] = byz_le32_get(id);
		if (a == (int)cfg->leaf_hash)
			memcpy(n->run.run_id, id, 32);
	}
	memset(n->mixed, -1, sizeof(n->mixed));
	struct byz_peer_cfg pc = {.run = &n->run, .self = cfg->self, .sk = cfg->sk,
				  .oracle = cfg->oracle, .hooks = cfg->hooks,
				  .joiner = cfg->rejoin != 0};
	n->peer = byz_peer_new(&pc, &e);
	if (!n->peer)
		goto fail;
	/* a CONTROL payload is the channel header plus a fragment, inside one frame */
	uint32_t room = mtu - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN;
	if (room > BYZ_CONTROL_MAX)
		room = BYZ_CONTROL_MAX;
	n->room = room;
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	struct byz_dp_cfg dc = {
		.self = cfg->self, .n_peers = n->nn, .port_id = cfg->port_id,
		.tx_queue_per_peer = cfg->tx_queue_per_peer, .pool = cfg->pool,
		.session = byz_le32_get(n->run.run_id), .max_shard = 64, .scfg = sc,
		.udp_port = cfg->udp_port, .ctrl_ring_size = 4096, .auth = !cfg->auth_off,
	};
	n->dp = byz_dp_create(&dc, &e);
	if (!n->dp)
		goto fail;
	uint64_t inc = incarnation();
	if (!cfg->auth_off && (e = node_auth_keys(n, inc)) != 0)
		goto fail;
	struct byz_roster *r = &n->rosters[1]; /* epoch 1 lives in slot 1 */
	r->n = n->nn;
	for (uint16_t i = 0; i < n->nn; i++) {
		uint8_t mac[6] = {0x02, 'b', 'y', 'z', (uint8_t)(i >> 8), (uint8_t)i};
		uint32_t ip = cfg->peer_ip ? cfg->peer_ip[i] : byz_dp_peer_ip(i);
		r->ip[i] = ip;
		if (cfg->peer_mac)
			memcpy(mac, cfg->peer_mac[i], 6);
		e = byz_dp_set_addr(n->dp, i, ip, mac, cfg->peer_udp ? cfg->peer_udp[i] : 0);
		if (e)
			goto fail;
	}
	/* the roster with our addresses replaces the default one at the first poll */
	r->epoch = 1;
	n->epoch = 1;
	e = byz_dp_publish_roster(n->dp, r);
	if (e)
		goto fail;
	struct chan_cfg cc = {
		.n = n->nn, .self = cfg->self, .frag_max = room - CHAN_HDR_LEN,
		.window = cfg->window ? cfg->window : 64,
		/* the largest message: an accusation carrying two signed parts */
		.max_msg = 2u * (BYZ_WIRE_HDR_LEN + BYZ_WIRE_SIG_LEN + 16u +
				 4u * (uint32_t)cfg->run->d) + 131072u,
		.backlog_max = 65536,
		.rto_ns = (cfg->rto_us ? cfg->rto_us : 2000) * 1000u,
		.rto_max_ns = (cfg->rto_max_us ? cfg->rto_max_us : 50000) * 1000u,
		.incarnation = inc,
	};
	if (cc.rto_max_ns < cc.rto_ns)
		cc.rto_max_ns = cc.rto_ns;
	n->ch = chan_new(&cc, &e);
	if (!n->ch)
		goto fail;
	if (err)
		*err = 0;
	return n;
fail:
	byz_node_free(n);
	if (err)
		*err = e;
	return NULL;
}

void byz_node_free(struct byz_node *n)
{
	if (!n)
		return;
	byz_node_telemetry_forget(n);
	/* the workers stop and hand every job back before the peer goes */
	node_workers_free(n->workers, n->peer, n->now_us);
	node_split_free(n->split); /* stops the dp lcore before its dataplane goes */
	chan_free(n->ch);
	byz_dp_free(n->dp);
	byz_peer_free(n->peer);
	free(n->ev);
	free(n);
}

void byz_node_start(struct byz_node *n, uint64_t origin_ns)
{
	n->origin_ns = origin_ns;
	n->origin_set = 1;
}

int byz_node_run_until(struct byz_node *n, uint64_t step, volatile const int *stop,
		       uint64_t timeout_ns, int polite)
{
	uint64_t (*clk)(void) = n->cfg.clock_ns ? n->cfg.clock_ns : byz_dp_now_ns;
	uint64_t t0 = clk();
	unsigned idle = 0;
	while (byz_peer_step(n->peer) < step) {
		if (stop && *stop)
			return -EINTR;
		if (n->fatal)
			return -ECANCELED;
		uint64_t now = clk();
		if (now - t0 > timeout_ns)
			return -ETIMEDOUT;
		if (byz_node_poll(n, now)) {
			idle = 0;
			continue;
		}
		if (polite && ++idle > 256)
			usleep(50);
	}
	return 0;
}

int byz_node_launch_dp(struct byz_node *n, unsigned lcore, int busy)
{
	if (!n)
		return -EINVAL;
	if (n->split)
		return -EBUSY;
	/* room for every fragment and ack the channel may emit in one turn,
	 * twice over: a full pool means the dp lcore is far behind */
	uint32_t w = n->cfg.window ? n->cfg.window : 64;
	uint32_t want = 2u * (uint32_t)(n->nn - 1) * (w + 1), nslots = 256;
	while (nslots < want && nslots < 16384)
		nslots *= 2;
	uint64_t (*clk)(void) = n->cfg.clock_ns ? n->cfg.clock_ns : byz_dp_now_ns;
	int e;
	struct node_split *s = node_split_new(n->dp, n->room, nslots, clk, busy, &e);
	if (!s)
		return e;
	e = node_split_launch(s, lcore);
	if (e) {
		node_split_free(s);
		return e;
	}
	n->fail_base = n->st.ctrl_out_fail;
	n->split = s;
	return 0;
}

void byz_node_stop_dp(struct byz_node *n)
{
	if (!n || !n->split)
		return;
	/* frames still in slots are lost: the channel retransmits them */
	node_split_free(n->split);
	n->split = NULL;
}

static int node_agg_submit(void *ctx, struct byz_peer *p, struct byz_agg_job *job)
{
	struct byz_node *n = ctx;
	(void)p;
	return n->workers ? node_workers_submit(n->workers, job) : -ENODEV;
}

int byz_node_launch_workers(struct byz_node *n, const unsigned *lcores, unsigned nw, int busy)
{
	if (!n || !lcores || nw == 0 || nw > BYZ_NODE_MAX_WORKERS)
		return -EINVAL;
	if (n->workers)
		return -EBUSY;
	for (unsigned i = 0; i < nw; i++)
		for (unsigned j = 0; j < i; j++)
			if (lcores[i] == lcores[j])
				return -EINVAL;
	int e;
	struct node_workers *ws = node_workers_new(lcores, nw, busy, &e);
	if (!ws)
		return e;
	e = node_workers_launch(ws);
	if (!e) {
		n->agg = (struct byz_agg_driver){.ctx = n, .submit = node_agg_submit};
		e = byz_peer_set_agg(n->peer, &n->agg);
	}
	if (e) {
		node_workers_free(ws, n->peer, n->now_us);
		return e;
	}
	n->workers = ws;
	return 0;
}

void byz_node_stop_workers(struct byz_node *n)
{
	if (!n || !n->workers)
		return;
	node_workers_free(n->workers, n->peer, n->now_us);
	n->workers = NULL;
	byz_peer_set_agg(n->peer, NULL);
	drain_peer(n); /* what the jobs handed back sent */
}

unsigned byz_node_workers(const struct byz_node *n)
{
	return n ? node_workers_count(n->workers) : 0;
}

int byz_node_worker_stats(const struct byz_node *n, unsigned i,
			  struct byz_node_worker_stats *ws)
{
	return n ? node_workers_stats(n->workers, i, ws) : -EINVAL;
}

int byz_node_dp_lcore(const struct byz_node *n)
{
	return n ? node_split_lcore(n->split) : -1;
}

int byz_node_pop_event(struct byz_node *n, struct byz_event *e)
{
	if (n->evhead == n->nev) {
		n->evhead = n->nev = 0;
		return 0;
	}
	*e = n->ev[n->evhead++];
	return 1;
}

uint64_t byz_node_step(const struct byz_node *n) { return byz_peer_step(n->peer); }
int byz_node_syncing(const struct byz_node *n) { return byz_peer_syncing(n->peer); }
const float *byz_node_params(const struct byz_node *n) { return byz_peer_params(n->peer); }
const uint8_t *byz_node_digest(const struct byz_node *n) { return n->digest; }
int byz_node_has_banned(const struct byz_node *n, uint16_t who)
{
	return byz_peer_has_banned(n->peer, who);
}
const struct byz_node_stats *byz_node_stats(const struct byz_node *n) { return &n->st; }
struct byz_dp *byz_node_dp(struct byz_node *n) { return n->dp; }
const struct byz_peer *byz_node_peer(const struct byz_node *n) { return n->peer; }
uint64_t byz_node_pending(const struct byz_node *n) { return chan_pending(n->ch); }
int byz_node_fatal(const struct byz_node *n) { return n ? n->fatal : 0; }
const char *byz_node_fatal_msg(const struct byz_node *n) { return n ? n->fatal_msg : ""; }
