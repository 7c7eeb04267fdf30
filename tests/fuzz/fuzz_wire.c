/*
 * Fuzz target: the protocol message decoder (byz_wire_parse) and the
 * signature check (byz_wire_verify, byz_wire_open). First byte: mode.
 *   even: the rest is a raw message, parsed, then opened against a roster
 *         that holds the known-answer key at index 2 (so the committed
 *         vectors verify and their mutations exercise the reject paths);
 *   odd:  the rest is type, sender, recipient, a bit index and a payload,
 *         sealed with the known-answer key, so the fuzzer reaches the payload
 *         parsers behind a valid signature; the sealed message must open
 *         exactly when its payload parses, and flipping any one bit of it
 *         must make open fail.
 * On every accepted parse the views must lie inside the input, the payload
 * accessors must agree with the limits, evidence must itself parse, and
 * re-sealing the parsed fields must reproduce the signed bytes.
 */
#include "fuzz.h"

#include <math.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/wire.h"

static uint8_t run_id[32], sk[64], roster[3 * 32];
static float vec[BYZ_WIRE_MAX_PART_FLOATS];

static void keys(void)
{
	static int done;
	if (done)
		return;
	uint8_t seed[32], pk[32];
	/* The key and run id of tests/vectors/wire_kat.txt. */
	for (int i = 0; i < 32; i++) {
		seed[i] = (uint8_t)i;
		run_id[i] = 0xa5;
	}
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(pk, sk, seed);
	for (int i = 0; i < 3; i++)
		memcpy(roster + 32 * i, pk, 32);
	roster[0] ^= 1; /* index 0 holds another key: its messages must not verify */
	done = 1;
}

static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_parsed(const uint8_t *buf, size_t len, const struct byz_msg *m)
{
	FUZZ_CHECK(m->raw == buf && m->raw_len == len);
	FUZZ_CHECK((size_t)m->payload_len + BYZ_WIRE_HDR_LEN + BYZ_WIRE_SIG_LEN == len);
	FUZZ_CHECK(m->payload == buf + BYZ_WIRE_HDR_LEN && m->run_id == buf + 24);
	FUZZ_CHECK(m->payload_len <= byz_wire_max_payload(m->type));
	FUZZ_CHECK(m->sender < BYZ_MAX_PEERS ||
		   (m->type == BYZ_MSG_JOIN && m->sender == BYZ_WIRE_OUTSIDER));
	FUZZ_CHECK(strcmp(byz_wire_type_name(m->type), "?") != 0);
	const uint8_t *pl = m->payload;
	uint32_t n = m->payload_len;
	switch (m->type) {
	case BYZ_MSG_COMMIT:
		FUZZ_CHECK(m->u.commit.n_parts <= BYZ_MAX_PEERS);
		FUZZ_CHECK(inside(m->u.commit.hashes, 32u * m->u.commit.n_parts, pl, n));
		break;
	case BYZ_MSG_DIGEST: {
		FUZZ_CHECK(m->u.digest.form <= BYZ_WIRE_DIGEST_COMPACT);
		if (m->u.digest.form == BYZ_WIRE_DIGEST_COMPACT) {
			uint8_t nb = m->u.digest.nb;
			FUZZ_CHECK(nb >= 1 && nb <= BYZ_WIRE_BITMAP_LEN);
			FUZZ_CHECK(inside(m->u.digest.blocks,
					  BYZ_WIRE_DIGEST_SLOT_TYPES * byz_wire_digest_block_len(nb),
					  pl, n));
			for (unsigned k = 0; k < BYZ_WIRE_DIGEST_SLOT_TYPES; k++) {
				const uint8_t *b = m->u.digest.blocks + k * byz_wire_digest_block_len(nb);
				for (unsigned i = 0; i < nb; i++)
					FUZZ_CHECK((b[nb + i] & ~b[i]) == 0);
			}
			for (uint16_t i = 0; i < m->u.digest.count; i++) {
				uint8_t t = m->u.digest.entries[BYZ_WIRE_DIGEST_ENTRY_LEN * (size_t)i];
				FUZZ_CHECK(t == BYZ_MSG_ACCUSE || t == BYZ_MSG_JOIN);
			}
		}
		FUZZ_CHECK(inside(m->u.digest.entries,
				  (size_t)BYZ_WIRE_DIGEST_ENTRY_LEN * m->u.digest.count, pl, n));
		const uint8_t *ent = m->u.digest.entries;
		struct byz_digest_entry e;
		for (uint16_t i = 0; i < m->u.digest.count; i++) {
			const uint8_t *r = ent + (size_t)BYZ_WIRE_DIGEST_ENTRY_LEN * i;
			byz_wire_digest_at(m, i, &e);
			FUZZ_CHECK(e.type == r[0] && memcmp(e.hash, r + 8, 16) == 0);
			if (i)
				FUZZ_CHECK(memcmp(r - BYZ_WIRE_DIGEST_ENTRY_LEN, r,
						  BYZ_WIRE_DIGEST_ENTRY_LEN) < 0);
		}
		break;
	}
	case BYZ_MSG_PART:
	case BYZ_MSG_AGGV:
		FUZZ_CHECK(m->u.vec.count <= BYZ_WIRE_MAX_PART_FLOATS);
		FUZZ_CHECK(inside(m->u.vec.data, 4u * (size_t)m->u.vec.count, pl, n));
		byz_wire_vec_copy(m, vec);
		for (uint32_t i = 0; i < m->u.vec.count; i++)
			FUZZ_CHECK(isfinite(vec[i]));
		break;
	case BYZ_MSG_RESULT:
		FUZZ_CHECK(isfinite(m->u.result.residual) && m->u.result.residual >= 0);
		FUZZ_CHECK(m->u.result.clipped <= m->u.result.k);
		FUZZ_CHECK(inside(m->u.result.bitmap, BYZ_WIRE_BITMAP_LEN, pl, n));
		break;
	case BYZ_MSG_REVEAL:
		FUZZ_CHECK(inside(m->u.reveal.rho, 32, pl, n));
		break;
	case BYZ_MSG_PROJ: {
		FUZZ_CHECK(inside(m->u.proj.entries,
				  (size_t)BYZ_WIRE_PROJ_ENTRY_LEN * m->u.proj.count, pl, n));
		uint16_t part, last = 0;
		double s, nn;
		for (uint16_t i = 0; i < m->u.proj.count; i++) {
			byz_wire_proj_at(m, i, &part, &s, &nn);
			FUZZ_CHECK(isfinite(s) && isfinite(nn) && nn >= 0);
			FUZZ_CHECK(i == 0 || part > last);
			last = part;
		}
		break;
	}
	case BYZ_MSG_ACCUSE:
		FUZZ_CHECK(m->u.accuse.ev_count <= BYZ_WIRE_MAX_EVIDENCE);
		FUZZ_CHECK(strcmp(byz_accuse_reason_name(m->u.accuse.reason), "?") != 0);
		for (unsigned e = 0; e < m->u.accuse.ev_count; e++) {
			struct byz_msg ev;
			FUZZ_CHECK(inside(m->u.accuse.ev[e], m->u.accuse.ev_len[e], pl, n));
			FUZZ_CHECK(byz_wire_parse(m->u.accuse.ev[e], m->u.accuse.ev_len[e], &ev) == 0);
			FUZZ_CHECK(ev.type != BYZ_MSG_ACCUSE && ev.type != BYZ_MSG_DIGEST);
		}
		break;
	case BYZ_MSG_FETCH:
		FUZZ_CHECK(m->u.fetch.what >= BYZ_FETCH_PART && m->u.fetch.what < BYZ_FETCH_END);
		break;
	case BYZ_MSG_JOIN:
		FUZZ_CHECK(inside(m->u.join.pk, 32, pl, n));
		break;
	case BYZ_MSG_STATE: {
		size_t xb = (size_t)m->u.state.d * sizeof(float);
		FUZZ_CHECK(m->u.state.n >= 1 && m->u.state.n <= BYZ_MAX_PEERS);
		FUZZ_CHECK(m->u.state.n_queue <= BYZ_WIRE_MAX_QUEUE);
		FUZZ_CHECK(inside(m->u.state.roster, 32u * m->u.state.n, pl, n));
		FUZZ_CHECK(inside(m->u.state.x, xb, pl, n));
		FUZZ_CHECK(inside(m->u.state.x_prev, xb, pl, n));
		FUZZ_CHECK(m->payload_len == byz_wire_state_len(m->u.state.n,
								 m->u.state.prev_n_parts,
								 m->u.state.n_queue,
								 m->u.state.d));
		break;
	}
	case BYZ_MSG_RELAY: {
		/* The chain is canonical and holds the sender, never the signer;
		 * the inner message parses, is a plain broadcast of the same step
		 * and attempt, and a signature check never reads outside. */
		unsigned c = m->u.relay.count;
		FUZZ_CHECK(c >= 1 && c <= BYZ_WIRE_MAX_RELAY);
		FUZZ_CHECK(inside(m->u.relay.chain, BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)c, pl, n));
		FUZZ_CHECK(inside(m->u.relay.inner, m->u.relay.inner_len, pl, n));
		int has_sender = 0;
		for (unsigned k = 0; k < c; k++) {
			uint16_t r = byz_wire_relay_at(m, k, NULL);
			FUZZ_CHECK(k == 0 || r > byz_wire_relay_at(m, k - 1, NULL));
			FUZZ_CHECK(r != m->u.relay.inner_sender);
			has_sender |= r == m->sender;
			int vr = byz_wire_relay_check(m, k, run_id, roster + 64);
			FUZZ_CHECK(vr == 0 || vr == -BYZ_EBADSIG);
		}
		FUZZ_CHECK(has_sender);
		struct byz_msg im;
		FUZZ_CHECK(byz_wire_parse(m->u.relay.inner, m->u.relay.inner_len, &im) == 0);
		FUZZ_CHECK(im.type == m->u.relay.inner_type && im.type != BYZ_MSG_RELAY &&
			   im.type != BYZ_MSG_DIGEST && im.type != BYZ_MSG_PART &&
			   im.type != BYZ_MSG_FETCH && im.type != BYZ_MSG_STATE);
		FUZZ_CHECK(im.step == m->step && im.attempt == m->attempt);
		break;
	}
	default:
		FUZZ_CHECK(!"parsed an unknown type");
	}

	/* The builder and the parser agree on the header layout. */
	uint8_t *out;
	size_t out_len;
	FUZZ_CHECK(byz_wire_seal(m->type, m->sender, m->recipient, m->attempt, m->step,
				 m->run_id, m->payload, m->payload_len, sk, &out,
				 &out_len) == 0);
	FUZZ_CHECK(out_len == len);
	FUZZ_CHECK(memcmp(out, buf, len - BYZ_WIRE_SIG_LEN) == 0);
	free(out);
}

static void raw(const uint8_t *buf, size_t len)
{
	struct byz_msg m;
	int rc = byz_wire_parse(buf, len, &m);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -BYZ_EVERSION || rc == -ERANGE ||
		   rc == -EDOM || rc == -EPROTO);
	if (rc == 0) {
		check_parsed(buf, len, &m);
		rc = byz_wire_verify(&m, run_id, roster + 64);
		FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -BYZ_EBADSIG);
	}
	struct byz_msg o;
	int orc = byz_wire_open(buf, len, run_id, roster, 3, &o);
	if (orc == 0) {
		/* Only the holder of the index-2 key can have signed it. */
		FUZZ_CHECK(o.sender != 0 && o.sender < 3);
		FUZZ_CHECK(memcmp(o.run_id, run_id, 32) == 0);
	}
}

static void sealed(const uint8_t *d, size_t n)
{
	struct fuzz_in in = {d, n};
	uint8_t type = fuzz_u8(&in);
	uint16_t sender = fuzz_u8(&in) % 3;
	uint16_t recipient = fuzz_u16(&in);
	uint32_t flip = fuzz_u32(&in);
	if (byz_wire_max_payload(type) == 0 || in.n > byz_wire_max_payload(type))
		return;
	uint8_t *msg;
	size_t len;
	FUZZ_CHECK(byz_wire_seal(type, sender, recipient, 1, 7, run_id, in.n ? in.p : NULL,
				 (uint32_t)in.n, sk, &msg, &len) == 0);
	struct byz_msg m;
	int prc = byz_wire_parse(msg, len, &m);
	int orc = byz_wire_open(msg, len, run_id, roster, 3, &m);
	if (prc == 0) {
		check_parsed(msg, len, &m);
		/* Signed by the index-2 key: roster 1 and 2 hold it, 0 does not. */
		FUZZ_CHECK(orc == (sender == 0 ? -BYZ_EBADSIG : 0));
	} else {
		FUZZ_CHECK(orc == prc);
	}
	msg[(flip / 8) % len] ^= (uint8_t)(1u << (flip % 8));
	FUZZ_CHECK(byz_wire_open(msg, len, run_id, roster, 3, &m) != 0);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	keys();
	if (size < 1)
		return 0;
	uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		sealed(buf, size - 1);
	else
		raw(buf, size - 1);
	free(buf);
	return 0;
}
