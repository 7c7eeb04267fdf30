/*
 * Accusations: building them and adjudicating them. Adjudication uses only
 * the evidence (signed by the accused), the agreed attempt store and public
 * data, so every honest peer reaches the same verdict. Any defect in the
 * evidence makes the accusation false, and the accuser pays for it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "peer_int.h"
#include "relay_int.h"

int proj_matches(double s, double n, double s2, double n2, uint32_t len);

int accuse_send(struct byz_peer *p, uint8_t reason, uint16_t accused, uint16_t part,
		const uint8_t *ev0, size_t len0, const uint8_t *ev1, size_t len1)
{
	/* Late ourselves, we may simply not have processed what the accused
	 * sent in time: our view is not evidence (docs/protocol.md). */
	if (p->late_attempt)
		return -EAGAIN;
	/* Too late to reach everybody before accusations are sealed: only we
	 * would hold it, and our verdicts would differ (relay.c). */
	if (!relay_can_send(p, BYZ_MSG_ACCUSE))
		return -ETIME;
	/* Our own cap: receivers ban an accuser holding more (judge.c); what is
	 * held back is re-made in a later attempt if the lie recurs. */
	if (p->acc_sent >= byz_peer_accuse_cap(p->run.n)) {
		p->acc_held_back++;
		return -ERANGE;
	}
	const uint8_t *ev[2] = {ev0, ev1};
	size_t el[2] = {len0, len1};
	uint8_t cnt = (uint8_t)((ev0 ? 1 : 0) + (ev1 ? 1 : 0));
	size_t n = byz_wire_accuse_len(cnt, el);
	uint8_t *pl = malloc(n);
	if (!pl)
		return -ENOMEM;
	n = byz_wire_put_accuse(pl, reason, accused, part, cnt, ev, el);
	int rc = n ? peer_send(p, BYZ_MSG_ACCUSE, BYZ_WIRE_BCAST, pl, (uint32_t)n, 0) : -ERANGE;
	free(pl);
	if (rc == 0) {
		p->acc_sent++;
		peer_event(p, BYZ_EV_ACCUSE, accused, p->self, reason);
	}
	return rc;
}

/* Parse and verify one evidence item as signed by @p who. */
static int ev_open(struct byz_peer *p, const struct byz_msg *acc, unsigned i, uint16_t who,
		   struct byz_msg *m)
{
	if (i >= acc->u.accuse.ev_count)
		return -EBADMSG;
	if (byz_wire_parse(acc->u.accuse.ev[i], acc->u.accuse.ev_len[i], m) < 0)
		return -EBADMSG;
	if (m->sender != who)
		return -EPROTO;
	return byz_wire_verify(m, p->run.run_id, peer_pk(p, who));
}

int grad_parts_match(struct byz_peer *p, const struct byz_msg *commit, const float *x,
		     const uint8_t r_prev[32], uint64_t step)
{
	uint16_t np = commit->u.commit.n_parts;
	if (np == 0)
		return -EINVAL;
	uint32_t L = byz_part_len(p->run.d, np);
	uint8_t seed[32];
	byz_batch_seed(p->run.run_id, step, r_prev, peer_pk(p, commit->sender), seed);
	if (p->oracle.grad(p->oracle.ctx, x, p->run.d, seed, p->tmp2) != 0)
		return -EIO;
	for (uint16_t j = 0; j < np; j++) {
		for (uint32_t c = 0; c < L; c++) {
			size_t at = (size_t)j * L + c;
			p->tmp[c] = at < p->run.d ? p->tmp2[at] : 0.0f;
		}
		uint8_t h[32];
		byz_part_hash(p->run.run_id, step, commit->sender, j, p->tmp, L, h);
		if (memcmp(h, commit->u.commit.hashes + 32u * j, 32) != 0)
			return 0;
	}
	return 1;
}

int grad_recompute(struct byz_peer *p, uint16_t who, const float *x, const uint8_t r_prev[32],
		   uint64_t step, float *g)
{
	uint8_t seed[32];
	byz_batch_seed(p->run.run_id, step, r_prev, peer_pk(p, who), seed);
	return p->oracle.grad(p->oracle.ctx, x, p->run.d, seed, g) != 0 ? -EIO : 0;
}

int part_within_rho(const struct byz_peer *p, const float *g, const struct byz_msg *part,
		    uint32_t L)
{
	/* Relative L2 distance, float64; the zero padding must be exactly zero. */
	size_t base = (size_t)part->u.vec.part * L;
	double dd = 0, ww = 0;
	for (uint32_t c = 0; c < L; c++) {
		double w = base + c < p->run.d ? (double)g[base + c] : 0.0;
		double e = (double)byz_wire_vec_at(part, c) - w;
		dd += e * e;
		ww += w * w;
	}
	return sqrt(dd) <= p->run.rho * sqrt(ww);
}

static int part_matches_commit(struct byz_peer *p, const struct byz_msg *commit,
			       const struct byz_msg *part)
{
	uint16_t j = part->u.vec.part;
	if (j >= commit->u.commit.n_parts || part->u.vec.count != p->L)
		return 0;
	byz_wire_vec_copy(part, p->tmp);
	uint8_t h[32];
	byz_part_hash(p->run.run_id, part->step, part->sender, j, p->tmp, p->L, h);
	return memcmp(h, commit->u.commit.hashes + 32u * j, 32) == 0;
}

static int current(const struct byz_peer *p, const struct byz_msg *m)
{
	return m->step == p->step && m->attempt == p->attempt;
}

static int judge_bad_part(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused;
	struct byz_msg c, pt;
	if (ev_open(p, acc, 0, who, &c) || ev_open(p, acc, 1, who, &pt))
		return 0;
	if (c.type != BYZ_MSG_COMMIT || pt.type != BYZ_MSG_PART || !current(p, &c) ||
	    !current(p, &pt) || pt.recipient != acc->sender || c.u.commit.n_parts != p->n_parts ||
	    pt.u.vec.part >= c.u.commit.n_parts)
		return 0;
	return !part_matches_commit(p, &c, &pt);
}

static int judge_proj_lie(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused, j = acc->u.accuse.part;
	struct byz_msg pj, pt;
	if (ev_open(p, acc, 0, who, &pj) || ev_open(p, acc, 1, who, &pt))
		return 0;
	if (pj.type != BYZ_MSG_PROJ || pt.type != BYZ_MSG_PART || !current(p, &pj) ||
	    !current(p, &pt) || pt.recipient != acc->sender || pt.u.vec.part != j ||
	    !p->roles_done || j >= p->n_parts || p->agg_of[j] != acc->sender || !p->have_y[j] ||
	    !p->have_r)
		return 0;
	struct held *r = store_find(p, BYZ_MSG_RESULT, acc->sender, j, 0);
	if (!r || !BITTST(r->m.u.result.bitmap, who))
		return 0;
	struct held *c = store_find(p, BYZ_MSG_COMMIT, who, 0, 0);
	if (!c)
		return 0;
	if (!part_matches_commit(p, &c->m, &pt))
		return 1; /* signed a part that is not the committed one */
	for (uint16_t e = 0; e < pj.u.proj.count; e++) {
		uint16_t pp;
		double s, n;
		byz_wire_proj_at(&pj, e, &pp, &s, &n);
		if (pp != j)
			continue;
		double s2, n2;
		byz_proj(p->r_cur, j, p->tmp, p->y + (size_t)j * p->L, p->L, &s2, &n2);
		return !proj_matches(s, n, s2, n2, p->L);
	}
	return 1; /* no entry for an aggregated part */
}

static int judge_grad(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused;
	struct byz_msg c;
	if (!p->have_prev || p->step == 0 || ev_open(p, acc, 0, who, &c))
		return 0;
	if (c.type != BYZ_MSG_COMMIT || c.step != p->step - 1 || c.attempt != p->prev_attempt ||
	    c.u.commit.n_parts != p->prev_n_parts || !p->prev_contrib[who])
		return 0;
	if (p->run.validation == BYZ_VALIDATE_EXACT)
		return grad_parts_match(p, &c, p->x_prev, p->r_prev2, p->step - 1) == 0;
	/* Tolerance: the evidence holds one committed part, signed by the accused. */
	struct byz_msg pt;
	uint32_t L = byz_part_len(p->run.d, p->prev_n_parts);
	if (ev_open(p, acc, 1, who, &pt) || pt.type != BYZ_MSG_PART || pt.step != c.step ||
	    pt.attempt != c.attempt || pt.u.vec.part >= c.u.commit.n_parts || pt.u.vec.count != L)
		return 0;
	byz_wire_vec_copy(&pt, p->tmp);
	uint8_t h[32];
	byz_part_hash(p->run.run_id, pt.step, who, pt.u.vec.part, p->tmp, L, h);
	if (memcmp(h, c.u.commit.hashes + 32u * pt.u.vec.part, 32) != 0)
		return 1; /* signed a part that is not the committed one */
	if (grad_recompute(p, who, p->x_prev, p->r_prev2, p->step - 1, p->tmp2) != 0)
		return 0;
	return !part_within_rho(p, p->tmp2, &pt, L);
}

static int judge_equiv(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused;
	struct byz_msg a, b;
	if (ev_open(p, acc, 0, who, &a) || ev_open(p, acc, 1, who, &b))
		return 0;
	if (a.type != b.type || a.step != b.step || a.attempt != b.attempt || !current(p, &a))
		return 0;
	switch (a.type) {
	case BYZ_MSG_RESULT:
		if (a.u.result.part != b.u.result.part)
			return 0;
		break;
	case BYZ_MSG_AGGV:
		if (a.u.vec.part != b.u.vec.part)
			return 0;
		break;
	case BYZ_MSG_COMMIT:
	case BYZ_MSG_REVEAL:
	case BYZ_MSG_PROJ:
		break;
	default:
		return 0;
	}
	if (a.recipient != BYZ_WIRE_BCAST || b.recipient != BYZ_WIRE_BCAST)
		return 0;
	/* Different signed content (not merely another signature). */
	size_t la = a.raw_len - BYZ_WIRE_SIG_LEN, lb = b.raw_len - BYZ_WIRE_SIG_LEN;
	return la != lb || memcmp(a.raw, b.raw, la) != 0;
}

/* Guilty when the evidence is of this attempt, validly signed by the
 * accused, and its payload does not parse: nobody but the signer could
 * have made it, and replays of older ones are not current. */
static int judge_malformed(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused;
	struct byz_msg h, full;
	if (acc->u.accuse.ev_count != 1 ||
	    byz_wire_parse_header(acc->u.accuse.ev[0], acc->u.accuse.ev_len[0], &h) < 0 ||
	    h.sender != who || !current(p, &h) ||
	    byz_wire_verify(&h, p->run.run_id, peer_pk(p, who)) != 0)
		return 0;
	return byz_wire_parse(acc->u.accuse.ev[0], acc->u.accuse.ev_len[0], &full) < 0;
}

int accuse_adjudicate(struct byz_peer *p, const struct byz_msg *acc)
{
	uint16_t who = acc->u.accuse.accused;
	p->adjudications++;
	if (who >= p->run.n || who == acc->sender)
		return 0;
	switch (acc->u.accuse.reason) {
	case BYZ_ACC_BAD_PART:
		return judge_bad_part(p, acc);
	case BYZ_ACC_PROJ_LIE:
		return judge_proj_lie(p, acc);
	case BYZ_ACC_GRAD:
		return judge_grad(p, acc);
	case BYZ_ACC_EQUIV:
		return judge_equiv(p, acc);
	case BYZ_ACC_MALFORMED:
		return judge_malformed(p, acc);
	default:
		return 0;
	}
}
