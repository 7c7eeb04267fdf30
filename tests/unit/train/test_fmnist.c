/*
 * The real Fashion-MNIST files as Debian's dataset-fashion-mnist ships them
 * (gzip'ed IDX in /usr/share/datasets/fashion-mnist; tools/setup installs
 * the package): 60000 + 10000 examples of 28 x 28, ten classes of exactly
 * 6000 / 1000, and known first labels and pixel sums. BYZ_FASHION_MNIST
 * names another directory. Exits 77 with the reason when the files are absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "byz/data.h"
#include "byz/err.h"

static int check(const char *dir, const char *split, uint32_t n, const uint8_t first[10],
		 uint32_t pixsum0)
{
	char ip[4096], lp[4096], why[512];
	snprintf(ip, sizeof(ip), "%s/%s-images-idx3-ubyte.gz", dir, split);
	snprintf(lp, sizeof(lp), "%s/%s-labels-idx1-ubyte.gz", dir, split);
	struct byz_dataset ds;
	int rc = byz_mnist_load_why(ip, lp, &ds, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "FAIL: %s\n", why);
		return 1;
	}
	int bad = 0;
	uint32_t count[10] = {0};
	if (ds.n != n || ds.channels != 1 || ds.height != 28 || ds.width != 28 || ds.classes != 10)
		bad = fprintf(stderr, "FAIL: %s: %u x %u x %u x %u\n", split, ds.n, ds.channels,
			      ds.height, ds.width);
	for (uint32_t i = 0; i < ds.n && !bad; i++)
		count[ds.y[i]]++;
	for (int c = 0; c < 10 && !bad; c++)
		if (count[c] != n / 10)
			bad = fprintf(stderr, "FAIL: %s: class %d has %u examples\n", split, c,
				      count[c]);
	for (int i = 0; i < 10 && !bad; i++)
		if (ds.y[i] != first[i])
			bad = fprintf(stderr, "FAIL: %s: label %d is %u, want %u\n", split, i,
				      ds.y[i], first[i]);
	double sum = 0;
	for (int i = 0; i < 784 && !bad; i++)
		sum += ds.x[i] * 255.0f;
	if (!bad && (uint32_t)(sum + 0.5) != pixsum0)
		bad = fprintf(stderr, "FAIL: %s: first image's pixels sum to %.0f, want %u\n",
			      split, sum, pixsum0);
	if (!bad)
		printf("%s: %u examples of 28 x 28, %u per class: ok\n", split, ds.n, n / 10);
	byz_dataset_free(&ds);
	return bad != 0;
}

int main(void)
{
	const char *dir = getenv("BYZ_FASHION_MNIST");
	if (!dir)
		dir = "/usr/share/datasets/fashion-mnist";
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/train-images-idx3-ubyte.gz", dir);
	if (stat(p, &st) != 0) {
		printf("skipping: no %s (apt-get install dataset-fashion-mnist, or bash "
		       "tools/setup --deps-only)\n", p);
		return 77;
	}
	static const uint8_t train0[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
	static const uint8_t test0[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
	return check(dir, "train", 60000, train0, 76247) | check(dir, "t10k", 10000, test0, 33456);
}
