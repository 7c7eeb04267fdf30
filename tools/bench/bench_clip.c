/*
 * byz-bench clip: CenteredClip speed against the memory system.
 *
 * For every (peers, dim) pair it builds one synthetic part per peer, measures
 * how long a single read of all inputs takes (the floor any aggregator pays),
 * then times each implementation (median of --repeat runs) and prints the
 * ratio to that read. The scalar reference runs a fixed number of iterations
 * (--ref-iters, eps = 0) as the baseline the fast paths are compared with.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "byz/clip.h"
#include "byz/err.h"

struct clip_opts {
	uint64_t peers[BENCH_MAX_LIST], dims[BENCH_MAX_LIST];
	int npeers, ndims;
	double tau; /* <= 0: auto */
	double eps;
	uint32_t max_iters, ref_iters;
	int repeat;
	int impls[BYZ_CLIP_IMPL_COUNT];
	int nimpls;
	const char *csv;
	uint64_t seed;
};

static void clip_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench clip [options]\n"
"\n"
"Times CenteredClip on synthetic gradient parts and compares it with one read\n"
"of the same inputs, measured in the same run: every timed run is preceded by\n"
"a timed read of the same bytes, and both medians are reported.\n"
"\n"
"  --peers LIST      inputs per aggregation (k), e.g. 4,16,64     [16]\n"
"  --dim LIST        floats per input (d); 65536, 64K, 1M, 2^22   [2^20]\n"
"  --tau T           clipping radius; default: the median distance of the\n"
"                    inputs to their coordinate-wise median, so that about\n"
"                    half of them are clipped\n"
"  --eps E           residual target                              [1e-6]\n"
"  --max-iters N     iteration cap                                [1000]\n"
"  --impl NAME       ref|avx2|avx512|gram|auto|all                [all]\n"
"                    (auto: what AUTO resolves to for each k and\n"
"                    --max-iters, shown as auto:NAME)\n"
"                    (ref always runs --ref-iters iterations with eps 0)\n"
"  --ref-iters N     iterations of the scalar baseline            [20]\n"
"  --repeat N        timed runs per row; the median is reported   [3]\n"
"  --seed S          data seed                                    [1]\n"
"  --csv FILE        also write one CSV row per measurement\n"
"  -h, --help        this text\n"
"\n"
"Columns: iters (iterations used), seconds (median), input GB/s (k*d*4 bytes\n"
"over the time, GB = 1e9 bytes), read GB/s (one pass over the same bytes),\n"
"x read (time over the read time: 1.0 is the memory floor), clipped (inputs\n"
"farther than tau from the result), residual (fixed-point residual at the\n"
"result, float64). Single thread. BYZ_SIMD_MAX=scalar|avx2 caps the kernels.\n");
}

/* Uniform noise with a per-input scale: distances spread out, so a tau at
 * their median clips about half; a quarter of the inputs are far outliers. */
static void fill(float *m, uint32_t k, size_t d, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	double amp = sqrt(3.0 / (double)d);
	for (uint32_t i = 0; i < k; i++) {
		double scale = 1.0 + (double)i / k;
		double shift = (i >= k - k / 4) ? 8.0 : 0.0;
		float *row = m + (size_t)i * d;
		for (size_t c = 0; c < d; c++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			double u = (double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0;
			double centre = (double)((c * 2654435761u) & 1023) / 1024.0 - 0.5;
			row[c] = (float)(centre * amp + (u * scale + shift) * amp);
		}
	}
}

static double auto_tau(const float *const *rows, uint32_t k, size_t d)
{
	float *med = malloc(d * sizeof(float));
	double *dist = malloc(k * sizeof(double));
	double tau = 1.0;
	if (med && dist && !byz_median_lower(rows, k, d, med)) {
		for (uint32_t i = 0; i < k; i++) {
			double s = 0;
			for (size_t c = 0; c < d; c++) {
				double u = (double)rows[i][c] - med[c];
				s += u * u;
			}
			dist[i] = sqrt(s);
		}
		tau = bench_median(dist, k);
	}
	free(med);
	free(dist);
	return tau;
}

static int run_one(const struct clip_opts *o, uint32_t k, size_t d, FILE *csv)
{
	size_t bytes = (size_t)k * d * sizeof(float);
	float *m = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	const float **rows = malloc(k * sizeof(*rows));
	float *out = aligned_alloc(64, (d * sizeof(float) + 63) & ~(size_t)63);
	double t[64];
	int rc = 0;

	if (!m || !rows || !out) {
		fprintf(stderr, "byz-bench clip: cannot allocate %.1f MiB for k=%u d=%zu\n",
			bytes / 1048576.0, k, d);
		rc = -ENOMEM;
		goto out;
	}
	fprintf(stderr, "  [k=%u d=%zu: generating %.1f MiB]\n", k, d,
		bytes / 1048576.0);
	fill(m, k, d, o->seed + k * 1000003ull + d);
	for (uint32_t i = 0; i < k; i++)
		rows[i] = m + (size_t)i * d;
	double tau = o->tau > 0 ? o->tau : auto_tau(rows, k, d);
	double tr[64];

	for (int n = 0; n < o->nimpls; n++) {
		enum byz_clip_impl impl = (enum byz_clip_impl)o->impls[n];
		int is_ref = impl == BYZ_CLIP_REF;
		char label[32];
		if (is_ref)
			snprintf(label, sizeof(label), "ref@%u", o->ref_iters);
		else if (impl == BYZ_CLIP_AUTO) /* resolved per shape */
			snprintf(label, sizeof(label), "auto:%s",
				 byz_clip_impl_name(byz_clip_auto_impl(k, o->max_iters)));
		else
			snprintf(label, sizeof(label), "%s", byz_clip_impl_name(impl));
		if (!byz_clip_impl_available(impl)) {
			printf("  %-8s %6u %10zu   (not supported by this CPU or build)\n",
			       label, k, d);
			continue;
		}
		struct byz_clip_params p = {tau, is_ref ? 0.0 : o->eps,
					    is_ref ? o->ref_iters : o->max_iters,
					    impl};
		struct byz_clip_result res = {0};
		/* Each timed run follows a read of the same bytes, so the
		 * baseline sees the same machine state (and noise) as the run. */
		for (int r = 0; r < o->repeat; r++) {
			tr[r] = bench_read_seconds(m, bytes, 1);
			double t0 = bench_now();
			rc = byz_clip(rows, k, d, &p, out, NULL, &res);
			t[r] = bench_now() - t0;
			if (rc) {
				fprintf(stderr, "byz-bench clip: %s failed: %s\n",
					label, byz_strerror(rc));
				goto out;
			}
		}
		double sec = bench_median(t, (size_t)o->repeat);
		double read_s = bench_median(tr, (size_t)o->repeat);
		double read_gbs = bytes / read_s / 1e9;
		char impl_name[16];
		snprintf(impl_name, sizeof(impl_name), "%s",
			 byz_clip_impl_name(res.impl));
		printf("  %-8s %6u %10zu %6u %11.6f %12.3f %10.3f %7.2f %5u/%-4u %10.3e%s\n",
		       label, k, d, res.iters, sec, bytes / sec / 1e9, read_gbs,
		       sec / read_s, res.clipped, k, res.residual,
		       is_ref || res.converged ? "" : "  (not converged)");
		fflush(stdout);
		if (csv)
			fprintf(csv, "%s,%s,%u,%zu,%.9g,%.3g,%u,%u,%.9f,%.6f,%.6f,%.4f,%u,%.6e,%d,%.9f\n",
				label, impl_name, k, d, tau, p.eps, p.max_iters,
				res.iters, sec, bytes / sec / 1e9, read_gbs,
				sec / read_s, res.clipped, res.residual,
				res.converged, read_s);
	}
out:
	free(m);
	free(rows);
	free(out);
	return rc;
}

int bench_clip_main(int argc, char **argv);

int bench_clip_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"peers", required_argument, NULL, 'k'},
		{"dim", required_argument, NULL, 'd'},
		{"tau", required_argument, NULL, 't'},
		{"eps", required_argument, NULL, 'e'},
		{"max-iters", required_argument, NULL, 'i'},
		{"ref-iters", required_argument, NULL, 'R'},
		{"impl", required_argument, NULL, 'I'},
		{"repeat", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"csv", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct clip_opts o = {.npeers = 1, .ndims = 1, .tau = 0, .eps = 1e-6,
			      .max_iters = 1000, .ref_iters = 20, .repeat = 3,
			      .seed = 1};
	const char *impl = "all";
	char err[160], *end;
	int c;

	o.peers[0] = 16;
	o.dims[0] = 1u << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'd': {
			uint64_t *dst = c == 'k' ? o.peers : o.dims;
			int n = bench_parse_list(optarg, dst, BENCH_MAX_LIST, err,
						 sizeof(err));
			if (n < 0) {
				fprintf(stderr, "byz-bench clip: --%s: %s\n",
					c == 'k' ? "peers" : "dim", err);
				return 2;
			}
			for (int j = 0; j < n; j++)
				if (dst[j] == 0 ||
				    (c == 'k' && dst[j] > BYZ_CLIP_MAX_K)) {
					fprintf(stderr, "byz-bench clip: --%s: %llu out of range (1..%u)\n",
						c == 'k' ? "peers" : "dim",
						(unsigned long long)dst[j],
						c == 'k' ? BYZ_CLIP_MAX_K : 0xffffffffu);
					return 2;
				}
			*(c == 'k' ? &o.npeers : &o.ndims) = n;
			break;
		}
		case 't':
		case 'e': {
			double v = strtod(optarg, &end);
			if (*end || end == optarg || !isfinite(v) ||
			    (c == 't' ? v <= 0 : v < 0)) {
				fprintf(stderr, "byz-bench clip: --%s: '%s' is not a %s number\n",
					c == 't' ? "tau" : "eps", optarg,
					c == 't' ? "positive" : "non-negative");
				return 2;
			}
			*(c == 't' ? &o.tau : &o.eps) = v;
			break;
		}
		case 'i':
		case 'R':
		case 'r':
		case 's': {
			unsigned long long v = strtoull(optarg, &end, 0);
			if (*end || end == optarg || optarg[0] == '-' ||
			    (c == 'r' && (v < 1 || v > 64)) ||
			    (c != 's' && v > 0xffffffffull)) {
				fprintf(stderr, "byz-bench clip: bad value '%s'%s\n",
					optarg, c == 'r' ? " (--repeat takes 1..64)" : "");
				return 2;
			}
			if (c == 'i')
				o.max_iters = (uint32_t)v;
			else if (c == 'R')
				o.ref_iters = (uint32_t)v;
			else if (c == 'r')
				o.repeat = (int)v;
			else
				o.seed = v;
			break;
		}
		case 'I':
			impl = optarg;
			break;
		case 'c':
			o.csv = optarg;
			break;
		case 'h':
			clip_usage(stdout);
			return 0;
		default:
			clip_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-bench clip: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!strcmp(impl, "all")) {
		static const int order[] = {BYZ_CLIP_REF, BYZ_CLIP_AVX2,
					    BYZ_CLIP_AVX512, BYZ_CLIP_GRAM};
		for (size_t j = 0; j < 4; j++)
			o.impls[o.nimpls++] = order[j];
	} else {
		enum byz_clip_impl e;
		if (byz_clip_impl_parse(impl, &e)) {
			fprintf(stderr, "byz-bench clip: --impl: unknown '%s' (ref, avx2, avx512, gram, auto, all)\n", impl);
			return 2;
		}
		o.impls[o.nimpls++] = e;
	}

	FILE *csv = NULL;
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			fprintf(stderr, "byz-bench clip: cannot write %s: %s\n",
				o.csv, strerror(errno));
			return 1;
		}
		fprintf(csv, "label,impl,peers,dim,tau,eps,max_iters,iters,seconds,input_gbps,read_gbps,ratio_to_read,clipped,residual,converged,read_seconds\n");
	}
	printf("# byz-bench clip: CenteredClip, 1 thread, float32 inputs, eps %.1e, tau %s\n",
	       o.eps, o.tau > 0 ? "fixed" : "auto (median distance to the median start)");
	printf("# 'x read' = time / time of one read of all k*d*4 input bytes, measured in this run\n");
	printf("  %-8s %6s %10s %6s %11s %12s %10s %7s %10s %10s\n", "impl",
	       "peers", "dim", "iters", "seconds", "input GB/s", "read GB/s",
	       "x read", "clipped", "residual");
	int rc = 0;
	for (int a = 0; a < o.npeers && !rc; a++)
		for (int b = 0; b < o.ndims && !rc; b++)
			rc = run_one(&o, (uint32_t)o.peers[a], (size_t)o.dims[b], csv);
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench clip: error writing %s\n", o.csv);
		rc = 1;
	}
	return rc ? 1 : 0;
}
