/*
 * Network namespaces for byz-bench allreduce over kernel interfaces: one
 * switch namespace with a bridge, one namespace per peer with a veth whose
 * other end is on the bridge. Every name carries the run's prefix, every
 * address lives only inside these namespaces, and ar_net_destroy() removes
 * them all (deleting a namespace deletes its veths).
 */
#ifndef BYZ_BENCH_NETNS_H
#define BYZ_BENCH_NETNS_H

#include <stddef.h>
#include <stdint.h>

#include "bench_ar.h"

struct ar_net {
	char prefix[32];
	int n;
	int made_sw;
	int made[AR_MAXP];
};

/* Run argv (no shell), wait; 0 when it exited 0. quiet: discard its output. */
int ar_run(const char *const *argv, int quiet);

/* Create the namespaces, bridge and veths; peer i's veth "p0" gets mac[i].
 * On failure everything made so far is removed and why says what failed. */
int ar_net_create(struct ar_net *net, const char *prefix, int n, const uint8_t (*mac)[6],
		  char *why, size_t whylen);

/* tc clsact + "egress bpf da obj OBJ sec SEC" on every switch-side veth. */
int ar_net_attach_bpf(const struct ar_net *net, const char *obj, const char *sec,
		      char *why, size_t whylen);

/* Remove every namespace made (safe to call twice). */
void ar_net_destroy(struct ar_net *net);

/* Move the calling (single-threaded) process into peer i's namespace. */
int ar_net_enter(const struct ar_net *net, int i, char *why, size_t whylen);

#endif
