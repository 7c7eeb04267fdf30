/* Dataset storage, synthetic generation and seeded batch sampling. */
#include <stdlib.h>
#include <string.h>

#include "byz/data.h"
#include "byz/err.h"
#include "train_rng.h"

int byz_dataset_alloc(struct byz_dataset *ds, uint32_t n, uint32_t channels,
		      uint32_t height, uint32_t width, uint32_t classes)
{
	if (!ds)
		return -EINVAL;
	memset(ds, 0, sizeof(*ds));
	if (!n || !channels || !height || !width || classes < 2)
		return -EINVAL;
	uint64_t dim = (uint64_t)channels * height * width;
	if (n > BYZ_DATA_MAX_EXAMPLES || dim > BYZ_DATA_MAX_DIM ||
	    classes > BYZ_DATA_MAX_CLASSES || dim * n > BYZ_DATA_MAX_VALUES)
		return -ERANGE;
	ds->x = calloc((size_t)dim * n, sizeof(float));
	ds->y = calloc(n, sizeof(uint32_t));
	if (!ds->x || !ds->y) {
		byz_dataset_free(ds);
		return -ENOMEM;
	}
	ds->n = n;
	ds->channels = channels;
	ds->height = height;
	ds->width = width;
	ds->dim = (uint32_t)dim;
	ds->classes = classes;
	return 0;
}

void byz_dataset_free(struct byz_dataset *ds)
{
	if (!ds)
		return;
	free(ds->x);
	free(ds->y);
	memset(ds, 0, sizeof(*ds));
}

int byz_dataset_gather(const struct byz_dataset *ds, const uint32_t *idx,
		       uint32_t count, uint32_t flags, float *x, uint32_t *y)
{
	if (!ds || !ds->x || !ds->y || (!idx && count) || !x || !y ||
	    (flags & ~(uint32_t)BYZ_DATA_FLIP_LABELS))
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++)
		if (idx[i] >= ds->n)
			return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(x + (size_t)i * ds->dim, ds->x + (size_t)idx[i] * ds->dim,
		       ds->dim * sizeof(float));
		uint32_t l = ds->y[idx[i]];
		y[i] = (flags & BYZ_DATA_FLIP_LABELS) ? ds->classes - 1 - l : l;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

void byz_synth_default(struct byz_synth_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->channels = 1;
	spec->height = 4;
	spec->width = 4;
	spec->classes = 4;
	spec->clusters = 3;
	spec->n_train = 4096;
	spec->n_test = 1024;
	spec->separation = 1.0;
	spec->label_noise = 0.05;
	spec->seed = 1;
}

static void synth_fill(const struct byz_synth_spec *sp, const float *centres,
		       struct train_rng *r, struct byz_dataset *ds)
{
	for (uint32_t i = 0; i < ds->n; i++) {
		uint32_t c = (uint32_t)train_rng_below(r, sp->classes);
		uint32_t k = (uint32_t)train_rng_below(r, sp->clusters);
		const float *mu = centres + ((size_t)c * sp->clusters + k) * ds->dim;
		float *xi = ds->x + (size_t)i * ds->dim;
		for (uint32_t j = 0; j < ds->dim; j++)
			xi[j] = (float)((double)mu[j] + train_rng_gauss(r));
		/* Always draw both numbers so the stream does not depend on
		 * label_noise: changing the noise keeps the same inputs. */
		double u = train_rng_unif(r);
		uint32_t other = (uint32_t)train_rng_below(r, sp->classes - 1);
		if (u < sp->label_noise)
			c = other >= c ? other + 1 : other;
		ds->y[i] = c;
	}
}

int byz_synth_generate(const struct byz_synth_spec *sp,
		       struct byz_dataset *train, struct byz_dataset *test)
{
	int rc;
	if (train)
		memset(train, 0, sizeof(*train));
	if (test)
		memset(test, 0, sizeof(*test));
	if (!sp || !train || !test || !sp->clusters || !sp->n_train ||
	    !sp->n_test || !(sp->separation > 0) || !(sp->separation < 1e6) ||
	    !(sp->label_noise >= 0) || !(sp->label_noise < 1))
		return -EINVAL;
	if (sp->clusters > 65536)
		return -ERANGE;
	rc = byz_dataset_alloc(train, sp->n_train, sp->channels, sp->height,
			       sp->width, sp->classes);
	if (!rc)
		rc = byz_dataset_alloc(test, sp->n_test, sp->channels,
				       sp->height, sp->width, sp->classes);
	if (rc)
		goto fail;
	size_t nc = (size_t)sp->classes * sp->clusters;
	if (nc * train->dim > BYZ_DATA_MAX_VALUES) {
		rc = -ERANGE;
		goto fail;
	}
	float *centres = malloc(nc * train->dim * sizeof(float));
	if (!centres) {
		rc = -ENOMEM;
		goto fail;
	}
	struct byz_seed base, s;
	struct train_rng r;
	byz_seed_from_u64(sp->seed, &base);
	byz_seed_derive(&base, 0, 0, &s);
	train_rng_seed(&r, &s);
	for (size_t i = 0; i < nc * train->dim; i++)
		centres[i] = (float)(sp->separation * train_rng_gauss(&r));
	byz_seed_derive(&base, 1, 0, &s);
	train_rng_seed(&r, &s);
	synth_fill(sp, centres, &r, train);
	byz_seed_derive(&base, 2, 0, &s);
	train_rng_seed(&r, &s);
	synth_fill(sp, centres, &r, test);
	free(centres);
	return 0;
fail:
	byz_dataset_free(train);
	byz_dataset_free(test);
	return rc;
}

/* ------------------------------------------------------------------ */

int byz_batch_sample(const struct byz_seed *seed, uint32_t n, uint32_t batch,
		     uint32_t *idx)
{
	if (!seed || !idx || !batch || batch > n)
		return -EINVAL;
	if (batch > BYZ_BATCH_MAX)
		return -ERANGE;
	/* Floyd's algorithm: batch distinct values with batch draws and no
	 * O(n) state. Membership uses an open-addressing table sized to a
	 * power of two >= 2*batch; the output order is the draw order. */
	uint32_t cap = 1;
	while (cap < 2 * batch)
		cap <<= 1;
	uint32_t *tab = malloc((size_t)cap * sizeof(uint32_t));
	if (!tab)
		return -ENOMEM;
	memset(tab, 0xff, (size_t)cap * sizeof(uint32_t)); /* UINT32_MAX: empty */
	struct train_rng r;
	train_rng_seed(&r, seed);
	uint32_t cnt = 0;
	for (uint32_t j = n - batch; cnt < batch; j++) {
		uint32_t t = (uint32_t)train_rng_below(&r, (uint64_t)j + 1);
		for (int pass = 0; pass < 2; pass++) {
			uint32_t h = (uint32_t)(((uint64_t)t * 0x9e3779b97f4a7c15ull) >> 40) &
				     (cap - 1);
			while (tab[h] != UINT32_MAX && tab[h] != t)
				h = (h + 1) & (cap - 1);
			if (tab[h] == UINT32_MAX) {
				tab[h] = t;
				idx[cnt++] = t;
				break;
			}
			t = j; /* t was taken: take j, which cannot be yet */
		}
	}
	free(tab);
	return 0;
}
