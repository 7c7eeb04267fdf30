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
	/* Insertion sort: k is small in practice and the columns arrive unsorted but short. */
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

static int cmp_float(const void *pa, const void *pb)
{
	float a = *(const float *)pa, b = *(const float *)pb;
	return (a > b) - (a < b);
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
			if (k <= 32)
				sort_floats(col, k);
			else
				qsort(col, k, sizeof(float), cmp_float);
			double s = 0;
			for (uint32_t i = f; i < k - f; i++)
				s += (double)col[i];
			out[c0 + j] = (float)(s / (k - 2 * f));
		}
	}
	free(t);
	return 0;
}
