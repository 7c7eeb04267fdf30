/*
 * Operator files that are not regular files (issue 13, item 6): a FIFO with
 * no writer, a directory and /dev/null given as a secret key, a .npy array or
 * a data set are refused at once with a message naming the file's type. A
 * plain open() would block forever on the FIFO; alarm() turns such a hang
 * into a failed test instead of a meson timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byz/data.h"
#include "byz/file.h"
#include "byz/ident.h"
#include "byz_test.h"
#include "npy.h"

static char dir[64], fifo[96];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/byz_opfiles_XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
}

static void teardown(void)
{
	unlink(fifo);
	rmdir(dir);
}

static void test_helper(void)
{
	setup();
	char why[128];
	struct stat st;
	alarm(10);
	CU_ASSERT_EQUAL(byz_file_open_regular(fifo, 0, &st, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(why, "is a FIFO (named pipe), not a regular file");
	CU_ASSERT_EQUAL(byz_file_open_regular(dir, 0, &st, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(why, "is a directory, not a regular file");
	CU_ASSERT_EQUAL(byz_file_open_regular("/dev/null", 0, &st, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(why, "is a character device, not a regular file");
	CU_ASSERT_EQUAL(byz_file_open_regular("/nonexistent/x", 0, NULL, why, sizeof(why)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "cannot open"));
	CU_ASSERT_EQUAL(byz_file_open_regular(NULL, 0, NULL, why, sizeof(why)), -EINVAL);

	/* a regular file opens, blocking again, with its status */
	char reg[128];
	snprintf(reg, sizeof(reg), "%s/reg", dir);
	int w = open(reg, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(w >= 0);
	CU_ASSERT_EQUAL(write(w, "abc", 3), 3);
	close(w);
	int fd = byz_file_open_regular(reg, O_NOFOLLOW, &st, why, sizeof(why));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(st.st_size, 3);
	CU_ASSERT_EQUAL(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	CU_ASSERT_NOT_EQUAL(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	/* O_NOFOLLOW: a link is named as such */
	char lnk[128];
	snprintf(lnk, sizeof(lnk), "%s/lnk", dir);
	CU_ASSERT_EQUAL_FATAL(symlink(reg, lnk), 0);
	CU_ASSERT_EQUAL(byz_file_open_regular(lnk, O_NOFOLLOW, NULL, why, sizeof(why)), -ELOOP);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "symbolic link"));
	alarm(0);
	unlink(lnk);
	unlink(reg);
	teardown();
}

static void test_ident(void)
{
	setup();
	struct byz_ident id;
	char why[256];
	alarm(10);
	CU_ASSERT_EQUAL(byz_ident_load(&id, fifo, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, fifo));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "FIFO"));
	CU_ASSERT_EQUAL(byz_ident_load(&id, dir, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "is a directory"));
	CU_ASSERT_EQUAL(byz_ident_load(&id, "/dev/null", why, sizeof(why)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "character device"));
	alarm(0);

	/* A key file an editor saved with a UTF-8 BOM is named as such. */
	char key[128];
	snprintf(key, sizeof(key), "%s/k", dir);
	CU_ASSERT_EQUAL_FATAL(byz_ident_generate(&id), 0);
	CU_ASSERT_EQUAL_FATAL(byz_ident_save(&id, key, 0, why, sizeof(why)), 0);
	byz_ident_free(&id);
	static char buf[512];
	FILE *f = fopen(key, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n = fread(buf + 3, 1, sizeof(buf) - 3, f);
	fclose(f);
	memcpy(buf, "\xef\xbb\xbf", 3);
	int w = open(key, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(w >= 0);
	CU_ASSERT_EQUAL(write(w, buf, n + 3), (ssize_t)(n + 3));
	close(w);
	CU_ASSERT_EQUAL(byz_ident_load(&id, key, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "byte-order mark"));
	unlink(key);
	char pub[160];
	snprintf(pub, sizeof(pub), "%s.pub", key);
	unlink(pub);
	teardown();
}

static void test_npy(void)
{
	setup();
	struct byz_npy_array a;
	char msg[256];
	alarm(10);
	CU_ASSERT_EQUAL(byz_npy_read_f32(fifo, &a, msg, sizeof(msg)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "FIFO"));
	CU_ASSERT_EQUAL(byz_npy_read_f32("/dev/null", &a, msg, sizeof(msg)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "character device"));
	alarm(0);
	teardown();
}

static void test_data(void)
{
	setup();
	struct byz_dataset ds;
	alarm(10);
	CU_ASSERT_EQUAL(byz_mnist_load(fifo, fifo, &ds), -EINVAL);
	const char *paths[] = {fifo};
	CU_ASSERT_EQUAL(byz_cifar10_load(paths, 1, &ds), -EINVAL);
	const char *paths2[] = {"/dev/null", dir};
	CU_ASSERT_EQUAL(byz_cifar10_load(paths2, 2, &ds), -EINVAL);
	alarm(0);
	teardown();
}

int main(void)
{
	static const struct byz_test_case cases[] = {
		{"byz_file_open_regular: FIFO, directory, device, link", test_helper},
		{"secret key file: FIFO, directory, device, BOM", test_ident},
		{".npy: FIFO, device", test_npy},
		{"MNIST/CIFAR files: FIFO, device, directory", test_data},
		{NULL, NULL},
	};
	return byz_test_run("operator files", cases);
}
