#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int parse_one(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!strncmp(s, "2^", 2)) {
		unsigned long e = strtoul(s + 2, &end, 10);
		if (errno || end == s + 2 || *end || e > 40)
			return -1;
		*out = 1ull << e;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int bench_parse_list(const char *s, uint64_t *out, size_t max, char *err,
		     size_t errlen)
{
	char buf[512];
	size_t n = 0;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "list too long");
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max) {
			snprintf(err, errlen, "more than %zu values", max);
			return -1;
		}
		if (parse_one(tok, &out[n])) {
			snprintf(err, errlen,
				 "'%s' is not a size (use 123, 64K, 1M, 2G or 2^20)",
				 tok);
			return -1;
		}
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "empty list");
		return -1;
	}
	return (int)n;
}

/* Integer XOR over 64-bit words: vectorises without -ffast-math and keeps
 * several loads in flight, so it measures the memory system, not the FPU. */
static uint64_t read_all(const uint64_t *p, size_t words)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
	size_t i = 0;
	for (; i + 8 <= words; i += 8) {
		a0 ^= p[i];
		a1 ^= p[i + 1];
		a2 ^= p[i + 2];
		a3 ^= p[i + 3];
		a4 ^= p[i + 4];
		a5 ^= p[i + 5];
		a6 ^= p[i + 6];
		a7 ^= p[i + 7];
	}
	for (; i < words; i++)
		a0 ^= p[i];
	return a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

double bench_read_seconds(const void *p, size_t n, int reps)
{
	double t[64];
	volatile uint64_t sink = 0;

	if (reps < 1)
		reps = 1;
	if (reps > 64)
		reps = 64;
	for (int r = 0; r < reps; r++) {
		double t0 = bench_now();
		sink ^= read_all(p, n / 8);
		t[r] = bench_now() - t0;
	}
	(void)sink;
	return bench_median(t, (size_t)reps);
}
