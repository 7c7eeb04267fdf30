/*
 * byz-bench hash: leaf hashing throughput of each BLAKE2b-256 implementation
 * behind byz_hash_many (byz/hash.h).
 *
 * For every leaf size it fills --total bytes once, hashes them as independent
 * leaves with libsodium (the baseline, always measured in the same run) and
 * with each SIMD variant the CPU supports (median of --repeat runs), checks
 * every digest against libsodium's, and prints GB/s and the speedup.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "byz/err.h"
#include "byz/hash.h"

#define MAX_REPEAT 64

struct hash_opts {
	uint64_t leaves[BENCH_MAX_LIST];
	int nleaves;
	uint64_t total;
	int repeat;
	enum byz_hash_impl impls[4];
	int nimpls;
	const char *csv;
};

static void hash_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench hash [options]\n"
"\n"
"Hashes --total bytes as independent leaves (BLAKE2b-256, 32-byte digests)\n"
"with libsodium, one leaf at a time, and with each multi-buffer variant this\n"
"CPU supports; every digest is checked against libsodium's.\n"
"\n"
"  --leaf LIST       leaf sizes in bytes; 4096, 64K, 1M, 2^20     [4K,64K,1M]\n"
"  --total SIZE      bytes hashed per run (rounded down to whole\n"
"                    leaves, at least one leaf)                   [256M]\n"
"  --impl NAME       sodium|avx2|avx512|auto|all                  [all]\n"
"                    (sodium is measured in every case as the baseline)\n"
"  --repeat N        timed runs per row; the median is reported   [3]\n"
"  --csv FILE        also write one CSV row per measurement\n"
"  -h, --help        this text\n"
"\n"
"Columns: leaf (bytes), leaves (per run), seconds (median), GB/s (bytes over\n"
"time, GB = 1e9 bytes), x sodium (libsodium's time over this one's, measured\n"
"in this run). Single thread. BYZ_SIMD_MAX=scalar|avx2 caps the variants.\n");
}

static int parse_impl(const char *s, enum byz_hash_impl *impl)
{
	static const enum byz_hash_impl all[] = {BYZ_HASH_AUTO, BYZ_HASH_SODIUM,
						 BYZ_HASH_AVX2, BYZ_HASH_AVX512};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, byz_hash_impl_name(all[i]))) {
			*impl = all[i];
			return 0;
		}
	return -1;
}

/* Median seconds of opt->repeat runs of one implementation over all leaves. */
static int time_impl(const struct hash_opts *o, enum byz_hash_impl impl,
		     const uint8_t *const *msg, const size_t *len, size_t n,
		     uint8_t (*out)[32], double *sec)
{
	double t[MAX_REPEAT];
	for (int r = 0; r < o->repeat; r++) {
		double t0 = bench_now();
		int rc = byz_hash_many(msg, len, n, out, impl);
		t[r] = bench_now() - t0;
		if (rc)
			return rc;
	}
	*sec = bench_median(t, (size_t)o->repeat);
	return 0;
}

static int run_leaf(const struct hash_opts *o, size_t leaf, FILE *csv)
{
	size_t n = o->total / leaf ? (size_t)(o->total / leaf) : 1;
	size_t bytes = n * leaf;
	uint8_t *buf = malloc(bytes);
	const uint8_t **msg = malloc(n * sizeof(*msg));
	size_t *len = malloc(n * sizeof(*len));
	uint8_t(*ref)[32] = malloc(n * 32);
	uint8_t(*out)[32] = malloc(n * 32);
	int rc = 0;

	if (!buf || !msg || !len || !ref || !out) {
		fprintf(stderr, "byz-bench hash: cannot allocate %.1f MiB for leaf %zu\n",
			bytes / 1048576.0, leaf);
		rc = -ENOMEM;
		goto out;
	}
	uint64_t s = 0x9e3779b97f4a7c15ull ^ leaf;
	for (size_t i = 0; i + 8 <= bytes; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(buf + i, &s, 8);
	}
	for (size_t i = 0; i < n; i++) {
		msg[i] = buf + i * leaf;
		len[i] = leaf;
	}
	double base;
	rc = time_impl(o, BYZ_HASH_SODIUM, msg, len, n, ref, &base);
	if (rc)
		goto out;
	for (int k = 0; k < o->nimpls; k++) {
		enum byz_hash_impl impl = o->impls[k];
		const char *name = byz_hash_impl_name(impl);
		double sec = base;
		if (impl != BYZ_HASH_SODIUM) {
			rc = time_impl(o, impl, msg, len, n, out, &sec);
			if (rc == -ENOTSUP) {
				printf("  %-8s %10zu %8zu   (not supported by this CPU or build)\n",
				       name, leaf, n);
				rc = 0;
				continue;
			}
			if (rc) {
				fprintf(stderr, "byz-bench hash: %s failed: %s\n",
					name, byz_strerror(rc));
				goto out;
			}
			if (memcmp(out, ref, n * 32)) {
				fprintf(stderr, "byz-bench hash: %s digests differ from libsodium's at leaf %zu\n",
					name, leaf);
				rc = -EPROTO;
				goto out;
			}
		}
		char label[24];
		if (impl == BYZ_HASH_AUTO)
			snprintf(label, sizeof(label), "auto=%s",
				 byz_hash_impl_name(byz_hash_best()));
		else
			snprintf(label, sizeof(label), "%s", name);
		printf("  %-12s %10zu %8zu %11.6f %8.3f %9.2f\n", label, leaf, n,
		       sec, bytes / sec / 1e9, base / sec);
		fflush(stdout);
		if (csv)
			fprintf(csv, "%s,%zu,%zu,%zu,%.9f,%.6f,%.9f,%.4f\n", label,
				leaf, n, bytes, sec, bytes / sec / 1e9, base,
				base / sec);
	}
out:
	free(buf);
	free(msg);
	free(len);
	free(ref);
	free(out);
	return rc;
}

int bench_hash_main(int argc, char **argv);

int bench_hash_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"leaf", required_argument, NULL, 'l'},
		{"total", required_argument, NULL, 't'},
		{"impl", required_argument, NULL, 'I'},
		{"repeat", required_argument, NULL, 'r'},
		{"csv", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct hash_opts o = {.nleaves = 3, .total = 256ull << 20, .repeat = 3};
	const char *impl = "all";
	char err[160], *end;
	int c;

	o.leaves[0] = 4096;
	o.leaves[1] = 65536;
	o.leaves[2] = 1u << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'l': {
			int n = bench_parse_list(optarg, o.leaves, BENCH_MAX_LIST,
						 err, sizeof(err));
			if (n < 0) {
				fprintf(stderr, "byz-bench hash: --leaf: %s\n", err);
				return 2;
			}
			for (int j = 0; j < n; j++)
				if (o.leaves[j] == 0 || o.leaves[j] > (1ull << 32)) {
					fprintf(stderr, "byz-bench hash: --leaf: %llu out of range (1..4G)\n",
						(unsigned long long)o.leaves[j]);
					return 2;
				}
			o.nleaves = n;
			break;
		}
		case 't': {
			uint64_t v;
			if (bench_parse_list(optarg, &v, 1, err, sizeof(err)) != 1 ||
			    v == 0 || v > (64ull << 30)) {
				fprintf(stderr, "byz-bench hash: --total: '%s' is not a size in 1..64G\n",
					optarg);
				return 2;
			}
			o.total = v;
			break;
		}
		case 'r': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || optarg[0] == '-' || v < 1 ||
			    v > MAX_REPEAT) {
				fprintf(stderr, "byz-bench hash: --repeat: '%s' is not in 1..%d\n",
					optarg, MAX_REPEAT);
				return 2;
			}
			o.repeat = (int)v;
			break;
		}
		case 'I':
			impl = optarg;
			break;
		case 'c':
			o.csv = optarg;
			break;
		case 'h':
			hash_usage(stdout);
			return 0;
		default:
			hash_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-bench hash: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!strcmp(impl, "all")) {
		o.impls[o.nimpls++] = BYZ_HASH_SODIUM;
		o.impls[o.nimpls++] = BYZ_HASH_AVX2;
		o.impls[o.nimpls++] = BYZ_HASH_AVX512;
	} else if (parse_impl(impl, &o.impls[0])) {
		fprintf(stderr, "byz-bench hash: --impl: unknown '%s' (sodium, avx2, avx512, auto, all)\n",
			impl);
		return 2;
	} else {
		o.nimpls = 1;
	}

	FILE *csv = NULL;
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			fprintf(stderr, "byz-bench hash: cannot write %s: %s\n", o.csv,
				strerror(errno));
			return 1;
		}
		fprintf(csv, "impl,leaf,leaves,bytes,seconds,gbps,sodium_seconds,ratio_to_sodium\n");
	}
	printf("# byz-bench hash: BLAKE2b-256 of independent leaves, 1 thread, %.0f MiB per run\n",
	       o.total / 1048576.0);
	printf("# 'x sodium' = libsodium's time / this time, both measured in this run\n");
	printf("  %-12s %10s %8s %11s %8s %9s\n", "impl", "leaf", "leaves",
	       "seconds", "GB/s", "x sodium");
	int rc = 0;
	for (int j = 0; j < o.nleaves && !rc; j++)
		rc = run_leaf(&o, (size_t)o.leaves[j], csv);
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench hash: error writing %s\n", o.csv);
		rc = 1;
	}
	return rc ? 1 : 0;
}
