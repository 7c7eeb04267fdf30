/*
 * Replay driver: runs a harness over files and directories given on the
 * command line (one input per file), the way libFuzzer replays a corpus.
 * Built with the normal compiler, it keeps the harnesses compiling in every
 * build and turns the committed corpus into a regression test. An empty or
 * missing corpus is an error: a test that replays nothing proves nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Larger than any seed we commit; a bigger file is a mistake, not an input. */
#define REPLAY_MAX_FILE (1u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_FILE);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX_FILE, f);
	int too_big = fgetc(f) != EOF;
	fclose(f);
	if (too_big) {
		free(buf);
		fprintf(stderr, "replay: %s is over %u bytes\n", path, REPLAY_MAX_FILE);
		return -1;
	}
	/* An exact-size copy, so ASan sees any read past the input. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int run_path(const char *path, unsigned *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (run_file(path) != 0)
			return -1;
		(*count)++;
		return 0;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub)) {
			fprintf(stderr, "replay: path too long under %s\n", path);
			rc = -1;
			break;
		}
		rc = run_path(sub, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: %s FILE|DIR...\n"
				"Feeds each file to the fuzz harness once; exits non-zero when\n"
				"nothing was replayed or a path cannot be read.\n",
			argv[0]);
		return argc < 2 ? 2 : 0;
	}
	unsigned count = 0;
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	printf("replayed %u inputs\n", count);
	return 0;
}
