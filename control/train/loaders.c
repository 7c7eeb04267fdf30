/*
 * MNIST (IDX) and CIFAR-10 (binary) loaders. Inputs are hostile: every
 * header field is checked against the buffer length before anything is
 * read, sizes are computed in 64 bits, and a file must be exactly as long
 * as its header says.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byz/data.h"
#include "byz/err.h"
#include "byz/file.h"

#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned byte, 3 dimensions */
#define IDX_LABELS_MAGIC 0x00000801u /* unsigned byte, 1 dimension */
#define IMAGE_CLASSES 10u

static uint32_t load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

/* Read a whole regular file, at most BYZ_DATA_MAX_FILE bytes. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int rc = 0;
	*buf = NULL;
	*len = 0;
	/* Refuses a FIFO or device without blocking on it. */
	int fd = byz_file_open_regular(path, 0, &st, NULL, 0);
	if (fd < 0)
		return fd == -EBADMSG ? -EINVAL : fd;
	if ((uint64_t)st.st_size > BYZ_DATA_MAX_FILE) {
		rc = -ERANGE;
		goto out;
	}
	size_t want = (size_t)st.st_size;
	uint8_t *b = malloc(want ? want : 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < want) {
		ssize_t r = read(fd, b + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Shrunk under us, or an I/O error: report what we can. */
			rc = r < 0 ? -errno : -EBADMSG;
			free(b);
			goto out;
		}
		got += (size_t)r;
	}
	*buf = b;
	*len = want;
out:
	close(fd);
	return rc;
}

int byz_mnist_parse(const uint8_t *images, size_t images_len,
		    const uint8_t *labels, size_t labels_len,
		    struct byz_dataset *ds)
{
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!images || !labels)
		return -EINVAL;
	if (images_len < 16 || labels_len < 8)
		return -EBADMSG;
	if (load_be32(images) != IDX_IMAGES_MAGIC ||
	    load_be32(labels) != IDX_LABELS_MAGIC)
		return -EBADMSG;
	uint32_t count = load_be32(images + 4);
	uint32_t rows = load_be32(images + 8);
	uint32_t cols = load_be32(images + 12);
	if (load_be32(labels + 4) != count || !count || !rows || !cols)
		return -EBADMSG;
	uint64_t dim = (uint64_t)rows * cols;
	if (count > BYZ_DATA_MAX_EXAMPLES || dim > BYZ_DATA_MAX_DIM ||
	    dim * count > BYZ_DATA_MAX_VALUES)
		return -ERANGE;
	/* Exact lengths: truncation and trailing garbage are both errors. */
	if (images_len - 16 != dim * count || labels_len - 8 != count)
		return -EBADMSG;
	for (uint32_t i = 0; i < count; i++)
		if (labels[8 + i] >= IMAGE_CLASSES)
			return -EBADMSG;
	int rc = byz_dataset_alloc(ds, count, 1, rows, cols, IMAGE_CLASSES);
	if (rc)
		return rc;
	const uint8_t *px = images + 16;
	for (size_t i = 0; i < (size_t)dim * count; i++)
		ds->x[i] = (float)px[i] / 255.0f;
	for (uint32_t i = 0; i < count; i++)
		ds->y[i] = labels[8 + i];
	return 0;
}

int byz_mnist_load(const char *images_path, const char *labels_path,
		   struct byz_dataset *ds)
{
	uint8_t *ib = NULL, *lb = NULL;
	size_t il = 0, ll = 0;
	int rc;
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!images_path || !labels_path)
		return -EINVAL;
	rc = read_file(images_path, &ib, &il);
	if (!rc)
		rc = read_file(labels_path, &lb, &ll);
	if (!rc)
		rc = byz_mnist_parse(ib, il, lb, ll, ds);
	free(ib);
	free(lb);
	return rc;
}

int byz_cifar10_parse(const uint8_t *buf, size_t len, struct byz_dataset *ds)
{
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!buf)
		return -EINVAL;
	if (!len || len % BYZ_CIFAR10_RECORD)
		return -EBADMSG;
	size_t count = len / BYZ_CIFAR10_RECORD;
	if (count > BYZ_DATA_MAX_EXAMPLES)
		return -ERANGE;
	for (size_t i = 0; i < count; i++)
		if (buf[i * BYZ_CIFAR10_RECORD] >= IMAGE_CLASSES)
			return -EBADMSG;
	int rc = byz_dataset_alloc(ds, (uint32_t)count, 3, 32, 32,
				   IMAGE_CLASSES);
	if (rc)
		return rc;
	const size_t dim = BYZ_CIFAR10_RECORD - 1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *rec = buf + i * BYZ_CIFAR10_RECORD;
		float *xi = ds->x + i * dim;
		ds->y[i] = rec[0];
		/* Records are already channel-major (1024 R, G, B): CHW. */
		for (size_t j = 0; j < dim; j++)
			xi[j] = (float)rec[1 + j] / 255.0f;
	}
	return 0;
}

int byz_cifar10_load(const char *const *paths, size_t count,
		     struct byz_dataset *ds)
{
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!paths || !count)
		return -EINVAL;
	uint8_t *all = NULL;
	size_t total = 0;
	int rc = 0;
	for (size_t i = 0; i < count && !rc; i++) {
		uint8_t *b;
		size_t l;
		if (!paths[i]) {
			rc = -EINVAL;
			break;
		}
		rc = read_file(paths[i], &b, &l);
		if (rc)
			break;
		/* Each file must be well formed on its own. */
		if (!l || l % BYZ_CIFAR10_RECORD) {
			free(b);
			rc = -EBADMSG;
			break;
		}
		if (l > BYZ_DATA_MAX_FILE - total) {
			free(b);
			rc = -ERANGE;
			break;
		}
		uint8_t *nb = realloc(all, total + l);
		if (!nb) {
			free(b);
			rc = -ENOMEM;
			break;
		}
		all = nb;
		memcpy(all + total, b, l);
		total += l;
		free(b);
	}
	if (!rc)
		rc = byz_cifar10_parse(all, total, ds);
	free(all);
	return rc;
}
