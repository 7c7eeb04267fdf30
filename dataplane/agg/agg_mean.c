/* Mean and coordinate-wise trimmed mean, accumulated in double. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"

/* Coordinates per block: the double accumulators stay in L1 while the k rows stream by. */
#define MEAN_BLOCK 512

void byz_agg_mean_sel(const float *const *v, uint32_t k, size_t d,
		      const uint8_t *sel, float *out)
{
	double acc[MEAN_BLOCK];
	uint32_t n = 0;
	for (uint32_t i = 0; i < k; i++)
		n += !sel || sel[i];
	for (size_t c0 = 0; c0 < d; c0 += MEAN_BLOCK) {
		size_t b = d - c0 < MEAN_BLOCK ? d - c0 : MEAN_BLOCK;
		memset(acc, 0, b * sizeof(double));
		for (uint32_t i = 0; i < k; i++) {
			if (sel && !sel[i])
				continue;
			const float *x = v[i] + c0;
			for (size_t j = 0; j < b; j++)
				acc[j] += (double)x[j];
		}
		for (size_t j = 0; j < b; j++)
			out[c0 + j] = (float)(acc[j] / n);
	}
}

void byz_agg_mean(const float *const *v, uint32_t k, size_t d, float *out)
{
	byz_agg_mean_sel(v, k, d, NULL, out);
}

static void sort_floats(float *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		float x = a[i];
		uint32_t j = i;
		while (j > 0 && a[j - 1] > x) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

static void swapf(float *a, int64_t i, int64_t j)
{
	float t = a[i];
	a[i] = a[j];
	a[j] = t;
}

/*
 * Rearranges a[lo..hi] so that a[n] holds the value it would hold sorted,
 * nothing after it is smaller and nothing before it larger (Hoare's select,
 * median-of-three pivot; finite values only). Signed indices: j may step to
 * lo - 1.
 */
static void select_nth(float *a, int64_t lo, int64_t hi, int64_t n)
{
	while (hi - lo > 16) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo])
			swapf(a, mid, lo);
		if (a[hi] < a[lo])
			swapf(a, hi, lo);
		if (a[hi] < a[mid])
			swapf(a, hi, mid);
		float pivot = a[mid];
		int64_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				swapf(a, i, j);
				i++;
				j--;
			}
		}
		/* Now a[lo..j] <= pivot <= a[i..hi], and whatever lies between equals pivot. */
		if (n <= j)
			hi = j;
		else if (n >= i)
			lo = i;
		else
			return;
	}
	sort_floats(a + lo, (uint32_t)(hi - lo + 1));
}

/* Columns per block: gathering a block transposes it so each column is contiguous. */
#define TRIM_BLOCK 64

int byz_agg_trimmed_mean(const float *const *v, uint32_t k, size_t d,
			 uint32_t f, float *out)
{
	float *t = malloc((size_t)k * TRIM_BLOCK * sizeof(float));
	if (!t)
		return -ENOMEM;
	for (size_t c0 = 0; c0 < d; c0 += TRIM_BLOCK) {
		size_t b = d - c0 < TRIM_BLOCK ? d - c0 : TRIM_BLOCK;
		for (uint32_t i = 0; i < k; i++)
			for (size_t j = 0; j < b; j++)
				t[j * k + i] = v[i][c0 + j];
		for (size_t j = 0; j < b; j++) {
			float *col = t + j * k;
			/* Only which values are kept matters: partition off f on each side. */
			if (k <= 24) {
				sort_floats(col, k);
			} else if (f > 0) {
				select_nth(col, 0, k - 1, f);
				select_nth(col, f, k - 1, k - f - 1);
			}
			double s = 0;
			for (uint32_t i = f; i < k - f; i++)
				s += (double)col[i];
			out[c0 + j] = (float)(s / (k - 2 * f));
		}
	}
	free(t);
	return 0;
}
