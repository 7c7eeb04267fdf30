/*
 * byz-bench mac: cost of the per-frame tag (byz/auth.h) on one core.
 *
 * For every payload size it builds a ring of real version-2 frames (header
 * + payload) and tags each frame with both candidate algorithms, Poly1305
 * under a ChaCha20-derived one-time key and keyed BLAKE2b-128, against the
 * CRC32C every frame pays already (the baseline, measured in the same run).
 * Prints ns per frame and GB/s (tagged bytes: header up to the tag + payload).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench_util.h"
#include "byz/auth.h"
#include "byz/frame.h"

#define MAX_REPEAT 64
#define RING 64 /* frames in the ring: the working set stays in L2 at 9 KB */

struct mac_opts {
	uint64_t sizes[BENCH_MAX_LIST];
	int nsizes;
	uint64_t frames;
	int repeat;
	const char *csv;
};

static void mac_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench mac [options]\n"
"\n"
"Tags --frames version-2 frames per run with each algorithm of byz/auth.h\n"
"(poly1305: ChaCha20 one-time key + Poly1305, the wire's; blake2b: keyed\n"
"BLAKE2b-128) and computes their CRC32C as the baseline; 1 thread.\n"
"\n"
"  --size LIST       payload sizes in bytes, 0..%u\n"
"                                      [64,256,512,1K,1400,4K,8K,8910]\n"
"  --frames N        frames per run                             [200000]\n"
"  --repeat N        timed runs per row; the median is reported [5]\n"
"  --csv FILE        also write one CSV row per measurement\n"
"  -h, --help        this text\n"
"\n"
"Columns: payload (bytes), alg, ns/frame, GB/s (header to the tag +\n"
"payload, GB = 1e9 bytes), x crc (this time over CRC32C's, this run).\n"
"Times are the thread's CPU time, the cost per core.\n",
		(unsigned)BYZ_PAYLOAD_MAX);
}

static volatile uint64_t sink; /* keeps the results alive */

/* This thread's CPU seconds: the cost per core, which time slices lost to
 * other processes on a shared machine do not inflate (wall time would). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* alg < 0: CRC32C of the same bytes (what every frame costs already) */
static double time_alg(const struct mac_opts *o, int alg, const uint8_t *ring,
		       size_t stride, size_t plen)
{
	static const uint8_t key[BYZ_AUTH_KEY_LEN] = {7, 1, 2, 3};
	double t[MAX_REPEAT];
	uint8_t tag[BYZ_AUTH_TAG_LEN];
	for (int r = 0; r < o->repeat; r++) {
		double t0 = cpu_now();
		for (uint64_t i = 0; i < o->frames; i++) {
			const uint8_t *h = ring + (i % RING) * stride;
			if (alg < 0) {
				sink += byz_crc32c(0, h, BYZ_HDR_LEN + plen);
			} else {
				byz_mac_compute((enum byz_mac_alg)alg, key, h, h + BYZ_HDR_LEN,
						plen, tag);
				sink += tag[0];
			}
		}
		t[r] = cpu_now() - t0;
	}
	return bench_median(t, (size_t)o->repeat);
}

static int run_size(const struct mac_opts *o, size_t plen, FILE *csv)
{
	size_t stride = (BYZ_HDR_LEN + plen + 63) & ~(size_t)63;
	uint8_t *ring = aligned_alloc(64, stride * RING);
	if (!ring) {
		fprintf(stderr, "byz-bench mac: out of memory\n");
		return -ENOMEM;
	}
	uint64_t s = 0x9e3779b97f4a7c15ull ^ plen;
	for (size_t i = 0; i + 8 <= stride * RING; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(ring + i, &s, 8);
	}
	for (unsigned f = 0; f < RING; f++) /* distinct counters, as on the wire */
		byz_le64_put(ring + f * stride + BYZ_HO_CTR, 1000u + f);
	static const struct {
		int alg;
		const char *name;
	} algs[] = {{-1, "crc32c"}, {BYZ_MAC_POLY1305, "poly1305"}, {BYZ_MAC_BLAKE2B, "blake2b"}};
	double base = 0;
	double bytes = (double)(BYZ_HO_TAG + plen);
	for (size_t k = 0; k < sizeof(algs) / sizeof(algs[0]); k++) {
		double sec = time_alg(o, algs[k].alg, ring, stride, plen);
		if (algs[k].alg < 0)
			base = sec;
		double ns = sec * 1e9 / (double)o->frames;
		double gbps = bytes * (double)o->frames / sec / 1e9;
		printf("  %8zu %-9s%s %10.1f %8.3f %8.2f\n", plen, algs[k].name,
		       algs[k].alg == (int)BYZ_MAC_WIRE ? "*" : " ", ns, gbps, sec / base);
		if (csv)
			fprintf(csv, "%zu,%s,%d,%llu,%.9f,%.3f,%.6f,%.4f\n", plen, algs[k].name,
				algs[k].alg == (int)BYZ_MAC_WIRE, (unsigned long long)o->frames,
				sec, ns, gbps, sec / base);
	}
	fflush(stdout);
	free(ring);
	return 0;
}

int bench_mac_main(int argc, char **argv);

int bench_mac_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"size", required_argument, NULL, 's'},
		{"frames", required_argument, NULL, 'f'},
		{"repeat", required_argument, NULL, 'r'},
		{"csv", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	static const uint64_t def[] = {64, 256, 512, 1024, 1400, 4096, 8192, BYZ_PAYLOAD_MAX};
	struct mac_opts o = {.nsizes = (int)(sizeof(def) / sizeof(def[0])), .frames = 200000,
			     .repeat = 5};
	memcpy(o.sizes, def, sizeof(def));
	char err[160], *end;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': {
			int n = bench_parse_list(optarg, o.sizes, BENCH_MAX_LIST, err, sizeof(err));
			if (n < 0) {
				fprintf(stderr, "byz-bench mac: --size: %s\n", err);
				return 2;
			}
			for (int j = 0; j < n; j++)
				if (o.sizes[j] > BYZ_PAYLOAD_MAX) {
					fprintf(stderr, "byz-bench mac: --size: %llu over the payload limit %u\n",
						(unsigned long long)o.sizes[j], (unsigned)BYZ_PAYLOAD_MAX);
					return 2;
				}
			o.nsizes = n;
			break;
		}
		case 'f': {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || end == optarg || optarg[0] == '-' || v < 1 || v > 1000000000ull) {
				fprintf(stderr, "byz-bench mac: --frames: '%s' is not in 1..1e9\n", optarg);
				return 2;
			}
			o.frames = v;
			break;
		}
		case 'r': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || optarg[0] == '-' || v < 1 || v > MAX_REPEAT) {
				fprintf(stderr, "byz-bench mac: --repeat: '%s' is not in 1..%d\n", optarg,
					MAX_REPEAT);
				return 2;
			}
			o.repeat = (int)v;
			break;
		}
		case 'c':
			o.csv = optarg;
			break;
		case 'h':
			mac_usage(stdout);
			return 0;
		default:
			mac_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-bench mac: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* without it libsodium keeps its portable Poly1305/ChaCha20/BLAKE2b */
	if (sodium_init() < 0) {
		fprintf(stderr, "byz-bench mac: libsodium failed to initialise\n");
		return 1;
	}
	FILE *csv = NULL;
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			fprintf(stderr, "byz-bench mac: cannot write %s: %s\n", o.csv, strerror(errno));
			return 1;
		}
		fprintf(csv, "payload,alg,wire,frames,seconds,ns_per_frame,gbps,ratio_to_crc32c\n");
	}
	printf("# byz-bench mac: per-frame tag over a %u-byte header prefix + payload, 1 thread,\n"
	       "# %llu frames per run, thread CPU time (median); '*' = the algorithm on the wire;\n"
	       "# x crc = time / CRC32C's\n",
	       (unsigned)BYZ_HO_TAG, (unsigned long long)o.frames);
	printf("  %8s %-10s %10s %8s %8s\n", "payload", "alg", "ns/frame", "GB/s", "x crc");
	int rc = 0;
	for (int j = 0; j < o.nsizes && !rc; j++)
		rc = run_size(&o, (size_t)o.sizes[j], csv);
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench mac: error writing %s\n", o.csv);
		rc = 1;
	}
	return rc ? 1 : 0;
}
