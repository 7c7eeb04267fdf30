/* byz_file_open_regular: one way for every tool and loader to open an operator's
 * file, so a FIFO or device given as a config, key or array never hangs open(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "byz/file.h"

const char *byz_file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a file of unknown type";
}

int byz_file_open_regular(const char *path, int flags, struct stat *st, char *why,
			  size_t whylen)
{
	if (why && whylen)
		why[0] = 0;
	if (!path) {
		if (why && whylen)
			snprintf(why, whylen, "no file name");
		return -EINVAL;
	}
	/* O_NONBLOCK: open() of a FIFO without a writer returns at once instead of
	 * waiting; of a regular file it changes nothing. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags);
	if (fd < 0) {
		int e = errno;
		if (why && whylen)
			snprintf(why, whylen, "cannot open: %s",
				 e == ELOOP && (flags & O_NOFOLLOW) ? "is a symbolic link" : strerror(e));
		return -e;
	}
	struct stat s;
	if (fstat(fd, &s) != 0) {
		int e = errno;
		close(fd);
		if (why && whylen)
			snprintf(why, whylen, "cannot stat: %s", strerror(e));
		return -e;
	}
	if (!S_ISREG(s.st_mode)) {
		close(fd);
		if (why && whylen)
			snprintf(why, whylen, "is %s, not a regular file",
				 byz_file_type_name(s.st_mode));
		return -EBADMSG;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int e = errno;
		close(fd);
		if (why && whylen)
			snprintf(why, whylen, "cannot clear O_NONBLOCK: %s", strerror(e));
		return -e;
	}
	if (st)
		*st = s;
	return fd;
}
