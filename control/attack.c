/*
 * Adversaries: the honest state machine plus hooks that alter what it sends
 * or computes. Each attack is the smallest change that exercises one defence;
 * colluders need no coordination beyond running the same hook.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/attack.h"
#include "byz/swarm.h"
#include "gradattack_int.h"
#include "peer_int.h"
#include "relay_int.h"

static const struct {
	const char *name, *help;
	int bans;
} atk[BYZ_ATK_COUNT] = {
	{"bad-part", "sends parts that differ from its commitment; the aggregator accuses with the signed part (banned the same step)", 1},
	{"equivocate-commit", "sends two different signed commitments to two halves of the swarm; the digest exchange surfaces both (banned the same step)", 1},
	{"equivocate-result", "as aggregator, broadcasts two different signed result hashes (banned the same step)", 1},
	{"wrong-aggregate", "as aggregator, shifts its aggregate (hashed consistently); the fixed-point check fails (banned the same step)", 1},
	{"lie-projection", "reports wrong projections s_i^j; the aggregator recomputes and accuses (banned the same step)", 1},
	{"false-accuse", "accuses an honest peer of a bad part with honest evidence; adjudication bans the accuser", 1},
	{"withhold-reveal", "never reveals its MPRNG secret; banned, r_t recomputed without it", 1},
	{"wrong-reveal", "reveals a value that does not match its commitment; banned", 1},
	{"replay", "re-sends old and duplicate messages of every sender; dropped as stale or duplicate, never a ban (not provable)", 0},
	{"forge", "sends messages in other peers' names; signatures fail, dropped, never a ban (not attributable)", 0},
	{"silent", "sends nothing; excluded from each step, leaves after K silent steps, never banned", 0},
	{"malformed", "adds junk, truncated and bad-field messages (none validly signed); the parser drops them, never a ban", 0},
	{"sign-flip", "gradient attack: commits and sends -1000 x its honest gradient; clipping bounds it, a validator recomputing the gradient proves it (banned when first validated)", 1},
	{"leave-rejoin", "silent for K+1 steps, so it leaves the membership, then honest again: it rejoins with a JOIN, on probation, and counts after P clean steps; never banned", 0},
	{"random-direction", "gradient attack: 1000 x its honest norm along a direction all colluders share (banned when first validated)", 1},
	{"label-flip", "gradient attack: its gradient on labels y -> C-1-y (needs --model; banned when first validated)", 1},
	{"delayed", "gradient attack: its own honest gradient of an old step (banned when first validated)", 1},
	{"ipm", "gradient attack: -0.1 x the mean of the step's honest gradients (omniscient; banned when first validated)", 1},
	{"alie", "gradient attack: mean + z std of the step's honest gradients, 'a little is enough' (omniscient; banned when first validated)", 1},
	{"none", "Byzantine identity that behaves honestly (the no-attack baseline); never banned", 0},
	{"signed-malformed", "signs messages whose payload does not parse (a COMMIT without its hashes, a PART holding NaN); the signed message is the evidence (banned the same step)", 1},
	{"late-to-some", "delivers its commit, result, reveal and projections to a few honest peers just before the digest deadline (colluders relay them to one more honest peer per window, at its end); the relay windows give every honest peer the same store; never banned (lateness is not provable)", 0},
};

/* Gradient attacks of byz/attack.h, by protocol attack (-1: protocol attack). */
int byz_attack_grad_kind(int a)
{
	switch (a) {
	case BYZ_ATK_SIGN_FLIP:
		return BYZ_GRAD_ATTACK_SIGN_FLIP;
	case BYZ_ATK_RANDOM_DIRECTION:
		return BYZ_GRAD_ATTACK_RANDOM_DIRECTION;
	case BYZ_ATK_LABEL_FLIP:
		return BYZ_GRAD_ATTACK_LABEL_FLIP;
	case BYZ_ATK_DELAYED:
		return BYZ_GRAD_ATTACK_DELAYED;
	case BYZ_ATK_IPM:
		return BYZ_GRAD_ATTACK_IPM;
	case BYZ_ATK_ALIE:
		return BYZ_GRAD_ATTACK_ALIE;
	case BYZ_ATK_NONE:
		return BYZ_GRAD_ATTACK_NONE;
	default:
		return -1;
	}
}

const char *byz_attack_name(int a)
{
	return a >= 0 && a < BYZ_ATK_COUNT ? atk[a].name : NULL;
}

const char *byz_attack_help(int a)
{
	return a >= 0 && a < BYZ_ATK_COUNT ? atk[a].help : NULL;
}

int byz_attack_bans(int a)
{
	return a >= 0 && a < BYZ_ATK_COUNT ? atk[a].bans : 0;
}

int byz_attack_parse(const char *name)
{
	for (int a = 0; name && a < BYZ_ATK_COUNT; a++)
		if (strcmp(name, atk[a].name) == 0)
			return a;
	return -EINVAL;
}

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seal a broadcast-type message but deliver it to one peer only. */
static void emit_to(struct byz_peer *p, uint8_t type, uint16_t to, const uint8_t *pl,
		    uint32_t len, uint16_t as_sender)
{
	uint8_t *msg;
	size_t mlen;
	if (byz_wire_seal(type, as_sender, BYZ_WIRE_BCAST, p->attempt, p->step, p->run.run_id, pl,
			  len, p->sk, &msg, &mlen) == 0) {
		peer_emit_raw(p, to, msg, mlen);
		free(msg);
	}
}

/* Half the peers get the message as is, the other half a variant. */
static void split_send(struct byz_peer *p, const struct byz_send *s, size_t flip_at)
{
	uint8_t *v = malloc(s->len);
	if (!v)
		return;
	memcpy(v, s->payload, s->len);
	if (flip_at < s->len)
		v[flip_at] ^= 0x5a;
	for (uint16_t j = 0; j < p->run.n; j++) {
		if (j == p->self)
			continue;
		emit_to(p, s->type, j, j < p->run.n / 2 ? s->payload : v, s->len, p->self);
	}
	free(v);
}

static void malformed(struct byz_attacker *a, struct byz_peer *p, const struct byz_send *s)
{
	uint8_t *msg;
	size_t mlen;
	if (byz_wire_seal(s->type, p->self, s->to, p->attempt, p->step, p->run.run_id, s->payload,
			  s->len, p->sk, &msg, &mlen))
		return;
	uint16_t to = s->to;
	peer_emit_raw(p, to, msg, mlen / 2);       /* truncated */
	msg[0] = 7;                                /* unknown version */
	peer_emit_raw(p, to, msg, mlen);
	msg[0] = BYZ_WIRE_VERSION;
	byz_put32(msg + 16, 0x7fffffffu);          /* payload length over every limit */
	peer_emit_raw(p, to, msg, mlen);
	free(msg);
	uint8_t junk[300];
	size_t jl = 1 + mix(&a->seed) % sizeof(junk);
	for (size_t i = 0; i < jl; i++)
		junk[i] = (uint8_t)mix(&a->seed);
	peer_emit_raw(p, to, junk, jl);
}

/* Validly signed by the attacker, payload malformed: each is a provable
 * lie (BYZ_ACC_MALFORMED), unlike the junk above. */
static void signed_malformed(struct byz_peer *p, const struct byz_send *s)
{
	uint8_t *msg;
	size_t mlen;
	if (s->type == BYZ_MSG_COMMIT) { /* claims 3 parts, carries none */
		uint8_t bad[68] = {0};
		byz_put16(bad + 64, 3);
		if (byz_wire_seal(BYZ_MSG_COMMIT, p->self, BYZ_WIRE_BCAST, p->attempt, p->step,
				  p->run.run_id, bad, sizeof(bad), p->sk, &msg, &mlen) == 0) {
			peer_emit_raw(p, BYZ_WIRE_BCAST, msg, mlen);
			free(msg);
		}
	} else if (s->type == BYZ_MSG_PART && s->len >= 12) { /* a NaN in the part */
		uint8_t *pl = malloc(s->len);
		if (!pl)
			return;
		memcpy(pl, s->payload, s->len);
		byz_putf32(pl + 8, NAN);
		if (byz_wire_seal(BYZ_MSG_PART, p->self, s->to, p->attempt, p->step, p->run.run_id,
				  pl, s->len, p->sk, &msg, &mlen) == 0) {
			peer_emit_raw(p, s->to, msg, mlen);
			free(msg);
		}
		free(pl);
	}
}

/* ---- late-to-some ---- */

static int late_type(uint8_t t)
{
	return t == BYZ_MSG_COMMIT || t == BYZ_MSG_RESULT || t == BYZ_MSG_AGGV ||
	       t == BYZ_MSG_REVEAL || t == BYZ_MSG_PROJ;
}

/* The honest member of rank @p k in index order, or -1. */
static int honest_rank(const struct byz_attacker *a, const struct byz_peer *p, unsigned k)
{
	for (uint16_t i = 0; i < p->run.n; i++)
		if (peer_is_member(p, i) && !byz_swarm_is_byz(a->swarm, i) && k-- == 0)
			return i;
	return -1;
}

/* The next colluder after us (cyclic), or -1 alone. */
static int next_colluder(const struct byz_attacker *a, const struct byz_peer *p)
{
	for (uint16_t d = 1; d < p->run.n; d++) {
		uint16_t i = (uint16_t)((p->self + d) % p->run.n);
		if (peer_is_member(p, i) && byz_swarm_is_byz(a->swarm, i))
			return i;
	}
	return -1;
}

/*
 * Its own broadcasts of a digest phase: alone, to every other honest peer
 * (by rank) 1 ms before the direct deadline T, after every digest and push
 * crossed, so without relays half the honest stores hold them; with
 * colluders, to the next colluder only. A RELAY with c relayers (the honest
 * relay machinery of a colluder): to the next colluder at once and to one
 * honest peer (rank c - 1) 1 ms before its window c closes, so honest peers
 * first hear of it in ever later windows.
 */
static int late_to_some(struct byz_attacker *a, struct byz_peer *p, const struct byz_send *s)
{
	if (s->to != BYZ_WIRE_BCAST || !(late_type(s->type) || s->type == BYZ_MSG_RELAY))
		return 0;
	uint8_t *msg;
	size_t mlen;
	uint32_t len = s->len > s->cap ? s->cap : s->len;
	if (byz_wire_seal(s->type, p->self, BYZ_WIRE_BCAST, p->attempt, p->step, p->run.run_id,
			  s->payload, len, p->sk, &msg, &mlen))
		return 0;
	int col = next_colluder(a, p);
	if (late_type(s->type)) {
		/* Its own copy, so that it acts on it, marked as pushed to everyone:
		 * the digest exchange must not leak it early. */
		size_t before = p->nstore;
		peer_process(p, msg, mlen, 1);
		if (p->nstore > before)
			memset(p->store[p->nstore - 1].pushed, 0xff, BYZ_WIRE_BITMAP_LEN);
		uint64_t t = relay_direct_deadline(p, s->type) - 1000;
		if (col >= 0) {
			swarm_deliver_at(a->swarm, p->self, (uint16_t)col, t, msg, mlen);
		} else {
			int h;
			for (unsigned k = 0; (h = honest_rank(a, p, k)) >= 0; k += 2)
				swarm_deliver_at(a->swarm, p->self, (uint16_t)h, t, msg, mlen);
		}
	} else {
		unsigned c = len > 8 ? s->payload[0] : 0;
		size_t io = 8u + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)c;
		if (c && io + 2 <= len) {
			uint64_t t = relay_direct_deadline(p, s->payload[io + 1]) +
				     (uint64_t)c * relay_delta(p) - 1000;
			if (col >= 0)
				swarm_deliver_at(a->swarm, p->self, (uint16_t)col, p->now + 1000, msg,
						 mlen);
			int h = honest_rank(a, p, c - 1);
			if (h >= 0)
				swarm_deliver_at(a->swarm, p->self, (uint16_t)h, t, msg, mlen);
		}
	}
	free(msg);
	return 1;
}

static int on_send(void *ctx, struct byz_peer *p, struct byz_send *s)
{
	struct byz_attacker *a = ctx;
	if (a->grad)
		return gradattack_on_send(a, p, s);
	if (p->step < a->start_step)
		return 0;
	switch (a->attack) {
	case BYZ_ATK_SILENT:
		return 1;
	case BYZ_ATK_LEAVE_REJOIN:
		return p->step < a->start_step + p->run.silent_limit + 1;
	case BYZ_ATK_BAD_PART:
		if (s->type == BYZ_MSG_PART && s->len >= 12 && s->to != p->self)
			byz_putf32(s->payload + 8, byz_lef32(s->payload + 8) + 1.0f);
		return 0;
	case BYZ_ATK_EQUIV_COMMIT:
		if (s->type == BYZ_MSG_COMMIT && s->to == BYZ_WIRE_BCAST) {
			split_send(p, s, 32); /* the MPRNG commitment differs */
			return 0; /* keep its own copy too: it stays a committer in its view */
		}
		return 0;
	case BYZ_ATK_EQUIV_RESULT:
		if (s->type == BYZ_MSG_RESULT && s->to == BYZ_WIRE_BCAST) {
			split_send(p, s, 24); /* the aggregate hash differs */
			return 1;
		}
		return 0;
	case BYZ_ATK_LIE_PROJECTION:
		if (s->type == BYZ_MSG_PROJ)
			for (uint16_t e = 0; e < byz_le16(s->payload); e++) {
				uint8_t *en = s->payload + 4 + BYZ_WIRE_PROJ_ENTRY_LEN * (size_t)e;
				double v = byz_lef64(en + 8);
				byz_putf64(en + 8, v + 10.0 * (1.0 + fabs(v)));
			}
		return 0;
	case BYZ_ATK_WITHHOLD_REVEAL:
		return s->type == BYZ_MSG_REVEAL;
	case BYZ_ATK_WRONG_REVEAL:
		if (s->type == BYZ_MSG_REVEAL)
			s->payload[0] ^= 1;
		return 0;
	case BYZ_ATK_FORGE:
		if (s->to == BYZ_WIRE_BCAST && s->type != BYZ_MSG_DIGEST) {
			uint16_t victim = (uint16_t)((p->self + 1 + mix(&a->seed) % (p->run.n - 1)) %
						     p->run.n);
			uint8_t *msg;
			size_t mlen;
			if (byz_wire_seal(s->type, victim, BYZ_WIRE_BCAST, p->attempt, p->step,
					  p->run.run_id, s->payload, s->len, p->sk, &msg, &mlen) == 0) {
				peer_emit_raw(p, BYZ_WIRE_BCAST, msg, mlen);
				free(msg);
			}
		}
		return 0;
	case BYZ_ATK_MALFORMED:
		if (s->to != p->self)
			malformed(a, p, s);
		return 0;
	case BYZ_ATK_SIGNED_MALFORMED:
		if (s->to != p->self)
			signed_malformed(p, s);
		return 0;
	case BYZ_ATK_LATE_TO_SOME:
		return late_to_some(a, p, s);
	default:
		return 0;
	}
}

static void on_gradient(void *ctx, struct byz_peer *p, float *g, size_t d)
{
	/* Gradient attacks (sign-flip included) live in gradattack.c. */
	gradattack_on_gradient(ctx, p, g, d);
}

static void on_aggregate(void *ctx, struct byz_peer *p, uint16_t part, float *y, uint32_t len)
{
	struct byz_attacker *a = ctx;
	(void)part;
	if (a->attack != BYZ_ATK_WRONG_AGGREGATE || p->step < a->start_step)
		return;
	for (uint32_t c = 0; c < len; c++)
		y[c] += 0.05f;
}

static void on_receive(void *ctx, struct byz_peer *p, const uint8_t *buf, size_t len)
{
	struct byz_attacker *a = ctx;
	(void)p;
	if (a->attack != BYZ_ATK_REPLAY || len > 4096)
		return;
	if (a->nold == a->capold) {
		if (a->capold >= 256) { /* keep a bounded memory: overwrite at random */
			size_t i = mix(&a->seed) % a->capold;
			uint8_t *c = malloc(len);
			if (!c)
				return;
			memcpy(c, buf, len);
			free(a->old[i]);
			a->old[i] = c;
			a->old_len[i] = len;
			return;
		}
		size_t nc = a->capold ? 2 * a->capold : 32;
		uint8_t **no = realloc(a->old, nc * sizeof(*no));
		if (!no)
			return;
		a->old = no;
		size_t *nl = realloc(a->old_len, nc * sizeof(*nl));
		if (!nl)
			return;
		a->old_len = nl;
		a->capold = nc;
	}
	uint8_t *c = malloc(len);
	if (!c)
		return;
	memcpy(c, buf, len);
	a->old[a->nold] = c;
	a->old_len[a->nold++] = len;
}

static void on_phase(void *ctx, struct byz_peer *p, unsigned phase)
{
	struct byz_attacker *a = ctx;
	if (p->step < a->start_step)
		return;
	if (a->attack == BYZ_ATK_REPLAY && a->nold) {
		for (int k = 0; k < 8; k++) {
			size_t i = mix(&a->seed) % a->nold;
			peer_emit_raw(p, BYZ_WIRE_BCAST, a->old[i], a->old_len[i]);
		}
	}
	if (a->attack == BYZ_ATK_FALSE_ACCUSE && phase == BYZ_PH_RESULT) {
		/* Accuse an honest contributor whose honest part it holds. */
		for (uint16_t j = 0; j < p->n_parts; j++) {
			if (p->agg_of[j] != p->self)
				continue;
			for (uint16_t i = 0; i < p->run.n; i++) {
				size_t idx = PB_IDX(j, i);
				if (i == p->self || !p->part_buf[idx] ||
				    byz_swarm_is_byz(a->swarm, i))
					continue;
				struct held *c = store_find(p, BYZ_MSG_COMMIT, i, 0, 0);
				if (!c)
					continue;
				accuse_send(p, BYZ_ACC_BAD_PART, i, j, c->buf, c->len,
					    p->part_buf[idx], p->part_len[idx]);
				return;
			}
		}
	}
}

void byz_attacker_hooks(struct byz_attacker *a, struct byz_peer_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->ctx = a;
	h->on_send = on_send;
	h->on_aggregate = on_aggregate;
	h->on_gradient = on_gradient;
	h->on_phase = on_phase;
	h->on_receive = on_receive;
}

void byz_attacker_free(struct byz_attacker *a)
{
	for (size_t i = 0; i < a->nold; i++)
		free(a->old[i]);
	free(a->old);
	free(a->old_len);
	byz_grad_attack_destroy(a->grad);
	a->grad = NULL;
	a->old = NULL;
	a->old_len = NULL;
	a->nold = a->capold = 0;
}
