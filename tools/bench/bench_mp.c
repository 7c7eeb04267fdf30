/*
 * DESIGN: byz-bench allreduce with one process per peer (memif, af_packet,
 * af_xdp).
 *
 * The parent never initialises DPDK. It maps one shared, anonymous region,
 * creates what the transport needs (a private directory for memif sockets,
 * or namespaces with veths on a bridge), forks one child per peer and then
 * only coordinates: it publishes a step (size, mode, deadlines) by bumping
 * go_seq, and each child answers by storing the same number in its done_seq
 * with its finish time, counters and digests. The step time is the latest
 * finish minus the go time, all on CLOCK_MONOTONIC, which processes share.
 *
 * Each child has its own EAL (--no-huge --no-shconf, its own file prefix) and
 * its own ports: with memif a full mesh (the lower index of a pair is the
 * server), with af_packet/af_xdp one port on its namespace's veth, the bridge
 * being the switch. It polls its dataplane between steps too, so a late
 * duplicate still gets the SACK its sender waits for.
 *
 * Peer loss: a step has a deadline. An aggregator that still misses scatter
 * parts at the deadline aggregates those that arrived (and says which); a
 * peer gives up on gather parts still missing at twice the deadline. The
 * parent notices a dead child with waitpid, lets the survivors reach their
 * deadlines, checks every part they hold against a mean computed here over
 * exactly the inputs its aggregator used, reports the loss and exits 3. No
 * wait is unbounded: the parent itself gives up 5 s after the last deadline
 * and kills what is left. Every exit path removes the namespaces, the memif
 * directory, the EAL runtime directories and the children.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring_elem.h>
#include <sodium.h>

#include "bench_ar.h"
#include "bench_netns.h"
#include "bench_util.h"
#include "bench_wk.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/hash.h"
#include "byz/vport.h"

#define N AR_MAXP

struct mp_peer {
	int32_t state;       /* 0 starting, 1 servers open, 2 ports up, 3 dataplane up, -1 failed */
	uint32_t done_seq;
	char why[200];
	uint8_t mac[6];
	uint16_t mtu;
	int32_t status;      /* last step: 0 complete, 1 parts missing at the deadline */
	uint32_t commit_step;
	uint32_t doomed;     /* --kill-peer: the step in which this peer awaits SIGKILL */
	double t_done;
	double clip_s, hash_s;
	uint64_t step_rx;    /* frames received in the last step */
	uint64_t rx_frames, tx_frames, retx, dups, parse_drop, other_drop, tx_full;
	uint64_t drop[BYZ_DROP_COUNT];
	uint64_t f_lost, f_duped, f_corrupted, f_held;
	uint64_t garbage_sent;
	uint64_t leaves, leaf_full; /* leaf descriptors queued / dropped (--workers) */
	uint64_t in_mask;    /* scatter inputs used by this aggregator (last step) */
	uint64_t have_mask;  /* parts of the result held (last step) */
	char digest[65];
	uint8_t pdigest[N][32];
};

struct mp_shm {
	uint32_t go_seq;
	int32_t quit;
	int32_t quit_turn;   /* teardown one peer at a time (memif disconnects race otherwise) */
	int32_t gate;        /* 1: clients may connect; 2: start the dataplane */
	uint32_t part, step;
	int32_t robust, want_digest, polite, kill_peer;
	uint32_t seg, window;
	double deadline1, deadline2, t_go;
	struct mp_peer peer[N];
};

/* ------------------------------------------------------------- child */

struct child {
	const struct ar_opts *o;
	struct mp_shm *sh;
	uint8_t *commits;      /* [n][n][L][32] leaf hashes */
	uint32_t Lmax;
	int n, self;
	struct byz_vport port[N];
	int nports;
	int port_of[N];        /* index into port[] for each destination */
	struct rte_mempool *pool;
	struct byz_dp *dp;
	struct byz_fault *fault[N];
	uint32_t maxpart;
	float *grad, *result, *agg, *inbox[N];
	unsigned idle;
	uint64_t rng;
	struct ar_wk wk;         /* --workers: hashing lcores fed by the leaf rings */
	uint8_t (*rdig)[32];     /* [n][Lmax] result leaf digests */
};

static uint8_t (*commit_at(struct child *c, int src, int part))[32]
{
	return (uint8_t(*)[32])(c->commits +
				(((size_t)src * (size_t)c->n + (size_t)part) * c->Lmax) * 32);
}

static void child_fail(struct child *c, const char *why)
{
	char *w = c->sh->peer[c->self].why;
	size_t k = strlen(why);
	if (k > sizeof(c->sh->peer[c->self].why) - 1)
		k = sizeof(c->sh->peer[c->self].why) - 1;
	memcpy(w, why, k); /* truncated, on purpose */
	w[k] = 0;
	__atomic_store_n(&c->sh->peer[c->self].state, -1, __ATOMIC_RELEASE);
}

/* One idle turn: spin a little, then give the core away (polite polling). */
static void child_idle(struct child *c, unsigned work)
{
	if (work) {
		c->idle = 0;
		return;
	}
	if (!c->sh->polite)
		return;
	if (++c->idle > 256)
		usleep(50);
	else if (c->idle > 32)
		rte_pause();
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Malformed frames straight onto the port: random bytes behind real MACs, a
 * well-formed frame with a flipped payload bit (CRC), and a truncated one. */
static void send_garbage(struct child *c, int dst)
{
	struct byz_vport *vp = &c->port[c->port_of[dst]];
	struct rte_mbuf *m[64];
	unsigned k = 0, want = c->o->garbage;
	while (want) {
		unsigned batch = want < 64 ? want : 64;
		for (k = 0; k < batch; k++) {
			m[k] = rte_pktmbuf_alloc(c->pool);
			if (!m[k])
				break;
			uint8_t *d = rte_pktmbuf_mtod(m[k], uint8_t *);
			uint32_t len = 64;
			uint64_t kind = splitmix(&c->rng) % 3;
			if (kind == 0) {
				len = 60 + (uint32_t)(splitmix(&c->rng) % 1400);
				for (uint32_t b = 0; b < len; b++)
					d[b] = (uint8_t)splitmix(&c->rng);
			} else {
				struct byz_l2l3 a = {.src_ip = 0x0a4d0001u + (uint32_t)c->self,
						     .dst_ip = 0x0a4d0001u + (uint32_t)dst,
						     .src_port = 49152, .dst_port = BYZ_UDP_PORT};
				struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_CONTROL,
						    .src = (uint16_t)c->self, .dst = (uint16_t)dst,
						    .session = 1, .step = c->sh->step};
				uint8_t pl[200];
				memset(pl, 0xa5, sizeof(pl));
				int fl = byz_frame_build(d, rte_pktmbuf_tailroom(m[k]), &a, &h, pl,
							 sizeof(pl));
				len = fl > 0 ? (uint32_t)fl : 64;
				if (kind == 1)
					d[BYZ_PAYLOAD_OFF + splitmix(&c->rng) % sizeof(pl)] ^= 0x10;
				else
					len = 14 + (uint32_t)(splitmix(&c->rng) % (len - 15));
			}
			/* real addresses, so a bridge forwards it to the victim */
			memcpy(d, c->sh->peer[dst].mac, 6);
			memcpy(d + 6, c->sh->peer[c->self].mac, 6);
			m[k]->data_len = (uint16_t)len;
			m[k]->pkt_len = len;
		}
		uint16_t sent = rte_eth_tx_burst(vp->port, 0, m, (uint16_t)k);
		c->sh->peer[c->self].garbage_sent += sent;
		if (sent < k)
			rte_pktmbuf_free_bulk(m + sent, k - sent);
		if (k < batch)
			break;
		want -= batch;
	}
}

static void publish_counters(struct child *c)
{
	struct mp_peer *me = &c->sh->peer[c->self];
	const struct byz_dp_stats *st = byz_dp_stats(c->dp);
	me->rx_frames = st->rx_frames;
	me->tx_frames = st->tx_frames;
	me->tx_full = st->tx_full;
	me->leaves = st->leaves;
	me->leaf_full = st->leaf_full;
	me->parse_drop = 0;
	for (int r = 1; r < BYZ_DROP_COUNT; r++) {
		me->drop[r] = st->drop[r];
		me->parse_drop += st->drop[r];
	}
	/* a random frame with the ARP ethertype (1 in 65536) is refused by the
	 * ARP parser instead; it is garbage all the same */
	for (int r = 0; r < BYZ_ARP_DROP_COUNT; r++)
		me->parse_drop += st->arp.drop[r];
	me->other_drop = st->drop_unknown + st->drop_banned + st->drop_spoof + st->drop_auth +
			 st->drop_dst + st->drop_session + st->drop_step + st->drop_nostream;
	me->f_lost = me->f_duped = me->f_corrupted = me->f_held = 0;
	for (int p = 0; p < c->nports; p++) {
		if (!c->fault[p])
			continue;
		const struct byz_fault_stats *fs = byz_fault_stats(c->fault[p]);
		me->f_lost += fs->lost;
		me->f_duped += fs->duped;
		me->f_corrupted += fs->corrupted;
		me->f_held += fs->held;
	}
}

/* --workers: queue the leaves of buf for the workers; hash here what does
 * not fit on their rings. Returns the seconds spent hashing here. */
static double wk_post_or_hash(struct child *c, uint8_t kind, int src, int part,
			      const void *buf, uint32_t P, uint32_t *inline_leaves)
{
	const uint8_t *b = buf;
	uint32_t nl = ar_leaves(P);
	uint32_t q = ar_wk_post(&c->wk, kind, (uint16_t)src, (uint16_t)part, b, P, 0);
	if (q == nl)
		return 0;
	double h0 = bench_now();
	for (uint32_t l = q; l < nl; l++) {
		uint32_t off = l * AR_LEAF, len = P - off < AR_LEAF ? P - off : AR_LEAF;
		crypto_generichash(ar_wk_slot(&c->wk, kind, src, part, l), 32, b + off, len, NULL, 0);
	}
	*inline_leaves += nl - q;
	return bench_now() - h0;
}

/* --workers: hash a whole gathered part here (its leaf descriptors were not
 * all delivered: the dataplane flagged BYZ_DONE_F_LEAF_LOST). */
static double wk_hash_part(struct child *c, int src, const void *buf, uint32_t P)
{
	const uint8_t *b = buf;
	double h0 = bench_now();
	for (uint32_t l = 0, off = 0; off < P; l++, off += AR_LEAF)
		crypto_generichash(ar_wk_slot(&c->wk, BYZ_K_GATHER, src, src, l), 32, b + off,
				   P - off < AR_LEAF ? P - off : AR_LEAF, NULL, 0);
	return bench_now() - h0;
}

static void child_step(struct child *c, uint32_t seq)
{
	struct mp_shm *sh = c->sh;
	struct mp_peer *me = &sh->peer[c->self];
	int n = c->n, i = c->self;
	uint32_t P = sh->part, step = sh->step;
	size_t pf = P / sizeof(float);
	int robust = sh->robust;
	uint64_t full = (1ull << n) - 1;
	uint64_t scat = 1ull << i; /* parts held: our own from the start */
	uint64_t gath = scat;
	int agg_done = 0, agg_ready = 0, clip_posted = 0;
	uint64_t agg_mask = 0;
	double clip_s = 0, hash_s = 0;
	uint64_t rx0 = byz_dp_stats(c->dp)->rx_frames;
	uint64_t now = byz_dp_now_ns();
	/* --workers: leaves go to the worker lcores as they complete */
	int wk = robust && c->wk.nw;
	uint32_t nl = ar_leaves(P), own_inl = 0;
	uint64_t arrived = 0;   /* scatter parts complete, workers still verifying */
	uint64_t ghash = 0;     /* result parts whose leaves are all hashed */
	double busy0 = ar_wk_busy(&c->wk);

	if (c->wk.nw)
		ar_wk_step(&c->wk, step, robust);
	byz_dp_step_begin(c->dp, step, now);
	c->inbox[i] = c->grad + (size_t)i * pf;
	if (wk) {
		/* the commitments, spread over the workers */
		uint32_t inl = 0, want = (uint32_t)n * nl;
		for (int j = 0; j < n; j++)
			hash_s += wk_post_or_hash(c, AR_WK_COMMIT, i, j, c->grad + (size_t)j * pf, P,
						  &inl);
		unsigned spins = 0;
		for (;;) {
			uint32_t got = inl;
			for (int j = 0; j < n; j++)
				got += ar_wk_ok(&c->wk, AR_WK_COMMIT, j);
			if (got >= want)
				break;
			if (++spins > 64 && sh->polite)
				usleep(10);
			else
				rte_pause();
		}
	} else if (robust) {
		double h0 = bench_now();
		for (int j = 0; j < n; j++)
			ar_hash_leaves(c->grad + (size_t)j * pf, P, commit_at(c, i, j));
		hash_s += bench_now() - h0;
	}
	/* our commitments are visible before our first frame can be */
	__atomic_store_n(&me->commit_step, step, __ATOMIC_RELEASE);
	for (int j = 0; j < n; j++) {
		if (j == i)
			continue;
		byz_dp_expect(c->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)i, c->inbox[j], P, now);
		byz_dp_expect(c->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)j,
			      c->result + (size_t)j * pf, P, now);
		byz_dp_send(c->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)j, c->grad + (size_t)j * pf,
			    P, now);
		if (c->o->garbage)
			send_garbage(c, j);
	}
	for (;;) {
		now = byz_dp_now_ns();
		unsigned work = byz_dp_poll(c->dp, now);
		if (sh->kill_peer == i) {
			__atomic_store_n(&me->doomed, step, __ATOMIC_RELEASE);
			for (;;)
				pause();
		}
		struct byz_shard_done d;
		while (rte_ring_dequeue_elem(byz_dp_done_ring(c->dp), &d, sizeof(d)) == 0) {
			if (d.kind == BYZ_K_SCATTER) {
				if (wk && !(d.flags & BYZ_DONE_F_LEAF_LOST)) {
					arrived |= 1ull << d.src; /* the workers verify it */
				} else if (robust) {
					/* inline, or with workers the fallback for a part whose
					 * leaf descriptors did not all reach them; the control
					 * plane would have delivered the commitment */
					while (__atomic_load_n(&sh->peer[d.src].commit_step,
							       __ATOMIC_ACQUIRE) != step)
						rte_pause();
					double h0 = bench_now();
					if (ar_verify_leaves(d.buf, P, (const uint8_t(*)[32])commit_at(c, d.src, i)))
						me->status = 2;
					else
						scat |= 1ull << d.src;
					hash_s += bench_now() - h0;
				} else {
					scat |= 1ull << d.src;
				}
			} else {
				gath |= 1ull << d.src;
				if (wk && (d.flags & BYZ_DONE_F_LEAF_LOST)) {
					hash_s += wk_hash_part(c, d.src, d.buf, P);
					ghash |= 1ull << d.src;
				}
			}
			work++;
		}
		if (wk) {
			/* what the workers have verified and hashed so far */
			for (int j = 0; j < n; j++) {
				uint64_t bit = 1ull << j;
				if (arrived & bit) {
					if (ar_wk_bad(&c->wk, BYZ_K_SCATTER, j)) {
						me->status = 2;
						arrived &= ~bit;
					} else if (ar_wk_ok(&c->wk, BYZ_K_SCATTER, j) == nl) {
						scat |= bit;
						arrived &= ~bit;
						work++;
					}
				}
				if ((gath & ~ghash & bit) && (j != i || agg_done) &&
				    ar_wk_ok(&c->wk, BYZ_K_GATHER, j) + (j == i ? own_inl : 0) == nl)
					ghash |= bit;
			}
		}
		double t = bench_now();
		if (!agg_done && !clip_posted && (scat == full || t > sh->deadline1)) {
			const float *in[N];
			for (int j = 0; j < n; j++)
				in[j] = c->inbox[j];
			agg_mask = scat;
			if (robust && wk && ar_wk_post_clip(&c->wk, in, scat, pf, c->o->tau,
							    c->agg) == 0) {
				/* a worker clips; this lcore keeps serving the ports */
				clip_posted = 1;
			} else if (robust) {
				double t0 = bench_now();
				if (ar_clip(in, n, scat, pf, c->o->tau, c->agg))
					me->status = 2;
				clip_s += bench_now() - t0;
				agg_ready = 1;
			} else {
				ar_mean(in, n, scat, pf, c->agg);
				agg_ready = 1;
			}
		}
		if (clip_posted && !agg_done) {
			int rc;
			double secs;
			if (ar_wk_clip_done(&c->wk, &rc, &secs)) {
				if (rc)
					me->status = 2;
				clip_s += secs;
				agg_ready = 1;
			}
		}
		if (agg_ready && !agg_done) {
			memcpy(c->result + (size_t)i * pf, c->agg, P);
			if (wk)
				hash_s += wk_post_or_hash(c, BYZ_K_GATHER, i, i, c->result + (size_t)i * pf,
							  P, &own_inl);
			me->in_mask = agg_mask;
			for (int j = 0; j < n; j++)
				if (j != i)
					byz_dp_send(c->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)i, c->agg,
						    P, now);
			agg_done = 1;
			work++;
		}
		if (agg_done && ((gath == full && (!wk || ghash == full)) || t > sh->deadline2))
			break;
		child_idle(c, work);
	}
	if (wk) {
		hash_s += ar_wk_busy(&c->wk) - busy0;
	} else if (robust) {
		/* what a peer checks against the signed result hash */
		double h0 = bench_now();
		uint8_t h[32];
		for (int j = 0; j < n; j++)
			if ((gath >> j) & 1u)
				ar_leaf_root(c->result + (size_t)j * pf, P, h);
		hash_s += bench_now() - h0;
	}
	me->t_done = bench_now();
	me->step_rx = byz_dp_stats(c->dp)->rx_frames - rx0;
	me->have_mask = gath;
	if (me->status != 2)
		me->status = (scat == full && gath == full) ? 0 : 1;
	me->clip_s = clip_s;
	me->hash_s = hash_s;
	for (int k = 1; k <= 2; k++)
		for (int j = 0; j < n; j++)
			if (j != i)
				me->retx += byz_tx_stream_stats(byz_dp_tx_stream(c->dp, (uint8_t)k,
										  (uint16_t)j))->retx;
	for (int k = 1; k <= 2; k++)
		for (int j = 0; j < n; j++)
			if (j != i)
				me->dups += byz_rx_stream_stats(byz_dp_rx_stream(c->dp, (uint8_t)k,
										 (uint16_t)j))->dups;
	if (sh->want_digest) {
		for (int j = 0; j < n; j++)
			crypto_generichash(me->pdigest[j], 32,
					   (const uint8_t *)(c->result + (size_t)j * pf), P, NULL, 0);
		ar_digest_hex(c->result, (size_t)P * (size_t)n, me->digest);
	}
	publish_counters(c);
	__atomic_store_n(&me->done_seq, seq, __ATOMIC_RELEASE);
}

/* Wait for the parent's gate while keeping the ports serviced. */
static int child_wait_gate(struct child *c, int gate)
{
	while (__atomic_load_n(&c->sh->gate, __ATOMIC_ACQUIRE) < gate) {
		if (__atomic_load_n(&c->sh->quit, __ATOMIC_ACQUIRE))
			return -1;
		usleep(200);
	}
	return 0;
}

static int open_port(struct child *c, int slot, const char *devargs)
{
	char why[256];
	int r = byz_vport_open(&c->port[slot], devargs, c->pool, 2048, 0, why, sizeof(why));
	if (r) {
		child_fail(c, why);
		return r;
	}
	if (slot + 1 > c->nports)
		c->nports = slot + 1;
	return 0;
}

static int child_ports(struct child *c)
{
	const struct ar_opts *o = c->o;
	struct mp_peer *me = &c->sh->peer[c->self];
	char args[300];
	if (o->transport == AR_MEMIF) {
		/* slot j: the link to peer j; the lower index of a pair serves */
		for (int pass = 0; pass < 2; pass++) {
			for (int j = 0; j < c->n; j++) {
				if (j == c->self || (pass == 0) != (c->self < j))
					continue;
				int a = c->self < j ? c->self : j, b = c->self < j ? j : c->self;
				snprintf(args, sizeof(args),
					 "net_memif%d,role=%s,id=0,socket=%s/m%d-%d.sock,socket-abstract=no,"
					 "rsize=11,bsize=2048,mac=02:62:79:7a:%02x:%02x",
					 j, c->self < j ? "server" : "client", o->memif_dir, a, b, c->self, j);
				if (open_port(c, j, args))
					return -1;
				c->port_of[j] = j;
			}
			if (pass == 0) {
				__atomic_store_n(&me->state, 1, __ATOMIC_RELEASE);
				if (child_wait_gate(c, 1))
					return -1;
			}
		}
		/* slots are indexed by peer: our own slot stays unused */
		memset(&c->port[c->self], 0, sizeof(c->port[c->self]));
		/* the neighbour table of the memif mesh: the MACs the dataplane uses */
		me->mac[0] = 0x02;
		me->mac[1] = 'b';
		me->mac[2] = 'y';
		me->mac[3] = 'z';
		me->mac[4] = 0;
		me->mac[5] = (uint8_t)c->self;
	} else {
		__atomic_store_n(&me->state, 1, __ATOMIC_RELEASE);
		if (o->transport == AR_AFPACKET)
			snprintf(args, sizeof(args), "net_af_packet0,iface=p0,qpairs=1,blocksz=4096,"
				 "framesz=2048,framecnt=4096");
		else
			snprintf(args, sizeof(args), "net_af_xdp0,iface=p0,start_queue=0,queue_count=1");
		if (open_port(c, 0, args))
			return -1;
		for (int j = 0; j < c->n; j++)
			c->port_of[j] = 0;
		memcpy(me->mac, c->port[0].mac, 6);
	}
	/* every link up (a memif link needs its other process) */
	uint16_t mtu = 9000;
	for (int s = 0; s < c->nports; s++) {
		if (!c->port[s].name[0])
			continue;
		int up = 0;
		for (int t = 0; t < 20000 && !up; t++) {
			struct rte_eth_link l;
			memset(&l, 0, sizeof(l));
			up = !rte_eth_link_get_nowait(c->port[s].port, &l) && l.link_status;
			if (!up)
				usleep(1000);
		}
		if (!up) {
			char why[160];
			snprintf(why, sizeof(why), "%s: link not up after 20 s", c->port[s].name);
			child_fail(c, why);
			return -1;
		}
		if (c->port[s].mtu < mtu)
			mtu = c->port[s].mtu;
	}
	me->mtu = mtu;
	return 0;
}

static int child_dataplane(struct child *c)
{
	const struct ar_opts *o = c->o;
	struct mp_shm *sh = c->sh;
	char why[200];
	struct byz_stream_cfg sc;
	uint32_t seg = byz_vport_seg(sh->peer[c->self].mtu);
	if (seg > BYZ_SEG_1500)
		seg = BYZ_SEG_1500; /* the mbufs are sized for a 1500-byte MTU */
	sh->seg = seg;
	byz_stream_cfg_default(&sc, seg);
	/* memif: one RX ring per sender; af_packet: one kernel ring for all */
	sc.window = o->transport == AR_MEMIF ? 1024 : 3072 / (uint32_t)(c->n - 1);
	if (sc.window > 1024)
		sc.window = 1024;
	sc.init_grant = sc.window / 4;
	sc.pace_bps = ar_pace_bps(o);
	sh->window = sc.window;
	int first = c->port_of[c->self == 0 ? 1 : 0];
	struct byz_dp_cfg dc = {.self = (uint16_t)c->self, .n_peers = (uint16_t)c->n,
				.port_id = c->port[first].port, .pool = c->pool, .session = 1,
				.max_shard = c->maxpart, .scfg = sc, .auth = o->auth};
	if (o->workers) {
		/* room for every leaf of a step (commitments, scatter, gather) */
		uint32_t need = (uint32_t)(3 * c->n) * c->Lmax / (uint32_t)o->workers + 64, rs = 1024;
		while (rs < need && rs < (1u << 20))
			rs <<= 1;
		dc.leaf_bytes = AR_LEAF;
		dc.leaf_rings = (uint16_t)o->workers;
		dc.leaf_ring_size = rs;
	}
	int err = 0;
	c->dp = byz_dp_create(&dc, &err);
	if (!c->dp || (o->auth && (err = ar_auth_keys(c->dp, c->self, c->n, o->seed)) != 0)) {
		snprintf(why, sizeof(why), "dataplane: %s", byz_strerror(err));
		child_fail(c, why);
		return -1;
	}
	if (o->workers) {
		struct ar_wk *w = &c->wk;
		w->nw = (unsigned)o->workers;
		w->n = c->n;
		w->self = c->self;
		w->polite = sh->polite;
		w->commits = c->commits;
		w->Lmax = c->Lmax;
		w->rdig = c->rdig;
		for (int j = 0; j < c->n; j++)
			w->cstep[j] = &sh->peer[j].commit_step;
		for (unsigned r = 0; r < w->nw; r++)
			w->ring[r] = byz_dp_leaf_ring(c->dp, r);
		if (ar_wk_launch(w, why, sizeof(why))) {
			child_fail(c, why);
			return -1;
		}
	}
	for (int j = 0; j < c->n; j++) {
		/* the static neighbour table: the ports' MACs, addresses that exist only
		 * inside this run (10.77.0.0/24) */
		if (byz_dp_set_addr(c->dp, (uint16_t)j, 0x0a4d0001u + (uint32_t)j, sh->peer[j].mac, 0) ||
		    (j != c->self && o->transport == AR_MEMIF &&
		     byz_dp_set_route(c->dp, (uint16_t)j, c->port[j].port, 0))) {
			child_fail(c, "cannot set addresses or routes");
			return -1;
		}
	}
	if (o->loss > 0 || o->dup > 0 || o->corrupt > 0 || o->reorder > 0) {
		for (int s = 0; s < c->nports; s++) {
			if (!c->port[s].name[0])
				continue;
			struct byz_fault_cfg fc = {.loss = o->loss, .dup = o->dup, .corrupt = o->corrupt,
						   .reorder = o->reorder,
						   .seed = o->seed * 977 + (uint64_t)c->self * 131 + (uint64_t)s};
			c->fault[s] = byz_fault_attach(c->port[s].port, &fc, c->pool, &err);
			if (!c->fault[s]) {
				child_fail(c, "cannot attach the fault layer");
				return -1;
			}
		}
	}
	return 0;
}

static void child_cleanup(struct child *c)
{
	ar_wk_stop(&c->wk); /* before the rings they read go away */
	for (int s = 0; s < c->nports; s++)
		byz_fault_detach(c->fault[s]);
	byz_dp_free(c->dp);
	for (int s = 0; s < c->nports; s++)
		byz_vport_close(&c->port[s]);
	rte_mempool_free(c->pool);
	byz_eal_cleanup();
	free(c->grad);
	free(c->result);
	free(c->agg);
	free(c->rdig);
	for (int j = 0; j < c->n; j++)
		if (j != c->self)
			free(c->inbox[j]);
}

static int child_main(const struct ar_opts *o, struct mp_shm *sh, uint8_t *commits,
		      uint32_t Lmax, const struct ar_net *net, int self, uint32_t maxpart)
{
	static struct child c;
	char why[256], prefix[64];
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.sh = sh;
	c.commits = commits;
	c.Lmax = Lmax;
	c.n = o->peers;
	c.self = self;
	c.maxpart = maxpart;
	c.rng = o->seed * 0x2545f4914f6cdd1dull + (uint64_t)self;
	if (o->transport != AR_MEMIF && ar_net_enter(net, self, why, sizeof(why))) {
		child_fail(&c, why);
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "byzmp%ldp%d", (long)getppid(), self);
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	/* The main lcore (and the workers) float over every CPU: with "-l 0"
	 * every peer process would be pinned to CPU 0. More lcores than CPUs is
	 * fine: the kernel places them, and polling turns polite. */
	char lmap[64];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(lmap, sizeof(lmap), "(0-%d)@(0-%ld)", o->workers, cpus > 1 ? cpus - 1 : 0);
	ec.lcore_map = lmap;
	if (byz_eal_init(&ec, why, sizeof(why))) {
		child_fail(&c, why);
		return 1;
	}
	int rc = 1;
	size_t gbytes = (size_t)maxpart * (size_t)c.n;
	/* 2 KiB of data room: af_packet wants its whole frame slot to fit */
	c.pool = byz_dp_pool_create("mppool", 16383, 2048, SOCKET_ID_ANY);
	c.grad = malloc(gbytes);
	c.result = calloc(1, gbytes);
	c.agg = malloc(maxpart);
	c.rdig = calloc((size_t)c.n * Lmax, 32);
	if (!c.pool || !c.grad || !c.result || !c.agg || !c.rdig) {
		child_fail(&c, "out of memory");
		goto out;
	}
	for (int j = 0; j < c.n; j++)
		if (j != self && !(c.inbox[j] = calloc(1, maxpart))) {
			child_fail(&c, "out of memory");
			goto out;
		}
	ar_fill_grad(c.grad, gbytes / sizeof(float), o->seed, self);
	if (child_ports(&c))
		goto out;
	__atomic_store_n(&sh->peer[self].state, 2, __ATOMIC_RELEASE);
	if (child_wait_gate(&c, 2) || child_dataplane(&c))
		goto out;
	__atomic_store_n(&sh->peer[self].state, 3, __ATOMIC_RELEASE);
	uint32_t last = 0;
	for (;;) {
		if (__atomic_load_n(&sh->quit, __ATOMIC_ACQUIRE)) {
			/* stop polling, then close when it is our turn: a memif peer
			 * closing while we still poll or close races in DPDK 22.11 */
			__atomic_store_n(&sh->peer[self].state, 4, __ATOMIC_RELEASE);
			while (__atomic_load_n(&sh->quit_turn, __ATOMIC_ACQUIRE) != self)
				usleep(200);
			break;
		}
		uint32_t seq = __atomic_load_n(&sh->go_seq, __ATOMIC_ACQUIRE);
		if (seq != last) {
			last = seq;
			child_step(&c, seq);
			continue;
		}
		child_idle(&c, byz_dp_poll(c.dp, byz_dp_now_ns()));
		if (!sh->polite && c.idle > 100000)
			c.idle = 0; /* busy poll: never sleeps */
	}
	rc = 0;
out:
	child_cleanup(&c);
	return rc;
}

/* ------------------------------------------------------------ parent */

static volatile sig_atomic_t got_signal;

static void on_signal(int s)
{
	got_signal = s;
}

struct mp {
	const struct ar_opts *o;
	struct mp_shm *sh;
	size_t shm_len;
	uint8_t *commits;
	size_t commits_len;
	pid_t pid[N];
	int alive[N], lost[N], killed[N];
	int n;
	struct ar_net net;
	int have_net;
	char memif_dir[128];
	int made_dir;
};

static void reap(struct mp *m)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < m->n; i++) {
			if (m->pid[i] != p)
				continue;
			m->alive[i] = 0;
			int normal = WIFEXITED(st) && WEXITSTATUS(st) == 0 && m->sh->quit;
			if (!normal) {
				m->lost[i] = 1;
				if (WIFSIGNALED(st))
					fprintf(stderr, "byz-bench allreduce: peer %d (pid %ld) %s by signal %d\n",
						i, (long)p, m->killed[i] ? "killed as asked" : "died",
						WTERMSIG(st));
				else
					fprintf(stderr, "byz-bench allreduce: peer %d (pid %ld) exited with "
						"status %d%s%s\n", i, (long)p, WEXITSTATUS(st),
						m->sh->peer[i].why[0] ? ": " : "", m->sh->peer[i].why);
			}
		}
	}
}

static int any_lost(const struct mp *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->lost[i])
			return 1;
	return 0;
}

/* Wait until every peer reached @p state (or failed). */
static int wait_state(struct mp *m, int state, double limit_s)
{
	double t0 = bench_now();
	for (;;) {
		int all = 1;
		for (int i = 0; i < m->n; i++) {
			int s = __atomic_load_n(&m->sh->peer[i].state, __ATOMIC_ACQUIRE);
			if (s < 0) {
				fprintf(stderr, "byz-bench allreduce: peer %d failed to start: %s\n", i,
					m->sh->peer[i].why);
				return -1;
			}
			if (s < state)
				all = 0;
		}
		if (all)
			return 0;
		reap(m);
		if (any_lost(m))
			return -1;
		if (got_signal) {
			fprintf(stderr, "byz-bench allreduce: interrupted (signal %d)\n", (int)got_signal);
			return -1;
		}
		if (bench_now() - t0 > limit_s) {
			for (int i = 0; i < m->n; i++)
				if (m->sh->peer[i].state < state)
					fprintf(stderr, "byz-bench allreduce: peer %d not ready after %.0f s "
						"(stage %d)\n", i, limit_s, m->sh->peer[i].state);
			return -1;
		}
		usleep(500);
	}
}

/* One step on every peer; returns the time or -1 (a peer lost, or hung). */
static double mp_step(struct mp *m, uint32_t part, int robust, int want_digest,
		      int kill_first)
{
	struct mp_shm *sh = m->sh;
	static uint32_t seq;
	double timeout = m->o->peer_timeout_ms ? m->o->peer_timeout_ms / 1000.0
					       : 5.0 + 100e-9 * (double)part * m->n;
	sh->part = part;
	sh->robust = robust;
	sh->want_digest = want_digest;
	sh->step++;
	seq++;
	for (int i = 0; i < m->n; i++)
		sh->peer[i].status = 0;
	double t_go = bench_now();
	sh->t_go = t_go;
	sh->deadline1 = t_go + timeout;
	sh->deadline2 = t_go + 2 * timeout;
	__atomic_store_n(&sh->go_seq, seq, __ATOMIC_RELEASE);
	if (kill_first) {
		int k = m->o->kill_peer;
		/* mid-step: the victim stops after its first burst went out and waits
		 * for the signal, so the kill always lands inside the step */
		double t0 = bench_now();
		while (__atomic_load_n(&sh->peer[k].doomed, __ATOMIC_ACQUIRE) != sh->step &&
		       bench_now() - t0 < 5)
			usleep(50);
		m->killed[k] = 1;
		kill(m->pid[k], SIGKILL);
	}
	for (;;) {
		reap(m);
		int all = 1;
		for (int i = 0; i < m->n; i++)
			if (m->alive[i] && __atomic_load_n(&sh->peer[i].done_seq, __ATOMIC_ACQUIRE) != seq)
				all = 0;
		if (all)
			break;
		if (got_signal) {
			fprintf(stderr, "byz-bench allreduce: interrupted (signal %d)\n", (int)got_signal);
			return -1;
		}
		if (bench_now() > sh->deadline2 + 5) {
			for (int i = 0; i < m->n; i++)
				if (m->alive[i] && sh->peer[i].done_seq != seq)
					fprintf(stderr, "byz-bench allreduce: peer %d did not finish step %u "
						"within %.1f s; stopping it\n", i, sh->step, 2 * timeout + 5);
			return -1;
		}
		usleep(any_lost(m) ? 1000 : 50);
	}
	double t = 0;
	for (int i = 0; i < m->n; i++)
		if (m->alive[i] && sh->peer[i].t_done - t_go > t)
			t = sh->peer[i].t_done - t_go;
	return any_lost(m) ? -1 : t;
}

static void bits(char *out, size_t len, uint64_t mask, int n, int want)
{
	size_t o = 0;
	out[0] = 0;
	for (int j = 0; j < n && o + 4 < len; j++)
		if ((int)((mask >> j) & 1u) == want)
			o += (size_t)snprintf(out + o, len - o, "%s%d", o ? "," : "", j);
	if (!o)
		snprintf(out, len, "none");
}

/* After a lost peer: every part a survivor holds must be the mean over the
 * inputs its aggregator reports having used. Returns 0 when all agree. */
static int check_survivors(struct mp *m, uint32_t part)
{
	int n = m->n, bad = 0;
	size_t pf = part / sizeof(float);
	float *g = malloc((size_t)part * (size_t)n * (size_t)n), *agg = malloc(part);
	if (!g || !agg) {
		free(g);
		free(agg);
		fprintf(stderr, "byz-bench allreduce: no memory to check the survivors\n");
		return -1;
	}
	for (int i = 0; i < n; i++)
		ar_fill_grad(g + (size_t)i * pf * (size_t)n, pf * (size_t)n, m->o->seed, i);
	for (int j = 0; j < n; j++) {
		uint64_t used = m->sh->peer[j].in_mask;
		uint8_t want[32];
		const float *in[N];
		for (int i = 0; i < n; i++)
			in[i] = g + (size_t)i * pf * (size_t)n + (size_t)j * pf;
		ar_mean(in, n, used, pf, agg);
		crypto_generichash(want, 32, (const uint8_t *)agg, part, NULL, 0);
		for (int i = 0; i < n; i++) {
			if (m->lost[i] || !((m->sh->peer[i].have_mask >> j) & 1u))
				continue;
			if (!used || memcmp(m->sh->peer[i].pdigest[j], want, 32)) {
				fprintf(stderr, "byz-bench allreduce: peer %d holds a wrong part %d\n", i, j);
				bad = 1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		if (m->lost[i])
			continue;
		char have[64], miss[64], used[64];
		bits(have, sizeof(have), m->sh->peer[i].have_mask, n, 1);
		bits(miss, sizeof(miss), m->sh->peer[i].have_mask, n, 0);
		bits(used, sizeof(used), m->sh->peer[i].in_mask, n, 1);
		printf("# survivor %d: finished in %.1f ms; holds parts %s, missing %s; "
		       "aggregated part %d from peers %s\n", i,
		       (m->sh->peer[i].t_done - m->sh->t_go) * 1e3, have, miss, i, used);
	}
	free(g);
	free(agg);
	return bad ? -1 : 0;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			struct stat st;
			if (!lstat(p, &st) && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void mp_teardown(struct mp *m)
{
	if (m->sh) {
		__atomic_store_n(&m->sh->quit, 1, __ATOMIC_RELEASE);
		double t0 = bench_now();
		for (int i = 0; i < m->n; i++) {
			/* everyone idle first, then one at a time */
			while (m->alive[i] && m->sh->peer[i].state != 4 && m->sh->peer[i].state >= 0 &&
			       bench_now() - t0 < 5) {
				reap(m);
				usleep(500);
			}
		}
		for (int i = 0; i < m->n; i++) {
			__atomic_store_n(&m->sh->quit_turn, i, __ATOMIC_RELEASE);
			double t1 = bench_now();
			while (m->alive[i] && bench_now() - t1 < 5) {
				reap(m);
				usleep(500);
			}
		}
		t0 = bench_now();
		for (;;) {
			reap(m);
			int any = 0;
			for (int i = 0; i < m->n; i++)
				any |= m->alive[i];
			if (!any)
				break;
			if (bench_now() - t0 > 5) {
				for (int i = 0; i < m->n; i++)
					if (m->alive[i]) {
						fprintf(stderr, "byz-bench allreduce: peer %d did not stop; killing it\n", i);
						kill(m->pid[i], SIGKILL);
					}
				t0 = bench_now() + 1e9; /* kill once, then wait */
			}
			usleep(1000);
		}
	}
	if (m->have_net)
		ar_net_destroy(&m->net);
	if (m->made_dir)
		rm_tree(m->memif_dir);
	for (int i = 0; i < m->n; i++) {
		char p[128];
		snprintf(p, sizeof(p), "/var/run/dpdk/byzmp%ldp%d", (long)getpid(), i);
		rm_tree(p);
	}
	if (m->sh)
		munmap(m->sh, m->shm_len);
	if (m->commits)
		munmap(m->commits, m->commits_len);
}

int ar_mp_main(const struct ar_opts *oin)
{
	/* Static, like m, which keeps a pointer to it for the cleanup path. */
	static struct mp m;
	static struct ar_opts o;
	o = *oin;
	int n = o.peers, rc = 1;
	char why[256], nsprefix[32];
	memset(&m, 0, sizeof(m));
	m.o = &o;
	m.n = n;
	if (o.transport != AR_MEMIF && geteuid() != 0) {
		fprintf(stderr, "byz-bench allreduce: --transport %s creates network namespaces "
			"and veths: it needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)\n",
			ar_transport_name(o.transport));
		return 1;
	}
	uint32_t maxpart = (uint32_t)(o.e / (uint64_t)n) & ~3u;
	uint32_t Lmax = ar_leaves(maxpart);
	m.shm_len = sizeof(struct mp_shm);
	m.commits_len = (size_t)n * (size_t)n * Lmax * 32;
	void *a = mmap(NULL, m.shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *b = mmap(NULL, m.commits_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		fprintf(stderr, "byz-bench allreduce: cannot map shared memory: %s\n", strerror(errno));
		if (a != MAP_FAILED)
			munmap(a, m.shm_len);
		if (b != MAP_FAILED)
			munmap(b, m.commits_len);
		return 1;
	}
	m.sh = a;
	m.commits = b;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* polite when lcores (main + workers per peer) outnumber the cores */
	m.sh->polite = o.busy_poll == 1 ? 0 : (cores < 1 || (long)n * (1 + o.workers) > cores);
	m.sh->kill_peer = -1;
	m.sh->quit_turn = -1;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (o.transport == AR_MEMIF) {
		if (o.memif_dir)
			snprintf(m.memif_dir, sizeof(m.memif_dir), "%s", o.memif_dir);
		else
			snprintf(m.memif_dir, sizeof(m.memif_dir), "/tmp/byz-memif-%ld", (long)getpid());
		if (mkdir(m.memif_dir, 0700)) {
			fprintf(stderr, "byz-bench allreduce: cannot create %s: %s\n", m.memif_dir,
				strerror(errno));
			goto out;
		}
		m.made_dir = 1;
		o.memif_dir = m.memif_dir;
	} else {
		uint8_t mac[N][6];
		for (int i = 0; i < n; i++) {
			const uint8_t mm[6] = {0x02, 'b', 'y', 'z', 0x01, (uint8_t)i};
			memcpy(mac[i], mm, 6);
		}
		if (o.netns)
			snprintf(nsprefix, sizeof(nsprefix), "%s", o.netns);
		else
			snprintf(nsprefix, sizeof(nsprefix), "byz%ld", (long)getpid());
		if (ar_net_create(&m.net, nsprefix, n, (const uint8_t(*)[6])mac, why, sizeof(why))) {
			fprintf(stderr, "byz-bench allreduce: cannot build the test network: %s\n", why);
			goto out;
		}
		m.have_net = 1;
		if (o.tc_bpf && ar_net_attach_bpf(&m.net, o.tc_bpf, o.tc_sec, why, sizeof(why))) {
			fprintf(stderr, "byz-bench allreduce: cannot attach %s (section %s): %s\n",
				o.tc_bpf, o.tc_sec, why);
			goto out;
		}
	}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			fprintf(stderr, "byz-bench allreduce: fork: %s\n", strerror(errno));
			goto out;
		}
		if (p == 0) {
			/* a child never outlives the parent that cleans up after it */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			_exit(child_main(&o, m.sh, m.commits, Lmax, &m.net, i, maxpart));
		}
		m.pid[i] = p;
		m.alive[i] = 1;
	}
	if (wait_state(&m, 1, 30))
		goto out;
	__atomic_store_n(&m.sh->gate, 1, __ATOMIC_RELEASE);
	if (wait_state(&m, 2, 30))
		goto out;
	__atomic_store_n(&m.sh->gate, 2, __ATOMIC_RELEASE);
	if (wait_state(&m, 3, 30))
		goto out;

	printf("# byz-bench allreduce: %d peers, transport %s (one process per peer%s), MTU %u, "
	       "seg %u B, window %u, frame auth %s\n", n, ar_transport_name(o.transport),
	       o.transport == AR_MEMIF ? ", memif full mesh" : ", veths on a bridge in namespaces",
	       m.sh->peer[0].mtu, m.sh->seg, m.sh->window, o.auth ? "on (Poly1305 per frame)" : "off");
	printf("# faults: fault layer loss %.3g dup %.3g corrupt %.3g reorder %.3g%s%s; "
	       "garbage %u frames per pair per step\n", o.loss, o.dup, o.corrupt, o.reorder,
	       o.tc_bpf ? "; tc-bpf " : "", o.tc_bpf ? o.tc_bpf : "", o.garbage);
	printf("# %s poll on %ld cores; times are from the go signal to the last peer's result\n",
	       m.sh->polite ? "polite" : "busy", cores);
	if (o.pace_gbit > 0)
		printf("# paced: %.3g Gbit/s per peer, %.3g Gbit/s per stream\n", o.pace_gbit,
		       (double)ar_pace_bps(&o) * 8e-9);
	printf("# robust = CenteredClip (tau %.3g) + BLAKE2b-256 leaf hashes (64 KiB); plain = "
	       "butterfly mean\n", o.tau);
	if (o.workers)
		printf("# %d hashing worker lcore%s per peer (%s): the RX path hands over each leaf "
		       "as it completes; hash(us) is their busy time\n", o.workers,
		       o.workers > 1 ? "s" : "", byz_hash_impl_name(byz_hash_best()));
	else
		printf("# hashing on the polling lcore, each part after it completed (--workers 0)\n");
	printf("#%11s %11s %9s %9s %11s %9s %7s %10s %10s %9s %7s\n", "size", "time(us)", "algbw",
	       "busbw", "plain(us)", "p.busbw", "x plain", "clip(us)", "hash(us)", "kfr/s/core",
	       "r.Mpps");
	FILE *csv = NULL;
	if (o.csv && !(csv = fopen(o.csv, "w"))) {
		fprintf(stderr, "byz-bench allreduce: cannot write %s: %s\n", o.csv, strerror(errno));
		goto out;
	}
	if (csv)
		fprintf(csv, "size_bytes,time_us,algbw,busbw,plain_busbw,protocol,overhead_bytes\n");
	double sum_bus = 0, sum_pbus = 0;
	int rows = 0, first = 1;
	double times[1000], ptimes[1000];
	/* A geometric size sweep; the bound has slack for rounding. */
	for (double sz = (double)o.b; sz <= (double)o.e * 1.0000001; sz *= o.f) { // NOLINT(cert-flp30-c,clang-analyzer-security.FloatLoopCounter)
		uint32_t part = (uint32_t)((uint64_t)sz / (uint64_t)n) & ~3u;
		uint64_t size = (uint64_t)part * (uint64_t)n;
		double clip_s = 0, hash_s = 0, kfr = 0, rmpps = 0;
		char dg[2][65];
		for (int mode = 0; mode < 2; mode++) {
			for (int it = 0; it < o.warmup + o.iters; it++) {
				int last = it == o.warmup + o.iters - 1;
				int kill_now = first && o.kill_peer >= 0;
				m.sh->kill_peer = kill_now ? o.kill_peer : -1;
				double t = mp_step(&m, part, mode, last || kill_now, kill_now);
				first = 0;
				if (any_lost(&m)) {
					printf("# step %u: a peer was lost; the survivors stopped at their "
					       "deadlines\n", m.sh->step);
					int ok = mode == 0 && !check_survivors(&m, part);
					if (ok)
						printf("# every part the survivors hold equals the mean over "
						       "the inputs its aggregator received\n");
					fprintf(stderr, "byz-bench allreduce: peer lost during step %u; "
						"survivors finished and report it%s\n", m.sh->step,
						ok ? "" : " (but their parts do not check out)");
					rc = ok ? 3 : 1;
					goto out_csv;
				}
				if (t < 0)
					goto out_csv;
				for (int i = 0; i < n; i++)
					if (m.sh->peer[i].status) {
						fprintf(stderr, "byz-bench allreduce: peer %d: size %llu %s\n", i,
							(unsigned long long)size, m.sh->peer[i].status == 2
							? "failed verification" : "did not complete by the deadline");
						goto out_csv;
					}
				if (last || kill_now) {
					for (int i = 1; i < n; i++)
						if (strcmp(m.sh->peer[i].digest, m.sh->peer[0].digest)) {
							fprintf(stderr, "byz-bench allreduce: peers 0 and %d disagree "
								"at size %llu\n", i, (unsigned long long)size);
							goto out_csv;
						}
					memcpy(dg[mode], m.sh->peer[0].digest, 65);
				}
				if (it < o.warmup)
					continue;
				(mode ? times : ptimes)[it - o.warmup] = t;
				for (int i = 0; i < n; i++) {
					if (mode) {
						clip_s += m.sh->peer[i].clip_s;
						hash_s += m.sh->peer[i].hash_s;
						rmpps += (double)m.sh->peer[i].step_rx /
							 (m.sh->peer[i].t_done - m.sh->t_go) / 1e6 / n;
					} else {
						kfr += (double)m.sh->peer[i].step_rx /
						       (m.sh->peer[i].t_done - m.sh->t_go) / 1e3 / n;
					}
				}
			}
		}
		double t = bench_median(times, (size_t)o.iters);
		double pt = bench_median(ptimes, (size_t)o.iters);
		double alg = (double)size / t / 1e9, bus = alg * 2.0 * (n - 1) / n;
		double palg = (double)size / pt / 1e9, pbus = palg * 2.0 * (n - 1) / n;
		printf(" %11llu %11.1f %9.3f %9.3f %11.1f %9.3f %7.2f %10.1f %10.1f %9.1f %7.3f\n",
		       (unsigned long long)size, t * 1e6, alg, bus, pt * 1e6, pbus, t / pt,
		       clip_s / o.iters * 1e6, hash_s / o.iters * 1e6, kfr / o.iters,
		       rmpps / o.iters);
		printf("# digest %llu plain %s robust %s\n", (unsigned long long)size, dg[0], dg[1]);
		if (csv)
			/* overhead_bytes empty: this runner does not count bytes sent */
			fprintf(csv, "%llu,%.3f,%.6f,%.6f,%.6f,none,\n", (unsigned long long)size,
				t * 1e6, alg, bus, pbus);
		sum_bus += bus;
		sum_pbus += pbus;
		rows++;
		fflush(stdout);
	}
	printf("# Avg bus bandwidth    : %.4f  (plain butterfly mean: %.4f, ratio %.2f)\n",
	       sum_bus / rows, sum_pbus / rows, sum_pbus / sum_bus);
	rc = 0;
out_csv:;
	/* what the transport saw, summed over the peers */
	uint64_t t_rx = 0, t_tx = 0, t_retx = 0, t_dups = 0, t_pd = 0, t_od = 0, t_gs = 0, t_full = 0;
	uint64_t fl = 0, fd = 0, fc = 0, fh = 0, crc = 0, lv = 0, lvf = 0;
	for (int i = 0; i < n; i++) {
		struct mp_peer *p = &m.sh->peer[i];
		t_rx += p->rx_frames;
		t_tx += p->tx_frames;
		t_retx += p->retx;
		t_dups += p->dups;
		t_pd += p->parse_drop;
		t_od += p->other_drop;
		t_gs += p->garbage_sent;
		t_full += p->tx_full;
		crc += p->drop[BYZ_DROP_CRC];
		fl += p->f_lost;
		fd += p->f_duped;
		fc += p->f_corrupted;
		fh += p->f_held;
		lv += p->leaves;
		lvf += p->leaf_full;
	}
	printf("# transport: rx %llu tx %llu frames, retransmitted %llu, duplicates ignored %llu, "
	       "tx refused %llu\n", (unsigned long long)t_rx, (unsigned long long)t_tx,
	       (unsigned long long)t_retx, (unsigned long long)t_dups, (unsigned long long)t_full);
	printf("# garbage sent %llu; parser drops %llu (crc %llu); other drops %llu\n",
	       (unsigned long long)t_gs, (unsigned long long)t_pd, (unsigned long long)crc,
	       (unsigned long long)t_od);
	printf("# fault layer: lost %llu duplicated %llu corrupted %llu held back %llu\n",
	       (unsigned long long)fl, (unsigned long long)fd, (unsigned long long)fc,
	       (unsigned long long)fh);
	if (o.workers)
		printf("# leaf descriptors: queued %llu, dropped (ring full) %llu\n",
		       (unsigned long long)lv, (unsigned long long)lvf);
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench allreduce: error writing %s\n", o.csv);
		rc = 1;
	}
out:
	mp_teardown(&m);
	return rc;
}
