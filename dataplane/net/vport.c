/*
 * Virtual-device ports (memif, af_packet, af_xdp) opened by hotplug after EAL
 * init, so a process can open as many as its peers need without building EAL
 * argv for each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "byz/dp.h"
#include "byz/vport.h"

uint32_t byz_vport_seg(uint16_t mtu)
{
	if (mtu > BYZ_MTU_MAX)
		mtu = BYZ_MTU_MAX;
	if (mtu < BYZ_MTU_MIN)
		return 0;
	return (uint32_t)mtu - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN;
}

int byz_vport_open(struct byz_vport *vp, const char *devargs, struct rte_mempool *pool,
		   uint16_t nb_desc, unsigned link_ms, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = 0;
	if (!vp || !devargs || !pool || !nb_desc) {
		if (why)
			snprintf(why, whylen, "bad port arguments");
		return -EINVAL;
	}
	memset(vp, 0, sizeof(*vp));
	size_t nl = strcspn(devargs, ",");
	if (nl == 0 || nl >= sizeof(vp->name)) {
		if (why)
			snprintf(why, whylen, "bad device name in '%s'", devargs);
		return -EINVAL;
	}
	memcpy(vp->name, devargs, nl);
	vp->name[nl] = 0;
	char args[512];
	snprintf(args, sizeof(args), "%s", devargs + nl + (devargs[nl] == ','));
	int r = rte_vdev_init(vp->name, args);
	if (r) {
		if (why)
			snprintf(why, whylen, "cannot create %s (%s): %s", vp->name, devargs,
				 rte_strerror(r < 0 ? -r : r));
		return -ENODEV;
	}
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(vp->name, &port)) {
		rte_vdev_uninit(vp->name);
		if (why)
			snprintf(why, whylen, "%s created no ethdev port", vp->name);
		return -ENODEV;
	}
	vp->port = port;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	const char *stage = "configure";
	r = rte_eth_dev_configure(port, 1, 1, &conf);
	if (!r) {
		stage = "RX queue";
		r = rte_eth_rx_queue_setup(port, 0, nb_desc, SOCKET_ID_ANY, NULL, pool);
	}
	if (!r) {
		stage = "TX queue";
		r = rte_eth_tx_queue_setup(port, 0, nb_desc, SOCKET_ID_ANY, NULL);
	}
	if (!r) {
		stage = "start";
		r = rte_eth_dev_start(port);
	}
	if (r) {
		if (why)
			snprintf(why, whylen, "%s: %s failed: %s", vp->name, stage, rte_strerror(-r));
		byz_vport_close(vp);
		return r < 0 ? r : -EIO;
	}
	uint16_t mtu = 1500;
	if (rte_eth_dev_get_mtu(port, &mtu) || mtu == 0)
		mtu = 1500;
	vp->mtu = mtu;
	struct rte_ether_addr ea;
	if (!rte_eth_macaddr_get(port, &ea))
		memcpy(vp->mac, ea.addr_bytes, 6);
	/* a memif link is up only once the peer process has connected */
	for (unsigned t = 0; link_ms; t++) {
		struct rte_eth_link l;
		memset(&l, 0, sizeof(l));
		if (!rte_eth_link_get_nowait(port, &l) && l.link_status)
			break;
		if (t >= link_ms) {
			if (why)
				snprintf(why, whylen, "%s: link not up after %u ms (peer absent?)",
					 vp->name, link_ms);
			byz_vport_close(vp);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	return 0;
}

void byz_vport_close(struct byz_vport *vp)
{
	if (!vp || !vp->name[0])
		return;
	rte_eth_dev_stop(vp->port);
	/* the driver's remove closes the port and frees the device; closing
	 * first and removing after frees memif's state twice in 22.11 */
	rte_vdev_uninit(vp->name);
	vp->name[0] = 0;
}
