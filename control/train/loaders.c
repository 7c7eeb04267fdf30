/*
 * MNIST (IDX) and CIFAR-10 (binary) loaders. Inputs are hostile: every
 * header field is checked against the buffer length before anything is
 * read, sizes are computed in 64 bits, and a file must be exactly as long
 * as its header says. IDX files may also be gzip streams (as MNIST and
 * Fashion-MNIST are distributed): the IDX header inside fixes how many bytes
 * the stream may inflate to, so a decompression bomb stops at that bound.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

/* Write the reason into @p why (when given); return @p rc. */
__attribute__((format(printf, 4, 5)))
static int say(int rc, char *why, size_t whylen, const char *fmt, ...)
{
	if (why && whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#define fail(...) say(-EBADMSG, __VA_ARGS__)

/* The IDX header of @p hdr (images: 16 bytes, labels: 8): the whole file's
 * length into *total. 0, -EBADMSG or -ERANGE. */
static int idx_size(const uint8_t *hdr, int images, uint64_t *total, char *why, size_t whylen)
{
	uint32_t magic = load_be32(hdr);
	if (magic != (images ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC))
		return fail(why, whylen, "not an IDX %s file (magic %08x, want %08x)",
			    images ? "image" : "label", magic,
			    images ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC);
	uint64_t count = load_be32(hdr + 4);
	if (count > BYZ_DATA_MAX_EXAMPLES)
		return say(-ERANGE, why, whylen, "%llu examples, over the limit of %u",
			   (unsigned long long)count, BYZ_DATA_MAX_EXAMPLES);
	if (!images) {
		*total = 8 + count;
		return 0;
	}
	uint64_t dim = (uint64_t)load_be32(hdr + 8) * load_be32(hdr + 12);
	if (dim > BYZ_DATA_MAX_DIM || dim * count > BYZ_DATA_MAX_VALUES)
		return say(-ERANGE, why, whylen, "%u x %u x %u pixels, over the limits",
			   load_be32(hdr + 4), load_be32(hdr + 8), load_be32(hdr + 12));
	*total = 16 + dim * count;
	return 0;
}

static int is_gzip(const uint8_t *b, size_t len)
{
	return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

/* Run inflate until the output window is full or the stream ends. */
static int inflate_some(z_stream *z, char *why, size_t whylen)
{
	for (;;) {
		int r = inflate(z, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			return 1;
		if (r == Z_OK) {
			if (z->avail_out == 0)
				return 0;
			continue;
		}
		if (r == Z_MEM_ERROR)
			return -ENOMEM;
		if (r == Z_BUF_ERROR && z->avail_in == 0)
			return fail(why, whylen, "gzip stream truncated");
		/* Z_DATA_ERROR: a bad header, corrupt data, or a CRC-32 or
		 * length trailer that does not match what was inflated. */
		return fail(why, whylen, "corrupt gzip stream (%s)",
			    z->msg ? z->msg : "inflate failed");
	}
}

/* Inflate one gzip member holding an IDX file into *out (malloc'ed, exactly
 * as long as the IDX header inside says). The output is bounded by that
 * header (itself bounded by the BYZ_DATA_MAX_* limits), so a stream that
 * inflates to more is refused after one extra byte. */
static int idx_gunzip(const uint8_t *in, size_t len, int images, uint8_t **out,
		      size_t *outlen, char *why, size_t whylen)
{
	uint8_t hdr[16];
	const unsigned hl = images ? 16 : 8;
	uint8_t *buf = NULL;
	int rc;
	*out = NULL;
	*outlen = 0;
	if (len > BYZ_DATA_MAX_FILE)
		return -ERANGE;
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: gzip framing only (no zlib or raw deflate). */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = hdr;
	z.avail_out = hl;
	rc = inflate_some(&z, why, whylen);
	if (rc < 0)
		goto out;
	int ended = rc;
	if (z.avail_out) {
		rc = fail(why, whylen, "gzip stream ends inside the IDX header");
		goto out;
	}
	uint64_t total = 0;
	rc = idx_size(hdr, images, &total, why, whylen);
	if (rc)
		goto out;
	buf = malloc((size_t)total);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(buf, hdr, hl);
	z.next_out = buf + hl;
	z.avail_out = (uInt)(total - hl);
	if (!ended && z.avail_out) {
		rc = inflate_some(&z, why, whylen);
		if (rc < 0)
			goto out;
		ended = rc;
	}
	if (z.avail_out) {
		rc = fail(why, whylen, "gzip stream inflates to %llu bytes, the IDX header "
			  "says %llu", (unsigned long long)(total - z.avail_out),
			  (unsigned long long)total);
		goto out;
	}
	if (!ended) {
		/* Full: the stream must end here (and its trailer check out). */
		uint8_t extra;
		z.next_out = &extra;
		z.avail_out = 1;
		rc = inflate_some(&z, why, whylen);
		if (rc < 0)
			goto out;
		if (z.avail_out == 0) {
			rc = fail(why, whylen, "gzip stream inflates to more than the %llu "
				  "bytes the IDX header says", (unsigned long long)total);
			goto out;
		}
	}
	if (z.avail_in) {
		rc = fail(why, whylen, "%u bytes of trailing data after the gzip stream",
			  z.avail_in);
		goto out;
	}
	*out = buf;
	*outlen = (size_t)total;
	buf = NULL;
	rc = 0;
out:
	inflateEnd(&z);
	free(buf);
	return rc;
}

static int mnist_parse_why(const uint8_t *images, size_t images_len,
			   const uint8_t *labels, size_t labels_len,
			   struct byz_dataset *ds, char *why, size_t whylen)
{
	if (images_len < 16)
		return fail(why, whylen, "images: shorter than an IDX header");
	if (labels_len < 8)
		return fail(why, whylen, "labels: shorter than an IDX header");
	uint64_t want_i = 0, want_l = 0;
	char sub[160];
	int rc = idx_size(images, 1, &want_i, sub, sizeof(sub));
	if (rc)
		return say(rc, why, whylen, "images: %s", sub);
	rc = idx_size(labels, 0, &want_l, sub, sizeof(sub));
	if (rc)
		return say(rc, why, whylen, "labels: %s", sub);
	uint32_t count = load_be32(images + 4);
	uint32_t rows = load_be32(images + 8);
	uint32_t cols = load_be32(images + 12);
	if (load_be32(labels + 4) != count)
		return fail(why, whylen, "%u images but %u labels", count, load_be32(labels + 4));
	if (!count || !rows || !cols)
		return fail(why, whylen, "empty IDX file (%u x %u x %u)", count, rows, cols);
	uint64_t dim = (uint64_t)rows * cols;
	/* Exact lengths: truncation and trailing garbage are both errors. */
	if (images_len != want_i)
		return fail(why, whylen, "images: %zu bytes, the IDX header says %llu",
			    images_len, (unsigned long long)want_i);
	if (labels_len != want_l)
		return fail(why, whylen, "labels: %zu bytes, the IDX header says %llu",
			    labels_len, (unsigned long long)want_l);
	for (uint32_t i = 0; i < count; i++)
		if (labels[8 + i] >= IMAGE_CLASSES)
			return fail(why, whylen, "labels: label %u of example %u is not below %u",
				    labels[8 + i], i, IMAGE_CLASSES);
	rc = byz_dataset_alloc(ds, count, 1, rows, cols, IMAGE_CLASSES);
	if (rc)
		return rc;
	const uint8_t *px = images + 16;
	for (size_t i = 0; i < (size_t)dim * count; i++)
		ds->x[i] = (float)px[i] / 255.0f;
	for (uint32_t i = 0; i < count; i++)
		ds->y[i] = labels[8 + i];
	return 0;
}

/* Plain or gzip'ed images and labels; "images: ..." or "labels: ..." in why. */
static int mnist_any(const uint8_t *images, size_t images_len, const uint8_t *labels,
		     size_t labels_len, struct byz_dataset *ds, char *why, size_t whylen)
{
	uint8_t *gi = NULL, *gl = NULL;
	char sub[200];
	sub[0] = 0;
	int rc = 0;
	if (is_gzip(images, images_len)) {
		rc = idx_gunzip(images, images_len, 1, &gi, &images_len, sub, sizeof(sub));
		if (rc)
			say(rc, why, whylen, "images: %s", sub[0] ? sub : byz_strerror(rc));
		images = gi;
	}
	if (!rc && is_gzip(labels, labels_len)) {
		rc = idx_gunzip(labels, labels_len, 0, &gl, &labels_len, sub, sizeof(sub));
		if (rc)
			say(rc, why, whylen, "labels: %s", sub[0] ? sub : byz_strerror(rc));
		labels = gl;
	}
	if (!rc)
		rc = mnist_parse_why(images, images_len, labels, labels_len, ds, why, whylen);
	if (rc)
		byz_dataset_free(ds);
	free(gi);
	free(gl);
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
	return mnist_any(images, images_len, labels, labels_len, ds, NULL, 0);
}

int byz_mnist_load_why(const char *images_path, const char *labels_path,
		       struct byz_dataset *ds, char *why, size_t whylen)
{
	uint8_t *ib = NULL, *lb = NULL;
	size_t il = 0, ll = 0;
	char sub[256];
	int rc;
	if (why && whylen)
		why[0] = 0;
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!images_path || !labels_path)
		return -EINVAL;
	rc = read_file(images_path, &ib, &il);
	if (!rc)
		rc = read_file(labels_path, &lb, &ll);
	else
		labels_path = images_path; /* the one that failed */
	if (rc) {
		if (why && whylen)
			snprintf(why, whylen, "%s: %s", labels_path, byz_strerror(rc));
		goto out;
	}
	sub[0] = 0;
	rc = mnist_any(ib, il, lb, ll, ds, sub, sizeof(sub));
	if (rc && why && whylen) {
		/* Name the file the message is about. */
		int lab = !strncmp(sub, "labels: ", 8), img = !strncmp(sub, "images: ", 8);
		if (lab || img)
			snprintf(why, whylen, "%s: %s", lab ? labels_path : images_path, sub + 8);
		else if (sub[0])
			snprintf(why, whylen, "%s, %s: %s", images_path, labels_path, sub);
		else
			snprintf(why, whylen, "%s, %s: %s", images_path, labels_path,
				 byz_strerror(rc));
	}
out:
	free(ib);
	free(lb);
	return rc;
}

int byz_mnist_load(const char *images_path, const char *labels_path,
		   struct byz_dataset *ds)
{
	return byz_mnist_load_why(images_path, labels_path, ds, NULL, 0);
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
