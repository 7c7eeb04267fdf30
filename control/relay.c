/*
 * DESIGN (relay windows). The digest/push barrier makes honest stores equal
 * for everything held when a digest phase starts, but not for a message a
 * Byzantine delivers to some honest peers after the digests crossed: those
 * hold it, the others never hear of it. Each digest phase therefore ends
 * with W = f + 1 relay windows of Delta each (Dolev-Strong): a broadcast
 * counts if it arrives directly before the phase's nominal deadline T, or
 * in window w (ending T + w Delta) inside a RELAY whose chain holds w
 * distinct member signatures other than its signer's. An honest peer that
 * accepts a message after the last digest listing its type has been sent
 * relays it at once with its own chain signature added, so the others get
 * it one window later with one more signature; a chain of f + 1 distinct
 * relayers holds an honest one, who already relayed it to everybody. After
 * the last window the type is sealed as before. Honest messages arrive
 * before the digests, so an honest run sends no RELAY at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "peer_int.h"
#include "relay_int.h"

static uint64_t delta_of(const struct byz_run *r)
{
	return r->late_us ? r->late_us : r->phase_us / 3;
}

uint32_t byz_relay_windows(const struct byz_run *r, uint32_t n0)
{
	if (!r || r->relay_off || n0 == 0)
		return 0;
	uint32_t w = (r->relay_f ? r->relay_f : (n0 - 1) / 2) + 1;
	return w > BYZ_WIRE_MAX_RELAY ? BYZ_WIRE_MAX_RELAY : w;
}

/* Time a digest phase adds to D: W windows; FINAL_DIG also Delta for an
 * accusation made on a projection relayed in its last window, then W
 * windows for the accusations (they are sealed with it). */
static uint64_t extension(uint64_t dl, uint32_t w, unsigned ph)
{
	if (!w)
		return 0;
	switch (ph) {
	case BYZ_PH_COMMIT_DIG:
	case BYZ_PH_RESULT_DIG:
	case BYZ_PH_REVEAL_DIG:
		return (uint64_t)w * dl;
	case BYZ_PH_FINAL_DIG:
		return (2ull * w + 1) * dl;
	default:
		return 0;
	}
}

static uint64_t offset(uint64_t D, uint64_t dl, uint32_t w, unsigned phase)
{
	uint64_t o = (uint64_t)phase * D;
	for (unsigned k = 0; k < phase && k < BYZ_PH_COUNT; k++)
		o += extension(dl, w, k);
	return o;
}

uint64_t byz_run_attempt_us(const struct byz_run *r, uint32_t n0)
{
	return offset(r->phase_us, delta_of(r), byz_relay_windows(r, n0), BYZ_PH_COUNT);
}

/* A run constant (the initial roster, or relay_f), not the membership of
 * the moment: a peer whose view of the roster is off (re-syncing, missed
 * an admission) must still keep the swarm's schedule. */
void relay_attempt_start(struct byz_peer *p)
{
	p->relay_w = byz_relay_windows(&p->run, p->run_n0);
}

uint64_t relay_phase_offset(const struct byz_peer *p, unsigned phase)
{
	return offset(p->run.phase_us, delta_of(&p->run), p->relay_w, phase);
}

uint64_t relay_delta(const struct byz_peer *p)
{
	return delta_of(&p->run);
}

uint64_t relay_direct_deadline(const struct byz_peer *p, uint8_t type)
{
	uint64_t t = p->t_attempt + relay_phase_offset(p, peer_seal_of(type)) + p->run.phase_us;
	if (type == BYZ_MSG_ACCUSE || type == BYZ_MSG_JOIN)
		t += ((uint64_t)p->relay_w + 1) * delta_of(&p->run);
	return t;
}

int relay_admit(const struct byz_peer *p, uint8_t type)
{
	if (!p->relay_w || p->phase < peer_seal_of(type))
		return 0; /* the caller's phase check is the whole rule */
	uint32_t c = p->rx_chain < p->relay_w ? p->rx_chain : p->relay_w;
	return p->now < relay_direct_deadline(p, type) + (uint64_t)c * delta_of(&p->run) ? 0 : -ETIME;
}

int relay_can_send(const struct byz_peer *p, uint8_t type)
{
	if (!p->relay_w || p->phase < peer_seal_of(type))
		return 1;
	return p->now + delta_of(&p->run) <= relay_direct_deadline(p, type);
}

void relay_after_accept(struct byz_peer *p, const uint8_t *buf, size_t len, uint8_t type)
{
	if (!p->relay_w || p->late_attempt || p->syncing)
		return;
	/* Held before the last digest listing its type was sent: that digest
	 * exchange pushes it to whoever lacks it. */
	unsigned s = peer_seal_of(type);
	if (p->now < p->t_attempt + relay_phase_offset(p, s))
		return;
	uint32_t c = p->rx_chain;
	if (c + 1 > p->relay_w)
		return; /* f + 1 relayers: an honest one relayed it already */
	uint16_t rel[BYZ_WIRE_MAX_RELAY];
	uint8_t sigs[64u * BYZ_WIRE_MAX_RELAY];
	uint8_t mine[64];
	byz_wire_relay_sign(p->run.run_id, buf, len, p->self, p->sk, mine);
	unsigned k = 0;
	int placed = 0;
	for (uint32_t j = 0; j < c; j++) {
		const uint8_t *sg;
		uint16_t r = byz_wire_relay_at(p->rx_relay, j, &sg);
		if (r == p->self)
			return; /* we signed it, so we held it: not new */
		if (!placed && p->self < r) {
			rel[k] = p->self;
			memcpy(sigs + 64u * k++, mine, 64);
			placed = 1;
		}
		rel[k] = r;
		memcpy(sigs + 64u * k++, sg, 64);
	}
	if (!placed) {
		rel[k] = p->self;
		memcpy(sigs + 64u * k++, mine, 64);
	}
	size_t n = byz_wire_relay_len(k, len);
	uint8_t *pl = malloc(n);
	if (!pl)
		return;
	n = byz_wire_put_relay(pl, k, rel, sigs, buf, len);
	if (n && peer_send(p, BYZ_MSG_RELAY, BYZ_WIRE_BCAST, pl, (uint32_t)n, 0) == 0)
		p->relays_sent++;
	free(pl);
}

int relay_receive(struct byz_peer *p, const struct byz_msg *m)
{
	if (!p->relay_w)
		return -EPROTO; /* relay off: nobody should send one */
	unsigned c = m->u.relay.count;
	for (unsigned k = 0; k < c; k++) {
		uint16_t r = byz_wire_relay_at(m, k, NULL);
		if (r == p->self)
			return 0; /* our own signature: we hold the message */
		if (!peer_is_member(p, r))
			return -BYZ_EBANNED;
	}
	struct byz_msg im;
	if (byz_wire_parse(m->u.relay.inner, m->u.relay.inner_len, &im) < 0)
		return -EBADMSG;
	/* Duplicates cost no signature check (most relays are duplicates). */
	if (peer_store_holds(p, &im))
		return 0;
	p->rx_chain = c;
	int rc = relay_admit(p, im.type);
	p->rx_chain = 0;
	if (rc < 0)
		return rc;
	p->verifies += 1u + c;
	if (byz_wire_verify(m, p->run.run_id, peer_pk(p, m->sender)) < 0)
		goto bad;
	for (unsigned k = 0; k < c; k++)
		if (byz_wire_relay_check(m, k, p->run.run_id,
					 peer_pk(p, byz_wire_relay_at(m, k, NULL))) < 0)
			goto bad;
	p->rx_chain = c;
	p->rx_relay = m;
	rc = peer_process(p, m->u.relay.inner, m->u.relay.inner_len, 0);
	p->rx_chain = 0;
	p->rx_relay = NULL;
	return rc;
bad:
	/* Anyone can make a bad chain signature: a drop, never a ban. */
	p->relays_bad++;
	p->drop_why = BYZ_PDROP_RELAY;
	return -BYZ_EBADSIG;
}
