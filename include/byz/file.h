/**
 * @file byz/file.h
 * @brief Opening operator-supplied files (configs, keys, .npy, data sets).
 *
 * A path an operator names may be a FIFO, a directory or a device. A plain
 * open() of a FIFO blocks until a writer appears, so every reader of such a
 * path goes through byz_file_open_regular(): it opens without blocking, looks
 * at the file's type and refuses anything but a regular file, naming the type.
 */
#ifndef BYZ_FILE_H
#define BYZ_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/**
 * @brief Open @p path read-only if, and only if, it is a regular file.
 *
 * The file is opened with O_RDONLY | O_NONBLOCK | O_CLOEXEC | @p flags, so
 * neither a FIFO nor a device node can block; fstat() then decides, and
 * O_NONBLOCK is cleared again on a regular file.
 *
 * @param path   file to open (not NULL)
 * @param flags  extra open flags, e.g. O_NOFOLLOW (0 for none)
 * @param st     out: the file's status on success (may be NULL)
 * @param why    out: on failure, text without the path such as
 *               "is a FIFO (named pipe), not a regular file" or
 *               "cannot open: No such file or directory" (may be NULL)
 * @param whylen size of @p why
 * @return an open descriptor the caller closes, or -errno from open()/fstat(),
 *         or -EBADMSG when the path is not a regular file
 */
int byz_file_open_regular(const char *path, int flags, struct stat *st, char *why,
			  size_t whylen);

/**
 * @brief What kind of file @p mode describes, for messages.
 * @return a static string: "a regular file", "a directory", "a FIFO (named pipe)",
 *         "a character device", "a block device", "a socket", "a symbolic link"
 *         or "a file of unknown type"; never NULL
 */
const char *byz_file_type_name(mode_t mode);

#endif /* BYZ_FILE_H */
