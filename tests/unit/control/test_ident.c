/* Identities: key files round-trip, permissions, refusal to overwrite, and a
 * clear error for every kind of bad key file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "byz_test.h"

static char dir[256];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/byz-ident-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	CU_ASSERT(fchmod(fd, mode) == 0);
	close(fd);
}

static void test_roundtrip(void)
{
	mkdir_tmp();
	char path[300], pub[310], why[256];
	snprintf(path, sizeof(path), "%s/key", dir);
	snprintf(pub, sizeof(pub), "%s/key.pub", dir);
	struct byz_ident id, back;
	CU_ASSERT_EQUAL_FATAL(byz_ident_generate(&id), 0);
	CU_ASSERT_EQUAL(byz_ident_save(&id, path, 0, why, sizeof(why)), 0);
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(byz_ident_save(&id, path, 0, why, sizeof(why)), -EEXIST);
	CU_ASSERT(strstr(why, "--force") != NULL);
	CU_ASSERT_EQUAL(byz_ident_save(&id, path, 1, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL_FATAL(byz_ident_load(&back, path, why, sizeof(why)), 0);
	CU_ASSERT(memcmp(back.pk, id.pk, 32) == 0);
	/* The loaded secret signs for the public key. */
	uint8_t sig[64], msg[3] = {1, 2, 3};
	crypto_sign_detached(sig, NULL, msg, 3, back.sk);
	CU_ASSERT_EQUAL(crypto_sign_verify_detached(sig, msg, 3, id.pk), 0);
	/* The .pub file parses back to the key. */
	char line[128] = {0};
	int fd = open(pub, O_RDONLY);
	CU_ASSERT(read(fd, line, sizeof(line) - 1) > 0);
	close(fd);
	uint8_t pk[32];
	CU_ASSERT_EQUAL(byz_pubkey_parse(line, pk), 0);
	CU_ASSERT(memcmp(pk, id.pk, 32) == 0);
	byz_ident_free(&id);
	byz_ident_free(&back);
	byz_ident_free(&back); /* idempotent */
	unlink(path);
	unlink(pub);
	rmdir(dir);
}

static void test_bad_files(void)
{
	mkdir_tmp();
	char path[300], why[256];
	snprintf(path, sizeof(path), "%s/bad", dir);
	struct byz_ident id;
	uint8_t seed[32] = {7};
	CU_ASSERT_EQUAL_FATAL(byz_ident_from_seed(&id, seed), 0);
	char good[200], hex[129];
	byz_hex(id.sk, 64, hex);
	snprintf(good, sizeof(good), "byzreduce-secret-key-v1\n%s\n", hex);

	CU_ASSERT_EQUAL(byz_ident_load(&id, "/nonexistent/key", why, sizeof(why)), -ENOENT);
	put(path, good, 0644);
	CU_ASSERT_EQUAL(byz_ident_load(&id, path, why, sizeof(why)), -EACCES);
	CU_ASSERT(strstr(why, "chmod 600") != NULL);
	put(path, good, 0600);
	CU_ASSERT_EQUAL(byz_ident_load(&id, path, why, sizeof(why)), 0);
	byz_ident_free(&id);

	struct {
		const char *what;
		char text[300];
	} cases[6];
	snprintf(cases[0].text, 300, "ssh-ed25519 AAAA\n");
	cases[0].what = "bad header";
	snprintf(cases[1].text, 300, "byzreduce-secret-key-v1\n%.126s\n", hex);
	cases[1].what = "short";
	snprintf(cases[2].text, 300, "byzreduce-secret-key-v1\n%s\nX", hex);
	cases[2].what = "trailing";
	snprintf(cases[3].text, 300, "byzreduce-secret-key-v1\n%s\n", hex);
	cases[3].text[30] = 'g';
	cases[3].what = "not hex";
	snprintf(cases[4].text, 300, "byzreduce-secret-key-v1\n%s\n", hex);
	cases[4].text[24 + 100] = cases[4].text[24 + 100] == '0' ? '1' : '0';
	cases[4].what = "pk mismatch";
	snprintf(cases[5].text, 300, "byzreduce-secret-key-v1\n%s", hex);
	cases[5].what = "no newline";
	for (int i = 0; i < 6; i++) {
		put(path, cases[i].text, 0600);
		why[0] = 0;
		int rc = byz_ident_load(&id, path, why, sizeof(why));
		if (rc != -EBADMSG)
			fprintf(stderr, "case %s: rc %d\n", cases[i].what, rc);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT(why[0] != 0);
		CU_ASSERT_PTR_NULL(id.sk);
	}
	/* Public key parsing. */
	uint8_t pk[32];
	CU_ASSERT_EQUAL(byz_pubkey_parse("pubkey = 00", pk), -EBADMSG);
	CU_ASSERT_EQUAL(byz_pubkey_parse("pubkey = 0000000000000000000000000000000000000000000000000000000000000000 x", pk), -EBADMSG);
	CU_ASSERT_EQUAL(byz_pubkey_parse("  0000000000000000000000000000000000000000000000000000000000000001\n", pk), 0);
	CU_ASSERT_EQUAL(pk[31], 1);
	CU_ASSERT_EQUAL(byz_pubkey_parse("pubkey 00", pk), -EBADMSG);
	unlink(path);
	rmdir(dir);
}

BYZ_TEST_MAIN("ident", {"roundtrip", test_roundtrip}, {"bad_files", test_bad_files})
