/*
 * DESIGN (swarm harness): n peers in one process on a virtual clock. One
 * priority queue holds phase ticks and message deliveries ordered by (time,
 * ticks first, insertion order), so a run is a pure function of its seed. The
 * network draws every delivery's fate (delay, duplication, retransmission
 * after loss, partitions) from one seeded generator. After every step the
 * harness compares the params digests of all honest peers and their ban
 * lists; those checks, not the peers' own claims, are what tests assert.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "byz/swarm.h"
#include "gradattack_int.h"
#include "peer_int.h"

struct qev {
	uint64_t t;
	uint64_t seq;
	uint8_t tick;
	uint16_t to;
	uint8_t *buf;
	size_t len;
	struct byz_agg_job *job; /* an aggregation job to run and hand back */
};

struct banlist {
	struct byz_ban_rec *v;
	size_t n, cap;
};

struct byz_swarm {
	struct byz_swarm_cfg cfg;
	struct byz_swarm_report rep;
	uint8_t *roster;
	uint8_t (*sks)[64];
	struct byz_toy_lsq toy;
	struct byz_peer **peers;
	uint8_t is_byz[BYZ_MAX_PEERS];
	uint16_t byz_ids[BYZ_MAX_PEERS];
	int byz_atk[BYZ_MAX_PEERS];
	struct byz_attacker att[BYZ_MAX_PEERS];
	struct byz_peer_hooks hooks[BYZ_MAX_PEERS];
	struct byz_noisy_oracle noisy[BYZ_MAX_PEERS];
	struct qev *q;
	size_t nq, capq;
	uint64_t seq, now, rng;
	uint64_t sched_tick[BYZ_MAX_PEERS];
	uint64_t done_step[BYZ_MAX_PEERS];
	uint8_t (*ref)[32];  /* honest digest per step */
	uint32_t *ref_count;
	struct banlist bans[BYZ_MAX_PEERS];
	uint8_t side[BYZ_MAX_PEERS];
	uint64_t part_end, part_next;
	uint32_t honest;
	uint16_t first_honest;
	struct byz_ban_rec *bans_copy;
	/* slots: 0..n-1 the initial roster, n..nslots-1 newcomers */
	uint32_t nslots;
	uint8_t slot_pk[BYZ_MAX_PEERS][32];
	uint8_t started[BYZ_MAX_PEERS];
	uint8_t resynced[BYZ_MAX_PEERS];
	uint8_t (*jsks)[64];
	int joiners_started;
	uint8_t *ref_set;
	struct byz_join_rec *joined;
	size_t njoined, capjoined;
	/* training with a real model and gradient attacks (gradattack.c) */
	struct grad_shared gs;
	int stop;
	struct byz_agg_driver agg;
};

struct grad_shared *swarm_grad_shared(struct byz_swarm *s) { return &s->gs; }
const struct byz_swarm_cfg *swarm_cfg(const struct byz_swarm *s) { return &s->cfg; }
void byz_swarm_stop(struct byz_swarm *s) { s->stop = 1; }

static uint64_t rnd(struct byz_swarm *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unif(struct byz_swarm *s)
{
	return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

void byz_swarm_defaults(struct byz_swarm_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->n = 4;
	c->steps = 5;
	c->seed = 1;
	c->d = 256;
	c->batch = 16;
	byz_run_defaults(&c->run);
	c->net.delay_min_us = 1000;
	c->net.delay_max_us = 10000;
	c->net.dup = 0.02;
	c->net.loss = 0.02;
	c->net.retx_us = 10000;
	c->net.partition_rate = 0.0;
	c->net.partition_us = 8000;
}

/* ---------- event queue (binary heap) ---------- */

static int qless(const struct qev *a, const struct qev *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->tick != b->tick)
		return a->tick > b->tick;
	return a->seq < b->seq;
}

static int qpush(struct byz_swarm *s, struct qev e)
{
	if (s->nq == s->capq) {
		size_t nc = s->capq ? 2 * s->capq : 1024;
		struct qev *nq = realloc(s->q, nc * sizeof(*nq));
		if (!nq) {
			free(e.buf);
			return -ENOMEM;
		}
		s->q = nq;
		s->capq = nc;
	}
	e.seq = s->seq++;
	size_t i = s->nq++;
	while (i > 0) {
		size_t par = (i - 1) / 2;
		if (!qless(&e, &s->q[par]))
			break;
		s->q[i] = s->q[par];
		i = par;
	}
	s->q[i] = e;
	return 0;
}

static struct qev qpop(struct byz_swarm *s)
{
	struct qev top = s->q[0], last = s->q[--s->nq];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct qev *best = &last;
		if (l < s->nq && qless(&s->q[l], best)) {
			m = l;
			best = &s->q[l];
		}
		if (r < s->nq && qless(&s->q[r], best))
			m = r;
		if (m == i)
			break;
		s->q[i] = s->q[m];
		i = m;
	}
	if (s->nq)
		s->q[i] = last;
	return top;
}

/* ---------- asynchronous aggregation ---------- */

/* The harness as a worker pool: the job runs when its event comes up. */
static int swarm_agg_submit(void *ctx, struct byz_peer *p, struct byz_agg_job *job)
{
	struct byz_swarm *s = ctx;
	uint16_t i = 0;
	while (i < s->nslots && s->peers[i] != p)
		i++;
	if (i == s->nslots)
		return -EINVAL;
	uint64_t d = s->cfg.agg_slow == (uint32_t)i + 1u ? s->cfg.agg_slow_us : s->cfg.agg_delay_us;
	return qpush(s, (struct qev){.t = s->now + d, .to = i, .job = job});
}

/* ---------- network ---------- */

static void roll_partitions(struct byz_swarm *s)
{
	uint64_t period = s->cfg.run.phase_us;
	while (s->now >= s->part_next) {
		s->part_next += period;
		if (s->cfg.net.partition_rate <= 0 || unif(s) >= s->cfg.net.partition_rate)
			continue;
		memset(s->side, 0, sizeof(s->side));
		uint32_t k = 1 + (uint32_t)(rnd(s) % ((s->cfg.n - 1) / 2 + 1));
		for (uint32_t i = 0; i < k; i++) /* n >= 2 was checked at creation */
			s->side[rnd(s) % s->cfg.n] = 1; /* NOLINT(clang-analyzer-core.DivideZero) */
		s->part_end = s->part_next - period + s->cfg.net.partition_us;
	}
}

/* A copy of buf for `to` at virtual time t, counted in the report. */
static int enqueue(struct byz_swarm *s, uint16_t to, uint64_t t, const uint8_t *buf, size_t len)
{
	uint8_t *cp = malloc(len ? len : 1);
	if (!cp)
		return -ENOMEM;
	memcpy(cp, buf, len);
	s->rep.msgs++;
	s->rep.bytes += len;
	unsigned ty = len > 1 && buf[1] < BYZ_SWARM_TYPES ? buf[1] : BYZ_SWARM_TYPES - 1;
	s->rep.type_msgs[ty]++;
	s->rep.type_bytes[ty] += len;
	/* qpush owns cp from here (it frees it when it fails) */
	// cppcheck-suppress memleak
	return qpush(s, (struct qev){.t = t, .tick = 0, .to = to, .buf = cp, .len = len});
}

static void deliver(struct byz_swarm *s, uint16_t from, uint16_t to, const uint8_t *buf,
		    size_t len)
{
	const struct byz_net_cfg *nc = &s->cfg.net;
	int copies = unif(s) < nc->dup ? 2 : 1;
	for (int c = 0; c < copies; c++) {
		uint64_t span = nc->delay_max_us > nc->delay_min_us ? nc->delay_max_us - nc->delay_min_us : 0;
		uint64_t t = s->now + nc->delay_min_us + (span ? rnd(s) % (span + 1) : 0);
		if (unif(s) < nc->loss)
			t += nc->retx_us;
		if (s->now < s->part_end && s->side[from] != s->side[to] && t < s->part_end + 1)
			t = s->part_end + 1 + (t - s->now);
		if (enqueue(s, to, t, buf, len) == -ENOMEM)
			return;
	}
}

int swarm_deliver_at(struct byz_swarm *s, uint16_t from, uint16_t to, uint64_t t,
		     const uint8_t *buf, size_t len)
{
	const uint8_t *pk = byz_peer_roster_key(s->peers[from], to);
	int j = pk ? byz_swarm_slot_of(s, pk) : -1;
	/* Initial peers all start at time 0 (the first COMMITs are sent while
	 * they do); later newcomers only once started. */
	if (j < 0 || j == from || (!s->started[j] && (uint32_t)j >= s->cfg.n))
		return -ENOENT;
	return enqueue(s, (uint16_t)j, t < s->now ? s->now : t, buf, len);
}

static void record_ban(struct byz_swarm *s, uint16_t at, const struct byz_event *e)
{
	struct banlist *b = &s->bans[at];
	if (b->n == b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 8;
		struct byz_ban_rec *nv = realloc(b->v, nc * sizeof(*nv));
		if (!nv)
			return;
		b->v = nv;
		b->cap = nc;
	}
	b->v[b->n++] = (struct byz_ban_rec){.peer = e->peer, .step = e->step,
					   .reason = e->reason, .accuser = e->accuser};
}

int byz_swarm_slot_of(const struct byz_swarm *s, const uint8_t pk[32])
{
	for (uint32_t j = 0; j < s->nslots; j++)
		if (memcmp(s->slot_pk[j], pk, 32) == 0)
			return (int)j;
	return -1;
}

/* Peers address roster indices; the harness maps them to slots by key (a
 * newcomer's index is known only once it is admitted). */
static void route(struct byz_swarm *s, uint16_t i, const struct byz_out *o)
{
	if (o->to == BYZ_WIRE_BCAST || o->to == BYZ_WIRE_OUTSIDER) {
		/* OUTSIDER: every listener without trusted state (the transport
		 * knows who asked). */
		for (uint32_t j = 0; j < s->nslots; j++)
			if (j != i && s->started[j] &&
			    (o->to == BYZ_WIRE_BCAST || byz_peer_syncing(s->peers[j])))
				deliver(s, i, (uint16_t)j, o->buf, o->len);
		return;
	}
	const uint8_t *pk = byz_peer_roster_key(s->peers[i], o->to);
	int j = pk ? byz_swarm_slot_of(s, pk) : -1;
	if (j >= 0 && j != i && s->started[j])
		deliver(s, i, (uint16_t)j, o->buf, o->len);
}

static void record_join(struct byz_swarm *s, const struct byz_event *e, int active)
{
	if (active) {
		for (size_t k = s->njoined; k-- > 0;)
			if (s->joined[k].peer == e->peer) {
				s->joined[k].active = e->step + 1;
				break;
			}
		return;
	}
	if (s->njoined == s->capjoined) {
		size_t nc = s->capjoined ? 2 * s->capjoined : 8;
		struct byz_join_rec *nj = realloc(s->joined, nc * sizeof(*nj));
		if (!nj)
			return;
		s->joined = nj;
		s->capjoined = nc;
	}
	const uint8_t *pk = byz_peer_roster_key(s->peers[s->first_honest], e->peer);
	int slot = pk ? byz_swarm_slot_of(s, pk) : -1;
	s->joined[s->njoined++] = (struct byz_join_rec){
		.peer = e->peer, .slot = (uint16_t)(slot < 0 ? 0xffff : slot),
		.admitted = e->step + 1, .active = UINT64_MAX,
		.byz = slot >= 0 && s->is_byz[slot]};
}

static void drain(struct byz_swarm *s, uint16_t i)
{
	struct byz_peer *p = s->peers[i];
	struct byz_out o;
	roll_partitions(s);
	while (byz_peer_pop_out(p, &o)) {
		route(s, i, &o);
		free(o.buf);
	}
	struct byz_event e;
	while (byz_peer_pop_event(p, &e)) {
		if (s->is_byz[i])
			continue;
		switch (e.kind) {
		case BYZ_EV_STEP_DONE:
			if (e.step >= 1 && e.step <= s->cfg.steps) {
				uint64_t k = e.step;
				if (e.synced) { /* a re-syncing peer claims nothing */
					if (!s->ref_set[k]) {
						memcpy(s->ref[k], e.digest, 32);
						s->ref_set[k] = 1;
					} else if (memcmp(s->ref[k], e.digest, 32) != 0) {
						s->rep.replicas_identical = 0;
					}
				}
				if (i >= s->cfg.n) /* newcomers do not gate progress */
					break;
				s->ref_count[k]++;
				s->done_step[i] = k;
				if (s->ref_count[k] == s->honest) {
					s->rep.steps_done = k;
					if (s->cfg.progress)
						s->cfg.progress(s->cfg.progress_ctx, s, k);
				}
			}
			break;
		case BYZ_EV_BAN:
			if (i < s->cfg.n)
				record_ban(s, i, &e);
			break;
		case BYZ_EV_JOINED:
		case BYZ_EV_ACTIVE:
			if (i == s->first_honest)
				record_join(s, &e, e.kind == BYZ_EV_ACTIVE);
			break;
		case BYZ_EV_OUT_OF_SYNC:
			s->rep.out_of_sync++;
			s->resynced[i] = 1;
			break;
		case BYZ_EV_RESYNCED:
			if (i < s->cfg.n)
				s->rep.resyncs++;
			break;
		case BYZ_EV_RESTART:
			if (i == s->first_honest)
				s->rep.restarts++;
			break;
		case BYZ_EV_SILENT:
			if (i == s->first_honest)
				s->rep.silent_events++;
			break;
		case BYZ_EV_LEFT:
			if (i == s->first_honest)
				s->rep.left_events++;
			break;
		case BYZ_EV_ACCUSE:
			s->rep.accusations++;
			break;
		case BYZ_EV_LATE:
			s->rep.late_events++;
			s->rep.late_agg += e.reason == BYZ_LATE_AGG;
			break;
		default:
			break;
		}
	}
	/* A halted peer has no schedule (its deadline stays in the past: ticking
	 * it again would spin at one virtual time). */
	uint64_t dl = byz_peer_next_deadline(p);
	if (!byz_peer_halted(p) && dl != s->sched_tick[i]) {
		s->sched_tick[i] = dl;
		qpush(s, (struct qev){.t = dl, .tick = 1, .to = i});
	}
}

/* ---------- construction ---------- */

void byz_swarm_derive_keys(uint64_t seed, uint32_t n, uint8_t run_id[32], uint8_t *roster,
			   uint8_t (*sks)[64])
{
	uint8_t sb[13 + 8];
	memcpy(sb, "byz-swarm-run", 13);
	byz_put64(sb + 13, seed);
	crypto_generichash(run_id, 32, sb, sizeof(sb), NULL, 0);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t kb[13 + 8 + 2], ks[32];
		memcpy(kb, "byz-swarm-key", 13);
		byz_put64(kb + 13, seed);
		byz_put16(kb + 21, (uint16_t)i);
		crypto_generichash(ks, 32, kb, sizeof(kb), NULL, 0);
		crypto_sign_seed_keypair(roster + 32u * i, sks[i], ks);
		sodium_memzero(ks, sizeof(ks));
	}
}

struct byz_swarm *byz_swarm_new(const struct byz_swarm_cfg *cfg, int *err)
{
	int rc = -EINVAL;
	struct byz_swarm *s = NULL;
	if (!cfg || cfg->n < 2 || cfg->n > BYZ_MAX_PEERS || 2 * cfg->nbyz >= cfg->n ||
	    cfg->n + cfg->joiners > BYZ_MAX_PEERS || cfg->joiner_byz > cfg->joiners ||
	    (cfg->joiner_byz && !byz_attack_name(cfg->joiner_attack)) ||
	    cfg->steps == 0 || cfg->d == 0 || cfg->batch == 0 ||
	    (cfg->nbyz && (!cfg->attacks || cfg->nattacks == 0)) ||
	    cfg->net.delay_max_us < cfg->net.delay_min_us || cfg->noisy > cfg->n - cfg->nbyz ||
	    (cfg->noisy && !(cfg->noise >= 0 && cfg->noise < 1)))
		goto fail;
	for (uint32_t a = 0; a < cfg->nattacks; a++)
		if (!byz_attack_name(cfg->attacks[a]))
			goto fail;
	if (sodium_init() < 0) {
		rc = -EIO;
		goto fail;
	}
	rc = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->cfg = *cfg;
	s->rng = cfg->seed ^ 0x6a09e667f3bcc909ull;
	uint32_t n = cfg->n;
	s->roster = malloc(32u * n);
	s->sks = sodium_malloc(64u * n);
	s->nslots = n + cfg->joiners;
	s->peers = calloc(BYZ_MAX_PEERS, sizeof(*s->peers));
	s->ref = calloc(cfg->steps + 1u, 32);
	s->ref_count = calloc(cfg->steps + 1u, sizeof(uint32_t));
	s->ref_set = calloc(cfg->steps + 1u, 1);
	s->jsks = sodium_malloc(64u * (cfg->joiners ? cfg->joiners : 1));
	if (!s->roster || !s->sks || !s->peers || !s->ref || !s->ref_count || !s->ref_set ||
	    !s->jsks)
		goto fail;

	struct byz_run run = cfg->run;
	byz_swarm_derive_keys(cfg->seed, n, run.run_id, s->roster, s->sks);
	for (uint16_t i = 0; i < n; i++)
		memcpy(s->slot_pk[i], s->roster + 32u * i, 32);
	for (uint32_t k = 0; k < cfg->joiners; k++) {
		uint8_t kb[13 + 8 + 2], seed[32];
		memcpy(kb, "byz-swarm-join", 13);
		byz_put64(kb + 13, cfg->seed);
		byz_put16(kb + 21, (uint16_t)k);
		crypto_generichash(seed, 32, kb, sizeof(kb), NULL, 0);
		crypto_sign_seed_keypair(s->slot_pk[n + k], s->jsks[k], seed);
		sodium_memzero(seed, sizeof(seed));
	}
	run.n = n;
	run.roster = s->roster;
	run.d = cfg->d;
	s->cfg.run = run;
	rc = byz_toy_lsq_init(&s->toy, run.run_id, cfg->d, cfg->batch);
	if (rc)
		goto fail;
	s->gs.honest = cfg->oracle.grad ? cfg->oracle
					: (struct byz_oracle){.grad = byz_toy_lsq_grad, .ctx = &s->toy};
	s->gs.flip = cfg->oracle_flip;

	/* Attackers: a seeded choice of ids, attacks round-robin. */
	uint16_t ids[BYZ_MAX_PEERS];
	for (uint16_t i = 0; i < n; i++)
		ids[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd(s) % (i + 1));
		uint16_t t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	for (uint32_t b = 0; b < cfg->nbyz; b++)
		s->is_byz[ids[b]] = 1;
	uint32_t nb = 0;
	for (uint16_t i = 0; i < n; i++)
		if (s->is_byz[i]) {
			/* nattacks >= 1 whenever nbyz >= 1 (checked above) */
			s->byz_atk[nb] = cfg->attacks[nb % cfg->nattacks]; /* NOLINT(clang-analyzer-core.DivideZero) */
			s->byz_ids[nb++] = i;
		}
	s->honest = n - cfg->nbyz;
	while (s->first_honest < n && s->is_byz[s->first_honest])
		s->first_honest++;

	uint32_t nnoisy = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct byz_peer_cfg pc = {.run = &s->cfg.run, .self = i, .sk = s->sks[i],
					  .oracle = s->gs.honest};
		if (!s->is_byz[i] && nnoisy < cfg->noisy) {
			nnoisy++;
			s->noisy[i] = (struct byz_noisy_oracle){.inner = pc.oracle, .rel = cfg->noise,
								.salt = cfg->seed * 31u + i};
			pc.oracle = (struct byz_oracle){.grad = byz_noisy_grad, .ctx = &s->noisy[i]};
		}
		if (s->is_byz[i]) {
			uint32_t b = 0;
			while (s->byz_ids[b] != i)
				b++;
			struct byz_attacker *a = &s->att[i];
			a->attack = s->byz_atk[b];
			a->start_step = cfg->attack_start;
			a->seed = cfg->seed * 1000003u + i;
			a->swarm = s;
			if (byz_attack_grad_kind(a->attack) >= 0) {
				rc = gradattack_init(a, &s->cfg);
				if (rc)
					goto fail;
			}
			byz_attacker_hooks(a, &s->hooks[i]);
			pc.hooks = &s->hooks[i];
		}
		s->peers[i] = byz_peer_new(&pc, &rc);
		if (!s->peers[i])
			goto fail;
		if (cfg->x0) /* a model's initialisation instead of zeros */
			memcpy(s->peers[i]->x, cfg->x0, cfg->d * sizeof(float));
	}
	for (uint32_t k = 0; k < cfg->joiners; k++) {
		uint16_t slot = (uint16_t)(n + k);
		struct byz_peer_cfg pc = {.run = &s->cfg.run, .self = 0, .sk = s->jsks[k],
					  .oracle = s->gs.honest, .joiner = 1};
		if (k < cfg->joiner_byz) {
			s->is_byz[slot] = 1;
			struct byz_attacker *a = &s->att[slot];
			a->attack = cfg->joiner_attack;
			a->seed = cfg->seed * 1000003u + slot;
			a->swarm = s;
			if (byz_attack_grad_kind(a->attack) >= 0) {
				rc = gradattack_init(a, &s->cfg);
				if (rc)
					goto fail;
			}
			byz_attacker_hooks(a, &s->hooks[slot]);
			pc.hooks = &s->hooks[slot];
		}
		s->peers[slot] = byz_peer_new(&pc, &rc);
		if (!s->peers[slot])
			goto fail;
	}
	if (cfg->agg_async) {
		s->agg = (struct byz_agg_driver){.ctx = s, .submit = swarm_agg_submit};
		for (uint16_t i = 0; i < s->nslots; i++)
			byz_peer_set_agg(s->peers[i], &s->agg);
	}
	if (cfg->corrupt_step) {
		/* The last honest initial peer (the report reads the first). */
		for (int i = (int)n - 1; i >= 0; i--)
			if (!s->is_byz[i]) {
				byz_peer_corrupt_at(s->peers[i], cfg->corrupt_step);
				break;
			}
	}
	s->rep.n = n;
	s->rep.nbyz = cfg->nbyz;
	s->rep.byz = s->byz_ids;
	s->rep.byz_attack = s->byz_atk;
	s->rep.replicas_identical = 1;
	if (err)
		*err = 0;
	return s;
fail:
	byz_swarm_free(s);
	if (err)
		*err = rc;
	return NULL;
}

void byz_swarm_free(struct byz_swarm *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nq; i++)
		free(s->q[i].buf);
	free(s->q);
	if (s->peers)
		for (uint32_t i = 0; i < BYZ_MAX_PEERS; i++)
			byz_peer_free(s->peers[i]);
	for (uint32_t i = 0; i < BYZ_MAX_PEERS; i++) {
		byz_attacker_free(&s->att[i]);
		free(s->bans[i].v);
	}
	free(s->peers);
	if (s->sks)
		sodium_free(s->sks);
	if (s->jsks)
		sodium_free(s->jsks);
	free(s->ref_set);
	free(s->joined);
	free(s->roster);
	free(s->ref);
	free(s->ref_count);
	byz_toy_lsq_free(&s->toy);
	grad_shared_free(&s->gs);
	free(s->bans_copy);
	free(s);
}

int byz_swarm_is_byz(const struct byz_swarm *s, uint16_t id)
{
	/* NULL: an attacker outside the harness (byzd --attack) knows no colluders. */
	return s && id < s->nslots && s->is_byz[id];
}

struct byz_peer *byz_swarm_peer(const struct byz_swarm *s, uint16_t id)
{
	return id < s->nslots ? s->peers[id] : NULL;
}

uint64_t byz_swarm_now(const struct byz_swarm *s) { return s->now; }

const struct byz_swarm_report *byz_swarm_report(const struct byz_swarm *s)
{
	return &s->rep;
}

static void finish_report(struct byz_swarm *s)
{
	uint16_t first = 0;
	while (first < s->cfg.n && s->is_byz[first])
		first++;
	struct banlist *b0 = &s->bans[first];
	struct byz_ban_rec *copy = malloc((b0->n ? b0->n : 1) * sizeof(*copy));
	if (copy && b0->n)
		memcpy(copy, b0->v, b0->n * sizeof(*copy));
	s->bans_copy = copy;
	s->rep.bans = copy;
	s->rep.nbans = copy ? b0->n : 0;
	uint8_t hb[BYZ_MAX_PEERS] = {0};
	s->rep.bans_consistent = 1;
	for (uint16_t i = 0; i < s->cfg.n; i++) {
		/* A peer that re-synced missed the bans of the steps it sat out;
		 * its final ban set is compared below instead. */
		if (s->is_byz[i] || s->resynced[i])
			continue;
		struct banlist *b = &s->bans[i];
		if (b->n != b0->n)
			s->rep.bans_consistent = 0;
		for (size_t k = 0; k < b->n; k++) {
			const uint8_t *bk = byz_peer_roster_key(s->peers[first], b->v[k].peer);
			int bs = bk ? byz_swarm_slot_of(s, bk) : -1;
			if (bs >= 0 && !s->is_byz[bs])
				hb[bs] = 1;
			if (k < b0->n && (b->v[k].peer != b0->v[k].peer || b->v[k].step != b0->v[k].step ||
					  b->v[k].reason != b0->v[k].reason))
				s->rep.bans_consistent = 0;
		}
	}
	/* Every in-sync honest peer, newcomers included, ends with the same
	 * roster and ban set; no honest key is banned in any of them. */
	const struct byz_peer *f0 = s->peers[first];
	uint32_t nr = byz_peer_roster_size(f0);
	for (uint16_t i = 0; i < s->nslots; i++) {
		const struct byz_peer *q = s->peers[i];
		if (s->is_byz[i] || !s->started[i])
			continue;
		if (byz_peer_syncing(q)) {
			if (i < s->cfg.n) /* an initial member never got back in sync */
				s->rep.bans_consistent = 0;
			continue;
		}
		if (byz_peer_roster_size(q) != nr)
			s->rep.bans_consistent = 0;
		for (uint16_t k = 0; k < nr && k < byz_peer_roster_size(q); k++) {
			if (memcmp(byz_peer_roster_key(q, k), byz_peer_roster_key(f0, k), 32) != 0 ||
			    byz_peer_has_banned(q, k) != byz_peer_has_banned(f0, k))
				s->rep.bans_consistent = 0;
			int slot = byz_swarm_slot_of(s, byz_peer_roster_key(q, k));
			if (byz_peer_has_banned(q, k) && slot >= 0 && !s->is_byz[slot])
				hb[slot] = 1;
		}
	}
	s->rep.honest_banned = 0;
	for (uint16_t i = 0; i < s->nslots; i++)
		s->rep.honest_banned += hb[i];
	s->rep.verifies = 0;
	for (uint16_t i = 0; i < s->nslots; i++)
		s->rep.verifies += byz_peer_verifies(s->peers[i]);
	s->rep.active_end = 0;
	for (uint16_t k = 0; k < nr; k++)
		s->rep.active_end += (uint32_t)byz_peer_is_active(f0, k);
	s->rep.joined = s->joined;
	s->rep.njoined = s->njoined;
	const float *x = byz_peer_params(s->peers[first]);
	s->rep.dist_end = byz_toy_lsq_dist(&s->toy, x);
	byz_params_digest(s->cfg.run.run_id, byz_peer_step(s->peers[first]), x, s->cfg.d,
			  s->rep.params_digest);
	s->rep.virtual_us = s->now;
	for (uint16_t i = 0; i < s->nslots; i++)
		if (!s->is_byz[i] && s->started[i])
			s->rep.dropped += byz_peer_dropped(s->peers[i]);
}

int byz_swarm_run(struct byz_swarm *s)
{
	if (!s)
		return -EINVAL;
	float *zero = calloc(s->cfg.d, sizeof(float));
	if (zero) {
		s->rep.dist_start = byz_toy_lsq_dist(&s->toy, zero);
		free(zero);
	}
	s->part_next = s->cfg.run.phase_us / 2;
	for (uint16_t i = 0; i < s->nslots; i++)
		s->sched_tick[i] = UINT64_MAX;
	/* All initial peers are up before any first-attempt message is routed:
	 * draining each as it starts would deliver its COMMIT only to the peers
	 * started before it, and the digest phase would then push about n^3/6
	 * COMMITs (a start artifact, not the protocol's cost). */
	for (uint16_t i = 0; i < s->cfg.n; i++) {
		byz_peer_start(s->peers[i], 0);
		s->started[i] = 1;
	}
	for (uint16_t i = 0; i < s->cfg.n; i++)
		drain(s, i);
	/* Each step takes at most max_attempts attempts (relay windows included). */
	uint64_t limit = (uint64_t)(s->cfg.steps + 1) * s->cfg.run.max_attempts *
			 byz_run_attempt_us(&s->cfg.run, s->cfg.n);
	int rc = 0;
	while (s->rep.steps_done < s->cfg.steps && !s->stop) {
		if (s->nq == 0 || s->q[0].t > limit) {
			rc = -ETIMEDOUT;
			break;
		}
		if (!s->joiners_started && s->rep.steps_done >= s->cfg.join_step) {
			s->joiners_started = 1;
			for (uint16_t j = (uint16_t)s->cfg.n; j < s->nslots; j++) {
				byz_peer_start(s->peers[j], s->now);
				s->started[j] = 1;
				drain(s, j);
			}
		}
		struct qev e = qpop(s);
		s->now = e.t;
		struct byz_peer *p = s->peers[e.to];
		if (e.job) {
			byz_agg_job_run(e.job);
			byz_peer_agg_done(p, e.t, e.job);
		} else if (e.tick) {
			if (e.t != s->sched_tick[e.to])
				continue; /* superseded */
			s->sched_tick[e.to] = UINT64_MAX;
			byz_peer_on_tick(p, e.t);
		} else {
			byz_peer_on_message(p, e.t, e.buf, e.len);
			free(e.buf);
		}
		drain(s, e.to);
	}
	s->rep.finished = s->rep.steps_done >= s->cfg.steps;
	finish_report(s);
	return rc;
}
