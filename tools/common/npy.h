/**
 * @file npy.h
 * @brief Minimal, strict NumPy .npy I/O for the tools: float32 little-endian,
 * C order, 1-D or 2-D.
 *
 * The reader treats the file as hostile: the header length is bounded, the
 * header dict is parsed exactly (three known keys, each once), anything it
 * does not support is rejected with a message naming what it found, and the
 * data length is checked against the file size before any data is read.
 *
 * Every function fills @p msg (when non-NULL, @p msglen bytes, always
 * NUL-terminated) with a one-line reason on failure.
 */
#ifndef BYZ_TOOLS_NPY_H
#define BYZ_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest header dict accepted, in bytes (numpy itself writes < 200). */
#define BYZ_NPY_MAX_HEADER 65536u

/** Largest number of dimensions the parser reads before giving up. */
#define BYZ_NPY_MAX_DIMS 32u

/** A comfortable size for the message buffers. */
#define BYZ_NPY_MSG_LEN 256u

/** What a parsed header says. */
struct byz_npy_header {
	unsigned major, minor;  /**< format version: 1.0, 2.0 or 3.0 */
	size_t data_offset;     /**< bytes before the data (preamble + dict) */
	unsigned ndim;          /**< 1 or 2 */
	uint64_t shape[2];      /**< shape[0..ndim-1] */
	uint64_t count;         /**< elements: product of the shape */
	uint64_t data_bytes;    /**< count * 4, checked for overflow */
};

/** A float32 array read from a file; 1-D arrays read as rows = 1. */
struct byz_npy_array {
	float *data;   /**< rows * cols floats, malloc'd; free with byz_npy_free */
	unsigned ndim; /**< 1 or 2, as in the file */
	size_t rows;   /**< shape[0] (2-D) or 1 (1-D) */
	size_t cols;   /**< shape[1] (2-D) or shape[0] (1-D) */
};

/**
 * @brief Parse the preamble and header dict at the start of a .npy file.
 * @param buf  the first @p len bytes of the file (may hold more than the header)
 * @param len  bytes available
 * @param h    out: the header
 * @return 0; -EBADMSG (bad magic, truncated, malformed dict); BYZ_EVERSION
 *         (negated: unknown format version); -ENOTSUP (well formed but not
 *         '<f4', Fortran order, or not 1-D/2-D); -ERANGE (header length over
 *         BYZ_NPY_MAX_HEADER, or the shape's byte size overflows).
 */
int byz_npy_parse_header(const void *buf, size_t len, struct byz_npy_header *h,
			 char *msg, size_t msglen);

/**
 * @brief Read a float32 .npy file.
 *
 * The file must be a regular file whose size is exactly data_offset +
 * data_bytes. Zero-size shapes are read (data is then a 1-byte allocation);
 * callers decide whether they accept them.
 * @param a out: the array; on failure a->data is NULL
 * @return 0; the errors of byz_npy_parse_header; -EBADMSG (file shorter or
 *         longer than the header says); -ENOMEM; -errno from open/read.
 */
int byz_npy_read_f32(const char *path, struct byz_npy_array *a, char *msg,
		     size_t msglen);

/** @brief Free a->data and clear @p a (NULL or already freed is fine). */
void byz_npy_free(struct byz_npy_array *a);

/**
 * @brief Write a 1-D (rows == 0) or 2-D (rows x cols) float32 .npy, format 1.0.
 * @param rows 0 for a 1-D array of @p cols elements, else the row count
 * @return 0; -EINVAL (NULL data with a non-empty shape); -ERANGE (size
 *         overflow); -errno from open/write/close.
 */
int byz_npy_write_f32(const char *path, const float *data, size_t rows,
		      size_t cols, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_TOOLS_NPY_H */
