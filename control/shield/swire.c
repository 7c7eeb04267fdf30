/*
 * DESIGN (ByzShield wire): the mode's four signed messages. Like control/
 * wire.c, the parser checks the total length before any field, then the
 * header, then the payload of its type against exact sizes and limits; only
 * a well-formed message costs a signature check. A separate version byte
 * keeps BTARD and ByzShield messages from ever parsing as each other.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/shield_run.h"
#include "byz/wire.h"

#define ENTRY 36u
#define MAX_COMMIT_PAYLOAD (4u + ENTRY * BYZ_SWIRE_MAX_FILES + 32u)
#define MAX_VEC_PAYLOAD (8u + 4u * BYZ_SWIRE_MAX_FLOATS)
#define MAX_ACCUSE_PAYLOAD (12u + BYZ_SWIRE_HDR_LEN + MAX_COMMIT_PAYLOAD + BYZ_SWIRE_SIG_LEN)

static uint32_t max_payload(uint8_t type)
{
	switch (type) {
	case BYZ_SWIRE_COMMIT:
		return MAX_COMMIT_PAYLOAD;
	case BYZ_SWIRE_VEC:
		return MAX_VEC_PAYLOAD;
	case BYZ_SWIRE_ACCUSE:
		return MAX_ACCUSE_PAYLOAD;
	case BYZ_SWIRE_REVEAL:
		return 32u;
	default:
		return 0;
	}
}

static int zero(const uint8_t *p, size_t n)
{
	uint8_t a = 0;
	for (size_t i = 0; i < n; i++)
		a |= p[i];
	return a == 0;
}

static int parse_commit(struct byz_smsg *m, const uint8_t *p, uint32_t n)
{
	if (n < 4 || !zero(p + 2, 2))
		return -EBADMSG;
	uint16_t c = byz_le16(p);
	if (c == 0 || c > BYZ_SWIRE_MAX_FILES)
		return c ? -ERANGE : -EBADMSG;
	if (n != 4u + ENTRY * c + 32u)
		return -EBADMSG;
	for (uint16_t i = 1; i < c; i++)
		if (byz_le32(p + 4 + ENTRY * i) <= byz_le32(p + 4 + ENTRY * (i - 1u)))
			return -EBADMSG;
	m->count = c;
	m->entries = p + 4;
	m->mprng = p + 4 + ENTRY * c;
	return 0;
}

static int parse_reveal(struct byz_smsg *m, const uint8_t *p, uint32_t n)
{
	if (n != 32u)
		return -EBADMSG;
	m->rho = p;
	return 0;
}

static int parse_vec(struct byz_smsg *m, const uint8_t *p, uint32_t n)
{
	if (n < 8)
		return -EBADMSG;
	uint32_t c = byz_le32(p + 4);
	if (c == 0)
		return -EBADMSG;
	if (c > BYZ_SWIRE_MAX_FLOATS)
		return -ERANGE;
	if (n != 8u + 4u * c)
		return -EBADMSG;
	for (uint32_t i = 0; i < c; i++)
		if (!isfinite(byz_lef32(p + 8 + 4u * i)))
			return -EDOM;
	m->file = byz_le32(p);
	m->nfloats = c;
	m->data = p + 8;
	return 0;
}

static int parse_accuse(struct byz_smsg *m, const uint8_t *p, uint32_t n)
{
	if (n < 12 || !zero(p + 2, 2))
		return -EBADMSG;
	uint32_t el = byz_le32(p + 8);
	if (el != n - 12u)
		return -EBADMSG;
	struct byz_smsg ev;
	int rc = byz_swire_parse(p + 12, el, &ev);
	if (rc || ev.type != BYZ_SWIRE_COMMIT || ev.sender != byz_le16(p))
		return -EBADMSG;
	m->accused = byz_le16(p);
	m->file = byz_le32(p + 4);
	m->ev = p + 12;
	m->ev_len = el;
	return 0;
}

int byz_swire_parse(const uint8_t *buf, size_t len, struct byz_smsg *m)
{
	if (!buf || !m || len < BYZ_SWIRE_HDR_LEN + BYZ_SWIRE_SIG_LEN)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	if (buf[0] != BYZ_SWIRE_VERSION)
		return -EPROTO;
	uint8_t type = buf[1];
	uint32_t lim = max_payload(type);
	if (!lim)
		return -EPROTO;
	uint32_t pl = byz_le32(buf + 16);
	if (!zero(buf + 4, 4) || !zero(buf + 20, 4))
		return -EBADMSG;
	if (pl > lim)
		return -ERANGE;
	if (len != (size_t)BYZ_SWIRE_HDR_LEN + pl + BYZ_SWIRE_SIG_LEN)
		return -EBADMSG;
	m->type = type;
	m->sender = byz_le16(buf + 2);
	m->step = byz_le64(buf + 8);
	m->run_id = buf + 24;
	m->raw = buf;
	m->raw_len = len;
	const uint8_t *p = buf + BYZ_SWIRE_HDR_LEN;
	switch (type) {
	case BYZ_SWIRE_COMMIT:
		return parse_commit(m, p, pl);
	case BYZ_SWIRE_VEC:
		return parse_vec(m, p, pl);
	case BYZ_SWIRE_REVEAL:
		return parse_reveal(m, p, pl);
	default:
		return parse_accuse(m, p, pl);
	}
}

int byz_swire_open(const uint8_t *buf, size_t len, const uint8_t run_id[32],
		   const uint8_t *roster, uint32_t n, struct byz_smsg *m)
{
	int rc = byz_swire_parse(buf, len, m);
	if (rc)
		return rc;
	if (m->sender >= n || sodium_memcmp(m->run_id, run_id, 32) != 0)
		return -EPROTO;
	if (crypto_sign_verify_detached(buf + len - BYZ_SWIRE_SIG_LEN, buf,
					len - BYZ_SWIRE_SIG_LEN, roster + 32u * m->sender) != 0)
		return -BYZ_EBADSIG;
	return 0;
}

int byz_swire_seal(uint8_t type, uint16_t sender, uint64_t step, const uint8_t run_id[32],
		   const uint8_t *payload, uint32_t len, const uint8_t sk[64], uint8_t **out,
		   size_t *out_len)
{
	if (!run_id || !sk || !out || !out_len || (len && !payload) || !max_payload(type))
		return -EINVAL;
	if (len > max_payload(type))
		return -ERANGE;
	size_t tot = (size_t)BYZ_SWIRE_HDR_LEN + len + BYZ_SWIRE_SIG_LEN;
	uint8_t *b = calloc(1, tot);
	if (!b)
		return -ENOMEM;
	b[0] = BYZ_SWIRE_VERSION;
	b[1] = type;
	byz_put16(b + 2, sender);
	byz_put64(b + 8, step);
	byz_put32(b + 16, len);
	memcpy(b + 24, run_id, 32);
	if (len)
		memcpy(b + BYZ_SWIRE_HDR_LEN, payload, len);
	crypto_sign_detached(b + tot - BYZ_SWIRE_SIG_LEN, NULL, b, tot - BYZ_SWIRE_SIG_LEN, sk);
	*out = b;
	*out_len = tot;
	return 0;
}

size_t byz_swire_put_commit(uint8_t *p, uint16_t count, const uint32_t *files,
			    const uint8_t *hashes, const uint8_t mprng[32])
{
	byz_put16(p, count);
	byz_put16(p + 2, 0);
	for (uint16_t i = 0; i < count; i++) {
		byz_put32(p + 4 + ENTRY * i, files[i]);
		memcpy(p + 8 + ENTRY * i, hashes + 32u * i, 32);
	}
	memcpy(p + 4 + ENTRY * count, mprng, 32);
	return 4u + ENTRY * count + 32u;
}

size_t byz_swire_put_reveal(uint8_t *p, const uint8_t rho[32])
{
	memcpy(p, rho, 32);
	return 32u;
}

size_t byz_swire_put_vec(uint8_t *p, uint32_t file, const float *v, uint32_t count)
{
	byz_put32(p, file);
	byz_put32(p + 4, count);
	for (uint32_t i = 0; i < count; i++)
		byz_putf32(p + 8 + 4u * i, v[i]);
	return 8u + 4u * (size_t)count;
}

size_t byz_swire_put_accuse(uint8_t *p, uint16_t accused, uint32_t file, const uint8_t *ev,
			    uint32_t ev_len)
{
	byz_put16(p, accused);
	byz_put16(p + 2, 0);
	byz_put32(p + 4, file);
	byz_put32(p + 8, ev_len);
	memcpy(p + 12, ev, ev_len);
	return 12u + ev_len;
}

const uint8_t *byz_swire_commit_hash(const struct byz_smsg *m, uint32_t file)
{
	if (!m || m->type != BYZ_SWIRE_COMMIT)
		return NULL;
	uint32_t lo = 0, hi = m->count;
	while (lo < hi) { /* files are strictly ascending (checked by the parser) */
		uint32_t mid = (lo + hi) / 2, f = byz_le32(m->entries + ENTRY * mid);
		if (f == file)
			return m->entries + ENTRY * mid + 4;
		if (f < file)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void byz_shield_grad_hash(const uint8_t run_id[32], uint64_t step, uint32_t file,
			  const float *g, size_t d, uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t hdr[14 + 32 + 8 + 4], buf[4 * 256];
	memcpy(hdr, "byzshield-grad", 14);
	memcpy(hdr + 14, run_id, 32);
	byz_put64(hdr + 46, step);
	byz_put32(hdr + 54, file);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, hdr, sizeof(hdr));
	for (size_t i = 0; i < d;) { /* canonical float32 LE, whatever the host order */
		size_t k = 0;
		for (; k < 256 && i < d; k++, i++)
			byz_putf32(buf + 4 * k, g[i]);
		crypto_generichash_update(&st, buf, 4 * k);
	}
	crypto_generichash_final(&st, out, 32);
}

void byz_shield_file_seed(const uint8_t run_id[32], uint64_t step, uint32_t file,
			  uint8_t seed[32])
{
	uint8_t b[14 + 32 + 8 + 4];
	memcpy(b, "byzshield-file", 14);
	memcpy(b + 14, run_id, 32);
	byz_put64(b + 46, step);
	byz_put32(b + 54, file);
	crypto_generichash(seed, 32, b, sizeof(b), NULL, 0);
}

void byz_shield_mprng_commit(const uint8_t run_id[32], uint64_t step, uint16_t worker,
			     const uint8_t rho[32], uint8_t out[32])
{
	uint8_t b[15 + 32 + 8 + 2 + 32];
	memcpy(b, "byzshield-mprng", 15);
	memcpy(b + 15, run_id, 32);
	byz_put64(b + 47, step);
	byz_put16(b + 55, worker);
	memcpy(b + 57, rho, 32);
	crypto_generichash(out, 32, b, sizeof(b), NULL, 0);
}

void byz_shield_mprng_value(const uint8_t run_id[32], uint64_t step, const uint8_t *rho,
			    const uint8_t *ok, uint32_t n, uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t hdr[11 + 32 + 8], w[2];
	memcpy(hdr, "byzshield-r", 11);
	memcpy(hdr + 11, run_id, 32);
	byz_put64(hdr + 43, step);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, hdr, sizeof(hdr));
	for (uint32_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		byz_put16(w, (uint16_t)i);
		crypto_generichash_update(&st, w, 2);
		crypto_generichash_update(&st, rho + 32u * i, 32);
	}
	crypto_generichash_final(&st, out, 32);
}

/* Uniform in [0, n) from a ChaCha20 stream keyed by the shared value:
 * 64-bit words, rejecting the top partial range so no value is favoured. */
struct draw {
	uint8_t key[32];
	uint64_t ctr;
};

static uint64_t draw_word(struct draw *d)
{
	uint8_t nonce[8], w[8];
	byz_put64(nonce, d->ctr++);
	crypto_stream_chacha20(w, sizeof(w), nonce, d->key);
	return byz_le64(w);
}

static uint32_t draw_below(struct draw *d, uint32_t n)
{
	const uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = draw_word(d);
	while (x >= lim);
	return (uint32_t)(x % n);
}

int byz_shield_audit_draw(const uint8_t r[32], uint32_t f, uint32_t m, const uint16_t *elig,
			  uint32_t na, uint32_t *files, uint16_t *auditors)
{
	if (!r || m > f || f > BYZ_SWIRE_MAX_FILES || (m && (!files || !auditors || !elig || !na)))
		return -EINVAL;
	struct draw d = {.ctr = 0};
	uint8_t kb[15 + 32];
	memcpy(kb, "byzshield-audit", 15);
	memcpy(kb + 15, r, 32);
	crypto_generichash(d.key, 32, kb, sizeof(kb), NULL, 0);
	uint32_t perm[BYZ_SWIRE_MAX_FILES];
	for (uint32_t i = 0; i < f; i++)
		perm[i] = i;
	for (uint32_t i = 0; i < m; i++) { /* the first m of a Fisher-Yates shuffle */
		uint32_t j = i + draw_below(&d, f - i), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		files[i] = perm[i];
		auditors[i] = elig[draw_below(&d, na)];
	}
	sodium_memzero(d.key, sizeof(d.key));
	return 0;
}

int byz_shield_vote(const uint8_t *hashes, const uint8_t *present, uint32_t r, uint32_t quorum)
{
	if (!hashes || !present || r == 0 || r > BYZ_SWIRE_MAX_WORKERS || quorum == 0)
		return -EINVAL;
	/* A class is named by its first member; r is small, O(r^2) is fine. */
	for (uint32_t i = 0; i < r; i++) {
		if (!present[i])
			continue;
		int first = 1;
		for (uint32_t k = 0; k < i && first; k++)
			if (present[k] && memcmp(hashes + 32u * k, hashes + 32u * i, 32) == 0)
				first = 0;
		if (!first)
			continue;
		uint32_t votes = 0;
		for (uint32_t k = i; k < r; k++)
			votes += present[k] && memcmp(hashes + 32u * k, hashes + 32u * i, 32) == 0;
		if (votes >= quorum)
			return (int)i;
	}
	return -1;
}
