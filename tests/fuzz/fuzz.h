/*
 * Shared bits of the fuzz harnesses. Each harness defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (-Dfuzz=true,
 * clang) or with replay.c, a plain main that feeds it files, so every build
 * compiles the harnesses and replays the committed corpus under the normal
 * suite (and under ASan in the sanitizer build).
 *
 * FUZZ_CHECK is an invariant the code under test must keep; a failure
 * aborts, which libFuzzer records as a crash with the input that caused it.
 */
#ifndef BYZ_FUZZ_H
#define BYZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* A cursor over the fuzz input: reads past the end yield zeros, so a
 * harness can decode a whole operation script without length checks. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);
	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);
	return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t lo = fuzz_u32(in);
	return lo | (uint64_t)fuzz_u32(in) << 32;
}

/* For the loaders that take a path: write the input to a private file
 * (one per process, so parallel fuzz jobs do not collide) with @p mode and
 * return its path, or NULL when the file cannot be written. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_tmp_path[512];

static void fuzz_tmp_cleanup(void)
{
	if (fuzz_tmp_path[0])
		unlink(fuzz_tmp_path);
}

static inline const char *fuzz_tmpfile(const uint8_t *d, size_t n, mode_t mode)
{
	if (!fuzz_tmp_path[0]) {
		const char *dir = getenv("TMPDIR");
		snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path), "%s/byz-fuzz-%ld.tmp",
			 dir && *dir ? dir : "/tmp", (long)getpid());
		atexit(fuzz_tmp_cleanup);
	}
	unlink(fuzz_tmp_path);
	int fd = open(fuzz_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, d + off, n - off);
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || close(fd) != 0)
		return NULL;
	return fuzz_tmp_path;
}

#endif /* BYZ_FUZZ_H */
