/*
 * DESIGN (protocol peer). One BTARD step is a sequence of attempts; an
 * attempt is nine fixed-length phases on a virtual clock shared by all peers
 * (enum byz_phase). Each signed broadcast of the attempt (COMMIT, RESULT,
 * AGGV, REVEAL, PROJ, ACCUSE) goes into an attempt store keyed by (type,
 * sender, part) and is accepted until the end of the DIGEST phase that
 * follows it. A DIGEST summarizes what a peer holds of the types still open
 * (per slot type: bitmaps and a root; a full key list answers a mismatch); a
 * peer that sees a digest lacking something it holds pushes the original
 * signed bytes, so by the end of that phase every honest peer holds the union
 * of what honest peers received - including both versions of an
 * equivocation, which is then a proof everybody holds. Decisions are pure
 * functions of that agreed store and public data (judge.c), so honest peers
 * ban the same identities at the same attempt boundary. A guilty or silent
 * participant restarts the attempt without it (honest gradients are reused);
 * otherwise the step ends with the update.
 *
 * Membership changes (joins, probation: member.c) and re-sync from a
 * checked snapshot (state.c) ride on the same store and step boundaries; a
 * peer without trusted state only listens until it can install one.
 *
 * The machine is sans-IO: inputs are messages and ticks, outputs are queued
 * messages and events. Nothing here reads a clock, a socket or a thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/clip.h"
#include "byz/err.h"
#include "peer_int.h"
#include "relay_int.h"

/* Last phase in which each broadcast type is still accepted. */
static unsigned seal_of(uint8_t type)
{
	switch (type) {
	case BYZ_MSG_COMMIT:
		return BYZ_PH_COMMIT_DIG;
	case BYZ_MSG_RESULT:
	case BYZ_MSG_AGGV:
		return BYZ_PH_RESULT_DIG;
	case BYZ_MSG_REVEAL:
		return BYZ_PH_REVEAL_DIG;
	case BYZ_MSG_PROJ:
	case BYZ_MSG_ACCUSE:
	case BYZ_MSG_JOIN:
		return BYZ_PH_FINAL_DIG;
	default:
		return 0;
	}
}

unsigned peer_seal_of(uint8_t type)
{
	return seal_of(type);
}

static int is_bcast_type(uint8_t t)
{
	return t == BYZ_MSG_COMMIT || t == BYZ_MSG_RESULT || t == BYZ_MSG_AGGV ||
	       t == BYZ_MSG_REVEAL || t == BYZ_MSG_PROJ || t == BYZ_MSG_ACCUSE || t == BYZ_MSG_JOIN;
}

void byz_run_defaults(struct byz_run *r)
{
	r->tau = 10.0;
	r->eps = 1e-5;
	/* Iterations are O(k^2) on the Gram path: a cap honest inputs never
	 * reach, since an unconverged aggregate fails the public check. */
	r->max_iters = 1000000;
	r->kappa = 1.0;
	r->lr = 0.1f;
	r->validators = 1;
	r->silent_limit = 3;
	r->max_attempts = 8;
	r->phase_us = 100000;
	r->validation = BYZ_VALIDATE_EXACT;
	r->rho = 1e-3;
	r->probation = 3;
	r->admit_rate = 1;
	r->admit_window = 2;
	/* Callers fill a struct on the stack: every field the peer reads is set
	 * here (late_us was not, and byzd ran with whatever the stack held). */
	r->late_us = 0;
	r->relay_f = 0;
	r->relay_off = 0;
}

void pb_clear(uint8_t **buf, size_t *len)
{
	if (!buf)
		return;
	for (size_t i = 0; i < PB_SIZE; i++)
		if (buf[i]) {
			free(buf[i]);
			buf[i] = NULL;
			len[i] = 0;
		}
}

const char *byz_ban_reason_name(int reason)
{
	static const char *const names[] = {"?", "bad-part", "projection-lie", "gradient",
					    "equivocation", "false-accusation", "reveal",
					    "projection-missing", "fixed-point", "result-mismatch",
					    "malformed"};
	return reason > 0 && reason < BYZ_BAN_REASON_END ? names[reason] : "?";
}

const char *byz_halt_reason_name(int reason)
{
	static const char *const names[] = {"?", "late", "no-resync", "minority"};
	return reason > 0 && reason <= BYZ_HALT_MINORITY ? names[reason] : "?";
}

const uint8_t *peer_pk(const struct byz_peer *p, uint16_t i)
{
	return p->roster + 32u * i;
}

int peer_is_member(const struct byz_peer *p, uint16_t i)
{
	return i < p->run.n && !p->banned[i] && !p->left[i];
}

/* Sets (ACCUSE, JOIN) hold many messages per key; other keys hold one
 * message, and a second version is an equivocation. */
static int is_set_type(uint8_t t)
{
	return t == BYZ_MSG_ACCUSE || t == BYZ_MSG_JOIN;
}

/* ---------- queues ---------- */

void peer_event(struct byz_peer *p, enum byz_event_kind kind, uint16_t who, int32_t accuser,
		uint8_t reason)
{
	if (p->nev == p->capev) {
		size_t nc = p->capev ? 2 * p->capev : 32;
		struct byz_event *ne = realloc(p->ev, nc * sizeof(*ne));
		if (!ne)
			return; /* events are reports; losing one under OOM is not a protocol error */
		p->ev = ne;
		p->capev = nc;
	}
	struct byz_event *e = &p->ev[p->nev++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->step = p->step;
	e->attempt = p->attempt;
	e->peer = who;
	e->accuser = accuser;
	e->reason = reason;
}

static int out_push(struct byz_peer *p, uint16_t to, uint8_t *buf, size_t len)
{
	if (p->nout == p->capout) {
		size_t nc = p->capout ? 2 * p->capout : 64;
		struct byz_out *no = realloc(p->out, nc * sizeof(*no));
		if (!no) {
			free(buf);
			return -ENOMEM;
		}
		p->out = no;
		p->capout = nc;
	}
	p->out[p->nout].to = to;
	p->out[p->nout].buf = buf;
	p->out[p->nout].len = len;
	p->nout++;
	return 0;
}

int byz_peer_pop_out(struct byz_peer *p, struct byz_out *o)
{
	if (p->headout == p->nout) {
		p->headout = p->nout = 0;
		return 0;
	}
	*o = p->out[p->headout++];
	return 1;
}

const float *byz_peer_aggregate(const struct byz_peer *p)
{
	/* have_prev: the last step ended with an update, y still holds it */
	return p->have_prev ? p->y : NULL;
}

size_t byz_peer_events_pending(const struct byz_peer *p)
{
	return p->nev - p->headev;
}

int byz_peer_peek_event(const struct byz_peer *p, size_t i, struct byz_event *e)
{
	if (i >= p->nev - p->headev)
		return 0;
	*e = p->ev[p->headev + i];
	return 1;
}

int byz_peer_pop_event(struct byz_peer *p, struct byz_event *e)
{
	if (p->headev == p->nev) {
		p->headev = p->nev = 0;
		return 0;
	}
	*e = p->ev[p->headev++];
	return 1;
}

/* ---------- attempt store ---------- */

static void content_hash(const uint8_t *buf, size_t len, uint8_t h16[16])
{
	/* The signature is excluded: a re-signed identical message is a duplicate. */
	crypto_generichash(h16, 16, buf, len - BYZ_WIRE_SIG_LEN, NULL, 0);
}

static void store_clear(struct byz_peer *p)
{
	for (size_t i = 0; i < p->nstore; i++)
		free(p->store[i].buf);
	p->nstore = 0;
}

struct held *store_find(struct byz_peer *p, uint8_t type, uint16_t sender, uint16_t aux,
			int version)
{
	int v = 0;
	for (size_t i = 0; i < p->nstore; i++) {
		struct held *h = &p->store[i];
		if (h->type == type && h->sender == sender && h->aux == aux && v++ == version)
			return h;
	}
	return NULL;
}

static uint16_t aux_of(const struct byz_msg *m)
{
	return (m->type == BYZ_MSG_RESULT || m->type == BYZ_MSG_AGGV) ? m->u.vec.part : 0;
}

/* Returns 1 if new, 0 if duplicate, 2 if it is a second version (equivocation),
 * negative when over a cap. */
static int store_add(struct byz_peer *p, const uint8_t *buf, size_t len, const uint8_t h16[16])
{
	struct byz_msg m;
	if (byz_wire_parse(buf, len, &m) < 0)
		return -EBADMSG;
	uint16_t aux = m.type == BYZ_MSG_RESULT ? m.u.result.part : aux_of(&m);
	unsigned versions = 0;
	for (size_t i = 0; i < p->nstore; i++) {
		struct held *h = &p->store[i];
		if (h->type != m.type || h->sender != m.sender || h->aux != aux)
			continue;
		if (memcmp(h->h16, h16, 16) == 0)
			return 0;
		versions++;
	}
	/* Two versions prove equivocation; more add nothing. Accusations are a
	 * set, capped per accuser: one over the cap proves flooding (judge.c). */
	unsigned cap = m.type == BYZ_MSG_ACCUSE ? byz_peer_accuse_cap(p->run.n) + 1u
		       : m.type == BYZ_MSG_JOIN ? BYZ_WIRE_MAX_QUEUE : 2u;
	if (versions >= cap || p->nstore >= BYZ_WIRE_MAX_DIGEST_ENTRIES) {
		p->drop_why = m.type == BYZ_MSG_ACCUSE && versions >= cap ? BYZ_PDROP_ACCUSE_CAP
									   : BYZ_PDROP_STORE_CAP;
		return -ERANGE;
	}
	if (p->nstore == p->capstore) {
		size_t nc = p->capstore ? 2 * p->capstore : 64;
		struct held *ns = realloc(p->store, nc * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		p->store = ns;
		p->capstore = nc;
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	struct held *h = &p->store[p->nstore];
	memset(h, 0, sizeof(*h));
	h->type = m.type;
	h->sender = m.sender;
	h->aux = aux;
	memcpy(h->h16, h16, 16);
	h->buf = copy;
	h->len = len;
	byz_wire_parse(copy, len, &h->m);
	p->nstore++;
	return (versions && !is_set_type(m.type)) ? 2 : 1;
}

int peer_store_holds(struct byz_peer *p, const struct byz_msg *m)
{
	if (!is_bcast_type(m->type))
		return 0;
	uint8_t h16[16];
	content_hash(m->raw, m->raw_len, h16);
	uint16_t aux = m->type == BYZ_MSG_RESULT ? m->u.result.part : aux_of(m);
	for (size_t i = 0; i < p->nstore; i++) {
		const struct held *h = &p->store[i];
		if (h->type == m->type && h->sender == m->sender && h->aux == aux &&
		    memcmp(h->h16, h16, 16) == 0)
			return 1;
	}
	return 0;
}

/* ---------- sending ---------- */

static int process(struct byz_peer *p, const uint8_t *buf, size_t len, int local);

int peer_emit_signed(struct byz_peer *p, uint8_t type, uint16_t to, const uint8_t *payload,
		     uint32_t len, uint16_t as_sender)
{
	uint8_t *msg;
	size_t mlen;
	int rc = byz_wire_seal(type, as_sender, to, p->attempt, p->step, p->run.run_id, payload,
			       len, p->sk, &msg, &mlen);
	if (rc)
		return rc;
	return out_push(p, to, msg, mlen);
}

int peer_emit_raw(struct byz_peer *p, uint16_t to, const uint8_t *buf, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, buf, len);
	return out_push(p, to, c, len);
}

int peer_send(struct byz_peer *p, uint8_t type, uint16_t to, const uint8_t *payload,
	      uint32_t len, uint32_t extra_cap)
{
	uint32_t cap = len + extra_cap;
	uint8_t *pl = malloc(cap ? cap : 1);
	if (!pl)
		return -ENOMEM;
	if (len)
		memcpy(pl, payload, len);
	struct byz_send s = {.type = type, .to = to, .payload = pl, .len = len, .cap = cap};
	if (p->has_hooks && p->hooks.on_send && p->hooks.on_send(p->hooks.ctx, p, &s)) {
		free(pl);
		return 0;
	}
	uint8_t *msg;
	size_t mlen;
	uint16_t from = s.type == BYZ_MSG_JOIN ? BYZ_WIRE_OUTSIDER : p->self;
	int rc = byz_wire_seal(s.type, from, s.to, p->attempt, p->step, p->run.run_id, pl,
			       s.len > s.cap ? s.cap : s.len, p->sk, &msg, &mlen);
	free(pl);
	if (rc)
		return rc;
	if (s.to == p->self) {
		rc = process(p, msg, mlen, 1);
		free(msg);
		return rc < 0 ? rc : 0;
	}
	if (s.to == BYZ_WIRE_BCAST && is_bcast_type(s.type)) {
		uint8_t h16[16];
		content_hash(msg, mlen, h16);
		store_add(p, msg, mlen, h16);
	}
	return out_push(p, s.to, msg, mlen);
}

/* ---------- phases ---------- */

static int is_self_contributor_expected(const struct byz_peer *p, uint16_t i)
{
	return p->active[i] && !p->validator[i] && !p->excluded[i] && !p->banned[i];
}

/* A held message still matters to the barrier of this phase only while its
 * type is accepted: a sealed one would be refused (ETIME) if pushed, so
 * listing it again in every later digest was pure O(n) weight per digest
 * (about 13n entries per step instead of 5n). */
static int digest_lists(const struct byz_peer *p, const struct held *h)
{
	return seal_of(h->type) >= p->phase;
}

/* Bit index of a held slot-type message in a compact digest: its sender,
 * or its part for RESULT and AGGV (one aggregator per part). */
static uint16_t slot_of(const struct held *h)
{
	return (h->type == BYZ_MSG_RESULT || h->type == BYZ_MSG_AGGV) ? h->aux : h->sender;
}

static void encode_key(const struct held *h, uint8_t key[BYZ_WIRE_DIGEST_ENTRY_LEN])
{
	memset(key, 0, BYZ_WIRE_DIGEST_ENTRY_LEN);
	key[0] = h->type;
	byz_put16(key + 2, h->sender);
	byz_put16(key + 4, h->aux);
	memcpy(key + 8, h->h16, 16);
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, BYZ_WIRE_DIGEST_ENTRY_LEN);
}

/* Own has/multi bitmaps of every slot type over what digest_lists keeps
 * (BYZ_WIRE_BITMAP_LEN bytes each: has at [2k], multi at [2k + 1]). */
static void own_bitmaps(const struct byz_peer *p, uint8_t bm[2 * BYZ_WIRE_DIGEST_SLOT_TYPES][BYZ_WIRE_BITMAP_LEN])
{
	memset(bm, 0, 2u * BYZ_WIRE_DIGEST_SLOT_TYPES * BYZ_WIRE_BITMAP_LEN);
	for (size_t i = 0; i < p->nstore; i++) {
		const struct held *h = &p->store[i];
		int k = byz_wire_digest_slot_index(h->type);
		uint16_t s = slot_of(h);
		if (k < 0 || s >= BYZ_MAX_PEERS || !digest_lists(p, h))
			continue;
		if (BITTST(bm[2 * k], s))
			BITSET(bm[2 * k + 1], s);
		BITSET(bm[2 * k], s);
	}
}

/* Root of the held versions of slot type @p t at the slots of @p has
 * (nb bytes): BLAKE2b-128 of their ascending 24-byte entries. The sender
 * of a compact digest computes it over all it holds; a receiver over its
 * own store restricted to the sender's bitmap, so equal roots mean the same
 * versions in every slot the sender holds. */
static void type_root(const struct byz_peer *p, uint8_t t, const uint8_t *has, uint8_t nb,
		      uint8_t *scratch, uint8_t root[16])
{
	size_t k = 0;
	for (size_t i = 0; i < p->nstore; i++) {
		const struct held *h = &p->store[i];
		uint16_t s = slot_of(h);
		if (h->type != t || !digest_lists(p, h) || s >= 8u * nb || !BITTST(has, s))
			continue;
		encode_key(h, scratch + BYZ_WIRE_DIGEST_ENTRY_LEN * k++);
	}
	qsort(scratch, k, BYZ_WIRE_DIGEST_ENTRY_LEN, cmp_key);
	crypto_generichash(root, 16, scratch, BYZ_WIRE_DIGEST_ENTRY_LEN * k, NULL, 0);
}

/* Every listed message as a full-form DIGEST, to one peer (@p to) whose
 * compact digest did not match ours. */
static void send_full_digest(struct byz_peer *p, uint16_t to)
{
	size_t cnt = 0;
	struct byz_digest_entry *e = malloc((p->nstore ? p->nstore : 1) * sizeof(*e));
	uint8_t *pl = malloc(byz_wire_digest_len((uint16_t)p->nstore));
	if (!e || !pl)
		goto out;
	for (size_t i = 0; i < p->nstore; i++) {
		if (!digest_lists(p, &p->store[i]))
			continue;
		e[cnt].type = p->store[i].type;
		e[cnt].sender = p->store[i].sender;
		e[cnt].aux = p->store[i].aux;
		memcpy(e[cnt].hash, p->store[i].h16, 16);
		cnt++;
	}
	size_t n = byz_wire_put_digest(pl, (uint8_t)p->phase, e, (uint16_t)cnt);
	peer_send(p, BYZ_MSG_DIGEST, to, pl, (uint32_t)n, 0);
out:
	free(e);
	free(pl);
}

/* The broadcast digest: per slot type two bitmaps and a root, plus the
 * accusations and joins as entries (docs/protocol.md, "Cost per step"). */
static void send_digest(struct byz_peer *p)
{
	memset(p->full_sent, 0, sizeof(p->full_sent));
	uint8_t bm[2 * BYZ_WIRE_DIGEST_SLOT_TYPES][BYZ_WIRE_BITMAP_LEN];
	own_bitmaps(p, bm);
	unsigned top = p->run.n;
	for (unsigned k = 0; k < 2 * BYZ_WIRE_DIGEST_SLOT_TYPES; k++)
		for (unsigned s = 0; s < BYZ_MAX_PEERS; s++)
			if (BITTST(bm[k], s) && s + 1 > top)
				top = s + 1;
	uint8_t nb = (uint8_t)((top + 7) / 8);
	size_t bl = byz_wire_digest_block_len(nb), cnt = 0;
	uint8_t blocks[BYZ_WIRE_DIGEST_SLOT_TYPES * (2 * BYZ_WIRE_BITMAP_LEN + 16)];
	struct byz_digest_entry *e = malloc((p->nstore ? p->nstore : 1) * sizeof(*e));
	uint8_t *scratch = malloc(BYZ_WIRE_DIGEST_ENTRY_LEN * (p->nstore ? p->nstore : 1));
	uint8_t *pl = malloc(byz_wire_digest_compact_len(nb, (uint16_t)p->nstore));
	if (!e || !scratch || !pl)
		goto out;
	for (unsigned k = 0; k < BYZ_WIRE_DIGEST_SLOT_TYPES; k++) {
		uint8_t *b = blocks + k * bl;
		memcpy(b, bm[2 * k], nb);
		memcpy(b + nb, bm[2 * k + 1], nb);
		type_root(p, byz_wire_digest_slot_type(k), b, nb, scratch, b + 2 * nb);
	}
	for (size_t i = 0; i < p->nstore; i++) {
		const struct held *h = &p->store[i];
		if (byz_wire_digest_slot_index(h->type) >= 0 || !digest_lists(p, h))
			continue;
		e[cnt].type = h->type;
		e[cnt].sender = h->sender;
		e[cnt].aux = h->aux;
		memcpy(e[cnt].hash, h->h16, 16);
		cnt++;
	}
	size_t n = byz_wire_put_digest_compact(pl, (uint8_t)p->phase, nb, blocks, e, (uint16_t)cnt);
	if (n)
		peer_send(p, BYZ_MSG_DIGEST, BYZ_WIRE_BCAST, pl, (uint32_t)n, 0);
out:
	free(e);
	free(scratch);
	free(pl);
}

static void choose_validators(struct byz_peer *p)
{
	memset(p->validator, 0, sizeof(p->validator));
	for (unsigned i = 0; i < BYZ_MAX_PEERS; i++)
		p->target[i] = -1;
	if (!p->have_prev)
		return;
	uint16_t cand[BYZ_MAX_PEERS];
	uint32_t nc = 0, nact = 0;
	for (uint16_t i = 0; i < p->run.n; i++) {
		nact += p->active[i];
		/* Nobody validates two steps in a row: an attacker acts at least
		 * every other step, which bounds detection delays. */
		if (p->active[i] && !p->was_validator[i])
			cand[nc++] = i;
	}
	uint32_t m = p->run.validators;
	if (m > nact / 4)
		m = nact / 4;
	if (m > nc)
		m = nc;
	byz_perm(p->r_prev, "byz-validators", p->step, 0, cand, nc);
	for (uint32_t v = 0; v < m; v++) {
		uint16_t who = cand[v];
		uint16_t tc[BYZ_MAX_PEERS];
		uint32_t nt = 0;
		for (uint16_t i = 0; i < p->run.n; i++)
			if (i != who && p->prev_contrib[i] && p->active[i])
				tc[nt++] = i;
		p->validator[who] = 1;
		if (nt) {
			byz_perm(p->r_prev, "byz-targets", p->step, who, tc, nt);
			p->target[who] = (int16_t)tc[0];
		}
	}
}

static void fetch_reset(struct byz_peer *p)
{
	for (unsigned j = 0; j < BYZ_MAX_PEERS; j++) {
		free(p->fetched[j]);
		p->fetched[j] = NULL;
		p->fetched_len[j] = 0;
	}
	p->fetch_open = 0;
}

/* Tolerance mode: keep a fetched part of the target if it is the one it
 * committed to (signed by the target, hash in its final commitment). */
static int accept_fetched(struct byz_peer *p, const struct byz_msg *m)
{
	int16_t t = p->target[p->self];
	uint16_t j = m->u.vec.part;
	uint32_t L = byz_part_len(p->run.d, p->prev_n_parts);
	if (!p->fetch_open || t < 0 || m->sender != (uint16_t)t || m->attempt != p->prev_attempt ||
	    j >= p->prev_n_parts || m->u.vec.count != L || !p->prev_commit[t])
		return -EPROTO;
	if (p->fetched[j])
		return 0;
	struct byz_msg cm;
	if (byz_wire_parse(p->prev_commit[t], p->prev_commit_len[t], &cm) < 0 ||
	    cm.u.commit.n_parts != p->prev_n_parts)
		return -EPROTO;
	byz_wire_vec_copy(m, p->tmp);
	uint8_t h[32];
	byz_part_hash(p->run.run_id, m->step, m->sender, j, p->tmp, L, h);
	if (memcmp(h, cm.u.commit.hashes + 32u * j, 32) != 0)
		return -BYZ_ECOMMIT;
	p->fetched[j] = malloc(m->raw_len);
	if (!p->fetched[j])
		return -ENOMEM;
	memcpy(p->fetched[j], m->raw, m->raw_len);
	p->fetched_len[j] = m->raw_len;
	return 0;
}

static void validate_target(struct byz_peer *p)
{
	int16_t t = p->target[p->self];
	if (t < 0 || !p->prev_commit[t])
		return;
	struct byz_msg cm;
	if (byz_wire_parse(p->prev_commit[t], p->prev_commit_len[t], &cm) < 0)
		return;
	if (p->run.validation == BYZ_VALIDATE_EXACT) {
		if (grad_parts_match(p, &cm, p->x_prev, p->r_prev2, p->step - 1) == 0 &&
		    accuse_send(p, BYZ_ACC_GRAD, (uint16_t)t, 0, p->prev_commit[t],
				p->prev_commit_len[t], NULL, 0) == 0)
			p->val_accused = 1;
		return;
	}
	/* Tolerance mode: the target's parts are with the previous step's
	 * aggregators, who must serve them; compared at BYZ_PH_RESULT. */
	fetch_reset(p);
	p->fetch_open = 1;
	uint8_t pl[BYZ_WIRE_FETCH_LEN];
	for (uint16_t j = 0; j < p->prev_n_parts; j++) {
		uint16_t a = p->prev_agg_of[j];
		size_t idx = PB_IDX(j, (uint16_t)t);
		if (a == p->self && p->prev_part_buf[idx]) {
			struct byz_msg m;
			if (byz_wire_parse(p->prev_part_buf[idx], p->prev_part_len[idx], &m) == 0)
				accept_fetched(p, &m);
		} else if (a < p->run.n && a != p->self) {
			byz_wire_put_fetch(pl, BYZ_FETCH_PART, (uint16_t)t, j, p->step - 1);
			peer_send(p, BYZ_MSG_FETCH, a, pl, sizeof(pl), 0);
		}
	}
}

/* Tolerance mode, phase RESULT: compare what was fetched with the
 * recomputation; the first part beyond rho is the evidence. A part nobody
 * served is not checked (its aggregator is the only one who could withhold). */
static void validate_fetched(struct byz_peer *p)
{
	int16_t t = p->target[p->self];
	if (!p->fetch_open || t < 0 || !p->prev_commit[t])
		goto out;
	uint32_t L = byz_part_len(p->run.d, p->prev_n_parts);
	if (grad_recompute(p, (uint16_t)t, p->x_prev, p->r_prev2, p->step - 1, p->tmp2) != 0)
		goto out;
	for (uint16_t j = 0; j < p->prev_n_parts; j++) {
		struct byz_msg m;
		if (!p->fetched[j] || byz_wire_parse(p->fetched[j], p->fetched_len[j], &m) < 0)
			continue;
		if (!part_within_rho(p, p->tmp2, &m, L)) {
			if (accuse_send(p, BYZ_ACC_GRAD, (uint16_t)t, j, p->prev_commit[t],
					p->prev_commit_len[t], p->fetched[j], p->fetched_len[j]) == 0) {
				/* Keep the evidence: an equivocation in this attempt voids
				 * its accusations, and the next attempt re-sends it. */
				p->val_ev = p->fetched[j];
				p->val_ev_len = p->fetched_len[j];
				p->fetched[j] = NULL;
				p->val_accused = 1;
			}
			break;
		}
	}
out:
	fetch_reset(p);
}

/* An aggregator serves a validator of this step the signed part of its
 * target it kept from the previous step; anyone else is refused. */
static int handle_fetch(struct byz_peer *p, const struct byz_msg *m)
{
	uint16_t v = m->sender, j = m->u.fetch.part;
	if (m->u.fetch.what == BYZ_FETCH_STATE) {
		/* Served at the start of the next step (that step's start state). */
		if (m->recipient != BYZ_WIRE_BCAST || m->step != p->step)
			return -ESTALE;
		p->sync_to[v] = 1;
		return 0;
	}
	if (m->recipient != p->self || m->step != p->step)
		return -ESTALE;
	if (m->u.fetch.what != BYZ_FETCH_PART || !p->have_prev || m->u.fetch.step + 1 != p->step ||
	    !p->validator[v] || p->target[v] != (int16_t)m->u.fetch.subject ||
	    j >= p->prev_n_parts || p->prev_agg_of[j] != p->self ||
	    p->served[v] >= p->prev_n_parts)
		return -EPROTO;
	size_t idx = PB_IDX(j, m->u.fetch.subject);
	if (!p->prev_part_buf[idx])
		return -ENOENT;
	p->served[v]++;
	return peer_emit_raw(p, v, p->prev_part_buf[idx], p->prev_part_len[idx]);
}

static void start_attempt(struct byz_peer *p, uint64_t now)
{
	store_clear(p);
	pb_clear(p->part_buf, p->part_len);
	memset(p->committer, 0, sizeof(p->committer));
	memset(p->contributor, 0, sizeof(p->contributor));
	memset(p->have_y, 0, sizeof(p->have_y));
	memset(p->accused_part, 0, sizeof(p->accused_part));
	memset(p->accused_equiv, 0, sizeof(p->accused_equiv));
	memset(p->n_digest, 0, sizeof(p->n_digest));
	memset(p->accused_malformed, 0, sizeof(p->accused_malformed));
	p->acc_sent = 0;
	p->roles_done = 0;
	p->have_r = 0;
	p->late_attempt = 0;
	p->phase = BYZ_PH_COMMIT;
	p->t_attempt = now;
	relay_attempt_start(p);

	uint32_t ne = 0;
	for (uint16_t i = 0; i < p->run.n; i++)
		ne += (uint32_t)is_self_contributor_expected(p, i);
	p->n_parts = (uint16_t)(ne ? ne : 1);
	p->L = byz_part_len(p->run.d, p->n_parts);
	if (state_build(p, p->t_step) != 0)
		memset(p->params_digest, 0, 32); /* out of memory: commit nothing useful */
	byz_mprng_rho(p->sk, p->run.run_id, p->step, p->attempt, p->rho);
	uint8_t mc[32];
	byz_mprng_commit(p->run.run_id, p->step, p->attempt, p->self, p->rho, mc);

	uint16_t me = p->self;
	int muted = p->mute_step == p->step + 1;
	if (p->left[me] && !p->banned[me] && !muted) {
		/* Left after K silent steps: ask to come back (on probation). */
		peer_send(p, BYZ_MSG_JOIN, BYZ_WIRE_BCAST, p->self_pk, 32, 0);
	} else if (peer_is_member(p, me) && !muted &&
		   ((p->active[me] && !p->excluded[me]) || p->probation[me])) {
		if (p->validator[me]) {
			uint8_t pl[68];
			size_t n = byz_wire_put_commit(pl, p->params_digest, mc, 0, NULL);
			peer_send(p, BYZ_MSG_COMMIT, BYZ_WIRE_BCAST, pl, (uint32_t)n, 0);
			int16_t t = p->target[me];
			if (p->attempt == 0)
				validate_target(p);
			else if (p->val_accused && t >= 0 && peer_is_member(p, (uint16_t)t))
				accuse_send(p, BYZ_ACC_GRAD, (uint16_t)t, 0, p->prev_commit[t],
					    p->prev_commit_len[t], p->val_ev, p->val_ev_len);
		} else {
			if (!p->have_grad) {
				uint8_t seed[32];
				byz_batch_seed(p->run.run_id, p->step, p->r_prev, peer_pk(p, me), seed);
				if (p->oracle.grad(p->oracle.ctx, p->x, p->run.d, seed, p->g_raw) != 0)
					memset(p->g_raw, 0, p->run.d * sizeof(float));
				if (p->has_hooks && p->hooks.on_gradient)
					p->hooks.on_gradient(p->hooks.ctx, p, p->g_raw, p->run.d);
				p->have_grad = 1;
			}
			size_t tot = (size_t)p->n_parts * p->L;
			for (size_t c = 0; c < tot; c++)
				p->g[c] = c < p->run.d ? p->g_raw[c] : 0.0f;
			uint8_t *pl = malloc(byz_wire_commit_len(p->n_parts));
			uint8_t *hs = malloc(32u * p->n_parts);
			if (pl && hs) {
				for (uint16_t j = 0; j < p->n_parts; j++)
					byz_part_hash(p->run.run_id, p->step, me, j,
						      p->g + (size_t)j * p->L, p->L, hs + 32u * j);
				size_t n = byz_wire_put_commit(pl, p->params_digest, mc,
							       p->n_parts, hs);
				peer_send(p, BYZ_MSG_COMMIT, BYZ_WIRE_BCAST, pl, (uint32_t)n, 0);
			}
			free(pl);
			free(hs);
		}
		if (p->active[me] && !p->excluded[me])
			member_check_probationers(p);
	}
	if (p->has_hooks && p->hooks.on_phase)
		p->hooks.on_phase(p->hooks.ctx, p, BYZ_PH_COMMIT);
}

/* Stop acting (the driver stops with an error): going on would be a
 * node carrying on alone or on a schedule it cannot keep. */
void peer_halt(struct byz_peer *p, int reason)
{
	/* An adversary's hooks script its behaviour (control/attack.c): it
	 * keeps acting, so the harness's runs stay what they were. */
	if (p->halted || p->has_hooks)
		return;
	p->halted = reason;
	peer_event(p, BYZ_EV_HALT, p->self, -1, (uint8_t)reason);
}

/* Fewer than a majority of the roster still active in our view (banned
 * keys are proven liars and do not count; peers that left do, since they
 * may be the other side of a partition; probationers count on neither
 * side): whatever we decide now, the swarm may decide otherwise. */
static int minority_view(const struct byz_peer *p)
{
	uint32_t act = 0, roster = 0;
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (p->banned[i] || p->probation[i])
			continue;
		roster++;
		act += !p->left[i];
	}
	return 2u * act <= roster;
}

void peer_begin_step(struct byz_peer *p, uint64_t now, int serve)
{
	p->t_step = now;
	if (!p->has_hooks && minority_view(p)) {
		peer_halt(p, BYZ_HALT_MINORITY);
		return;
	}
	if (p->corrupt_step && p->step == p->corrupt_step) {
		for (size_t c = 0; c < p->run.d; c++)
			p->x[c] += 1.0f;
		p->corrupt_step = 0;
	}
	for (uint16_t i = 0; i < p->run.n; i++)
		p->active[i] = (uint8_t)(peer_is_member(p, i) && !p->probation[i]);
	memset(p->excluded, 0, sizeof(p->excluded));
	memset(p->silent_step, 0, sizeof(p->silent_step));
	memset(p->served, 0, sizeof(p->served));
	fetch_reset(p);
	free(p->val_ev);
	p->val_ev = NULL;
	p->val_ev_len = 0;
	p->val_accused = 0;
	member_reset_checks(p);
	p->have_grad = 0;
	p->attempt = 0;
	choose_validators(p);
	start_attempt(p, now);
	if (!serve || !p->snap)
		return;
	/* Snapshots asked for during the last step: this step's start state. */
	for (uint16_t i = 0; i < p->run.n; i++)
		if (p->sync_to[i] && i != p->self)
			peer_send(p, BYZ_MSG_STATE, i, p->snap, (uint32_t)p->snap_len, 0);
	if (p->sync_outsiders)
		peer_send(p, BYZ_MSG_STATE, BYZ_WIRE_OUTSIDER, p->snap, (uint32_t)p->snap_len, 0);
	memset(p->sync_to, 0, sizeof(p->sync_to));
	p->sync_outsiders = 0;
}

static void start_step(struct byz_peer *p, uint64_t now)
{
	peer_begin_step(p, now, 1);
}

/* More active peers committed to one other state digest than to ours: our
 * state is wrong (an honest majority of the committers agrees with itself).
 * Sit out and fetch a snapshot; this is not a ban. A Byzantine coalition
 * outnumbering the honest committers can only make us sit out (a snapshot
 * still needs endorsements from a majority of the active peers). */
static void check_sync(struct byz_peer *p)
{
	uint16_t me = p->self;
	if (!peer_is_member(p, me) || p->mute_step == p->step + 1)
		return;
	const uint8_t *dg[BYZ_MAX_PEERS];
	uint32_t nd = 0, mine = 1;
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (!p->active[i] || i == me)
			continue;
		struct held *h = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
		if (!h || store_find(p, BYZ_MSG_COMMIT, i, 0, 1))
			continue;
		if (memcmp(h->m.u.commit.params_digest, p->params_digest, 32) != 0)
			dg[nd++] = h->m.u.commit.params_digest;
		else
			mine++;
	}
	for (uint32_t a = 0; a < nd; a++) {
		uint32_t same = 0;
		for (uint32_t b = 0; b < nd; b++)
			same += memcmp(dg[a], dg[b], 32) == 0;
		if (same > mine) {
			peer_event(p, BYZ_EV_OUT_OF_SYNC, me, -1, 0);
			p->syncing = 1;
			p->seen = 1;
			p->seen_step = p->step;
			p->seen_attempt = p->attempt;
			uint8_t pl[BYZ_WIRE_FETCH_LEN];
			byz_wire_put_fetch(pl, BYZ_FETCH_STATE, me, 0, p->step);
			peer_send(p, BYZ_MSG_FETCH, BYZ_WIRE_BCAST, pl, sizeof(pl), 0);
			return;
		}
	}
}

/* The commit barrier is over: fix who committed and which part goes where. */
static void compute_roles(struct byz_peer *p)
{
	uint16_t list[BYZ_MAX_PEERS];
	uint32_t nc = 0;
	memset(p->probe, 0, sizeof(p->probe));
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (!peer_is_member(p, i))
			continue;
		if (p->probation[i]) {
			const struct byz_msg *c = NULL;
			struct held *h = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
			if (h && !store_find(p, BYZ_MSG_COMMIT, i, 0, 1))
				c = &h->m;
			p->probe[i] = c && c->u.commit.n_parts == p->n_parts &&
				      memcmp(c->u.commit.params_digest, p->params_digest, 32) == 0;
			continue;
		}
		if (!p->active[i] || p->excluded[i])
			continue;
		for (int v = 0; v < 2; v++) {
			struct held *h = store_find(p, BYZ_MSG_COMMIT, i, 0, v);
			if (!h)
				break;
			const struct byz_msg *m = &h->m;
			if (memcmp(m->u.commit.params_digest, p->params_digest, 32) != 0)
				continue; /* out of sync: excluded, not punished */
			if (p->validator[i] ? m->u.commit.n_parts != 0
					    : m->u.commit.n_parts != p->n_parts)
				continue;
			p->committer[i] = 1;
			break;
		}
		if (p->committer[i] && !p->validator[i]) {
			p->contributor[i] = 1;
			list[nc++] = i;
		}
	}
	byz_perm(p->r_prev, "byz-aggregators", p->step, p->attempt, list, nc);
	for (uint16_t j = 0; j < p->n_parts; j++)
		p->agg_of[j] = nc ? list[j % nc] : BYZ_WIRE_BCAST;
	p->roles_done = 1;
	check_sync(p);
}

/* First commit version of @p i that fits this attempt (NULL if none). */
static const struct byz_msg *commit_of(struct byz_peer *p, uint16_t i)
{
	for (int v = 0; v < 2; v++) {
		struct held *h = store_find(p, BYZ_MSG_COMMIT, i, 0, v);
		if (!h)
			return NULL;
		if (h->m.u.commit.n_parts == p->n_parts)
			return &h->m;
	}
	return NULL;
}

static void scatter(struct byz_peer *p)
{
	/* Probationers scatter too: aggregators keep their parts for validators. */
	if (!p->contributor[p->self] && !p->probe[p->self])
		return;
	uint8_t *pl = malloc(byz_wire_vec_len(p->L));
	if (!pl)
		return;
	for (uint16_t j = 0; j < p->n_parts; j++) {
		size_t n = byz_wire_put_vec(pl, j, p->g + (size_t)j * p->L, p->L);
		peer_send(p, BYZ_MSG_PART, p->agg_of[j], pl, (uint32_t)n, 64);
	}
	free(pl);
}

/* ---------- aggregation jobs ---------- */

/* One RESULT phase's jobs: the inputs, outputs and job records live here
 * until every job handed to the driver came back (a worker may still be
 * writing into an attempt the peer has left). */
struct agg_slot {
	struct byz_agg_job job;
	uint8_t bitmap[BYZ_WIRE_BITMAP_LEN];
	uint8_t state; /* 0 unused, 1 out with the driver, 2 done */
};

struct agg_batch {
	struct agg_batch *next;
	uint64_t step;
	uint16_t attempt;
	uint32_t nslot, out;
	struct agg_slot *slot;
	const float **in;
	float *buf, *y;
	uint8_t *pl;      /* AGGV payload scratch */
};

static void batch_free(struct agg_batch *b)
{
	if (!b)
		return;
	free(b->pl);
	free(b->y);
	free(b->buf);
	free(b->in);
	free(b->slot);
	free(b);
}

void byz_agg_job_run(struct byz_agg_job *job)
{
	memset(&job->res, 0, sizeof(job->res));
	job->rc = byz_clip(job->in, job->k, job->len, &job->cp, job->y, NULL, &job->res);
	if (job->rc == 0 && job->want_hash)
		byz_agg_hash(job->run_id, job->step, job->aggregator, job->part, job->y, job->len,
			     job->hash);
}

/* The attempt's jobs are over for the peer: free them, or park them until
 * the driver hands the ones it holds back. */
static void agg_retire(struct byz_peer *p)
{
	struct agg_batch *b = p->agg_cur;
	p->agg_cur = NULL;
	if (!b)
		return;
	if (!b->out) {
		batch_free(b);
		return;
	}
	b->next = p->agg_old;
	p->agg_old = b;
}

/* A finished job: RESULT and AGGV, exactly what the inline path sent. */
static void agg_emit(struct byz_peer *p, struct agg_batch *b, struct agg_slot *sl)
{
	struct byz_agg_job *job = &sl->job;
	if (job->rc != 0)
		return;
	if (p->has_hooks && p->hooks.on_aggregate)
		p->hooks.on_aggregate(p->hooks.ctx, p, job->part, job->y, job->len);
	if (!job->want_hash)
		byz_agg_hash(p->run.run_id, p->step, p->self, job->part, job->y, job->len,
			     job->hash);
	uint8_t rp[BYZ_WIRE_RESULT_LEN];
	byz_wire_put_result(rp, job->part, (uint16_t)job->k, job->res.iters, job->res.clipped,
			    job->res.residual, job->hash, sl->bitmap);
	peer_send(p, BYZ_MSG_RESULT, BYZ_WIRE_BCAST, rp, sizeof(rp), 0);
	size_t vl = byz_wire_put_vec(b->pl, job->part, job->y, job->len);
	peer_send(p, BYZ_MSG_AGGV, BYZ_WIRE_BCAST, b->pl, (uint32_t)vl, 0);
}

static void aggregate(struct byz_peer *p)
{
	uint32_t n = p->run.n, mine = 0;
	agg_retire(p);
	if (!p->contributor[p->self])
		return;
	for (uint16_t j = 0; j < p->n_parts; j++)
		mine += p->agg_of[j] == p->self;
	if (!mine)
		return;
	struct agg_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return;
	b->step = p->step;
	b->attempt = p->attempt;
	b->slot = calloc(mine, sizeof(*b->slot));
	b->in = malloc((size_t)mine * n * sizeof(*b->in));
	b->buf = malloc((size_t)mine * n * p->L * sizeof(float));
	b->y = malloc((size_t)mine * p->L * sizeof(float));
	b->pl = malloc(byz_wire_vec_len(p->L));
	if (!b->slot || !b->in || !b->buf || !b->y || !b->pl) {
		batch_free(b);
		return;
	}
	for (uint16_t j = 0; j < p->n_parts; j++) {
		if (p->agg_of[j] != p->self)
			continue;
		struct agg_slot *sl = &b->slot[b->nslot];
		const float **in = b->in + (size_t)b->nslot * n;
		float *buf = b->buf + (size_t)b->nslot * n * p->L;
		uint32_t k = 0;
		for (uint16_t i = 0; i < n; i++) {
			uint8_t *raw = p->part_buf[PB_IDX(j, i)];
			struct byz_msg m;
			if (!raw || !p->contributor[i] || byz_wire_parse(raw, p->part_len[PB_IDX(j, i)], &m) < 0)
				continue;
			byz_wire_vec_copy(&m, buf + (size_t)k * p->L);
			in[k] = buf + (size_t)k * p->L;
			k++;
			BITSET(sl->bitmap, i);
		}
		if (k == 0)
			continue;
		struct byz_agg_job *job = &sl->job;
		job->in = in;
		job->k = k;
		job->len = p->L;
		/* Verification checks the fixed point, not the trajectory, so
		 * the aggregator may use the fastest solver (the Gram path). */
		job->cp = (struct byz_clip_params){.tau = p->run.tau, .eps = p->run.eps,
						   .max_iters = p->run.max_iters,
						   .impl = BYZ_CLIP_GRAM};
		job->y = b->y + (size_t)b->nslot * p->L;
		job->part = j;
		job->aggregator = p->self;
		job->step = p->step;
		memcpy(job->run_id, p->run.run_id, 32);
		/* a hook edits y after the clip: then the peer hashes what it sends */
		job->want_hash = !(p->has_hooks && p->hooks.on_aggregate);
		b->nslot++;
	}
	p->agg_cur = b;
	for (uint32_t s = 0; s < b->nslot; s++) {
		struct agg_slot *sl = &b->slot[s];
		if (p->has_agg) {
			/* out before submit: a driver may hand it back from inside */
			sl->state = 1;
			b->out++;
			p->agg_out++;
			if (p->agg.submit(p->agg.ctx, p, &sl->job) == 0) {
				p->agg_async++;
				continue;
			}
			if (sl->state != 1)
				continue; /* done from inside submit, yet refused: as done */
			sl->state = 0;
			b->out--;
			p->agg_out--;
		}
		byz_agg_job_run(&sl->job);
		sl->state = 2;
		p->agg_inline++;
		agg_emit(p, b, sl);
	}
	if (p->agg_cur == b && !b->out)
		agg_retire(p);
}

static struct agg_slot *batch_slot(struct agg_batch *b, const struct byz_agg_job *job)
{
	for (uint32_t s = 0; b && s < b->nslot; s++)
		if (&b->slot[s].job == job)
			return &b->slot[s];
	return NULL;
}

int byz_peer_set_agg(struct byz_peer *p, const struct byz_agg_driver *drv)
{
	if (!p || (drv && !drv->submit))
		return -EINVAL;
	if (p->agg_out)
		return -EBUSY;
	if (drv)
		p->agg = *drv;
	else
		memset(&p->agg, 0, sizeof(p->agg));
	p->has_agg = drv != NULL;
	return 0;
}

int byz_peer_agg_done(struct byz_peer *p, uint64_t now, struct byz_agg_job *job)
{
	if (!p || !job)
		return -EINVAL;
	struct agg_batch **link = NULL, *b = p->agg_cur;
	struct agg_slot *sl = batch_slot(b, job);
	/* the current batch first, then the parked ones */
	for (link = &p->agg_old; !sl && *link; link = &(*link)->next) {
		b = *link;
		sl = batch_slot(b, job);
		if (sl)
			break;
	}
	if (!sl)
		return -EINVAL;
	if (sl->state != 1)
		return -EINVAL;
	sl->state = 2;
	b->out--;
	p->agg_out--;
	if (b != p->agg_cur) {
		if (!b->out) {
			*link = b->next;
			batch_free(b);
		}
		return 1;
	}
	/* RESULT and AGGV are accepted up to the end of RESULT_DIG */
	int fresh = b->step == p->step && b->attempt == p->attempt && !p->syncing &&
		    !p->halted && p->mute_step != p->step + 1 && p->phase >= BYZ_PH_RESULT &&
		    p->phase <= BYZ_PH_RESULT_DIG;
	if (fresh) {
		if (now > p->now)
			p->now = now;
		agg_emit(p, b, sl);
	}
	if (!b->out)
		agg_retire(p);
	return fresh ? 0 : 1;
}

uint32_t byz_peer_agg_pending(const struct byz_peer *p)
{
	return p ? p->agg_out : 0;
}

void byz_peer_agg_counts(const struct byz_peer *p, uint64_t *inline_jobs, uint64_t *async_jobs)
{
	if (inline_jobs)
		*inline_jobs = p ? p->agg_inline : 0;
	if (async_jobs)
		*async_jobs = p ? p->agg_async : 0;
}

static void collect_results(struct byz_peer *p)
{
	for (uint16_t j = 0; j < p->n_parts; j++) {
		uint16_t a = p->agg_of[j];
		if (a == BYZ_WIRE_BCAST)
			continue;
		struct held *r = store_find(p, BYZ_MSG_RESULT, a, j, 0);
		struct held *v = store_find(p, BYZ_MSG_AGGV, a, j, 0);
		if (!r || !v || v->m.u.vec.count != p->L)
			continue;
		float *y = p->y + (size_t)j * p->L;
		byz_wire_vec_copy(&v->m, y);
		uint8_t h[32];
		byz_agg_hash(p->run.run_id, p->step, a, j, y, p->L, h);
		p->have_y[j] = memcmp(h, r->m.u.result.hash, 32) == 0;
	}
}

static void compute_r(struct byz_peer *p)
{
	memset(p->r_cur, 0, 32);
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (!p->committer[i])
			continue;
		struct held *c = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
		struct held *r = store_find(p, BYZ_MSG_REVEAL, i, 0, 0);
		if (!c || !r)
			continue; /* withheld: banned at the judge, r_t computed without it */
		uint8_t mc[32];
		byz_mprng_commit(p->run.run_id, p->step, p->attempt, i, r->m.u.reveal.rho, mc);
		if (memcmp(mc, c->m.u.commit.mprng, 32) != 0)
			continue;
		for (int b = 0; b < 32; b++)
			p->r_cur[b] ^= r->m.u.reveal.rho[b];
	}
	p->have_r = 1;
}

static int in_bitmap(struct byz_peer *p, uint16_t j, uint16_t i)
{
	struct held *r = store_find(p, BYZ_MSG_RESULT, p->agg_of[j], j, 0);
	return r && BITTST(r->m.u.result.bitmap, i);
}

static void send_proj(struct byz_peer *p)
{
	if (!p->contributor[p->self])
		return;
	uint16_t parts[BYZ_MAX_PEERS];
	double s[BYZ_MAX_PEERS], n[BYZ_MAX_PEERS];
	uint16_t cnt = 0;
	for (uint16_t j = 0; j < p->n_parts; j++) {
		if (!p->have_y[j] || !in_bitmap(p, j, p->self))
			continue;
		byz_proj(p->r_cur, j, p->g + (size_t)j * p->L, p->y + (size_t)j * p->L, p->L,
			 &s[cnt], &n[cnt]);
		parts[cnt++] = j;
	}
	uint8_t *pl = malloc(byz_wire_proj_len(cnt));
	if (!pl)
		return;
	size_t len = byz_wire_put_proj(pl, cnt, parts, s, n);
	peer_send(p, BYZ_MSG_PROJ, BYZ_WIRE_BCAST, pl, (uint32_t)len, 0);
	free(pl);
}

int proj_matches(double s, double n, double s2, double n2, uint32_t len);
int proj_matches(double s, double n, double s2, double n2, uint32_t len)
{
	/* Honest peers compute these bit-identically; the slack only absorbs
	 * another platform's libm/rounding, far below any useful lie. */
	double tn = 1e-9 * n2 + 1e-300;
	double ts = 1e-9 * sqrt((double)len) * n2 + 1e-300;
	return fabs(s - s2) <= ts && fabs(n - n2) <= tn;
}

/* Aggregator side: check a contributor's projections for my parts. */
static void check_proj(struct byz_peer *p, const struct held *h)
{
	uint16_t i = h->sender;
	if (!p->have_r || p->accused_part[i] || i == p->self)
		return;
	const struct byz_msg *m = &h->m;
	for (uint16_t e = 0; e < m->u.proj.count; e++) {
		uint16_t j;
		double s, n;
		byz_wire_proj_at(m, e, &j, &s, &n);
		if (j >= p->n_parts || p->agg_of[j] != p->self || !p->have_y[j])
			continue;
		size_t idx = PB_IDX(j, i);
		struct byz_msg pm;
		if (!p->part_buf[idx] || byz_wire_parse(p->part_buf[idx], p->part_len[idx], &pm) < 0)
			continue;
		byz_wire_vec_copy(&pm, p->tmp);
		double s2, n2;
		byz_proj(p->r_cur, j, p->tmp, p->y + (size_t)j * p->L, p->L, &s2, &n2);
		if (!proj_matches(s, n, s2, n2, p->L)) {
			p->accused_part[i] = 1;
			accuse_send(p, BYZ_ACC_PROJ_LIE, i, j, h->buf, h->len, p->part_buf[idx],
				    p->part_len[idx]);
			return;
		}
	}
}

static void go_late(struct byz_peer *p, uint64_t late_by, uint8_t cause, uint16_t phase);

/* RESULT is over: a job still out with the driver is this peer's lateness. */
static void agg_deadline(struct byz_peer *p)
{
	const struct agg_batch *b = p->agg_cur;
	if (!b || !b->out || b->step != p->step || b->attempt != p->attempt ||
	    p->mute_step == p->step + 1)
		return;
	uint64_t dl = p->t_attempt + (uint64_t)BYZ_PH_RESULT_DIG * p->run.phase_us;
	go_late(p, p->now > dl ? p->now - dl : 0, BYZ_LATE_AGG, BYZ_PH_RESULT_DIG);
}

static void enter_phase(struct byz_peer *p, uint64_t now)
{
	switch (p->phase) {
	case BYZ_PH_RESULT_DIG:
		agg_deadline(p);
		send_digest(p);
		break;
	case BYZ_PH_COMMIT_DIG:
	case BYZ_PH_REVEAL_DIG:
	case BYZ_PH_FINAL_DIG:
		send_digest(p);
		break;
	case BYZ_PH_SCATTER:
		compute_roles(p);
		scatter(p);
		break;
	case BYZ_PH_RESULT:
		aggregate(p);
		if (p->fetch_open)
			validate_fetched(p);
		break;
	case BYZ_PH_REVEAL:
		collect_results(p);
		if (p->committer[p->self])
			peer_send(p, BYZ_MSG_REVEAL, BYZ_WIRE_BCAST, p->rho, 32, 0);
		break;
	case BYZ_PH_PROJ:
		compute_r(p);
		send_proj(p);
		for (size_t i = 0; i < p->nstore; i++)
			if (p->store[i].type == BYZ_MSG_PROJ)
				check_proj(p, &p->store[i]);
		break;
	default:
		break;
	}
	(void)now;
	if (p->has_hooks && p->hooks.on_phase)
		p->hooks.on_phase(p->hooks.ctx, p, p->phase);
}

uint64_t byz_peer_next_deadline(const struct byz_peer *p)
{
	return p->t_attempt + relay_phase_offset(p, p->phase + 1);
}

/* This peer is late: what it holds may lack messages that reached it in
 * time but were not processed, so its view of this attempt is no evidence
 * against anyone. It keeps sending its own part of the attempt (others may
 * still get it in time), accuses nobody (accuse_send), and at the end
 * re-syncs instead of judging. */
static void go_late(struct byz_peer *p, uint64_t late_by, uint8_t cause, uint16_t phase)
{
	if (p->late_attempt)
		return;
	p->late_attempt = 1;
	p->late_runs++;
	peer_event(p, BYZ_EV_LATE, phase, -1, cause);
	if (p->nev)
		p->ev[p->nev - 1].late_us = late_by;
}

void byz_peer_mark_late(struct byz_peer *p, uint64_t now)
{
	if (!p || !p->started || p->syncing || p->halted || p->mute_step == p->step + 1)
		return;
	p->now = now;
	go_late(p, 0, BYZ_LATE_DRIVER, (uint16_t)p->phase);
}

/* The attempt ended while we were late: leave the schedule and re-sync
 * from a snapshot a majority endorsed (state.c), as a member out of sync. */
static void out_of_step(struct byz_peer *p, uint64_t now)
{
	if (p->late_runs >= BYZ_PEER_LATE_LIMIT) {
		peer_halt(p, BYZ_HALT_LATE);
		return;
	}
	p->syncing = 1;
	p->late_sync = 1;
	p->late_since = now;
	p->seen = 1;
	p->seen_step = p->step;
	p->seen_attempt = p->attempt;
	if (peer_is_member(p, p->self)) {
		uint8_t pl[BYZ_WIRE_FETCH_LEN];
		byz_wire_put_fetch(pl, BYZ_FETCH_STATE, p->self, 0, p->step);
		peer_send(p, BYZ_MSG_FETCH, BYZ_WIRE_BCAST, pl, sizeof(pl), 0);
	}
}

int byz_peer_on_tick(struct byz_peer *p, uint64_t now)
{
	if (!p || !p->started)
		return -EINVAL;
	p->now = now;
	if (p->halted)
		return 0;
	if (p->syncing) {
		/* No schedule without state: a heartbeat, one phase at a time. */
		while (now >= byz_peer_next_deadline(p))
			p->t_attempt += p->run.phase_us;
		if (p->late_sync && now - p->late_since > BYZ_PEER_RESYNC_PHASES * p->run.phase_us)
			peer_halt(p, BYZ_HALT_NO_RESYNC);
		return 0;
	}
	uint64_t slack = p->run.late_us ? p->run.late_us : p->run.phase_us / 3;
	while (now >= byz_peer_next_deadline(p) && !p->halted) {
		uint64_t dl = byz_peer_next_deadline(p);
		/* A step installed from a snapshot is caught up on purpose (and
		 * sat out): only a peer on the schedule can be late. */
		if (now - dl > slack && p->mute_step != p->step + 1)
			go_late(p, now - dl, BYZ_LATE_DEADLINE,
				(uint16_t)((p->phase + 1u) % BYZ_PH_COUNT));
		if (p->phase + 1 < BYZ_PH_COUNT) {
			p->phase++;
			enter_phase(p, now);
		} else if (p->late_attempt) {
			out_of_step(p, dl);
			return 0;
		} else {
			uint64_t end = dl;
			uint64_t step0 = p->step;
			judge_attempt(p, end);
			if (p->mute_step != step0 + 1)
				p->late_runs = 0; /* an attempt we took part in, on time */
			if (p->step != step0)
				start_step(p, end);
			else
				start_attempt(p, end);
		}
	}
	return 0;
}

/* ---------- receiving ---------- */

/* 1 if the (sorted) entries of digest @p m list @p h. */
static int digest_has_entry(const struct byz_msg *m, const struct held *h)
{
	uint8_t key[BYZ_WIRE_DIGEST_ENTRY_LEN];
	encode_key(h, key);
	uint32_t lo = 0, hi = m->u.digest.count;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = memcmp(m->u.digest.entries + BYZ_WIRE_DIGEST_ENTRY_LEN * mid, key,
			       BYZ_WIRE_DIGEST_ENTRY_LEN);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void push(struct byz_peer *p, struct held *h, uint16_t to)
{
	BITSET(h->pushed, to);
	peer_emit_raw(p, to, h->buf, h->len);
}

/*
 * A digest from @p m->sender: push what it lacks, once per message and peer.
 * Full form: every entry is listed. Compact form: a slot whose has bit is
 * clear, or where we hold two versions and its multi bit is clear, is pushed
 * (all we hold of it); if a root still differs from ours restricted to its
 * bitmap, it holds a version we do not (a split equivocation, or a message
 * that reached it and not us), and it gets our full list so that it can push
 * exactly what we lack. Both sides see the mismatch, so both versions cross
 * by 3 deliveries (digest, full list, push): the bound 3Δ < D is unchanged.
 */
static void handle_digest(struct byz_peer *p, const struct byz_msg *m)
{
	uint16_t to = m->sender;
	if (m->u.digest.form == BYZ_WIRE_DIGEST_FULL) {
		for (size_t i = 0; i < p->nstore; i++) {
			struct held *h = &p->store[i];
			if (!BITTST(h->pushed, to) && digest_lists(p, h) && !digest_has_entry(m, h))
				push(p, h, to);
		}
		return;
	}
	uint8_t nb = m->u.digest.nb;
	size_t bl = byz_wire_digest_block_len(nb);
	uint8_t own[2 * BYZ_WIRE_DIGEST_SLOT_TYPES][BYZ_WIRE_BITMAP_LEN];
	own_bitmaps(p, own);
	for (size_t i = 0; i < p->nstore; i++) {
		struct held *h = &p->store[i];
		if (BITTST(h->pushed, to) || !digest_lists(p, h))
			continue;
		int k = byz_wire_digest_slot_index(h->type);
		if (k < 0) {
			if (!digest_has_entry(m, h))
				push(p, h, to);
			continue;
		}
		const uint8_t *has = m->u.digest.blocks + (size_t)k * bl, *multi = has + nb;
		uint16_t s = slot_of(h);
		if (s >= 8u * nb || !BITTST(has, s) ||
		    (BITTST(own[2 * k + 1], s) && !BITTST(multi, s)))
			push(p, h, to);
	}
	if (BITTST(p->full_sent, to))
		return;
	uint8_t *scratch = malloc(BYZ_WIRE_DIGEST_ENTRY_LEN * (p->nstore ? p->nstore : 1));
	if (!scratch)
		return;
	int mismatch = 0;
	for (unsigned k = 0; k < BYZ_WIRE_DIGEST_SLOT_TYPES && !mismatch; k++) {
		uint8_t t = byz_wire_digest_slot_type(k), root[16];
		const uint8_t *b = m->u.digest.blocks + k * bl;
		if (seal_of(t) < p->phase)
			continue; /* sealed here: nothing of it can be pushed any more */
		type_root(p, t, b, nb, scratch, root);
		mismatch = memcmp(root, b + 2 * nb, 16) != 0;
	}
	free(scratch);
	if (mismatch) {
		BITSET(p->full_sent, to);
		send_full_digest(p, to);
	}
}

static int handle_part(struct byz_peer *p, const struct byz_msg *m)
{
	uint16_t j = m->u.vec.part, i = m->sender;
	if (p->phase != BYZ_PH_SCATTER || !p->roles_done)
		return -ETIME;
	if (m->recipient != p->self || j >= p->n_parts || p->agg_of[j] != p->self ||
	    (!p->contributor[i] && !p->probe[i]))
		return -EPROTO;
	size_t idx = PB_IDX(j, i);
	if (p->part_buf[idx])
		return 0;
	const struct byz_msg *c = commit_of(p, i);
	if (!c)
		return -EPROTO;
	int ok = m->u.vec.count == p->L;
	if (ok) {
		byz_wire_vec_copy(m, p->tmp);
		uint8_t h[32];
		byz_part_hash(p->run.run_id, p->step, i, j, p->tmp, p->L, h);
		ok = memcmp(h, c->u.commit.hashes + 32u * j, 32) == 0;
	}
	if (!ok) {
		if (!p->accused_part[i]) {
			p->accused_part[i] = 1;
			accuse_send(p, BYZ_ACC_BAD_PART, i, j, c->raw, c->raw_len, m->raw,
				    m->raw_len);
		}
		return -BYZ_ECOMMIT;
	}
	uint8_t *copy = malloc(m->raw_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, m->raw, m->raw_len);
	p->part_buf[idx] = copy;
	p->part_len[idx] = m->raw_len;
	return 0;
}

static void accuse_equiv(struct byz_peer *p, uint8_t type, uint16_t sender, uint16_t aux)
{
	if (p->accused_equiv[sender] || p->phase > BYZ_PH_PROJ)
		return;
	struct held *a = store_find(p, type, sender, aux, 0);
	struct held *b = store_find(p, type, sender, aux, 1);
	if (!a || !b)
		return;
	p->accused_equiv[sender] = 1;
	accuse_send(p, BYZ_ACC_EQUIV, sender, aux, a->buf, a->len, b->buf, b->len);
}

/* Without trusted state: note the swarm's (step, attempt) from verified
 * messages, ask for a snapshot once per attempt, keep commits and snapshots. */
static int process_syncing(struct byz_peer *p, const struct byz_msg *m)
{
	if (m->type == BYZ_MSG_JOIN)
		return -ESTALE;
	/* Senders are checked against the roster we know (the initial one for a
	 * newcomer), which bounds what can fill the buffer; a snapshot is then
	 * trusted only through its endorsements. */
	if (m->sender >= p->run.n || byz_wire_verify(m, p->run.run_id, peer_pk(p, m->sender)))
		return -BYZ_EBADSIG;
	if (m->type != BYZ_MSG_STATE) {
		if (!p->seen || m->step > p->seen_step ||
		    (m->step == p->seen_step && m->attempt > p->seen_attempt)) {
			for (uint64_t k = p->seen ? p->seen_step + 1 : m->step + 1; k <= m->step; k++) {
				p->step = k; /* no claim about this step's digest */
				peer_event(p, BYZ_EV_STEP_DONE, p->self, -1, 0);
			}
			p->seen = 1;
			p->seen_step = m->step;
			p->seen_attempt = m->attempt;
			p->step = m->step;
			p->attempt = m->attempt;
			/* A JOIN asks every member for a snapshot (and re-admission if
			 * we left meanwhile, which our stale view may not know); a
			 * member also asks by index. */
			peer_send(p, BYZ_MSG_JOIN, BYZ_WIRE_BCAST, p->self_pk, 32, 0);
			if (!p->outsider && !p->left[p->self]) {
				uint8_t pl[BYZ_WIRE_FETCH_LEN];
				byz_wire_put_fetch(pl, BYZ_FETCH_STATE, p->self, 0, m->step);
				peer_send(p, BYZ_MSG_FETCH, BYZ_WIRE_BCAST, pl, sizeof(pl), 0);
			}
		}
		if (m->type != BYZ_MSG_COMMIT)
			return -ESTALE;
	}
	int rc = state_buffer(p, m);
	if (rc < 0)
		return rc;
	rc = state_try_install(p, p->now);
	return rc < 0 ? rc : 0;
}

/* A JOIN: self-signed, a set in the attempt store; it also asks members to
 * send a snapshot to outsiders at the next step start. */
static int process_join(struct byz_peer *p, const uint8_t *buf, size_t len,
			const struct byz_msg *m)
{
	if (m->step != p->step || m->attempt != p->attempt)
		return -ESTALE;
	if (p->phase > seal_of(BYZ_MSG_JOIN) || relay_admit(p, BYZ_MSG_JOIN) < 0)
		return -ETIME;
	uint8_t h16[16];
	content_hash(buf, len, h16);
	for (int v = 0; v < (int)BYZ_WIRE_MAX_QUEUE; v++) {
		struct held *h = store_find(p, BYZ_MSG_JOIN, BYZ_WIRE_OUTSIDER, 0, v);
		if (!h)
			break;
		if (memcmp(h->h16, h16, 16) == 0)
			return 0;
	}
	int rc = byz_wire_verify(m, p->run.run_id, m->u.join.pk);
	if (rc < 0)
		return rc;
	for (uint16_t i = 0; i < p->run.n; i++) {
		if (memcmp(peer_pk(p, i), m->u.join.pk, 32) != 0)
			continue;
		if (p->banned[i])
			return -BYZ_EBANNED; /* refused forever */
		if (!p->left[i]) {
			/* Admitted but not in sync yet: it still needs a snapshot. */
			p->sync_outsiders = 1;
			return 0;
		}
	}
	rc = store_add(p, buf, len, h16);
	if (rc < 0)
		return rc;
	if (rc >= 1)
		relay_after_accept(p, buf, len, BYZ_MSG_JOIN);
	p->sync_outsiders = 1;
	return 0;
}

int peer_process(struct byz_peer *p, const uint8_t *buf, size_t len, int local)
{
	return process(p, buf, len, local);
}

/*
 * A message whose header holds, that is of this attempt and validly signed
 * by a member, but whose payload does not parse, was made by its signer
 * alone: the message itself proves it (BYZ_ACC_MALFORMED). Unsigned or
 * misattributed garbage proves nothing and is only dropped; replays of an
 * older attempt's messages are not current and ban nobody.
 */
static void accuse_malformed(struct byz_peer *p, const uint8_t *buf, size_t len)
{
	struct byz_msg h;
	if (byz_wire_parse_header(buf, len, &h) < 0 || h.type == BYZ_MSG_JOIN ||
	    h.sender >= p->run.n || h.sender == p->self || !peer_is_member(p, h.sender) ||
	    h.step != p->step || h.attempt != p->attempt || p->accused_malformed[h.sender] ||
	    byz_wire_verify(&h, p->run.run_id, peer_pk(p, h.sender)) != 0)
		return;
	p->accused_malformed[h.sender] = 1;
	(void)accuse_send(p, BYZ_ACC_MALFORMED, h.sender, 0, buf, len, NULL, 0);
}

static int process(struct byz_peer *p, const uint8_t *buf, size_t len, int local)
{
	struct byz_msg m;
	int rc = byz_wire_parse(buf, len, &m);
	if (rc < 0) {
		if (!local && !p->syncing)
			accuse_malformed(p, buf, len);
		return rc;
	}
	if (p->halted)
		return -ESTALE;
	if (p->syncing)
		return local ? 0 : process_syncing(p, &m);
	if (m.type == BYZ_MSG_JOIN)
		return local ? 0 : process_join(p, buf, len, &m);
	if (m.type == BYZ_MSG_STATE)
		return -ESTALE; /* in sync: nothing to install */
	if (m.sender >= p->run.n)
		return -EPROTO;
	if (!peer_is_member(p, m.sender))
		return -BYZ_EBANNED;
	if (m.sender == p->self && !local)
		return -EPROTO; /* our own messages never come back from the network */
	if (m.type == BYZ_MSG_FETCH || (m.type == BYZ_MSG_PART && m.step + 1 == p->step)) {
		/* Requests and fetched parts cross attempts and steps. */
		if (m.type == BYZ_MSG_PART && !p->fetch_open)
			return -ESTALE;
		rc = byz_wire_verify(&m, p->run.run_id, peer_pk(p, m.sender));
		if (rc < 0)
			return rc;
		return m.type == BYZ_MSG_FETCH ? handle_fetch(p, &m) : accept_fetched(p, &m);
	}
	if (m.step != p->step || m.attempt != p->attempt)
		return -ESTALE;
	if (m.type == BYZ_MSG_RELAY)
		return relay_receive(p, &m);
	uint8_t h16[16];
	if (is_bcast_type(m.type)) {
		content_hash(buf, len, h16);
		uint16_t aux = m.type == BYZ_MSG_RESULT ? m.u.result.part : aux_of(&m);
		int nv = m.type == BYZ_MSG_ACCUSE ? (int)byz_peer_accuse_cap(p->run.n) + 1 : 2;
		for (int v = 0; v < nv; v++) {
			struct held *h = store_find(p, m.type, m.sender, aux, v);
			if (!h)
				break;
			if (memcmp(h->h16, h16, 16) == 0)
				return 0; /* duplicate: no signature check needed */
		}
	}
	p->verifies++;
	rc = byz_wire_verify(&m, p->run.run_id, peer_pk(p, m.sender));
	if (rc < 0)
		return rc;
	switch (m.type) {
	case BYZ_MSG_DIGEST:
		/* Compact digests are broadcast; a full list answers one peer. */
		if (m.recipient != BYZ_WIRE_BCAST &&
		    (m.u.digest.form != BYZ_WIRE_DIGEST_FULL || m.recipient != p->self))
			return -EPROTO;
		/* Counted after the signature check, so forgers cannot use up an
		 * honest sender's budget; bounds the push work one sender causes. */
		if (p->n_digest[m.sender] >= BYZ_PEER_MAX_DIGESTS) {
			p->drop_why = BYZ_PDROP_DIGEST_CAP;
			return -ERANGE;
		}
		p->n_digest[m.sender]++;
		handle_digest(p, &m);
		return 0;
	case BYZ_MSG_PART:
		return handle_part(p, &m);
	default:
		break;
	}
	if (m.recipient != BYZ_WIRE_BCAST)
		return -EPROTO;
	if (p->phase > seal_of(m.type) || relay_admit(p, m.type) < 0)
		return -ETIME;
	if ((m.type == BYZ_MSG_RESULT && m.u.result.part >= p->n_parts) ||
	    (m.type == BYZ_MSG_AGGV && m.u.vec.part >= p->n_parts))
		return -EPROTO;
	/* Results only from the part's aggregator (roles are agreed), so each
	 * sender's store slots stay within BYZ_PEER_SLOTS_PER_PEER. */
	if ((m.type == BYZ_MSG_RESULT || m.type == BYZ_MSG_AGGV) &&
	    (!p->roles_done ||
	     p->agg_of[m.type == BYZ_MSG_RESULT ? m.u.result.part : m.u.vec.part] != m.sender))
		return -EPROTO;
	rc = store_add(p, buf, len, h16);
	if (rc < 0)
		return rc;
	if (rc >= 1 && !local)
		relay_after_accept(p, buf, len, m.type);
	if (rc == 2)
		accuse_equiv(p, m.type,
			     m.sender, m.type == BYZ_MSG_RESULT ? m.u.result.part : aux_of(&m));
	if (rc >= 1 && m.type == BYZ_MSG_PROJ && p->have_r)
		check_proj(p, &p->store[p->nstore - 1]);
	return 0;
}

static unsigned drop_reason(const struct byz_peer *p, int rc)
{
	if (p->drop_why >= 0)
		return (unsigned)p->drop_why;
	switch (rc) {
	case -EBADMSG:
	case -BYZ_EVERSION:
	case -ERANGE:
	case -EDOM:
		return BYZ_PDROP_PARSE;
	case -BYZ_EBADSIG:
		return BYZ_PDROP_SIG;
	case -BYZ_EBANNED:
		return BYZ_PDROP_BANNED;
	case -ESTALE:
		return BYZ_PDROP_STALE;
	case -ETIME:
		return BYZ_PDROP_LATE;
	case -EPROTO:
		return BYZ_PDROP_PROTO;
	default:
		return BYZ_PDROP_OTHER;
	}
}

int byz_peer_on_message(struct byz_peer *p, uint64_t now, const uint8_t *buf, size_t len)
{
	if (!p || !buf)
		return -EINVAL;
	if (p->has_hooks && p->hooks.on_receive)
		p->hooks.on_receive(p->hooks.ctx, p, buf, len);
	p->now = now;
	if (p->started)
		byz_peer_on_tick(p, now);
	p->drop_why = -1;
	int rc = process(p, buf, len, 0);
	if (rc < 0) {
		p->dropped++;
		p->drops[drop_reason(p, rc)]++;
	}
	return rc;
}

/* ---------- lifecycle ---------- */

struct byz_peer *byz_peer_new(const struct byz_peer_cfg *cfg, int *err)
{
	int rc = -EINVAL;
	struct byz_peer *p = NULL;
	if (!cfg || !cfg->run || !cfg->sk || !cfg->oracle.grad)
		goto fail;
	const struct byz_run *r = cfg->run;
	if (r->admit_window == 0 || r->relay_off > 1 || r->relay_f >= BYZ_WIRE_MAX_RELAY || (!cfg->joiner && cfg->self >= r->n))
		goto fail;
	if (r->n < 2 || r->n > BYZ_MAX_PEERS || !r->roster || r->d == 0 ||
	    r->d > BYZ_WIRE_MAX_PART_FLOATS || !(r->tau > 0) || !isfinite(r->tau) ||
	    !(r->eps >= 0) || !isfinite(r->eps) || r->phase_us == 0 ||
	    r->max_attempts == 0 || r->silent_limit == 0 || !(r->kappa >= 1.0) ||
	    r->validation > BYZ_VALIDATE_TOLERANCE || !(r->rho >= 0 && r->rho < 1))
		goto fail;
	if (sodium_init() < 0) {
		rc = -EIO;
		goto fail;
	}
	rc = -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail;
	p->run = *r;
	p->self = cfg->self;
	p->oracle = cfg->oracle;
	if (cfg->hooks) {
		p->hooks = *cfg->hooks;
		p->has_hooks = 1;
	}
	size_t d = r->d, n = r->n, dp = d + BYZ_MAX_PEERS;
	p->roster = calloc(BYZ_MAX_PEERS, 32);
	p->roster0 = malloc(32 * n);
	p->sk = sodium_malloc(64);
	p->x = calloc(d, sizeof(float));
	p->x_prev = calloc(d, sizeof(float));
	p->g_raw = calloc(d, sizeof(float));
	p->g = calloc(dp, sizeof(float));
	p->y = calloc(dp, sizeof(float));
	p->tmp = calloc(dp, sizeof(float));
	p->tmp2 = calloc(dp, sizeof(float));
	p->part_buf = calloc(PB_SIZE, sizeof(*p->part_buf));
	p->part_len = calloc(PB_SIZE, sizeof(*p->part_len));
	p->prev_part_buf = calloc(PB_SIZE, sizeof(*p->prev_part_buf));
	p->prev_part_len = calloc(PB_SIZE, sizeof(*p->prev_part_len));
	if (!p->prev_part_buf || !p->prev_part_len)
		goto fail;
	if (!p->roster || !p->roster0 || !p->sk || !p->x || !p->x_prev || !p->g_raw || !p->g || !p->y ||
	    !p->tmp || !p->tmp2 || !p->part_buf || !p->part_len)
		goto fail;
	memcpy(p->roster, r->roster, 32 * n);
	memcpy(p->roster0, r->roster, 32 * n);
	p->run_n0 = (uint32_t)n;
	p->run.roster = p->roster;
	memcpy(p->sk, cfg->sk, 64);
	crypto_sign_ed25519_sk_to_pk(p->self_pk, cfg->sk);
	for (unsigned i = 0; i < BYZ_MAX_PEERS; i++)
		p->admit_step[i] = UINT64_MAX;
	if (cfg->joiner) {
		p->self = BYZ_WIRE_OUTSIDER;
		p->outsider = 1;
		p->syncing = 1;
	}
	byz_genesis(r->run_id, p->r_prev);
	memcpy(p->r_prev2, p->r_prev, 32);
	if (err)
		*err = 0;
	return p;
fail:
	byz_peer_free(p);
	if (err)
		*err = rc;
	return NULL;
}

void byz_peer_free(struct byz_peer *p)
{
	if (!p)
		return;
	store_clear(p);
	batch_free(p->agg_cur);
	while (p->agg_old) {
		struct agg_batch *b = p->agg_old;
		p->agg_old = b->next;
		batch_free(b);
	}
	free(p->store);
	pb_clear(p->part_buf, p->part_len);
	pb_clear(p->prev_part_buf, p->prev_part_len);
	free(p->part_buf);
	free(p->part_len);
	free(p->prev_part_buf);
	free(p->prev_part_len);
	for (unsigned i = 0; i < BYZ_MAX_PEERS; i++)
		free(p->prev_commit[i]);
	fetch_reset(p);
	for (size_t i = p->headout; i < p->nout; i++)
		free(p->out[i].buf);
	free(p->out);
	free(p->ev);
	if (p->sk) {
		sodium_memzero(p->sk, 64);
		sodium_free(p->sk);
	}
	free(p->roster);
	free(p->roster0);
	free(p->val_ev);
	member_reset_checks(p);
	state_free(p);
	free(p->snap);
	free(p->x);
	free(p->x_prev);
	free(p->g_raw);
	free(p->g);
	free(p->y);
	free(p->tmp);
	free(p->tmp2);
	free(p);
}

int byz_peer_start(struct byz_peer *p, uint64_t now)
{
	if (!p || p->started)
		return -EINVAL;
	p->started = 1;
	p->now = now;
	if (p->syncing) {
		p->t_attempt = now;
		p->phase = 0;
		return 0;
	}
	start_step(p, now);
	return 0;
}

const float *byz_peer_params(const struct byz_peer *p) { return p->x; }
uint64_t byz_peer_step(const struct byz_peer *p) { return p->step; }
uint16_t byz_peer_self(const struct byz_peer *p) { return p->self; }
int byz_peer_has_banned(const struct byz_peer *p, uint16_t who)
{
	return who < p->run.n && p->banned[who];
}
uint64_t byz_peer_dropped(const struct byz_peer *p) { return p->dropped; }

uint32_t byz_peer_accuse_cap(uint32_t n)
{
	if (n == 0)
		return 1;
	uint32_t share = (BYZ_WIRE_MAX_DIGEST_ENTRIES - BYZ_WIRE_MAX_QUEUE) / n;
	uint32_t c = share > BYZ_PEER_SLOTS_PER_PEER + 1 ? share - BYZ_PEER_SLOTS_PER_PEER - 1 : 1;
	return c < 2 * n ? c : 2 * n;
}

uint64_t byz_peer_drop_count(const struct byz_peer *p, unsigned why)
{
	return why < BYZ_PDROP_COUNT ? p->drops[why] : 0;
}

uint64_t byz_peer_adjudications(const struct byz_peer *p) { return p->adjudications; }
uint64_t byz_peer_verifies(const struct byz_peer *p) { return p->verifies; }
uint64_t byz_peer_accusations_held_back(const struct byz_peer *p) { return p->acc_held_back; }
uint64_t byz_peer_relays_sent(const struct byz_peer *p) { return p->relays_sent; }
uint32_t byz_peer_relay_windows(const struct byz_peer *p) { return p->relay_w; }
size_t byz_peer_held(const struct byz_peer *p) { return p->nstore; }
unsigned byz_peer_phase(const struct byz_peer *p) { return p->phase; }
uint16_t byz_peer_attempt(const struct byz_peer *p) { return p->attempt; }
uint32_t byz_peer_roster_size(const struct byz_peer *p) { return p->run.n; }
const uint8_t *byz_peer_roster_key(const struct byz_peer *p, uint16_t i)
{
	return i < p->run.n ? p->roster + 32u * i : NULL;
}
int byz_peer_syncing(const struct byz_peer *p) { return p->syncing; }
int byz_peer_halted(const struct byz_peer *p) { return p ? p->halted : 0; }
int byz_peer_is_active(const struct byz_peer *p, uint16_t who)
{
	return peer_is_member(p, who) && !p->probation[who];
}
void byz_peer_corrupt_at(struct byz_peer *p, uint64_t step) { p->corrupt_step = step; }
