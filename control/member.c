/*
 * DESIGN (membership). A newcomer, or a member that left after K silent
 * steps, broadcasts a signed JOIN carrying its key; the agreed attempt store
 * turns JOINs into one join queue, identical everywhere. At every step
 * boundary at most R keys per W steps leave the queue (so the Byzantine
 * share cannot jump): a new key is appended to the roster, a key that left
 * gets its old index back, a banned key is refused forever. An admitted peer
 * is on probation: it commits and scatters its gradient every step like a
 * contributor, but it is not aggregated, does not aggregate, does not count
 * towards n and is never a validator.
 *
 * Every active peer checks every probationer's previous-step gradient (exact
 * mode: the whole commitment; tolerance mode: the parts it aggregated), so a
 * probationer that lies is accused by every honest peer, not by one drawn
 * validator that may be its accomplice. The admission rate bounds the extra
 * work: at most R*P/W + R probationers at once. A probation step is clean when
 * the step that checked it ends with an update and no ban; after P clean
 * steps the peer becomes active at the boundary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer_int.h"

static int roster_find(const struct byz_peer *p, const uint8_t pk[32])
{
	for (uint16_t i = 0; i < p->run.n; i++)
		if (memcmp(p->roster + 32u * i, pk, 32) == 0)
			return i;
	return -1;
}

static int queued(const struct byz_peer *p, const uint8_t pk[32])
{
	for (uint32_t q = 0; q < p->njq; q++)
		if (memcmp(p->jq[q], pk, 32) == 0)
			return 1;
	return 0;
}

static int cmp_h16(const void *a, const void *b)
{
	const struct held *const *x = a, *const *y = b;
	return memcmp((*x)->h16, (*y)->h16, 16);
}

void member_collect_joins(struct byz_peer *p)
{
	struct held *joins[BYZ_WIRE_MAX_QUEUE];
	size_t nj = 0;
	for (size_t i = 0; i < p->nstore && nj < BYZ_WIRE_MAX_QUEUE; i++)
		if (p->store[i].type == BYZ_MSG_JOIN)
			joins[nj++] = &p->store[i];
	/* only the nj entries filled above are sorted; cppcheck models qsort
	 * as reading the whole array */
	// cppcheck-suppress uninitvar
	qsort(joins, nj, sizeof(joins[0]), cmp_h16);
	for (size_t k = 0; k < nj && p->njq < BYZ_WIRE_MAX_QUEUE; k++) {
		const uint8_t *pk = joins[k]->m.u.join.pk;
		int at = roster_find(p, pk);
		if (queued(p, pk) || (at >= 0 && (p->banned[at] || !p->left[at])))
			continue;
		memcpy(p->jq[p->njq++], pk, 32);
	}
}

static int prob_due(const struct byz_peer *p, uint16_t i)
{
	return i != p->self && p->probation[i] && p->prev_contrib[i] && p->prev_commit[i] &&
	       peer_is_member(p, i);
}

void member_reset_checks(struct byz_peer *p)
{
	memset(p->prob_bad, 0, sizeof(p->prob_bad));
	for (unsigned i = 0; i < BYZ_MAX_PEERS; i++) {
		free(p->prob_ev[i]);
		p->prob_ev[i] = NULL;
		p->prob_ev_len[i] = 0;
	}
}

/* Tolerance mode: the first part of @p i this peer aggregated last step that
 * is beyond rho of the recomputation, as a pointer into prev_part_buf. */
static int bad_part_of(struct byz_peer *p, uint16_t i, size_t *idx_out)
{
	uint32_t L = byz_part_len(p->run.d, p->prev_n_parts);
	int have = 0;
	for (uint16_t j = 0; j < p->prev_n_parts; j++) {
		size_t idx = PB_IDX(j, i);
		struct byz_msg m;
		if (p->prev_agg_of[j] != p->self || !p->prev_part_buf[idx] ||
		    byz_wire_parse(p->prev_part_buf[idx], p->prev_part_len[idx], &m) < 0)
			continue;
		if (!have) {
			if (grad_recompute(p, i, p->x_prev, p->r_prev2, p->step - 1, p->tmp2) != 0)
				return 0;
			have = 1;
		}
		if (m.u.vec.count == L && !part_within_rho(p, p->tmp2, &m, L)) {
			*idx_out = idx;
			return 1;
		}
	}
	return 0;
}

static void accuse_prob(struct byz_peer *p, uint16_t i)
{
	accuse_send(p, BYZ_ACC_GRAD, i, 0, p->prev_commit[i], p->prev_commit_len[i],
		    p->prob_ev[i], p->prob_ev_len[i]);
}

void member_check_probationers(struct byz_peer *p)
{
	if (!p->have_prev || p->step == 0)
		return;
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (!prob_due(p, i))
			continue;
		if (p->attempt > 0) {
			/* an equivocation may have voided the first accusation */
			if (p->prob_bad[i] && !p->banned[i])
				accuse_prob(p, i);
			continue;
		}
		struct byz_msg cm;
		if (byz_wire_parse(p->prev_commit[i], p->prev_commit_len[i], &cm) < 0)
			continue;
		if (p->run.validation == BYZ_VALIDATE_EXACT) {
			if (grad_parts_match(p, &cm, p->x_prev, p->r_prev2, p->step - 1) != 0)
				continue;
		} else {
			size_t idx;
			if (!bad_part_of(p, i, &idx))
				continue;
			p->prob_ev[i] = malloc(p->prev_part_len[idx]);
			if (!p->prob_ev[i])
				continue;
			memcpy(p->prob_ev[i], p->prev_part_buf[idx], p->prev_part_len[idx]);
			p->prob_ev_len[i] = p->prev_part_len[idx];
		}
		p->prob_bad[i] = 1;
		accuse_prob(p, i);
	}
}

void member_step_end(struct byz_peer *p, int update, const uint8_t *checked)
{
	uint32_t n = p->run.n;
	/* Probation credit: every active peer checked the gradient this peer
	 * committed last step, and the step ended without banning it. */
	for (uint16_t i = 0; i < n; i++) {
		if (!p->probation[i] || p->banned[i] || p->left[i])
			continue;
		if (update && checked[i] && p->clean[i] < UINT16_MAX)
			p->clean[i]++;
		if (p->clean[i] >= p->run.probation) {
			p->probation[i] = 0;
			peer_event(p, BYZ_EV_ACTIVE, i, -1, 0);
		}
	}
	/* Admissions, rate limited: at most R per window of W steps. */
	uint64_t next = p->step + 1;
	uint32_t recent = 0;
	for (uint16_t i = 0; i < n; i++)
		if (p->admit_step[i] != UINT64_MAX && p->admit_step[i] + p->run.admit_window > next)
			recent++;
	uint32_t q = 0;
	while (q < p->njq && recent < p->run.admit_rate) {
		const uint8_t *pk = p->jq[q++];
		int at = roster_find(p, pk);
		if (at < 0) {
			if (p->run.n >= BYZ_MAX_PEERS)
				continue;
			at = (int)p->run.n++;
			memcpy(p->roster + 32u * (size_t)at, pk, 32);
		} else if (p->banned[at] || !p->left[at]) {
			continue;
		}
		p->left[at] = 0;
		p->silent_run[at] = 0;
		p->clean[at] = 0;
		p->prev_contrib[at] = 0;
		p->was_validator[at] = 0;
		p->probation[at] = p->run.probation > 0;
		p->admit_step[at] = next;
		recent++;
		peer_event(p, BYZ_EV_JOINED, (uint16_t)at, -1, 0);
	}
	memmove(p->jq, p->jq + q, 32u * (p->njq - q));
	p->njq -= q;
}
