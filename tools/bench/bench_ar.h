/*
 * Pieces of byz-bench allreduce shared by the in-process (ring) runner and
 * the multi-process runner (memif, af_packet, af_xdp): the options, the
 * seeded gradients, the aggregation and the leaf hashing. Both runners use
 * the same functions, so their results can be compared bit for bit.
 */
#ifndef BYZ_BENCH_AR_H
#define BYZ_BENCH_AR_H

#include <stddef.h>
#include <stdint.h>

#define AR_LEAF (64u * 1024u)
#define AR_MAXP 16

enum ar_transport { AR_RING, AR_MEMIF, AR_AFPACKET, AR_AFXDP };

struct ar_opts {
	uint64_t b, e;
	double f;
	int peers, iters, warmup;
	double loss, dup, corrupt, reorder, tau;
	const char *csv;
	uint64_t seed;
	enum ar_transport transport;
	int busy_poll;          /* -1: auto (polite when processes outnumber cores) */
	int kill_peer;          /* -1: none */
	unsigned peer_timeout_ms; /* 0: by size */
	unsigned garbage;       /* garbage frames per peer pair per step */
	const char *tc_bpf;     /* object attached to every switch-side veth egress */
	const char *tc_sec;
	const char *netns;      /* name prefix of the namespaces (af_packet/af_xdp) */
	const char *memif_dir;  /* where memif sockets go (created and removed) */
	int workers;            /* hashing worker lcores per peer (multi-process only) */
	double pace_gbit;       /* per-peer egress pacing, Gbit/s; 0: off */
	int auth;               /* per-frame tags (byz/auth.h); 1 by default, as byzd */
};

/* Per-stream pacing rate (bytes/s) for --pace: the peer's rate split over
 * its n-1 concurrent streams. */
static inline uint64_t ar_pace_bps(const struct ar_opts *o)
{
	if (!(o->pace_gbit > 0) || o->peers < 2)
		return 0;
	return (uint64_t)(o->pace_gbit * 1e9 / 8.0 / (o->peers - 1));
}

const char *ar_transport_name(enum ar_transport t);

struct byz_dp;
/* Frame keys of peer @p self towards every other peer of @p n, from
 * identities derived from @p seed (as a run's roster would give them) and a
 * run id of the seed: what byz_node does from the real roster. 0 or a
 * negative errno. */
int ar_auth_keys(struct byz_dp *dp, int self, int n, uint64_t seed);

static inline uint32_t ar_leaves(uint32_t bytes)
{
	return (bytes + AR_LEAF - 1) / AR_LEAF;
}

/* Peer @p peer's gradient of @p nf floats for @p seed: a shared direction plus
 * noise of the same size. */
void ar_fill_grad(float *g, size_t nf, uint64_t seed, int peer);

/* BLAKE2b-256 of each 64 KiB leaf of buf into out[leaf]. */
void ar_hash_leaves(const void *buf, uint32_t len, uint8_t (*out)[32]);

/* 0 when buf's leaves hash to want, -1 otherwise. */
int ar_verify_leaves(const void *buf, uint32_t len, const uint8_t (*want)[32]);
/* The leaf root of @p buf: BLAKE2b-256 over its leaves' digests (what a
 * signed RESULT would carry). */
void ar_leaf_root(const void *buf, uint32_t len, uint8_t out[32]);

/* Mean over the inputs whose bit is set in @p mask, summed in index order
 * (the order fixes the rounding: every runner must use this function). */
void ar_mean(const float *const *in, int n, uint64_t mask, size_t d, float *out);

/* CenteredClip over the inputs in @p mask; 0 or a byz error. */
int ar_clip(const float *const *in, int n, uint64_t mask, size_t d, double tau, float *out);

/* Lower-case hex of a BLAKE2b-256 digest of buf (65 bytes). */
void ar_digest_hex(const void *buf, size_t len, char hex[65]);

/* The multi-process runner (bench_mp.c): returns the process exit code. */
int ar_mp_main(const struct ar_opts *o);

#endif
