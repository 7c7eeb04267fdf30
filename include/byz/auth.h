/**
 * @file byz/auth.h
 * @brief Per-frame authentication of the dataplane (docs/transport.md,
 * "Frame authentication").
 *
 * Every pair of peers shares two 32-byte keys, one per direction, derived at
 * start-up from their Ed25519 identities: both identities are converted to
 * X25519, libsodium's crypto_kx gives a session key per direction (the peer
 * with the lower Ed25519 public key, compared bytewise, plays the kx client),
 * and each key is hashed with the run id (keyed BLAKE2b-256) so that keys
 * differ per run.
 *
 * A sealed frame (header version 2, byz/frame.h) carries a 64-bit counter
 * and a 16-byte tag in its header. The tag is Poly1305 under a one-time key:
 * the first 32 bytes of the ChaCha20 (IETF) key stream under the direction
 * key with nonce = 4 zero bytes || counter (LE). It covers the byz header up
 * to the tag (the CRC32C and counter fields included) followed by the
 * payload. The sender never reuses a counter under one key: counters start
 * at a caller-chosen value (the node runtime uses wall-clock nanoseconds, so
 * a restart within the same run starts above every counter it used before)
 * and grow by one per frame, retransmissions included.
 *
 * Keyed BLAKE2b-128 is implemented as well (BYZ_MAC_BLAKE2B) so that
 * byz-bench mac can measure both; the wire uses BYZ_MAC_WIRE only.
 *
 * Nothing here depends on DPDK; every function is reentrant.
 */
#ifndef BYZ_AUTH_H
#define BYZ_AUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BYZ_AUTH_KEY_LEN 32u /**< direction key */
#define BYZ_AUTH_TAG_LEN 16u /**< tag carried in the header */

/** Tag algorithms. */
enum byz_mac_alg {
	BYZ_MAC_POLY1305 = 0, /**< ChaCha20-derived one-time key + Poly1305 (needs a unique counter) */
	BYZ_MAC_BLAKE2B = 1,  /**< keyed BLAKE2b with a 16-byte output (counter only covered) */
};

/** The algorithm frames carry (the faster one measured by byz-bench mac). */
#define BYZ_MAC_WIRE BYZ_MAC_POLY1305

/** The two keys one peer holds for one other peer. */
struct byz_auth_keys {
	uint8_t tx[BYZ_AUTH_KEY_LEN]; /**< seals frames we send to the peer */
	uint8_t rx[BYZ_AUTH_KEY_LEN]; /**< checks frames the peer sends us */
};

/**
 * @brief Derive the keys between us and one peer (both sides get mirrored
 * results: our tx is the peer's rx).
 * @param self_sk  our 64-byte Ed25519 secret key (libsodium layout)
 * @param self_pk  our 32-byte Ed25519 public key
 * @param peer_pk  the peer's 32-byte Ed25519 public key
 * @param run_id   32 bytes; binds the keys to the run
 * @param out      filled on success, wiped on failure
 * @return 0; -EINVAL (NULL argument, equal keys, a key that is no valid
 *         curve point, or a degenerate shared secret); -EIO (sodium_init)
 */
int byz_auth_derive(const uint8_t self_sk[64], const uint8_t self_pk[32],
		    const uint8_t peer_pk[32], const uint8_t run_id[32],
		    struct byz_auth_keys *out);

/**
 * @brief Compute the tag of a byz header (BYZ_HDR_LEN bytes, version 2) and
 * the @p plen payload bytes that follow it. The counter is read from the
 * header; the header's tag field is not covered.
 * @param alg  BYZ_MAC_POLY1305 or BYZ_MAC_BLAKE2B
 * @param tag  BYZ_AUTH_TAG_LEN bytes out
 */
void byz_mac_compute(enum byz_mac_alg alg, const uint8_t key[BYZ_AUTH_KEY_LEN],
		     const uint8_t *hdr, const uint8_t *payload, size_t plen,
		     uint8_t tag[BYZ_AUTH_TAG_LEN]);

/**
 * @brief Seal a frame built by byz_frame_build (@p len bytes at @p frame,
 * its counter taken from byz_hdr.ctr): write the BYZ_MAC_WIRE tag into the
 * header's tag field. The CRC32C counts the tag field as zero, so it stays
 * valid.
 * @return 0; -EINVAL (NULL); -EBADMSG (@p len shorter than the frame's
 *         header and payload)
 */
int byz_frame_seal(uint8_t *frame, size_t len, const uint8_t key[BYZ_AUTH_KEY_LEN]);

/**
 * @brief Check the tag of a frame that byz_frame_parse accepted: @p hdr is
 * its byz header, followed by @p plen payload bytes. Constant time in the
 * tag comparison.
 * @return 0 if the tag is right; -EBADMSG otherwise
 */
int byz_frame_verify(const uint8_t *hdr, size_t plen, const uint8_t key[BYZ_AUTH_KEY_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_AUTH_H */
