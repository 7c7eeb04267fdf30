/*
 * Frame and mbuf sizes of byzd's port, from [port] mtu and the vdev
 * arguments, checked before anything starts (and by --check-config): a
 * mismatch found here is a clear error at start-up instead of a PMD that
 * refuses its queues or a TX ring that freezes later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "byz/frame.h"
#include "portcfg.h"

/* af_packet (DPDK 22.11 rte_eth_af_packet.c): a TPACKET_V2 frame holds the
 * tpacket2 header (aligned to 16) and a sockaddr_ll before the packet; the
 * PMD asks that framesz - 32 bytes fit in an mbuf's data room, and lays
 * frames out as if blocksz were a multiple of framesz. */
#define AFP_HDR 32u
#define AFP_ALIGN 16u

/* Value of key @p k in a vdev argument string "name,k1=v1,k2=v2" (0: absent). */
static int vdev_arg(const char *vdev, const char *k, unsigned long *v, int *bad)
{
	size_t kl = strlen(k);
	for (const char *c = strchr(vdev, ','); c; c = strchr(c + 1, ',')) {
		if (strncmp(c + 1, k, kl) || c[1 + kl] != '=')
			continue;
		char *end;
		*v = strtoul(c + 2 + kl, &end, 10);
		if (end == c + 2 + kl || (*end && *end != ','))
			*bad = 1;
		return 1;
	}
	return 0;
}

int byzd_port_sizes(const struct byz_config *c, struct byzd_port_sizes *ps, char *why,
		    size_t cap)
{
	memset(ps, 0, sizeof(*ps));
	ps->frame = BYZ_ETH_HLEN + c->mtu;
	/* One frame per mbuf; at least the 2 KiB DPDK's PMDs assume by default
	 * (af_packet's default frame needs 2016 bytes, af_xdp's 2 KiB chunks). */
	unsigned room = ps->frame;
	if (room < RTE_MBUF_DEFAULT_DATAROOM)
		room = RTE_MBUF_DEFAULT_DATAROOM;
	for (unsigned i = 0; i < c->nvdev; i++) {
		const char *v = c->vdev[i];
		if (strncmp(v, "net_af_packet", 13))
			continue;
		unsigned long fs = 2048, bs = (unsigned long)getpagesize(), fc = 512;
		int bad = 0;
		vdev_arg(v, "framesz", &fs, &bad);
		vdev_arg(v, "blocksz", &bs, &bad);
		vdev_arg(v, "framecnt", &fc, &bad);
		if (bad) {
			snprintf(why, cap, "vdev '%s': framesz, blocksz, framecnt must be numbers", v);
			return -1;
		}
		if (fs < 64 || fs % AFP_ALIGN || fs > 65536) {
			snprintf(why, cap, "vdev '%s': framesz %lu must be a multiple of %u in 64..65536",
				 v, fs, AFP_ALIGN);
			return -1;
		}
		/* a working pair for this mtu: a power of two, a block of >= 4 KiB */
		unsigned long sf = 2048, sb;
		while (sf - AFP_HDR < ps->frame)
			sf *= 2;
		sb = sf > 4096 ? sf : 4096;
		if (bs < fs || bs % fs) {
			snprintf(why, cap,
				 "vdev '%s': framesz %lu does not divide blocksz %lu (the PMD's TX "
				 "ring then stalls after a few hundred frames); for mtu %u use "
				 "framesz=%lu,blocksz=%lu", v, fs, bs, c->mtu, sf, sb);
			return -1;
		}
		if (fs - AFP_HDR < ps->frame) {
			snprintf(why, cap,
				 "vdev '%s': framesz %lu holds frames of %lu bytes, [port] mtu %u needs "
				 "%u: use framesz=%lu,blocksz=%lu", v, fs, fs - AFP_HDR, c->mtu, ps->frame,
				 sf, sb);
			return -1;
		}
		if (fc < 1) {
			snprintf(why, cap, "vdev '%s': framecnt must be positive", v);
			return -1;
		}
		if (fs - AFP_HDR > room)
			room = (unsigned)(fs - AFP_HDR);
		ps->afp_framesz = (unsigned)fs;
	}
	ps->data_room = RTE_PKTMBUF_HEADROOM + room;
	ps->data_room = (ps->data_room + 63u) & ~63u;
	if (ps->data_room > UINT16_MAX) {
		snprintf(why, cap, "mbuf data room %u exceeds 65535 bytes", ps->data_room);
		return -1;
	}
	return 0;
}
