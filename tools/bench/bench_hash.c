/*
 * byz-bench hash: leaf hashing throughput of every implementation of both
 * leaf hash algorithms (byz/hash.h): BLAKE2b-256 (libsodium, multi-buffer
 * AVX2 and AVX-512) and SHA-256 (libsodium, SHA-NI two messages interleaved
 * and one at a time), plus the 'auto' pick (byz_leaf_fastest).
 *
 * For every leaf size it fills --total bytes once, hashes them as independent
 * leaves with libsodium's BLAKE2b (the baseline, always measured in the same
 * run) and with each implementation asked for (median of --repeat runs),
 * checks every digest against libsodium's for that algorithm, and prints GB/s
 * and the speedup over the baseline.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench_util.h"
#include "byz/cpu.h"
#include "byz/err.h"
#include "byz/hash.h"
#include "byz/merkle.h"

#define MAX_REPEAT 64

/* One row: an algorithm and one of its implementations; auto = the
 * algorithm byz_leaf_fastest() picks, with its best implementation. */
struct hash_row {
	enum byz_leaf_alg alg;
	int impl; /* enum byz_hash_impl or enum byz_sha256_impl */
	int is_auto;
	const char *name; /* --impl name */
};

static const struct hash_row all_rows[] = {
	{BYZ_LEAF_BLAKE2B, BYZ_HASH_SODIUM, 0, "sodium"},
	{BYZ_LEAF_BLAKE2B, BYZ_HASH_AVX2, 0, "avx2"},
	{BYZ_LEAF_BLAKE2B, BYZ_HASH_AVX512, 0, "avx512"},
	{BYZ_LEAF_SHA256, BYZ_SHA256_SODIUM, 0, "sha256-sodium"},
	{BYZ_LEAF_SHA256, BYZ_SHA256_SHANI, 0, "shani"},
	{BYZ_LEAF_SHA256, BYZ_SHA256_SHANI_X1, 0, "shani-x1"},
	{BYZ_LEAF_BLAKE2B, 0, 1, "auto"},
};
#define NROWS (sizeof(all_rows) / sizeof(all_rows[0]))

struct hash_opts {
	uint64_t leaves[BENCH_MAX_LIST];
	int nleaves;
	uint64_t total;
	int repeat;
	struct hash_row rows[NROWS];
	int nrows;
	const char *csv;
};

static void hash_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench hash [options]\n"
"\n"
"Hashes --total bytes as independent leaves (32-byte digests) with every\n"
"implementation of both leaf hash algorithms this CPU supports: BLAKE2b-256\n"
"(libsodium one leaf at a time, multi-buffer AVX2 and AVX-512) and SHA-256\n"
"(libsodium, SHA-NI two leaves interleaved, SHA-NI one at a time). Every\n"
"digest is checked against libsodium's for its algorithm.\n"
"\n"
"  --leaf LIST       leaf sizes in bytes; 4096, 64K, 1M, 2^20     [4K,64K,1M]\n"
"  --total SIZE      bytes hashed per run (rounded down to whole\n"
"                    leaves, at least one leaf)                   [256M]\n"
"  --impl NAME       sodium|avx2|avx512 (BLAKE2b), sha256-sodium|\n"
"                    shani|shani-x1 (SHA-256), auto|all           [all]\n"
"                    (libsodium BLAKE2b is measured in every case as the\n"
"                    baseline; auto = the faster algorithm on this machine,\n"
"                    byz_leaf_fastest, with its best implementation)\n"
"  --repeat N        timed runs per row; the median is reported   [3]\n"
"  --csv FILE        also write one CSV row per measurement\n"
"  -h, --help        this text\n"
"\n"
"Columns: hash (algorithm), impl, leaf (bytes), leaves (per run), seconds\n"
"(median), GB/s (bytes over time, GB = 1e9 bytes), x sodium (libsodium\n"
"BLAKE2b's time over this one's, measured in this run). Single thread.\n"
"With --impl all, a last table compares the two ways of committing to one\n"
"vector of --total bytes: sequential BLAKE2b (wire v2) and the Merkle root\n"
"over 64 KiB leaves that byz_part_hash uses (wire v3, byz/merkle.h); there\n"
"'x sodium' is the sequential time over the root's.\n"
"BYZ_SIMD_MAX=avx2 caps BLAKE2b at AVX2; BYZ_SIMD_MAX=scalar also turns\n"
"SHA-NI off. A run does not use auto: its config names the algorithm.\n");
}

static int parse_impl(const char *s, struct hash_row *row)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(s, all_rows[i].name)) {
			*row = all_rows[i];
			return 0;
		}
	return -1;
}

static int hash_row_run(const struct hash_row *r, const uint8_t *const *msg,
			const size_t *len, size_t n, uint8_t (*out)[32])
{
	if (r->is_auto)
		return byz_leaf_hash_many(byz_leaf_fastest(), msg, len, n, out);
	if (r->alg == BYZ_LEAF_SHA256)
		return byz_sha256_many(msg, len, n, out, (enum byz_sha256_impl)r->impl);
	return byz_hash_many(msg, len, n, out, (enum byz_hash_impl)r->impl);
}

/* Median seconds of opt->repeat runs of one row over all leaves. */
static int time_row(const struct hash_opts *o, const struct hash_row *row,
		    const uint8_t *const *msg, const size_t *len, size_t n,
		    uint8_t (*out)[32], double *sec)
{
	double t[MAX_REPEAT];
	for (int r = 0; r < o->repeat; r++) {
		double t0 = bench_now();
		int rc = hash_row_run(row, msg, len, n, out);
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
	uint8_t(*sref)[32] = NULL; /* libsodium SHA-256, on first use */
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
	static const struct hash_row base_row = {BYZ_LEAF_BLAKE2B, BYZ_HASH_SODIUM, 0, "sodium"};
	double base;
	rc = time_row(o, &base_row, msg, len, n, ref, &base);
	if (rc)
		goto out;
	for (int k = 0; k < o->nrows; k++) {
		const struct hash_row *row = &o->rows[k];
		enum byz_leaf_alg alg = row->is_auto ? byz_leaf_fastest() : row->alg;
		const char *aname = byz_leaf_alg_name(alg);
		char label[32];
		if (row->is_auto)
			snprintf(label, sizeof(label), "auto=%s", byz_leaf_alg_impl(alg));
		else if (alg == BYZ_LEAF_SHA256)
			snprintf(label, sizeof(label), "%s",
				 byz_sha256_impl_name((enum byz_sha256_impl)row->impl));
		else
			snprintf(label, sizeof(label), "%s",
				 byz_hash_impl_name((enum byz_hash_impl)row->impl));
		double sec = base;
		if (row->is_auto || alg != BYZ_LEAF_BLAKE2B || row->impl != BYZ_HASH_SODIUM) {
			rc = time_row(o, row, msg, len, n, out, &sec);
			if (rc == -ENOTSUP) {
				printf("  %-8s %-12s %10zu %8zu   (not supported by this CPU or build)\n",
				       aname, label, leaf, n);
				rc = 0;
				continue;
			}
			if (rc) {
				fprintf(stderr, "byz-bench hash: %s %s failed: %s\n", aname,
					label, byz_strerror(rc));
				goto out;
			}
			const uint8_t(*want)[32] = ref;
			if (alg == BYZ_LEAF_SHA256) {
				if (!sref) {
					sref = malloc(n * 32);
					if (!sref) {
						rc = -ENOMEM;
						goto out;
					}
					for (size_t i = 0; i < n; i++)
						crypto_hash_sha256(sref[i], msg[i], len[i]);
				}
				want = sref;
			}
			if (memcmp(out, want, n * 32)) {
				fprintf(stderr, "byz-bench hash: %s %s digests differ from libsodium's at leaf %zu\n",
					aname, label, leaf);
				rc = -EPROTO;
				goto out;
			}
		}
		printf("  %-8s %-12s %10zu %8zu %11.6f %8.3f %9.2f\n", aname, label, leaf, n,
		       sec, bytes / sec / 1e9, base / sec);
		fflush(stdout);
		if (csv)
			fprintf(csv, "%s,%s,%zu,%zu,%zu,%.9f,%.6f,%.9f,%.4f\n", aname, label,
				leaf, n, bytes, sec, bytes / sec / 1e9, base, base / sec);
	}
out:
	free(buf);
	free(msg);
	free(len);
	free(ref);
	free(sref);
	free(out);
	return rc;
}

/* A part commitment (byz_part_hash) hashes one vector: version 2 of the wire
 * did it sequentially, version 3 builds the Merkle root over its 64 KiB
 * leaves (byz/merkle.h). Both over the same --total bytes, same run. */
static int run_commit(const struct hash_opts *o, FILE *csv)
{
	size_t bytes = (size_t)o->total;
	uint8_t *buf = malloc(bytes);
	if (!buf) {
		fprintf(stderr, "byz-bench hash: cannot allocate %.1f MiB\n", bytes / 1048576.0);
		return -ENOMEM;
	}
	for (size_t i = 0; i < bytes; i++)
		buf[i] = (uint8_t)(i * 131u + (i >> 12));
	double ts[MAX_REPEAT], tm[MAX_REPEAT];
	uint8_t h[32];
	for (int r = 0; r < o->repeat; r++) {
		double t0 = bench_now();
		crypto_generichash(h, 32, buf, bytes, NULL, 0);
		double t1 = bench_now();
		int rc = byz_merkle_root(buf, bytes, h);
		ts[r] = t1 - t0;
		tm[r] = bench_now() - t1;
		if (rc) {
			free(buf);
			return rc;
		}
	}
	double a = bench_median(ts, (size_t)o->repeat), b = bench_median(tm, (size_t)o->repeat);
	printf("# part commitment over one %.0f MiB vector: sequential BLAKE2b (wire v2) vs\n"
	       "# Merkle root over 64 KiB leaves (wire v3, %s lanes)\n",
	       bytes / 1048576.0, byz_hash_impl_name(byz_hash_best()));
	printf("  %-8s %-12s %10s %8s %11.6f %8.3f %9.2f\n", "blake2b", "sequential", "-", "1",
	       a, bytes / a / 1e9, 1.0);
	printf("  %-8s %-12s %10u %8zu %11.6f %8.3f %9.2f\n", "blake2b", "merkle-root",
	       BYZ_MERKLE_LEAF, byz_merkle_leaves(bytes), b, bytes / b / 1e9, a / b);
	if (csv) {
		fprintf(csv, "blake2b,sequential,%zu,1,%zu,%.9f,%.6f,%.9f,1\n", bytes, bytes, a,
			bytes / a / 1e9, a);
		fprintf(csv, "blake2b,merkle-root,%u,%zu,%zu,%.9f,%.6f,%.9f,%.4f\n",
			BYZ_MERKLE_LEAF, byz_merkle_leaves(bytes), bytes, b, bytes / b / 1e9, a,
			a / b);
	}
	free(buf);
	return 0;
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
		for (size_t i = 0; i < NROWS; i++)
			o.rows[o.nrows++] = all_rows[i];
	} else if (parse_impl(impl, &o.rows[0])) {
		fprintf(stderr, "byz-bench hash: --impl: unknown '%s' (sodium, avx2, avx512, "
			"sha256-sodium, shani, shani-x1, auto, all)\n", impl);
		return 2;
	} else {
		o.nrows = 1;
	}

	FILE *csv = NULL;
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			fprintf(stderr, "byz-bench hash: cannot write %s: %s\n", o.csv,
				strerror(errno));
			return 1;
		}
		fprintf(csv, "hash,impl,leaf,leaves,bytes,seconds,gbps,sodium_seconds,ratio_to_sodium\n");
	}
	printf("# byz-bench hash: 32-byte digests of independent leaves, 1 thread, %.0f MiB per run\n",
	       o.total / 1048576.0);
	printf("# 'x sodium' = libsodium BLAKE2b's time / this time, both measured in this run\n");
	printf("# here: blake2b runs on %s, sha256 on %s (SHA-NI %s); auto picks %s\n",
	       byz_leaf_alg_impl(BYZ_LEAF_BLAKE2B), byz_leaf_alg_impl(BYZ_LEAF_SHA256),
	       byz_cpu_has_sha() ? "present" : "absent or off",
	       byz_leaf_alg_name(byz_leaf_fastest()));
	printf("  %-8s %-12s %10s %8s %11s %8s %9s\n", "hash", "impl", "leaf", "leaves",
	       "seconds", "GB/s", "x sodium");
	int rc = 0;
	for (int j = 0; j < o.nleaves && !rc; j++)
		rc = run_leaf(&o, (size_t)o.leaves[j], csv);
	if (!rc && !strcmp(impl, "all"))
		rc = run_commit(&o, csv);
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench hash: error writing %s\n", o.csv);
		rc = 1;
	}
	return rc ? 1 : 0;
}
