/**
 * @file byz/vport.h
 * @brief Virtual-device ports for multi-process and kernel-backed runs:
 * net_memif (shared memory between processes), net_af_packet and net_af_xdp
 * (a Linux interface, e.g. a veth in a test-made network namespace).
 *
 * A port is probed from a devargs string after EAL init (vdev hotplug), given
 * one RX and one TX queue, started, and waited on until its link is up (a
 * memif link comes up when the other process connects). Its MTU tells the
 * caller the largest frame it carries: memif ports carry 1518-byte frames.
 */
#ifndef BYZ_VPORT_H
#define BYZ_VPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;

/** What byz_vport_open() reports about a started port. */
struct byz_vport {
	uint16_t port;      /**< ethdev port id */
	uint16_t mtu;       /**< IP MTU the port carries (<= 1500 for memif) */
	uint8_t mac[6];     /**< the port's MAC (af_packet: the interface's) */
	char name[64];      /**< device name, for byz_vport_close() */
};

/**
 * @brief Probe @p devargs ("net_memif0,role=server,socket=/tmp/x.sock", ...),
 * configure one RX queue (mbufs from @p pool) and one TX queue of @p nb_desc
 * descriptors, start it and wait up to @p link_ms for link up (0: do not
 * wait; a memif mesh opens every port first and then waits for all links).
 * @param why NULL or a buffer for a one-line reason on failure
 * @return 0; -EINVAL (bad arguments); -ENODEV (probe failed: driver missing,
 *         bad devargs, interface absent); -ETIMEDOUT (link never came up);
 *         another negative ethdev code
 */
int byz_vport_open(struct byz_vport *vp, const char *devargs, struct rte_mempool *pool,
		   uint16_t nb_desc, unsigned link_ms, char *why, size_t whylen);

/** @brief Stop, close and detach a port opened by byz_vport_open(). */
void byz_vport_close(struct byz_vport *vp);

/** @brief The largest DATA payload for a port of IP MTU @p mtu (header room taken off). */
uint32_t byz_vport_seg(uint16_t mtu);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_VPORT_H */
