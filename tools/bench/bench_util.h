/*
 * Small helpers shared by byz-bench subcommands: a monotonic clock, medians
 * of repeated timings, size lists with K/M/G and 2^N forms, and the memory
 * read bandwidth every benchmark reports its baseline against.
 */
#ifndef BYZ_BENCH_UTIL_H
#define BYZ_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_LIST 32

double bench_now(void);
double bench_median(double *v, size_t n);

/* "4,16,64" or "2^16,1M": each item a non-negative integer with an optional
 * K/M/G (binary) suffix, or 2^N. Returns the count, or -1 with a message. */
int bench_parse_list(const char *s, uint64_t *out, size_t max, char *err,
		     size_t errlen);

/* Seconds to read n bytes at p once (median of reps), every byte touched. */
double bench_read_seconds(const void *p, size_t n, int reps);

#endif
