/**
 * @file byz/ident.h
 * @brief Peer identities: Ed25519 key pairs, key files, hex.
 *
 * Secret key file (mode 0600, refused if group/other may read it):
 *     byzreduce-secret-key-v1\n
 *     <128 lowercase hex digits: libsodium's 64-byte secret key>\n
 * Public key file (and what byz-keygen prints, ready for a config file):
 *     pubkey = <64 hex digits>\n
 * The secret key lives in sodium_malloc'd memory (guard pages, mlock'd where
 * possible) and is wiped with sodium_memzero on free.
 */
#ifndef BYZ_IDENT_H
#define BYZ_IDENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A key pair. sk is owned (sodium_malloc); free with byz_ident_free. */
struct byz_ident {
	uint8_t pk[32];
	uint8_t *sk; /**< 64 bytes */
};

/** @brief Fresh random key pair (randombytes). @return 0, -ENOMEM, -EIO (sodium_init) */
int byz_ident_generate(struct byz_ident *id);

/** @brief Deterministic key pair from a 32-byte seed (tests, swarms). @return 0, -ENOMEM */
int byz_ident_from_seed(struct byz_ident *id, const uint8_t seed[32]);

/** @brief Wipe and free the secret; safe on a zeroed struct. */
void byz_ident_free(struct byz_ident *id);

/**
 * @brief Write the secret key file @p path (mode 0600) and @p path.pub.
 * @param force  overwrite existing files when nonzero
 * @param why    NULL or a buffer for a message naming the problem
 * @return 0; -EEXIST (a file exists and !force); -errno of the failing call
 */
int byz_ident_save(const struct byz_ident *id, const char *path, int force,
		   char *why, size_t why_len);

/**
 * @brief Load a secret key file; checks permissions, format, length, hex,
 * and that the embedded public key matches the secret.
 * @return 0; -EACCES (readable by group/other); -EBADMSG (bad format, with
 *         @p why naming the problem); -ENOMEM; -errno of open/read
 */
int byz_ident_load(struct byz_ident *id, const char *path, char *why, size_t why_len);

/**
 * @brief Parse a public key: 64 hex digits, optionally as "pubkey = <hex>"
 * with surrounding whitespace (the .pub file's content).
 * @return 0, -EBADMSG
 */
int byz_pubkey_parse(const char *text, uint8_t pk[32]);

/** @brief Lowercase hex of @p n bytes into @p out (2n+1 bytes, NUL-terminated). */
void byz_hex(const uint8_t *in, size_t n, char *out);

/** @brief Exactly 2n hex digits (either case) into n bytes. @return 0, -EBADMSG */
int byz_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_IDENT_H */
