/*
 * DESIGN (re-sync). The replicated state at the start of a step - step and
 * start time, r_{t-1}, r_{t-2}, the roster with every peer's membership
 * flags, probation and silence counters, the join queue, the previous step's
 * shape and aggregators, x and x_{t-1} - is serialised canonically as a
 * STATE payload; its BLAKE2b is the *state digest* every COMMIT carries. A
 * peer without trusted state (a newcomer, or a member whose digest differs
 * from the swarm's) buffers the attempt-0 COMMITs of a step and the STATE
 * snapshots members send at that step's start, and installs a snapshot only
 * when more active members (by the snapshot's own roster) signed commits
 * carrying its digest than there can be Byzantine ones (2f < active): the
 * same honest-majority assumption as everything else. It installs during the first two phases of attempt 0, before roles
 * are fixed, sits that step out (no commit) and takes part from the next.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "peer_int.h"

void byz_state_digest(const uint8_t run_id[32], const uint8_t *state, size_t len,
		      uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t dom = 'S';
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, &dom, 1);
	crypto_generichash_update(&st, run_id, 32);
	crypto_generichash_update(&st, state, len);
	crypto_generichash_final(&st, out, 32);
}

int state_build(struct byz_peer *p, uint64_t t_step)
{
	uint16_t n = (uint16_t)p->run.n, np = p->have_prev ? p->prev_n_parts : 0;
	uint32_t d = (uint32_t)p->run.d;
	size_t len = byz_wire_state_len(n, np, (uint8_t)p->njq, d);
	uint8_t *b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	byz_put64(b, p->step);
	byz_put64(b + 8, t_step);
	byz_put32(b + 16, d);
	byz_put16(b + 20, n);
	byz_put16(b + 22, p->have_prev ? p->prev_attempt : 0);
	byz_put16(b + 24, np);
	b[26] = (uint8_t)(p->have_prev != 0);
	b[27] = (uint8_t)p->njq;
	memcpy(b + 32, p->r_prev, 32);
	memcpy(b + 64, p->r_prev2, 32);
	size_t off = BYZ_WIRE_STATE_FIXED;
	memcpy(b + off, p->roster, 32u * (size_t)n);
	off += 32u * (size_t)n;
	for (uint16_t i = 0; i < n; i++, off += 8) {
		b[off] = (uint8_t)((p->banned[i] ? BYZ_ST_BANNED : 0) | (p->left[i] ? BYZ_ST_LEFT : 0) |
				   (p->was_validator[i] ? BYZ_ST_WAS_VALIDATOR : 0) |
				   (p->have_prev && p->prev_contrib[i] ? BYZ_ST_PREV_CONTRIB : 0) |
				   (p->probation[i] ? BYZ_ST_PROBATION : 0));
		byz_put16(b + off + 2, p->clean[i]);
		byz_put32(b + off + 4, p->silent_run[i]);
	}
	for (uint16_t i = 0; i < n; i++, off += 8)
		byz_put64(b + off, p->admit_step[i]);
	for (uint16_t j = 0; j < np; j++, off += 2)
		byz_put16(b + off, p->prev_agg_of[j]);
	memcpy(b + off, p->jq, 32u * p->njq);
	off += 32u * p->njq;
	for (uint32_t c = 0; c < d; c++)
		byz_putf32(b + off + 4u * (size_t)c, p->x[c]);
	off += 4u * (size_t)d;
	for (uint32_t c = 0; c < d; c++)
		byz_putf32(b + off + 4u * (size_t)c, p->have_prev ? p->x_prev[c] : 0.0f);
	free(p->snap);
	p->snap = b;
	p->snap_len = len;
	byz_state_digest(p->run.run_id, b, len, p->params_digest);
	return 0;
}

void state_free(struct byz_peer *p)
{
	for (size_t i = 0; i < p->nsbuf; i++)
		free(p->sbuf[i]);
	free(p->sbuf);
	free(p->sbuf_len);
	p->sbuf = NULL;
	p->sbuf_len = NULL;
	p->nsbuf = 0;
}

#define SBUF_CAP (4u * BYZ_MAX_PEERS)

/* Keep an attempt-0 COMMIT or a STATE of the newest step seen; older ones
 * can no longer be installed. */
int state_buffer(struct byz_peer *p, const struct byz_msg *m)
{
	if (m->attempt != 0 || (m->type != BYZ_MSG_COMMIT && m->type != BYZ_MSG_STATE))
		return -ESTALE;
	if (m->type == BYZ_MSG_STATE && (m->u.state.d != p->run.d || m->u.state.step != m->step))
		return -EPROTO;
	size_t k = 0;
	for (size_t i = 0; i < p->nsbuf; i++) {
		struct byz_msg o;
		if (byz_wire_parse(p->sbuf[i], p->sbuf_len[i], &o) < 0 || o.step + 1 < m->step) {
			free(p->sbuf[i]); /* two steps behind: can no longer be installed */
			continue;
		}
		p->sbuf[k] = p->sbuf[i];
		p->sbuf_len[k++] = p->sbuf_len[i];
	}
	p->nsbuf = k;
	for (size_t i = 0; i < p->nsbuf; i++) {
		struct byz_msg o;
		byz_wire_parse(p->sbuf[i], p->sbuf_len[i], &o);
		if (o.type == m->type && o.sender == m->sender && o.step == m->step)
			return 0; /* one per sender and step: the first one stays */
	}
	if (p->nsbuf >= SBUF_CAP)
		return -ERANGE;
	if (!p->sbuf) {
		p->sbuf = calloc(SBUF_CAP, sizeof(*p->sbuf));
		p->sbuf_len = calloc(SBUF_CAP, sizeof(*p->sbuf_len));
		if (!p->sbuf || !p->sbuf_len)
			return -ENOMEM;
	}
	uint8_t *c = malloc(m->raw_len);
	if (!c)
		return -ENOMEM;
	memcpy(c, m->raw, m->raw_len);
	p->sbuf[p->nsbuf] = c;
	p->sbuf_len[p->nsbuf++] = m->raw_len;
	return 0;
}

static int st_active(const struct byz_msg *s, uint16_t i)
{
	return i < s->u.state.n && !(s->u.state.peers[8u * i] &
				     (BYZ_ST_BANNED | BYZ_ST_LEFT | BYZ_ST_PROBATION));
}

/* Count distinct active members of @p s whose signed attempt-0 commit of
 * that step carries digest @p dg. */
static uint32_t endorsements(struct byz_peer *p, const struct byz_msg *s, const uint8_t dg[32])
{
	uint8_t seen[BYZ_MAX_PEERS] = {0};
	uint32_t cnt = 0;
	for (size_t i = 0; i < p->nsbuf; i++) {
		struct byz_msg c;
		if (byz_wire_parse(p->sbuf[i], p->sbuf_len[i], &c) < 0 || c.type != BYZ_MSG_COMMIT ||
		    c.step != s->u.state.step || c.attempt != 0 || !st_active(s, c.sender) ||
		    seen[c.sender] || memcmp(c.u.commit.params_digest, dg, 32) != 0)
			continue;
		if (byz_wire_verify(&c, p->run.run_id, s->u.state.roster + 32u * c.sender) != 0)
			continue;
		seen[c.sender] = 1;
		cnt++;
	}
	return cnt;
}

static void install(struct byz_peer *p, const struct byz_msg *s, uint16_t self)
{
	uint16_t n = s->u.state.n;
	p->run.n = n;
	memcpy(p->roster, s->u.state.roster, 32u * (size_t)n);
	p->self = self;
	p->outsider = 0;
	p->step = s->u.state.step;
	memcpy(p->r_prev, s->u.state.r_prev, 32);
	memcpy(p->r_prev2, s->u.state.r_prev2, 32);
	memset(p->banned, 0, sizeof(p->banned));
	memset(p->left, 0, sizeof(p->left));
	memset(p->was_validator, 0, sizeof(p->was_validator));
	memset(p->prev_contrib, 0, sizeof(p->prev_contrib));
	memset(p->probation, 0, sizeof(p->probation));
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *e = s->u.state.peers + 8u * i;
		p->banned[i] = (e[0] & BYZ_ST_BANNED) != 0;
		p->left[i] = (e[0] & BYZ_ST_LEFT) != 0;
		p->was_validator[i] = (e[0] & BYZ_ST_WAS_VALIDATOR) != 0;
		p->prev_contrib[i] = (e[0] & BYZ_ST_PREV_CONTRIB) != 0;
		p->probation[i] = (e[0] & BYZ_ST_PROBATION) != 0;
		p->clean[i] = byz_le16(e + 2);
		p->silent_run[i] = byz_le32(e + 4);
		p->admit_step[i] = byz_le64(s->u.state.admit + 8u * i);
	}
	p->have_prev = s->u.state.have_prev;
	p->prev_attempt = s->u.state.prev_attempt;
	p->prev_n_parts = s->u.state.prev_n_parts;
	for (uint16_t j = 0; j < p->prev_n_parts; j++)
		p->prev_agg_of[j] = byz_le16(s->u.state.prev_agg + 2u * j);
	p->njq = s->u.state.n_queue;
	memcpy(p->jq, s->u.state.queue, 32u * p->njq);
	for (uint32_t c = 0; c < p->run.d; c++) {
		p->x[c] = byz_lef32(s->u.state.x + 4u * (size_t)c);
		p->x_prev[c] = byz_lef32(s->u.state.x_prev + 4u * (size_t)c);
	}
	/* What the snapshot does not carry (signed commits and parts of the
	 * previous step) is lost: this peer cannot validate or serve them. */
	for (unsigned i = 0; i < BYZ_MAX_PEERS; i++) {
		free(p->prev_commit[i]);
		p->prev_commit[i] = NULL;
	}
	pb_clear(p->prev_part_buf, p->prev_part_len);
}

int state_try_install(struct byz_peer *p, uint64_t now)
{
	uint64_t D = p->run.phase_us;
	for (size_t k = 0; k < p->nsbuf; k++) {
		struct byz_msg s;
		if (byz_wire_parse(p->sbuf[k], p->sbuf_len[k], &s) < 0 || s.type != BYZ_MSG_STATE)
			continue;
		/* Only before the roles of attempt 0 are fixed. */
		if (now < s.u.state.t_step || now >= s.u.state.t_step + 2 * D)
			continue;
		/* The initial roster is a run constant. */
		if (s.u.state.n < p->run_n0 || memcmp(s.u.state.roster, p->roster0, 32u * p->run_n0))
			continue;
		int self = -1;
		for (uint16_t i = 0; i < s.u.state.n; i++)
			if (memcmp(s.u.state.roster + 32u * i, p->self_pk, 32) == 0)
				self = i;
		if (self < 0 || (s.u.state.peers[8u * self] & BYZ_ST_BANNED))
			continue; /* not admitted (yet) */
		uint8_t dg[32];
		byz_state_digest(p->run.run_id, s.payload, s.payload_len, dg);
		uint32_t nact = 0;
		for (uint16_t i = 0; i < s.u.state.n; i++)
			nact += (uint32_t)st_active(&s, i);
		/* Byzantine peers are fewer than half of the active ones (2f < nact),
		 * so floor((nact - 1) / 2) + 1 endorsements include an honest one. */
		uint32_t e = endorsements(p, &s, dg);
		if (e == 0 || 2 * e < nact)
			continue;
		install(p, &s, (uint16_t)self);
		p->syncing = 0;
		p->late_sync = 0;
		p->mute_step = p->step + 1; /* stored +1 so that step 0 is expressible */
		uint64_t t_step = s.u.state.t_step;
		/* Replay the buffered commits of this step into the fresh store. */
		size_t nb = p->nsbuf;
		uint8_t **bufs = p->sbuf;
		size_t *lens = p->sbuf_len;
		p->sbuf = NULL;
		p->sbuf_len = NULL;
		p->nsbuf = 0;
		peer_begin_step(p, t_step, 0);
		int ok = memcmp(p->params_digest, dg, 32) == 0;
		if (ok) {
			for (size_t i = 0; i < nb; i++) {
				struct byz_msg c;
				if (byz_wire_parse(bufs[i], lens[i], &c) == 0 && c.type == BYZ_MSG_COMMIT &&
				    c.step == p->step)
					peer_process(p, bufs[i], lens[i], 0);
			}
			peer_event(p, BYZ_EV_RESYNCED, p->self, -1, 0);
			byz_peer_on_tick(p, now);
		}
		for (size_t i = 0; i < nb; i++)
			free(bufs[i]);
		free(bufs);
		free(lens);
		if (!ok) { /* cannot happen unless serialisation differs: stay out */
			p->syncing = 1;
			return -EPROTO;
		}
		return 1;
	}
	return 0;
}
