/*
 * --baseline mpi: run byz-bench-mpi (mpi_allreduce.c) under OpenMPI's
 * mpirun, shared memory only (btl self,vader; no network), with the same
 * sizes and process count as the table, and read its busbw back.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_proto.h"

/* A program on PATH, or NULL. */
static int on_path(const char *prog, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	while (*path) {
		size_t k = strcspn(path, ":");
		if (k && (size_t)snprintf(out, cap, "%.*s/%s", (int)k, path, prog) < cap &&
		    access(out, X_OK) == 0)
			return 1;
		path += k + (path[k] == ':');
	}
	return 0;
}

/* byz-bench-mpi beside this executable (build tree, or bindir when installed). */
static int mpi_prog(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (k > 0) {
		self[k] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(out, cap, "%s/byz-bench-mpi", self) < cap &&
			    access(out, X_OK) == 0)
				return 1;
		}
	}
	return on_path("byz-bench-mpi", out, cap);
}

int ar_mpi_baseline(const struct ar_opts *o, const uint64_t *sizes, int count, double *busbw)
{
	char mpirun[PATH_MAX], prog[PATH_MAX];
	for (int i = 0; i < count; i++)
		busbw[i] = 0;
	if (!on_path("mpirun", mpirun, sizeof(mpirun))) {
		printf("# baseline mpi: mpirun not found (Debian: openmpi-bin libopenmpi-dev)\n");
		return -1;
	}
	if (!mpi_prog(prog, sizeof(prog))) {
		printf("# baseline mpi: byz-bench-mpi not built (meson found no MPI library: "
		       "Debian libopenmpi-dev)\n");
		return -1;
	}
	static char cmd[16384];
	int len = snprintf(cmd, sizeof(cmd),
			   "OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_plm_rsh_agent=false "
			   "OMPI_MCA_btl_vader_single_copy_mechanism=none "
			   "'%s' %s--oversubscribe --bind-to none -np %d --mca btl self,vader "
			   "'%s' %d %d", mpirun, geteuid() == 0 ? "--allow-run-as-root " : "",
			   o->peers, prog, o->warmup, o->iters);
	for (int i = 0; i < count && len > 0 && (size_t)len < sizeof(cmd) - 32; i++)
		len += snprintf(cmd + len, sizeof(cmd) - (size_t)len, " %llu",
				(unsigned long long)sizes[i]);
	if (len <= 0 || (size_t)len >= sizeof(cmd) - 32) {
		printf("# baseline mpi: too many sizes\n");
		return -1;
	}
	snprintf(cmd + len, sizeof(cmd) - (size_t)len, " 2>&1");
	fflush(stdout);
	FILE *f = popen(cmd, "r");
	if (!f) {
		printf("# baseline mpi: cannot start mpirun: %s\n", strerror(errno));
		return -1;
	}
	char line[512], last[512] = "";
	int got = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long sz;
		double us;
		if (sscanf(line, "mpi %llu %lf", &sz, &us) == 2 && us > 0) {
			for (int i = 0; i < count; i++)
				if (sizes[i] == sz) {
					busbw[i] = (double)sz / (us * 1e-6) / 1e9 * 2.0 *
						   (o->peers - 1) / o->peers;
					got++;
				}
		} else {
			snprintf(last, sizeof(last), "%s", line);
		}
	}
	int st = pclose(f);
	if (st != 0 || !got) {
		last[strcspn(last, "\n")] = 0;
		printf("# baseline mpi: mpirun failed (status %d)%s%s\n", st, *last ? ": " : "",
		       last);
		return -1;
	}
	printf("# baseline mpi: OpenMPI MPI_Allreduce (float sum, in place), %d processes, btl "
	       "self,vader (shared memory), median of %d after %d warmup\n", o->peers, o->iters,
	       o->warmup);
	return 0;
}
