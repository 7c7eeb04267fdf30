/*
 * Fuzz target: the MNIST IDX parser (byz_mnist_parse). The first two bytes
 * (little-endian) give the length of the images buffer, capped to what is
 * there; the rest is the labels buffer. Both are exact-size heap copies so
 * ASan flags any read past either. Invariants on success: the shape and
 * count come from the headers, every label is < 10 and every pixel lies in
 * [0, 1]; on failure the dataset is zeroed. Either buffer may be gzip'ed
 * (magic 1f 8b): then the sizes and labels are checked against the
 * inflated bytes only through the header's shape.
 */
#include "fuzz.h"

#include <errno.h>

#include "byz/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t il = (size_t)(data[0] | data[1] << 8);
	size_t rest = size - 2;
	if (il > rest)
		il = rest;
	size_t ll = rest - il;
	uint8_t *img = malloc(il ? il : 1), *lab = malloc(ll ? ll : 1);
	if (!img || !lab) {
		free(img);
		free(lab);
		return 0;
	}
	memcpy(img, data + 2, il);
	memcpy(lab, data + 2 + il, ll);
	struct byz_dataset ds;
	int rc = byz_mnist_parse(img, il, lab, ll, &ds);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ERANGE || rc == -ENOMEM);
	if (rc == 0) {
		FUZZ_CHECK(ds.channels == 1 && ds.classes == 10 && ds.n >= 1);
		FUZZ_CHECK(ds.dim == ds.height * ds.width);
		int gi = il >= 2 && img[0] == 0x1f && img[1] == 0x8b;
		int gl = ll >= 2 && lab[0] == 0x1f && lab[1] == 0x8b;
		FUZZ_CHECK(gi || 16 + (size_t)ds.n * ds.dim == il);
		FUZZ_CHECK(gl || 8 + (size_t)ds.n == ll);
		for (uint32_t i = 0; i < ds.n; i++)
			FUZZ_CHECK(ds.y[i] < 10 && (gl || ds.y[i] == lab[8 + i]));
		for (size_t i = 0; i < (size_t)ds.n * ds.dim; i++)
			FUZZ_CHECK(ds.x[i] >= 0.0f && ds.x[i] <= 1.0f);
	} else {
		FUZZ_CHECK(ds.x == NULL && ds.y == NULL && ds.n == 0);
	}
	byz_dataset_free(&ds);
	free(img);
	free(lab);
	return 0;
}
