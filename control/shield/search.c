/*
 * Exact worst-case adversary: c_max(q) by branch and bound.
 *
 * State: for each replica count c < r' the bitset of files the chosen
 * workers hold exactly c replicas of, plus the bitset of won files (>= r').
 * Adding a worker shifts its files up one level: O(r' * f/64) word ops.
 *
 * Search: the first three workers are fixed by symmetry (an orbit
 * representative rho, a representative of an orbit of rho's stabiliser, a
 * representative of an orbit of the pair's pointwise stabiliser; see
 * branches() and split_third()), the rest are chosen in increasing position
 * from the candidate list, so every set is met once per branch. A greedy +
 * iterated local search start gives the bound something to prune against.
 *
 * Bound at a node (score s, t workers still to pick from candidates at
 * positions >= pos): a file still winnable needs d = r' - c <= t more
 * replicas and has at least d of them among the remaining candidates
 * (precomputed suffix bitsets av). Three relaxations, each a valid upper bound on the gain:
 *   edge:  the t best candidates bring E = sum of their live-file degrees
 *          edges; at most as many files as fit E when cheapest first.
 *   frac:  credit 1/d per edge into a live file needing d; a won file earns
 *          >= 1, so gain <= sum of the t largest per-candidate credits.
 *   pairs: a file held c times carries C(c,2) pairs of chosen workers and
 *          any two workers share at most lambda files, so the new pairs on
 *          live files number at most (t best overlaps with the chosen set)
 *          + lambda C(t,2); a file at c needs C(r',2) - C(c,2) of them.
 *          Strong when r' > 2 and lambda = 1, as in both constructions.
 * The last pick is not branched: each candidate's gain is one popcount.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byz/err.h"
#include "byz/shield.h"
#include "shield_internal.h"

/* lcm(1..r') must stay small for the integer credits of the frac bound. */
#define FRAC_MAX_RP 16u
/*
 * The hot functions get a POPCNT clone chosen once at load time (ifunc);
 * the default clone keeps the baseline x86-64 build working everywhere.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("popcnt", "default")))
#else
#define HOT
#endif
/* Perturbation rounds of the starting heuristic (a lower bound only). */
#define ILS_KICKS 64u
/* Values below this are ranked by histogram in top_sum(). */
#define HIST_RANGE 2048u

struct byz_shield_search {
	const struct byz_shield_assign *a;
	uint32_t K, f, l, rp, W, SW; /* SW: words of one state, (rp+1)*W */
	uint64_t *fb;                /* [K][W] file bitset of each worker */
	uint64_t *all;               /* [W] all files */
	struct shield_sym sym;
	uint64_t L;                  /* lcm(1..rp), 0: frac bound off */
	uint64_t credit[FRAC_MAX_RP + 1]; /* L/d */

	/* scratch, sized for q = K */
	uint64_t *stack;             /* [K+1][SW] */
	uint64_t *av;                /* [K+1][rp][W] suffix availability */
	uint64_t *live;              /* [rp][W] */
	uint32_t *cand, nc;
	uint64_t *cfb;               /* [K][W] file bitsets of cand[], contiguous */
	uint32_t *cand_base;         /* [K] candidates of a level-2 branch */
	uint32_t *label;             /* [K] orbit labels for the third level */
	uint8_t *seen;               /* [K] labels already branched on */
	uint32_t *chosen, nch;
	uint32_t *vhist;             /* [HIST_RANGE] top-t histogram */
	uint64_t *credits;           /* [K] per-candidate credit */
	uint64_t *overlaps;          /* [K] per-candidate pairs onto live files */
	uint32_t lambda;             /* most files two workers share */
	uint32_t *nlive;             /* [rp+1] live files needing d more */
	uint32_t *hist;              /* [l+1] */
	uint32_t *tmpset;            /* [K] */
	uint32_t *curset;            /* [K] local search's current set */
	uint8_t *inset;              /* [K] membership scratch */

	/* current run */
	uint32_t q;
	uint32_t best;
	uint32_t *best_set;          /* [K] */
	uint64_t nodes;
	uint64_t ticks;              /* branching nodes, paces the clock reads */
	uint64_t next_progress;
	int aborted;
	uint32_t ub_abort;
	struct timespec t0;
	const struct byz_shield_search_opts *o;
	uint32_t branch, branches;
};

static inline uint32_t popc(uint64_t x)
{
	return (uint32_t)__builtin_popcountll(x);
}

static uint32_t popc_and(const uint64_t *x, const uint64_t *y, uint32_t W)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < W; i++)
		n += popc(x[i] & y[i]);
	return n;
}

static uint32_t popc_v(const uint64_t *x, uint32_t W)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < W; i++)
		n += popc(x[i]);
	return n;
}

/* Levels of a state: lev(s, c) for c in 0..rp; lev(s, rp) = won files. */
static inline uint64_t *lev(struct byz_shield_search *s, uint64_t *st, uint32_t c)
{
	return st + (size_t)c * s->W;
}

static void state_init(struct byz_shield_search *s, uint64_t *st)
{
	memset(st, 0, sizeof(uint64_t) * s->SW);
	memcpy(st, s->all, sizeof(uint64_t) * s->W);
}

/* Add worker w: each of its files moves up one level (won files stay). */
static void state_add(struct byz_shield_search *s, uint64_t *st, uint32_t w)
{
	const uint64_t *F = s->fb + (size_t)w * s->W;
	for (uint32_t c = s->rp; c-- > 0;) {
		uint64_t *lo = lev(s, st, c), *hi = lev(s, st, c + 1);
		for (uint32_t i = 0; i < s->W; i++) {
			uint64_t mv = lo[i] & F[i];
			lo[i] &= ~F[i];
			hi[i] |= mv;
		}
	}
}

static uint32_t state_score(struct byz_shield_search *s, uint64_t *st)
{
	return popc_v(lev(s, st, s->rp), s->W);
}

static double now_s(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

struct byz_shield_search *byz_shield_search_new(const struct byz_shield_assign *a,
						int use_symmetry, int *err)
{
	int rc = -EINVAL;
	struct byz_shield_search *s = NULL;
	if (!a || a->n_workers == 0 || a->n_workers > BYZ_SHIELD_SEARCH_MAX_WORKERS ||
	    a->n_files == 0 || a->n_files > BYZ_SHIELD_SEARCH_MAX_FILES ||
	    a->majority < 1 || a->majority > a->r)
		goto out;
	rc = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->a = a;
	s->K = a->n_workers;
	s->f = a->n_files;
	s->l = a->l;
	s->rp = a->majority;
	s->W = (s->f + 63) / 64;
	s->SW = (s->rp + 1) * s->W;
	uint32_t K = s->K, W = s->W;
	s->fb = calloc((size_t)K * W, sizeof(uint64_t));
	s->all = calloc(W, sizeof(uint64_t));
	s->stack = calloc((size_t)(K + 1) * s->SW, sizeof(uint64_t));
	s->av = calloc((size_t)(K + 1) * s->rp * W, sizeof(uint64_t));
	s->live = calloc((size_t)s->rp * W, sizeof(uint64_t));
	s->cand = calloc(K, sizeof(uint32_t));
	s->cfb = calloc((size_t)K * W, sizeof(uint64_t));
	s->cand_base = calloc(K, sizeof(uint32_t));
	s->label = calloc(K, sizeof(uint32_t));
	s->seen = calloc(K, 1);
	s->chosen = calloc(K, sizeof(uint32_t));
	s->vhist = calloc(HIST_RANGE, sizeof(uint32_t));
	s->credits = calloc(K, sizeof(uint64_t));
	s->overlaps = calloc(K, sizeof(uint64_t));
	s->nlive = calloc(s->rp + 1, sizeof(uint32_t));
	s->hist = calloc(s->l + 1, sizeof(uint32_t));
	s->tmpset = calloc(K, sizeof(uint32_t));
	s->curset = calloc(K, sizeof(uint32_t));
	s->inset = calloc(K, 1);
	s->best_set = calloc(K, sizeof(uint32_t));
	if (!s->fb || !s->all || !s->stack || !s->av || !s->live || !s->cand || !s->cfb || !s->cand_base || !s->label || !s->seen ||
	    !s->chosen || !s->vhist || !s->credits || !s->overlaps || !s->nlive || !s->hist || !s->tmpset || !s->curset || !s->inset || !s->best_set)
		goto fail;
	for (uint32_t j = 0; j < s->f; j++)
		s->all[j / 64] |= 1ull << (j % 64);
	for (uint32_t w = 0; w < K; w++)
		for (uint32_t i = 0; i < s->l; i++) {
			uint32_t j = a->worker_files[(size_t)w * s->l + i];
			s->fb[(size_t)w * W + j / 64] |= 1ull << (j % 64);
		}
	for (uint32_t u = 0; u < K; u++)
		for (uint32_t v = u + 1; v < K; v++) {
			uint32_t x = popc_and(s->fb + (size_t)u * W, s->fb + (size_t)v * W, W);
			if (x > s->lambda)
				s->lambda = x;
		}
	if (s->rp <= FRAC_MAX_RP) {
		uint64_t L = 1;
		for (uint64_t d = 2; d <= s->rp; d++) {
			uint64_t x = L, y = d;
			while (y) {
				uint64_t t = x % y;
				x = y;
				y = t;
			}
			L = L / x * d;
		}
		s->L = L;
		for (uint32_t d = 1; d <= s->rp; d++)
			s->credit[d] = L / d;
	}
	rc = shield_sym_compute(a, use_symmetry, &s->sym);
	if (rc)
		goto fail;
	rc = 0;
	goto out;
fail:
	byz_shield_search_free(s);
	s = NULL;
out:
	if (err)
		*err = rc;
	return s;
}

void byz_shield_search_free(struct byz_shield_search *s)
{
	if (!s)
		return;
	shield_sym_free(&s->sym);
	free(s->fb);
	free(s->all);
	free(s->stack);
	free(s->av);
	free(s->live);
	free(s->cand);
	free(s->cfb);
	free(s->cand_base);
	free(s->label);
	free(s->seen);
	free(s->chosen);
	free(s->vhist);
	free(s->credits);
	free(s->overlaps);
	free(s->nlive);
	free(s->hist);
	free(s->tmpset);
	free(s->curset);
	free(s->inset);
	free(s->best_set);
	free(s);
}

void byz_shield_search_symmetry(const struct byz_shield_search *s,
				uint64_t *order, uint32_t *orbits)
{
	if (order)
		*order = s ? s->sym.order : 0;
	if (orbits)
		*orbits = s ? s->sym.n_orbits : 0;
}

/* av[pos][d-1]: files with at least d replicas among cand[pos..nc). */
static void build_av(struct byz_shield_search *s)
{
	uint32_t W = s->W, rp = s->rp, nc = s->nc;
	size_t step = (size_t)rp * W;
	memset(s->av + (size_t)nc * step, 0, sizeof(uint64_t) * step);
	for (uint32_t pos = nc; pos-- > 0;) {
		const uint64_t *nx = s->av + (size_t)(pos + 1) * step;
		uint64_t *cur = s->av + (size_t)pos * step;
		const uint64_t *F = s->cfb + (size_t)pos * W;
		for (uint32_t i = 0; i < W; i++)
			cur[i] = nx[i] | F[i];
		for (uint32_t d = 2; d <= rp; d++)
			for (uint32_t i = 0; i < W; i++)
				cur[(d - 1) * W + i] = nx[(d - 1) * W + i] |
						       (nx[(d - 2) * W + i] & F[i]);
	}
}

/*
 * Sum of the t largest of v[0..n) (t <= n). Values are small integers
 * here, so a histogram up to the largest value is the fast path; a
 * quickselect covers wide ranges. Called for every branching node.
 */
static uint64_t top_sum(struct byz_shield_search *s, uint64_t *v, uint32_t n,
			uint32_t t)
{
	uint64_t vmax = 0, sum = 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] > vmax)
			vmax = v[i];
	if (t >= n) {
		for (uint32_t i = 0; i < n; i++)
			sum += v[i];
		return sum;
	}
	if (vmax < HIST_RANGE) {
		uint32_t *h = s->vhist;
		memset(h, 0, sizeof(uint32_t) * (vmax + 1));
		for (uint32_t i = 0; i < n; i++)
			h[v[i]]++;
		for (uint64_t x = vmax + 1; x-- > 0 && t;) {
			uint32_t take = h[x] < t ? h[x] : t;
			sum += take * x;
			t -= take;
		}
		return sum;
	}
	/* Quickselect (Hoare) for the t largest, in place: v is scratch. */
	uint32_t lo = 0, hi = n - 1, k = t - 1;
	while (lo < hi) {
		uint64_t piv = v[lo + (hi - lo) / 2];
		uint32_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] > piv)
				i++;
			while (v[j] < piv)
				j--;
			if (i <= j) {
				uint64_t tmp = v[i];
				v[i] = v[j];
				v[j] = tmp;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	for (uint32_t i = 0; i < t; i++)
		sum += v[i];
	return sum;
}

/*
 * Upper bound on the best score of any completion of state st with t more
 * workers from cand[pos..). *feasible = 0 when fewer than t candidates remain.
 * Once a relaxation shows the bound is <= target, that value is returned
 * without computing the others (the caller only needs "cannot beat target").
 */
HOT static uint32_t node_bound(struct byz_shield_search *s, uint64_t *st,
			       uint32_t pos, uint32_t t, uint32_t target,
			       int *feasible)
{
	uint32_t W = s->W, rp = s->rp;
	uint32_t score = state_score(s, st);
	*feasible = s->nc - pos >= t;
	if (!*feasible)
		return 0;
	if (t == 0)
		return score;
	const uint64_t *av = s->av + (size_t)pos * rp * W;
	uint32_t nl[FRAC_MAX_RP + 1] = {0}, total = 0;
	uint32_t dmax = rp < FRAC_MAX_RP ? rp : FRAC_MAX_RP;
	/* A file needing more than t replicas cannot be won with t picks. */
	uint32_t dlim = rp < t ? rp : t;
	for (uint32_t d = dlim + 1; d <= rp; d++)
		s->nlive[d] = 0;
	for (uint32_t d = 1; d <= dlim; d++) {
		uint64_t *lv = s->live + (size_t)(d - 1) * W;
		const uint64_t *lv_src = lev(s, st, rp - d);
		const uint64_t *avd = av + (size_t)(d - 1) * W;
		uint32_t n = 0;
		for (uint32_t i = 0; i < W; i++) {
			lv[i] = lv_src[i] & avd[i];
			n += popc(lv[i]);
		}
		/* Deficits above FRAC_MAX_RP count as FRAC_MAX_RP: cheaper, so still a bound. */
		nl[d < dmax ? d : dmax] += n;
		s->nlive[d] = n;
		total += n;
	}
	if (total == 0 || score + total <= target)
		return score + total;
	uint32_t n = s->nc - pos;
	memset(s->hist, 0, sizeof(uint32_t) * (s->l + 1));
	const uint64_t *cf = s->cfb + (size_t)pos * W;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t g = 0;
		uint64_t v = 0, ov = 0;
		for (uint32_t d = 1; d <= dlim; d++) {
			/* f <= 64 (one word) is the common case: keep it branch-light. */
			uint32_t pc = W == 1 ? popc(cf[i] & s->live[d - 1])
					     : popc_and(cf + (size_t)i * W,
							s->live + (size_t)(d - 1) * W, W);
			g += pc;
			ov += (uint64_t)pc * (rp - d);
			if (s->L) /* L != 0 implies rp <= FRAC_MAX_RP */
				v += pc * s->credit[d];
		}
		s->hist[g]++;
		s->credits[i] = v;
		s->overlaps[i] = ov;
	}
	/* Edge budget: the t largest live degrees, spent on the cheapest files. */
	uint64_t E = 0;
	uint32_t need = t;
	for (uint32_t g = s->l + 1; g-- > 0 && need;) {
		uint32_t take = s->hist[g] < need ? s->hist[g] : need;
		E += (uint64_t)take * g;
		need -= take;
	}
	uint32_t gain = 0;
	for (uint32_t d = 1; d <= dmax; d++) {
		uint64_t take = E / d;
		if (take > nl[d])
			take = nl[d];
		gain += (uint32_t)take;
		E -= take * d;
	}
	if (gain > total)
		gain = total;
	if (score + gain <= target)
		return score + gain;
	if (rp >= 2) {
		uint64_t P = top_sum(s, s->overlaps, n, t) +
			     (uint64_t)s->lambda * t * (t - 1) / 2;
		uint64_t full = (uint64_t)rp * (rp - 1) / 2;
		uint32_t gp = 0;
		/* Cheapest first: the fewest missing pairs are on the fullest files. */
		for (uint32_t d = 1; d <= dlim && gp < gain; d++) {
			uint64_t c = rp - d, cost = full - c * (c > 0 ? c - 1 : 0) / 2;
			uint64_t n_d = s->nlive[d];
			uint64_t take = cost ? P / cost : n_d;
			if (take > n_d)
				take = n_d;
			gp += (uint32_t)take;
			P -= take * cost;
		}
		if (gp < gain)
			gain = gp;
		if (score + gain <= target)
			return score + gain;
	}
	if (s->L) {
		uint64_t gf = top_sum(s, s->credits, n, t) / s->L;
		if (gf < gain)
			gain = (uint32_t)gf;
	}
	return score + gain;
}

static void record(struct byz_shield_search *s, uint32_t value, uint32_t extra)
{
	s->best = value;
	memcpy(s->best_set, s->chosen, sizeof(uint32_t) * s->nch);
	if (extra != UINT32_MAX)
		s->best_set[s->nch] = extra;
}

/* Limits and progress, checked once per branching node. */
static int over_limit(struct byz_shield_search *s)
{
	const struct byz_shield_search_opts *o = s->o;
	if (o->node_limit && s->nodes >= o->node_limit)
		return 1;
	if ((++s->ticks & 1023) == 0 && (o->time_limit_s > 0 || o->progress)) {
		double el = now_s(&s->t0);
		if (o->time_limit_s > 0 && el >= o->time_limit_s)
			return 1;
		if (o->progress && s->nodes >= s->next_progress) {
			struct byz_shield_progress p = {s->q, s->nodes, el, s->best,
							s->branch, s->branches};
			o->progress(o->progress_ctx, &p);
			s->next_progress = s->nodes + (o->progress_every ? o->progress_every
									 : (1ull << 22));
		}
	}
	return 0;
}

/* Last pick: the best single candidate is one popcount each. */
HOT static void leaf(struct byz_shield_search *s, uint64_t *st, uint32_t pos)
{
	uint32_t score = state_score(s, st);
	const uint64_t *one_short = lev(s, st, s->rp - 1);
	uint32_t best_gain = 0, arg = UINT32_MAX;
	for (uint32_t i = pos; i < s->nc; i++) {
		uint32_t g = popc_and(s->cfb + (size_t)i * s->W, one_short, s->W);
		if (arg == UINT32_MAX || g > best_gain) {
			best_gain = g;
			arg = s->cand[i];
		}
	}
	s->nodes += s->nc - pos;
	if (arg != UINT32_MAX && score + best_gain > s->best)
		record(s, score + best_gain, arg);
}

/*
 * Choose t >= 2 more workers from cand[pos..) on top of stack slot depth.
 * On abort, every frame on the way out adds the bound of what it had not
 * explored yet to ub_abort.
 */
static void dfs(struct byz_shield_search *s, uint32_t depth, uint32_t pos,
		uint32_t t)
{
	uint64_t *st = s->stack + (size_t)depth * s->SW;
	int feas;
	s->nodes++;
	if (over_limit(s)) {
		uint32_t b = node_bound(s, st, pos, t, 0, &feas);
		s->aborted = 1;
		if (feas && b > s->ub_abort)
			s->ub_abort = b;
		return;
	}
	uint32_t b = node_bound(s, st, pos, t, s->best, &feas);
	if (!feas || b <= s->best)
		return;
	uint64_t *child = st + s->SW;
	for (uint32_t i = pos; i + t <= s->nc; i++) {
		memcpy(child, st, sizeof(uint64_t) * s->SW);
		state_add(s, child, s->cand[i]);
		s->chosen[s->nch++] = s->cand[i];
		if (t == 2)
			leaf(s, child, i + 1);
		else
			dfs(s, depth + 1, i + 1, t - 1);
		s->nch--;
		if (s->aborted) {
			uint32_t rest = node_bound(s, st, i + 1, t, 0, &feas);
			if (feas && rest > s->ub_abort)
				s->ub_abort = rest;
			return;
		}
		if (s->best >= b)
			return; /* this subtree cannot beat what we hold */
	}
}

/*
 * Symmetry branches. Let O_1, O_2, ... be the worker orbits (by smallest
 * member) and rho_i their representatives. Any set S can be mapped to one
 * that contains rho_i for the first orbit i it meets and avoids O_<i. Then,
 * with T_1, T_2, ... the orbits of rho_i's stabiliser, S \ {rho_i} can be
 * mapped (fixing rho_i, so still avoiding O_<i) to contain the smallest
 * member sigma_j of the first T_j it meets and to avoid T_<j. Branch (i, j)
 * forces {rho_i, sigma_j} and draws the rest from the workers outside
 * O_<i, T_<j, rho_i and sigma_j.
 * Returns the number of branches; with fill, sets up branch idx (forced
 * workers in chosen[], candidates in cand[]).
 */
static uint32_t branches(struct byz_shield_search *s, uint32_t idx, int fill)
{
	const struct shield_sym *y = &s->sym;
	uint32_t K = s->K, count = 0;
	for (uint32_t o = 0; o < y->n_orbits; o++) {
		uint32_t rho = y->rep[o];
		if (s->q == 1) {
			if (fill && count == idx) {
				s->nch = 0;
				s->chosen[s->nch++] = rho;
				s->nc = 0;
				return count;
			}
			count++;
			continue;
		}
		const uint32_t *st = y->stab_orbit_of + (size_t)o * K;
		/* Stabiliser orbits are numbered by smallest member, so scanning
		 * workers upward meets each orbit first at its smallest member. */
		uint32_t next_label = 0;
		for (uint32_t sg = 0; sg < K; sg++) {
			if (st[sg] != next_label)
				continue;
			next_label++;
			if (sg == rho || y->orbit_of[sg] < o)
				continue;
			if (fill && count == idx) {
				s->nch = 0;
				s->chosen[s->nch++] = rho;
				s->chosen[s->nch++] = sg;
				s->nc = 0;
				for (uint32_t w = 0; w < K; w++)
					if (w != rho && w != sg && y->orbit_of[w] >= o &&
					    st[w] >= st[sg])
						s->cand[s->nc++] = w;
				return count;
			}
			count++;
		}
	}
	return count;
}

/* Score of an explicit set, via a scratch state. */
static uint32_t set_score(struct byz_shield_search *s, const uint32_t *set,
			  uint32_t n, uint64_t *st)
{
	state_init(s, st);
	for (uint32_t i = 0; i < n; i++)
		state_add(s, st, set[i]);
	return state_score(s, st);
}

/*
 * Greedy completion of set[0..n) to q workers, then first-improvement
 * single swaps until none helps. A good start makes the bound prune early;
 * the search does not depend on it for correctness.
 */
static uint32_t improve(struct byz_shield_search *s, uint32_t *set, uint32_t n,
			uint8_t *in)
{
	uint32_t q = s->q, K = s->K, W = s->W, rp = s->rp;
	uint64_t *st = s->stack;
	memset(in, 0, K);
	state_init(s, st);
	for (uint32_t i = 0; i < n; i++) {
		in[set[i]] = 1;
		state_add(s, st, set[i]);
	}
	while (n < q) {
		uint32_t arg = UINT32_MAX, g1 = 0, g2 = 0;
		for (uint32_t w = 0; w < K; w++) {
			if (in[w])
				continue;
			const uint64_t *F = s->fb + (size_t)w * W;
			uint32_t a1 = popc_and(F, lev(s, st, rp - 1), W);
			uint32_t a2 = rp >= 2 ? popc_and(F, lev(s, st, rp - 2), W) : 0;
			if (arg == UINT32_MAX || a1 > g1 || (a1 == g1 && a2 > g2)) {
				arg = w;
				g1 = a1;
				g2 = a2;
			}
		}
		in[arg] = 1;
		set[n++] = arg;
		state_add(s, st, arg);
	}
	uint32_t cur = state_score(s, st);
	uint64_t budget = 1000000ull / ((uint64_t)q * s->SW + 1) + 1;
	for (int improved = 1; improved && budget;) {
		improved = 0;
		for (uint32_t i = 0; i < q && !improved && budget; i++)
			for (uint32_t w = 0; w < K && !improved && budget; w++) {
				if (in[w])
					continue;
				budget--;
				uint32_t old = set[i];
				set[i] = w;
				uint32_t v = set_score(s, set, q, st);
				if (v > cur) {
					cur = v;
					in[old] = 0;
					in[w] = 1;
					improved = 1;
				} else {
					set[i] = old;
				}
			}
	}
	return cur;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void heuristic(struct byz_shield_search *s, const struct byz_shield_search_opts *o)
{
	uint8_t *in = s->inset;
	uint32_t *set = s->tmpset;
	s->best = 0;
	for (uint32_t i = 0; i < s->q; i++)
		s->best_set[i] = i;
	s->best = set_score(s, s->best_set, s->q, s->stack);
	if (o->hint && o->hint_len) {
		uint32_t n = 0;
		memset(in, 0, s->K);
		for (uint32_t i = 0; i < o->hint_len && n < s->q; i++)
			if (o->hint[i] < s->K && !in[o->hint[i]]) {
				in[o->hint[i]] = 1;
				set[n++] = o->hint[i];
			}
		uint32_t v = improve(s, set, n, in);
		if (v > s->best) {
			s->best = v;
			memcpy(s->best_set, set, sizeof(uint32_t) * s->q);
		}
	}
	/* Greedy from a few orbit representatives (all starts are alike up to symmetry). */
	uint32_t starts = s->sym.n_orbits < 8 ? s->sym.n_orbits : 8;
	for (uint32_t k = 0; k < starts; k++) {
		set[0] = s->sym.rep[k];
		uint32_t v = improve(s, set, 1, in);
		if (v > s->best) {
			s->best = v;
			memcpy(s->best_set, set, sizeof(uint32_t) * s->q);
		}
	}
	/*
	 * Iterated local search: swap two members of the current set for random
	 * outsiders, re-optimise, keep the result if it is no worse (ties let it
	 * drift along plateaus). Seeded by q, so runs are reproducible.
	 */
	uint32_t q = s->q, K = s->K;
	if (q < 2 || q + 2 > K)
		return;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (q + 1);
	uint32_t *cur = s->curset, curv = s->best;
	memcpy(cur, s->best_set, sizeof(uint32_t) * q);
	for (uint32_t kick = 0; kick < ILS_KICKS; kick++) {
		memcpy(set, cur, sizeof(uint32_t) * q);
		memset(in, 0, K);
		for (uint32_t i = 0; i < q; i++)
			in[set[i]] = 1;
		for (int k = 0; k < 2; k++) {
			uint32_t pos = (uint32_t)(splitmix(&rng) % q), w;
			do
				w = (uint32_t)(splitmix(&rng) % K);
			while (in[w]);
			in[set[pos]] = 0;
			in[w] = 1;
			set[pos] = w;
		}
		uint32_t v = improve(s, set, q, in);
		if (v >= curv) {
			curv = v;
			memcpy(cur, set, sizeof(uint32_t) * q);
		}
		if (v > s->best) {
			s->best = v;
			memcpy(s->best_set, set, sizeof(uint32_t) * q);
		}
	}
}

/*
 * Search (or, after an abort, only bound) the sets made of the forced
 * workers chosen[0..nch) and q - nch of cand[0..nc).
 */
static void run_branch(struct byz_shield_search *s)
{
	for (uint32_t i = 0; i < s->nc; i++)
		memcpy(s->cfb + (size_t)i * s->W, s->fb + (size_t)s->cand[i] * s->W,
		       sizeof(uint64_t) * s->W);
	uint64_t *st = s->stack;
	state_init(s, st);
	for (uint32_t i = 0; i < s->nch; i++)
		state_add(s, st, s->chosen[i]);
	uint32_t t = s->q - s->nch;
	if (t > s->nc)
		return;
	build_av(s);
	if (s->aborted) {
		/* Not searched: only its root bound is known. */
		int feas;
		uint32_t ub = node_bound(s, st, 0, t, 0, &feas);
		if (feas && ub > s->ub_abort)
			s->ub_abort = ub;
		return;
	}
	if (t == 0) {
		uint32_t v = state_score(s, st);
		s->nodes++;
		if (v > s->best)
			record(s, v, UINT32_MAX);
	} else if (t == 1) {
		leaf(s, st, 0);
	} else {
		dfs(s, 0, 0, t);
	}
}

/*
 * Third level of symmetry for branch {rho, sigma} with candidates C: the
 * automorphisms fixing both keep C invariant (C is made of whole orbits of
 * larger groups), so by the same argument as in branches() the rest of the
 * set can be taken to contain the smallest member tau of the first orbit U_k
 * of that pointwise stabiliser it meets, and to avoid U_<k.
 */
static int split_third(struct byz_shield_search *s)
{
	uint32_t K = s->K, nbase = s->nc;
	memcpy(s->cand_base, s->cand, sizeof(uint32_t) * nbase);
	int rc = shield_sym_fix_orbits(&s->sym, s->chosen, 2, s->label);
	if (rc)
		return rc;
	memset(s->seen, 0, K);
	for (uint32_t x = 0; x < nbase; x++) {
		uint32_t tau = s->cand_base[x];
		if (s->seen[s->label[tau]])
			continue;
		s->seen[s->label[tau]] = 1;
		s->nch = 2;
		s->chosen[s->nch++] = tau;
		s->nc = 0;
		for (uint32_t y = x + 1; y < nbase; y++) {
			uint32_t w = s->cand_base[y];
			if (!s->seen[s->label[w]] || s->label[w] == s->label[tau])
				s->cand[s->nc++] = w;
		}
		run_branch(s);
	}
	return 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

int byz_shield_worst_case(struct byz_shield_search *s, uint32_t q,
			  const struct byz_shield_search_opts *opts,
			  struct byz_shield_worst *out)
{
	static const struct byz_shield_search_opts defaults;
	if (!s || !out || q == 0 || q > s->K)
		return -EINVAL;
	const struct byz_shield_search_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->o = o;
	s->q = q;
	s->nodes = 0;
	s->ticks = 0;
	s->aborted = 0;
	s->ub_abort = 0;
	s->next_progress = o->progress_every ? o->progress_every : (1ull << 22);
	heuristic(s, o);

	uint32_t nb = branches(s, 0, 0);
	s->branches = nb;
	for (uint32_t b = 0; b < nb; b++) {
		s->branch = b;
		branches(s, b, 1);
		if (s->sym.priv && q >= 3 && !s->aborted) {
			int rc = split_third(s);
			if (rc)
				return rc;
		} else {
			run_branch(s);
		}
	}

	out->q = q;
	out->c_best = s->best;
	out->exact = !s->aborted;
	uint32_t ub = s->best;
	if (s->aborted) {
		/* Cap by the trivial bounds: f, and q*l edges at r' per distorted file. */
		uint64_t triv = (uint64_t)q * s->l / s->rp;
		ub = s->ub_abort > s->best ? s->ub_abort : s->best;
		if (ub > triv)
			ub = (uint32_t)triv;
		if (ub > s->f)
			ub = s->f;
		if (ub < s->best)
			ub = s->best;
	}
	out->c_upper = ub;
	out->nodes = s->nodes;
	out->seconds = now_s(&s->t0);
	memcpy(out->set, s->best_set, sizeof(uint32_t) * q);
	qsort(out->set, q, sizeof(uint32_t), cmp_u32);
	return 0;
}
