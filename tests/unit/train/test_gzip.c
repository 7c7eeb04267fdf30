/*
 * gzip'ed IDX files (MNIST as distributed, *-idx?-ubyte.gz): the test writes
 * them with zlib and checks that byz_mnist_parse / byz_mnist_load_why read
 * them bit for bit like the plain files, recognised by magic (not name),
 * and refuse every hostile variant with -EBADMSG and a message: every
 * truncation, trailing garbage, a second member, a corrupt CRC-32 or length
 * trailer, corrupt deflate data, a stream that inflates to more than its
 * IDX header says (a bomb: 64 MiB of zeros behind a 16-pixel header), one
 * that inflates to less, and header limits (-ERANGE) inside the stream.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "byz/data.h"
#include "byz/err.h"
#include "byz_test.h"

static char tmpdir[64];

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One gzip member of @p n bytes of @p in; malloc'ed, length in *outlen. */
static uint8_t *gz(const uint8_t *in, size_t n, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	CU_ASSERT_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				     Z_DEFAULT_STRATEGY) == Z_OK);
	size_t cap = deflateBound(&z, (uLong)n) + 64;
	uint8_t *out = malloc(cap);
	CU_ASSERT_FATAL(out != NULL);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

struct idx {
	uint8_t *img, *lab;
	size_t il, ll;
};

static void make(uint32_t count, uint32_t rows, uint32_t cols, struct idx *m)
{
	m->il = 16 + (size_t)count * rows * cols;
	m->ll = 8 + count;
	m->img = malloc(m->il);
	m->lab = malloc(m->ll);
	CU_ASSERT_FATAL(m->img && m->lab);
	put_be32(m->img, 0x803);
	put_be32(m->img + 4, count);
	put_be32(m->img + 8, rows);
	put_be32(m->img + 12, cols);
	struct byz_rng r = {byz_test_seed()};
	for (size_t i = 16; i < m->il; i++)
		m->img[i] = (uint8_t)(byz_rng_next(&r) % 7 == 0 ? byz_rng_next(&r) : 0);
	put_be32(m->lab, 0x801);
	put_be32(m->lab + 4, count);
	for (uint32_t i = 0; i < count; i++)
		m->lab[8 + i] = (uint8_t)(byz_rng_next(&r) % 10);
}

static int same(const struct byz_dataset *a, const struct byz_dataset *b)
{
	return a->n == b->n && a->dim == b->dim && a->height == b->height &&
	       a->width == b->width && a->n &&
	       !memcmp(a->x, b->x, (size_t)a->n * a->dim * sizeof(float)) &&
	       !memcmp(a->y, b->y, (size_t)a->n * sizeof(uint32_t));
}

static char *write_tmp(const char *name, const uint8_t *buf, size_t len)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 128, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(fwrite(buf, 1, len, f) == len);
	fclose(f);
	return p;
}

static void test_roundtrip(void)
{
	struct idx m;
	make(97, 9, 7, &m);
	struct byz_dataset ref, ds;
	CU_ASSERT_EQUAL_FATAL(byz_mnist_parse(m.img, m.il, m.lab, m.ll, &ref), 0);
	size_t gil, gll;
	uint8_t *gi = gz(m.img, m.il, &gil), *gl = gz(m.lab, m.ll, &gll);
	CU_ASSERT(gil < m.il); /* it did compress: the test is about gzip */
	/* Either file or both gzip'ed: the same dataset. */
	CU_ASSERT_EQUAL(byz_mnist_parse(gi, gil, m.lab, m.ll, &ds), 0);
	CU_ASSERT(same(&ref, &ds));
	byz_dataset_free(&ds);
	CU_ASSERT_EQUAL(byz_mnist_parse(m.img, m.il, gl, gll, &ds), 0);
	CU_ASSERT(same(&ref, &ds));
	byz_dataset_free(&ds);
	CU_ASSERT_EQUAL(byz_mnist_parse(gi, gil, gl, gll, &ds), 0);
	CU_ASSERT(same(&ref, &ds));
	byz_dataset_free(&ds);
	/* Files: recognised by magic, whatever the name says. */
	char why[256];
	char *ip = write_tmp("train-images-idx3-ubyte.gz", gi, gil);
	char *lp = write_tmp("train-labels-idx1-ubyte", gl, gll); /* gzip, no .gz */
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, lp, &ds, why, sizeof(why)), 0);
	CU_ASSERT(same(&ref, &ds));
	byz_dataset_free(&ds);
	char *pp = write_tmp("plain-idx3-ubyte.gz", m.img, m.il); /* plain, named .gz */
	CU_ASSERT_EQUAL(byz_mnist_load(pp, lp, &ds), 0);
	CU_ASSERT(same(&ref, &ds));
	byz_dataset_free(&ds);
	/* A zlib (not gzip) stream is not accepted: it is not an IDX file either. */
	uLongf zl = compressBound((uLong)m.il);
	uint8_t *zb = malloc(zl);
	CU_ASSERT_FATAL(compress(zb, &zl, m.img, (uLong)m.il) == Z_OK);
	CU_ASSERT_EQUAL(byz_mnist_parse(zb, zl, m.lab, m.ll, &ds), -EBADMSG);
	free(zb);
	unlink(ip);
	unlink(lp);
	unlink(pp);
	byz_dataset_free(&ref);
	free(gi);
	free(gl);
	free(m.img);
	free(m.lab);
}

static void test_hostile(void)
{
	struct idx m;
	make(13, 5, 3, &m);
	struct byz_dataset ds;
	size_t gil, gll;
	uint8_t *gi = gz(m.img, m.il, &gil), *gl = gz(m.lab, m.ll, &gll);
	char why[256];

	/* Every truncation of either gzip'ed file. */
	for (size_t l = 0; l < gil; l++)
		CU_ASSERT_EQUAL(byz_mnist_parse(gi, l, m.lab, m.ll, &ds), -EBADMSG);
	for (size_t l = 0; l < gll; l++)
		CU_ASSERT_EQUAL(byz_mnist_parse(m.img, m.il, gl, l, &ds), -EBADMSG);
	CU_ASSERT(ds.x == NULL && ds.n == 0);
	char *lp = write_tmp("lab.gz", gl, gll);
	char *ip = write_tmp("img.gz", gi, gil - 3);
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, lp, &ds, why, sizeof(why)), -EBADMSG);
	CU_ASSERT(strstr(why, "img.gz: gzip stream truncated") != NULL);

	/* Trailing garbage, and a second member, after a valid stream. */
	uint8_t *big = malloc(2 * gil);
	memcpy(big, gi, gil);
	big[gil] = 0;
	CU_ASSERT_EQUAL(byz_mnist_parse(big, gil + 1, m.lab, m.ll, &ds), -EBADMSG);
	ip = write_tmp("img.gz", big, gil + 1);
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, lp, &ds, why, sizeof(why)), -EBADMSG);
	CU_ASSERT(strstr(why, "img.gz: 1 bytes of trailing data") != NULL);
	memcpy(big + gil, gi, gil);
	CU_ASSERT_EQUAL(byz_mnist_parse(big, 2 * gil, m.lab, m.ll, &ds), -EBADMSG);
	free(big);

	/* Corrupt CRC-32 and length trailers; corrupt deflate data. */
	uint8_t *c = malloc(gil);
	memcpy(c, gi, gil);
	c[gil - 8] ^= 0x01; /* CRC-32 */
	ip = write_tmp("img.gz", c, gil);
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, lp, &ds, why, sizeof(why)), -EBADMSG);
	CU_ASSERT(strstr(why, "img.gz: corrupt gzip stream (incorrect data check)") != NULL);
	c[gil - 8] ^= 0x01;
	c[gil - 2] ^= 0x40; /* ISIZE */
	CU_ASSERT_EQUAL(byz_mnist_parse(c, gil, m.lab, m.ll, &ds), -EBADMSG);
	c[gil - 2] ^= 0x40;
	CU_ASSERT_EQUAL(byz_mnist_parse(c, gil, m.lab, m.ll, &ds), 0);
	byz_dataset_free(&ds);
	/* Random bit flips in the compressed bytes: refused, or the very same
	 * data (a gzip header field such as mtime, or a Huffman table entry of
	 * a symbol the stream never uses); most must be refused. */
	struct byz_dataset ref;
	CU_ASSERT_EQUAL_FATAL(byz_mnist_parse(m.img, m.il, m.lab, m.ll, &ref), 0);
	struct byz_rng r = {byz_test_seed()};
	int refused = 0;
	for (int it = 0; it < 3000; it++) {
		memcpy(c, gi, gil);
		size_t at = byz_rng_next(&r) % gil;
		c[at] ^= (uint8_t)(1u << (byz_rng_next(&r) % 8));
		int rc = byz_mnist_parse(c, gil, m.lab, m.ll, &ds);
		CU_ASSERT(rc == -EBADMSG || rc == -ERANGE || rc == 0);
		if (rc == 0)
			CU_ASSERT(same(&ref, &ds));
		refused += rc != 0;
		byz_dataset_free(&ds);
	}
	CU_ASSERT(refused > 3000 / 2);
	byz_dataset_free(&ref);
	free(c);

	/* A bomb: the header says 1 image of 4 x 4, the stream holds 64 MiB of
	 * zeros after it. Refused after inflating at most one byte too many. */
	size_t bl = 16 + ((size_t)64 << 20);
	uint8_t *b = calloc(1, bl);
	CU_ASSERT_FATAL(b != NULL);
	put_be32(b, 0x803);
	put_be32(b + 4, 1);
	put_be32(b + 8, 4);
	put_be32(b + 12, 4);
	size_t gbl;
	uint8_t *gb = gz(b, bl, &gbl);
	CU_ASSERT(gbl < 100000); /* 64 MiB in about 64 KiB */
	uint8_t lab1[9] = {0, 0, 8, 1, 0, 0, 0, 1, 3};
	ip = write_tmp("bomb.gz", gb, gbl);
	char *l1 = write_tmp("lab1", lab1, sizeof(lab1));
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, l1, &ds, why, sizeof(why)), -EBADMSG);
	CU_ASSERT(strstr(why, "bomb.gz: gzip stream inflates to more than the 32 bytes") != NULL);
	CU_ASSERT(ds.x == NULL);
	free(gb);
	/* The other way: the header claims 1000 images, the stream holds 16. */
	put_be32(b + 4, 1000);
	gb = gz(b, 16 + 16 * 16, &gbl);
	CU_ASSERT_EQUAL(byz_mnist_parse(gb, gbl, m.lab, m.ll, &ds), -EBADMSG);
	ip = write_tmp("short.gz", gb, gbl);
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, l1, &ds, why, sizeof(why)), -EBADMSG);
	CU_ASSERT(strstr(why, "short.gz: gzip stream inflates to 272 bytes, the IDX header "
			      "says 16016") != NULL);
	free(gb);
	/* Over the limits inside the stream: -ERANGE before any allocation. */
	put_be32(b + 4, 1u << 20);
	put_be32(b + 8, 1u << 10);
	put_be32(b + 12, 1u << 10);
	gb = gz(b, 64, &gbl);
	CU_ASSERT_EQUAL(byz_mnist_parse(gb, gbl, m.lab, m.ll, &ds), -ERANGE);
	ip = write_tmp("huge.gz", gb, gbl);
	CU_ASSERT_EQUAL(byz_mnist_load_why(ip, l1, &ds, why, sizeof(why)), -ERANGE);
	CU_ASSERT(strstr(why, "huge.gz: 1048576 x 1024 x 1024 pixels, over the limits") != NULL);
	free(gb);
	/* The stream ends inside the IDX header; labels' header inside images. */
	gb = gz(b, 10, &gbl);
	CU_ASSERT_EQUAL(byz_mnist_parse(gb, gbl, m.lab, m.ll, &ds), -EBADMSG);
	free(gb);
	CU_ASSERT_EQUAL(byz_mnist_parse(gl, gll, m.lab, m.ll, &ds), -EBADMSG);
	free(b);
	static const char *const made[] = {"lab.gz", "img.gz", "bomb.gz", "lab1", "short.gz",
					   "huge.gz"};
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", tmpdir, made[i]);
		CU_ASSERT_EQUAL(unlink(p), 0);
	}
	free(gi);
	free(gl);
	free(m.img);
	free(m.lab);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/byzgzXXXXXX",
		 base && strlen(base) < 40 ? base : "/tmp");
	CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
}

static void test_all(void)
{
	setup();
	test_roundtrip();
	test_hostile();
	CU_ASSERT_EQUAL(rmdir(tmpdir), 0);
}

BYZ_TEST_MAIN("train-gzip", {"gzip'ed IDX files: round trip and hostile streams", test_all});
