/*
 * byz-bench allreduce --protocol btard: the production node runtime
 * (byz/node.h, the signed protocol of control/) measured over the same
 * transport as the plain butterfly, and the optional OpenMPI baseline.
 */
#ifndef BYZ_BENCH_PROTO_H
#define BYZ_BENCH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "bench_ar.h"
#include "byz/proto.h"

struct ar_proto_opts {
	int btard;          /* 0: --protocol none (the default) */
	int validators;     /* -1: the run's default */
	uint64_t phase_us;  /* 0: derived from the plain butterfly's time at each size */
	int mpi;            /* --baseline mpi */
	uint64_t rto_us;    /* node channel first RTO; 0: the node's (byzd's) default */
	int clip_workers;   /* ring: each size again with CenteredClip on worker lcores */
};

/* Time spent in the functions the node runtime reaches through libsodium,
 * libbyz_clip and ISA-L, counted by link-time wrappers (bench_prof.c) while
 * bp_prof.on is set; TSC cycles and calls. */
struct bp_prof {
	int on;
	uint64_t sign_cyc, sign_n, verify_cyc, verify_n, hash_cyc, hash_bytes;
	uint64_t clip_cyc, clip_n, crc_cyc, crc_bytes;
};
extern struct bp_prof bp_prof;

/* One size's protocol measurement (bench_proto.c for ring, bench_proto_mp.c
 * for memif). */
struct proto_row {
	int ok;
	char why[160];
	uint64_t phase_us;
	double t_step;       /* seconds per step (wall) */
	double busy_step;    /* seconds per step in polls that did work, summed over nodes */
	double sign_s, verify_s, hash_s, clip_s, crc_s; /* per step, all nodes */
	uint64_t sign_n, verify_n;
	double bytes_step;   /* bytes all nodes sent per step (frames) */
	uint64_t retx;
	char digest[65];
	double peer_step;    /* seconds per step inside the protocol peers (peer_ns), all nodes */
	uint64_t agg_inline, agg_worker, worker_jobs; /* CenteredClip jobs, timed steps */
	uint64_t late, late_agg, silent; /* own lateness (of it: a job not back), silent peers */
};

/* The run constants, keys and roster of a size (the same on every transport). */
void bp_make_run(const struct ar_opts *o, const struct ar_proto_opts *po, uint64_t size,
		 uint64_t phase_us, struct byz_run *run, uint8_t *roster, uint8_t (*sk)[64]);
/* The synthetic gradient source (a byz_grad_fn; ctx unused). */
int bp_synth_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g);

/* memif: one process per peer (forked, own EAL), a full mesh of memif links,
 * one byz_node each; fills @p row. Call without the EAL initialised here. */
void ar_proto_mp_size(const struct ar_opts *o, const struct ar_proto_opts *po, uint64_t size,
		      uint64_t phase_us, int tag, struct proto_row *row);
/* memif: the plain butterfly of the multi-process runner (this executable
 * with --protocol none --csv) for the same sizes; fills seconds[] (0: none).
 * @return 0 or -1 with a reason printed. */
int ar_plain_mp(const struct ar_opts *o, const uint64_t *sizes, int count, double *seconds);

/* The protocol run (ring transport); returns the process exit code. */
int ar_proto_main(const struct ar_opts *o, const struct ar_proto_opts *po);

/* The MPI baseline: runs byz-bench-mpi under mpirun for @p count sizes (bytes
 * per peer, multiples of 4) with o->peers processes; fills busbw[] (GB/s,
 * 0 where it gave none). @return 0, or -1 with a line printed saying why
 * (mpirun or byz-bench-mpi missing, the run failed). */
int ar_mpi_baseline(const struct ar_opts *o, const uint64_t *sizes, int count, double *busbw);

#endif
