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
#include <sys/wait.h>
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
	/* argv for mpirun: no shell, so sizes and paths need no quoting */
	char sizebuf[1000][24], nbuf[16], wbuf[16], ibuf[16];
	char *argv[1100], lit[16][24];
	int a = 0, nl = 0;
	if (count > 1000) {
		printf("# baseline mpi: too many sizes\n");
		return -1;
	}
	snprintf(nbuf, sizeof(nbuf), "%d", o->peers);
	snprintf(wbuf, sizeof(wbuf), "%d", o->warmup);
	snprintf(ibuf, sizeof(ibuf), "%d", o->iters);
	argv[a++] = mpirun;
	/* execv wants writable strings: the literals get copies */
	static const char *const opts[] = {"--allow-run-as-root", "--oversubscribe", "--bind-to",
					   "none", "-np", NULL, "--mca", "btl", "self,vader"};
	for (size_t i = geteuid() == 0 ? 0 : 1; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!opts[i]) {
			argv[a++] = nbuf;
			continue;
		}
		snprintf(lit[nl], sizeof(lit[nl]), "%s", opts[i]);
		argv[a++] = lit[nl++];
	}
	argv[a++] = prog;
	argv[a++] = wbuf;
	argv[a++] = ibuf;
	for (int i = 0; i < count; i++) {
		snprintf(sizebuf[i], sizeof(sizebuf[i]), "%llu", (unsigned long long)sizes[i]);
		argv[a++] = sizebuf[i];
	}
	argv[a] = NULL;
	int pfd[2];
	fflush(stdout);
	if (pipe(pfd)) {
		printf("# baseline mpi: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		printf("# baseline mpi: fork: %s\n", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		/* shared memory only: no TCP, no ssh launcher */
		setenv("OMPI_MCA_btl", "self,vader", 1);
		setenv("OMPI_MCA_pml", "ob1", 1);
		setenv("OMPI_MCA_plm_rsh_agent", "false", 1);
		setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
		/* sanitizer builds: OpenMPI keeps allocations past MPI_Finalize
		 * (not our code), so leak checking stays off for its processes */
		const char *asan = getenv("ASAN_OPTIONS");
		if (asan) {
			static char opt[1024];
			snprintf(opt, sizeof(opt), "%s:detect_leaks=0", asan);
			setenv("ASAN_OPTIONS", opt, 1);
		}
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(mpirun, argv);
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	if (!f) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		printf("# baseline mpi: fdopen: %s\n", strerror(errno));
		return -1;
	}
	char line[512], last[512] = "";
	int got = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e1, *e2;
		if (strncmp(p, "mpi ", 4)) {
			snprintf(last, sizeof(last), "%s", line);
			continue;
		}
		unsigned long long sz = strtoull(p + 4, &e1, 10);
		double us = strtod(e1, &e2);
		if (e1 == p + 4 || e2 == e1 || !(us > 0))
			continue;
		for (int i = 0; i < count; i++)
			if (sizes[i] == sz) {
				busbw[i] = (double)sz / (us * 1e-6) / 1e9 * 2.0 * (o->peers - 1) /
					   o->peers;
				got++;
			}
	}
	fclose(f);
	int st = 0;
	if (waitpid(pid, &st, 0) < 0)
		st = -1;
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
