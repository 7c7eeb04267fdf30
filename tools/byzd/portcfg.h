/* byzd: frame and mbuf sizes of the port (portcfg.c). */
#ifndef BYZD_PORTCFG_H
#define BYZD_PORTCFG_H

#include <stddef.h>

#include "byz/config.h"

struct byzd_port_sizes {
	unsigned frame;       /* largest Ethernet frame: 14 + [port] mtu */
	unsigned data_room;   /* mbuf data room, headroom included */
	unsigned afp_framesz; /* af_packet framesz in use (0: no af_packet vdev) */
};

/* Sizes for config @p c; -1 with a message naming the vdev and the fix
 * when [port] mtu and a PMD's frame size disagree. */
int byzd_port_sizes(const struct byz_config *c, struct byzd_port_sizes *ps, char *why,
		    size_t cap);

#endif
