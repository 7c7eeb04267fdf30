/*
 * Fuzz target: the .npy reader of the tools (tools/common/npy.c). The first
 * byte picks the path: even bytes parse the rest with byz_npy_parse_header
 * (the in-memory parser), odd bytes write it to a file and read it with
 * byz_npy_read_f32 (the file path: preamble first, capped header, exact data
 * length). Invariants: a parsed header is 1-D or 2-D '<f4' with a data
 * offset inside the input and data_bytes = 4 * product(shape); a read array
 * holds exactly rows * cols floats, all of them readable; every failure
 * comes with a message.
 */
#include "fuzz.h"

#include <errno.h>

#include "byz/err.h"
#include "npy.h"

static void check_header(const struct byz_npy_header *h, size_t len)
{
	FUZZ_CHECK(h->ndim == 1 || h->ndim == 2);
	FUZZ_CHECK(h->data_offset <= len);
	uint64_t count = h->shape[0] * (h->ndim == 2 ? h->shape[1] : 1);
	FUZZ_CHECK(h->count == count && h->data_bytes == 4 * count);
	FUZZ_CHECK(h->ndim == 2 || h->shape[1] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	char msg[BYZ_NPY_MSG_LEN];
	msg[0] = 0;
	uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	size_t len = size - 1;
	int rc;
	if (!(data[0] & 1)) {
		struct byz_npy_header h;
		rc = byz_npy_parse_header(buf, len, &h, msg, sizeof(msg));
		if (rc == 0)
			check_header(&h, len);
	} else {
		const char *path = fuzz_tmpfile(buf, len, 0600);
		if (!path) {
			free(buf);
			return 0;
		}
		struct byz_npy_array a;
		rc = byz_npy_read_f32(path, &a, msg, sizeof(msg));
		if (rc == 0) {
			FUZZ_CHECK(a.data && (a.ndim == 1 || a.ndim == 2));
			FUZZ_CHECK(a.ndim == 2 || a.rows == 1);
			FUZZ_CHECK(a.rows * a.cols * 4 <= len);
			volatile float sink = 0;
			for (size_t i = 0; i < a.rows * a.cols; i++)
				sink += a.data[i];
			(void)sink;
			byz_npy_free(&a);
		} else {
			FUZZ_CHECK(a.data == NULL);
		}
	}
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -BYZ_EVERSION || rc == -ENOTSUP ||
		   rc == -ERANGE || rc == -ENOMEM);
	FUZZ_CHECK(rc == 0 || msg[0] != 0);
	free(buf);
	return 0;
}
