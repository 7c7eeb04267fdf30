/*
 * ByzShield assignments: MOLS and Ramanujan bigraph constructions.
 *
 * DESIGN
 * The shield subsystem has three parts, one file each:
 *   assign.c    builds the worker -> file and file -> worker lists, the only
 *               representation every other part reads (never a dense H);
 *   spectrum.c  the second eigenvalue of H H^T/(l r) from the exact integer
 *               Gram matrix of overlaps, and the spectral bound on c_max;
 *   search.c    the exact worst-case adversary (branch and bound over worker
 *               subsets, files as bitsets), with symmetry from autom.c.
 * Both constructions are line sets of the affine plane Z_p^2: a worker is the
 * line {(x, y) : k x + y = c} for k in a fixed direction set and a file is a
 * point (Ramanujan m >= s repeats every point m/s times). autom.c uses that
 * to enumerate automorphisms, and checks each against the lists built here,
 * so a wrong derivation is caught instead of silently pruning the search.
 * Everything is immutable after construction; no I/O.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/shield.h"
#include "shield_internal.h"

static int is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

/* snprintf into an optional buffer; a format helper so every check reads as one line. */
__attribute__((format(printf, 3, 4)))
static int why_set(char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return 0;
}

int byz_shield_check(enum byz_shield_kind kind, uint32_t p1, uint32_t p2,
		     char *why, size_t why_len)
{
	why_set(why, why_len, "%s", "");
	if (kind == BYZ_SHIELD_MOLS) {
		uint32_t l = p1, r = p2;
		if (l > BYZ_SHIELD_MAX_PRIME) {
			why_set(why, why_len, "MOLS: l = %u exceeds the limit %u",
				l, BYZ_SHIELD_MAX_PRIME);
			return -ERANGE;
		}
		if (!is_prime(l)) {
			why_set(why, why_len,
				"MOLS: l = %u is not prime (the squares (k*a+b) mod l are orthogonal only for prime l)",
				l);
			return -EINVAL;
		}
		if (r < 2 || r > l - 1) {
			why_set(why, why_len,
				"MOLS: r = %u must be in 2..l-1 = 2..%u (there are l-1 = %u mutually orthogonal squares; r = 1 is no redundancy)",
				r, l - 1, l - 1);
			return -EINVAL;
		}
		return 0;
	}
	if (kind == BYZ_SHIELD_RAMANUJAN) {
		uint32_t s = p1, m = p2;
		if (s > BYZ_SHIELD_MAX_PRIME) {
			why_set(why, why_len, "Ramanujan: s = %u exceeds the limit %u",
				s, BYZ_SHIELD_MAX_PRIME);
			return -ERANGE;
		}
		if (!is_prime(s)) {
			why_set(why, why_len, "Ramanujan: s = %u is not prime", s);
			return -EINVAL;
		}
		if (m < 2) {
			why_set(why, why_len,
				"Ramanujan: m = %u must be >= 2 (m = 1 gives r = 1, no redundancy)",
				m);
			return -EINVAL;
		}
		if (m >= s && m % s != 0) {
			why_set(why, why_len,
				"Ramanujan: m = %u must be < s = %u or a multiple of s", m, s);
			return -EINVAL;
		}
		if ((uint64_t)m * s > BYZ_SHIELD_MAX_NODES) {
			why_set(why, why_len,
				"Ramanujan: m*s = %llu exceeds the limit %u on workers/files",
				(unsigned long long)m * s, BYZ_SHIELD_MAX_NODES);
			return -ERANGE;
		}
		return 0;
	}
	why_set(why, why_len, "unknown construction kind %d", (int)kind);
	return -EINVAL;
}

/* One allocation holds the struct and both lists, so free() is one call. */
static struct byz_shield_assign *alloc_assign(uint32_t K, uint32_t f,
					      uint32_t l, uint32_t r,
					      uint32_t **wf, uint32_t **fw)
{
	size_t nw = (size_t)K * l, nf = (size_t)f * r;
	size_t sz = sizeof(struct byz_shield_assign) + (nw + nf) * sizeof(uint32_t);
	struct byz_shield_assign *a = calloc(1, sz);
	if (!a)
		return NULL;
	*wf = (uint32_t *)(a + 1);
	*fw = *wf + nw;
	a->n_workers = K;
	a->n_files = f;
	a->l = l;
	a->r = r;
	a->majority = r / 2 + 1;
	a->worker_files = *wf;
	a->file_workers = *fw;
	return a;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/*
 * Derive file -> workers from worker -> files, checking biregularity. Workers
 * are visited in increasing id, so each file's list comes out ascending.
 */
static int fill_file_lists(uint32_t K, uint32_t f, uint32_t l, uint32_t r,
			   uint32_t *wf, uint32_t *fw)
{
	uint32_t *fill = calloc(f, sizeof(*fill));
	if (!fill)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t w = 0; w < K && !rc; w++) {
		uint32_t *row = wf + (size_t)w * l;
		qsort(row, l, sizeof(*row), cmp_u32);
		for (uint32_t i = 0; i < l; i++) {
			uint32_t j = row[i];
			if (j >= f || (i && row[i - 1] == j) || fill[j] >= r) {
				rc = -EINVAL;
				break;
			}
			fw[(size_t)j * r + fill[j]++] = w;
		}
	}
	for (uint32_t j = 0; j < f && !rc; j++)
		if (fill[j] != r)
			rc = -EINVAL;
	free(fill);
	return rc;
}

struct byz_shield_assign *byz_shield_build(enum byz_shield_kind kind,
					   uint32_t p1, uint32_t p2, int *err)
{
	int rc = byz_shield_check(kind, p1, p2, NULL, 0);
	struct byz_shield_assign *a = NULL;
	uint32_t *wf = NULL, *fw = NULL;
	if (rc)
		goto out;
	uint32_t p = p1;
	if (kind == BYZ_SHIELD_MOLS) {
		uint32_t l = p1, r = p2;
		a = alloc_assign(r * l, l * l, l, r, &wf, &fw);
		if (!a)
			goto nomem;
		/* Worker (k, s) = cells with k*a + b = s, i.e. b = s - k*a. */
		for (uint32_t k = 1; k <= r; k++)
			for (uint32_t s = 0; s < l; s++) {
				uint32_t *row = wf + (size_t)((k - 1) * l + s) * l;
				for (uint32_t x = 0; x < l; x++) {
					uint32_t b = (s + p - (k * x) % p) % p;
					row[x] = x * l + b;
				}
			}
	} else {
		uint32_t s = p1, m = p2;
		if (m < s) {
			/* Worker = column (c, j) of B: rows (a, i) with i + a*c = j (mod s). */
			a = alloc_assign(m * s, s * s, s, m, &wf, &fw);
			if (!a)
				goto nomem;
			for (uint32_t c = 0; c < m; c++)
				for (uint32_t j = 0; j < s; j++) {
					uint32_t *row = wf + (size_t)(c * s + j) * s;
					for (uint32_t x = 0; x < s; x++) {
						uint32_t i = (j + p - (x * c) % p) % p;
						row[x] = x * s + i;
					}
				}
		} else {
			/* Worker = row (a, i) of B: columns (c, j) with j = i + a*c (mod s). */
			a = alloc_assign(s * s, m * s, m, s, &wf, &fw);
			if (!a)
				goto nomem;
			for (uint32_t x = 0; x < s; x++)
				for (uint32_t i = 0; i < s; i++) {
					uint32_t *row = wf + (size_t)(x * s + i) * m;
					for (uint32_t c = 0; c < m; c++)
						row[c] = c * s + (i + (x * (c % p)) % p) % p;
				}
		}
	}
	a->kind = kind;
	a->p1 = p1;
	a->p2 = p2;
	rc = fill_file_lists(a->n_workers, a->n_files, a->l, a->r, wf, fw);
	if (rc) {
		/* The formulas above are biregular by construction; reaching here is a bug. */
		free(a);
		a = NULL;
		rc = -EPROTO;
	}
	goto out;
nomem:
	rc = -ENOMEM;
out:
	if (err)
		*err = rc;
	return a;
}

struct byz_shield_assign *byz_shield_from_lists(uint32_t n_workers,
						uint32_t n_files, uint32_t l,
						const uint32_t *worker_files,
						int *err)
{
	int rc = 0;
	struct byz_shield_assign *a = NULL;
	uint32_t *wf, *fw;
	if (!worker_files || n_workers == 0 || n_files == 0 || l == 0 ||
	    l > n_files) {
		rc = -EINVAL;
		goto out;
	}
	if (n_workers > BYZ_SHIELD_MAX_NODES || n_files > BYZ_SHIELD_MAX_NODES) {
		rc = -ERANGE;
		goto out;
	}
	uint64_t edges = (uint64_t)n_workers * l;
	if (edges % n_files) {
		rc = -EINVAL;
		goto out;
	}
	uint32_t r = (uint32_t)(edges / n_files);
	a = alloc_assign(n_workers, n_files, l, r, &wf, &fw);
	if (!a) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(wf, worker_files, edges * sizeof(*wf));
	a->kind = BYZ_SHIELD_CUSTOM;
	rc = fill_file_lists(n_workers, n_files, l, r, wf, fw);
	if (rc) {
		free(a);
		a = NULL;
	}
out:
	if (err)
		*err = rc;
	return a;
}

void byz_shield_free(struct byz_shield_assign *a)
{
	free(a);
}

int byz_shield_biadjacency(const struct byz_shield_assign *a, uint8_t *h,
			   size_t len)
{
	if (!a || !h)
		return -EINVAL;
	size_t need = (size_t)a->n_workers * a->n_files;
	if (len < need)
		return -ERANGE;
	memset(h, 0, need);
	for (uint32_t w = 0; w < a->n_workers; w++)
		for (uint32_t i = 0; i < a->l; i++)
			h[(size_t)w * a->n_files + a->worker_files[(size_t)w * a->l + i]] = 1;
	return 0;
}

int byz_shield_distorted(const struct byz_shield_assign *a,
			 const uint32_t *set, uint32_t n)
{
	if (!a || (!set && n))
		return -EINVAL;
	uint32_t *cnt = calloc(a->n_files, sizeof(*cnt));
	uint8_t *seen = calloc(a->n_workers, 1);
	int rc = 0;
	if (!cnt || !seen) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = set[i];
		if (w >= a->n_workers || seen[w]) {
			rc = -EINVAL;
			goto out;
		}
		seen[w] = 1;
		for (uint32_t k = 0; k < a->l; k++)
			if (++cnt[a->worker_files[(size_t)w * a->l + k]] == a->majority)
				rc++;
	}
out:
	free(cnt);
	free(seen);
	return rc;
}

double byz_shield_detox_fraction(const struct byz_shield_assign *a, uint32_t q)
{
	if (!a || a->n_workers == 0)
		return 0;
	/* DETOX: K/r groups of r; a group is lost once it holds r' Byzantines. */
	uint32_t groups = a->n_workers / a->r;
	uint32_t lost = q / a->majority;
	if (lost > groups)
		lost = groups;
	return (double)lost * a->r / a->n_workers;
}
