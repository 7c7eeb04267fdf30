/* Wire format: known answers, every malformation rejected with its reason,
 * signatures bound to run/step/sender, and a seeded mutation fuzz. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "byz/merkle.h"
#include "byz/wire.h"
#include "byz_test.h"

static uint8_t run_id[32], sk[64], pk[32];

static void keys(void)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++) {
		seed[i] = (uint8_t)i;
		run_id[i] = 0xa5;
	}
	CU_ASSERT_FATAL(sodium_init() >= 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

static uint8_t *seal(uint8_t type, const uint8_t *pl, uint32_t len, size_t *out_len)
{
	uint8_t *m = NULL;
	uint16_t from = type == BYZ_MSG_JOIN ? BYZ_WIRE_OUTSIDER : 2;
	int rc = byz_wire_seal(type, from, BYZ_WIRE_BCAST, 1, 7, run_id, pl, len, sk, &m, out_len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return m;
}

static int parse(const uint8_t *b, size_t n)
{
	struct byz_msg m;
	return byz_wire_parse(b, n, &m);
}

/* Valid examples of every type (payload, length). */
static size_t example(uint8_t type, uint8_t *pl)
{
	switch (type) {
	case BYZ_MSG_COMMIT: {
		uint8_t d[32], c[32], h[64];
		memset(d, 0x11, 32);
		memset(c, 0x22, 32);
		memset(h, 0x33, 32);
		memset(h + 32, 0x44, 32);
		return byz_wire_put_commit(pl, d, c, 2, h);
	}
	case BYZ_MSG_DIGEST: {
		struct byz_digest_entry e[3] = {{BYZ_MSG_COMMIT, 1, 0, {1}},
						{BYZ_MSG_REVEAL, 0, 0, {2}},
						{BYZ_MSG_COMMIT, 0, 0, {3}}};
		return byz_wire_put_digest(pl, 1, e, 3);
	}
	case BYZ_MSG_PART:
	case BYZ_MSG_AGGV: {
		float v[5] = {1, -2, 3.5f, 0, 1e-3f};
		return byz_wire_put_vec(pl, 1, v, 5);
	}
	case BYZ_MSG_RESULT: {
		uint8_t h[32], bm[32] = {0};
		memset(h, 0x77, 32);
		bm[0] = 0x0b; /* peers 0, 1, 3 */
		return byz_wire_put_result(pl, 0, 3, 5, 1, 1e-6, h, bm);
	}
	case BYZ_MSG_REVEAL:
		for (int i = 0; i < 32; i++)
			pl[i] = (uint8_t)i;
		return 32;
	case BYZ_MSG_PROJ: {
		uint16_t parts[2] = {0, 3};
		double s[2] = {1.5, -0.125}, n[2] = {2.25, 0};
		return byz_wire_put_proj(pl, 2, parts, s, n);
	}
	case BYZ_MSG_ACCUSE: {
		uint8_t r[32];
		size_t l1;
		example(BYZ_MSG_REVEAL, r);
		uint8_t *e1 = seal(BYZ_MSG_REVEAL, r, 32, &l1);
		const uint8_t *ev[1] = {e1};
		size_t n = byz_wire_put_accuse(pl, BYZ_ACC_GRAD, 2, 0, 1, ev, &l1);
		free(e1);
		return n;
	}
	case BYZ_MSG_FETCH:
		return byz_wire_put_fetch(pl, BYZ_FETCH_PART, 3, 1, 6);
	case BYZ_MSG_JOIN:
		memcpy(pl, pk, 32);
		return 32;
	case BYZ_MSG_RELAY: {
		/* peer 1's REVEAL, relayed by peer 2 (the sealer of the example) */
		uint8_t r[32], *in, sig[64];
		size_t il;
		example(BYZ_MSG_REVEAL, r);
		CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_REVEAL, 1, BYZ_WIRE_BCAST, 1, 7, run_id, r,
						    32, sk, &in, &il), 0);
		uint16_t rel = 2;
		byz_wire_relay_sign(run_id, in, il, 2, sk, sig);
		size_t n = byz_wire_put_relay(pl, 1, &rel, sig, in, il);
		free(in);
		return n;
	}
	case BYZ_MSG_STATE: {
		/* n = 2, one previous part, one queued key, d = 3 */
		size_t n = byz_wire_state_len(2, 1, 1, 3);
		memset(pl, 0, n);
		byz_put64(pl, 5);
		byz_put64(pl + 8, 4500000);
		byz_put32(pl + 16, 3);
		byz_put16(pl + 20, 2);
		byz_put16(pl + 22, 1);
		byz_put16(pl + 24, 1);
		pl[26] = 1;
		pl[27] = 1;
		memset(pl + 32, 0x11, 64);           /* r_prev, r_prev2 */
		memset(pl + 96, 0x22, 64);           /* roster */
		pl[160] = BYZ_ST_PROBATION;          /* peer 0 */
		pl[168] = BYZ_ST_BANNED;             /* peer 1 */
		memset(pl + 192, 0x33, 32);          /* after 2 admit steps, 1 prev_agg */
		byz_putf32(pl + n - 4, 1.5f);
		return n;
	}
	default:
		return 0;
	}
}

/* A compact DIGEST (nb = 2): COMMITs of peers 0 and 9 held (two versions
 * of 9's), one ACCUSE entry; roots are arbitrary bytes here. */
static size_t compact_example(uint8_t *pl)
{
	uint8_t blocks[BYZ_WIRE_DIGEST_SLOT_TYPES * (2 * 2 + 16)];
	memset(blocks, 0, sizeof(blocks));
	blocks[0] = 0x01;
	blocks[1] = 0x02; /* has: slots 0 and 9 */
	blocks[3] = 0x02; /* multi: slot 9 */
	memset(blocks + 4, 0x5a, 16);
	struct byz_digest_entry e = {BYZ_MSG_ACCUSE, 3, 0, {7}};
	return byz_wire_put_digest_compact(pl, 1, 2, blocks, &e, 1);
}

static void test_digest_compact(void)
{
	keys();
	uint8_t pl[512];
	size_t n = compact_example(pl), len;
	CU_ASSERT_EQUAL(n, byz_wire_digest_compact_len(2, 1));
	uint8_t *m = seal(BYZ_MSG_DIGEST, pl, (uint32_t)n, &len);
	struct byz_msg msg;
	CU_ASSERT_EQUAL_FATAL(byz_wire_parse(m, len, &msg), 0);
	CU_ASSERT_EQUAL(msg.u.digest.form, BYZ_WIRE_DIGEST_COMPACT);
	CU_ASSERT_EQUAL(msg.u.digest.nb, 2);
	CU_ASSERT_EQUAL(msg.u.digest.count, 1);
	CU_ASSERT_EQUAL(msg.u.digest.blocks[1], 0x02);
	CU_ASSERT_EQUAL(msg.u.digest.blocks[3], 0x02);
	struct byz_digest_entry e;
	byz_wire_digest_at(&msg, 0, &e);
	CU_ASSERT_EQUAL(e.type, BYZ_MSG_ACCUSE);
	CU_ASSERT_EQUAL(e.sender, 3);
	CU_ASSERT_EQUAL(byz_wire_verify(&msg, run_id, pk), 0);
	free(m);
	/* the builder refuses what the parser would */
	CU_ASSERT_EQUAL(byz_wire_put_digest_compact(pl, 1, 0, pl, NULL, 0), 0);
	CU_ASSERT_EQUAL(byz_wire_put_digest_compact(pl, 1, BYZ_WIRE_BITMAP_LEN + 1, pl, NULL, 0), 0);
	CU_ASSERT_EQUAL(byz_wire_digest_slot_type(0), BYZ_MSG_COMMIT);
	CU_ASSERT_EQUAL(byz_wire_digest_slot_type(BYZ_WIRE_DIGEST_SLOT_TYPES), 0);
	CU_ASSERT_EQUAL(byz_wire_digest_slot_index(BYZ_MSG_PROJ), 4);
	CU_ASSERT_EQUAL(byz_wire_digest_slot_index(BYZ_MSG_ACCUSE), -1);
}

static void test_roundtrip_every_type(void)
{
	keys();
	uint8_t *pl = malloc(8192);
	for (uint8_t t = BYZ_MSG_COMMIT; t < BYZ_MSG_TYPE_END; t++) {
		size_t n = example(t, pl), len;
		CU_ASSERT(n > 0);
		uint8_t *m = seal(t, pl, (uint32_t)n, &len);
		struct byz_msg msg;
		/* sender 2 >= 1, except a JOIN: verified against the key it carries */
		CU_ASSERT_EQUAL(byz_wire_open(m, len, run_id, pk, 1, &msg),
				t == BYZ_MSG_JOIN ? 0 : -EPROTO);
		uint8_t roster[3 * 32];
		memcpy(roster + 64, pk, 32);
		memset(roster, 0, 64);
		CU_ASSERT_EQUAL(byz_wire_open(m, len, run_id, roster, 3, &msg), 0);
		CU_ASSERT_EQUAL(msg.type, t);
		CU_ASSERT_EQUAL(msg.step, 7);
		CU_ASSERT_EQUAL(msg.attempt, 1);
		CU_ASSERT_EQUAL(msg.sender, t == BYZ_MSG_JOIN ? BYZ_WIRE_OUTSIDER : 2);
		/* Every strict prefix is rejected, without reading past it. */
		for (size_t k = 0; k < len; k++) {
			uint8_t *cut = malloc(k ? k : 1);
			memcpy(cut, m, k);
			CU_ASSERT(parse(cut, k) < 0);
			free(cut);
		}
		/* One trailing byte is rejected. */
		uint8_t *longer = malloc(len + 1);
		memcpy(longer, m, len);
		longer[len] = 0;
		CU_ASSERT_EQUAL(parse(longer, len + 1), -EBADMSG);
		free(longer);
		/* A flipped payload byte breaks the signature (or the structure). */
		if (n > 0) {
			m[BYZ_WIRE_HDR_LEN] ^= 0x80;
			int rc = byz_wire_open(m, len, run_id, roster, 3, &msg);
			CU_ASSERT(rc == -BYZ_EBADSIG || rc == -EBADMSG || rc == -EDOM || rc == -EPROTO ||
				  rc == -ERANGE);
			m[BYZ_WIRE_HDR_LEN] ^= 0x80;
		}
		/* Another run id, step or sender: signature does not verify. */
		uint8_t other[32];
		memset(other, 0x5a, 32);
		CU_ASSERT_EQUAL(byz_wire_open(m, len, other, roster, 3, &msg), -EPROTO);
		m[8] ^= 1; /* step (a RELAY's must also equal its inner message's) */
		CU_ASSERT_EQUAL(byz_wire_open(m, len, run_id, roster, 3, &msg),
				t == BYZ_MSG_RELAY ? -EBADMSG : -BYZ_EBADSIG);
		m[8] ^= 1;
		free(m);
	}
	free(pl);
}

static void test_header_fields(void)
{
	keys();
	uint8_t pl[32];
	size_t len;
	example(BYZ_MSG_REVEAL, pl);
	uint8_t *m = seal(BYZ_MSG_REVEAL, pl, 32, &len);
	CU_ASSERT_EQUAL(parse(m, len), 0);
	m[0] = BYZ_WIRE_VERSION + 1;
	CU_ASSERT_EQUAL(parse(m, len), -BYZ_EVERSION);
	m[0] = 1; /* version 1 had no compact DIGEST; its messages are refused */
	CU_ASSERT_EQUAL(parse(m, len), -BYZ_EVERSION);
	m[0] = BYZ_WIRE_VERSION;
	m[1] = 0;
	CU_ASSERT_EQUAL(parse(m, len), -EPROTO);
	m[1] = 99;
	CU_ASSERT_EQUAL(parse(m, len), -EPROTO);
	m[1] = BYZ_MSG_REVEAL;
	m[20] = 1; /* reserved */
	CU_ASSERT_EQUAL(parse(m, len), -EBADMSG);
	m[20] = 0;
	byz_put32(m + 16, 33); /* payload length over REVEAL's limit */
	CU_ASSERT_EQUAL(parse(m, len), -ERANGE);
	byz_put32(m + 16, 31); /* inconsistent with the total */
	CU_ASSERT_EQUAL(parse(m, len), -EBADMSG);
	byz_put32(m + 16, 32);
	byz_put16(m + 2, BYZ_WIRE_BCAST); /* sender cannot be broadcast */
	CU_ASSERT_EQUAL(parse(m, len), -EBADMSG);
	byz_put16(m + 2, 2);
	byz_put16(m + 4, 300); /* recipient out of range */
	CU_ASSERT_EQUAL(parse(m, len), -EBADMSG);
	free(m);
	CU_ASSERT_EQUAL(byz_wire_seal(BYZ_MSG_REVEAL, 0, 0, 0, 0, run_id, pl, 33, sk, &m, &len),
			-ERANGE);
	CU_ASSERT_EQUAL(byz_wire_seal(42, 0, 0, 0, 0, run_id, pl, 3, sk, &m, &len), -EINVAL);
	CU_ASSERT(strcmp(byz_strerror(-BYZ_EBADSIG), "signature does not verify") == 0);
}

/* Seal a raw payload and expect parse to fail with @p want. */
static void expect(uint8_t type, const uint8_t *pl, size_t n, int want)
{
	size_t len;
	uint8_t *m = seal(type, pl, (uint32_t)n, &len);
	int rc = parse(m, len);
	if (rc != want)
		fprintf(stderr, "type %s: got %d (%s), want %d\n", byz_wire_type_name(type), rc,
			byz_strerror(rc), want);
	CU_ASSERT_EQUAL(rc, want);
	free(m);
}

static void test_malformed_payloads(void)
{
	keys();
	uint8_t *pl = calloc(1, 1 << 16);
	/* COMMIT */
	size_t n = example(BYZ_MSG_COMMIT, pl);
	byz_put16(pl + 64, 3);
	expect(BYZ_MSG_COMMIT, pl, n, -EBADMSG);          /* count vs length */
	byz_put16(pl + 64, BYZ_MAX_PEERS + 1);
	expect(BYZ_MSG_COMMIT, pl, n, -ERANGE);
	byz_put16(pl + 64, 2);
	pl[66] = 1;
	expect(BYZ_MSG_COMMIT, pl, n, -EBADMSG);          /* reserved */
	expect(BYZ_MSG_COMMIT, pl, 67, -EBADMSG);         /* short */
	/* DIGEST */
	n = example(BYZ_MSG_DIGEST, pl);
	expect(BYZ_MSG_DIGEST, pl, n, 0);
	uint8_t tmp[24];
	memcpy(tmp, pl + 4, 24);
	memcpy(pl + 4, pl + 28, 24);
	memcpy(pl + 28, tmp, 24);
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* unsorted */
	memcpy(pl + 28, pl + 4, 24);
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* duplicate */
	n = example(BYZ_MSG_DIGEST, pl);
	pl[4 + 1] = 1;
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* entry reserved */
	n = example(BYZ_MSG_DIGEST, pl);
	byz_put16(pl + 2, BYZ_WIRE_MAX_DIGEST_ENTRIES + 1);
	expect(BYZ_MSG_DIGEST, pl, n, -ERANGE);
	byz_put16(pl + 2, 4);
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);
	n = example(BYZ_MSG_DIGEST, pl);
	pl[1] = 2;
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* unknown form */
	/* compact DIGEST: nb = 2, one ACCUSE entry */
	n = compact_example(pl);
	expect(BYZ_MSG_DIGEST, pl, n, 0);
	expect(BYZ_MSG_DIGEST, pl, n - 1, -EBADMSG);      /* length */
	expect(BYZ_MSG_DIGEST, pl, 7, -EBADMSG);          /* shorter than its header */
	pl[4] = 0;
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* no bitmap bytes */
	pl[4] = BYZ_WIRE_BITMAP_LEN + 1;
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* over the roster bound */
	n = compact_example(pl);
	pl[5] = 1;
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);          /* reserved */
	n = compact_example(pl);
	pl[8 + 2] |= 0x80;                                /* multi bit without has */
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);
	n = compact_example(pl);
	pl[n - 24] = BYZ_MSG_COMMIT;                      /* slot type as an entry */
	expect(BYZ_MSG_DIGEST, pl, n, -EBADMSG);
	/* PART / AGGV */
	for (uint8_t t = BYZ_MSG_PART; t <= BYZ_MSG_AGGV; t += 2) {
		n = example(t, pl);
		byz_putf32(pl + 8, NAN);
		expect(t, pl, n, -EDOM);
		byz_putf32(pl + 8, INFINITY);
		expect(t, pl, n, -EDOM);
		n = example(t, pl);
		byz_put32(pl + 4, 6);
		expect(t, pl, n, -EBADMSG);
		byz_put32(pl + 4, BYZ_WIRE_MAX_PART_FLOATS + 1);
		expect(t, pl, n, -ERANGE);
		byz_put32(pl + 4, 5);
		pl[2] = 1;
		expect(t, pl, n, -EBADMSG);
	}
	/* RESULT */
	n = example(BYZ_MSG_RESULT, pl);
	pl[56] = 0x01;
	expect(BYZ_MSG_RESULT, pl, n, -EBADMSG);          /* popcount != k */
	n = example(BYZ_MSG_RESULT, pl);
	byz_putf64(pl + 16, NAN);
	expect(BYZ_MSG_RESULT, pl, n, -EDOM);
	n = example(BYZ_MSG_RESULT, pl);
	byz_put32(pl + 8, 4);
	expect(BYZ_MSG_RESULT, pl, n, -EBADMSG);          /* clipped > k */
	expect(BYZ_MSG_RESULT, pl, n - 1, -EBADMSG);
	/* REVEAL */
	expect(BYZ_MSG_REVEAL, pl, 31, -EBADMSG);
	/* PROJ */
	n = example(BYZ_MSG_PROJ, pl);
	byz_put16(pl + 4 + 24, 0);
	expect(BYZ_MSG_PROJ, pl, n, -EBADMSG);            /* parts not ascending */
	n = example(BYZ_MSG_PROJ, pl);
	byz_putf64(pl + 4 + 16, -1.0);
	expect(BYZ_MSG_PROJ, pl, n, -EDOM);               /* negative norm */
	n = example(BYZ_MSG_PROJ, pl);
	byz_putf64(pl + 4 + 8, NAN);
	expect(BYZ_MSG_PROJ, pl, n, -EDOM);
	n = example(BYZ_MSG_PROJ, pl);
	pl[4 + 3] = 1;
	expect(BYZ_MSG_PROJ, pl, n, -EBADMSG);
	byz_put16(pl, BYZ_MAX_PEERS + 1);
	expect(BYZ_MSG_PROJ, pl, n, -ERANGE);
	/* ACCUSE */
	n = example(BYZ_MSG_ACCUSE, pl);
	expect(BYZ_MSG_ACCUSE, pl, n, 0);
	pl[0] = 0;
	expect(BYZ_MSG_ACCUSE, pl, n, -EPROTO);           /* unknown reason */
	pl[0] = BYZ_ACC_REASON_END;
	expect(BYZ_MSG_ACCUSE, pl, n, -EPROTO);
	n = example(BYZ_MSG_ACCUSE, pl);
	pl[1] = 3;
	expect(BYZ_MSG_ACCUSE, pl, n, -ERANGE);           /* too much evidence */
	n = example(BYZ_MSG_ACCUSE, pl);
	byz_put32(pl + 12, (uint32_t)(n - 15));
	expect(BYZ_MSG_ACCUSE, pl, n, -EBADMSG);          /* evidence length lies */
	n = example(BYZ_MSG_ACCUSE, pl);
	byz_put32(pl + 12, 0xffffffffu);
	expect(BYZ_MSG_ACCUSE, pl, n, -ERANGE);
	n = example(BYZ_MSG_ACCUSE, pl);
	pl[16 + 1] = BYZ_MSG_DIGEST;                      /* evidence of a forbidden type */
	expect(BYZ_MSG_ACCUSE, pl, n, -EBADMSG);
	/* An accusation nested as evidence is refused (no recursion). */
	n = example(BYZ_MSG_ACCUSE, pl);
	size_t inner_len;
	uint8_t *inner = seal(BYZ_MSG_ACCUSE, pl, (uint32_t)n, &inner_len);
	const uint8_t *ev[1] = {inner};
	size_t n2 = byz_wire_put_accuse(pl, BYZ_ACC_EQUIV, 2, 0, 1, ev, &inner_len);
	expect(BYZ_MSG_ACCUSE, pl, n2, -EBADMSG);
	n = example(BYZ_MSG_FETCH, pl);
	expect(BYZ_MSG_FETCH, pl, n, 0);
	pl[0] = 0;
	expect(BYZ_MSG_FETCH, pl, n, -EPROTO);            /* unknown request */
	n = example(BYZ_MSG_FETCH, pl);
	pl[7] = 1;
	expect(BYZ_MSG_FETCH, pl, n, -EBADMSG);           /* reserved byte */
	n = example(BYZ_MSG_FETCH, pl);
	expect(BYZ_MSG_FETCH, pl, n - 1, -EBADMSG);       /* short */
	n = example(BYZ_MSG_STATE, pl);
	expect(BYZ_MSG_STATE, pl, n, 0);
	expect(BYZ_MSG_STATE, pl, n - 4, -EBADMSG);       /* length disagrees with counts */
	pl[160] = 0x40;
	expect(BYZ_MSG_STATE, pl, n, -EBADMSG);           /* unknown peer flag */
	n = example(BYZ_MSG_STATE, pl);
	byz_put16(pl + 20, BYZ_MAX_PEERS + 1);
	expect(BYZ_MSG_STATE, pl, n, -ERANGE);            /* roster too large */
	n = example(BYZ_MSG_STATE, pl);
	byz_put32(pl + n - 4, 0x7f800000u);
	expect(BYZ_MSG_STATE, pl, n, -EDOM);              /* infinite parameter */
	n = example(BYZ_MSG_JOIN, pl);
	expect(BYZ_MSG_JOIN, pl, n - 1, -EBADMSG);
	free(inner);
	free(pl);
}

static void hexline(FILE *f, const char *name, const uint8_t *b, size_t n)
{
	char *h = malloc(2 * n + 1);
	byz_hex(b, n, h);
	fprintf(f, "%s %s\n", name, h);
	free(h);
}

/* Known answers: messages signed with the seed-derived key must match the
 * committed vectors byte for byte (Ed25519 is deterministic). */
static void test_known_answers(void)
{
	keys();
	const char *dir = getenv("BYZ_VECTORS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/wire_kat.txt", dir);
	uint8_t pl[4096];
	static const uint8_t types[] = {BYZ_MSG_COMMIT, BYZ_MSG_REVEAL, BYZ_MSG_PROJ, BYZ_MSG_RESULT,
					BYZ_MSG_RELAY};
	if (getenv("BYZ_WRITE_VECTORS")) {
		FILE *f = fopen(path, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		hexline(f, "pk", pk, 32);
		for (size_t i = 0; i < sizeof(types); i++) {
			size_t len, n = example(types[i], pl);
			uint8_t *m = seal(types[i], pl, (uint32_t)n, &len);
			hexline(f, byz_wire_type_name(types[i]), m, len);
			free(m);
		}
		fclose(f);
	}
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char name[32];
	static char hex[20000];
	int lines = 0;
	while (fscanf(f, "%31s %19999s", name, hex) == 2) {
		size_t hl = strlen(hex);
		uint8_t *b = malloc(hl / 2 + 1);
		CU_ASSERT_EQUAL_FATAL(byz_unhex(hex, hl, b, hl / 2), 0);
		if (strcmp(name, "pk") == 0) {
			CU_ASSERT_EQUAL(hl, 64);
			CU_ASSERT(memcmp(b, pk, 32) == 0);
		} else {
			uint8_t t = 0;
			for (size_t i = 0; i < sizeof(types); i++)
				if (strcmp(name, byz_wire_type_name(types[i])) == 0)
					t = types[i];
			CU_ASSERT_NOT_EQUAL_FATAL(t, 0);
			size_t len, n = example(t, pl);
			uint8_t *m = seal(t, pl, (uint32_t)n, &len);
			CU_ASSERT_EQUAL(len, hl / 2);
			CU_ASSERT(len == hl / 2 && memcmp(m, b, len) == 0);
			struct byz_msg msg;
			CU_ASSERT_EQUAL(byz_wire_parse(b, hl / 2, &msg), 0);
			CU_ASSERT_EQUAL(byz_wire_verify(&msg, run_id, pk), 0);
			free(m);
		}
		free(b);
		lines++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(lines, 6);
}

/* Mutation fuzz: random byte edits, truncations and junk must never crash or
 * read out of bounds (ASan), and a mutated message never verifies unless the
 * mutation was undone. */
static void test_fuzz(void)
{
	keys();
	struct byz_rng r = {byz_test_seed()};
	uint8_t pl[8192];
	uint8_t roster[3 * 32] = {0};
	memcpy(roster + 64, pk, 32);
	for (int it = 0; it < 3000; it++) {
		uint8_t t = (uint8_t)(BYZ_MSG_COMMIT + byz_rng_next(&r) % (BYZ_MSG_TYPE_END - 1));
		size_t len, n = example(t, pl);
		uint8_t *m = seal(t, pl, (uint32_t)n, &len);
		uint8_t *c = malloc(len);
		memcpy(c, m, len);
		int edits = 1 + (int)(byz_rng_next(&r) % 4);
		for (int e = 0; e < edits; e++)
			c[byz_rng_next(&r) % len] ^= (uint8_t)(1 + byz_rng_next(&r) % 255);
		size_t cl = (byz_rng_next(&r) % 4 == 0) ? byz_rng_next(&r) % (len + 1) : len;
		uint8_t *exact = malloc(cl ? cl : 1);
		memcpy(exact, c, cl);
		struct byz_msg msg;
		int rc = byz_wire_open(exact, cl, run_id, roster, 3, &msg);
		if (rc == 0)
			CU_ASSERT(cl == len && memcmp(exact, m, len - 64) == 0);
		free(exact);
		free(c);
		free(m);
	}
	for (int it = 0; it < 2000; it++) {
		size_t jl = byz_rng_next(&r) % 400;
		uint8_t *j = malloc(jl ? jl : 1);
		for (size_t i = 0; i < jl; i++)
			j[i] = (uint8_t)byz_rng_next(&r);
		if (jl > 1 && byz_rng_next(&r) % 2)
			j[0] = BYZ_WIRE_VERSION;
		CU_ASSERT(parse(j, jl) < 0);
		free(j);
	}
}

/* RELAY: structure (canonical chain, the sender in it, the signer not, a
 * plain broadcast of the same step and attempt inside, never nested) and
 * chain signatures. */
static void test_relay(void)
{
	keys();
	uint8_t *pl = calloc(1, 1 << 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	size_t n = example(BYZ_MSG_RELAY, pl);
	CU_ASSERT_FATAL(n > 0);
	expect(BYZ_MSG_RELAY, pl, n, 0);
	size_t ml;
	uint8_t *m = seal(BYZ_MSG_RELAY, pl, (uint32_t)n, &ml);
	struct byz_msg rm;
	CU_ASSERT_EQUAL_FATAL(byz_wire_parse(m, ml, &rm), 0);
	CU_ASSERT_EQUAL(rm.u.relay.count, 1);
	CU_ASSERT_EQUAL(rm.u.relay.inner_type, BYZ_MSG_REVEAL);
	CU_ASSERT_EQUAL(rm.u.relay.inner_sender, 1);
	CU_ASSERT_EQUAL(byz_wire_relay_at(&rm, 0, NULL), 2);
	CU_ASSERT_EQUAL(byz_wire_relay_check(&rm, 0, run_id, pk), 0);
	uint8_t other[32];
	memset(other, 0x5a, 32);
	CU_ASSERT_EQUAL(byz_wire_relay_check(&rm, 0, other, pk), -BYZ_EBADSIG); /* another run */
	CU_ASSERT_EQUAL(byz_wire_relay_check(&rm, 1, run_id, pk), -EINVAL);
	m[BYZ_WIRE_HDR_LEN + 8 + 10] ^= 1; /* a chain signature byte */
	CU_ASSERT_EQUAL_FATAL(byz_wire_parse(m, ml, &rm), 0);
	CU_ASSERT_EQUAL(byz_wire_relay_check(&rm, 0, run_id, pk), -BYZ_EBADSIG);
	free(m);

	uint8_t r[32], *in, sig[128];
	size_t il;
	example(BYZ_MSG_REVEAL, r);
	CU_ASSERT_EQUAL_FATAL(byz_wire_seal(BYZ_MSG_REVEAL, 1, BYZ_WIRE_BCAST, 1, 7, run_id, r, 32, sk,
					    &in, &il), 0);
	memset(sig, 0, sizeof(sig));
	uint16_t rel[2] = {0, 2};
	n = byz_wire_put_relay(pl, 2, rel, sig, in, il);
	expect(BYZ_MSG_RELAY, pl, n, 0);                  /* two relayers, 2 among them */
	byz_put16(pl + 8, 2);                               /* 2, 2: not strictly ascending */
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
	byz_put16(pl + 8, 3);                               /* 3, 2: unsorted */
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
	byz_put16(pl + 8, 1);                               /* the signer relays itself */
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
	CU_ASSERT_EQUAL(byz_wire_put_relay(pl, 2, (const uint16_t[]){2, 0}, sig, in, il), 0);
	CU_ASSERT_EQUAL(byz_wire_put_relay(pl, 0, rel, sig, in, il), 0);
	rel[1] = 3;
	n = byz_wire_put_relay(pl, 2, rel, sig, in, il);
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);             /* the sender (2) is not in the chain */
	rel[1] = 2;
	n = byz_wire_put_relay(pl, 2, rel, sig, in, il);
	pl[1] = 1;
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);             /* reserved byte */
	pl[1] = 0;
	pl[0] = 0;
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);             /* empty chain */
	pl[0] = (uint8_t)(BYZ_WIRE_MAX_RELAY + 1);
	expect(BYZ_MSG_RELAY, pl, n, -ERANGE);              /* chain over its limit */
	pl[0] = 2;
	expect(BYZ_MSG_RELAY, pl, n - 1, -EBADMSG);         /* inner length disagrees */
	pl[8 + 2 * BYZ_WIRE_RELAY_ENTRY_LEN + 8] ^= 1;      /* inner of step 6 */
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
	pl[8 + 2 * BYZ_WIRE_RELAY_ENTRY_LEN + 8] ^= 1;
	pl[8 + 2 * BYZ_WIRE_RELAY_ENTRY_LEN + 6] ^= 1;      /* inner of attempt 0 */
	expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
	pl[8 + 2 * BYZ_WIRE_RELAY_ENTRY_LEN + 6] ^= 1;
	free(in);
	/* only plain broadcasts travel in a RELAY, and a RELAY never nests */
	static const uint8_t bad_inner[] = {BYZ_MSG_DIGEST, BYZ_MSG_PART, BYZ_MSG_FETCH,
					    BYZ_MSG_STATE, BYZ_MSG_RELAY};
	uint8_t *ipl = calloc(1, 1 << 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ipl);
	for (size_t k = 0; k < sizeof(bad_inner); k++) {
		size_t in_n = example(bad_inner[k], ipl);
		CU_ASSERT_EQUAL_FATAL(byz_wire_seal(bad_inner[k], 1, BYZ_WIRE_BCAST, 1, 7, run_id, ipl,
						    (uint32_t)in_n, sk, &in, &il), 0);
		n = byz_wire_put_relay(pl, 2, rel, sig, in, il);
		CU_ASSERT_FATAL(n > 0);
		expect(BYZ_MSG_RELAY, pl, n, -EBADMSG);
		free(in);
	}
	/* a RELAY is not evidence (only a malformed one, by its header) */
	n = example(BYZ_MSG_RELAY, pl);
	m = seal(BYZ_MSG_RELAY, pl, (uint32_t)n, &ml);
	const uint8_t *ev[1] = {m};
	size_t an = byz_wire_put_accuse(ipl, BYZ_ACC_EQUIV, 2, 0, 1, ev, &ml);
	expect(BYZ_MSG_ACCUSE, ipl, an, -EBADMSG);
	free(m);
	free(ipl);
	free(pl);
}

/* A validly signed message whose payload does not parse: its header does
 * (byz_wire_parse_header), so a MALFORMED accusation may carry it as its one
 * evidence item; other reasons, or broken headers, may not. */
static void test_malformed_evidence(void)
{
	keys();
	uint8_t *pl = calloc(1, 1 << 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	size_t n = example(BYZ_MSG_COMMIT, pl);
	byz_put16(pl + 64, 3); /* claims 3 parts, carries 2 */
	size_t bl;
	uint8_t *bad = seal(BYZ_MSG_COMMIT, pl, (uint32_t)n, &bl);
	struct byz_msg h, full;
	CU_ASSERT_EQUAL(byz_wire_parse(bad, bl, &full), -EBADMSG);
	CU_ASSERT_EQUAL(byz_wire_parse_header(bad, bl, &h), 0);
	CU_ASSERT_EQUAL(h.type, BYZ_MSG_COMMIT);
	CU_ASSERT_EQUAL(h.sender, 2);
	CU_ASSERT_EQUAL(h.step, 7);
	CU_ASSERT_EQUAL(byz_wire_verify(&h, run_id, pk), 0);
	/* header errors stay errors */
	CU_ASSERT_EQUAL(byz_wire_parse_header(bad, bl - 1, &h), -EBADMSG);
	bad[0] = 9;
	CU_ASSERT_EQUAL(byz_wire_parse_header(bad, bl, &h), -BYZ_EVERSION);
	bad[0] = BYZ_WIRE_VERSION;
	bad[1] = 0;
	CU_ASSERT_EQUAL(byz_wire_parse_header(bad, bl, &h), -EPROTO);
	bad[1] = BYZ_MSG_COMMIT;
	bad[21] = 1;
	CU_ASSERT_EQUAL(byz_wire_parse_header(bad, bl, &h), -EBADMSG);
	bad[21] = 0;

	uint8_t *acc = calloc(1, 1 << 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
	const uint8_t *ev[2] = {bad, bad};
	size_t el[2] = {bl, bl};
	size_t an = byz_wire_put_accuse(acc, BYZ_ACC_MALFORMED, 2, 0, 1, ev, el);
	CU_ASSERT_FATAL(an > 0);
	expect(BYZ_MSG_ACCUSE, acc, an, 0);
	size_t ml;
	uint8_t *m = seal(BYZ_MSG_ACCUSE, acc, (uint32_t)an, &ml);
	struct byz_msg am;
	CU_ASSERT_EQUAL_FATAL(byz_wire_parse(m, ml, &am), 0);
	CU_ASSERT_EQUAL(am.u.accuse.reason, BYZ_ACC_MALFORMED);
	CU_ASSERT(am.u.accuse.ev[0] == m + BYZ_WIRE_HDR_LEN + 16 && am.u.accuse.ev_len[0] == bl);
	free(m);
	CU_ASSERT_STRING_EQUAL(byz_accuse_reason_name(BYZ_ACC_MALFORMED), "malformed");
	/* the same evidence under another reason must parse in full */
	an = byz_wire_put_accuse(acc, BYZ_ACC_EQUIV, 2, 0, 1, ev, el);
	expect(BYZ_MSG_ACCUSE, acc, an, -EBADMSG);
	/* exactly one item */
	an = byz_wire_put_accuse(acc, BYZ_ACC_MALFORMED, 2, 0, 2, ev, el);
	expect(BYZ_MSG_ACCUSE, acc, an, -EBADMSG);
	an = byz_wire_put_accuse(acc, BYZ_ACC_MALFORMED, 2, 0, 0, ev, el);
	expect(BYZ_MSG_ACCUSE, acc, an, -EBADMSG);
	/* a broken header is not evidence of anything */
	el[0] = bl - 1;
	an = byz_wire_put_accuse(acc, BYZ_ACC_MALFORMED, 2, 0, 1, ev, el);
	expect(BYZ_MSG_ACCUSE, acc, an, -EBADMSG);
	/* nor is a JOIN (its signer is no member) */
	size_t jn = example(BYZ_MSG_JOIN, pl), jl;
	uint8_t *join = seal(BYZ_MSG_JOIN, pl, (uint32_t)jn, &jl);
	ev[0] = join;
	el[0] = jl;
	an = byz_wire_put_accuse(acc, BYZ_ACC_MALFORMED, 2, 0, 1, ev, el);
	expect(BYZ_MSG_ACCUSE, acc, an, -EBADMSG);
	free(join);
	free(acc);
	free(bad);
	free(pl);
}

/* Version 4 signs the header and the payload's Merkle root: a part of
 * several 64 KiB leaves verifies under exactly what byz_wire_tbs makes of
 * it (and byz_wire_tbs_root from the root alone), and a flipped bit in any
 * leaf (the last, short one too) or in the header fails. */
static void test_signed_root(void)
{
	keys();
	enum { COUNT = 40000 }; /* 160 KiB of floats: three leaves */
	static float v[COUNT];
	for (uint32_t i = 0; i < COUNT; i++)
		v[i] = (float)i * 0.25f - 7.0f;
	uint8_t *pl = malloc(byz_wire_vec_len(COUNT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	size_t n = byz_wire_put_vec(pl, 1, v, COUNT), len;
	uint8_t *m = seal(BYZ_MSG_PART, pl, (uint32_t)n, &len);
	CU_ASSERT(byz_merkle_leaves(len - BYZ_WIRE_HDR_LEN - BYZ_WIRE_SIG_LEN) == 3);
	uint8_t tbs[BYZ_WIRE_TBS_LEN];
	CU_ASSERT_EQUAL(byz_wire_tbs(m, len - BYZ_WIRE_SIG_LEN, tbs), 0);
	CU_ASSERT(memcmp(tbs, BYZ_WIRE_TBS_DOMAIN, sizeof(BYZ_WIRE_TBS_DOMAIN) - 1) == 0);
	CU_ASSERT_EQUAL(crypto_sign_verify_detached(m + len - BYZ_WIRE_SIG_LEN, tbs, sizeof(tbs), pk), 0);
	/* not a signature over the raw bytes any more */
	CU_ASSERT_NOT_EQUAL(crypto_sign_verify_detached(m + len - BYZ_WIRE_SIG_LEN, m,
							len - BYZ_WIRE_SIG_LEN, pk), 0);
	struct byz_msg msg;
	CU_ASSERT_EQUAL_FATAL(byz_wire_parse(m, len, &msg), 0);
	CU_ASSERT_EQUAL(byz_wire_verify(&msg, run_id, pk), 0);
	const size_t at[] = {20, BYZ_WIRE_HDR_LEN + 100, 70000, 140000, len - BYZ_WIRE_SIG_LEN - 1};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		m[at[k]] ^= 0x10;
		if (byz_wire_parse(m, len, &msg) == 0)
			CU_ASSERT_EQUAL(byz_wire_verify(&msg, run_id, pk), -BYZ_EBADSIG);
		m[at[k]] ^= 0x10;
	}
	/* the payload's root computed apart gives the same bytes to sign */
	uint8_t root[32], tbs2[BYZ_WIRE_TBS_LEN];
	CU_ASSERT_EQUAL(byz_merkle_root(m + BYZ_WIRE_HDR_LEN, len - BYZ_WIRE_HDR_LEN - BYZ_WIRE_SIG_LEN,
					root), 0);
	CU_ASSERT_EQUAL(byz_wire_tbs_root(m, root, tbs2), 0);
	CU_ASSERT(memcmp(tbs, tbs2, sizeof(tbs)) == 0);
	root[5] ^= 1;
	CU_ASSERT_EQUAL(byz_wire_tbs_root(m, root, tbs2), 0);
	CU_ASSERT(memcmp(tbs, tbs2, sizeof(tbs)) != 0);
	CU_ASSERT_EQUAL(byz_wire_tbs(NULL, 10, tbs), -EINVAL);
	CU_ASSERT_EQUAL(byz_wire_tbs(m, BYZ_WIRE_HDR_LEN - 1, tbs), -EINVAL);
	free(m);
	free(pl);
}

BYZ_TEST_MAIN("wire", {"roundtrip_every_type", test_roundtrip_every_type},
	      {"header_fields", test_header_fields}, {"digest_compact", test_digest_compact},
	      {"malformed_payloads", test_malformed_payloads},
	      {"malformed_evidence", test_malformed_evidence}, {"relay", test_relay},
	      {"known_answers", test_known_answers}, {"signed_root", test_signed_root},
	      {"fuzz", test_fuzz})
