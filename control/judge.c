/*
 * The end of an attempt. Every verdict is a pure function of the agreed
 * attempt store and public state, evaluated in a fixed order, so honest peers
 * ban the same identities and either all restart the attempt or all apply the
 * same update.
 *   1. equivocation: two versions of one slot in the store (if anything
 *      equivocated, the data is ambiguous: only equivocators are banned)
 *   2. accusations, in content-hash order: guilty accused, else the accuser
 *   3. reveals missing or not matching the commitment
 *   4. results: missing (silent aggregator: exclusion) or not matching AGGV
 *   5. projections missing for an aggregated part
 *   6. the fixed-point check of every part whose contributors are innocent
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "peer_int.h"

struct verdicts {
	uint8_t guilty[BYZ_MAX_PEERS];
	uint8_t reason[BYZ_MAX_PEERS];
	int32_t accuser[BYZ_MAX_PEERS];
	unsigned count;
};

static void guilty(struct verdicts *v, uint16_t who, uint8_t reason, int32_t accuser)
{
	if (v->guilty[who])
		return;
	v->guilty[who] = 1;
	v->reason[who] = reason;
	v->accuser[who] = accuser;
	v->count++;
}

static int cmp_h16(const void *a, const void *b)
{
	const struct held *const *x = a, *const *y = b;
	return memcmp((*x)->h16, (*y)->h16, 16);
}

static uint8_t ban_of(uint8_t acc_reason)
{
	switch (acc_reason) {
	case BYZ_ACC_BAD_PART:
		return BYZ_BAN_BAD_PART;
	case BYZ_ACC_PROJ_LIE:
		return BYZ_BAN_PROJ_LIE;
	case BYZ_ACC_GRAD:
		return BYZ_BAN_GRAD;
	case BYZ_ACC_MALFORMED:
		return BYZ_BAN_MALFORMED;
	default:
		return BYZ_BAN_EQUIV;
	}
}

static void finish_step(struct byz_peer *p, int update)
{
	uint32_t n = p->run.n;
	/* Keep what validation of this step needs during the next one. */
	memcpy(p->x_prev, p->x, p->run.d * sizeof(float));
	memcpy(p->r_prev2, p->r_prev, 32);
	memcpy(p->was_validator, p->validator, sizeof(p->validator));
	/* whose last-step gradients this step checked (probation credit) */
	uint8_t checked[BYZ_MAX_PEERS];
	memcpy(checked, p->prev_contrib, sizeof(checked));
	memset(p->prev_contrib, 0, sizeof(p->prev_contrib));
	for (uint16_t i = 0; i < n; i++) {
		free(p->prev_commit[i]);
		p->prev_commit[i] = NULL;
		struct held *c = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
		if (update && (p->contributor[i] || p->probe[i]) && c && !p->banned[i]) {
			p->prev_commit[i] = malloc(c->len);
			if (p->prev_commit[i]) {
				memcpy(p->prev_commit[i], c->buf, c->len);
				p->prev_commit_len[i] = c->len;
				p->prev_contrib[i] = 1;
			}
		}
	}
	p->prev_n_parts = p->n_parts;
	p->prev_attempt = p->attempt;
	/* Keep this step's inbox: validators of the next step fetch from it. */
	pb_clear(p->prev_part_buf, p->prev_part_len);
	if (update) {
		uint8_t **tb = p->prev_part_buf;
		size_t *tl = p->prev_part_len;
		p->prev_part_buf = p->part_buf;
		p->prev_part_len = p->part_len;
		p->part_buf = tb;
		p->part_len = tl;
		memcpy(p->prev_agg_of, p->agg_of, sizeof(p->agg_of));
	}
	p->have_prev = update;
	if (update) {
		for (size_t c = 0; c < p->run.d; c++)
			p->x[c] -= p->run.lr * p->y[c];
		memcpy(p->r_prev, p->r_cur, 32);
	} else {
		peer_event(p, BYZ_EV_SKIPPED, p->self, -1, 0);
	}
	/* Silence: excluded, never banned; K silent steps leave the membership. */
	for (uint16_t i = 0; i < n; i++) {
		if (p->probation[i] && !p->banned[i] && !p->left[i]) {
			/* A probationer is silent when it does not commit. */
			if (p->probe[i]) {
				p->silent_run[i] = 0;
			} else if (++p->silent_run[i] >= p->run.silent_limit) {
				p->left[i] = 1;
				p->probation[i] = 0;
				peer_event(p, BYZ_EV_LEFT, i, -1, 0);
			}
			continue;
		}
		if (!p->active[i] || p->banned[i])
			continue;
		if (p->committer[i] && !p->excluded[i]) {
			p->silent_run[i] = 0;
			continue;
		}
		if (!p->silent_step[i])
			peer_event(p, BYZ_EV_SILENT, i, -1, 0);
		if (++p->silent_run[i] >= p->run.silent_limit) {
			p->left[i] = 1;
			peer_event(p, BYZ_EV_LEFT, i, -1, 0);
		}
	}
	member_step_end(p, update, checked);
	p->step++;
	struct byz_event *last;
	peer_event(p, BYZ_EV_STEP_DONE, p->self, -1, 0);
	last = p->nev ? &p->ev[p->nev - 1] : NULL;
	if (last && last->kind == BYZ_EV_STEP_DONE) {
		last->step = p->step;
		last->synced = 1;
		byz_params_digest(p->run.run_id, p->step, p->x, p->run.d, last->digest);
	}
}

void judge_attempt(struct byz_peer *p, uint64_t now)
{
	(void)now;
	struct verdicts v;
	memset(&v, 0, sizeof(v));
	uint32_t n = p->run.n;
	int equiv = 0;

	/* 1. equivocation */
	for (size_t i = 0; i < p->nstore; i++) {
		struct held *h = &p->store[i];
		if (h->type != BYZ_MSG_ACCUSE && h->type != BYZ_MSG_JOIN &&
		    store_find(p, h->type, h->sender, h->aux, 1)) {
			guilty(&v, h->sender, BYZ_BAN_EQUIV, -1);
			equiv = 1;
		}
	}
	/* 2. accusations; void when something equivocated, since honest peers
	 * may then hold different first versions (and different r_t). */
	size_t na = 0;
	struct held **acc = equiv ? NULL : malloc((p->nstore ? p->nstore : 1) * sizeof(*acc));
	if (acc) {
		for (size_t i = 0; i < p->nstore; i++)
			if (p->store[i].type == BYZ_MSG_ACCUSE)
				acc[na++] = &p->store[i];
		qsort(acc, na, sizeof(*acc), cmp_h16);
		/* More accusations from one accuser than the cap (the store keeps
		 * one over it) is flooding: banned before any evidence is checked. */
		uint16_t nacc[BYZ_MAX_PEERS] = {0};
		for (size_t i = 0; i < na; i++)
			nacc[acc[i]->m.sender]++;
		for (uint16_t a = 0; a < n; a++)
			if (nacc[a] > byz_peer_accuse_cap(n))
				guilty(&v, a, BYZ_BAN_FALSE_ACCUSE, -1);
		for (size_t i = 0; i < na; i++) {
			const struct byz_msg *m = &acc[i]->m;
			uint16_t a = m->sender, b = m->u.accuse.accused;
			if (v.guilty[a] || (b < n && (v.guilty[b] || !peer_is_member(p, b))))
				continue;
			if (accuse_adjudicate(p, m))
				guilty(&v, b, ban_of(m->u.accuse.reason), a);
			else
				guilty(&v, a, BYZ_BAN_FALSE_ACCUSE, b < n ? b : -1);
		}
		free(acc);
	}

	uint8_t silent[BYZ_MAX_PEERS] = {0};
	int any_silent = 0;
	uint32_t ncontrib = 0;
	for (uint16_t i = 0; i < n; i++)
		ncontrib += p->contributor[i];

	if (!equiv && p->roles_done) {
		/* 3. reveals */
		for (uint16_t i = 0; i < n; i++) {
			if (!p->committer[i])
				continue;
			struct held *c = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
			struct held *r = store_find(p, BYZ_MSG_REVEAL, i, 0, 0);
			uint8_t mc[32];
			if (r)
				byz_mprng_commit(p->run.run_id, p->step, p->attempt, i,
						 r->m.u.reveal.rho, mc);
			if (!c || !r || memcmp(mc, c->m.u.commit.mprng, 32) != 0)
				guilty(&v, i, BYZ_BAN_REVEAL, -1);
		}
		/* 4. results */
		for (uint16_t j = 0; j < p->n_parts; j++) {
			uint16_t a = p->agg_of[j];
			if (a >= n)
				continue;
			struct held *r = store_find(p, BYZ_MSG_RESULT, a, j, 0);
			struct held *g = store_find(p, BYZ_MSG_AGGV, a, j, 0);
			if (!r || !g) {
				if (!v.guilty[a]) {
					silent[a] = 1;
					any_silent = 1;
				}
				continue;
			}
			int bad = !p->have_y[j];
			for (uint16_t i = 0; i < BYZ_MAX_PEERS && !bad; i++)
				if (BITTST(r->m.u.result.bitmap, i) && (i >= n || !p->contributor[i]))
					bad = 1;
			if (bad)
				guilty(&v, a, BYZ_BAN_RESULT, -1);
		}
		/* 5. projections of every aggregated part */
		uint8_t haveproj[BYZ_MAX_PEERS] = {0};
		double *S = calloc((size_t)n * p->n_parts, sizeof(double));
		double *N = calloc((size_t)n * p->n_parts, sizeof(double));
		uint8_t *has = calloc((size_t)n * p->n_parts, 1);
		if (S && N && has) {
			for (uint16_t i = 0; i < n; i++) {
				struct held *h = store_find(p, BYZ_MSG_PROJ, i, 0, 0);
				if (!h || !p->contributor[i])
					continue;
				haveproj[i] = 1;
				for (uint16_t e = 0; e < h->m.u.proj.count; e++) {
					uint16_t j;
					double s, nn;
					byz_wire_proj_at(&h->m, e, &j, &s, &nn);
					if (j >= p->n_parts)
						continue;
					/* j < n_parts: the arrays are not empty here */
					S[(size_t)j * n + i] = s; /* NOLINT(clang-analyzer-unix.Malloc) */
					N[(size_t)j * n + i] = nn;
					has[(size_t)j * n + i] = 1;
				}
			}
			for (uint16_t j = 0; j < p->n_parts; j++) {
				if (!p->have_y[j])
					continue;
				struct held *r = store_find(p, BYZ_MSG_RESULT, p->agg_of[j], j, 0);
				for (uint16_t i = 0; i < n; i++)
					if (BITTST(r->m.u.result.bitmap, i) &&
					    !has[(size_t)j * n + i]) /* NOLINT(clang-analyzer-unix.Malloc) */
						guilty(&v, i, BYZ_BAN_PROJ_MISSING, -1);
			}
			/* 6. fixed point, only where every input is innocent */
			double *s = malloc(n * sizeof(double)), *nn = malloc(n * sizeof(double));
			for (uint16_t j = 0; s && nn && j < p->n_parts; j++) {
				uint16_t a = p->agg_of[j];
				if (!p->have_y[j] || v.guilty[a])
					continue;
				struct held *r = store_find(p, BYZ_MSG_RESULT, a, j, 0);
				uint32_t k = 0;
				int skip = 0;
				for (uint16_t i = 0; i < n; i++) {
					if (!BITTST(r->m.u.result.bitmap, i))
						continue;
					if (v.guilty[i])
						skip = 1;
					s[k] = S[(size_t)j * n + i];
					nn[k] = N[(size_t)j * n + i];
					k++;
				}
				if (skip || k == 0)
					continue;
				const float *y = p->y + (size_t)j * p->L;
				double yn = 0;
				for (uint32_t c = 0; c < p->L; c++)
					yn += (double)y[c] * y[c];
				if (!byz_fixed_point_ok(p->run.tau, p->run.eps, p->run.kappa, p->L,
							sqrt(yn), k, s, nn, NULL, NULL))
					guilty(&v, a, BYZ_BAN_FIXED_POINT, -1);
			}
			free(s);
			free(nn);
		}
		(void)haveproj;
		free(S);
		free(N);
		free(has);
	}

	/* Join requests are queued whatever else happened in this attempt. */
	member_collect_joins(p);

	/* Apply, identically everywhere, at this attempt boundary. */
	for (uint16_t who = 0; who < n; who++) {
		if (!v.guilty[who])
			continue;
		p->banned[who] = 1;
		peer_event(p, BYZ_EV_BAN, who, v.accuser[who], v.reason[who]);
	}
	for (uint16_t i = 0; i < n; i++)
		if (silent[i]) {
			p->excluded[i] = 1;
			if (!p->silent_step[i]) {
				p->silent_step[i] = 1;
				peer_event(p, BYZ_EV_SILENT, i, -1, 0);
			}
		}
	if (v.count || any_silent || ncontrib == 0 || !p->roles_done) {
		if (ncontrib > 0 && p->attempt + 1u < p->run.max_attempts) {
			peer_event(p, BYZ_EV_RESTART, p->self, -1, 0);
			p->attempt++;
			return;
		}
		finish_step(p, 0);
		return;
	}
	finish_step(p, 1);
}
