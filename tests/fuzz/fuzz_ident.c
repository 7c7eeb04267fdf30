/*
 * Fuzz target: the key-file loader (byz_ident_load) and the public-key
 * parser (byz_pubkey_parse, byz_unhex). The first byte picks the mode:
 *   bit 0 set: the rest is written to a private file (mode 0600, or 0644
 *              when bit 1 is set, which must be refused with -EACCES) and
 *              loaded as a secret key; a loaded key must sign a message that
 *              its public key verifies;
 *   bit 0 clear: the rest, NUL-terminated, goes to byz_pubkey_parse, and
 *              to byz_unhex as 64 hex digits; both must agree on valid hex.
 */
#include "fuzz.h"

#include <errno.h>

#include <sodium.h>

#include "byz/ident.h"

static void load(const uint8_t *d, size_t n, int open_mode)
{
	const char *path = fuzz_tmpfile(d, n, open_mode ? 0644 : 0600);
	if (!path)
		return;
	struct byz_ident id;
	char why[256] = "";
	int rc = byz_ident_load(&id, path, why, sizeof(why));
	if (open_mode) {
		FUZZ_CHECK(rc == -EACCES && why[0]);
		FUZZ_CHECK(id.sk == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	if (rc != 0) {
		FUZZ_CHECK(why[0] != 0 && id.sk == NULL);
		return;
	}
	FUZZ_CHECK(id.sk != NULL);
	static const uint8_t m[] = "byzreduce fuzz";
	uint8_t sig[64];
	crypto_sign_detached(sig, NULL, m, sizeof(m), id.sk);
	FUZZ_CHECK(crypto_sign_verify_detached(sig, m, sizeof(m), id.pk) == 0);
	byz_ident_free(&id);
	FUZZ_CHECK(id.sk == NULL);
}

static void pubkey(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		return;
	memcpy(s, d, n);
	s[n] = 0;
	uint8_t pk[32], pk2[32];
	int rc = byz_pubkey_parse(s, pk);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc == 0) {
		/* Whatever the framing, the key round-trips through hex. */
		char hex[65];
		byz_hex(pk, 32, hex);
		FUZZ_CHECK(byz_pubkey_parse(hex, pk2) == 0 && memcmp(pk, pk2, 32) == 0);
	}
	if (n >= 64 && byz_unhex(s, 64, pk2, 32) == 0) {
		char hex[65];
		byz_hex(pk2, 32, hex);
		for (int i = 0; i < 64; i++)
			FUZZ_CHECK(hex[i] == (s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]));
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	if (sodium_init() < 0)
		abort();
	if (data[0] & 1)
		load(data + 1, size - 1, (data[0] & 2) != 0);
	else
		pubkey(data + 1, size - 1);
	return 0;
}
