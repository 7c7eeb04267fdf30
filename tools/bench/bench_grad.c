/*
 * byz-bench grad: time of one gradient of each built-in model with each
 * product backend: the deterministic in-repo product (fused, at every SIMD
 * level this CPU runs; portable) and OpenBLAS sgemm (opt-in mode, at the
 * thread counts asked for), the baseline measured in the same run.
 */
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "byz/cpu.h"
#include "byz/err.h"
#include "byz/model.h"

#define MAX_REPEAT 200

static void grad_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench grad [options]\n"
"\n"
"Times byz_model_grad of softmax 1x28x28, MLP 784-256-128-10 and CNN\n"
"3x32x32 (16 filters) on a random batch with every product backend.\n"
"\n"
"  --batch N         examples per gradient                        [64]\n"
"  --repeat N        timed gradients per row; median reported     [20]\n"
"  --threads LIST    OpenBLAS thread counts for the openblas rows  [1,4]\n"
"  --csv FILE        also write one CSV row per measurement\n"
"  -h, --help        this text\n"
"\n"
"Columns: model, backend (fma-LEVEL: default mode at that SIMD level;\n"
"portable-LEVEL; openblas-Nt), ms (median wall time per gradient), cpu ms\n"
"(median process CPU time, all threads: robust to preemption on a shared\n"
"machine), x openblas-1t (its wall time over this one's), bits (ref: the mode's scalar gradient; same:\n"
"identical to it; other: OpenBLAS, which rounds differently). Exit status\n"
"1 if a level differs from its reference. BYZ_SIMD_MAX caps the levels.\n");
}

struct backend {
	char name[32];
	uint32_t portable, openblas;
	int level, threads;
};

/* Process CPU seconds (all threads): unlike wall time, preemption by other
 * jobs on a shared machine does not inflate it. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int time_grad(const struct byz_model_spec *spec, const struct backend *b,
		     uint32_t n, int repeat, float *g, double *ms, double *cpu_ms)
{
	struct byz_model_spec s = *spec;
	s.portable = b->portable;
	s.openblas = b->openblas;
	int rc;
	struct byz_model *m = byz_model_create(&s, &rc);
	if (!m)
		return rc;
	size_t P = byz_model_num_params(m), D = (size_t)s.channels * s.height * s.width;
	float *p = malloc(P * sizeof(float)), *x = malloc(D * n * sizeof(float));
	uint32_t *y = malloc(n * sizeof(uint32_t));
	double t[MAX_REPEAT], tc[MAX_REPEAT];
	rc = p && x && y ? 0 : -ENOMEM;
	if (!rc) {
		uint64_t st = 0x9e3779b97f4a7c15ull;
		for (size_t i = 0; i < D * n; i++) {
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			x[i] = (float)((double)(st >> 40) / (double)(1u << 24) - 0.5);
		}
		for (uint32_t i = 0; i < n; i++)
			y[i] = i % s.classes;
		byz_model_init_params(m, 7, p);
		byz_model_set_kernel(m, (enum byz_simd_level)b->level);
		openblas_set_num_threads(b->threads);
		rc = byz_model_grad(m, p, x, y, n, g, NULL); /* warm-up, scratch */
	}
	for (int r = 0; !rc && r < repeat; r++) {
		double t0 = bench_now(), c0 = cpu_now();
		rc = byz_model_grad(m, p, x, y, n, g, NULL);
		t[r] = bench_now() - t0;
		tc[r] = cpu_now() - c0;
	}
	if (!rc) {
		*ms = 1e3 * bench_median(t, (size_t)repeat);
		*cpu_ms = 1e3 * bench_median(tc, (size_t)repeat);
	}
	free(p);
	free(x);
	free(y);
	byz_model_destroy(m);
	return rc;
}

/* A whole-token decimal in [lo, hi], or -1. */
static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return !*s || *end || errno || v < lo || v > hi ? -1 : v;
}

int bench_grad_main(int argc, char **argv);

int bench_grad_main(int argc, char **argv)
{
	uint32_t batch = 64;
	int repeat = 20;
	uint64_t threads[BENCH_MAX_LIST] = {1, 4};
	int nthreads = 2;
	const char *csv = NULL;
	static const struct option lo[] = {
		{"batch", required_argument, 0, 'b'}, {"repeat", required_argument, 0, 'r'},
		{"threads", required_argument, 0, 't'}, {"csv", required_argument, 0, 'c'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
	char err[128];
	int o;
	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'b': {
			long v = parse_num(optarg, 1, BYZ_BATCH_MAX);
			if (v < 0) {
				fprintf(stderr, "byz-bench grad: --batch: 1..%u: '%s'\n",
					(unsigned)BYZ_BATCH_MAX, optarg);
				return 2;
			}
			batch = (uint32_t)v;
			break;
		}
		case 'r':
			repeat = (int)parse_num(optarg, 1, MAX_REPEAT);
			if (repeat < 0) {
				fprintf(stderr, "byz-bench grad: --repeat: 1..%d: '%s'\n", MAX_REPEAT,
					optarg);
				return 2;
			}
			break;
		case 't':
			nthreads = bench_parse_list(optarg, threads, BENCH_MAX_LIST, err, sizeof(err));
			if (nthreads < 0) {
				fprintf(stderr, "byz-bench grad: --threads: %s\n", err);
				return 2;
			}
			break;
		case 'c':
			csv = optarg;
			break;
		case 'h':
			grad_usage(stdout);
			return 0;
		default:
			grad_usage(stderr);
			return 2;
		}
	}
	if (!batch || batch > BYZ_BATCH_MAX || repeat < 1 || repeat > MAX_REPEAT ||
	    optind != argc) {
		grad_usage(stderr);
		return 2;
	}
	for (int i = 0; i < nthreads; i++)
		if (threads[i] < 1 || threads[i] > 256) {
			fprintf(stderr, "byz-bench grad: threads must be 1..256\n");
			return 2;
		}
	const struct byz_model_spec specs[] = {
		{.kind = BYZ_MODEL_SOFTMAX, .channels = 1, .height = 28, .width = 28, .classes = 10},
		{.kind = BYZ_MODEL_MLP, .channels = 1, .height = 28, .width = 28, .classes = 10,
		 .hidden = {256, 128}},
		{.kind = BYZ_MODEL_CNN, .channels = 3, .height = 32, .width = 32, .classes = 10,
		 .filters = 16},
	};
	static const char *const spec_names[] = {"softmax-784", "mlp-784-256-128",
						 "cnn-3x32x32-16"};
	static const char *const lvl_names[] = {"scalar", "avx2", "avx512"};
	struct backend be[8 + BENCH_MAX_LIST];
	int nb = 0;
	/* OpenBLAS at one thread first: the baseline of the ratio column. */
	be[nb++] = (struct backend){.openblas = 1, .threads = 1, .level = 0};
	for (int i = 0; i < nthreads; i++)
		if (threads[i] != 1)
			be[nb++] = (struct backend){.openblas = 1, .threads = (int)threads[i]};
	int top = byz_cpu_simd_level();
	int nob = nb;
	for (int l = 0; l <= top; l++)
		be[nb++] = (struct backend){.level = l, .threads = 1};
	int nport = nb;
	for (int l = 0; l <= top; l++)
		be[nb++] = (struct backend){.portable = 1, .level = l, .threads = 1};
	for (int i = 0; i < nb; i++) {
		if (be[i].openblas)
			snprintf(be[i].name, sizeof(be[i].name), "openblas-%dt", be[i].threads);
		else if (be[i].portable)
			snprintf(be[i].name, sizeof(be[i].name), "portable-%s", lvl_names[be[i].level]);
		else
			snprintf(be[i].name, sizeof(be[i].name), "fma-%s", lvl_names[be[i].level]);
	}
	FILE *cf = NULL;
	if (csv) {
		cf = fopen(csv, "w");
		if (!cf) {
			fprintf(stderr, "byz-bench grad: cannot write %s\n", csv);
			return 1;
		}
		fprintf(cf, "model,backend,batch,params,ms,cpu_ms,x_openblas_1t,bits\n");
	}
	printf("batch %u, median of %d gradients, simd level %s\n\n", batch, repeat,
	       lvl_names[top]);
	printf("%-17s %-16s %9s %9s %13s %6s\n", "model", "backend", "ms", "cpu ms",
	       "x openblas-1t", "bits");
	int status = 0;
	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		struct byz_model *m = byz_model_create(&specs[s], NULL);
		size_t P = byz_model_num_params(m);
		byz_model_destroy(m);
		float *g = malloc(P * sizeof(float)), *ref = malloc(P * sizeof(float));
		float *pref = malloc(P * sizeof(float));
		if (!g || !ref || !pref) {
			free(g);
			free(ref);
			free(pref);
			return 1;
		}
		double base = 0;
		for (int i = 0; i < nb; i++) {
			double ms = 0, cms = 0;
			int rc = time_grad(&specs[s], &be[i], batch, repeat, g, &ms, &cms);
			if (rc) {
				fprintf(stderr, "byz-bench grad: %s %s: %s\n", spec_names[s],
					be[i].name, byz_strerror(rc));
				status = 1;
				continue;
			}
			if (i == 0)
				base = ms;
			/* Each mode's scalar row is its reference; the other
			 * levels of that mode must match it bit for bit. */
			const char *bits = "other";
			if (i == nob || i == nport) {
				memcpy(i == nob ? ref : pref, g, P * sizeof(float));
				bits = "ref";
			} else if (i > nob &&
				   !memcmp(i > nport ? pref : ref, g, P * sizeof(float))) {
				bits = "same";
			}
			if (i > nob && strcmp(bits, "ref") && strcmp(bits, "same"))
				status = 1; /* a level that disagrees is a bug */
			printf("%-17s %-16s %9.3f %9.3f %13.2f %6s\n", spec_names[s], be[i].name,
			       ms, cms, base / ms, bits);
			if (cf)
				fprintf(cf, "%s,%s,%u,%zu,%.4f,%.4f,%.3f,%s\n", spec_names[s],
					be[i].name, batch, P, ms, cms, base / ms, bits);
		}
		free(g);
		free(ref);
		free(pref);
	}
	openblas_set_num_threads(1);
	if (cf)
		fclose(cf);
	return status;
}
