/*
 * Spectrum of H H^T / (l r) and the spectral bound on c_max.
 *
 * The Gram matrix of the smaller side is exact (entries are overlap counts);
 * Householder reduction to tridiagonal form is backward stable and Sturm
 * bisection then finds the second-largest eigenvalue to ~1e-13 relative to
 * l r, with no iteration count to tune (power iteration converges slowly when
 * the second and third eigenvalues are close, which these graphs allow).
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/shield.h"

/* Gram matrix of the smaller side: n x n overlap counts, row-major. */
static double *gram(const struct byz_shield_assign *a, uint32_t *n_out)
{
	int workers = a->n_workers <= a->n_files;
	uint32_t n = workers ? a->n_workers : a->n_files;
	uint32_t deg = workers ? a->l : a->r;
	const uint32_t *lists = workers ? a->worker_files : a->file_workers;
	const uint32_t *back = workers ? a->file_workers : a->worker_files;
	uint32_t back_deg = workers ? a->r : a->l;
	double *g = calloc((size_t)n * n, sizeof(double));
	if (!g)
		return NULL;
	/* G[i][j] = number of common neighbours: walk i's neighbours' neighbours. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t x = 0; x < deg; x++) {
			uint32_t nb = lists[(size_t)i * deg + x];
			for (uint32_t y = 0; y < back_deg; y++)
				g[(size_t)i * n + back[(size_t)nb * back_deg + y]] += 1.0;
		}
	*n_out = n;
	return g;
}

/*
 * Reduce symmetric A (n x n, row-major, full) to tridiagonal (d, e) with
 * Householder reflections; A is overwritten. Only eigenvalues are needed,
 * so the reflections are not accumulated.
 */
static int tridiagonalize(double *A, uint32_t n, double *d, double *e)
{
	double *v = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
	if (!v || !w) {
		free(v);
		free(w);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k + 2 < n; k++) {
		uint32_t m = n - k - 1;           /* size of the trailing block */
		double *col = v;                  /* A[k+1.., k] */
		double norm2 = 0;
		for (uint32_t i = 0; i < m; i++) {
			col[i] = A[(size_t)(k + 1 + i) * n + k];
			norm2 += col[i] * col[i];
		}
		d[k] = A[(size_t)k * n + k];
		double norm = sqrt(norm2);
		if (norm == 0) {
			e[k] = 0;
			continue;
		}
		double alpha = col[0] > 0 ? -norm : norm;
		e[k] = alpha;
		col[0] -= alpha;
		double vv = norm2 - 2 * alpha * (col[0] + alpha) + alpha * alpha;
		if (vv <= 0)
			continue;
		double tau = 2.0 / vv;
		double *B = A + (size_t)(k + 1) * n + (k + 1);
		/* p = tau B v; w = p - (tau/2)(p.v) v; B -= v w^T + w v^T. */
		cblas_dsymv(CblasRowMajor, CblasLower, (int)m, tau, B, (int)n, v, 1,
			    0.0, w, 1);
		double pv = cblas_ddot((int)m, w, 1, v, 1);
		cblas_daxpy((int)m, -0.5 * tau * pv, v, 1, w, 1);
		cblas_dsyr2(CblasRowMajor, CblasLower, (int)m, -1.0, v, 1, w, 1, B,
			    (int)n);
	}
	if (n >= 2) {
		d[n - 2] = A[(size_t)(n - 2) * n + (n - 2)];
		e[n - 2] = A[(size_t)(n - 1) * n + (n - 2)];
	}
	d[n - 1] = A[(size_t)(n - 1) * n + (n - 1)];
	free(v);
	free(w);
	return 0;
}

/* Number of eigenvalues of tridiagonal (d, e) strictly below x (Sturm count). */
static uint32_t sturm_below(const double *d, const double *e, uint32_t n,
			    double x, double tiny)
{
	uint32_t cnt = 0;
	double q = d[0] - x;
	for (uint32_t i = 0;; i++) {
		if (fabs(q) < tiny)
			q = -tiny;
		if (q < 0)
			cnt++;
		if (i + 1 == n)
			break;
		q = d[i + 1] - x - e[i] * e[i] / q;
	}
	return cnt;
}

/* The idx-th smallest eigenvalue (0-based) by bisection on the Sturm count. */
static double kth_eigen(const double *d, const double *e, uint32_t n, uint32_t idx)
{
	double lo = d[0], hi = d[0];
	for (uint32_t i = 0; i < n; i++) {
		double rad = (i ? fabs(e[i - 1]) : 0) + (i + 1 < n ? fabs(e[i]) : 0);
		if (d[i] - rad < lo)
			lo = d[i] - rad;
		if (d[i] + rad > hi)
			hi = d[i] + rad;
	}
	double scale = fmax(fabs(lo), fabs(hi)) + 1.0;
	double tiny = scale * 1e-300 + 1e-300;
	lo -= 1e-9 * scale;
	hi += 1e-9 * scale;
	/* Invariant: count(lo) <= idx < count(hi). */
	for (int it = 0; it < 200 && hi - lo > 4e-16 * scale; it++) {
		double mid = 0.5 * (lo + hi);
		if (sturm_below(d, e, n, mid, tiny) <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

int byz_shield_spectrum(const struct byz_shield_assign *a,
			struct byz_shield_spectrum *out)
{
	if (!a || !out || a->n_workers < 2 || a->n_files < 2)
		return -EINVAL;
	uint32_t n = a->n_workers < a->n_files ? a->n_workers : a->n_files;
	if (n > BYZ_SHIELD_EIG_MAX_N)
		return -ERANGE;
	double *g = gram(a, &n);
	double *d = malloc(sizeof(double) * n), *e = malloc(sizeof(double) * n);
	int rc = -ENOMEM;
	if (!g || !d || !e)
		goto out;
	rc = tridiagonalize(g, n, d, e);
	if (rc)
		goto out;
	double lr = (double)a->l * a->r;
	out->mu0 = kth_eigen(d, e, n, n - 1) / lr;
	out->mu1 = kth_eigen(d, e, n, n - 2) / lr;
	if (out->mu1 < 0 && out->mu1 > -1e-12)
		out->mu1 = 0; /* the Gram matrix is PSD; only rounding goes below 0 */
	double root = sqrt((double)a->l - 1) + sqrt((double)a->r - 1);
	out->ramanujan_limit = root * root / lr;
	out->ramanujan = out->mu1 <= out->ramanujan_limit + 1e-9;
out:
	free(g);
	free(d);
	free(e);
	return rc;
}

int byz_shield_spectral_bound(const struct byz_shield_assign *a, double mu1,
			      uint32_t q, struct byz_shield_bound *out)
{
	if (!a || !out || q > a->n_workers || a->majority < 2 ||
	    !(mu1 >= 0 && mu1 <= 1))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (q == 0)
		return 0;
	double K = a->n_workers, l = a->l, r = a->r, Q = q;
	/* Tanner: |N(S)| >= l^2 |S| / (lambda2 + (l r - lambda2)|S|/K), lambda2 = mu1 l r. */
	out->beta = l * Q / (r * (mu1 + (1.0 - mu1) * Q / K));
	out->value = (Q * l - out->beta) / (double)(a->majority - 1);
	double fl = floor(out->value + 1e-9);
	if (fl < 0)
		fl = 0;
	if (fl > a->n_files)
		fl = a->n_files;
	out->bound = (uint32_t)fl;
	return 0;
}
