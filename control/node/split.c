/*
 * Split mode of the node runtime: the dataplane loop (byz_dp_poll: RX, TX of
 * streams, ARP) runs on its own worker lcore, and the control thread (chan +
 * peer) never touches dataplane state. CONTROL frames go out through a fixed
 * pool of slots: the control thread takes a free slot index off one ring,
 * copies the payload into the slot and hands the index over on a second
 * ring; the dp lcore dequeues indices in bursts, builds the frames
 * (byz_dp_send_control) and gives the indices back. Both rings are single
 * producer, single consumer; nothing is allocated per frame. No free slot
 * means the frame is dropped and counted: the channel retransmits it.
 * Frames coming in still reach the control thread on byz_dp_ctrl_ring, and
 * bans on the epoch-swapped roster, exactly as in single-lcore mode.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "node_int.h"

struct split_slot {
	uint16_t to;
	uint16_t pad;
	uint32_t len;
	uint8_t data[];
};

struct node_split {
	struct byz_dp *dp;
	struct rte_ring *tx;   /* filled slots, control thread -> dp lcore */
	struct rte_ring *free; /* empty slots, dp lcore -> control thread */
	uint8_t *slots;        /* nslots * stride, cache-line aligned */
	uint32_t stride, room, nslots;
	unsigned lcore;
	int busy, launched;
	uint64_t (*clk)(void);
	/* control thread only: free indices taken in bursts, filled ones staged */
	uint32_t fc[BYZ_DP_BURST], nfc, fch;
	uint32_t stage[BYZ_DP_BURST], nstage;
	/* written by the dp lcore (relaxed stores), read by the control thread */
	alignas(64) uint64_t sent, send_fail;
	/* written by the control thread */
	alignas(64) int stop;
};

static struct split_slot *slot_at(const struct node_split *s, uint32_t i)
{
	return (struct split_slot *)(void *)(s->slots + (size_t)i * s->stride);
}

static int dp_main(void *arg)
{
	struct node_split *s = arg;
	uint32_t idx[BYZ_DP_BURST];
	uint64_t sent = 0, fail = 0;
	unsigned idle = 0;
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = s->clk();
		unsigned work = 0, got, k = 0;
		/* a few bursts per turn, then RX: a chatty control thread must
		 * not starve the receive side */
		while (k++ < 4 && (got = rte_ring_sc_dequeue_burst_elem(s->tx, idx, sizeof(idx[0]),
									 BYZ_DP_BURST, NULL)) > 0) {
			for (unsigned i = 0; i < got; i++) {
				const struct split_slot *f = slot_at(s, idx[i]);
				if (byz_dp_send_control(s->dp, f->to, f->data, f->len, now))
					fail++;
				else
					sent++;
			}
			/* never short: the free ring holds every index */
			rte_ring_sp_enqueue_burst_elem(s->free, idx, sizeof(idx[0]), got, NULL);
			work += got;
		}
		work += byz_dp_poll(s->dp, now);
		if (work) {
			__atomic_store_n(&s->sent, sent, __ATOMIC_RELAXED);
			__atomic_store_n(&s->send_fail, fail, __ATOMIC_RELAXED);
			idle = 0;
			continue;
		}
		if (s->busy)
			continue;
		/* polite: spin briefly, then leave the core to others (as byz_dp_loop) */
		if (++idle > 1024)
			usleep(50);
		else if (idle > 64)
			rte_pause();
	}
	__atomic_store_n(&s->sent, sent, __ATOMIC_RELAXED);
	__atomic_store_n(&s->send_fail, fail, __ATOMIC_RELAXED);
	return 0;
}

void node_split_free(struct node_split *s)
{
	if (!s)
		return;
	node_split_stop(s);
	rte_ring_free(s->tx);
	rte_ring_free(s->free);
	free(s->slots);
	free(s);
}

struct node_split *node_split_new(struct byz_dp *dp, uint32_t room, uint32_t nslots,
				  uint64_t (*clk)(void), int busy, int *err)
{
	static unsigned seq; /* ring names are process-wide */
	int e = -ENOMEM;
	struct node_split *s = NULL;
	if (!dp || !clk || room == 0 || room > BYZ_CONTROL_MAX || nslots < BYZ_DP_BURST ||
	    (nslots & (nslots - 1)) || nslots > 65536) {
		e = -EINVAL;
		goto fail;
	}
	void *mem = NULL;
	if (posix_memalign(&mem, 64, sizeof(*s)))
		goto fail;
	s = mem;
	memset(s, 0, sizeof(*s));
	s->dp = dp;
	s->room = room;
	s->nslots = nslots;
	s->clk = clk;
	s->busy = busy;
	s->stride = (uint32_t)((sizeof(struct split_slot) + room + 63u) & ~(size_t)63u);
	mem = NULL;
	if (posix_memalign(&mem, 64, (size_t)nslots * s->stride))
		goto fail;
	s->slots = mem;
	unsigned id = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
	char name[32];
	/* twice the slots: an index ring never refuses one of the nslots indices */
	snprintf(name, sizeof(name), "bzsplt%u", id);
	s->tx = rte_ring_create_elem(name, sizeof(uint32_t), 2 * nslots, SOCKET_ID_ANY,
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "bzsplf%u", id);
	s->free = rte_ring_create_elem(name, sizeof(uint32_t), 2 * nslots, SOCKET_ID_ANY,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!s->tx || !s->free)
		goto fail;
	for (uint32_t i = 0; i < nslots; i++)
		if (rte_ring_sp_enqueue_elem(s->free, &i, sizeof(i)))
			goto fail;
	if (err)
		*err = 0;
	return s;
fail:
	node_split_free(s);
	if (err)
		*err = e;
	return NULL;
}

int node_split_launch(struct node_split *s, unsigned lcore)
{
	if (s->launched)
		return -EBUSY;
	if (lcore >= RTE_MAX_LCORE || lcore == rte_get_main_lcore() ||
	    !rte_lcore_is_enabled(lcore))
		return -EINVAL;
	if (rte_lcore_id() != rte_get_main_lcore())
		return -EPERM; /* only the main lcore may launch (DPDK) */
	if (rte_eal_get_lcore_state(lcore) != WAIT)
		return -EBUSY;
	__atomic_store_n(&s->stop, 0, __ATOMIC_RELEASE);
	int r = rte_eal_remote_launch(dp_main, s, lcore);
	if (r)
		return r < 0 ? r : -r;
	s->lcore = lcore;
	s->launched = 1;
	return 0;
}

void node_split_stop(struct node_split *s)
{
	if (!s || !s->launched)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(s->lcore);
	s->launched = 0;
}

void node_split_flush(struct node_split *s)
{
	if (!s->nstage)
		return;
	/* never short: the tx ring holds every index */
	rte_ring_sp_enqueue_burst_elem(s->tx, s->stage, sizeof(s->stage[0]), s->nstage, NULL);
	s->nstage = 0;
}

int node_split_emit(struct node_split *s, uint16_t to, const uint8_t *p, uint32_t len)
{
	if (len > s->room)
		return -ERANGE;
	if (s->fch == s->nfc) {
		/* hand over what is staged first: it may be what frees slots */
		node_split_flush(s);
		s->fch = 0;
		s->nfc = rte_ring_sc_dequeue_burst_elem(s->free, s->fc, sizeof(s->fc[0]),
							 BYZ_DP_BURST, NULL);
		if (!s->nfc)
			return -ENOBUFS;
	}
	uint32_t i = s->fc[s->fch++];
	struct split_slot *f = slot_at(s, i);
	f->to = to;
	f->len = len;
	memcpy(f->data, p, len);
	s->stage[s->nstage++] = i;
	if (s->nstage == BYZ_DP_BURST)
		node_split_flush(s);
	return 0;
}

void node_split_counters(const struct node_split *s, uint64_t *sent, uint64_t *fail)
{
	*sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	*fail = __atomic_load_n(&s->send_fail, __ATOMIC_RELAXED);
}

int node_split_lcore(const struct node_split *s)
{
	return s && s->launched ? (int)s->lcore : -1;
}
