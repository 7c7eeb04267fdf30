/**
 * @file byz/bringup.h
 * @brief What byzd and the trainer API (byz/trainer.h) both do to bring a
 * node up from a config file (byz/config.h): start the port, and turn the
 * config into run constants and peer addresses. One copy, so a config means
 * the same to both.
 */
#ifndef BYZ_BRINGUP_H
#define BYZ_BRINGUP_H

#include <stddef.h>
#include <stdint.h>

#include "byz/config.h"
#include "byz/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;

/** Peer addresses derived from a config (roster order). */
struct byz_bringup_addrs {
	uint8_t roster[BYZ_CONFIG_MAX_PEERS * 32]; /**< public keys */
	uint32_t ip[BYZ_CONFIG_MAX_PEERS];         /**< host order */
	uint8_t mac[BYZ_CONFIG_MAX_PEERS][6];      /**< given, or 02:62:79:7a:hi:lo */
	uint16_t udp[BYZ_CONFIG_MAX_PEERS];        /**< the peer's, or [port] udp_port */
};

/**
 * @brief Configure and start an ethdev port: the device MTU set to @p mtu
 * (the IP MTU, [port] mtu; 0: left as it is), one RX and one TX queue of
 * @p ndesc descriptors (adjusted to the device's limits), RX mbufs from
 * @p pool, promiscuous mode where the device allows (roster MACs may be
 * virtual).
 * @param why receives a one-line reason on failure
 * @return 0; 1: started, but the PMD cannot set an MTU (ring, memif: the
 *         link must carry @p mtu as it is); -ERANGE (@p mtu above the
 *         device's maximum); another negative ethdev code (rte_strerror(-r))
 */
int byz_bringup_port(uint16_t port, uint32_t ndesc, uint32_t mtu, struct rte_mempool *pool,
		     char *why, size_t cap);

/** Ports beyond [port] name: one per distinct [peer] port (byz/config.h). */
struct byz_bringup_ports {
	/** per roster index, the port id frames to that peer leave through;
	 *  UINT16_MAX: no [peer] port given (the node's own port) */
	uint16_t route[BYZ_CONFIG_MAX_PEERS];
	uint16_t id[BYZ_CONFIG_MAX_PEERS]; /**< the ports started here, in order */
	unsigned n;
};

/**
 * @brief Start every distinct [peer] port other than [port] name (this
 *        node's own row is skipped) with byz_bringup_port's settings, and
 *        fill @p out. On failure the ports started so far are closed again.
 * @param main_port the port id of [port] name (a [peer] port may repeat it)
 * @return 0; -ENODEV (a name the EAL did not create); byz_bringup_port's
 *         errors; @p why names the peer and the device
 */
int byz_bringup_peer_ports(const struct byz_config *c, uint32_t self, uint16_t main_port,
			   struct rte_mempool *pool, struct byz_bringup_ports *out, char *why,
			   size_t cap);

struct byz_dp;
/**
 * @brief Route each peer of @p p with a port of its own through it
 *        (byz_dp_set_route, queue 0); before the dataplane's first poll.
 * @return 0 or byz_dp_set_route's error
 */
int byz_bringup_routes(struct byz_dp *dp, uint32_t n, const struct byz_bringup_ports *p);

/** @brief Stop and close the ports byz_bringup_peer_ports started. */
void byz_bringup_ports_close(struct byz_bringup_ports *p);

/** @brief Fill @p a from @p c (self's MAC is the config's or the derived one). */
void byz_bringup_addrs(const struct byz_config *c, struct byz_bringup_addrs *a);

/**
 * @brief Run constants from [run] and [protocol] (byz_run_defaults for the
 * rest); @p roster (n keys) is borrowed by @p run.
 */
void byz_bringup_run(const struct byz_config *c, const uint8_t *roster, size_t d,
		     struct byz_run *run);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_BRINGUP_H */
