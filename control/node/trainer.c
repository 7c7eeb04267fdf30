/*
 * DESIGN (trainer API, byz/trainer.h). The node runtime takes its gradient
 * from an oracle callback that the peer calls inside byz_peer_on_tick at the
 * start of a step, in the same tick that decided the previous step. A
 * trainer has its gradient only after it saw that decision, so:
 *   - a polling thread of ours drives the node (byz_node_poll);
 *   - our oracle, when the peer asks for its own gradient of step s, first
 *     publishes the report of step s - 1 (the aggregate, read from the peer,
 *     and the step's events, peeked from the node's and the peer's queues
 *     since nobody has popped them yet) together with the seed of step s,
 *     then waits for the caller's thread to hand the gradient in;
 *   - a step that asks no gradient of us (we validate it) is published by
 *     the polling thread after the poll that ended the previous step;
 *   - the oracle's other calls (validation, adjudication: always the
 *     previous step's parameters) go to the trainer's validation callback.
 * The peer calls the oracle for its own gradient with its current params
 * (x) and for validation with x_prev, so the pointer tells the two apart.
 * Reports queue (a few deep) so a caller that lags behind validator steps
 * loses none; the poll thread waits when the queue is full. Caller and
 * polling thread meet under one mutex, a few times per step, never per
 * packet.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "byz/bringup.h"
#include "byz/config.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/ident.h"
#include "byz/trainer.h"
#include "node_int.h"

#define QDEPTH 4u /* reports published and not yet collected */

struct report_slot {
	struct byz_trainer_report rep;
	float *agg;
};

/* What byz_trainer_open / byz_trainer_local own besides the node. */
struct owned {
	struct byz_config cfg;
	struct byz_ident id;
	struct byz_run run;
	struct byz_bringup_addrs a;
	struct byz_bringup_ports xp;     /* [peer] port links */
	uint16_t port;
	int port_started;
	struct rte_mempool *pool;
};

/* What a trainer opened from a config brought up itself, torn down. */
static void owned_free(struct owned *o)
{
	if (!o)
		return;
	byz_bringup_ports_close(&o->xp);
	if (o->port_started) {
		rte_eth_dev_stop(o->port);
		rte_eth_dev_close(o->port);
	}
	rte_mempool_free(o->pool);
	byz_ident_free(&o->id);
	free(o);
}

struct byz_trainer {
	struct byz_node *node;
	size_t d;
	uint16_t self;
	uint32_t npeers;
	uint64_t (*clk)(void);
	int busy;
	uint64_t grad_timeout_ns;
	uint64_t origin;
	byz_trainer_grad_fn validate;
	void *vctx;
	struct byz_peer_hooks hooks;      /* ours, chaining the caller's */
	const struct byz_peer_hooks *user; /* NULL: honest */
	struct owned *own;                /* NULL: the caller's setup */
	int local;                        /* one of byz_trainer_local's */

	pthread_t th;
	int th_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int stop;
	int dead;                         /* the node halted: -ECONNABORTED, else 0 */
	uint64_t pub;                     /* reports published (steps 0..pub-1) */
	struct byz_trainer_next info0;    /* step 0, before any report */
	int info0_known;
	struct report_slot q[QDEPTH];
	uint64_t qhead, qtail;            /* reports qhead..qtail-1 await collection */
	uint64_t cur;                     /* step the caller works on */
	struct byz_trainer_next cur_info;
	int cur_known, submitted;
	float *grad;                      /* handed in for step grad_step */
	uint64_t grad_step;
	int grad_ready;
	/* polling thread only */
	uint64_t contributed;             /* 1 + last step we gave a gradient to */
	uint64_t mute_step;               /* 1 + step whose COMMIT/PART we withhold */
	int info0_seen;                   /* info0_known, as this thread last saw it */
	int dead_seen;                    /* dead, as this thread last set it */
	struct byz_event *log;            /* popped events of unpublished steps */
	uint32_t nlog, loglost;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Absolute CLOCK_REALTIME deadline for pthread_cond_timedwait. */
static struct timespec deadline_in(uint64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000ull;
	ts.tv_sec += (time_t)(ns / 1000000000ull + t / 1000000000ull);
	ts.tv_nsec = (long)(t % 1000000000ull);
	return ts;
}

/* ---------------------------------------------------------- publication */

/* @p judged: set when the event says this peer judged the step itself
 * (STEP_DONE with synced = 1). */
static void rep_add(struct byz_trainer_report *r, const struct byz_event *e, int *judged)
{
	if (e->kind == BYZ_EV_BAN)
		r->bans++;
	else if (e->kind == BYZ_EV_SILENT)
		r->excluded++;
	if (e->kind == BYZ_EV_STEP_DONE) {
		memcpy(r->digest, e->digest, 32);
		*judged = *judged || e->synced;
		return; /* the report itself says the step is done */
	}
	if (r->nevents < BYZ_TRAINER_MAX_EVENTS)
		r->events[r->nevents++] = *e;
	else
		r->events_lost++;
}

/* Events of step s: from an event's own step (STEP_DONE carries s + 1). */
static int ev_of(const struct byz_event *e, uint64_t s)
{
	return e->kind == BYZ_EV_STEP_DONE ? e->step == s + 1 : e->step == s;
}

/*
 * Publish the report of step pub (mu held) with what step pub + 1 asks.
 * @p peek: also the events still queued in the node and the peer (inside
 * the oracle, before the driver popped them).
 */
static int publish(struct byz_trainer *t, const struct byz_trainer_next *next, int peek)
{
	while (t->qtail - t->qhead == QDEPTH && !t->stop)
		pthread_cond_wait(&t->cv, &t->mu); /* the caller lags: wait for it */
	if (t->stop)
		return -ECANCELED;
	uint64_t s = t->pub;
	struct report_slot *sl = &t->q[t->qtail % QDEPTH];
	struct byz_trainer_report *r = &sl->rep;
	memset(r, 0, offsetof(struct byz_trainer_report, events));
	r->step = s;
	r->contributed = t->contributed == s + 1;
	r->events_lost = t->loglost;
	int judged = 0;
	for (uint32_t i = 0; i < t->nlog; i++)
		if (ev_of(&t->log[i], s))
			rep_add(r, &t->log[i], &judged);
	t->nlog = 0;
	t->loglost = 0;
	if (peek) {
		const struct byz_node *n = t->node;
		for (size_t i = n->evhead; i < n->nev; i++)
			if (ev_of(&n->ev[i], s))
				rep_add(r, &n->ev[i], &judged);
		const struct byz_peer *p = byz_node_peer(n);
		struct byz_event e;
		for (size_t i = 0; byz_peer_peek_event(p, i, &e); i++)
			if (ev_of(&e, s))
				rep_add(r, &e, &judged);
	}
	/* Only a step this peer judged itself has its aggregate in the peer. A
	 * step it was late in ends without a judgement (it re-syncs): the peer's
	 * buffer then holds that attempt's partial, unchecked results over the
	 * previous step's aggregate, and have_prev still says the previous one
	 * updated; steps passed while re-syncing were never seen. Handing either
	 * out as the step's aggregate made a late trainer apply a stale or
	 * partial update (and diverge). */
	const float *agg = judged ? byz_peer_aggregate(byz_node_peer(t->node)) : NULL;
	r->updated = agg != NULL;
	if (agg)
		memcpy(sl->agg, agg, t->d * sizeof(float));
	else
		memset(sl->agg, 0, t->d * sizeof(float));
	r->next = *next;
	t->qtail++;
	t->pub = s + 1;
	pthread_cond_broadcast(&t->cv);
	return 0;
}

/* --------------------------------------------------------------- oracle */

static int oracle(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g)
{
	struct byz_trainer *t = ctx;
	const struct byz_peer *p = byz_node_peer(t->node);
	uint64_t s = byz_peer_step(p);
	if (x != byz_peer_params(p)) {
		/* validation or adjudication: the previous step's parameters */
		if (s == 0 || !t->validate)
			return -ENOSYS;
		return t->validate(t->vctx, s - 1, seed, g, d);
	}
	struct byz_trainer_next nx = {.step = s, .contribute = 1};
	memcpy(nx.seed, seed, 32);
	pthread_mutex_lock(&t->mu);
	int r = 0;
	if (s == 0) {
		t->info0 = nx;
		t->info0_known = 1;
		pthread_cond_broadcast(&t->cv);
	} else if (t->pub == s - 1) {
		r = publish(t, &nx, 1);
	}
	struct timespec dl = deadline_in(t->grad_timeout_ns);
	while (!r && !t->stop && !(t->grad_ready && t->grad_step == s))
		if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT)
			r = -ETIMEDOUT;
	if (t->grad_ready && t->grad_step == s) {
		memcpy(g, t->grad, d * sizeof(float));
		t->contributed = s + 1;
		r = 0;
	} else {
		if (!r)
			r = -ECANCELED;
		t->mute_step = s + 1; /* no gradient: stay silent rather than commit junk */
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}

/* Withhold COMMIT and PART of a step we have no gradient for (silent, not
 * banned); then the caller's hooks, if any. */
static int hk_send(void *ctx, struct byz_peer *p, struct byz_send *s)
{
	struct byz_trainer *t = ctx;
	if (t->mute_step && t->mute_step == byz_peer_step(p) + 1 &&
	    (s->type == BYZ_MSG_COMMIT || s->type == BYZ_MSG_PART))
		return 1;
	if (t->user && t->user->on_send)
		return t->user->on_send(t->user->ctx, p, s);
	return 0;
}

static void hk_grad(void *ctx, struct byz_peer *p, float *g, size_t d)
{
	struct byz_trainer *t = ctx;
	if (t->user && t->user->on_gradient)
		t->user->on_gradient(t->user->ctx, p, g, d);
}

static void hk_agg(void *ctx, struct byz_peer *p, uint16_t part, float *y, uint32_t len)
{
	struct byz_trainer *t = ctx;
	if (t->user && t->user->on_aggregate)
		t->user->on_aggregate(t->user->ctx, p, part, y, len);
}

static void hk_phase(void *ctx, struct byz_peer *p, unsigned phase)
{
	struct byz_trainer *t = ctx;
	if (t->user && t->user->on_phase)
		t->user->on_phase(t->user->ctx, p, phase);
}

static void hk_recv(void *ctx, struct byz_peer *p, const uint8_t *buf, size_t len)
{
	struct byz_trainer *t = ctx;
	if (t->user && t->user->on_receive)
		t->user->on_receive(t->user->ctx, p, buf, len);
}

/* ------------------------------------------------------- polling thread */

static void after_poll(struct byz_trainer *t)
{
	struct byz_event e;
	/* most turns decide nothing: no lock then */
	int more = byz_node_pop_event(t->node, &e);
	int halted = !t->dead_seen && byz_node_fatal(t->node);
	if (!more && !halted && (t->info0_seen || !t->node->started))
		return;
	pthread_mutex_lock(&t->mu);
	for (; more; more = byz_node_pop_event(t->node, &e)) {
		if (e.kind == BYZ_EV_STEP_DONE && e.step >= 1 && e.step - 1 == t->pub) {
			/* no gradient asked for step e.step: we validate it */
			struct byz_trainer_next nx = {.step = e.step, .contribute = 0};
			if (t->nlog < BYZ_TRAINER_MAX_EVENTS)
				t->log[t->nlog++] = e; /* its digest goes into the report */
			if (publish(t, &nx, 0))
				break;
			continue;
		}
		uint64_t es = e.kind == BYZ_EV_STEP_DONE ? e.step - 1 : e.step;
		if (es < t->pub)
			continue; /* reported already (peeked inside the oracle) */
		if (t->nlog < BYZ_TRAINER_MAX_EVENTS)
			t->log[t->nlog++] = e;
		else
			t->loglost++;
	}
	if (!t->info0_known && t->node->started && t->pub == 0) {
		/* the peer began step 0 without asking: we validate it */
		t->info0 = (struct byz_trainer_next){.step = 0, .contribute = 0};
		t->info0_known = 1;
		pthread_cond_broadcast(&t->cv);
	}
	t->info0_seen = t->info0_known;
	if (halted) {
		/* A halted peer decides no more steps: a caller waiting for one
		 * would wait forever. Reports already published still come first. */
		t->dead = -ECONNABORTED;
		t->dead_seen = 1;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}

static void *poll_main(void *arg)
{
	struct byz_trainer *t = arg;
	unsigned idle = 0;
	/* stop is written under mu; a plain atomic load suffices here */
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		if (byz_node_poll(t->node, t->clk()))
			idle = 0;
		else if (!t->busy && ++idle > 64) /* polite: shared cores */
			usleep(idle > 1024 ? 200 : 20);
		after_poll(t);
	}
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static void trainer_free(struct byz_trainer *t);

static struct byz_trainer *trainer_alloc(size_t d)
{
	struct byz_trainer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->d = d;
	t->grad = calloc(d, sizeof(float));
	t->log = calloc(BYZ_TRAINER_MAX_EVENTS, sizeof(*t->log));
	int ok = t->grad && t->log;
	for (unsigned i = 0; i < QDEPTH; i++) {
		t->q[i].agg = calloc(d, sizeof(float));
		ok = ok && t->q[i].agg;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (!ok) {
		trainer_free(t);
		return NULL;
	}
	return t;
}

static void trainer_free(struct byz_trainer *t)
{
	for (unsigned i = 0; i < QDEPTH; i++)
		free(t->q[i].agg);
	free(t->grad);
	free(t->log);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}

/* The trainer and its node, not yet started (the dataplane is still the
 * caller's to set up). */
static struct byz_trainer *trainer_create(const struct byz_trainer_cfg *cfg, int *err)
{
	int e = 0;
	struct byz_trainer *t = NULL;
	if (!cfg || !cfg->node.run || !cfg->validate || cfg->node.run->d == 0) {
		e = -EINVAL;
		goto fail;
	}
	t = trainer_alloc(cfg->node.run->d);
	if (!t) {
		e = -ENOMEM;
		goto fail;
	}
	t->self = cfg->node.self;
	t->npeers = cfg->node.run->n;
	t->clk = cfg->node.clock_ns ? cfg->node.clock_ns : byz_dp_now_ns;
	t->busy = cfg->busy;
	t->validate = cfg->validate;
	t->vctx = cfg->validate_ctx;
	t->user = cfg->node.hooks;
	/* A commit sent late in its phase reaches some peers in time and others
	 * not; better silent for everyone than a split view. */
	t->grad_timeout_ns = cfg->grad_timeout_ns ? cfg->grad_timeout_ns
						  : cfg->node.run->phase_us * 1000u / 4u;
	t->hooks = (struct byz_peer_hooks){.ctx = t, .on_send = hk_send, .on_gradient = hk_grad,
					   .on_aggregate = hk_agg, .on_phase = hk_phase,
					   .on_receive = hk_recv};
	struct byz_node_cfg nc = cfg->node;
	nc.oracle = (struct byz_oracle){.grad = oracle, .ctx = t};
	nc.hooks = &t->hooks;
	t->node = byz_node_new(&nc, &e);
	if (!t->node)
		goto fail;
	t->origin = cfg->origin_ns ? cfg->origin_ns : t->clk() + 100000000ull;
	if (err)
		*err = 0;
	return t;
fail:
	if (t) {
		byz_node_free(t->node);
		trainer_free(t);
	}
	if (err)
		*err = e ? e : -EINVAL;
	return NULL;
}

/* Start the protocol clock and the polling thread: the dataplane is its own from here on. */
static int trainer_start(struct byz_trainer *t)
{
	byz_node_start(t->node, t->origin);
	int r = pthread_create(&t->th, NULL, poll_main, t);
	if (r)
		return -r;
	t->th_up = 1;
	return 0;
}

struct byz_trainer *byz_trainer_new(const struct byz_trainer_cfg *cfg, int *err)
{
	struct byz_trainer *t = trainer_create(cfg, err);
	if (!t)
		return NULL;
	int r = trainer_start(t);
	if (r) {
		byz_trainer_close(t);
		if (err)
			*err = r;
		return NULL;
	}
	return t;
}

size_t byz_trainer_dim(const struct byz_trainer *t) { return t->d; }
uint16_t byz_trainer_self(const struct byz_trainer *t) { return t->self; }
uint32_t byz_trainer_peers(const struct byz_trainer *t) { return t->npeers; }

const struct byz_node_stats *byz_trainer_stats(const struct byz_trainer *t)
{
	return byz_node_stats(t->node);
}

/* The caller's step is known (mu held): from step 0's info or the last
 * collected report. */
static int wait_known(struct byz_trainer *t, uint64_t timeout_ns)
{
	struct timespec dl = deadline_in(timeout_ns);
	while (!t->cur_known) {
		if (t->stop)
			return -ECANCELED;
		if (t->dead)
			return t->dead;
		if (t->cur == 0 && t->info0_known) {
			t->cur_info = t->info0;
			t->cur_known = 1;
			break;
		}
		if (timeout_ns == UINT64_MAX)
			pthread_cond_wait(&t->cv, &t->mu);
		else if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT)
			return -ETIMEDOUT;
	}
	return 0;
}

int byz_trainer_next(struct byz_trainer *t, struct byz_trainer_next *next, uint64_t timeout_ns)
{
	if (!t || !next)
		return -EINVAL;
	pthread_mutex_lock(&t->mu);
	int r = wait_known(t, timeout_ns);
	if (!r)
		*next = t->cur_info;
	pthread_mutex_unlock(&t->mu);
	return r;
}

int byz_trainer_submit(struct byz_trainer *t, const float *grad)
{
	if (!t)
		return -EINVAL;
	if (grad)
		for (size_t c = 0; c < t->d; c++)
			if (!isfinite(grad[c]))
				return -EDOM;
	pthread_mutex_lock(&t->mu);
	int r = t->submitted ? -EBUSY : wait_known(t, UINT64_MAX);
	if (!r && t->cur_info.contribute && !grad)
		r = -EINVAL;
	if (!r) {
		if (t->cur_info.contribute) {
			memcpy(t->grad, grad, t->d * sizeof(float));
			t->grad_step = t->cur;
			t->grad_ready = 1;
		}
		t->submitted = 1; /* a gradient not asked for is ignored */
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}

/* Collect the report of the caller's step if published (mu held). */
static int collect(struct byz_trainer *t, float *agg_out, struct byz_trainer_report *rep)
{
	if (!t->submitted)
		return -EINVAL;
	if (t->qhead == t->qtail)
		return t->stop ? -ECANCELED : t->dead ? t->dead : -EAGAIN;
	struct report_slot *sl = &t->q[t->qhead % QDEPTH];
	if (agg_out)
		memcpy(agg_out, sl->agg, t->d * sizeof(float));
	if (rep)
		*rep = sl->rep;
	t->cur_info = sl->rep.next;
	t->cur = sl->rep.step + 1;
	t->cur_known = 1;
	t->submitted = 0;
	t->grad_ready = 0;
	t->qhead++;
	pthread_cond_broadcast(&t->cv); /* a slot is free */
	return 0;
}

int byz_trainer_poll(struct byz_trainer *t, float *agg_out, struct byz_trainer_report *rep)
{
	if (!t)
		return -EINVAL;
	pthread_mutex_lock(&t->mu);
	int r = collect(t, agg_out, rep);
	pthread_mutex_unlock(&t->mu);
	return r;
}

int byz_trainer_wait(struct byz_trainer *t, float *agg_out, struct byz_trainer_report *rep,
		     uint64_t timeout_ns)
{
	if (!t)
		return -EINVAL;
	uint64_t end = timeout_ns == UINT64_MAX ? UINT64_MAX : mono_ns() + timeout_ns;
	pthread_mutex_lock(&t->mu);
	int r;
	while ((r = collect(t, agg_out, rep)) == -EAGAIN) {
		uint64_t now = mono_ns();
		if (now >= end) {
			r = -ETIMEDOUT;
			break;
		}
		/* bounded sleeps: robust to the realtime clock jumping */
		uint64_t left = end - now;
		struct timespec dl = deadline_in(left < 100000000ull ? left : 100000000ull);
		pthread_cond_timedwait(&t->cv, &t->mu, &dl);
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}

int byz_trainer_step(struct byz_trainer *t, const float *grad, float *agg_out,
		     struct byz_trainer_report *rep)
{
	int r = byz_trainer_submit(t, grad);
	return r ? r : byz_trainer_wait(t, agg_out, rep, UINT64_MAX);
}

/* ----------------------------------------------------- owned bring-ups */

static pthread_mutex_t eal_mu = PTHREAD_MUTEX_INITIALIZER;
static int eal_up;

static int eal_once(const struct byz_eal_cfg *ec, char *why, size_t whylen)
{
	pthread_mutex_lock(&eal_mu);
	int r = 0;
	if (!eal_up) {
		r = byz_eal_init(ec, why, whylen);
		eal_up = r == 0;
	}
	pthread_mutex_unlock(&eal_mu);
	return r ? -EIO : 0;
}

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && whylen)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Local swarm: one fabric and pool per process. */
static struct {
	int open;
	uint32_t left;
	struct byz_ringnet net;
	struct rte_mempool *pool;
	struct byz_run run;
	uint8_t roster[BYZ_CONFIG_MAX_PEERS * 32];
	uint8_t sk[BYZ_CONFIG_MAX_PEERS][64];
} loc;

size_t byz_trainer_report_size(void)
{
	return sizeof(struct byz_trainer_report);
}

void byz_trainer_close(struct byz_trainer *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (t->th_up)
		pthread_join(t->th, NULL);
	byz_node_free(t->node);
	owned_free(t->own);
	if (t->local) {
		pthread_mutex_lock(&eal_mu);
		if (loc.open && --loc.left == 0) {
			byz_ringnet_destroy(&loc.net);
			rte_mempool_free(loc.pool);
			sodium_memzero(loc.sk, sizeof(loc.sk));
			loc.pool = NULL;
			loc.open = 0;
		}
		pthread_mutex_unlock(&eal_mu);
	}
	trainer_free(t);
}

int byz_trainer_local(uint32_t n, size_t d, uint64_t seed, uint64_t phase_us,
		      const byz_trainer_grad_fn *validate, void *const *ctx,
		      struct byz_trainer **out)
{
	if (n < 2 || n > BYZ_CONFIG_MAX_PEERS || d == 0 || d > (1u << 26) || !validate ||
	    !out || phase_us == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!validate[i])
			return -EINVAL;
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byztr%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix,
				 .log_level = "error"};
	if (eal_once(&ec, why, sizeof(why)))
		return -EIO;
	if (sodium_init() < 0)
		return -EIO;
	pthread_mutex_lock(&eal_mu);
	if (loc.open) {
		pthread_mutex_unlock(&eal_mu);
		return -EINVAL;
	}
	static unsigned gen;
	char name[32];
	snprintf(name, sizeof(name), "byztr_pool%u", gen);
	loc.pool = byz_dp_pool_create(name, 8191, 4200, SOCKET_ID_ANY);
	int r = loc.pool ? 0 : -ENOMEM;
	snprintf(name, sizeof(name), "btr%u_", gen++);
	if (!r)
		r = byz_ringnet_create(&loc.net, name, (uint16_t)n, 4096, loc.pool);
	if (r) {
		rte_mempool_free(loc.pool);
		loc.pool = NULL;
		pthread_mutex_unlock(&eal_mu);
		return r;
	}
	/* keys and run id from the seed: reproducible runs */
	uint8_t s32[32] = {0}, rid[32];
	memcpy(s32, &seed, sizeof(seed));
	crypto_generichash(rid, 32, s32, 32, (const uint8_t *)"byz-trainer-run", 15);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t ks[32];
		s32[8] = (uint8_t)i;
		crypto_generichash(ks, 32, s32, 32, (const uint8_t *)"byz-trainer-key", 15);
		crypto_sign_seed_keypair(loc.roster + 32u * i, loc.sk[i], ks);
		sodium_memzero(ks, sizeof(ks));
	}
	byz_run_defaults(&loc.run);
	memcpy(loc.run.run_id, rid, 32);
	loc.run.n = n;
	loc.run.roster = loc.roster;
	loc.run.d = d;
	loc.run.phase_us = phase_us;
	loc.open = 1;
	loc.left = n;
	pthread_mutex_unlock(&eal_mu);
	uint64_t origin = byz_dp_now_ns() + 200000000ull;
	uint32_t made = 0;
	for (; made < n; made++) {
		struct byz_trainer_cfg tc = {
			.node = {.run = &loc.run, .self = (uint16_t)made, .sk = loc.sk[made],
				 .port_id = loc.net.port[made], .tx_queue_per_peer = 1,
				 .pool = loc.pool, .mtu = 4200, .rto_us = 1000, .rto_max_us = 8000},
			.validate = validate[made], .validate_ctx = ctx ? ctx[made] : NULL,
			.origin_ns = origin,
		};
		out[made] = byz_trainer_new(&tc, &r);
		if (!out[made])
			break;
		out[made]->local = 1;
	}
	if (made < n) {
		pthread_mutex_lock(&eal_mu);
		loc.left = made ? made : 1; /* the last close frees the fabric */
		pthread_mutex_unlock(&eal_mu);
		if (!made) {
			pthread_mutex_lock(&eal_mu);
			byz_ringnet_destroy(&loc.net);
			rte_mempool_free(loc.pool);
			loc.pool = NULL;
			loc.open = 0;
			pthread_mutex_unlock(&eal_mu);
		}
		for (uint32_t i = 0; i < made; i++)
			byz_trainer_close(out[i]);
		return r;
	}
	return 0;
}

struct byz_trainer *byz_trainer_open(const char *path, byz_trainer_grad_fn validate,
				     void *validate_ctx, char *why, size_t whylen, int *err)
{
	char w[512] = "";
	int e = -EINVAL;
	struct byz_trainer *t = NULL;
	struct owned *o = calloc(1, sizeof(*o));
	if (!o) {
		e = -ENOMEM;
		goto fail;
	}
	if (!path || !validate) {
		say(w, sizeof(w), "no config path or no validation callback");
		goto fail;
	}
	struct byz_config *c = &o->cfg;
	int r = byz_config_load(path, c, w, sizeof(w));
	if (r) {
		e = r == -EINVAL || r == -ERANGE ? -EINVAL : r;
		goto fail;
	}
	if (c->dp_lcore_line) {
		say(w, sizeof(w), "%.300s:%u: dp_lcore: not supported by the trainer API (its "
			 "polling thread runs the dataplane)", path, c->dp_lcore_line);
		goto fail;
	}
	r = byz_ident_load(&o->id, c->key_file, w, sizeof(w));
	if (r) {
		char k[256];
		snprintf(k, sizeof(k), "%s", w);
		say(w, sizeof(w), "%.200s: key_file '%.200s': %s: %s", path, c->key_file,
		    byz_strerror(r), k);
		goto fail;
	}
	int self = -1;
	for (uint32_t i = 0; i < c->n; i++)
		if (!memcmp(c->peers[i].pk, o->id.pk, 32))
			self = (int)i;
	if (self < 0) {
		say(w, sizeof(w), "%.200s: the public key of key_file '%.200s' is not in any [peer] "
			 "section", path, c->key_file);
		goto fail;
	}
	static struct byz_config_net net;
	if (byz_config_net(c, (uint32_t)self, path, &net, w, sizeof(w)))
		goto fail;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s", c->file_prefix);
	if (!prefix[0])
		snprintf(prefix, sizeof(prefix), "byztr%ld", (long)getpid());
	struct byz_eal_cfg ec = {.lcores = c->lcores, .mem_mb = c->mem_mb, .no_huge = c->no_huge,
				 .no_pci = c->no_pci, .file_prefix = prefix,
				 .log_level = c->log_level};
	for (unsigned i = 0; i < c->nvdev; i++)
		ec.vdevs[i] = c->vdev[i];
	for (unsigned i = 0; i < c->npci; i++)
		ec.pci_allow[i] = c->pci[i];
	if (eal_once(&ec, w, sizeof(w))) {
		e = -EIO;
		goto fail;
	}
	if (rte_eth_dev_get_port_by_name(c->port, &o->port)) {
		say(w, sizeof(w), "%.300s: [port] name '%s': no such DPDK port", path, c->port);
		goto fail;
	}
	static unsigned gen;
	char pname[32];
	snprintf(pname, sizeof(pname), "byztr_open%u", gen++);
	o->pool = byz_dp_pool_create(pname, c->nb_mbufs, c->mtu, (int)rte_socket_id());
	if (!o->pool) {
		say(w, sizeof(w), "mbuf pool: %s", rte_strerror(rte_errno));
		e = -ENOMEM;
		goto fail;
	}
	char pw[200];
	r = byz_bringup_port(o->port, c->rx_desc, c->mtu, o->pool, pw, sizeof(pw));
	if (r < 0) {
		say(w, sizeof(w), "port '%s': %s", c->port, pw);
		e = -EIO;
		goto fail;
	}
	o->port_started = 1;
	r = byz_bringup_peer_ports(c, self, o->port, o->pool, &o->xp, pw, sizeof(pw));
	if (r) {
		say(w, sizeof(w), "%.300s: %s", path, pw);
		e = -EIO;
		goto fail;
	}
	byz_bringup_addrs(c, &o->a);
	if (!c->peers[self].has_mac) {
		struct rte_ether_addr ma;
		if (rte_eth_macaddr_get(o->port, &ma) == 0)
			memcpy(o->a.mac[self], ma.addr_bytes, 6);
	}
	struct byz_run *run = &o->run;
	byz_bringup_run(c, o->a.roster, c->d, run);
	uint64_t now = realtime_ns();
	struct byz_trainer_cfg tc = {
		.node = {.run = run, .self = (uint16_t)self, .sk = o->id.sk, .port_id = o->port,
			 .pool = o->pool, .mtu = c->mtu, .udp_port = o->a.udp[self],
			 .peer_ip = o->a.ip, .peer_mac = (const uint8_t(*)[6])o->a.mac,
			 .peer_udp = o->a.udp, .window = c->window, .rto_us = c->rto_us,
			 .rto_max_us = c->rto_max_us, .clock_ns = realtime_ns},
		.validate = validate, .validate_ctx = validate_ctx,
		.origin_ns = c->start_time ? c->start_time * 1000000000ull : now + 100000000ull,
		.busy = c->busy_poll,
	};
	t = trainer_create(&tc, &e);
	if (!t) {
		say(w, sizeof(w), "node: %s", byz_strerror(e));
		goto fail;
	}
	r = 0;
	if (net.prefix)
		r = byz_dp_set_subnet(byz_node_dp(t->node), net.prefix, net.gateway);
	for (uint32_t i = 0; !r && i < c->n; i++)
		if (net.dyn[i])
			r = byz_dp_set_addr(byz_node_dp(t->node), (uint16_t)i, o->a.ip[i], NULL,
					    o->a.udp[i]);
	if (!r)
		r = byz_bringup_routes(byz_node_dp(t->node), c->n, &o->xp);
	t->own = o;
	if (!r)
		r = trainer_start(t); /* after every byz_dp_set_*: the dataplane is its now */
	if (r) {
		say(w, sizeof(w), "neighbours: %s", byz_strerror(r));
		byz_trainer_close(t);
		o = NULL;
		t = NULL;
		e = r;
		goto fail;
	}
	if (err)
		*err = 0;
	return t;
fail:
	owned_free(o);
	if (why && whylen)
		snprintf(why, whylen, "%s", w[0] ? w : byz_strerror(e));
	if (err)
		*err = e;
	return NULL;
}
