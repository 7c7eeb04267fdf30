/*
 * Portable Gram passes on OpenBLAS: build float64 blocks of v - base and let
 * dsyrk/dgemv do the arithmetic. Correct everywhere, but OpenBLAS packs every
 * block before multiplying, which costs more than the multiply for the
 * tall-skinny k x d shapes here; the SIMD variants fuse conversion and
 * product instead (clip_simd_tmpl.h). This is the scalar kernel table's pair.
 */
#include <cblas.h>
#include <stdlib.h>

#include "clip_internal.h"

/* Coordinates per block: about 512 KiB of float64 rows stays in L2. */
static size_t block_len(uint32_t k)
{
	size_t b = (65536 / k) & ~(size_t)63;
	return b < 256 ? 256 : b > 8192 ? 8192 : b;
}

static void build_u(const float *const *v, uint32_t k, size_t c0, size_t len,
		    const float *base, double *U, size_t ld)
{
	for (uint32_t i = 0; i < k; i++) {
		const float *vi = v[i] + c0;
		double *ui = U + (size_t)i * ld;
		for (size_t j = 0; j < len; j++)
			ui[j] = (double)vi[j] - (double)base[j];
	}
}

int clip_gram_base_blas(const float *const *v, uint32_t k, size_t d,
			const struct clip_net *net, float *out, double *G)
{
	size_t ld = block_len(k);
	double *U = malloc((size_t)k * ld * sizeof(double));
	int rc = 0;

	if (!U)
		return -ENOMEM;
	for (size_t c0 = 0; c0 < d && !rc; c0 += ld) {
		size_t len = d - c0 < ld ? d - c0 : ld;
		if (net)
			rc = clip_kernels_scalar.median(v, k, c0, c0 + len, net, out);
		if (rc)
			break;
		build_u(v, k, c0, len, out + c0, U, ld);
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)k,
			    (int)len, 1.0, U, (int)ld, 1.0, G, (int)k);
	}
	free(U);
	return rc;
}

int clip_gram_final_blas(const float *const *v, uint32_t k, size_t d,
			 const double *beta, const double *w, float *out,
			 double *diag, double *bdot, double *R, double *e2)
{
	size_t ld = block_len(k);
	double *U = malloc((size_t)k * ld * sizeof(double));

	if (!U)
		return -ENOMEM;
	double *yb = malloc(2 * ld * sizeof(double));
	if (!yb) {
		free(U);
		return -ENOMEM;
	}
	double *e = yb + ld;
	*R = *e2 = 0;
	for (uint32_t i = 0; i < k; i++)
		diag[i] = bdot[i] = 0;
	for (size_t c0 = 0; c0 < d; c0 += ld) {
		size_t len = d - c0 < ld ? d - c0 : ld;
		build_u(v, k, c0, len, out + c0, U, ld);
		cblas_dgemv(CblasRowMajor, CblasTrans, (int)k, (int)len, 1.0, U,
			    (int)ld, beta, 1, 0.0, yb, 1);
		for (size_t j = 0; j < len; j++) {
			double y = (double)out[c0 + j] + yb[j];
			out[c0 + j] = (float)y;
			e[j] = (double)out[c0 + j] - y;
			*e2 += e[j] * e[j];
		}
		build_u(v, k, c0, len, out + c0, U, ld);
		for (uint32_t i = 0; i < k; i++) {
			diag[i] += cblas_ddot((int)len, U + (size_t)i * ld, 1,
					      U + (size_t)i * ld, 1);
			bdot[i] += cblas_ddot((int)len, U + (size_t)i * ld, 1, e, 1);
		}
		cblas_dgemv(CblasRowMajor, CblasTrans, (int)k, (int)len,
			    1.0 / k, U, (int)ld, w, 1, 0.0, yb, 1);
		*R += cblas_ddot((int)len, yb, 1, yb, 1);
	}
	free(yb);
	free(U);
	return 0;
}
