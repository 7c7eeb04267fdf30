/* EAL set-up from a small struct, so tools and tests never hand-build argv. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "byz/dp.h"

static int eal_up;
static double ns_per_tsc;

int byz_eal_init(const struct byz_eal_cfg *c, char *why, size_t whylen)
{
	char mem[16], prefix[64];
	char *argv[48];
	int argc = 0;
	if (why && whylen)
		why[0] = 0;
	if (eal_up)
		return -EALREADY;
	if (!c) {
		if (why)
			snprintf(why, whylen, "no EAL configuration");
		return -EINVAL;
	}
	snprintf(mem, sizeof(mem), "%u", c->mem_mb ? c->mem_mb : 256u);
	if (c->file_prefix)
		snprintf(prefix, sizeof(prefix), "%s", c->file_prefix);
	else
		snprintf(prefix, sizeof(prefix), "byz%ld", (long)getpid());
	/* rte_eal_init may permute argv, so the strings are never freed or reused */
	static char a_prog[] = "byz", a_l[] = "-l", a_m[] = "-m", a_nohuge[] = "--no-huge",
		    a_nopci[] = "--no-pci", a_noshconf[] = "--no-shconf",
		    a_prefix[] = "--file-prefix", a_vdev[] = "--vdev", a_allow[] = "-a",
		    a_log[] = "--log-level", a_lc[] = "0", a_err[] = "error",
		    a_lmap[] = "--lcores";
	static char s_mem[16], s_prefix[64], s_lcores[128], s_log[32];
	static char s_vdev[8][128], s_pci[8][64];
	snprintf(s_mem, sizeof(s_mem), "%s", mem);
	snprintf(s_prefix, sizeof(s_prefix), "%s", prefix);
	argv[argc++] = a_prog;
	argv[argc++] = c->lcore_map ? a_lmap : a_l;
	if (c->lcore_map) {
		snprintf(s_lcores, sizeof(s_lcores), "%s", c->lcore_map);
		argv[argc++] = s_lcores;
	} else if (c->lcores) {
		snprintf(s_lcores, sizeof(s_lcores), "%s", c->lcores);
		argv[argc++] = s_lcores;
	} else {
		argv[argc++] = a_lc;
	}
	argv[argc++] = a_m;
	argv[argc++] = s_mem;
	if (c->no_huge)
		argv[argc++] = a_nohuge;
	if (c->no_pci)
		argv[argc++] = a_nopci;
	argv[argc++] = a_noshconf;
	argv[argc++] = a_prefix;
	argv[argc++] = s_prefix;
	for (int i = 0; i < 8 && c->vdevs[i]; i++) {
		snprintf(s_vdev[i], sizeof(s_vdev[i]), "%s", c->vdevs[i]);
		argv[argc++] = a_vdev;
		argv[argc++] = s_vdev[i];
	}
	for (int i = 0; i < 8 && c->pci_allow[i]; i++) {
		if (c->no_pci) {
			if (why)
				snprintf(why, whylen, "PCI devices given with no_pci");
			return -EINVAL;
		}
		snprintf(s_pci[i], sizeof(s_pci[i]), "%s", c->pci_allow[i]);
		argv[argc++] = a_allow;
		argv[argc++] = s_pci[i];
	}
	argv[argc++] = a_log;
	if (c->log_level) {
		snprintf(s_log, sizeof(s_log), "%s", c->log_level);
		argv[argc++] = s_log;
	} else {
		argv[argc++] = a_err;
	}
	argv[argc] = NULL;
	int r = rte_eal_init(argc, argv);
	if (r < 0) {
		int e = rte_errno ? rte_errno : EIO;
		if (why)
			snprintf(why, whylen, "rte_eal_init failed: %s", rte_strerror(e));
		return e == EALREADY ? -EALREADY : -e;
	}
	eal_up = 1;
	ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	return 0;
}

void byz_eal_cleanup(void)
{
	if (eal_up)
		rte_eal_cleanup();
	eal_up = 0;
}

uint64_t byz_dp_now_ns(void)
{
	return (uint64_t)((double)rte_get_tsc_cycles() * ns_per_tsc);
}
