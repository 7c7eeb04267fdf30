/*
 * .npy reader/writer: round trips in every header version, and every kind of
 * malformed or unsupported file giving its own error code and a message that
 * names the problem. A mutation loop checks that no header bytes crash it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byz/err.h"
#include "byz_test.h"
#include "npy.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/byz-npy-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	make_tmpdir();
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* A .npy file from raw parts: version, dict text (padded as given), data bytes. */
static void write_raw(const char *path, unsigned major, const char *dict,
		      const void *data, size_t nbytes)
{
	FILE *fp = fopen(path, "wb");
	CU_ASSERT_FATAL(fp != NULL);
	size_t dl = strlen(dict);
	unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
	size_t plen = major == 1 ? 10 : 12;
	pre[8] = (unsigned char)(dl & 0xff);
	pre[9] = (unsigned char)(dl >> 8);
	if (plen == 12) {
		pre[10] = (unsigned char)(dl >> 16);
		pre[11] = (unsigned char)(dl >> 24);
	}
	CU_ASSERT_FATAL(fwrite(pre, 1, plen, fp) == plen);
	CU_ASSERT_FATAL(fwrite(dict, 1, dl, fp) == dl);
	if (nbytes)
		CU_ASSERT_FATAL(fwrite(data, 1, nbytes, fp) == nbytes);
	CU_ASSERT_FATAL(fclose(fp) == 0);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *fp = fopen(path, "wb");
	CU_ASSERT_FATAL(fp != NULL);
	if (n)
		CU_ASSERT_FATAL(fwrite(b, 1, n, fp) == n);
	CU_ASSERT_FATAL(fclose(fp) == 0);
}

/* sizeof, not a hand count: the literals hold NUL bytes. */
#define WRITE_LIT(path, lit) write_bytes(path, lit, sizeof(lit) - 1)

/* Reads @p path expecting @p want_rc and a message containing @p needle. */
static void expect_fail(const char *path, int want_rc, const char *needle)
{
	struct byz_npy_array a;
	char msg[BYZ_NPY_MSG_LEN] = "";
	int rc = byz_npy_read_f32(path, &a, msg, sizeof(msg));
	if (rc != want_rc || !strstr(msg, needle))
		fprintf(stderr, "\n  %s: rc %d (want %d), msg \"%s\" (want \"%s\")\n", path, rc,
			want_rc, msg, needle);
	CU_ASSERT_EQUAL(rc, want_rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle));
	CU_ASSERT_PTR_NULL(a.data);
}

static const char *dict_2x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }    \n";
static const float data6[6] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7e20f};

static void test_roundtrip_versions(void)
{
	char path[128];
	for (unsigned major = 1; major <= 3; major++) {
		tmp_path(path, sizeof(path), "ver.npy");
		write_raw(path, major, dict_2x3, data6, sizeof(data6));
		struct byz_npy_array a;
		char msg[BYZ_NPY_MSG_LEN];
		CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(path, &a, msg, sizeof(msg)), 0);
		CU_ASSERT_EQUAL(a.ndim, 2);
		CU_ASSERT_EQUAL(a.rows, 2);
		CU_ASSERT_EQUAL(a.cols, 3);
		CU_ASSERT_EQUAL(memcmp(a.data, data6, sizeof(data6)), 0);
		byz_npy_free(&a);
		CU_ASSERT_PTR_NULL(a.data);
	}
	/* Key order and quote style are free; whitespace too. */
	tmp_path(path, sizeof(path), "order.npy");
	write_raw(path, 1, "{\"shape\":(3,),'fortran_order' : False,\t'descr':\"<f4\"}\n",
		  data6, 12);
	struct byz_npy_array a;
	CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(path, &a, NULL, 0), 0);
	CU_ASSERT_EQUAL(a.ndim, 1);
	CU_ASSERT_EQUAL(a.rows, 1);
	CU_ASSERT_EQUAL(a.cols, 3);
	CU_ASSERT_EQUAL(memcmp(a.data, data6, 12), 0);
	byz_npy_free(&a);
}

static void test_writer(void)
{
	char path[128], msg[BYZ_NPY_MSG_LEN];
	struct byz_rng r = {byz_test_seed()};
	float v[5 * 37];
	for (size_t i = 0; i < 5 * 37; i++)
		v[i] = (float)byz_rng_gauss(&r);
	tmp_path(path, sizeof(path), "w2.npy");
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(path, v, 5, 37, msg, sizeof(msg)), 0);
	struct byz_npy_array a;
	CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(path, &a, msg, sizeof(msg)), 0);
	CU_ASSERT(a.ndim == 2 && a.rows == 5 && a.cols == 37);
	CU_ASSERT_EQUAL(memcmp(a.data, v, sizeof(v)), 0);
	byz_npy_free(&a);

	/* numpy's layout: header padded to a multiple of 64 bytes. */
	tmp_path(path, sizeof(path), "w1.npy");
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(path, v, 0, 100, msg, sizeof(msg)), 0);
	FILE *fp = fopen(path, "rb");
	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT_EQUAL(fseek(fp, 0, SEEK_END), 0);
	CU_ASSERT_EQUAL((ftell(fp) - 400) % 64, 0);
	fclose(fp);
	CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(path, &a, msg, sizeof(msg)), 0);
	CU_ASSERT(a.ndim == 1 && a.rows == 1 && a.cols == 100);
	CU_ASSERT_EQUAL(memcmp(a.data, v, 400), 0);
	byz_npy_free(&a);

	/* Empty shapes are read; callers decide. */
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(path, NULL, 0, 0, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(path, &a, msg, sizeof(msg)), 0);
	CU_ASSERT(a.ndim == 1 && a.cols == 0 && a.data != NULL);
	byz_npy_free(&a);

	CU_ASSERT_EQUAL(byz_npy_write_f32(path, NULL, 2, 2, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(byz_npy_write_f32("/nonexistent-dir/x.npy", v, 0, 3, msg, sizeof(msg)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot create"));
}

static void test_bad_magic_and_truncation(void)
{
	char path[128];
	tmp_path(path, sizeof(path), "bad.npy");
	WRITE_LIT(path, "\x93NUMPZ\x01\x00\x10\x00");
	expect_fail(path, -EBADMSG, "bad magic");
	WRITE_LIT(path, "PK\x03\x04 zip file, not npy");
	expect_fail(path, -EBADMSG, "bad magic");
	WRITE_LIT(path, "");
	expect_fail(path, -EBADMSG, "truncated");
	WRITE_LIT(path, "\x93NUM");
	expect_fail(path, -EBADMSG, "truncated");
	WRITE_LIT(path, "\x93NUMPY\x01\x00\x46");
	expect_fail(path, -EBADMSG, "truncated");
	WRITE_LIT(path, "\x93NUMPY\x02\x00\x46\x00\x00");
	expect_fail(path, -EBADMSG, "truncated");
	/* Header length says 70, only part of the dict is there. */
	WRITE_LIT(path, "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4'");
	expect_fail(path, -EBADMSG, "truncated");
	/* Data shorter than the shape. */
	write_raw(path, 1, dict_2x3, data6, sizeof(data6) - 1);
	expect_fail(path, -EBADMSG, "data too short");
	write_raw(path, 1, dict_2x3, data6, 0);
	expect_fail(path, -EBADMSG, "data too short");
	/* And longer. */
	float more[7] = {0};
	write_raw(path, 1, dict_2x3, more, sizeof(more));
	expect_fail(path, -EBADMSG, "unexpected bytes after the data");
	expect_fail("/nonexistent-dir/x.npy", -ENOENT, "cannot open");
	make_tmpdir();
	expect_fail(tmpdir, -EBADMSG, "not a regular file");
}

static void test_unsupported(void)
{
	char path[128];
	tmp_path(path, sizeof(path), "unsup.npy");
	double d6[6] = {0};
	write_raw(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", d6,
		  sizeof(d6));
	expect_fail(path, -ENOTSUP, "dtype '<f8' unsupported");
	write_raw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n",
		  data6, sizeof(data6));
	expect_fail(path, -ENOTSUP, "dtype '>f4' unsupported");
	write_raw(path, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }\n",
		  data6, sizeof(data6));
	expect_fail(path, -ENOTSUP, "structured dtype");
	write_raw(path, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", data6,
		  sizeof(data6));
	expect_fail(path, -ENOTSUP, "fortran_order True");
	write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }\n",
		  data6, sizeof(data6));
	expect_fail(path, -ENOTSUP, "3-D shape (1, 2, 3)");
	write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", data6, 4);
	expect_fail(path, -ENOTSUP, "0-D shape");
	write_raw(path, 4, dict_2x3, data6, sizeof(data6));
	expect_fail(path, -BYZ_EVERSION, "version 4.0");
	WRITE_LIT(path, "\x93NUMPY\x01\x01\x10\x00");
	expect_fail(path, -BYZ_EVERSION, "version 1.1");
}

static void test_malformed_dict(void)
{
	/* sizeof, not strlen: one dict holds a NUL byte. */
#define D(s, rc, needle) {s, sizeof(s) - 1, rc, needle}
	static const struct {
		const char *dict;
		size_t len;
		int rc;
		const char *needle;
	} cases[] = {
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n", -EBADMSG,
		 "unknown key 'x'"),
		D("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n",
		 -EBADMSG, "appears twice"),
		D("{'descr': '<f4', 'shape': (2, 3)}\n", -EBADMSG, "missing key 'fortran_order'"),
		D("{'descr': '<f4', 'fortran_order': False}\n", -EBADMSG, "missing key 'shape'"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}\n", -EBADMSG,
		 "not a tuple"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}\n", -EBADMSG,
		 "non-negative integer"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}\n", -EBADMSG,
		 "expected '('"),
		D("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}\n", -EBADMSG,
		 "not True or False"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk\n", -EBADMSG,
		 "after the dict"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\0\n", -EBADMSG,
		 "after the dict"),
		D("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}\n", -EBADMSG,
		 "expected '}' to close the header dict, found 'f'"),
		D("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", -EBADMSG,
		 "expected ':' after a key, found '"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)\n", -EBADMSG,
		 "expected '}'"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", -EBADMSG, "ends early"),
		D("['descr', '<f4']\n", -EBADMSG, "expected '{'"),
		D("{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", -EBADMSG,
		 "unsupported character"),
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3)}\n",
		 -ERANGE, "64 bits"),
		/* Element count overflows 64 bits. */
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}\n",
		 -ERANGE, "overflows"),
		/* Byte size (count * 4) overflows. */
		D("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,)}\n",
		 -ERANGE, "overflows"),
	};
#undef D
	char path[128];
	tmp_path(path, sizeof(path), "dict.npy");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t dl = cases[i].len;
		FILE *fp = fopen(path, "wb");
		CU_ASSERT_FATAL(fp != NULL);
		unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
					 (unsigned char)(dl & 0xff), (unsigned char)(dl >> 8)};
		fwrite(pre, 1, 10, fp);
		fwrite(cases[i].dict, 1, dl, fp);
		fwrite(data6, 1, sizeof(data6), fp);
		fclose(fp);
		expect_fail(path, cases[i].rc, cases[i].needle);
	}
}

static void test_huge_shape(void)
{
	/* A plausible-looking shape far larger than the file: refused before allocating. */
	char path[128];
	tmp_path(path, sizeof(path), "huge.npy");
	write_raw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }\n",
		  data6, sizeof(data6));
	expect_fail(path, -EBADMSG, "data too short");
	/* Header length over the cap (v2 has 4 length bytes). */
	WRITE_LIT(path, "\x93NUMPY\x02\x00\x00\x00\x00\x10");
	expect_fail(path, -ERANGE, "over the limit");
	/* Header length smaller than the dict: the dict is cut. */
	WRITE_LIT(path, "\x93NUMPY\x01\x00\x08\x00{'descr': '<f4'}");
	expect_fail(path, -EBADMSG, "header dict");
}

/* Random byte mutations of a valid header: any outcome but a crash or a silent empty message. */
static void test_mutations(void)
{
	struct byz_rng r = {byz_test_seed() ^ 0x4e5059u};
	unsigned char base[10 + 64 + 24];
	size_t dl = strlen(dict_2x3);
	memcpy(base, "\x93NUMPY\x01\x00", 8);
	base[8] = (unsigned char)dl;
	base[9] = 0;
	memcpy(base + 10, dict_2x3, dl);
	memcpy(base + 10 + dl, data6, sizeof(data6));
	size_t total = 10 + dl + sizeof(data6);
	unsigned ok = 0;
	for (int it = 0; it < 20000; it++) {
		unsigned char buf[sizeof(base)];
		memcpy(buf, base, total);
		int nmut = 1 + (int)(byz_rng_next(&r) % 3);
		for (int m = 0; m < nmut; m++) {
			size_t pos = (size_t)(byz_rng_next(&r) % (10 + dl));
			buf[pos] = (unsigned char)byz_rng_next(&r);
		}
		size_t len = (size_t)(byz_rng_next(&r) % (total + 1));
		struct byz_npy_header h;
		char msg[BYZ_NPY_MSG_LEN] = "";
		int rc = byz_npy_parse_header(buf, len, &h, msg, sizeof(msg));
		if (rc == 0) {
			ok++;
			CU_ASSERT(h.ndim == 1 || h.ndim == 2);
			CU_ASSERT(h.data_offset <= len);
			CU_ASSERT(h.data_bytes == h.count * 4);
		} else {
			CU_ASSERT(msg[0] != '\0');
		}
	}
	/* Some mutations (a space, a digit) leave a valid header; most do not. */
	CU_ASSERT(ok > 0 && ok < 20000);
}

static void cleanup(void)
{
	static const char *names[] = {"ver.npy", "order.npy", "w1.npy", "w2.npy", "bad.npy",
				      "unsup.npy", "dict.npy", "huge.npy"};
	char path[128];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tmp_path(path, sizeof(path), names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	CU_PASS("cleaned");
}

BYZ_TEST_MAIN("npy", {"roundtrip_versions", test_roundtrip_versions},
	      {"writer", test_writer}, {"bad_magic_and_truncation", test_bad_magic_and_truncation},
	      {"unsupported", test_unsupported}, {"malformed_dict", test_malformed_dict},
	      {"huge_shape", test_huge_shape}, {"mutations", test_mutations},
	      {"cleanup", cleanup})
