/*
 * DESIGN (wire): one strict parser for every protocol message. It checks the
 * total length before reading any field, then the header, then the payload of
 * its type against exact sizes and limits, and only then does anyone spend a
 * signature check on it. Builders write the same layout; they do not validate
 * so that tests and adversaries can produce anything.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/merkle.h"
#include "byz/wire.h"

#define MAX_EV_MSG (BYZ_WIRE_HDR_LEN + 8u + 4u * BYZ_WIRE_MAX_PART_FLOATS + BYZ_WIRE_SIG_LEN)
/* The largest relayable message is an ACCUSE carrying two evidence items. */
#define MAX_ACCUSE_PL (12u + BYZ_WIRE_MAX_EVIDENCE * (4u + MAX_EV_MSG))
#define MAX_RELAY_INNER (BYZ_WIRE_HDR_LEN + MAX_ACCUSE_PL + BYZ_WIRE_SIG_LEN)

uint32_t byz_wire_max_payload(uint8_t type)
{
	switch (type) {
	case BYZ_MSG_COMMIT:
		return 68u + 32u * BYZ_MAX_PEERS;
	case BYZ_MSG_DIGEST: /* the compact form's bound is the larger */
		return (uint32_t)byz_wire_digest_compact_len(BYZ_WIRE_BITMAP_LEN,
							     BYZ_WIRE_MAX_DIGEST_ENTRIES);
	case BYZ_MSG_PART:
	case BYZ_MSG_AGGV:
		return 8u + 4u * BYZ_WIRE_MAX_PART_FLOATS;
	case BYZ_MSG_RESULT:
		return BYZ_WIRE_RESULT_LEN;
	case BYZ_MSG_REVEAL:
		return 32u;
	case BYZ_MSG_PROJ:
		return 4u + BYZ_WIRE_PROJ_ENTRY_LEN * BYZ_MAX_PEERS;
	case BYZ_MSG_ACCUSE:
		return MAX_ACCUSE_PL;
	case BYZ_MSG_RELAY:
		return (uint32_t)byz_wire_relay_len(BYZ_WIRE_MAX_RELAY, MAX_RELAY_INNER);
	case BYZ_MSG_FETCH:
		return BYZ_WIRE_FETCH_LEN;
	case BYZ_MSG_JOIN:
		return 32u;
	case BYZ_MSG_STATE:
		return (uint32_t)byz_wire_state_len(BYZ_MAX_PEERS, BYZ_MAX_PEERS, BYZ_WIRE_MAX_QUEUE,
						    BYZ_WIRE_MAX_PART_FLOATS);
	default:
		return 0;
	}
}

const char *byz_wire_type_name(uint8_t type)
{
	static const char *const names[] = {"?", "COMMIT", "DIGEST", "PART", "RESULT",
					    "AGGV", "REVEAL", "PROJ", "ACCUSE", "FETCH",
					    "JOIN", "STATE", "RELAY"};
	return type < BYZ_MSG_TYPE_END ? names[type] : "?";
}

const char *byz_accuse_reason_name(uint8_t reason)
{
	static const char *const names[] = {"?", "bad-part", "projection-lie", "gradient",
					    "equivocation", "malformed"};
	return reason < BYZ_ACC_REASON_END ? names[reason] : "?";
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int parse_vec(struct byz_msg *m, const uint8_t *p, uint32_t n)
{
	if (n < 8)
		return -EBADMSG;
	m->u.vec.part = byz_le16(p);
	if (!all_zero(p + 2, 2))
		return -EBADMSG;
	uint32_t count = byz_le32(p + 4);
	if (count > BYZ_WIRE_MAX_PART_FLOATS)
		return -ERANGE;
	if ((uint64_t)n != 8u + 4u * (uint64_t)count)
		return -EBADMSG;
	m->u.vec.count = count;
	m->u.vec.data = p + 8;
	for (uint32_t i = 0; i < count; i++)
		if (!isfinite(byz_lef32(p + 8 + 4 * (size_t)i)))
			return -EDOM;
	return 0;
}

static int parse_at(const uint8_t *buf, size_t len, struct byz_msg *m, int depth);
static int parse_header(const uint8_t *buf, size_t len, struct byz_msg *m);

size_t byz_wire_state_len(uint16_t n, uint16_t prev_n_parts, uint8_t n_queue, uint32_t d)
{
	return BYZ_WIRE_STATE_FIXED + 48u * (size_t)n + 2u * (size_t)prev_n_parts +
	       32u * (size_t)n_queue + 8u * (size_t)d;
}

static int parse_state(struct byz_msg *m, const uint8_t *p, uint32_t n)
{
	if (n < BYZ_WIRE_STATE_FIXED)
		return -EBADMSG;
	struct byz_msg *s = m;
	s->u.state.step = byz_le64(p);
	s->u.state.t_step = byz_le64(p + 8);
	s->u.state.d = byz_le32(p + 16);
	s->u.state.n = byz_le16(p + 20);
	s->u.state.prev_attempt = byz_le16(p + 22);
	s->u.state.prev_n_parts = byz_le16(p + 24);
	s->u.state.have_prev = p[26];
	s->u.state.n_queue = p[27];
	if (!all_zero(p + 28, 4) || s->u.state.have_prev > 1)
		return -EBADMSG;
	if (s->u.state.n < 2 || s->u.state.n > BYZ_MAX_PEERS ||
	    s->u.state.prev_n_parts > BYZ_MAX_PEERS || s->u.state.n_queue > BYZ_WIRE_MAX_QUEUE ||
	    s->u.state.d == 0 || s->u.state.d > BYZ_WIRE_MAX_PART_FLOATS)
		return -ERANGE;
	if (n != byz_wire_state_len(s->u.state.n, s->u.state.prev_n_parts, s->u.state.n_queue,
				    s->u.state.d))
		return -EBADMSG;
	size_t off = 32;
	s->u.state.r_prev = p + off;
	s->u.state.r_prev2 = p + off + 32;
	off += 64;
	s->u.state.roster = p + off;
	off += 32u * (size_t)s->u.state.n;
	s->u.state.peers = p + off;
	for (uint16_t i = 0; i < s->u.state.n; i++) {
		const uint8_t *e = p + off + 8u * i;
		if ((e[0] & ~BYZ_ST_FLAGS_ALL) || e[1] != 0)
			return -EBADMSG;
	}
	off += 8u * (size_t)s->u.state.n;
	s->u.state.admit = p + off;
	off += 8u * (size_t)s->u.state.n;
	s->u.state.prev_agg = p + off;
	off += 2u * (size_t)s->u.state.prev_n_parts;
	s->u.state.queue = p + off;
	off += 32u * (size_t)s->u.state.n_queue;
	s->u.state.x = p + off;
	s->u.state.x_prev = p + off + 4u * (size_t)s->u.state.d;
	for (uint32_t c = 0; c < 2u * s->u.state.d; c++)
		if (!isfinite(byz_lef32(p + off + 4u * (size_t)c)))
			return -EDOM;
	return 0;
}

static int parse_accuse(struct byz_msg *m, const uint8_t *p, uint32_t n, int depth)
{
	if (depth > 0) /* evidence never nests accusations */
		return -EBADMSG;
	if (n < 12)
		return -EBADMSG;
	m->u.accuse.reason = p[0];
	m->u.accuse.ev_count = p[1];
	m->u.accuse.accused = byz_le16(p + 2);
	m->u.accuse.part = byz_le16(p + 4);
	if (!all_zero(p + 6, 6))
		return -EBADMSG;
	if (p[0] == 0 || p[0] >= BYZ_ACC_REASON_END)
		return -EPROTO;
	if (p[1] > BYZ_WIRE_MAX_EVIDENCE)
		return -ERANGE;
	if (p[0] == BYZ_ACC_MALFORMED && p[1] != 1)
		return -EBADMSG;
	size_t off = 12;
	for (unsigned e = 0; e < p[1]; e++) {
		if (n - off < 4)
			return -EBADMSG;
		uint32_t el = byz_le32(p + off);
		off += 4;
		if (el > MAX_EV_MSG)
			return -ERANGE;
		if (el > n - off)
			return -EBADMSG;
		struct byz_msg ev;
		if (p[0] == BYZ_ACC_MALFORMED) {
			/* The payload is what is disputed: only its header must hold. */
			if (parse_header(p + off, el, &ev) < 0 ||
			    ev.type == BYZ_MSG_JOIN)
				return -EBADMSG;
		} else if (parse_at(p + off, el, &ev, depth + 1) < 0 || ev.type == BYZ_MSG_ACCUSE ||
			   ev.type == BYZ_MSG_DIGEST) {
			return -EBADMSG;
		}
		m->u.accuse.ev[e] = p + off;
		m->u.accuse.ev_len[e] = el;
		off += el;
	}
	for (unsigned e = p[1]; e < BYZ_WIRE_MAX_EVIDENCE; e++) {
		m->u.accuse.ev[e] = NULL;
		m->u.accuse.ev_len[e] = 0;
	}
	return off == n ? 0 : -EBADMSG;
}

static int parse_payload(struct byz_msg *m, int depth);

static int relayable(uint8_t t)
{
	return t == BYZ_MSG_COMMIT || t == BYZ_MSG_RESULT || t == BYZ_MSG_AGGV ||
	       t == BYZ_MSG_REVEAL || t == BYZ_MSG_PROJ || t == BYZ_MSG_ACCUSE || t == BYZ_MSG_JOIN;
}

/* A RELAY never nests (not in evidence, not in another RELAY): its inner
 * message is parsed at depth 0 only after its type byte said it is a plain
 * broadcast, so parsing recurses at most RELAY -> ACCUSE -> evidence. */
static int parse_relay(struct byz_msg *m, const uint8_t *p, uint32_t n, int depth)
{
	if (depth > 0)
		return -EBADMSG;
	if (n < 8)
		return -EBADMSG;
	unsigned c = p[0];
	if (p[1] != 0 || !all_zero(p + 2, 2))
		return -EBADMSG;
	if (c == 0)
		return -EBADMSG;
	if (c > BYZ_WIRE_MAX_RELAY)
		return -ERANGE;
	uint32_t il = byz_le32(p + 4);
	if ((uint64_t)n != byz_wire_relay_len(c, il))
		return -EBADMSG;
	if (m->recipient != BYZ_WIRE_BCAST)
		return -EBADMSG;
	const uint8_t *ch = p + 8;
	int sender_in = 0;
	for (unsigned k = 0; k < c; k++) {
		const uint8_t *e = ch + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)k;
		uint16_t r = byz_le16(e);
		if (!all_zero(e + 2, 2) || r >= BYZ_MAX_PEERS)
			return -EBADMSG;
		if (k && r <= byz_le16(e - BYZ_WIRE_RELAY_ENTRY_LEN))
			return -EBADMSG; /* canonical: strictly ascending, no repeats */
		sender_in |= r == m->sender;
	}
	if (!sender_in)
		return -EBADMSG;
	const uint8_t *in = ch + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)c;
	struct byz_msg im;
	int rc = parse_header(in, il, &im);
	if (rc < 0)
		return -EBADMSG;
	if (!relayable(im.type) || im.recipient != BYZ_WIRE_BCAST || im.step != m->step ||
	    im.attempt != m->attempt || memcmp(im.run_id, m->run_id, 32) != 0)
		return -EBADMSG;
	rc = parse_payload(&im, 0);
	if (rc < 0)
		return -EBADMSG;
	for (unsigned k = 0; k < c; k++)
		if (byz_le16(ch + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)k) == im.sender)
			return -EBADMSG; /* a signer does not relay itself */
	m->u.relay.count = (uint8_t)c;
	m->u.relay.chain = ch;
	m->u.relay.inner = in;
	m->u.relay.inner_len = il;
	m->u.relay.inner_type = im.type;
	m->u.relay.inner_sender = im.sender;
	return 0;
}

static int parse_payload(struct byz_msg *m, int depth)
{
	const uint8_t *p = m->payload;
	uint32_t n = m->payload_len;

	switch (m->type) {
	case BYZ_MSG_COMMIT: {
		if (n < 68)
			return -EBADMSG;
		uint16_t np = byz_le16(p + 64);
		if (!all_zero(p + 66, 2))
			return -EBADMSG;
		if (np > BYZ_MAX_PEERS)
			return -ERANGE;
		if (n != 68u + 32u * np)
			return -EBADMSG;
		m->u.commit.params_digest = p;
		m->u.commit.mprng = p + 32;
		m->u.commit.n_parts = np;
		m->u.commit.hashes = p + 68;
		return 0;
	}
	case BYZ_MSG_DIGEST: {
		if (n < 4)
			return -EBADMSG;
		uint16_t cnt = byz_le16(p + 2);
		uint8_t form = p[1], nb = 0;
		const uint8_t *blocks = NULL, *ent = p + 4;
		if (form > BYZ_WIRE_DIGEST_COMPACT)
			return -EBADMSG;
		if (cnt > BYZ_WIRE_MAX_DIGEST_ENTRIES)
			return -ERANGE;
		if (form == BYZ_WIRE_DIGEST_COMPACT) {
			if (n < 8)
				return -EBADMSG;
			nb = p[4];
			if (nb == 0 || nb > BYZ_WIRE_BITMAP_LEN || p[5] != 0 || p[6] != 0 ||
			    p[7] != 0)
				return -EBADMSG;
			if (n != byz_wire_digest_compact_len(nb, cnt))
				return -EBADMSG;
			blocks = p + 8;
			for (unsigned k = 0; k < BYZ_WIRE_DIGEST_SLOT_TYPES; k++) {
				const uint8_t *has = blocks + k * byz_wire_digest_block_len(nb);
				for (unsigned b = 0; b < nb; b++)
					if (has[nb + b] & (uint8_t)~has[b])
						return -EBADMSG; /* multi must be within has */
			}
			ent = blocks + BYZ_WIRE_DIGEST_SLOT_TYPES * byz_wire_digest_block_len(nb);
		} else if (n != 4u + BYZ_WIRE_DIGEST_ENTRY_LEN * cnt) {
			return -EBADMSG;
		}
		for (uint32_t i = 0; i < cnt; i++) {
			const uint8_t *e = ent + BYZ_WIRE_DIGEST_ENTRY_LEN * i;
			if (e[1] != 0 || e[6] != 0 || e[7] != 0)
				return -EBADMSG;
			/* Compact: slot types are in the bitmaps, only sets are listed. */
			if (form == BYZ_WIRE_DIGEST_COMPACT && e[0] != BYZ_MSG_ACCUSE &&
			    e[0] != BYZ_MSG_JOIN)
				return -EBADMSG;
			if (i > 0 && memcmp(e - BYZ_WIRE_DIGEST_ENTRY_LEN, e,
					    BYZ_WIRE_DIGEST_ENTRY_LEN) >= 0)
				return -EBADMSG; /* canonical: strictly ascending */
		}
		m->u.digest.phase = p[0];
		m->u.digest.form = form;
		m->u.digest.nb = nb;
		m->u.digest.count = cnt;
		m->u.digest.blocks = blocks;
		m->u.digest.entries = ent;
		return 0;
	}
	case BYZ_MSG_PART:
	case BYZ_MSG_AGGV:
		return parse_vec(m, p, n);
	case BYZ_MSG_RESULT: {
		if (n != BYZ_WIRE_RESULT_LEN)
			return -EBADMSG;
		if (!all_zero(p + 12, 4))
			return -EBADMSG;
		m->u.result.part = byz_le16(p);
		m->u.result.k = byz_le16(p + 2);
		m->u.result.iters = byz_le32(p + 4);
		m->u.result.clipped = byz_le32(p + 8);
		m->u.result.residual = byz_lef64(p + 16);
		m->u.result.hash = p + 24;
		m->u.result.bitmap = p + 56;
		if (!isfinite(m->u.result.residual) || m->u.result.residual < 0)
			return -EDOM;
		unsigned pop = 0;
		for (unsigned i = 0; i < BYZ_WIRE_BITMAP_LEN; i++)
			pop += (unsigned)__builtin_popcount(p[56 + i]);
		if (pop != m->u.result.k || m->u.result.clipped > m->u.result.k)
			return -EBADMSG;
		return 0;
	}
	case BYZ_MSG_REVEAL:
		if (n != 32)
			return -EBADMSG;
		m->u.reveal.rho = p;
		return 0;
	case BYZ_MSG_PROJ: {
		if (n < 4)
			return -EBADMSG;
		uint16_t cnt = byz_le16(p);
		if (!all_zero(p + 2, 2))
			return -EBADMSG;
		if (cnt > BYZ_MAX_PEERS)
			return -ERANGE;
		if (n != 4u + BYZ_WIRE_PROJ_ENTRY_LEN * cnt)
			return -EBADMSG;
		for (uint32_t i = 0; i < cnt; i++) {
			const uint8_t *e = p + 4 + BYZ_WIRE_PROJ_ENTRY_LEN * i;
			if (!all_zero(e + 2, 6))
				return -EBADMSG;
			if (i > 0 && byz_le16(e) <= byz_le16(e - BYZ_WIRE_PROJ_ENTRY_LEN))
				return -EBADMSG;
			double s = byz_lef64(e + 8), nn = byz_lef64(e + 16);
			if (!isfinite(s) || !isfinite(nn) || nn < 0)
				return -EDOM;
		}
		m->u.proj.count = cnt;
		m->u.proj.entries = p + 4;
		return 0;
	}
	case BYZ_MSG_ACCUSE:
		return parse_accuse(m, p, n, depth);
	case BYZ_MSG_JOIN:
		if (n != 32)
			return -EBADMSG;
		m->u.join.pk = p;
		return 0;
	case BYZ_MSG_STATE:
		return parse_state(m, p, n);
	case BYZ_MSG_RELAY:
		return parse_relay(m, p, n, depth);
	case BYZ_MSG_FETCH:
		if (n != BYZ_WIRE_FETCH_LEN)
			return -EBADMSG;
		if (p[1] != 0 || !all_zero(p + 6, 2))
			return -EBADMSG;
		if (p[0] == 0 || p[0] >= BYZ_FETCH_END)
			return -EPROTO;
		m->u.fetch.what = p[0];
		m->u.fetch.subject = byz_le16(p + 2);
		m->u.fetch.part = byz_le16(p + 4);
		m->u.fetch.step = byz_le64(p + 8);
		return 0;
	default:
		return -EPROTO;
	}
}

static int parse_header(const uint8_t *buf, size_t len, struct byz_msg *m)
{
	if (!buf || !m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (len < BYZ_WIRE_HDR_LEN + BYZ_WIRE_SIG_LEN)
		return -EBADMSG;
	if (buf[0] != BYZ_WIRE_VERSION)
		return -BYZ_EVERSION;
	m->version = buf[0];
	m->type = buf[1];
	m->sender = byz_le16(buf + 2);
	m->recipient = byz_le16(buf + 4);
	m->attempt = byz_le16(buf + 6);
	m->step = byz_le64(buf + 8);
	m->payload_len = byz_le32(buf + 16);
	if (!all_zero(buf + 20, 4))
		return -EBADMSG;
	uint32_t maxp = byz_wire_max_payload(m->type);
	if (maxp == 0)
		return -EPROTO;
	if (m->payload_len > maxp)
		return -ERANGE;
	if ((uint64_t)len != (uint64_t)BYZ_WIRE_HDR_LEN + m->payload_len + BYZ_WIRE_SIG_LEN)
		return -EBADMSG;
	/* Only a JOIN comes from outside the roster, and a JOIN always does. */
	if ((m->type == BYZ_MSG_JOIN) != (m->sender == BYZ_WIRE_OUTSIDER))
		return -EBADMSG;
	if (m->sender != BYZ_WIRE_OUTSIDER && m->sender >= BYZ_MAX_PEERS)
		return -EBADMSG;
	if (m->recipient != BYZ_WIRE_BCAST && m->recipient != BYZ_WIRE_OUTSIDER &&
	    m->recipient >= BYZ_MAX_PEERS)
		return -EBADMSG;
	m->run_id = buf + 24;
	m->payload = buf + BYZ_WIRE_HDR_LEN;
	m->raw = buf;
	m->raw_len = len;
	return 0;
}

static int parse_at(const uint8_t *buf, size_t len, struct byz_msg *m, int depth)
{
	int rc = parse_header(buf, len, m);
	return rc < 0 ? rc : parse_payload(m, depth);
}

int byz_wire_parse(const uint8_t *buf, size_t len, struct byz_msg *m)
{
	return parse_at(buf, len, m, 0);
}

int byz_wire_parse_header(const uint8_t *buf, size_t len, struct byz_msg *m)
{
	return parse_header(buf, len, m);
}

int byz_wire_tbs_root(const uint8_t hdr[BYZ_WIRE_HDR_LEN], const uint8_t root[32],
		      uint8_t tbs[BYZ_WIRE_TBS_LEN])
{
	if (!hdr || !root || !tbs)
		return -EINVAL;
	/* the domain keeps these 64 bytes from meaning anything else signed
	 * with the same key (RELAY chain links, endorsements) */
	memset(tbs, 0, 32);
	memcpy(tbs, BYZ_WIRE_TBS_DOMAIN, sizeof(BYZ_WIRE_TBS_DOMAIN) - 1);
	uint8_t hr[BYZ_WIRE_HDR_LEN + 32];
	memcpy(hr, hdr, BYZ_WIRE_HDR_LEN);
	memcpy(hr + BYZ_WIRE_HDR_LEN, root, 32);
	crypto_generichash(tbs + 32, 32, hr, sizeof(hr), NULL, 0);
	return 0;
}

int byz_wire_tbs(const uint8_t *b, size_t len, uint8_t tbs[BYZ_WIRE_TBS_LEN])
{
	if (!b || !tbs || len < BYZ_WIRE_HDR_LEN)
		return -EINVAL;
	/* the payload's own tree: leaves at payload offsets, so a payload that
	 * arrives apart from its header (a DATA stream) has the same root */
	uint8_t root[32];
	int r = byz_merkle_root(b + BYZ_WIRE_HDR_LEN, len - BYZ_WIRE_HDR_LEN, root);
	return r ? r : byz_wire_tbs_root(b, root, tbs);
}

int byz_wire_verify(const struct byz_msg *m, const uint8_t run_id[32], const uint8_t pk[32])
{
	if (!m || !run_id || !pk || !m->raw)
		return -EINVAL;
	if (sodium_memcmp(m->run_id, run_id, 32) != 0)
		return -EPROTO;
	size_t signed_len = m->raw_len - BYZ_WIRE_SIG_LEN;
	uint8_t tbs[BYZ_WIRE_TBS_LEN];
	if (byz_wire_tbs(m->raw, signed_len, tbs) ||
	    crypto_sign_verify_detached(m->raw + signed_len, tbs, sizeof(tbs), pk) != 0)
		return -BYZ_EBADSIG;
	return 0;
}

int byz_wire_open(const uint8_t *buf, size_t len, const uint8_t run_id[32],
		  const uint8_t *roster, uint32_t n, struct byz_msg *m)
{
	int rc = byz_wire_parse(buf, len, m);
	if (rc < 0)
		return rc;
	if (m->type == BYZ_MSG_JOIN) /* self-signed: the key is the payload */
		return byz_wire_verify(m, run_id, m->u.join.pk);
	if (m->sender >= n)
		return -EPROTO;
	return byz_wire_verify(m, run_id, roster + 32u * m->sender);
}

int byz_wire_seal(uint8_t type, uint16_t sender, uint16_t recipient, uint16_t attempt,
		  uint64_t step, const uint8_t run_id[32], const uint8_t *payload,
		  uint32_t payload_len, const uint8_t sk[64], uint8_t **out, size_t *out_len)
{
	if (!run_id || !sk || !out || !out_len || (payload_len && !payload))
		return -EINVAL;
	uint32_t maxp = byz_wire_max_payload(type);
	if (maxp == 0)
		return -EINVAL;
	if (payload_len > maxp)
		return -ERANGE;
	size_t len = BYZ_WIRE_HDR_LEN + (size_t)payload_len + BYZ_WIRE_SIG_LEN;
	uint8_t *b = malloc(len);
	if (!b)
		return -ENOMEM;
	b[0] = BYZ_WIRE_VERSION;
	b[1] = type;
	byz_put16(b + 2, sender);
	byz_put16(b + 4, recipient);
	byz_put16(b + 6, attempt);
	byz_put64(b + 8, step);
	byz_put32(b + 16, payload_len);
	byz_put32(b + 20, 0);
	memcpy(b + 24, run_id, 32);
	if (payload_len)
		memcpy(b + BYZ_WIRE_HDR_LEN, payload, payload_len);
	uint8_t tbs[BYZ_WIRE_TBS_LEN];
	if (byz_wire_tbs(b, len - BYZ_WIRE_SIG_LEN, tbs)) {
		free(b);
		return -EINVAL;
	}
	crypto_sign_detached(b + len - BYZ_WIRE_SIG_LEN, NULL, tbs, sizeof(tbs), sk);
	*out = b;
	*out_len = len;
	return 0;
}

size_t byz_wire_put_commit(uint8_t *p, const uint8_t params_digest[32], const uint8_t mprng[32],
			   uint16_t n_parts, const uint8_t *hashes)
{
	if (n_parts > BYZ_MAX_PEERS)
		return 0;
	memcpy(p, params_digest, 32);
	memcpy(p + 32, mprng, 32);
	byz_put16(p + 64, n_parts);
	byz_put16(p + 66, 0);
	if (n_parts)
		memcpy(p + 68, hashes, 32u * n_parts);
	return byz_wire_commit_len(n_parts);
}

size_t byz_wire_put_vec(uint8_t *p, uint16_t part, const float *v, uint32_t count)
{
	if (count > BYZ_WIRE_MAX_PART_FLOATS)
		return 0;
	byz_put16(p, part);
	byz_put16(p + 2, 0);
	byz_put32(p + 4, count);
	for (uint32_t i = 0; i < count; i++)
		byz_putf32(p + 8 + 4 * (size_t)i, v[i]);
	return byz_wire_vec_len(count);
}

size_t byz_wire_put_result(uint8_t *p, uint16_t part, uint16_t k, uint32_t iters,
			   uint32_t clipped, double residual, const uint8_t hash[32],
			   const uint8_t bitmap[32])
{
	byz_put16(p, part);
	byz_put16(p + 2, k);
	byz_put32(p + 4, iters);
	byz_put32(p + 8, clipped);
	byz_put32(p + 12, 0);
	byz_putf64(p + 16, residual);
	memcpy(p + 24, hash, 32);
	memcpy(p + 56, bitmap, 32);
	return BYZ_WIRE_RESULT_LEN;
}

size_t byz_wire_put_proj(uint8_t *p, uint16_t count, const uint16_t *parts, const double *s,
			 const double *n)
{
	if (count > BYZ_MAX_PEERS)
		return 0;
	byz_put16(p, count);
	byz_put16(p + 2, 0);
	for (uint16_t i = 0; i < count; i++) {
		uint8_t *e = p + 4 + BYZ_WIRE_PROJ_ENTRY_LEN * (size_t)i;
		memset(e, 0, 8);
		byz_put16(e, parts[i]);
		byz_putf64(e + 8, s[i]);
		byz_putf64(e + 16, n[i]);
	}
	return byz_wire_proj_len(count);
}

static void encode_digest_entry(uint8_t *e, const struct byz_digest_entry *d)
{
	memset(e, 0, BYZ_WIRE_DIGEST_ENTRY_LEN);
	e[0] = d->type;
	byz_put16(e + 2, d->sender);
	byz_put16(e + 4, d->aux);
	memcpy(e + 8, d->hash, 16);
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(a, b, BYZ_WIRE_DIGEST_ENTRY_LEN);
}

/* Encodes, sorts and deduplicates entries at @p out; returns how many remain. */
static uint16_t put_entries(uint8_t *out, const struct byz_digest_entry *e, uint16_t count)
{
	for (uint16_t i = 0; i < count; i++)
		encode_digest_entry(out + BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)i, &e[i]);
	qsort(out, count, BYZ_WIRE_DIGEST_ENTRY_LEN, cmp_entry);
	uint16_t w = 0;
	for (uint16_t i = 0; i < count; i++) {
		uint8_t *src = out + BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)i;
		if (w > 0 && memcmp(src, out + BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)(w - 1),
				    BYZ_WIRE_DIGEST_ENTRY_LEN) == 0)
			continue;
		if (w != i)
			memmove(out + BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)w, src,
				BYZ_WIRE_DIGEST_ENTRY_LEN);
		w++;
	}
	return w;
}

size_t byz_wire_put_digest(uint8_t *p, uint8_t phase, struct byz_digest_entry *e, uint16_t count)
{
	if (count > BYZ_WIRE_MAX_DIGEST_ENTRIES)
		return 0;
	uint16_t w = put_entries(p + 4, e, count);
	p[0] = phase;
	p[1] = BYZ_WIRE_DIGEST_FULL;
	byz_put16(p + 2, w);
	return byz_wire_digest_len(w);
}

static const uint8_t slot_types[BYZ_WIRE_DIGEST_SLOT_TYPES] = {
	BYZ_MSG_COMMIT, BYZ_MSG_RESULT, BYZ_MSG_AGGV, BYZ_MSG_REVEAL, BYZ_MSG_PROJ};

uint8_t byz_wire_digest_slot_type(unsigned k)
{
	return k < BYZ_WIRE_DIGEST_SLOT_TYPES ? slot_types[k] : 0;
}

int byz_wire_digest_slot_index(uint8_t type)
{
	for (unsigned k = 0; k < BYZ_WIRE_DIGEST_SLOT_TYPES; k++)
		if (slot_types[k] == type)
			return (int)k;
	return -1;
}

size_t byz_wire_put_digest_compact(uint8_t *p, uint8_t phase, uint8_t nb, const uint8_t *blocks,
				   struct byz_digest_entry *e, uint16_t count)
{
	if (count > BYZ_WIRE_MAX_DIGEST_ENTRIES || nb == 0 || nb > BYZ_WIRE_BITMAP_LEN)
		return 0;
	size_t bl = BYZ_WIRE_DIGEST_SLOT_TYPES * byz_wire_digest_block_len(nb);
	p[0] = phase;
	p[1] = BYZ_WIRE_DIGEST_COMPACT;
	p[4] = nb;
	p[5] = p[6] = p[7] = 0;
	memcpy(p + 8, blocks, bl);
	uint16_t w = put_entries(p + 8 + bl, e, count);
	byz_put16(p + 2, w);
	return byz_wire_digest_compact_len(nb, w);
}

size_t byz_wire_put_fetch(uint8_t *p, uint8_t what, uint16_t subject, uint16_t part,
			  uint64_t step)
{
	memset(p, 0, BYZ_WIRE_FETCH_LEN);
	p[0] = what;
	byz_put16(p + 2, subject);
	byz_put16(p + 4, part);
	byz_put64(p + 8, step);
	return BYZ_WIRE_FETCH_LEN;
}

size_t byz_wire_accuse_len(uint8_t ev_count, const size_t *ev_len)
{
	size_t n = 12;
	for (unsigned i = 0; i < ev_count && i < BYZ_WIRE_MAX_EVIDENCE; i++)
		n += 4 + ev_len[i];
	return n;
}

size_t byz_wire_put_accuse(uint8_t *p, uint8_t reason, uint16_t accused, uint16_t part,
			   uint8_t ev_count, const uint8_t *const *ev, const size_t *ev_len)
{
	if (ev_count > BYZ_WIRE_MAX_EVIDENCE)
		return 0;
	p[0] = reason;
	p[1] = ev_count;
	byz_put16(p + 2, accused);
	byz_put16(p + 4, part);
	memset(p + 6, 0, 6);
	size_t off = 12;
	for (unsigned i = 0; i < ev_count; i++) {
		if (ev_len[i] > MAX_EV_MSG)
			return 0;
		byz_put32(p + off, (uint32_t)ev_len[i]);
		memcpy(p + off + 4, ev[i], ev_len[i]);
		off += 4 + ev_len[i];
	}
	return off;
}

size_t byz_wire_put_relay(uint8_t *p, unsigned count, const uint16_t *relayers,
			  const uint8_t *sigs, const uint8_t *inner, size_t inner_len)
{
	if (count == 0 || count > BYZ_WIRE_MAX_RELAY || inner_len > MAX_RELAY_INNER)
		return 0;
	p[0] = (uint8_t)count;
	memset(p + 1, 0, 3);
	byz_put32(p + 4, (uint32_t)inner_len);
	for (unsigned k = 0; k < count; k++) {
		if (k && relayers[k] <= relayers[k - 1])
			return 0;
		uint8_t *e = p + 8 + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)k;
		byz_put16(e, relayers[k]);
		memset(e + 2, 0, 2);
		memcpy(e + 4, sigs + 64u * k, 64);
	}
	memcpy(p + 8 + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)count, inner, inner_len);
	return byz_wire_relay_len(count, inner_len);
}

/* What a relayer signs: the relayed message's hash, bound to run, step,
 * attempt and the relayer, so a chain entry is good for that message only. */
static void relay_tbs(const uint8_t run_id[32], const uint8_t *inner, size_t inner_len,
		      uint16_t relayer, uint8_t tbs[9 + 32 + 8 + 2 + 2 + 32])
{
	memcpy(tbs, "byz-relay", 9);
	memcpy(tbs + 9, run_id, 32);
	memcpy(tbs + 41, inner + 8, 8);  /* step */
	memcpy(tbs + 49, inner + 6, 2);  /* attempt */
	byz_put16(tbs + 51, relayer);
	crypto_generichash(tbs + 53, 32, inner, inner_len, NULL, 0);
}

void byz_wire_relay_sign(const uint8_t run_id[32], const uint8_t *inner, size_t inner_len,
			 uint16_t relayer, const uint8_t sk[64], uint8_t sig[64])
{
	uint8_t tbs[85];
	relay_tbs(run_id, inner, inner_len, relayer, tbs);
	crypto_sign_detached(sig, NULL, tbs, sizeof(tbs), sk);
}

int byz_wire_relay_check(const struct byz_msg *m, unsigned k, const uint8_t run_id[32],
			 const uint8_t pk[32])
{
	if (!m || m->type != BYZ_MSG_RELAY || k >= m->u.relay.count || !run_id || !pk)
		return -EINVAL;
	const uint8_t *sig;
	uint16_t r = byz_wire_relay_at(m, k, &sig);
	uint8_t tbs[85];
	relay_tbs(run_id, m->u.relay.inner, m->u.relay.inner_len, r, tbs);
	return crypto_sign_verify_detached(sig, tbs, sizeof(tbs), pk) == 0 ? 0 : -BYZ_EBADSIG;
}

void byz_wire_vec_copy(const struct byz_msg *m, float *out)
{
	for (uint32_t i = 0; i < m->u.vec.count; i++)
		out[i] = byz_wire_vec_at(m, i);
}

void byz_wire_proj_at(const struct byz_msg *m, uint16_t i, uint16_t *part, double *s, double *n)
{
	const uint8_t *e = m->u.proj.entries + BYZ_WIRE_PROJ_ENTRY_LEN * (size_t)i;
	*part = byz_le16(e);
	*s = byz_lef64(e + 8);
	*n = byz_lef64(e + 16);
}

void byz_wire_digest_at(const struct byz_msg *m, uint16_t i, struct byz_digest_entry *e)
{
	const uint8_t *p = m->u.digest.entries + BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)i;
	e->type = p[0];
	e->sender = byz_le16(p + 2);
	e->aux = byz_le16(p + 4);
	memcpy(e->hash, p + 8, 16);
}
