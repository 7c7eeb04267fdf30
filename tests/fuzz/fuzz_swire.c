/*
 * Fuzz target: the ByzShield mode's message parser (byz_swire_parse) and
 * its signature check (byz_swire_open). First byte: mode.
 *   even: the rest is a raw message, parsed, then opened against a
 *         two-key roster;
 *   odd:  the rest is type, sender and a payload, sealed with roster key 1,
 *         so the payload parsers are reached behind a valid signature: the
 *         sealed message must open exactly when it parses, and flipping any
 *         one bit of it must make open fail.
 * On every accepted parse the views must lie inside the input and agree
 * with the type's limits; SACCUSE evidence must itself parse as a SCOMMIT
 * by the accused.
 */
#include "fuzz.h"

#include <math.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/shield_run.h"
#include "byz/wire.h"

static uint8_t run_id[32], sks[2][64], roster[2 * 32];

static void keys(void)
{
	static int done;
	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		uint8_t seed[32] = {(uint8_t)(0x51 + i)};
		crypto_sign_seed_keypair(roster + 32 * i, sks[i], seed);
	}
	memset(run_id, 0x3c, sizeof(run_id));
	done = 1;
}

static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_parsed(const uint8_t *buf, size_t len, const struct byz_smsg *m)
{
	FUZZ_CHECK(m->raw == buf && m->raw_len == len && m->run_id == buf + 24);
	switch (m->type) {
	case BYZ_SWIRE_COMMIT:
		FUZZ_CHECK(m->count >= 1 && m->count <= BYZ_SWIRE_MAX_FILES);
		FUZZ_CHECK(inside(m->entries, 36u * m->count, buf, len));
		FUZZ_CHECK(inside(m->mprng, 32, buf, len));
		for (uint16_t i = 0; i < m->count; i++) {
			uint32_t f = byz_le32(m->entries + 36u * i);
			FUZZ_CHECK(byz_swire_commit_hash(m, f) == m->entries + 36u * i + 4);
		}
		break;
	case BYZ_SWIRE_VEC:
		FUZZ_CHECK(m->nfloats >= 1 && m->nfloats <= BYZ_SWIRE_MAX_FLOATS);
		FUZZ_CHECK(inside(m->data, 4u * m->nfloats, buf, len));
		for (uint32_t i = 0; i < m->nfloats; i++)
			FUZZ_CHECK(isfinite(byz_lef32(m->data + 4u * i)));
		break;
	case BYZ_SWIRE_ACCUSE: {
		struct byz_smsg ev;
		FUZZ_CHECK(inside(m->ev, m->ev_len, buf, len));
		FUZZ_CHECK(byz_swire_parse(m->ev, m->ev_len, &ev) == 0);
		FUZZ_CHECK(ev.type == BYZ_SWIRE_COMMIT && ev.sender == m->accused);
		break;
	}
	case BYZ_SWIRE_REVEAL:
		FUZZ_CHECK(inside(m->rho, 32, buf, len));
		break;
	default:
		FUZZ_CHECK(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	keys();
	if (size < 1)
		return 0;
	struct byz_smsg m;
	if (!(data[0] & 1)) {
		const uint8_t *buf = data + 1;
		size_t len = size - 1;
		if (byz_swire_parse(buf, len, &m) == 0)
			check_parsed(buf, len, &m);
		if (byz_swire_open(buf, len, run_id, roster, 2, &m) == 0)
			check_parsed(buf, len, &m);
		return 0;
	}
	if (size < 3)
		return 0;
	uint8_t type = data[1];
	uint16_t sender = data[2] & 1;
	uint8_t *sealed;
	size_t sl;
	if (byz_swire_seal(type, sender, 7, run_id, data + 3, (uint32_t)(size - 3),
			   sks[sender], &sealed, &sl) != 0)
		return 0;
	int parses = byz_swire_parse(sealed, sl, &m) == 0;
	int opens = byz_swire_open(sealed, sl, run_id, roster, 2, &m) == 0;
	FUZZ_CHECK(parses == opens);
	if (opens) {
		check_parsed(sealed, sl, &m);
		size_t bit = (size_t)data[size - 1] * 131u % (sl * 8);
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		FUZZ_CHECK(byz_swire_open(sealed, sl, run_id, roster, 2, &m) != 0);
	}
	free(sealed);
	return 0;
}
