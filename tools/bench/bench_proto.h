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

struct ar_proto_opts {
	int btard;          /* 0: --protocol none (the default) */
	int validators;     /* -1: the run's default */
	uint64_t phase_us;  /* 0: derived from the plain butterfly's time at each size */
	int mpi;            /* --baseline mpi */
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

/* The protocol run (ring transport); returns the process exit code. */
int ar_proto_main(const struct ar_opts *o, const struct ar_proto_opts *po);

/* The MPI baseline: runs byz-bench-mpi under mpirun for @p count sizes (bytes
 * per peer, multiples of 4) with o->peers processes; fills busbw[] (GB/s,
 * 0 where it gave none). @return 0, or -1 with a line printed saying why
 * (mpirun or byz-bench-mpi missing, the run failed). */
int ar_mpi_baseline(const struct ar_opts *o, const uint64_t *sizes, int count, double *busbw);

#endif
