/*
 * Per-frame authentication (byz/auth.h): per-pair direction keys from the
 * peers' Ed25519 identities, and the header tag of a version-2 frame.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "byz/auth.h"
#include "byz/frame.h"

/* Domain separation of the run binding: the kx keys are hashed with this
 * label under the run id, so another use of the same kx keys gets others. */
static const char kdf_label[] = "byzreduce frame auth v2";

static void bind_run(uint8_t key[BYZ_AUTH_KEY_LEN], const uint8_t run_id[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, run_id, 32, BYZ_AUTH_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)kdf_label, sizeof(kdf_label) - 1);
	crypto_generichash_update(&st, key, BYZ_AUTH_KEY_LEN);
	crypto_generichash_final(&st, key, BYZ_AUTH_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

int byz_auth_derive(const uint8_t self_sk[64], const uint8_t self_pk[32],
		    const uint8_t peer_pk[32], const uint8_t run_id[32],
		    struct byz_auth_keys *out)
{
	if (!self_sk || !self_pk || !peer_pk || !run_id || !out)
		return -EINVAL;
	sodium_memzero(out, sizeof(*out));
	if (sodium_init() < 0)
		return -EIO;
	int order = memcmp(self_pk, peer_pk, 32);
	if (order == 0)
		return -EINVAL;
	uint8_t xsk[32], xpk[32], xpeer[32];
	int e = -EINVAL;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, self_pk) ||
	    crypto_sign_ed25519_pk_to_curve25519(xpeer, peer_pk) ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, self_sk))
		goto out;
	/* Roles by key order, so both ends agree without a message: the lower
	 * Ed25519 key is the kx client. */
	int r = order < 0 ? crypto_kx_client_session_keys(out->rx, out->tx, xpk, xsk, xpeer)
			  : crypto_kx_server_session_keys(out->rx, out->tx, xpk, xsk, xpeer);
	if (r)
		goto out; /* the peer's key is a low-order point */
	bind_run(out->tx, run_id);
	bind_run(out->rx, run_id);
	e = 0;
out:
	sodium_memzero(xsk, sizeof(xsk));
	if (e)
		sodium_memzero(out, sizeof(*out));
	return e;
}

void byz_mac_compute(enum byz_mac_alg alg, const uint8_t key[BYZ_AUTH_KEY_LEN],
		     const uint8_t *hdr, const uint8_t *payload, size_t plen,
		     uint8_t tag[BYZ_AUTH_TAG_LEN])
{
	_Static_assert(BYZ_AUTH_TAG_LEN == BYZ_TAG_LEN, "tag field size");
	_Static_assert(crypto_onetimeauth_BYTES == BYZ_AUTH_TAG_LEN, "Poly1305 tag");
	if (alg == BYZ_MAC_BLAKE2B) {
		crypto_generichash_state st;
		crypto_generichash_init(&st, key, BYZ_AUTH_KEY_LEN, BYZ_AUTH_TAG_LEN);
		crypto_generichash_update(&st, hdr, BYZ_HO_TAG);
		if (plen)
			crypto_generichash_update(&st, payload, plen);
		crypto_generichash_final(&st, tag, BYZ_AUTH_TAG_LEN);
		return;
	}
	/* One-time Poly1305 key: block 0 of ChaCha20 under the direction key and
	 * the frame's counter (as ChaCha20-Poly1305 does); a counter is never
	 * used twice under one key, so no Poly1305 key signs two messages. */
	uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
	uint8_t otk[crypto_onetimeauth_KEYBYTES];
	memcpy(nonce + 4, hdr + BYZ_HO_CTR, 8);
	crypto_stream_chacha20_ietf(otk, sizeof(otk), nonce, key);
	crypto_onetimeauth_state st;
	crypto_onetimeauth_init(&st, otk);
	crypto_onetimeauth_update(&st, hdr, BYZ_HO_TAG);
	if (plen)
		crypto_onetimeauth_update(&st, payload, plen);
	crypto_onetimeauth_final(&st, tag);
	sodium_memzero(otk, sizeof(otk));
}

int byz_frame_seal(uint8_t *frame, size_t len, const uint8_t key[BYZ_AUTH_KEY_LEN])
{
	if (!frame || !key)
		return -EINVAL;
	if (len < BYZ_PAYLOAD_OFF)
		return -EBADMSG;
	uint8_t *bh = frame + BYZ_HDR_OFF;
	size_t plen = byz_le16_get(bh + BYZ_HO_PLEN);
	if (plen > len - BYZ_PAYLOAD_OFF)
		return -EBADMSG;
	byz_mac_compute(BYZ_MAC_WIRE, key, bh, bh + BYZ_HDR_LEN, plen, bh + BYZ_HO_TAG);
	return 0;
}

int byz_frame_verify(const uint8_t *hdr, size_t plen, const uint8_t key[BYZ_AUTH_KEY_LEN])
{
	uint8_t tag[BYZ_AUTH_TAG_LEN];
	byz_mac_compute(BYZ_MAC_WIRE, key, hdr, hdr + BYZ_HDR_LEN, plen, tag);
	return sodium_memcmp(tag, hdr + BYZ_HO_TAG, BYZ_AUTH_TAG_LEN) ? -EBADMSG : 0;
}
