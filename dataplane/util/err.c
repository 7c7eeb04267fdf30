/* byz_strerror: one table for every module's codes, libc for the rest. */
#include <string.h>

#include "byz/err.h"

const char *byz_strerror(int err)
{
	if (err > 0)
		err = -err;
	switch (-err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument";
	case EDOM:
		return "input holds NaN or Inf";
	case ENOMEM:
		return "out of memory";
	case ENOTSUP:
		return "implementation not available on this build or CPU";
	case EBADMSG:
		return "malformed message or file";
	case EPROTO:
		return "protocol violation";
	case ERANGE:
		return "length or count over its limit";
	case BYZ_EBADSIG:
		return "signature does not verify";
	case BYZ_EVERSION:
		return "unsupported version";
	case BYZ_EBANNED:
		return "sender is banned";
	case BYZ_ECOMMIT:
		return "data does not match its commitment";
	default:
		/* strerror's buffer is static in glibc for known codes; fine for diagnostics. */
		return -err < BYZ_EBASE ? strerror(-err) : "unknown byzreduce error";
	}
}
