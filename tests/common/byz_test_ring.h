/*
 * Tests over DPDK ring ports in one process: the EAL without hugepages or
 * PCI (a file prefix per process, so tests may run side by side), one mbuf
 * pool and a ring fabric of @p np ports.
 */
#ifndef BYZ_TEST_RING_H
#define BYZ_TEST_RING_H

#include <stdio.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "byz/dp.h"
#include "byz/err.h"

/* @return 0; 77 (the EAL or the pool cannot start on this machine: main
 * returns it, meson reports a skip with the reason printed); 1 (the fabric
 * failed: a failure). */
static inline int byz_test_ring_fabric(const char *tag, uint16_t np, struct rte_mempool **pool,
				       struct byz_ringnet *net)
{
	char prefix[64], name[64], why[256];
	snprintf(prefix, sizeof(prefix), "byz%s%ld", tag, (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1,
				 .file_prefix = prefix};
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "skipping: cannot start the DPDK EAL here (%s)\n", why);
		return 77;
	}
	snprintf(name, sizeof(name), "%spool", tag);
	*pool = byz_dp_pool_create(name, 16383, 1500, SOCKET_ID_ANY);
	if (!*pool) {
		fprintf(stderr, "skipping: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	int r = byz_ringnet_create(net, tag, np, 2048, *pool);
	if (r) {
		fprintf(stderr, "ring fabric: %s\n", byz_strerror(r));
		return 1;
	}
	return 0;
}

#endif /* BYZ_TEST_RING_H */
