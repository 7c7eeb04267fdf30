/*
 * byz-bench-mpi: the baseline most users compare an all-reduce with,
 * MPI_Allreduce (MPI_FLOAT, MPI_SUM, in place) over MPI_COMM_WORLD. byz-bench
 * allreduce --baseline mpi starts it under mpirun with the same sizes and
 * process count and parses rank 0's lines:
 *   mpi SIZE_BYTES TIME_US     (median of ITERS timed calls after WARMUP)
 * usage: byz-bench-mpi WARMUP ITERS SIZE...
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
/* OpenMPI's libraries keep allocations past MPI_Finalize (ompi_op_base_op_select
 * and the MCA components): not ours, and LeakSanitizer would fail every run. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank = 0, np = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &np);
	if (argc < 4) {
		if (rank == 0)
			fprintf(stderr, "usage: byz-bench-mpi WARMUP ITERS SIZE...\n");
		MPI_Finalize();
		return 2;
	}
	char *end1, *end2;
	long warmup = strtol(argv[1], &end1, 10), iters = strtol(argv[2], &end2, 10);
	if (*end1 || *end2 || warmup < 0 || warmup > 1000 || iters < 1 || iters > 1000) {
		if (rank == 0)
			fprintf(stderr, "byz-bench-mpi: WARMUP 0..1000, ITERS 1..1000\n");
		MPI_Finalize();
		return 2;
	}
	double *t = malloc(sizeof(double) * (size_t)iters);
	int rc = 0;
	for (int a = 3; a < argc && !rc; a++) {
		char *end;
		long long size = strtoll(argv[a], &end, 10);
		if (*end || size < 4 || size > (1ll << 30) || size % 4) {
			if (rank == 0)
				fprintf(stderr, "byz-bench-mpi: bad size '%s'\n", argv[a]);
			rc = 2;
			break;
		}
		int count = (int)(size / 4);
		float *buf = malloc((size_t)size);
		if (!buf || !t) {
			rc = 1;
			free(buf);
			break;
		}
		for (int i = 0; i < count; i++)
			buf[i] = (float)((i + rank) % 97) * 0.01f;
		for (int it = 0; it < warmup + iters; it++) {
			MPI_Barrier(MPI_COMM_WORLD);
			double t0 = MPI_Wtime();
			MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
			double dt = MPI_Wtime() - t0, mx = 0;
			/* a call is done when the slowest rank is done */
			MPI_Allreduce(&dt, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
			if (it >= warmup)
				t[it - warmup] = mx;
		}
		qsort(t, (size_t)iters, sizeof(double), cmp);
		if (rank == 0) {
			printf("mpi %lld %.3f\n", size, t[iters / 2] * 1e6);
			fflush(stdout);
		}
		free(buf);
	}
	free(t);
	MPI_Finalize();
	return rc;
}
