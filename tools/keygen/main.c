/* byz-keygen: write a peer's Ed25519 key pair and print its public key in the
 * form a config file takes. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "byz/err.h"
#include "byz/ident.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: byz-keygen [--force] FILE\n"
		"       byz-keygen --check FILE\n"
		"Writes a new Ed25519 identity: the secret key to FILE (mode 0600) and the\n"
		"public key to FILE.pub, and prints the public key as a config line:\n"
		"    pubkey = <64 hex digits>\n\n"
		"  --force    overwrite FILE and FILE.pub if they exist (refused otherwise)\n"
		"  --check    load FILE, verify it, and print its public key\n"
		"  --help     this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, 0, 'f'},
					     {"check", no_argument, 0, 'c'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	int force = 0, check = 0, o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			force = 1;
			break;
		case 'c':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "byz-keygen: expected exactly one FILE (see --help)\n");
		return 2;
	}
	const char *path = argv[optind];
	struct byz_ident id;
	char why[256] = "";
	char hex[65];
	int rc;
	if (check) {
		rc = byz_ident_load(&id, path, why, sizeof(why));
		if (rc) {
			fprintf(stderr, "byz-keygen: %s: %s\n", path, why[0] ? why : byz_strerror(rc));
			return 1;
		}
		byz_hex(id.pk, 32, hex);
		printf("pubkey = %s\n", hex);
		byz_ident_free(&id);
		return 0;
	}
	rc = byz_ident_generate(&id);
	if (rc) {
		fprintf(stderr, "byz-keygen: cannot generate a key: %s\n", byz_strerror(rc));
		return 1;
	}
	rc = byz_ident_save(&id, path, force, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "byz-keygen: %s\n", why[0] ? why : byz_strerror(rc));
		byz_ident_free(&id);
		return 1;
	}
	byz_hex(id.pk, 32, hex);
	printf("pubkey = %s\n", hex);
	byz_ident_free(&id);
	return 0;
}
