/*
 * Fuzz target: the CIFAR-10 binary parser (byz_cifar10_parse) on the whole
 * input (an exact-size heap copy). Invariants on success: len is a multiple
 * of a record, labels match the records' first bytes and are < 10, pixels
 * lie in [0, 1] in CHW order; on failure the dataset is zeroed.
 */
#include "fuzz.h"

#include <errno.h>

#include "byz/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct byz_dataset ds;
	int rc = byz_cifar10_parse(size ? buf : NULL, size, &ds);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ERANGE || rc == -ENOMEM ||
		   (rc == -EINVAL && size == 0));
	if (rc == 0) {
		FUZZ_CHECK(size && size % BYZ_CIFAR10_RECORD == 0);
		FUZZ_CHECK(ds.n == size / BYZ_CIFAR10_RECORD);
		FUZZ_CHECK(ds.channels == 3 && ds.height == 32 && ds.width == 32);
		for (uint32_t i = 0; i < ds.n; i++) {
			const uint8_t *rec = buf + (size_t)i * BYZ_CIFAR10_RECORD;
			FUZZ_CHECK(ds.y[i] == rec[0] && ds.y[i] < 10);
			/* Spot-check the layout: first and last pixel of the record. */
			FUZZ_CHECK(ds.x[(size_t)i * ds.dim] == (float)rec[1] / 255.0f);
			FUZZ_CHECK(ds.x[(size_t)i * ds.dim + ds.dim - 1] ==
				   (float)rec[BYZ_CIFAR10_RECORD - 1] / 255.0f);
		}
	} else {
		FUZZ_CHECK(ds.x == NULL && ds.y == NULL && ds.n == 0);
	}
	byz_dataset_free(&ds);
	free(buf);
	return 0;
}
