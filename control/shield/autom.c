/*
 * Affine automorphisms of the MOLS and Ramanujan assignments.
 *
 * All three layouts are "lines of Z_p^2 with directions in a set D": worker
 * (k, c) is the line {(x, y) : k x + y = c} with k in D, files are points,
 * Ramanujan m >= s keeps m/s copies of each point. A map g(x) = M x + t with
 * M invertible sends lines to lines; it is an automorphism when it sends
 * every direction of D into D. Every candidate worker permutation is checked
 * against the worker -> file lists before it is used, so an error in this
 * derivation shows up as -EPROTO instead of a wrong c_max.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shield_internal.h"

/* Beyond this p the search cannot finish anyway; skip the O(p^4) enumeration. */
#define SYM_MAX_P 23u

struct geom {
	uint32_t p;
	uint32_t copies;
	uint8_t in_dir[SYM_MAX_P];
};

static int geom_of(const struct byz_shield_assign *a, struct geom *g)
{
	memset(g, 0, sizeof(*g));
	/* p1 is a prime >= 2 for every built construction; 0 would be custom */
	if (a->kind == BYZ_SHIELD_CUSTOM || a->p1 == 0 || a->p1 > SYM_MAX_P)
		return -1;
	g->p = a->p1;
	g->copies = 1;
	if (a->kind == BYZ_SHIELD_MOLS) {
		for (uint32_t k = 1; k <= a->p2; k++)
			g->in_dir[k] = 1;
	} else if (a->p2 < a->p1) {
		for (uint32_t k = 0; k < a->p2; k++)
			g->in_dir[k] = 1;
	} else {
		for (uint32_t k = 0; k < g->p; k++)
			g->in_dir[k] = 1;
		g->copies = a->p2 / a->p1;
	}
	return 0;
}

/* Worker id of the line k x + y = c (inverse of the numbering in assign.c). */
static uint32_t worker_id(const struct byz_shield_assign *a, uint32_t k, uint32_t c)
{
	uint32_t p = a->p1;
	if (a->kind == BYZ_SHIELD_MOLS)
		return (k - 1) * p + c;
	if (a->p2 < a->p1)
		return k * p + c;
	/* Row (a, i) holds j = i + a*x, i.e. line (-a) x + y = i. */
	return ((p - k) % p) * p + c;
}

/* Line (k, c) of worker w. */
static void worker_line(const struct byz_shield_assign *a, uint32_t w,
			uint32_t *k, uint32_t *c)
{
	uint32_t p = a->p1;
	*c = w % p;
	if (a->kind == BYZ_SHIELD_MOLS)
		*k = w / p + 1;
	else if (a->p2 < a->p1)
		*k = w / p;
	else
		*k = (p - w / p) % p;
}

static uint32_t file_id(const struct byz_shield_assign *a, uint32_t x, uint32_t y,
			uint32_t copy)
{
	uint32_t p = a->p1;
	if (a->kind == BYZ_SHIELD_RAMANUJAN && a->p2 >= a->p1)
		return (copy * p + x) * p + y;
	return x * p + y;
}

static void file_point(const struct byz_shield_assign *a, uint32_t j,
		       uint32_t *x, uint32_t *y, uint32_t *copy)
{
	uint32_t p = a->p1;
	*y = j % p;
	*x = (j / p) % p;
	*copy = j / (p * p);
}

static uint32_t inv_mod(uint32_t v, uint32_t p)
{
	/* p is prime and small: Fermat, v^(p-2). */
	uint32_t r = 1, b = v % p, e = p - 2;
	while (e) {
		if (e & 1)
			r = r * b % p;
		b = b * b % p;
		e >>= 1;
	}
	return r;
}

struct affine {
	uint32_t m00, m01, m10, m11, t0, t1;
};

static void apply(const struct affine *g, uint32_t p, uint32_t x, uint32_t y,
		  uint32_t *ox, uint32_t *oy)
{
	*ox = (g->m00 * x + g->m01 * y + g->t0) % p;
	*oy = (g->m10 * x + g->m11 * y + g->t1) % p;
}

/*
 * Image of worker w under g, or UINT32_MAX if the line leaves the family.
 * The image of line (k, c) has direction M (1, -k) = (u, v); it is the line
 * k' x + y = c' with k' = -v/u, through the image of the point (0, c).
 */
static uint32_t worker_image(const struct byz_shield_assign *a,
			     const struct geom *gm, const struct affine *g,
			     uint32_t w)
{
	uint32_t p = gm->p, k, c;
	worker_line(a, w, &k, &c);
	uint32_t nk = (p - k) % p;
	uint32_t u = (g->m00 + g->m01 * nk) % p;
	uint32_t v = (g->m10 + g->m11 * nk) % p;
	if (u == 0)
		return UINT32_MAX;
	uint32_t k2 = (p - v * inv_mod(u, p) % p) % p;
	if (!gm->in_dir[k2])
		return UINT32_MAX;
	uint32_t x, y;
	apply(g, p, 0, c, &x, &y);
	return worker_id(a, k2, (k2 * x + y) % p);
}

/* Worker permutation of g; -1 if g does not preserve the direction set. */
static int worker_perm(const struct byz_shield_assign *a, const struct geom *gm,
		       const struct affine *g, uint32_t *perm)
{
	for (uint32_t w = 0; w < a->n_workers; w++)
		if ((perm[w] = worker_image(a, gm, g, w)) == UINT32_MAX)
			return -1;
	return 0;
}

/* Does g map worker w's files onto the files of perm[w], for every w? */
static int check_perm(const struct byz_shield_assign *a, const struct geom *gm,
		      const struct affine *g, const uint32_t *perm, uint8_t *mark)
{
	for (uint32_t w = 0; w < a->n_workers; w++) {
		const uint32_t *dst = a->worker_files + (size_t)perm[w] * a->l;
		for (uint32_t i = 0; i < a->l; i++)
			mark[dst[i]] = 1;
		int ok = 1;
		for (uint32_t i = 0; i < a->l && ok; i++) {
			uint32_t x, y, cp, x2, y2;
			file_point(a, a->worker_files[(size_t)w * a->l + i], &x, &y, &cp);
			apply(g, gm->p, x, y, &x2, &y2);
			uint32_t j = file_id(a, x2, y2, cp);
			ok = j < a->n_files && mark[j];
		}
		for (uint32_t i = 0; i < a->l; i++)
			mark[dst[i]] = 0;
		if (!ok)
			return -1;
	}
	return 0;
}

static uint32_t uf_find(uint32_t *par, uint32_t x)
{
	while (par[x] != x) {
		par[x] = par[par[x]];
		x = par[x];
	}
	return x;
}

static void uf_union(uint32_t *par, uint32_t x, uint32_t y)
{
	x = uf_find(par, x);
	y = uf_find(par, y);
	/* Keep the smaller id as root so the root is the orbit's smallest worker. */
	if (x < y)
		par[y] = x;
	else if (y < x)
		par[x] = y;
}

/* Number components by smallest member; returns the count. */
static uint32_t uf_label(uint32_t *par, uint32_t n, uint32_t *label)
{
	uint32_t cnt = 0;
	for (uint32_t x = 0; x < n; x++) {
		uint32_t root = uf_find(par, x);
		label[x] = root == x ? cnt++ : label[root];
	}
	return cnt;
}

/* What the on-demand stabiliser computations need after shield_sym_compute(). */
struct sym_priv {
	const struct byz_shield_assign *a;
	struct geom gm;
	struct affine *lin;  /* linear parts preserving the direction set */
	uint32_t n_lin;
	uint32_t *par, *perm;
	uint8_t *mark;
};

void shield_sym_free(struct shield_sym *sym)
{
	struct sym_priv *pv = sym->priv;
	if (pv) {
		free(pv->lin);
		free(pv->par);
		free(pv->perm);
		free(pv->mark);
		free(pv);
	}
	free(sym->orbit_of);
	free(sym->rep);
	free(sym->stab_orbit_of);
	memset(sym, 0, sizeof(*sym));
}

/*
 * Orbits of the pointwise stabiliser of fixed[0..n) (every element M x + t
 * that fixes each of them, each checked against the lists before use),
 * labelled by smallest member. With no automorphisms, every worker is alone.
 */
int shield_sym_fix_orbits(const struct shield_sym *sym, const uint32_t *fixed,
			  uint32_t n, uint32_t *label)
{
	struct sym_priv *pv = sym->priv;
	uint32_t K = sym->n_workers;
	if (!pv) {
		for (uint32_t w = 0; w < K; w++)
			label[w] = w;
		return 0;
	}
	const struct byz_shield_assign *a = pv->a;
	uint32_t p = pv->gm.p;
	for (uint32_t w = 0; w < K; w++)
		pv->par[w] = w;
	if (n == 0) {
		/* The whole group: its generators (linear parts, translations) suffice. */
		for (uint32_t i = 0; i < pv->n_lin + p * p; i++) {
			struct affine g = {1, 0, 0, 1, 0, 0};
			if (i < pv->n_lin)
				g = pv->lin[i];
			else {
				g.t0 = (i - pv->n_lin) % p;
				g.t1 = (i - pv->n_lin) / p;
			}
			if (worker_perm(a, &pv->gm, &g, pv->perm) ||
			    check_perm(a, &pv->gm, &g, pv->perm, pv->mark))
				return -EPROTO;
			for (uint32_t w = 0; w < K; w++)
				uf_union(pv->par, w, pv->perm[w]);
		}
		uf_label(pv->par, K, label);
		return 0;
	}
	for (uint32_t i = 0; i < pv->n_lin; i++)
		for (uint32_t t = 0; t < p * p; t++) {
			struct affine g = pv->lin[i];
			g.t0 = t % p;
			g.t1 = t / p;
			uint32_t k = 0;
			while (k < n && worker_image(a, &pv->gm, &g, fixed[k]) == fixed[k])
				k++;
			if (k < n)
				continue;
			if (worker_perm(a, &pv->gm, &g, pv->perm) ||
			    check_perm(a, &pv->gm, &g, pv->perm, pv->mark))
				return -EPROTO;
			for (uint32_t w = 0; w < K; w++)
				uf_union(pv->par, w, pv->perm[w]);
		}
	uf_label(pv->par, K, label);
	return 0;
}

int shield_sym_compute(const struct byz_shield_assign *a, int use_symmetry,
		       struct shield_sym *sym)
{
	uint32_t K = a->n_workers;
	memset(sym, 0, sizeof(*sym));
	struct geom gm;
	int have = use_symmetry && geom_of(a, &gm) == 0;
	uint32_t p = have ? gm.p : 0;
	struct sym_priv *pv = NULL;
	int rc = -ENOMEM;
	sym->n_workers = K;
	sym->order = 1;
	sym->orbit_of = malloc(sizeof(uint32_t) * K);
	if (!sym->orbit_of)
		goto fail;

	if (have) {
		pv = calloc(1, sizeof(*pv));
		if (!pv)
			goto fail;
		sym->priv = pv;
		pv->a = a;
		pv->gm = gm;
		pv->par = malloc(sizeof(uint32_t) * K);
		pv->perm = malloc(sizeof(uint32_t) * K);
		pv->mark = calloc(a->n_files, 1);
		pv->lin = malloc(sizeof(*pv->lin) * (size_t)p * p * p * p);
		if (!pv->par || !pv->perm || !pv->mark || !pv->lin)
			goto fail;
		/* Linear parts preserving D (checked with t = 0), then all p^2 translations. */
		for (uint32_t m = 0; m < p * p * p * p; m++) {
			struct affine g = {m % p, (m / p) % p, (m / (p * p)) % p,
					   m / (p * p * p), 0, 0};
			if ((g.m00 * g.m11 + p * p - g.m01 * g.m10 % p) % p == 0)
				continue;
			if (worker_perm(a, &gm, &g, pv->perm))
				continue;
			rc = -EPROTO;
			if (check_perm(a, &gm, &g, pv->perm, pv->mark))
				goto fail;
			pv->lin[pv->n_lin++] = g;
		}
		for (uint32_t t = 0; t < p * p; t++) {
			struct affine g = {1, 0, 0, 1, t % p, t / p};
			rc = -EPROTO;
			if (worker_perm(a, &gm, &g, pv->perm) ||
			    check_perm(a, &gm, &g, pv->perm, pv->mark))
				goto fail;
		}
		sym->order = (uint64_t)pv->n_lin * p * p;
	}

	/* Group orbits = orbits of the stabiliser of nothing. */
	rc = shield_sym_fix_orbits(sym, NULL, 0, sym->orbit_of);
	if (rc)
		goto fail;
	for (uint32_t w = 0; w < K; w++)
		if (sym->orbit_of[w] + 1 > sym->n_orbits)
			sym->n_orbits = sym->orbit_of[w] + 1;
	rc = -ENOMEM;
	sym->rep = malloc(sizeof(uint32_t) * sym->n_orbits);
	sym->stab_orbit_of = malloc(sizeof(uint32_t) * (size_t)sym->n_orbits * K);
	if (!sym->rep || !sym->stab_orbit_of)
		goto fail;
	for (uint32_t w = K; w-- > 0;)
		sym->rep[sym->orbit_of[w]] = w;
	for (uint32_t o = 0; o < sym->n_orbits; o++) {
		rc = shield_sym_fix_orbits(sym, &sym->rep[o], 1,
					   sym->stab_orbit_of + (size_t)o * K);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	shield_sym_free(sym);
	return rc;
}
