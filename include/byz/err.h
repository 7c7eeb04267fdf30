/**
 * @file byz/err.h
 * @brief Error conventions shared by every byzreduce module.
 *
 * Functions return 0 on success or a negative errno-style code. Constructors
 * return NULL and leave the reason in an out-parameter. Burst functions return
 * counts. The codes below are the ones byzreduce gives a meaning to; any other
 * negative value is a plain -errno from the C library.
 */
#ifndef BYZ_ERR_H
#define BYZ_ERR_H

#include <errno.h>

/** Success. */
#define BYZ_OK 0

/*
 * Meanings used across the tree (all negative when returned):
 *   EINVAL  an argument is out of range (k == 0, tau <= 0, NULL pointer...)
 *   EDOM    an input vector holds NaN or Inf; nothing was computed
 *   ENOMEM  an allocation failed
 *   ENOTSUP the requested implementation is not built or not supported by this CPU
 *   EBADMSG a message or file is malformed
 *   EPROTO  a message is well formed but violates the protocol
 *   ERANGE  a length or count exceeds a documented limit
 */

/** Byzreduce-specific codes live above the errno range. */
#define BYZ_EBASE      4096
#define BYZ_EBADSIG    (BYZ_EBASE + 1) /**< signature does not verify */
#define BYZ_EVERSION   (BYZ_EBASE + 2) /**< unsupported wire or file version */
#define BYZ_EBANNED    (BYZ_EBASE + 3) /**< sender is banned in this run */
#define BYZ_ECOMMIT    (BYZ_EBASE + 4) /**< data does not match its commitment */
#define BYZ_ELAST      (BYZ_EBASE + 5)

/**
 * @brief Human-readable text for a code returned by any byz_ function.
 * @param err a value <= 0 (positive values are treated as their negation)
 * @return a static string; never NULL
 */
const char *byz_strerror(int err);

#endif /* BYZ_ERR_H */
