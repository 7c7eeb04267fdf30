/*
 * DESIGN (membership). A newcomer, or a member that left after K silent
 * steps, broadcasts a signed JOIN carrying its key; the agreed attempt store
 * turns JOINs into one join queue, identical everywhere. At every step
 * boundary at most R keys per W steps leave the queue (so the Byzantine
 * share cannot jump): a new key is appended to the roster, a key that left
 * gets its old index back, a banned key is refused forever. An admitted peer
 * is on probation: it commits and scatters its gradient every step like a
 * contributor, but it is not aggregated, does not aggregate, does not count
 * towards n and is never a validator; a validator is drawn for it every
 * step. Each of its steps that a participating validator checked without a
 * ban is "clean"; after P clean steps it becomes active at the boundary.
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
	struct held *j[BYZ_WIRE_MAX_QUEUE];
	size_t nj = 0;
	for (size_t i = 0; i < p->nstore && nj < BYZ_WIRE_MAX_QUEUE; i++)
		if (p->store[i].type == BYZ_MSG_JOIN)
			j[nj++] = &p->store[i];
	qsort(j, nj, sizeof(j[0]), cmp_h16);
	for (size_t k = 0; k < nj && p->njq < BYZ_WIRE_MAX_QUEUE; k++) {
		const uint8_t *pk = j[k]->m.u.join.pk;
		int at = roster_find(p, pk);
		if (queued(p, pk) || (at >= 0 && (p->banned[at] || !p->left[at])))
			continue;
		memcpy(p->jq[p->njq++], pk, 32);
	}
}

/* Extra validators, one per probationer that committed last step. */
int member_add_validators(struct byz_peer *p, uint16_t *cand, uint32_t nc, uint32_t nact)
{
	uint32_t used = 0;
	for (uint16_t i = 0; i < p->run.n; i++)
		used += p->validator[i];
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (!p->probation[i] || !peer_is_member(p, i) || !p->prev_contrib[i])
			continue;
		/* Contributors stay a majority of the active peers. */
		if (2 * (used + 1) > nact)
			break;
		uint16_t c2[BYZ_MAX_PEERS];
		uint32_t n2 = 0;
		for (uint32_t k = 0; k < nc; k++)
			if (!p->validator[cand[k]])
				c2[n2++] = cand[k];
		if (n2 == 0) /* everybody validated last step: allow a second one */
			for (uint16_t k = 0; k < p->run.n; k++)
				if (p->active[k] && !p->validator[k])
					c2[n2++] = k;
		if (n2 == 0)
			break;
		byz_perm(p->r_prev, "byz-probation", p->step, i, c2, n2);
		p->validator[c2[0]] = 1;
		p->target[c2[0]] = (int16_t)i;
		used++;
	}
	return 0;
}

void member_step_end(struct byz_peer *p, int update)
{
	uint32_t n = p->run.n;
	/* Probation credit: a participating validator checked this peer. */
	for (uint16_t i = 0; i < n; i++) {
		if (!p->probation[i] || p->banned[i] || p->left[i])
			continue;
		int checked = 0;
		for (uint16_t v = 0; v < n && update; v++)
			if (p->validator[v] && p->target[v] == (int16_t)i && p->committer[v])
				checked = 1;
		if (checked && p->clean[i] < UINT16_MAX)
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
