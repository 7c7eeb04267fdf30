/* Independent ban-evidence checker: see evcheck.h. */
#include "evcheck.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/proto.h"
#include "byz/wire.h"

void evlog_add(struct evlog *l, const uint8_t *buf, size_t len)
{
	uint8_t h[16];
	crypto_generichash(h, 16, buf, len, NULL, 0);
	for (size_t i = 0; i < l->n; i++)
		if (!memcmp(l->h[i], h, 16))
			return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 1024;
		uint8_t **nb = realloc(l->buf, nc * sizeof(*nb));
		if (!nb)
			return;
		l->buf = nb;
		size_t *nl = realloc(l->len, nc * sizeof(*nl));
		if (!nl)
			return;
		l->len = nl;
		uint8_t(*nh)[16] = realloc(l->h, nc * sizeof(*nh));
		if (!nh)
			return;
		l->h = nh;
		l->cap = nc;
	}
	uint8_t *cp = malloc(len ? len : 1);
	if (!cp)
		return;
	memcpy(cp, buf, len);
	l->buf[l->n] = cp;
	l->len[l->n] = len;
	memcpy(l->h[l->n], h, 16);
	l->n++;
}

void evlog_free(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->buf[i]);
	free(l->buf);
	free(l->len);
	free(l->h);
	memset(l, 0, sizeof(*l));
}

__attribute__((format(printf, 3, 4))) static int say(char *why, size_t wl, const char *fmt, ...)
{
	if (why && wl) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, wl, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Parse and verify a signed message against the roster (JOINs are no evidence). */
static int open_msg(const struct evcheck *c, const uint8_t *buf, size_t len, struct byz_msg *m)
{
	if (byz_wire_open(buf, len, c->run_id, c->roster, c->n, m) != 0)
		return 0;
	return m->type != BYZ_MSG_JOIN;
}

static int open_log(const struct evcheck *c, size_t i, struct byz_msg *m)
{
	if (!c->ok[i])
		return 0;
	*m = c->m[i];
	return 1;
}

int evcheck_init(struct evcheck *c)
{
	size_t n = c->log->n;
	c->m = calloc(n ? n : 1, sizeof(*c->m));
	c->ok = calloc(n ? n : 1, 1);
	if (!c->m || !c->ok) {
		evcheck_fini(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		c->ok[i] = (uint8_t)open_msg(c, c->log->buf[i], c->log->len[i], &c->m[i]);
	return 0;
}

void evcheck_fini(struct evcheck *c)
{
	free(c->m);
	free(c->ok);
	c->m = NULL;
	c->ok = NULL;
}

static uint16_t slot_of(const struct byz_msg *m)
{
	if (m->type == BYZ_MSG_RESULT)
		return m->u.result.part;
	if (m->type == BYZ_MSG_AGGV)
		return m->u.vec.part;
	return 0;
}

/* Two signed broadcasts by one sender for one slot with different content. */
static int equivocation(const struct byz_msg *a, const struct byz_msg *b)
{
	if (a->sender != b->sender || a->type != b->type || a->step != b->step ||
	    a->attempt != b->attempt || slot_of(a) != slot_of(b))
		return 0;
	if (a->type != BYZ_MSG_COMMIT && a->type != BYZ_MSG_REVEAL && a->type != BYZ_MSG_PROJ &&
	    a->type != BYZ_MSG_RESULT && a->type != BYZ_MSG_AGGV)
		return 0;
	if (a->recipient != BYZ_WIRE_BCAST || b->recipient != BYZ_WIRE_BCAST)
		return 0;
	size_t la = a->raw_len - BYZ_WIRE_SIG_LEN, lb = b->raw_len - BYZ_WIRE_SIG_LEN;
	return la != lb || memcmp(a->raw, b->raw, la) != 0;
}

/* First message in the log of (type, sender, step, attempt, slot); 0 if none. */
static int find(const struct evcheck *c, uint8_t type, uint16_t sender, uint64_t step,
		uint16_t attempt, uint16_t slot, struct byz_msg *out)
{
	for (size_t i = 0; i < c->log->n; i++) {
		struct byz_msg m;
		if (open_log(c, i, &m) && m.type == type && m.sender == sender && m.step == step &&
		    m.attempt == attempt && slot_of(&m) == slot) {
			*out = m;
			return 1;
		}
	}
	return 0;
}

static int part_matches(const struct evcheck *c, const struct byz_msg *commit,
			const struct byz_msg *part)
{
	uint16_t j = part->u.vec.part;
	uint32_t L = byz_part_len(c->d, commit->u.commit.n_parts);
	if (j >= commit->u.commit.n_parts || part->u.vec.count != L)
		return 0;
	float *v = malloc((L ? L : 1) * sizeof(float));
	if (!v)
		return 0;
	byz_wire_vec_copy(part, v);
	uint8_t h[32];
	byz_part_hash(c->run_id, part->step, part->sender, j, v, L, h);
	free(v);
	return memcmp(h, commit->u.commit.hashes + 32u * j, 32) == 0;
}

/* r_t of (step, attempt): XOR of the reveals that open their commitments. */
static void mprng(const struct evcheck *c, uint64_t step, uint16_t attempt, uint8_t r[32])
{
	memset(r, 0, 32);
	for (uint16_t i = 0; i < c->n; i++) {
		struct byz_msg cm, rv;
		if (!find(c, BYZ_MSG_COMMIT, i, step, attempt, 0, &cm) ||
		    !find(c, BYZ_MSG_REVEAL, i, step, attempt, 0, &rv))
			continue;
		uint8_t mc[32];
		byz_mprng_commit(c->run_id, step, attempt, i, rv.u.reveal.rho, mc);
		if (memcmp(mc, cm.u.commit.mprng, 32) != 0)
			continue;
		for (int b = 0; b < 32; b++)
			r[b] ^= rv.u.reveal.rho[b];
	}
}

/* The aggregate y of part j by @p agg, if its AGGV matches its RESULT hash. */
static float *aggregate_of(const struct evcheck *c, uint16_t agg, uint64_t step,
			   uint16_t attempt, uint16_t j, struct byz_msg *res, uint32_t *len)
{
	struct byz_msg av;
	if (!find(c, BYZ_MSG_RESULT, agg, step, attempt, j, res) ||
	    !find(c, BYZ_MSG_AGGV, agg, step, attempt, j, &av))
		return NULL;
	uint32_t L = av.u.vec.count;
	float *y = malloc((L ? L : 1) * sizeof(float));
	if (!y)
		return NULL;
	byz_wire_vec_copy(&av, y);
	uint8_t h[32];
	byz_agg_hash(c->run_id, step, agg, j, y, L, h);
	if (memcmp(h, res->u.result.hash, 32) != 0) {
		free(y);
		return NULL;
	}
	*len = L;
	return y;
}

static int proj_entry(const struct byz_msg *pj, uint16_t j, double *s, double *n)
{
	for (uint16_t e = 0; e < pj->u.proj.count; e++) {
		uint16_t pp;
		byz_wire_proj_at(pj, e, &pp, s, n);
		if (pp == j)
			return 1;
	}
	return 0;
}

/* Is the accusation's claim true, by its evidence and the log? 1, 0, -1 (unknown). */
static int claim(const struct evcheck *c, const struct byz_msg *acc, char *why, size_t wl)
{
	uint16_t who = acc->u.accuse.accused;
	struct byz_msg e0, e1;
	int n_ev = acc->u.accuse.ev_count;
	if (who >= c->n || who == acc->sender)
		return say(why, wl, "accuses a non-member or itself");
	int o0 = n_ev > 0 && open_msg(c, acc->u.accuse.ev[0], acc->u.accuse.ev_len[0], &e0) &&
		 e0.sender == who;
	int o1 = n_ev > 1 && open_msg(c, acc->u.accuse.ev[1], acc->u.accuse.ev_len[1], &e1) &&
		 e1.sender == who;
	switch (acc->u.accuse.reason) {
	case BYZ_ACC_BAD_PART:
		if (!o0 || !o1 || e0.type != BYZ_MSG_COMMIT || e1.type != BYZ_MSG_PART ||
		    e1.recipient != acc->sender || e0.step != acc->step || e1.step != acc->step ||
		    e0.attempt != acc->attempt || e1.attempt != acc->attempt)
			return say(why, wl, "bad-part: evidence not a commit and a part signed by %u",
				   who);
		if (part_matches(c, &e0, &e1))
			return say(why, wl, "bad-part: part %u matches %u's commitment",
				   e1.u.vec.part, who);
		say(why, wl, "bad-part: %u signed part %u that is not the committed one", who,
		    e1.u.vec.part);
		return 1;
	case BYZ_ACC_PROJ_LIE: {
		uint16_t j = acc->u.accuse.part;
		if (!o0 || !o1 || e0.type != BYZ_MSG_PROJ || e1.type != BYZ_MSG_PART ||
		    e1.recipient != acc->sender || e1.u.vec.part != j || e0.step != acc->step ||
		    e1.step != acc->step || e0.attempt != acc->attempt ||
		    e1.attempt != acc->attempt)
			return say(why, wl, "projection-lie: evidence not a projection and a part");
		struct byz_msg cm, res;
		if (!find(c, BYZ_MSG_COMMIT, who, acc->step, acc->attempt, 0, &cm))
			return say(why, wl, "projection-lie: no commitment of %u in the log", who);
		if (!part_matches(c, &cm, &e1)) {
			say(why, wl, "projection-lie: the part is not the committed one");
			return 1;
		}
		uint32_t L = 0;
		float *y = aggregate_of(c, acc->sender, acc->step, acc->attempt, j, &res, &L);
		if (!y || L != e1.u.vec.count || !(res.u.result.bitmap[who >> 3] >> (who & 7) & 1)) {
			free(y);
			return say(why, wl, "projection-lie: no aggregate of part %u with %u in it",
				   j, who);
		}
		float *v = malloc((L ? L : 1) * sizeof(float));
		if (!v) {
			free(y);
			return -1;
		}
		byz_wire_vec_copy(&e1, v);
		uint8_t r[32];
		mprng(c, acc->step, acc->attempt, r);
		double s2, n2, s, nn;
		byz_proj(r, j, v, y, L, &s2, &n2);
		free(v);
		free(y);
		if (!proj_entry(&e0, j, &s, &nn)) {
			say(why, wl, "projection-lie: no projection for aggregated part %u", j);
			return 1;
		}
		/* the documented slack (docs/protocol.md): relative 1e-9 */
		int ok = fabs(s - s2) <= 1e-9 * sqrt((double)L) * n2 + 1e-300 &&
			 fabs(nn - n2) <= 1e-9 * n2 + 1e-300;
		if (ok)
			return say(why, wl, "projection-lie: s, n match the recomputation");
		say(why, wl, "projection-lie: claimed (%.17g, %.17g), recomputed (%.17g, %.17g)", s,
		    nn, s2, n2);
		return 1;
	}
	case BYZ_ACC_EQUIV:
		if (o0 && o1 && equivocation(&e0, &e1)) {
			say(why, wl, "equivocation: two signed versions of one slot");
			return 1;
		}
		return say(why, wl, "equivocation: evidence is not two versions of one slot");
	case BYZ_ACC_GRAD:
		say(why, wl, "gradient: re-verifying needs the model (not a message check)");
		return -1;
	case BYZ_ACC_MALFORMED: {
		/* the header holds, the accused signed it in that attempt, and the
		 * full parse refuses the payload */
		struct byz_msg h, full;
		if (n_ev != 1 ||
		    byz_wire_parse_header(acc->u.accuse.ev[0], acc->u.accuse.ev_len[0], &h) != 0 ||
		    h.sender != who || h.step != acc->step || h.attempt != acc->attempt ||
		    byz_wire_verify(&h, c->run_id, c->roster + 32u * who) != 0)
			return say(why, wl, "malformed: evidence is not a message signed by %u", who);
		if (byz_wire_parse(acc->u.accuse.ev[0], acc->u.accuse.ev_len[0], &full) == 0)
			return say(why, wl, "malformed: the signed message parses");
		say(why, wl, "malformed: %u signed a %s whose payload does not parse", who,
		    byz_wire_type_name(h.type));
		return 1;
	}
	default:
		return say(why, wl, "unknown accusation reason");
	}
}

static uint8_t acc_reason_of(uint8_t ban)
{
	if (ban == BYZ_BAN_BAD_PART)
		return BYZ_ACC_BAD_PART;
	if (ban == BYZ_BAN_PROJ_LIE)
		return BYZ_ACC_PROJ_LIE;
	if (ban == BYZ_BAN_GRAD)
		return BYZ_ACC_GRAD;
	if (ban == BYZ_BAN_MALFORMED)
		return BYZ_ACC_MALFORMED;
	return BYZ_ACC_EQUIV;
}

static uint16_t max_attempt(const struct evcheck *c, uint64_t step)
{
	uint16_t a = 0;
	for (size_t i = 0; i < c->log->n; i++) {
		struct byz_msg m;
		if (open_log(c, i, &m) && m.step == step && m.attempt > a)
			a = m.attempt;
	}
	return a;
}

int evcheck_ban(const struct evcheck *c, uint16_t who, uint64_t step, uint8_t reason,
		int32_t accuser, char *why, size_t wl)
{
	const struct evlog *l = c->log;
	uint16_t amax = max_attempt(c, step);
	if (accuser >= 0 && reason != BYZ_BAN_FALSE_ACCUSE) {
		/* an accusation by @p accuser whose claim holds */
		int unknown = 0;
		for (size_t i = 0; i < l->n; i++) {
			struct byz_msg m;
			if (!open_log(c, i, &m) || m.type != BYZ_MSG_ACCUSE ||
			    m.sender != (uint16_t)accuser || m.step != step ||
			    m.u.accuse.accused != who || m.u.accuse.reason != acc_reason_of(reason))
				continue;
			int r = claim(c, &m, why, wl);
			if (r == 1)
				return 1;
			unknown |= r < 0;
		}
		if (unknown)
			return -1;
		return say(why, wl, "no accusation by %d proves it", accuser);
	}
	switch (reason) {
	case BYZ_BAN_EQUIV:
		for (size_t i = 0; i < l->n; i++) {
			struct byz_msg a;
			if (!open_log(c, i, &a) || a.sender != who || a.step != step)
				continue;
			for (size_t k = i + 1; k < l->n; k++) {
				struct byz_msg b;
				if (open_log(c, k, &b) && equivocation(&a, &b)) {
					say(why, wl, "two signed versions of type %u, attempt %u",
					    a.type, a.attempt);
					return 1;
				}
			}
		}
		return say(why, wl, "no two versions of one slot by %u", who);
	case BYZ_BAN_FALSE_ACCUSE: {
		uint32_t cap = byz_peer_accuse_cap(c->n);
		for (uint16_t att = 0; att <= amax; att++) {
			uint32_t cnt = 0;
			for (size_t i = 0; i < l->n; i++) {
				struct byz_msg m;
				if (!open_log(c, i, &m) || m.type != BYZ_MSG_ACCUSE || m.sender != who ||
				    m.step != step || m.attempt != att)
					continue;
				cnt++;
				if (accuser >= 0 && m.u.accuse.accused != (uint16_t)accuser)
					continue;
				if (accuser < 0 && m.u.accuse.accused < c->n)
					continue;
				char w2[160];
				if (claim(c, &m, w2, sizeof(w2)) == 0) {
					say(why, wl, "accusation by %u refuted: %s", who, w2);
					return 1;
				}
			}
			if (accuser < 0 && cnt > cap) {
				say(why, wl, "%u accusations by %u in one attempt (cap %u)", cnt, who,
				    cap);
				return 1;
			}
		}
		return say(why, wl, "no refuted accusation by %u", who);
	}
	case BYZ_BAN_REVEAL:
		for (uint16_t att = 0; att <= amax; att++) {
			struct byz_msg cm, rv;
			if (!find(c, BYZ_MSG_COMMIT, who, step, att, 0, &cm))
				continue;
			if (!find(c, BYZ_MSG_REVEAL, who, step, att, 0, &rv)) {
				say(why, wl, "committed in attempt %u, no reveal in the log (absence)",
				    att);
				return 1;
			}
			uint8_t mc[32];
			byz_mprng_commit(c->run_id, step, att, who, rv.u.reveal.rho, mc);
			if (memcmp(mc, cm.u.commit.mprng, 32) != 0) {
				say(why, wl, "attempt %u: reveal does not open the signed commitment",
				    att);
				return 1;
			}
		}
		return say(why, wl, "every commitment of %u was opened", who);
	case BYZ_BAN_RESULT:
		for (uint16_t att = 0; att <= amax; att++)
			for (uint16_t j = 0; j < c->n; j++) {
				struct byz_msg res;
				uint32_t L;
				if (!find(c, BYZ_MSG_RESULT, who, step, att, j, &res))
					continue;
				float *y = aggregate_of(c, who, step, att, j, &res, &L);
				if (!y) {
					say(why, wl, "attempt %u part %u: AGGV does not match RESULT",
					    att, j);
					return 1;
				}
				free(y);
			}
		return say(why, wl, "every RESULT of %u matches its AGGV", who);
	case BYZ_BAN_FIXED_POINT:
		for (uint16_t att = 0; att <= amax; att++)
			for (uint16_t j = 0; j < c->n; j++) {
				struct byz_msg res;
				uint32_t L = 0;
				float *y = aggregate_of(c, who, step, att, j, &res, &L);
				if (!y)
					continue;
				double s[BYZ_MAX_PEERS], nn[BYZ_MAX_PEERS], yn = 0;
				uint32_t k = 0;
				int all = 1;
				for (uint16_t i = 0; i < c->n && all; i++) {
					if (!(res.u.result.bitmap[i >> 3] >> (i & 7) & 1))
						continue;
					struct byz_msg pj;
					all = find(c, BYZ_MSG_PROJ, i, step, att, 0, &pj) &&
					      proj_entry(&pj, j, &s[k], &nn[k]);
					k++;
				}
				for (uint32_t q = 0; q < L; q++)
					yn += (double)y[q] * y[q];
				free(y);
				double lhs, tol;
				if (all && k &&
				    !byz_fixed_point_ok(c->tau, c->eps, c->kappa, L, sqrt(yn), k, s, nn,
							&lhs, &tol)) {
					say(why, wl, "attempt %u part %u: |sum| %.3g > tolerance %.3g",
					    att, j, lhs, tol);
					return 1;
				}
			}
		return say(why, wl, "every aggregate of %u passes the fixed-point check", who);
	case BYZ_BAN_PROJ_MISSING:
		for (uint16_t att = 0; att <= amax; att++)
			for (uint16_t a = 0; a < c->n; a++)
				for (uint16_t j = 0; j < c->n; j++) {
					struct byz_msg res, pj;
					double s, nn;
					if (!find(c, BYZ_MSG_RESULT, a, step, att, j, &res) ||
					    !(res.u.result.bitmap[who >> 3] >> (who & 7) & 1))
						continue;
					if (!find(c, BYZ_MSG_PROJ, who, step, att, 0, &pj) ||
					    !proj_entry(&pj, j, &s, &nn)) {
						say(why, wl, "attempt %u: part %u aggregated, no "
							     "projection (absence)", att, j);
						return 1;
					}
				}
		return say(why, wl, "every aggregated part of %u has a projection", who);
	case BYZ_BAN_GRAD:
		say(why, wl, "gradient: re-verifying needs the model");
		return -1;
	default:
		return say(why, wl, "unknown ban reason %u", reason);
	}
}
