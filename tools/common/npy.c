/*
 * DESIGN: .npy I/O for the tools.
 *
 * A .npy file is a 6-byte magic "\x93NUMPY", a 2-byte version, a header
 * length (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), a Python dict
 * literal of that many bytes, then the raw array. We read exactly one shape
 * of file: {'descr': '<f4', 'fortran_order': False, 'shape': (k, d)} or
 * (d,). The dict is parsed by a small recursive-descent reader that accepts
 * only what numpy writes (plus harmless whitespace and either quote style):
 * the three keys, each once, in any order. Everything is bounds-checked
 * against the bytes actually present; lengths come from the file and are
 * never trusted: the header length is capped, the shape's byte size is
 * computed with overflow checks, and the data size must equal what is left
 * in the file before we allocate or read anything.
 */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byz/err.h"
#include "byz/file.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* Keys and descr values are short; anything longer is rejected, not truncated. */
#define NPY_STR_MAX 64

__attribute__((format(printf, 3, 4))) static int npy_fail(char *msg, size_t msglen,
							   const char *fmt, ...)
{
	if (msg && msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* ---- header dict parser ------------------------------------------------ */

struct cursor {
	const char *p, *end;
	char *msg;
	size_t msglen;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static int expect(struct cursor *c, char ch, const char *what)
{
	skip_ws(c);
	if (c->p >= c->end) {
		npy_fail(c->msg, c->msglen, "header dict ends early: expected '%c' %s", ch, what);
		return -EBADMSG;
	}
	if (*c->p != ch) {
		unsigned char got = (unsigned char)*c->p;
		if (got >= 0x20 && got < 0x7f)
			npy_fail(c->msg, c->msglen, "header dict: expected '%c' %s, found '%c'",
				 ch, what, got);
		else
			npy_fail(c->msg, c->msglen, "header dict: expected '%c' %s, found byte 0x%02x",
				 ch, what, got);
		return -EBADMSG;
	}
	c->p++;
	return 0;
}

/* A quoted string without escapes, printable ASCII only. */
static int parse_str(struct cursor *c, char out[NPY_STR_MAX + 1], const char *what)
{
	skip_ws(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
		npy_fail(c->msg, c->msglen, "header dict: expected a quoted string for %s", what);
		return -EBADMSG;
	}
	char q = *c->p++;
	size_t n = 0;
	while (c->p < c->end && *c->p != q) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
			npy_fail(c->msg, c->msglen,
				 "header dict: unsupported character 0x%02x in %s", ch, what);
			return -EBADMSG;
		}
		if (n == NPY_STR_MAX) {
			npy_fail(c->msg, c->msglen, "header dict: %s longer than %d characters",
				 what, NPY_STR_MAX);
			return -EBADMSG;
		}
		out[n++] = (char)ch;
		c->p++;
	}
	if (c->p >= c->end) {
		npy_fail(c->msg, c->msglen, "header dict: unterminated string in %s", what);
		return -EBADMSG;
	}
	c->p++;
	out[n] = '\0';
	return 0;
}

static int starts_with(const struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0;
}

static int parse_bool(struct cursor *c, int *val)
{
	skip_ws(c);
	if (starts_with(c, "False")) {
		c->p += 5;
		*val = 0;
	} else if (starts_with(c, "True")) {
		c->p += 4;
		*val = 1;
	} else {
		npy_fail(c->msg, c->msglen, "header dict: fortran_order is not True or False");
		return -EBADMSG;
	}
	return 0;
}

static int parse_uint(struct cursor *c, uint64_t *val)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
		npy_fail(c->msg, c->msglen, "header dict: shape holds something other than a non-negative integer");
		return -EBADMSG;
	}
	uint64_t v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned dgt = (unsigned)(*c->p - '0');
		if (v > (UINT64_MAX - dgt) / 10) {
			npy_fail(c->msg, c->msglen, "header dict: shape dimension does not fit in 64 bits");
			return -ERANGE;
		}
		v = v * 10 + dgt;
		c->p++;
	}
	/* Python 2 era writers appended L to longs. */
	if (c->p < c->end && *c->p == 'L')
		c->p++;
	*val = v;
	return 0;
}

/* Writes a shape as Python prints it, "(2, 3)" or "(5,)", for error messages. */
static void shape_text(char *buf, size_t len, const uint64_t *dims, unsigned n)
{
	size_t at = 0;
	at += (size_t)snprintf(buf, len, "(");
	for (unsigned i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, i ? ", %" PRIu64 : "%" PRIu64,
				       dims[i]);
	if (at < len)
		snprintf(buf + at, len - at, n == 1 ? ",)" : ")");
}

static int parse_shape(struct cursor *c, uint64_t dims[BYZ_NPY_MAX_DIMS], unsigned *ndim)
{
	int rc = expect(c, '(', "to open the shape tuple");
	if (rc)
		return rc;
	unsigned n = 0;
	int trailing_comma = 0;
	skip_ws(c);
	while (c->p < c->end && *c->p != ')') {
		if (n == BYZ_NPY_MAX_DIMS) {
			npy_fail(c->msg, c->msglen, "header dict: shape has more than %u dimensions",
				 BYZ_NPY_MAX_DIMS);
			return -ENOTSUP;
		}
		rc = parse_uint(c, &dims[n]);
		if (rc)
			return rc;
		n++;
		skip_ws(c);
		trailing_comma = 0;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			trailing_comma = 1;
			skip_ws(c);
		} else {
			break;
		}
	}
	rc = expect(c, ')', "to close the shape tuple");
	if (rc)
		return rc;
	if (n == 1 && !trailing_comma) {
		npy_fail(c->msg, c->msglen, "header dict: shape (%" PRIu64 ") is not a tuple (needs a comma)",
			 dims[0]);
		return -EBADMSG;
	}
	*ndim = n;
	return 0;
}

/* Magic, version and header length; the header itself is not looked at. */
static int parse_preamble(const unsigned char *b, size_t len, struct byz_npy_header *h,
			  size_t *pre, uint64_t *hlen, char *msg, size_t msglen)
{
	if (len < 8 || memcmp(b, npy_magic, 6) != 0) {
		if (len >= 6 && memcmp(b, npy_magic, 6) == 0)
			npy_fail(msg, msglen, "file truncated inside the .npy preamble");
		else if (len < 6 && memcmp(b, npy_magic, len) == 0)
			npy_fail(msg, msglen, "file truncated inside the .npy magic (%zu bytes)", len);
		else
			npy_fail(msg, msglen, "not a .npy file (bad magic)");
		return -EBADMSG;
	}
	h->major = b[6];
	h->minor = b[7];
	if (h->major == 1 && h->minor == 0) {
		*pre = 10;
	} else if ((h->major == 2 || h->major == 3) && h->minor == 0) {
		*pre = 12;
	} else {
		npy_fail(msg, msglen, "unsupported .npy format version %u.%u (need 1.0, 2.0 or 3.0)",
			 h->major, h->minor);
		return -BYZ_EVERSION;
	}
	if (len < *pre) {
		npy_fail(msg, msglen, "file truncated inside the .npy preamble");
		return -EBADMSG;
	}
	if (*pre == 10)
		*hlen = (uint64_t)b[8] | (uint64_t)b[9] << 8;
	else
		*hlen = (uint64_t)b[8] | (uint64_t)b[9] << 8 | (uint64_t)b[10] << 16 |
			(uint64_t)b[11] << 24;
	if (*hlen > BYZ_NPY_MAX_HEADER) {
		npy_fail(msg, msglen, "header length %" PRIu64 " over the limit of %u bytes",
			 *hlen, BYZ_NPY_MAX_HEADER);
		return -ERANGE;
	}
	return 0;
}

int byz_npy_parse_header(const void *buf, size_t len, struct byz_npy_header *h,
			 char *msg, size_t msglen)
{
	const unsigned char *b = buf;
	if (!buf || !h) {
		npy_fail(msg, msglen, "internal: NULL argument");
		return -EINVAL;
	}
	memset(h, 0, sizeof(*h));
	size_t pre;
	uint64_t hlen;
	int rc = parse_preamble(b, len, h, &pre, &hlen, msg, msglen);
	if (rc)
		return rc;
	if (len - pre < hlen) {
		npy_fail(msg, msglen, "file truncated: header says %" PRIu64 " header bytes, only %zu present",
			 hlen, len - pre);
		return -EBADMSG;
	}
	h->data_offset = pre + (size_t)hlen;

	struct cursor c = {(const char *)b + pre, (const char *)b + pre + hlen, msg, msglen};
	char descr[NPY_STR_MAX + 1] = "";
	int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
	uint64_t dims[BYZ_NPY_MAX_DIMS];
	unsigned ndim = 0;
	rc = expect(&c, '{', "to open the header dict");
	if (rc)
		return rc;
	for (;;) {
		skip_ws(&c);
		if (c.p < c.end && *c.p == '}')
			break;
		char key[NPY_STR_MAX + 1];
		rc = parse_str(&c, key, "a key");
		if (rc)
			return rc;
		rc = expect(&c, ':', "after a key");
		if (rc)
			return rc;
		if (strcmp(key, "descr") == 0) {
			if (have_descr++) {
				npy_fail(msg, msglen, "header dict: key 'descr' appears twice");
				return -EBADMSG;
			}
			skip_ws(&c);
			if (c.p < c.end && *c.p == '[') {
				npy_fail(msg, msglen, "structured dtype unsupported (need '<f4')");
				return -ENOTSUP;
			}
			rc = parse_str(&c, descr, "descr");
		} else if (strcmp(key, "fortran_order") == 0) {
			if (have_order++) {
				npy_fail(msg, msglen, "header dict: key 'fortran_order' appears twice");
				return -EBADMSG;
			}
			rc = parse_bool(&c, &fortran);
		} else if (strcmp(key, "shape") == 0) {
			if (have_shape++) {
				npy_fail(msg, msglen, "header dict: key 'shape' appears twice");
				return -EBADMSG;
			}
			rc = parse_shape(&c, dims, &ndim);
		} else {
			npy_fail(msg, msglen, "header dict: unknown key '%s'", key);
			return -EBADMSG;
		}
		if (rc)
			return rc;
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		skip_ws(&c);
		if (c.p < c.end && *c.p == '}')
			break;
		return expect(&c, '}', "to close the header dict");
	}
	c.p++; /* the '}' */
	/* numpy pads with spaces and ends with '\n'; nothing else may follow. */
	for (; c.p < c.end; c.p++) {
		if (*c.p != ' ' && *c.p != '\t' && *c.p != '\n' && *c.p != '\r') {
			npy_fail(msg, msglen, "header: unexpected byte 0x%02x after the dict",
				 (unsigned char)*c.p);
			return -EBADMSG;
		}
	}
	if (!have_descr || !have_order || !have_shape) {
		npy_fail(msg, msglen, "header dict: missing key '%s'",
			 !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
		return -EBADMSG;
	}
	if (strcmp(descr, "<f4") != 0) {
		npy_fail(msg, msglen, "dtype '%s' unsupported (need '<f4', little-endian float32)",
			 descr);
		return -ENOTSUP;
	}
	char st[96];
	shape_text(st, sizeof(st), dims, ndim > 4 ? 4 : ndim);
	if (ndim != 1 && ndim != 2) {
		npy_fail(msg, msglen, "%u-D shape %s%s unsupported (need 1-D (d,) or 2-D (k, d))",
			 ndim, st, ndim > 4 ? "..." : "");
		return -ENOTSUP;
	}
	/* Fortran order of a 1-D array is the same bytes, but numpy never writes it; keep one rule. */
	if (fortran) {
		npy_fail(msg, msglen, "fortran_order True unsupported (need C order)");
		return -ENOTSUP;
	}
	uint64_t count = 1;
	for (unsigned i = 0; i < ndim; i++) {
		if (dims[i] && count > UINT64_MAX / dims[i]) {
			npy_fail(msg, msglen, "shape %s: element count overflows", st);
			return -ERANGE;
		}
		count *= dims[i];
	}
	if (count > UINT64_MAX / 4 || count > SIZE_MAX / 4) {
		npy_fail(msg, msglen, "shape %s: byte size overflows", st);
		return -ERANGE;
	}
	h->ndim = ndim;
	h->shape[0] = dims[0];
	h->shape[1] = ndim == 2 ? dims[1] : 0;
	h->count = count;
	h->data_bytes = count * 4;
	return 0;
}

/* ---- file I/O ---------------------------------------------------------- */

/* pread() until n bytes or EOF; returns bytes read or -errno. */
static ssize_t read_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int host_is_little_endian(void)
{
	const uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

static void bswap32_array(float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		u = __builtin_bswap32(u);
		memcpy(&v[i], &u, 4);
	}
}

int byz_npy_read_f32(const char *path, struct byz_npy_array *a, char *msg,
		     size_t msglen)
{
	if (!path || !a) {
		npy_fail(msg, msglen, "internal: NULL argument");
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	struct stat st;
	char why[96];
	int fd = byz_file_open_regular(path, 0, &st, why, sizeof(why));
	if (fd < 0) {
		npy_fail(msg, msglen, "%s", why);
		return fd;
	}
	int rc;
	unsigned char *hdr = NULL;
	uint64_t fsize = (uint64_t)st.st_size;

	/* Read the fixed preamble first, then exactly the header it announces (capped). */
	unsigned char pre[12];
	size_t want = fsize < sizeof(pre) ? (size_t)fsize : sizeof(pre);
	ssize_t got = read_full(fd, pre, want, 0);
	if (got < 0) {
		rc = (int)got;
		npy_fail(msg, msglen, "read error: %s", strerror(-rc));
		goto out;
	}
	struct byz_npy_header h;
	size_t plen;
	uint64_t hlen;
	rc = parse_preamble(pre, (size_t)got, &h, &plen, &hlen, msg, msglen);
	if (rc)
		goto out;
	size_t total = plen + (size_t)hlen;
	if (fsize < total) {
		npy_fail(msg, msglen, "file truncated: header says %" PRIu64 " header bytes, only %" PRIu64 " present",
			 hlen, fsize - plen);
		rc = -EBADMSG;
		goto out;
	}
	hdr = malloc(total);
	if (!hdr) {
		npy_fail(msg, msglen, "out of memory for the header");
		rc = -ENOMEM;
		goto out;
	}
	got = read_full(fd, hdr, total, 0);
	if (got < 0 || (size_t)got != total) {
		rc = got < 0 ? (int)got : -EBADMSG;
		npy_fail(msg, msglen, "read error in the header");
		goto out;
	}
	rc = byz_npy_parse_header(hdr, total, &h, msg, msglen);
	if (rc)
		goto out;
	uint64_t have = fsize - h.data_offset;
	if (have < h.data_bytes) {
		char shp[64];
		shape_text(shp, sizeof(shp), h.shape, h.ndim);
		npy_fail(msg, msglen, "data too short: shape %s needs %" PRIu64 " bytes, file holds %" PRIu64,
			 shp, h.data_bytes, have);
		rc = -EBADMSG;
		goto out;
	}
	if (have > h.data_bytes) {
		npy_fail(msg, msglen, "%" PRIu64 " unexpected bytes after the data", have - h.data_bytes);
		rc = -EBADMSG;
		goto out;
	}
	size_t nbytes = (size_t)h.data_bytes;
	a->data = malloc(nbytes ? nbytes : 1);
	if (!a->data) {
		npy_fail(msg, msglen, "out of memory for %zu data bytes", nbytes);
		rc = -ENOMEM;
		goto out;
	}
	got = read_full(fd, a->data, nbytes, h.data_offset);
	if (got < 0 || (size_t)got != nbytes) {
		/* The file shrank under us, or an I/O error. */
		rc = got < 0 ? (int)got : -EBADMSG;
		npy_fail(msg, msglen, "read error in the data");
		byz_npy_free(a);
		goto out;
	}
	if (!host_is_little_endian())
		bswap32_array(a->data, (size_t)h.count);
	a->ndim = h.ndim;
	a->rows = h.ndim == 2 ? (size_t)h.shape[0] : 1;
	a->cols = h.ndim == 2 ? (size_t)h.shape[1] : (size_t)h.shape[0];
	rc = 0;
out:
	free(hdr);
	close(fd);
	return rc;
}

void byz_npy_free(struct byz_npy_array *a)
{
	if (!a)
		return;
	free(a->data);
	memset(a, 0, sizeof(*a));
}

int byz_npy_write_f32(const char *path, const float *data, size_t rows,
		      size_t cols, char *msg, size_t msglen)
{
	if (!path) {
		npy_fail(msg, msglen, "internal: NULL path");
		return -EINVAL;
	}
	size_t n = rows ? rows : 1;
	if (cols && n > SIZE_MAX / 4 / cols) {
		npy_fail(msg, msglen, "array too large");
		return -ERANGE;
	}
	n *= cols;
	if (rows == 0 && cols == 0)
		n = 0;
	if (n && !data) {
		npy_fail(msg, msglen, "internal: NULL data");
		return -EINVAL;
	}
	char dict[160];
	int dl = rows ? snprintf(dict, sizeof(dict),
				 "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
				 rows, cols)
		      : snprintf(dict, sizeof(dict),
				 "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", cols);
	/* Pad with spaces so preamble + dict + '\n' is a multiple of 64, as numpy does. */
	size_t len = 10 + (size_t)dl + 1;
	size_t pad = (64 - len % 64) % 64;
	unsigned char hdr[10 + sizeof(dict) + 64];
	size_t hlen = (size_t)dl + pad + 1;
	memcpy(hdr, npy_magic, 6);
	hdr[6] = 1;
	hdr[7] = 0;
	hdr[8] = (unsigned char)(hlen & 0xff);
	hdr[9] = (unsigned char)(hlen >> 8);
	memcpy(hdr + 10, dict, (size_t)dl);
	memset(hdr + 10 + dl, ' ', pad);
	hdr[10 + dl + pad] = '\n';

	FILE *fp = fopen(path, "wb");
	if (!fp) {
		int e = errno;
		npy_fail(msg, msglen, "cannot create: %s", strerror(e));
		return -e;
	}
	int ok = fwrite(hdr, 1, 10 + hlen, fp) == 10 + hlen;
	if (ok && n) {
		if (host_is_little_endian()) {
			ok = fwrite(data, 4, n, fp) == n;
		} else {
			for (size_t i = 0; ok && i < n; i++) {
				float t = data[i];
				bswap32_array(&t, 1);
				ok = fwrite(&t, 4, 1, fp) == 1;
			}
		}
	}
	int e = ok ? 0 : errno;
	if (fclose(fp) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		npy_fail(msg, msglen, "write failed: %s", strerror(e ? e : EIO));
		return -(e ? e : EIO);
	}
	return 0;
}
