/* The small swarm driver of minisw.h. */
#include "minisw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/wire.h"

static int qpush(struct msw *s, struct msw_ev e)
{
	if (s->nq == s->capq) {
		size_t nc = s->capq ? 2 * s->capq : 256;
		struct msw_ev *nqv = realloc(s->q, nc * sizeof(*nqv));
		if (!nqv)
			return -ENOMEM;
		s->q = nqv;
		s->capq = nc;
	}
	/* binary heap on (t, insertion order is not needed: ties in any order) */
	size_t i = s->nq++;
	s->q[i] = e;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (s->q[p].t <= s->q[i].t)
			break;
		struct msw_ev tmp = s->q[p];
		s->q[p] = s->q[i];
		s->q[i] = tmp;
		i = p;
	}
	return 0;
}

static struct msw_ev qpop(struct msw *s)
{
	struct msw_ev top = s->q[0];
	s->q[0] = s->q[--s->nq];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nq && s->q[l].t < s->q[m].t)
			m = l;
		if (r < s->nq && s->q[r].t < s->q[m].t)
			m = r;
		if (m == i)
			break;
		struct msw_ev tmp = s->q[m];
		s->q[m] = s->q[i];
		s->q[i] = tmp;
		i = m;
	}
	return top;
}

int msw_init(struct msw *s, uint32_t n, uint64_t seed, size_t d, uint64_t phase_us)
{
	memset(s, 0, sizeof(*s));
	if (n < 2 || n > MSW_MAX || sodium_init() < 0)
		return -EINVAL;
	s->n = n;
	s->seed = seed;
	uint8_t sb[16];
	memcpy(sb, "msw-run!", 8);
	memcpy(sb + 8, &seed, 8);
	byz_run_defaults(&s->run);
	crypto_generichash(s->run.run_id, 32, sb, sizeof(sb), NULL, 0);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t ks[32];
		sb[0] = (uint8_t)i;
		crypto_generichash(ks, 32, sb, sizeof(sb), NULL, 0);
		crypto_sign_seed_keypair(s->roster + 32u * i, s->sk[i], ks);
	}
	s->run.n = n;
	s->run.roster = s->roster;
	s->run.d = d;
	s->run.phase_us = phase_us;
	int rc = byz_toy_lsq_init(&s->toy, s->run.run_id, d, 16);
	if (rc < 0)
		return rc;
	for (uint16_t i = 0; i < n; i++) {
		struct byz_peer_cfg pc = {.run = &s->run, .self = i, .sk = s->sk[i],
					  .oracle = {.grad = byz_toy_lsq_grad, .ctx = &s->toy}};
		s->peer[i] = byz_peer_new(&pc, &rc);
		if (!s->peer[i])
			return rc;
		s->alive[i] = 1;
		s->sched[i] = UINT64_MAX;
	}
	return 0;
}

void msw_free(struct msw *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		byz_peer_free(s->peer[i]);
	for (size_t k = 0; k < s->nq; k++)
		free(s->q[k].buf);
	free(s->q);
	byz_toy_lsq_free(&s->toy);
}

/* Deterministic per-link delay in [1, 3] ms, far inside D/3. */
static uint64_t delay(const struct msw *s, uint16_t from, uint16_t to)
{
	return 1000u + (uint64_t)((from * 131u + to * 71u + s->seed) % 2000u);
}

static void deliver(struct msw *s, uint16_t from, uint16_t to, const uint8_t *buf, size_t len)
{
	uint8_t *c = malloc(len);
	if (!c)
		return;
	memcpy(c, buf, len);
	s->msgs++;
	if (qpush(s, (struct msw_ev){.t = s->now + delay(s, from, to), .to = to, .buf = c,
				    .len = len}) < 0)
		free(c);
}

static void drain(struct msw *s, uint16_t i)
{
	struct byz_peer *p = s->peer[i];
	struct byz_out o;
	while (byz_peer_pop_out(p, &o)) {
		if (!s->mute[i]) {
			for (uint16_t j = 0; j < s->n; j++) {
				if (j == i || !s->alive[j])
					continue;
				if (o.to == BYZ_WIRE_BCAST || o.to == j ||
				    (o.to == BYZ_WIRE_OUTSIDER && byz_peer_syncing(s->peer[j])))
					deliver(s, i, j, o.buf, o.len);
			}
		}
		free(o.buf);
	}
	struct byz_event e;
	while (byz_peer_pop_event(p, &e)) {
		if (s->mute[i])
			continue;
		switch (e.kind) {
		case BYZ_EV_STEP_DONE:
			s->done[i] = e.step;
			if (e.synced && e.step < 64 && !s->byz[i]) {
				if (!s->have_digest[e.step]) {
					memcpy(s->digest[e.step], e.digest, 32);
					s->have_digest[e.step] = 1;
				} else if (memcmp(s->digest[e.step], e.digest, 32) != 0) {
					s->disagree = 1;
				}
			}
			break;
		case BYZ_EV_BAN:
			if (e.peer < MSW_MAX) {
				s->bans[e.peer]++;
				s->ban_reason[e.peer] = e.reason;
			}
			break;
		case BYZ_EV_RESYNCED:
			s->resynced[i]++;
			break;
		case BYZ_EV_JOINED:
			if (e.peer < MSW_MAX)
				s->joined[e.peer]++;
			break;
		case BYZ_EV_ACTIVE:
			if (e.peer < MSW_MAX)
				s->active_ev[e.peer]++;
			break;
		case BYZ_EV_LEFT:
			if (e.peer < MSW_MAX)
				s->left[e.peer]++;
			break;
		default:
			break;
		}
	}
	uint64_t dl = byz_peer_next_deadline(p);
	if (dl != s->sched[i]) {
		s->sched[i] = dl;
		qpush(s, (struct msw_ev){.t = dl, .to = i, .tick = 1});
	}
}

void msw_start(struct msw *s)
{
	for (uint16_t i = 0; i < s->n; i++) {
		byz_peer_start(s->peer[i], 0);
		drain(s, i);
	}
}

static void step_one(struct msw *s)
{
	struct msw_ev e = qpop(s);
	s->now = e.t;
	if (!s->alive[e.to]) {
		free(e.buf);
		return;
	}
	struct byz_peer *p = s->peer[e.to];
	if (e.tick) {
		if (e.t != s->sched[e.to])
			return;
		s->sched[e.to] = UINT64_MAX;
		byz_peer_on_tick(p, e.t);
	} else {
		byz_peer_on_message(p, e.t, e.buf, e.len);
		free(e.buf);
	}
	drain(s, e.to);
}

void msw_run_until(struct msw *s, uint64_t t)
{
	while (s->nq && s->q[0].t <= t)
		step_one(s);
	if (s->now < t)
		s->now = t;
}

int msw_run_while(struct msw *s, int (*cond)(struct msw *, void *), void *ctx, uint64_t limit)
{
	while (!cond(s, ctx)) {
		if (!s->nq || s->q[0].t > limit)
			return 0;
		step_one(s);
	}
	return 1;
}

void msw_crash(struct msw *s, uint16_t i)
{
	byz_peer_free(s->peer[i]);
	s->peer[i] = NULL;
	s->alive[i] = 0;
	s->sched[i] = UINT64_MAX;
}

int msw_restart(struct msw *s, uint16_t i)
{
	/* Only the key survives a crash: the peer starts as one without state
	 * (a joiner whose key is in the roster) and must re-sync. */
	int rc = 0;
	struct byz_peer_cfg pc = {.run = &s->run, .self = i, .sk = s->sk[i], .joiner = 1,
				  .oracle = {.grad = byz_toy_lsq_grad, .ctx = &s->toy}};
	s->peer[i] = byz_peer_new(&pc, &rc);
	if (!s->peer[i])
		return rc;
	s->alive[i] = 1;
	s->sched[i] = UINT64_MAX;
	rc = byz_peer_start(s->peer[i], s->now);
	drain(s, i);
	return rc;
}

int msw_add_joiner(struct msw *s, uint32_t tag)
{
	if (s->n >= MSW_MAX)
		return -ERANGE;
	uint16_t i = (uint16_t)s->n;
	uint8_t sb[20], ks[32], pk[32];
	memcpy(sb, "msw-new!", 8);
	memcpy(sb + 8, &s->seed, 8);
	memcpy(sb + 16, &tag, 4);
	crypto_generichash(ks, 32, sb, sizeof(sb), NULL, 0);
	crypto_sign_seed_keypair(pk, s->sk[i], ks);
	int rc = 0;
	struct byz_peer_cfg pc = {.run = &s->run, .sk = s->sk[i], .joiner = 1,
				  .oracle = {.grad = byz_toy_lsq_grad, .ctx = &s->toy}};
	s->peer[i] = byz_peer_new(&pc, &rc);
	if (!s->peer[i])
		return rc;
	s->n++;
	s->alive[i] = 1;
	s->sched[i] = UINT64_MAX;
	rc = byz_peer_start(s->peer[i], s->now);
	drain(s, i);
	return rc < 0 ? rc : i;
}

int msw_inject(struct msw *s, uint16_t to, const uint8_t *buf, size_t len)
{
	int rc = byz_peer_on_message(s->peer[to], s->now, buf, len);
	drain(s, to);
	return rc;
}

uint64_t msw_min_done(const struct msw *s)
{
	uint64_t m = UINT64_MAX;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->alive[i] && !s->mute[i] && !s->byz[i] && s->done[i] < m)
			m = s->done[i];
	return m;
}

int msw_reached(struct msw *s, void *ctx)
{
	const struct msw_at *a = ctx;
	const struct byz_peer *p = s->peer[0];
	return byz_peer_step(p) > a->step ||
	       (byz_peer_step(p) == a->step && byz_peer_phase(p) >= a->phase);
}

int msw_all_done(struct msw *s, void *ctx)
{
	return msw_min_done(s) >= *(const uint64_t *)ctx;
}

int msw_params_equal(const struct msw *s)
{
	const float *x0 = NULL;
	uint64_t st = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (!s->alive[i] || s->mute[i] || s->byz[i] || byz_peer_syncing(s->peer[i]))
			continue;
		const float *x = byz_peer_params(s->peer[i]);
		if (!x0) {
			x0 = x;
			st = byz_peer_step(s->peer[i]);
		} else if (byz_peer_step(s->peer[i]) == st &&
			   memcmp(x0, x, s->run.d * sizeof(float)) != 0) {
			return 0;
		}
	}
	return x0 != NULL;
}
