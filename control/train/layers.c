/*
 * Forward and backward passes of the built-in models. Every product is one
 * gemm call with a fixed shape for a given batch size, and every other
 * reduction (biases, pooling) is a plain loop in a fixed order, so a batch
 * always produces the same bits. The products are single-threaded and sum
 * each element in k order (gemm.c), so no thread count or BLAS setting
 * enters them (tests/unit/train/test_model.c checks it).
 */
#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "gemm.h"
#include "model_internal.h"

/* Largest scratch array, in elements, so every sgemm dimension fits int. */
#define SCRATCH_MAX ((size_t)1 << 28)

/*
 * C[M x N] = op(A) op(B), row-major, op = transpose when t* is set. The
 * default and portable modes run the in-repo product (gemm.c): a fixed
 * k order per element, fused or not, the same bits at every SIMD level
 * and thread count. The opt-in OpenBLAS mode is multi-threaded, but its
 * kernels (and their split of K over threads) vary with the host.
 */
static void gemm(const struct byz_model *m, int ta, int tb, int M, int N,
		 int K, const float *A, int lda, const float *B, int ldb,
		 float *C, int ldc)
{
	if (m->spec.openblas) {
		cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
			    tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A,
			    lda, B, ldb, 0.0f, C, ldc);
		return;
	}
	const struct gemm_args g = {
		.fused = !m->spec.portable, .ta = ta, .tb = tb, .M = M, .N = N,
		.K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .C = C,
		.ldc = ldc, .pack = m->pack, .pack_cap = m->pack_cap};
	gemm_run(m->simd, &g);
}

static uint32_t max_width(const struct byz_model *m)
{
	uint32_t w = 0;
	for (uint32_t l = 0; l <= m->ndense; l++)
		if (m->width[l] > w)
			w = m->width[l];
	return w;
}

static int grow(void **p, size_t elems, size_t size)
{
	void *np = realloc(*p, elems * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

int model_reserve(struct byz_model *m, uint32_t n)
{
	if (n <= m->cap)
		return 0;
	size_t nn = n;
	size_t mw = max_width(m);
	if (nn * mw > SCRATCH_MAX || nn * m->in_dim > SCRATCH_MAX ||
	    (m->conv && (nn * m->hw * m->k9 > SCRATCH_MAX ||
			 nn * m->hw * m->filters > SCRATCH_MAX)))
		return -ERANGE;
	int rc = 0;
	for (uint32_t l = 0; l <= m->ndense && !rc; l++)
		rc = grow((void **)&m->act[l], nn * m->width[l], sizeof(float));
	if (!rc)
		rc = grow((void **)&m->delta, nn * mw, sizeof(float));
	if (!rc)
		rc = grow((void **)&m->delta2, nn * mw, sizeof(float));
	if (!rc)
		rc = grow((void **)&m->bx, nn * m->in_dim, sizeof(float));
	if (!rc)
		rc = grow((void **)&m->by, nn, sizeof(uint32_t));
	if (!rc)
		rc = grow((void **)&m->bidx, nn, sizeof(uint32_t));
	/* Pack scratch for the longest inner dimension of any product; past
	 * SCRATCH_MAX the products run the scalar variant (same bits). */
	size_t kmax = mw > nn ? mw : nn;
	if (m->conv && nn * m->hw > kmax)
		kmax = nn * m->hw;
	if (m->conv && m->k9 > kmax)
		kmax = m->k9;
	size_t pk = gemm_pack_need(1, 0, (int)(kmax < INT_MAX ? kmax : INT_MAX));
	if (pk > SCRATCH_MAX)
		pk = 0;
	if (!rc && pk > m->pack_cap) {
		rc = grow((void **)&m->pack, pk, sizeof(float));
		if (!rc)
			m->pack_cap = pk;
	}
	if (!rc && m->conv) {
		size_t cols = nn * m->hw;
		rc = grow((void **)&m->col, cols * m->k9, sizeof(float));
		if (!rc)
			rc = grow((void **)&m->cz, cols * m->filters, sizeof(float));
		if (!rc)
			rc = grow((void **)&m->dcz, cols * m->filters, sizeof(float));
		if (!rc)
			rc = grow((void **)&m->amax, nn * m->width[0],
				  sizeof(uint32_t));
	}
	if (!rc)
		m->cap = n;
	return rc;
}

/* im2col for a 3x3, stride 1, zero-padded ("same") convolution:
 * col[(c*9 + ky*3 + kx)][b*hw + y*W + x] = x_b[c][y+ky-1][x+kx-1]. */
static void im2col(const struct byz_model *m, const float *x, uint32_t n)
{
	const uint32_t C = m->spec.channels, H = m->spec.height,
		       W = m->spec.width;
	const size_t ncol = (size_t)n * m->hw;
	for (uint32_t c = 0; c < C; c++)
		for (uint32_t ky = 0; ky < 3; ky++)
			for (uint32_t kx = 0; kx < 3; kx++) {
				float *row = m->col +
					     ((size_t)c * 9 + ky * 3 + kx) * ncol;
				for (uint32_t b = 0; b < n; b++) {
					const float *img = x + (size_t)b * m->in_dim +
							   (size_t)c * H * W;
					float *dst = row + (size_t)b * m->hw;
					for (uint32_t y = 0; y < H; y++) {
						long sy = (long)y + ky - 1;
						for (uint32_t xx = 0; xx < W; xx++) {
							long sx = (long)xx + kx - 1;
							dst[y * W + xx] =
								(sy < 0 || sy >= H || sx < 0 || sx >= W)
									? 0.0f
									: img[sy * W + sx];
						}
					}
				}
			}
}

/* conv -> bias -> ReLU -> 2x2 max pool into act[0] (n x F*h2*w2). */
static void conv_forward(struct byz_model *m, const float *params,
			 const float *x, uint32_t n)
{
	const int ncol = (int)((size_t)n * m->hw);
	const uint32_t F = m->filters, W = m->spec.width;
	im2col(m, x, n);
	gemm(m, 0, 0, (int)F, ncol, (int)m->k9, params + m->k_off, (int)m->k9,
	     m->col, ncol, m->cz, ncol);
	for (uint32_t f = 0; f < F; f++) {
		float bias = params[m->bk_off + f];
		float *z = m->cz + (size_t)f * ncol;
		for (int j = 0; j < ncol; j++) {
			float v = z[j] + bias;
			z[j] = v < 0.0f ? 0.0f : v; /* NaN passes: -EDOM later */
		}
	}
	/* Pool; the first maximum in scan order wins ties. */
	const uint32_t pdim = m->width[0];
	for (uint32_t b = 0; b < n; b++)
		for (uint32_t f = 0; f < F; f++) {
			const float *z = m->cz + (size_t)f * ncol + (size_t)b * m->hw;
			for (uint32_t i = 0; i < m->h2; i++)
				for (uint32_t j = 0; j < m->w2; j++) {
					uint32_t p0 = 2 * i * W + 2 * j;
					uint32_t cand[4] = {p0, p0 + 1, p0 + W, p0 + W + 1};
					uint32_t best = cand[0];
					for (int q = 1; q < 4; q++)
						if (z[cand[q]] > z[best])
							best = cand[q];
					size_t o = (size_t)b * pdim +
						   ((size_t)f * m->h2 + i) * m->w2 + j;
					m->act[0][o] = z[best];
					m->amax[o] = best;
				}
		}
}

int model_forward(struct byz_model *m, const float *params, const float *x,
		  uint32_t n)
{
	int rc = model_reserve(m, n);
	if (rc)
		return rc;
	const float *in = x;
	if (m->conv) {
		conv_forward(m, params, x, n);
		in = m->act[0];
	}
	for (uint32_t l = 0; l < m->ndense; l++) {
		const uint32_t wi = m->width[l], wo = m->width[l + 1];
		float *out = m->act[l + 1];
		gemm(m, 0, 1, (int)n, (int)wo, (int)wi, in, (int)wi,
		     params + m->w_off[l], (int)wi, out, (int)wo);
		const float *b = params + m->b_off[l];
		const int relu = l + 1 < m->ndense;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; j < wo; j++) {
				float v = out[(size_t)i * wo + j] + b[j];
				out[(size_t)i * wo + j] = relu && v < 0.0f ? 0.0f : v;
			}
		in = out;
	}
	return 0;
}

/* Column sums of an n x w row-major matrix, in row order, in double. */
static void col_sums(const float *a, uint32_t n, uint32_t w, float *out)
{
	for (uint32_t j = 0; j < w; j++) {
		double s = 0;
		for (uint32_t i = 0; i < n; i++)
			s += a[(size_t)i * w + j];
		out[j] = (float)s;
	}
}

static void conv_backward(struct byz_model *m, const float *dfeat,
			  uint32_t n, float *grad)
{
	const size_t ncol = (size_t)n * m->hw;
	const uint32_t F = m->filters, pdim = m->width[0];
	memset(m->dcz, 0, ncol * F * sizeof(float));
	/* Route each pooled gradient to its argmax; ReLU passes it only
	 * where the activation was positive. */
	for (uint32_t b = 0; b < n; b++)
		for (uint32_t f = 0; f < F; f++)
			for (uint32_t q = 0; q < m->h2 * m->w2; q++) {
				size_t o = (size_t)b * pdim + (size_t)f * m->h2 * m->w2 + q;
				size_t at = (size_t)f * ncol + (size_t)b * m->hw + m->amax[o];
				if (m->cz[at] > 0.0f)
					m->dcz[at] = dfeat[o];
			}
	gemm(m, 0, 1, (int)F, (int)m->k9, (int)ncol, m->dcz, (int)ncol, m->col,
	     (int)ncol, grad + m->k_off, (int)m->k9);
	for (uint32_t f = 0; f < F; f++) {
		double s = 0;
		const float *d = m->dcz + (size_t)f * ncol;
		for (size_t j = 0; j < ncol; j++)
			s += d[j];
		grad[m->bk_off + f] = (float)s;
	}
}

void model_backward(struct byz_model *m, const float *params, const float *x,
		    uint32_t n, float *grad)
{
	float *delta = m->delta, *other = m->delta2;
	for (uint32_t l = m->ndense; l-- > 0;) {
		const uint32_t wi = m->width[l], wo = m->width[l + 1];
		const float *in = l > 0 ? m->act[l] : (m->conv ? m->act[0] : x);
		/* dW = delta^T in: (wo x n)(n x wi). */
		gemm(m, 1, 0, (int)wo, (int)wi, (int)n, delta, (int)wo, in,
		     (int)wi, grad + m->w_off[l], (int)wi);
		col_sums(delta, n, wo, grad + m->b_off[l]);
		if (l == 0 && !m->conv)
			break;
		/* d(in) = delta W: (n x wo)(wo x wi). */
		gemm(m, 0, 0, (int)n, (int)wi, (int)wo, delta, (int)wo,
		     params + m->w_off[l], (int)wi, other, (int)wi);
		if (l > 0) {
			const float *a = m->act[l];
			for (size_t i = 0; i < (size_t)n * wi; i++)
				if (!(a[i] > 0.0f))
					other[i] = 0.0f;
		}
		float *t = delta;
		delta = other;
		other = t;
	}
	if (m->conv)
		conv_backward(m, delta, n, grad);
}
