/*
 * Datasets: the synthetic generator (determinism, independence of its
 * streams, label noise), the seeded batch sampler, gather with label flip,
 * and the MNIST / CIFAR-10 loaders on files the test writes, valid and
 * malformed (truncated, trailing bytes, bad magic, count mismatch, label
 * out of range, absurd dimensions), plus every truncation and random byte
 * mutations of a valid file.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byz/data.h"
#include "byz/err.h"
#include "byz_test.h"

static int same_dataset(const struct byz_dataset *a, const struct byz_dataset *b)
{
	return a->n == b->n && a->dim == b->dim && a->classes == b->classes &&
	       !memcmp(a->x, b->x, (size_t)a->n * a->dim * sizeof(float)) &&
	       !memcmp(a->y, b->y, (size_t)a->n * sizeof(uint32_t));
}

static void test_synth(void)
{
	struct byz_synth_spec s;
	struct byz_dataset a, b, c, d;
	byz_synth_default(&s);
	s.seed = byz_test_seed();
	s.n_train = 2000;
	s.n_test = 300;
	CU_ASSERT_FATAL(byz_synth_generate(&s, &a, &b) == 0);
	CU_ASSERT_EQUAL(a.n, 2000);
	CU_ASSERT_EQUAL(b.n, 300);
	CU_ASSERT_EQUAL(a.dim, 16);
	CU_ASSERT_EQUAL(a.classes, 4);
	uint32_t count[4] = {0};
	for (uint32_t i = 0; i < a.n; i++) {
		CU_ASSERT_FATAL(a.y[i] < 4);
		count[a.y[i]]++;
	}
	for (int k = 0; k < 4; k++) /* 500 expected, sd ~19 */
		CU_ASSERT(count[k] > 400 && count[k] < 600);
	/* Same seed, same bits; the train split does not depend on n_test. */
	s.n_test = 17;
	CU_ASSERT_FATAL(byz_synth_generate(&s, &c, &d) == 0);
	CU_ASSERT(same_dataset(&a, &c));
	CU_ASSERT(!memcmp(b.x, d.x, 17 * 16 * sizeof(float)));
	byz_dataset_free(&c);
	byz_dataset_free(&d);
	/* Label noise only changes labels, in about the stated share. */
	s.label_noise = 0.3;
	CU_ASSERT_FATAL(byz_synth_generate(&s, &c, &d) == 0);
	CU_ASSERT(!memcmp(a.x, c.x, (size_t)a.n * a.dim * sizeof(float)));
	uint32_t changed = 0;
	for (uint32_t i = 0; i < a.n; i++)
		changed += a.y[i] != c.y[i];
	/* Both runs draw the same (u, other) per example, so the examples
	 * flipped at 0.05 are flipped the same way at 0.3: the labels differ
	 * where 0.05 <= u < 0.3, for about 25% of them (sd ~1%). */
	CU_ASSERT(changed > 0.21 * a.n && changed < 0.29 * a.n);
	byz_dataset_free(&c);
	byz_dataset_free(&d);
	/* Another seed, other data. */
	s.seed ^= 1;
	s.label_noise = 0.05;
	CU_ASSERT_FATAL(byz_synth_generate(&s, &c, &d) == 0);
	CU_ASSERT(memcmp(a.x, c.x, (size_t)a.n * a.dim * sizeof(float)) != 0);
	/* Inputs look like centres ~ N(0, sep^2) plus N(0, 1): variance ~ 2. */
	double m = 0, v = 0;
	size_t N = (size_t)a.n * a.dim;
	for (size_t i = 0; i < N; i++)
		m += a.x[i];
	m /= N;
	for (size_t i = 0; i < N; i++)
		v += (a.x[i] - m) * (a.x[i] - m);
	v /= N;
	CU_ASSERT(v > 1.2 && v < 3.5);
	byz_dataset_free(&a);
	byz_dataset_free(&b);
	byz_dataset_free(&c);
	byz_dataset_free(&d);

	/* Bad specs zero both outputs. */
	byz_synth_default(&s);
	s.classes = 1;
	CU_ASSERT_EQUAL(byz_synth_generate(&s, &a, &b), -EINVAL);
	CU_ASSERT(a.x == NULL && b.x == NULL);
	byz_synth_default(&s);
	s.label_noise = 1.0;
	CU_ASSERT_EQUAL(byz_synth_generate(&s, &a, &b), -EINVAL);
	byz_synth_default(&s);
	s.separation = NAN;
	CU_ASSERT_EQUAL(byz_synth_generate(&s, &a, &b), -EINVAL);
	byz_synth_default(&s);
	s.clusters = 0;
	CU_ASSERT_EQUAL(byz_synth_generate(&s, &a, &b), -EINVAL);
	byz_synth_default(&s);
	s.n_train = BYZ_DATA_MAX_EXAMPLES + 1;
	CU_ASSERT_EQUAL(byz_synth_generate(&s, &a, &b), -ERANGE);
	CU_ASSERT_EQUAL(byz_synth_generate(NULL, &a, &b), -EINVAL);
}

static void test_sampler(void)
{
	struct byz_seed s1, s2;
	byz_seed_from_u64(byz_test_seed(), &s1);
	byz_seed_derive(&s1, 7, 3, &s2);
	CU_ASSERT(memcmp(&s1, &s2, sizeof(s1)) != 0);
	uint32_t a[300], b[300];
	CU_ASSERT_EQUAL(byz_batch_sample(&s1, 1000, 300, a), 0);
	CU_ASSERT_EQUAL(byz_batch_sample(&s1, 1000, 300, b), 0);
	CU_ASSERT(!memcmp(a, b, sizeof(a)));
	CU_ASSERT_EQUAL(byz_batch_sample(&s2, 1000, 300, b), 0);
	CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	/* Distinct and in range. */
	static uint8_t seen[1000];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 300; i++) {
		CU_ASSERT_FATAL(a[i] < 1000);
		CU_ASSERT(!seen[a[i]]);
		seen[a[i]] = 1;
	}
	/* batch == n is a permutation. */
	uint32_t p[64];
	CU_ASSERT_EQUAL(byz_batch_sample(&s2, 64, 64, p), 0);
	uint64_t mask = 0;
	for (int i = 0; i < 64; i++)
		mask |= 1ull << p[i];
	CU_ASSERT_EQUAL(mask, ~0ull);
	/* Roughly uniform: 4000 batches of 5 from 20 -> 1000 hits each. */
	uint32_t hits[20] = {0}, q[5];
	for (uint64_t t = 0; t < 4000; t++) {
		struct byz_seed s;
		byz_seed_derive(&s1, 1, t, &s);
		CU_ASSERT_EQUAL_FATAL(byz_batch_sample(&s, 20, 5, q), 0);
		for (int i = 0; i < 5; i++)
			hits[q[i]]++;
	}
	for (int i = 0; i < 20; i++) /* sd ~ 27 */
		CU_ASSERT(hits[i] > 880 && hits[i] < 1120);
	/* Neighbouring derived seeds are unrelated. */
	struct byz_seed d0, d1;
	byz_seed_derive(&s1, 0, 0, &d0);
	byz_seed_derive(&s1, 0, 1, &d1);
	int diff = 0;
	for (int i = 0; i < 32; i++)
		diff += __builtin_popcount(d0.b[i] ^ d1.b[i]);
	CU_ASSERT(diff > 80 && diff < 176);
	/* Errors. */
	CU_ASSERT_EQUAL(byz_batch_sample(&s1, 10, 0, q), -EINVAL);
	CU_ASSERT_EQUAL(byz_batch_sample(&s1, 4, 5, q), -EINVAL);
	CU_ASSERT_EQUAL(byz_batch_sample(NULL, 10, 1, q), -EINVAL);
	CU_ASSERT_EQUAL(byz_batch_sample(&s1, BYZ_BATCH_MAX + 5, BYZ_BATCH_MAX + 1, q), -ERANGE);
}

static void test_gather(void)
{
	struct byz_dataset ds;
	CU_ASSERT_FATAL(byz_dataset_alloc(&ds, 5, 1, 1, 2, 3) == 0);
	for (uint32_t i = 0; i < 5; i++) {
		ds.x[2 * i] = (float)i;
		ds.x[2 * i + 1] = (float)(10 * i);
		ds.y[i] = i % 3;
	}
	uint32_t idx[3] = {4, 0, 2}, y[3];
	float x[6];
	CU_ASSERT_EQUAL(byz_dataset_gather(&ds, idx, 3, 0, x, y), 0);
	CU_ASSERT(x[0] == 4 && x[1] == 40 && x[2] == 0 && x[4] == 2 && x[5] == 20);
	CU_ASSERT(y[0] == 1 && y[1] == 0 && y[2] == 2);
	CU_ASSERT_EQUAL(byz_dataset_gather(&ds, idx, 3, BYZ_DATA_FLIP_LABELS, x, y), 0);
	CU_ASSERT(y[0] == 1 && y[1] == 2 && y[2] == 0); /* y -> 2 - y */
	idx[1] = 5;
	CU_ASSERT_EQUAL(byz_dataset_gather(&ds, idx, 3, 0, x, y), -EINVAL);
	CU_ASSERT_EQUAL(byz_dataset_gather(&ds, idx, 1, 2, x, y), -EINVAL);
	byz_dataset_free(&ds);
	CU_ASSERT(ds.x == NULL && ds.n == 0);
	byz_dataset_free(NULL);
	CU_ASSERT_EQUAL(byz_dataset_alloc(&ds, 1, 1, 1, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(byz_dataset_alloc(&ds, 1, 1, 1 << 11, 1 << 10, 2), -ERANGE);
}

/* ---- loaders ---------------------------------------------------- */

static char tmpdir[64];

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A valid IDX pair: count images of rows x cols, labels i % 10. */
static void make_mnist(uint32_t count, uint32_t rows, uint32_t cols,
		       uint8_t **img, size_t *il, uint8_t **lab, size_t *ll)
{
	*il = 16 + (size_t)count * rows * cols;
	*ll = 8 + count;
	*img = malloc(*il);
	*lab = malloc(*ll);
	put_be32(*img, 0x803);
	put_be32(*img + 4, count);
	put_be32(*img + 8, rows);
	put_be32(*img + 12, cols);
	for (size_t i = 16; i < *il; i++)
		(*img)[i] = (uint8_t)(i * 7);
	put_be32(*lab, 0x801);
	put_be32(*lab + 4, count);
	for (uint32_t i = 0; i < count; i++)
		(*lab)[8 + i] = (uint8_t)(i % 10);
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

static void test_mnist(void)
{
	uint8_t *img, *lab;
	size_t il, ll;
	struct byz_dataset ds;
	make_mnist(13, 5, 3, &img, &il, &lab, &ll);
	char *ip = write_tmp("img-idx3-ubyte", img, il);
	char *lp = write_tmp("lab-idx1-ubyte", lab, ll);
	CU_ASSERT_EQUAL_FATAL(byz_mnist_load(ip, lp, &ds), 0);
	CU_ASSERT(ds.n == 13 && ds.channels == 1 && ds.height == 5 &&
		  ds.width == 3 && ds.dim == 15 && ds.classes == 10);
	for (size_t i = 0; i < 13 * 15; i++)
		CU_ASSERT_EQUAL(ds.x[i], (float)img[16 + i] / 255.0f);
	for (uint32_t i = 0; i < 13; i++)
		CU_ASSERT_EQUAL(ds.y[i], i % 10);
	byz_dataset_free(&ds);

	/* Every truncation (and one trailing byte) of either file fails. */
	for (size_t l = 0; l < il; l++)
		CU_ASSERT_EQUAL(byz_mnist_parse(img, l, lab, ll, &ds), -EBADMSG);
	for (size_t l = 0; l < ll; l++)
		CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, l, &ds), -EBADMSG);
	uint8_t *img2 = malloc(il + 1);
	memcpy(img2, img, il);
	img2[il] = 0;
	CU_ASSERT_EQUAL(byz_mnist_parse(img2, il + 1, lab, ll, &ds), -EBADMSG);
	CU_ASSERT(ds.x == NULL && ds.n == 0);
	free(img2);

	/* Bad magic: swapped files, wrong type byte, wrong dimensionality. */
	CU_ASSERT_EQUAL(byz_mnist_parse(lab, ll, img, il, &ds), -EBADMSG);
	img[2] = 0x09;
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -EBADMSG);
	img[2] = 0x08;
	img[3] = 0x02;
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -EBADMSG);
	img[3] = 0x03;
	/* Count mismatch between the files. */
	put_be32(lab + 4, 12);
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll - 1, &ds), -EBADMSG);
	put_be32(lab + 4, 13);
	/* Label out of range. */
	lab[8 + 6] = 10;
	char *bad = write_tmp("badlab", lab, ll);
	CU_ASSERT_EQUAL(byz_mnist_load(ip, bad, &ds), -EBADMSG);
	lab[8 + 6] = 255;
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -EBADMSG);
	lab[8 + 6] = 6;
	/* Zero and absurd dimensions, with a short buffer behind them. */
	put_be32(img + 8, 0);
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -EBADMSG);
	put_be32(img + 8, 0xffffffffu);
	put_be32(img + 12, 0xffffffffu);
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -ERANGE);
	put_be32(img + 8, 1u << 16);
	put_be32(img + 12, 1u << 15);
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), -ERANGE);
	put_be32(img + 8, 5);
	put_be32(img + 12, 3);
	CU_ASSERT_EQUAL(byz_mnist_parse(img, il, lab, ll, &ds), 0);
	byz_dataset_free(&ds);

	/* Random byte mutations never crash and never yield a label >= 10. */
	struct byz_rng r = {byz_test_seed()};
	for (int it = 0; it < 2000; it++) {
		uint8_t *mi = malloc(il), *ml = malloc(ll);
		memcpy(mi, img, il);
		memcpy(ml, lab, ll);
		int k = 1 + (int)(byz_rng_next(&r) % 4);
		for (int j = 0; j < k; j++) {
			if (byz_rng_next(&r) & 1)
				mi[byz_rng_next(&r) % 16] ^= (uint8_t)byz_rng_next(&r);
			else
				ml[byz_rng_next(&r) % ll] ^= (uint8_t)byz_rng_next(&r);
		}
		size_t cut = byz_rng_next(&r) % 8 == 0 ? byz_rng_next(&r) % il : il;
		int rc = byz_mnist_parse(mi, cut, ml, ll, &ds);
		CU_ASSERT(rc == 0 || rc == -EBADMSG || rc == -ERANGE);
		if (rc == 0) {
			for (uint32_t i = 0; i < ds.n; i++)
				CU_ASSERT(ds.y[i] < 10);
			CU_ASSERT((size_t)ds.n * ds.dim + 16 == cut);
		}
		byz_dataset_free(&ds);
		free(mi);
		free(ml);
	}

	/* Files: missing, a directory. */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/nope", tmpdir);
	CU_ASSERT_EQUAL(byz_mnist_load(missing, lp, &ds), -ENOENT);
	CU_ASSERT_EQUAL(byz_mnist_load(tmpdir, lp, &ds), -EINVAL);
	CU_ASSERT_EQUAL(byz_mnist_load(ip, NULL, &ds), -EINVAL);
	unlink(ip);
	unlink(lp);
	unlink(bad);
	free(img);
	free(lab);
}

static void test_cifar(void)
{
	const size_t R = BYZ_CIFAR10_RECORD;
	uint8_t *buf = malloc(5 * R);
	for (size_t i = 0; i < 5; i++) {
		buf[i * R] = (uint8_t)(9 - i);
		for (size_t j = 1; j < R; j++)
			buf[i * R + j] = (uint8_t)(i * 31 + j);
	}
	struct byz_dataset ds;
	char *p1 = write_tmp("data_batch_1.bin", buf, 2 * R);
	char *p2 = write_tmp("data_batch_2.bin", buf + 2 * R, 3 * R);
	const char *paths[2] = {p1, p2};
	CU_ASSERT_EQUAL_FATAL(byz_cifar10_load(paths, 2, &ds), 0);
	CU_ASSERT(ds.n == 5 && ds.channels == 3 && ds.height == 32 &&
		  ds.width == 32 && ds.dim == 3072 && ds.classes == 10);
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(ds.y[i], 9 - i);
		/* CHW: channel 1 (green), row 2, col 3 is byte 1024 + 67. */
		CU_ASSERT_EQUAL(ds.x[i * 3072 + 1024 + 2 * 32 + 3],
				(float)buf[i * R + 1 + 1024 + 67] / 255.0f);
		CU_ASSERT_EQUAL(ds.x[i * 3072 + 3071], (float)buf[i * R + 3072] / 255.0f);
	}
	byz_dataset_free(&ds);
	/* Lengths that are not a whole number of records, and empty. */
	CU_ASSERT_EQUAL(byz_cifar10_parse(buf, 0, &ds), -EBADMSG);
	CU_ASSERT_EQUAL(byz_cifar10_parse(buf, R - 1, &ds), -EBADMSG);
	CU_ASSERT_EQUAL(byz_cifar10_parse(buf, 2 * R + 1, &ds), -EBADMSG);
	CU_ASSERT_EQUAL(byz_cifar10_parse(buf, 5 * R - 1, &ds), -EBADMSG);
	/* A label out of range anywhere. */
	buf[3 * R] = 10;
	CU_ASSERT_EQUAL(byz_cifar10_parse(buf, 5 * R, &ds), -EBADMSG);
	CU_ASSERT(ds.x == NULL);
	char *p3 = write_tmp("data_batch_3.bin", buf + 2 * R, 3 * R);
	paths[1] = p3;
	CU_ASSERT_EQUAL(byz_cifar10_load(paths, 2, &ds), -EBADMSG);
	buf[3 * R] = 1;
	/* A truncated file in the list fails even if the total is whole. */
	char *p4 = write_tmp("trunc.bin", buf, R - 1);
	char *p5 = write_tmp("extra.bin", buf, R + 1);
	const char *pp[2] = {p4, p5};
	CU_ASSERT_EQUAL(byz_cifar10_load(pp, 2, &ds), -EBADMSG);
	CU_ASSERT_EQUAL(byz_cifar10_load(pp, 0, &ds), -EINVAL);
	CU_ASSERT_EQUAL(byz_cifar10_parse(NULL, R, &ds), -EINVAL);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	unlink(p4);
	unlink(p5);
	free(buf);
}

static void setup_tmp(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/byztrainXXXXXX",
		 base && strlen(base) < 40 ? base : "/tmp");
	CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
}

static void test_loaders(void)
{
	setup_tmp();
	test_mnist();
	test_cifar();
	CU_ASSERT_EQUAL(rmdir(tmpdir), 0);
}

BYZ_TEST_MAIN("train-data",
	      {"synthetic generator", test_synth},
	      {"batch sampler", test_sampler},
	      {"gather and label flip", test_gather},
	      {"mnist and cifar-10 loaders", test_loaders})
