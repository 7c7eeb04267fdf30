/*
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017).
 *
 * score_i = sum of the k-f-2 smallest ||v_i - v_j||^2 over j != i. Krum
 * returns the input with the least score (ties: lowest index); Multi-Krum
 * averages the m inputs with the least scores (ties: lower index first).
 *
 * Pairwise distances. Two ways, both in double:
 *  - direct: sum_c (v_i[c] - v_j[c])^2, k(k-1)/2 passes over the data, in
 *    column blocks so the k rows stay in cache. Accurate to double rounding.
 *  - Gram: G = V V^T by cblas_dsyrk over column blocks converted to double,
 *    then D_ij = G_ii + G_jj - 2 G_ij. One BLAS-3 pass, but the subtraction
 *    cancels when two inputs are close relative to their norms: the error is
 *    about u * (block + d/block) * (G_ii + G_jj) (u = 2^-53). So every pair
 *    with D_ij < 2^-10 (G_ii + G_jj) is recomputed directly; the others keep
 *    a relative error below about 1e-9 even at d = 1e7, far below any score
 *    gap that matters. Identical inputs therefore get exactly 0.
 * AUTO uses direct below BYZ_AGG_GRAM_MIN_K inputs (few pairs; no conversion
 * buffer) and Gram from there on.
 */
#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"

#define DIRECT_BLOCK 2048

static double sqdist_pair(const float *a, const float *b, size_t d)
{
	/* Four partial sums: the compiler may not reassociate one, and the add latency would bind. */
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t c = 0;
	for (; c + 4 <= d; c += 4) {
		double t0 = (double)a[c] - (double)b[c], t1 = (double)a[c + 1] - (double)b[c + 1];
		double t2 = (double)a[c + 2] - (double)b[c + 2], t3 = (double)a[c + 3] - (double)b[c + 3];
		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	for (; c < d; c++) {
		double t = (double)a[c] - (double)b[c];
		s0 += t * t;
	}
	return (s0 + s1) + (s2 + s3);
}

static void sqdist_direct(const float *const *v, uint32_t k, size_t d, double *D)
{
	memset(D, 0, (size_t)k * k * sizeof(double));
	for (size_t c0 = 0; c0 < d; c0 += DIRECT_BLOCK) {
		size_t b = d - c0 < DIRECT_BLOCK ? d - c0 : DIRECT_BLOCK;
		for (uint32_t i = 0; i < k; i++)
			for (uint32_t j = i + 1; j < k; j++)
				D[(size_t)i * k + j] += sqdist_pair(v[i] + c0, v[j] + c0, b);
	}
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = i + 1; j < k; j++)
			D[(size_t)j * k + i] = D[(size_t)i * k + j];
}

static int sqdist_gram(const float *const *v, uint32_t k, size_t d, double *D)
{
	/* About 512 KiB of converted block whatever k is, but at least 32 columns. */
	size_t blk = 65536 / k;
	if (blk < 32)
		blk = 32;
	if (blk > d)
		blk = d;
	double *A = malloc((size_t)k * blk * sizeof(double));
	if (!A)
		return -ENOMEM;
	/* beta = 1 from the start: D is never read uninitialised, whatever the BLAS does with beta 0. */
	memset(D, 0, (size_t)k * k * sizeof(double));
	for (size_t c0 = 0; c0 < d; c0 += blk) {
		size_t b = d - c0 < blk ? d - c0 : blk;
		for (uint32_t i = 0; i < k; i++)
			for (size_t j = 0; j < b; j++)
				A[(size_t)i * b + j] = (double)v[i][c0 + j];
		/* Upper triangle of D accumulates G. */
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (blasint)k, (blasint)b, 1.0, A,
			    (blasint)b, 1.0, D, (blasint)k);
	}
	free(A);
	const double near = 1.0 / 1024;
	for (uint32_t i = 0; i < k; i++) {
		double gii = D[(size_t)i * k + i];
		for (uint32_t j = i + 1; j < k; j++) {
			double gjj = D[(size_t)j * k + j];
			double dij = gii + gjj - 2 * D[(size_t)i * k + j];
			if (dij < near * (gii + gjj))
				dij = sqdist_pair(v[i], v[j], d);
			/* The lower triangle is free: park the result there, copy up below. */
			D[(size_t)j * k + i] = dij;
		}
	}
	for (uint32_t i = 0; i < k; i++) {
		D[(size_t)i * k + i] = 0;
		for (uint32_t j = i + 1; j < k; j++)
			D[(size_t)i * k + j] = D[(size_t)j * k + i];
	}
	return 0;
}

int byz_agg_sqdist(const float *const *v, uint32_t k, size_t d, double *D,
		   enum byz_agg_dist_method method)
{
	if (method == BYZ_AGG_DIST_AUTO)
		method = k < BYZ_AGG_GRAM_MIN_K ? BYZ_AGG_DIST_DIRECT : BYZ_AGG_DIST_GRAM;
	if (method == BYZ_AGG_DIST_DIRECT) {
		sqdist_direct(v, k, d, D);
		return 0;
	}
	return sqdist_gram(v, k, d, D);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

int byz_agg_krum_scores(const float *const *v, uint32_t k, size_t d, uint32_t f,
			double *scores, enum byz_agg_dist_method method)
{
	double *D = malloc((size_t)k * k * sizeof(double));
	double *row = malloc((size_t)k * sizeof(double));
	int rc = -ENOMEM;
	if (!D || !row)
		goto out;
	rc = byz_agg_sqdist(v, k, d, D, method);
	if (rc)
		goto out;
	uint32_t near = k - f - 2;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t n = 0;
		for (uint32_t j = 0; j < k; j++)
			if (j != i)
				row[n++] = D[(size_t)i * k + j];
		qsort(row, n, sizeof(double), cmp_double);
		double s = 0;
		for (uint32_t j = 0; j < near; j++)
			s += row[j];
		scores[i] = s;
	}
out:
	free(D);
	free(row);
	return rc;
}

int byz_agg_krum(const float *const *v, uint32_t k, size_t d, uint32_t f,
		 uint32_t m, float *out, uint32_t *selected)
{
	double *scores = malloc((size_t)k * sizeof(double));
	uint8_t *sel = calloc(k, 1);
	int rc = -ENOMEM;
	if (!scores || !sel)
		goto out;
	rc = byz_agg_krum_scores(v, k, d, f, scores, BYZ_AGG_DIST_AUTO);
	if (rc)
		goto out;
	if (m == 0) {
		uint32_t best = 0;
		for (uint32_t i = 1; i < k; i++)
			if (scores[i] < scores[best])
				best = i;
		memcpy(out, v[best], d * sizeof(float));
		*selected = best;
		goto out;
	}
	/* m rounds of "least unselected score, lowest index on ties": O(m k), k is small. */
	for (uint32_t r = 0; r < m; r++) {
		uint32_t best = k;
		for (uint32_t i = 0; i < k; i++)
			if (!sel[i] && (best == k || scores[i] < scores[best]))
				best = i;
		sel[best] = 1;
	}
	byz_agg_mean_sel(v, k, d, sel, out);
	*selected = m;
out:
	free(scores);
	free(sel);
	return rc;
}
