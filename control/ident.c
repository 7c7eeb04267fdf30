/* Identities and key files. Key files are hostile input: every byte is
 * checked, and a secret never leaves sodium_malloc'd memory except through
 * the stack buffer used to decode it, which is wiped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/file.h"
#include "byz/ident.h"

#define SK_HEADER "byzreduce-secret-key-v1\n"
#define SK_FILE_LEN (sizeof(SK_HEADER) - 1 + 128 + 1)

static void say(char *why, size_t len, const char *msg)
{
	if (why && len)
		snprintf(why, len, "%s", msg);
}

static int ident_alloc(struct byz_ident *id)
{
	if (sodium_init() < 0)
		return -EIO;
	id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	return id->sk ? 0 : -ENOMEM;
}

int byz_ident_generate(struct byz_ident *id)
{
	if (!id)
		return -EINVAL;
	memset(id, 0, sizeof(*id));
	int rc = ident_alloc(id);
	if (rc)
		return rc;
	crypto_sign_keypair(id->pk, id->sk);
	return 0;
}

int byz_ident_from_seed(struct byz_ident *id, const uint8_t seed[32])
{
	if (!id || !seed)
		return -EINVAL;
	memset(id, 0, sizeof(*id));
	int rc = ident_alloc(id);
	if (rc)
		return rc;
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	return 0;
}

void byz_ident_free(struct byz_ident *id)
{
	if (!id || !id->sk)
		return;
	sodium_memzero(id->sk, crypto_sign_SECRETKEYBYTES);
	sodium_free(id->sk);
	id->sk = NULL;
}

void byz_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int byz_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n)
{
	if (!hex || hex_len != 2 * n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int byz_pubkey_parse(const char *text, uint8_t pk[32])
{
	if (!text || !pk)
		return -EINVAL;
	const char *p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "pubkey", 6) == 0) {
		p += 6;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			return -EBADMSG;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	size_t n = 0;
	while (p[n] && p[n] != '\n' && p[n] != '\r' && p[n] != ' ' && p[n] != '\t')
		n++;
	for (const char *q = p + n; *q; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t')
			return -EBADMSG;
	return byz_unhex(p, n, pk, 32);
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode, int force)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | (force ? 0 : O_EXCL);
	int fd = open(path, flags, mode);
	if (fd < 0)
		return -errno;
	/* O_CREAT's mode is masked by umask and ignored for an existing file. */
	if (fchmod(fd, mode) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			return e;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0)
		return -errno;
	return 0;
}

int byz_ident_save(const struct byz_ident *id, const char *path, int force, char *why,
		   size_t why_len)
{
	if (!id || !id->sk || !path) {
		say(why, why_len, "invalid argument");
		return -EINVAL;
	}
	size_t plen = strlen(path);
	char *pub = malloc(plen + 5);
	char *buf = sodium_malloc(SK_FILE_LEN + 1);
	if (!pub || !buf) {
		free(pub);
		if (buf)
			sodium_free(buf);
		say(why, why_len, "out of memory");
		return -ENOMEM;
	}
	memcpy(pub, path, plen);
	memcpy(pub + plen, ".pub", 5);
	int rc = 0;
	struct stat st;
	if (!force && (stat(path, &st) == 0 || stat(pub, &st) == 0)) {
		if (why && why_len)
			snprintf(why, why_len, "%s or %s exists; use --force to overwrite",
				 path, pub);
		rc = -EEXIST;
		goto out;
	}
	memcpy(buf, SK_HEADER, sizeof(SK_HEADER) - 1);
	byz_hex(id->sk, 64, buf + sizeof(SK_HEADER) - 1);
	buf[SK_FILE_LEN - 1] = '\n';
	rc = write_file(path, buf, SK_FILE_LEN, 0600, force);
	if (rc) {
		if (why && why_len)
			snprintf(why, why_len, "cannot write %s: %s", path, strerror(-rc));
		goto out;
	}
	char line[80];
	memcpy(line, "pubkey = ", 9);
	byz_hex(id->pk, 32, line + 9);
	line[73] = '\n';
	rc = write_file(pub, line, 74, 0644, force);
	if (rc && why && why_len)
		snprintf(why, why_len, "cannot write %s: %s", pub, strerror(-rc));
out:
	sodium_memzero(buf, SK_FILE_LEN + 1);
	sodium_free(buf);
	free(pub);
	return rc;
}

int byz_ident_load(struct byz_ident *id, const char *path, char *why, size_t why_len)
{
	if (!id || !path) {
		say(why, why_len, "invalid argument");
		return -EINVAL;
	}
	memset(id, 0, sizeof(*id));
	struct stat st;
	char err[96];
	int fd = byz_file_open_regular(path, O_NOFOLLOW, &st, err, sizeof(err));
	if (fd < 0) {
		if (why && why_len)
			snprintf(why, why_len, "%s: %s", path, err);
		return fd;
	}
	if (st.st_mode & 077) {
		close(fd);
		if (why && why_len)
			snprintf(why, why_len,
				 "%s is accessible by group or others (mode %03o); chmod 600 it",
				 path, (unsigned)(st.st_mode & 0777));
		return -EACCES;
	}
	int rc = ident_alloc(id);
	char *buf = sodium_malloc(SK_FILE_LEN + 2);
	if (rc || !buf) {
		close(fd);
		if (buf)
			sodium_free(buf);
		byz_ident_free(id);
		say(why, why_len, "out of memory");
		return -ENOMEM;
	}
	/* Read one byte more than a valid file holds, to detect trailing data. */
	size_t got = 0;
	while (got < SK_FILE_LEN + 1) {
		ssize_t r = read(fd, buf + got, SK_FILE_LEN + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	uint8_t pk2[32];
	if (got >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		/* byz-keygen never writes one: an editor touched the file; say so. */
		say(why, why_len, "secret key file starts with a UTF-8 byte-order mark (BOM); "
			      "byz-keygen writes none: remove it or regenerate the key");
		rc = -EBADMSG;
	} else if (got < sizeof(SK_HEADER) - 1 ||
		   memcmp(buf, SK_HEADER, sizeof(SK_HEADER) - 1) != 0) {
		say(why, why_len, "not a byzreduce secret key file (bad header line)");
		rc = -EBADMSG;
	} else if (got != SK_FILE_LEN || buf[SK_FILE_LEN - 1] != '\n') {
		say(why, why_len, "secret key file has the wrong length (expected 128 hex digits and a newline)");
		rc = -EBADMSG;
	} else if (byz_unhex(buf + sizeof(SK_HEADER) - 1, 128, id->sk, 64) != 0) {
		say(why, why_len, "secret key is not valid hex");
		rc = -EBADMSG;
	} else if (crypto_sign_ed25519_sk_to_pk(pk2, id->sk) != 0 ||
		   sodium_memcmp(pk2, id->sk + 32, 32) != 0) {
		say(why, why_len, "secret key is inconsistent (embedded public key does not match)");
		rc = -EBADMSG;
	} else {
		/* The embedded public key must be the one the seed derives. */
		uint8_t pk3[32];
		uint8_t *sk3 = sodium_malloc(64);
		if (!sk3) {
			rc = -ENOMEM;
		} else {
			crypto_sign_seed_keypair(pk3, sk3, id->sk);
			if (sodium_memcmp(pk3, pk2, 32) != 0) {
				say(why, why_len, "secret key is inconsistent (seed does not derive its public key)");
				rc = -EBADMSG;
			}
			sodium_free(sk3);
		}
		memcpy(id->pk, pk2, 32);
	}
	sodium_memzero(buf, SK_FILE_LEN + 2);
	sodium_free(buf);
	if (rc)
		byz_ident_free(id);
	return rc;
}
