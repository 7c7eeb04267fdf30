/* Namespaces, bridge and veths for the af_packet/af_xdp runs: see bench_netns.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_netns.h"

int ar_run(const char *const *argv, int quiet)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static void ns_name(char *out, size_t len, const struct ar_net *net, int i)
{
	if (i < 0)
		snprintf(out, len, "%s-sw", net->prefix);
	else
		snprintf(out, len, "%s-p%d", net->prefix, i);
}

#define RUN(...)                                                        \
	do {                                                            \
		const char *a_[] = {__VA_ARGS__, NULL};                 \
		if (ar_run(a_, 0)) {                                    \
			snprintf(why, whylen, "'%s %s %s %s ...' failed", \
				 a_[0], a_[1], a_[2], a_[3] ? a_[3] : ""); \
			goto fail;                                      \
		}                                                       \
	} while (0)

int ar_net_create(struct ar_net *net, const char *prefix, int n, const uint8_t (*mac)[6],
		  char *why, size_t whylen)
{
	char sw[64], ns[64], macs[32], sif[16];
	memset(net, 0, sizeof(*net));
	snprintf(net->prefix, sizeof(net->prefix), "%s", prefix);
	net->n = n;
	ns_name(sw, sizeof(sw), net, -1);
	RUN("ip", "netns", "add", sw);
	net->made_sw = 1;
	/* no IPv6 in our namespaces: router solicitations and MLD would be
	 * frames nobody asked for on the peers' ports */
	RUN("ip", "netns", "exec", sw, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
	    "net.ipv6.conf.default.disable_ipv6=1");
	RUN("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
	RUN("ip", "-n", sw, "link", "set", "br0", "up");
	for (int i = 0; i < n; i++) {
		ns_name(ns, sizeof(ns), net, i);
		RUN("ip", "netns", "add", ns);
		net->made[i] = 1;
		RUN("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
		    "net.ipv6.conf.default.disable_ipv6=1");
		snprintf(sif, sizeof(sif), "s%d", i);
		RUN("ip", "link", "add", "name", "p0", "netns", ns, "type", "veth", "peer", "name",
		    sif, "netns", sw);
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[i][0], mac[i][1],
			 mac[i][2], mac[i][3], mac[i][4], mac[i][5]);
		RUN("ip", "-n", ns, "link", "set", "p0", "address", macs, "mtu", "1500", "up");
		RUN("ip", "-n", sw, "link", "set", sif, "master", "br0", "up");
	}
	return 0;
fail:
	ar_net_destroy(net);
	return -EIO;
}

int ar_net_attach_bpf(const struct ar_net *net, const char *obj, const char *sec,
		      char *why, size_t whylen)
{
	char sw[64], sif[16];
	ns_name(sw, sizeof(sw), net, -1);
	for (int i = 0; i < net->n; i++) {
		snprintf(sif, sizeof(sif), "s%d", i);
		RUN("tc", "-n", sw, "qdisc", "add", "dev", sif, "clsact");
		RUN("tc", "-n", sw, "filter", "add", "dev", sif, "egress", "bpf", "da", "obj", obj,
		    "sec", sec);
	}
	return 0;
fail:
	return -EIO;
}

void ar_net_destroy(struct ar_net *net)
{
	char ns[64];
	for (int i = 0; i < net->n; i++) {
		if (!net->made[i])
			continue;
		ns_name(ns, sizeof(ns), net, i);
		const char *a[] = {"ip", "netns", "del", ns, NULL};
		ar_run(a, 1);
		net->made[i] = 0;
	}
	if (net->made_sw) {
		ns_name(ns, sizeof(ns), net, -1);
		const char *a[] = {"ip", "netns", "del", ns, NULL};
		ar_run(a, 1);
		net->made_sw = 0;
	}
}

int ar_net_enter(const struct ar_net *net, int i, char *why, size_t whylen)
{
	char path[128], ns[64];
	ns_name(ns, sizeof(ns), net, i);
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		snprintf(why, whylen, "cannot enter namespace %s: %s", ns, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}
