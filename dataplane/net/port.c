/* Packet pools and the in-process ring fabric (rte_eth_from_rings). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "byz/dp.h"

struct rte_mempool *byz_dp_pool_create(const char *name, unsigned nb_mbufs,
				       unsigned mtu, int socket)
{
	if (mtu < BYZ_MTU_MIN || mtu > BYZ_MTU_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* one frame per mbuf: no chained segments on the fast path */
	unsigned room = RTE_PKTMBUF_HEADROOM + BYZ_ETH_HLEN + mtu;
	room = (room + 63u) & ~63u;
	return rte_pktmbuf_pool_create(name, nb_mbufs, 256, 0, (uint16_t)room, socket);
}

struct rte_mempool *byz_dp_pool_create_room(const char *name, unsigned nb_mbufs,
					    unsigned data_room, int socket)
{
	if (data_room < RTE_PKTMBUF_HEADROOM + BYZ_ETH_HLEN + BYZ_MTU_MIN || data_room > UINT16_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	return rte_pktmbuf_pool_create(name, nb_mbufs, 256, 0, (uint16_t)data_room, socket);
}

int byz_ringnet_create(struct byz_ringnet *rn, const char *prefix, uint16_t n,
		       unsigned ring_size, struct rte_mempool *pool)
{
	char name[RTE_RING_NAMESIZE];
	if (!rn || !prefix || n < 1 || n > BYZ_RINGNET_MAX || !pool ||
	    !rte_is_power_of_2(ring_size))
		return -EINVAL;
	memset(rn, 0, sizeof(*rn));
	/* Several ports (lcores) enqueue into one RX ring; only its port dequeues. */
	for (uint16_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%sr%u", prefix, i);
		rn->ring[i] = rte_ring_create(name, ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (!rn->ring[i])
			goto fail;
		rn->n = (uint16_t)(i + 1);
	}
	for (uint16_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%sp%u", prefix, i);
		int p = rte_eth_from_rings(name, &rn->ring[i], 1, rn->ring, n, SOCKET_ID_ANY);
		if (p < 0)
			goto fail;
		rn->port[i] = (uint16_t)p;
		rn->nports = (uint16_t)(i + 1);
		struct rte_eth_conf conf;
		memset(&conf, 0, sizeof(conf));
		int r = rte_eth_dev_configure((uint16_t)p, 1, n, &conf);
		if (!r)
			r = rte_eth_rx_queue_setup((uint16_t)p, 0, ring_size, SOCKET_ID_ANY, NULL, pool);
		for (uint16_t q = 0; !r && q < n; q++)
			r = rte_eth_tx_queue_setup((uint16_t)p, q, ring_size, SOCKET_ID_ANY, NULL);
		if (!r)
			r = rte_eth_dev_start((uint16_t)p);
		if (r) {
			rte_errno = -r;
			goto fail;
		}
	}
	return 0;
fail:;
	int e = rte_errno ? -rte_errno : -ENOMEM;
	byz_ringnet_destroy(rn);
	return e;
}

void byz_ringnet_destroy(struct byz_ringnet *rn)
{
	if (!rn)
		return;
	for (uint16_t i = 0; i < rn->nports; i++) {
		rte_eth_dev_stop(rn->port[i]);
		rte_eth_dev_close(rn->port[i]);
	}
	for (uint16_t i = 0; i < rn->n; i++) {
		if (rn->ring[i]) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(rn->ring[i], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(rn->ring[i]);
		}
	}
	memset(rn, 0, sizeof(*rn));
}
