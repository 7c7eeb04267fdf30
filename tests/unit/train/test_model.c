/*
 * Built-in models: gradients against finite differences of an independent
 * double-precision reference, bit-identical gradients on repeated calls,
 * on reused scratch, across OpenBLAS thread counts and across the SIMD
 * levels of the products, the known-answer fingerprint, the opt-in
 * OpenBLAS mode, loss decrease under SGD, the optimizer formula and
 * argument checking. meson runs it again under OPENBLAS_NUM_THREADS,
 * OMP_NUM_THREADS and OPENBLAS_CORETYPE settings (tests/unit/train).
 */
#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "byz/cpu.h"

#include "byz/err.h"
#include "byz/model.h"
#include "byz_test.h"
#include "ref_model.h"

static const struct byz_model_spec tiny_specs[] = {
	{.kind = BYZ_MODEL_SOFTMAX, .channels = 1, .height = 2, .width = 3, .classes = 4},
	{.kind = BYZ_MODEL_MLP, .channels = 1, .height = 1, .width = 5, .classes = 3, .hidden = {6, 0}},
	{.kind = BYZ_MODEL_MLP, .channels = 2, .height = 1, .width = 3, .classes = 3, .hidden = {5, 4}},
	{.kind = BYZ_MODEL_CNN, .channels = 2, .height = 5, .width = 4, .classes = 3, .filters = 3},
};
#define N_TINY (sizeof(tiny_specs) / sizeof(tiny_specs[0]))

static void random_batch(struct byz_rng *r, size_t dim, uint32_t n,
			 uint32_t classes, float *x, uint32_t *y)
{
	for (size_t i = 0; i < dim * n; i++)
		x[i] = (float)byz_rng_gauss(r);
	for (uint32_t i = 0; i < n; i++)
		y[i] = (uint32_t)(byz_rng_next(r) % classes);
}

static void test_grad_vs_finite_differences(void)
{
	struct byz_rng r = {byz_test_seed()};
	for (size_t s = 0; s < 2 * N_TINY; s++) {
		struct byz_model_spec spec = tiny_specs[s % N_TINY];
		const struct byz_model_spec *sp = &spec;
		spec.portable = s >= N_TINY;
		int err = 1;
		struct byz_model *m = byz_model_create(sp, &err);
		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT_EQUAL(err, 0);
		size_t P = byz_model_num_params(m);
		size_t D = (size_t)sp->channels * sp->height * sp->width;
		const uint32_t n = 5;
		float *p = malloc(P * sizeof(float)), *g = malloc(P * sizeof(float));
		double *pd = malloc(P * sizeof(double));
		float x[5 * 64];
		uint32_t y[5];
		CU_ASSERT_FATAL(D <= 64);
		random_batch(&r, D, n, sp->classes, x, y);
		CU_ASSERT_EQUAL(byz_model_init_params(m, byz_rng_next(&r), p), 0);
		/* Non-zero biases so that every bias path is exercised. */
		for (size_t i = 0; i < P; i++) {
			if (p[i] == 0.0f)
				p[i] = (float)(0.1 * byz_rng_gauss(&r));
			pd[i] = p[i];
		}
		double loss = 0, lref = ref_loss(sp, pd, x, y, n);
		CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, n, g, &loss), 0);
		if (fabs(loss - lref) > 1e-5 * (1 + fabs(lref)))
			fprintf(stderr, "\n%s: loss %.9g ref %.9g\n",
				byz_model_kind_name(sp->kind), loss, lref);
		CU_ASSERT(fabs(loss - lref) <= 1e-5 * (1 + fabs(lref)));
		size_t bad = 0;
		double gmax = 0;
		for (size_t i = 0; i < P; i++)
			gmax = fmax(gmax, fabs(g[i]));
		CU_ASSERT(gmax > 1e-3); /* the check below must not be vacuous */
		for (size_t i = 0; i < P; i++) {
			const double h = 1e-6, save = pd[i];
			pd[i] = save + h;
			double lp = ref_loss(sp, pd, x, y, n);
			pd[i] = save - h;
			double lm = ref_loss(sp, pd, x, y, n);
			pd[i] = save;
			double fd = (lp - lm) / (2 * h);
			if (fabs(fd - g[i]) > 1e-4 * gmax + 1e-3 * fabs(fd)) {
				if (bad++ < 5)
					fprintf(stderr, "\n%s: param %zu grad %.8g fd %.8g\n",
						byz_model_kind_name(sp->kind), i, g[i], fd);
			}
		}
		CU_ASSERT_EQUAL(bad, 0);
		free(p);
		free(g);
		free(pd);
		byz_model_destroy(m);
	}
}

/* A model with products big enough for OpenBLAS to use threads. */
static int grads_identical(const struct byz_model_spec *sp, uint32_t n,
			   int threads_a, int threads_b)
{
	struct byz_rng r = {byz_test_seed() ^ 0x77};
	struct byz_model *m = byz_model_create(sp, NULL);
	struct byz_model *m2 = byz_model_create(sp, NULL);
	CU_ASSERT_FATAL(m && m2);
	size_t P = byz_model_num_params(m);
	size_t D = (size_t)sp->channels * sp->height * sp->width;
	float *p = malloc(P * sizeof(float)), *g1 = malloc(P * sizeof(float)),
	      *g2 = malloc(P * sizeof(float)), *g3 = malloc(P * sizeof(float));
	float *x = malloc(D * n * sizeof(float)), *xbig = malloc(D * 2 * n * sizeof(float));
	uint32_t *y = malloc(n * sizeof(uint32_t)), *ybig = malloc(2 * n * sizeof(uint32_t));
	random_batch(&r, D, n, sp->classes, x, y);
	random_batch(&r, D, 2 * n, sp->classes, xbig, ybig);
	byz_model_init_params(m, 42, p);
	double l1, l2, l3;
	openblas_set_num_threads(threads_a);
	CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, n, g1, &l1), 0);
	/* m2 first grows its scratch on a bigger batch: reuse must not matter. */
	CU_ASSERT_EQUAL(byz_model_grad(m2, p, xbig, ybig, 2 * n, g3, NULL), 0);
	openblas_set_num_threads(threads_b);
	CU_ASSERT_EQUAL(openblas_get_num_threads(), threads_b);
	CU_ASSERT_EQUAL(byz_model_grad(m2, p, x, y, n, g2, &l2), 0);
	CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, n, g3, &l3), 0);
	int same = !memcmp(g1, g2, P * sizeof(float)) &&
		   !memcmp(g1, g3, P * sizeof(float)) && l1 == l2 && l1 == l3;
	if (!same)
		fprintf(stderr, "\n%s: gradients differ (threads %d vs %d)\n",
			byz_model_kind_name(sp->kind), threads_a, threads_b);
	free(p);
	free(g1);
	free(g2);
	free(g3);
	free(x);
	free(xbig);
	free(y);
	free(ybig);
	byz_model_destroy(m);
	byz_model_destroy(m2);
	return same;
}

static void test_bit_identical(void)
{
	const struct byz_model_spec mlp = {.kind = BYZ_MODEL_MLP, .channels = 1,
		.height = 8, .width = 16, .classes = 10, .hidden = {128, 64}};
	const struct byz_model_spec cnn = {.kind = BYZ_MODEL_CNN, .channels = 3,
		.height = 8, .width = 8, .classes = 10, .filters = 16};
	const struct byz_model_spec smx = {.kind = BYZ_MODEL_SOFTMAX, .channels = 1,
		.height = 16, .width = 16, .classes = 10};
	int saved = openblas_get_num_threads();
	CU_ASSERT(grads_identical(&mlp, 256, 1, 1));
	CU_ASSERT(grads_identical(&mlp, 256, 1, 4));
	CU_ASSERT(grads_identical(&mlp, 256, 2, 3));
	CU_ASSERT(grads_identical(&cnn, 64, 1, 4));
	CU_ASSERT(grads_identical(&smx, 512, 4, 1));
	openblas_set_num_threads(saved);
}

/* Every SIMD level of the products gives the scalar level's bits, for
 * both modes, odd widths and batches (1, not a multiple of any block). */
static void test_levels_identical(void)
{
	const struct byz_model_spec specs[] = {
		{.kind = BYZ_MODEL_SOFTMAX, .channels = 1, .height = 7, .width = 9, .classes = 5},
		{.kind = BYZ_MODEL_MLP, .channels = 1, .height = 5, .width = 13, .classes = 7,
		 .hidden = {37, 19}},
		{.kind = BYZ_MODEL_CNN, .channels = 3, .height = 7, .width = 6, .classes = 4,
		 .filters = 9},
	};
	static const uint32_t batches[] = {1, 7, 33};
	struct byz_rng r = {byz_test_seed() ^ 0x51d};
	int checked = 0;
	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++)
		for (uint32_t port = 0; port < 2; port++) {
			struct byz_model_spec sp = specs[s];
			sp.portable = port;
			struct byz_model *m = byz_model_create(&sp, NULL);
			CU_ASSERT_FATAL(m != NULL);
			size_t P = byz_model_num_params(m);
			size_t D = (size_t)sp.channels * sp.height * sp.width;
			float *p = malloc(P * 4), *g0 = malloc(P * 4), *g = malloc(P * 4);
			float *x = malloc(D * 33 * 4);
			uint32_t y[33];
			CU_ASSERT_FATAL(p && g0 && g && x);
			byz_model_init_params(m, 11, p);
			for (size_t i = 0; i < P; i++)
				if (p[i] == 0.0f)
					p[i] = (float)(0.1 * byz_rng_gauss(&r));
			for (size_t b = 0; b < 3; b++) {
				const uint32_t n = batches[b];
				random_batch(&r, D, n, sp.classes, x, y);
				double l0, l;
				CU_ASSERT_EQUAL(byz_model_set_kernel(m, BYZ_SIMD_SCALAR), BYZ_SIMD_SCALAR);
				CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, n, g0, &l0), 0);
				for (int lvl = 1; lvl <= (int)byz_cpu_simd_level(); lvl++) {
					CU_ASSERT_EQUAL(byz_model_set_kernel(m, (enum byz_simd_level)lvl), lvl);
					CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, n, g, &l), 0);
					int same = !memcmp(g0, g, P * 4) && l == l0;
					if (!same)
						fprintf(stderr, "\n%s portable %u batch %u: level %d differs "
							"from scalar\n", byz_model_kind_name(sp.kind), port, n, lvl);
					CU_ASSERT(same);
					checked++;
				}
			}
			free(p);
			free(g0);
			free(g);
			free(x);
			byz_model_destroy(m);
		}
	if (!checked)
		fprintf(stderr, "\n(scalar only on this CPU: no level to compare)\n");
	CU_ASSERT_EQUAL(byz_model_set_kernel(NULL, BYZ_SIMD_SCALAR), -EINVAL);
}

/* The fingerprint is a function of the spec on this host: stable, blind to
 * OpenBLAS threads, and sensitive to every field validators share. */
static void test_fingerprint(void)
{
	const struct byz_model_spec base = {.kind = BYZ_MODEL_MLP, .channels = 1,
		.height = 4, .width = 4, .classes = 3, .hidden = {8, 0}};
	uint8_t a[BYZ_MODEL_FINGERPRINT_LEN], b[BYZ_MODEL_FINGERPRINT_LEN];
	CU_ASSERT_EQUAL(byz_model_fingerprint(&base, a), 0);
	int saved = openblas_get_num_threads();
	openblas_set_num_threads(saved == 3 ? 2 : 3);
	CU_ASSERT_EQUAL(byz_model_fingerprint(&base, b), 0);
	openblas_set_num_threads(saved);
	CU_ASSERT(!memcmp(a, b, sizeof(a)));
	struct byz_model_spec v[6];
	for (int i = 0; i < 6; i++)
		v[i] = base;
	v[0].portable = 1;
	v[1].hidden[0] = 9;
	v[2].classes = 4;
	v[3].kind = BYZ_MODEL_SOFTMAX;
	v[4].openblas = 1;
	v[5].hidden[1] = 2;
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(byz_model_fingerprint(&v[i], b), 0);
		CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	}
	/* Fields the model ignores are normalised away (CNN filters of an MLP). */
	struct byz_model_spec same = base;
	same.filters = 5;
	CU_ASSERT_EQUAL(byz_model_fingerprint(&same, b), 0);
	CU_ASSERT(!memcmp(a, b, sizeof(a)));
	struct byz_model_spec bad = base;
	bad.classes = 1;
	CU_ASSERT_EQUAL(byz_model_fingerprint(&bad, b), -EINVAL);
	CU_ASSERT_EQUAL(byz_model_fingerprint(NULL, b), -EINVAL);
	CU_ASSERT_EQUAL(byz_model_fingerprint(&base, NULL), -EINVAL);
	const struct byz_model_spec cnn = {.kind = BYZ_MODEL_CNN, .channels = 2,
		.height = 5, .width = 6, .classes = 3, .filters = 4};
	CU_ASSERT_EQUAL(byz_model_fingerprint(&cnn, b), 0);
	CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
}

/* The opt-in OpenBLAS mode computes the same gradient to rounding (its
 * bits are not promised). */
static void test_openblas_mode(void)
{
	const struct byz_model_spec spec = {.kind = BYZ_MODEL_CNN, .channels = 3,
		.height = 8, .width = 8, .classes = 10, .filters = 8};
	struct byz_model_spec ob = spec;
	ob.openblas = 1;
	struct byz_model *md = byz_model_create(&spec, NULL), *mo = byz_model_create(&ob, NULL);
	CU_ASSERT_FATAL(md && mo);
	CU_ASSERT_EQUAL(byz_model_get_spec(mo)->openblas, 1);
	ob.portable = 1; /* portable wins */
	struct byz_model *mp = byz_model_create(&ob, NULL);
	CU_ASSERT_FATAL(mp != NULL);
	CU_ASSERT_EQUAL(byz_model_get_spec(mp)->openblas, 0);
	byz_model_destroy(mp);
	struct byz_rng r = {byz_test_seed() ^ 0x0b};
	size_t P = byz_model_num_params(md);
	float *p = malloc(P * 4), *gd = malloc(P * 4), *go = malloc(P * 4),
	      *x = malloc(192 * 32 * 4);
	uint32_t y[32];
	random_batch(&r, 192, 32, 10, x, y);
	byz_model_init_params(md, 4, p);
	double ld, lo;
	CU_ASSERT_EQUAL(byz_model_grad(md, p, x, y, 32, gd, &ld), 0);
	CU_ASSERT_EQUAL(byz_model_grad(mo, p, x, y, 32, go, &lo), 0);
	double gmax = 0, dmax = 0;
	for (size_t i = 0; i < P; i++) {
		gmax = fmax(gmax, fabs(gd[i]));
		dmax = fmax(dmax, fabs(gd[i] - go[i]));
	}
	CU_ASSERT(gmax > 0 && dmax <= 1e-4 * gmax);
	CU_ASSERT(fabs(ld - lo) <= 1e-5 * ld);
	free(p);
	free(gd);
	free(go);
	free(x);
	byz_model_destroy(md);
	byz_model_destroy(mo);
}

/* The portable products agree with the fused ones to rounding, and do not care
 * about the thread count either. */
static void test_portable_mode(void)
{
	const struct byz_model_spec specs[] = {
		{.kind = BYZ_MODEL_MLP, .channels = 1, .height = 8, .width = 16,
		 .classes = 10, .hidden = {64, 32}},
		{.kind = BYZ_MODEL_CNN, .channels = 3, .height = 8, .width = 8,
		 .classes = 10, .filters = 8},
	};
	struct byz_rng r = {byz_test_seed() ^ 0x99};
	for (size_t s = 0; s < 2; s++) {
		struct byz_model_spec ps = specs[s];
		ps.portable = 1;
		struct byz_model *mb = byz_model_create(&specs[s], NULL);
		struct byz_model *mp = byz_model_create(&ps, NULL);
		CU_ASSERT_FATAL(mb && mp);
		CU_ASSERT_EQUAL(byz_model_get_spec(mp)->portable, 1);
		size_t P = byz_model_num_params(mb);
		CU_ASSERT_EQUAL_FATAL(byz_model_num_params(mp), P);
		size_t D = 128 + (s ? 64 : 0);
		const uint32_t n = 64;
		float *p = malloc(P * 4), *gb = malloc(P * 4), *gp = malloc(P * 4),
		      *gq = malloc(P * 4), *x = malloc(D * n * 4);
		uint32_t y[64];
		random_batch(&r, D, n, 10, x, y);
		byz_model_init_params(mb, 5, p);
		double lb, lp;
		CU_ASSERT_EQUAL(byz_model_grad(mb, p, x, y, n, gb, &lb), 0);
		CU_ASSERT_EQUAL(byz_model_grad(mp, p, x, y, n, gp, &lp), 0);
		double gmax = 0, dmax = 0;
		for (size_t i = 0; i < P; i++) {
			gmax = fmax(gmax, fabs(gb[i]));
			dmax = fmax(dmax, fabs(gb[i] - gp[i]));
		}
		CU_ASSERT(gmax > 0 && dmax <= 1e-4 * gmax);
		CU_ASSERT(fabs(lb - lp) <= 1e-5 * lb);
		int saved = openblas_get_num_threads();
		openblas_set_num_threads(saved == 1 ? 3 : 1);
		CU_ASSERT_EQUAL(byz_model_grad(mp, p, x, y, n, gq, NULL), 0);
		openblas_set_num_threads(saved);
		CU_ASSERT(!memcmp(gp, gq, P * 4));
		free(p);
		free(gb);
		free(gp);
		free(gq);
		free(x);
		byz_model_destroy(mb);
		byz_model_destroy(mp);
	}
}

static void test_seeded_oracle(void)
{
	struct byz_synth_spec ss;
	struct byz_dataset tr, te;
	byz_synth_default(&ss);
	ss.n_train = 300;
	ss.n_test = 10;
	CU_ASSERT_FATAL(byz_synth_generate(&ss, &tr, &te) == 0);
	struct byz_model_spec sp = {.kind = BYZ_MODEL_MLP, .channels = ss.channels,
		.height = ss.height, .width = ss.width, .classes = ss.classes,
		.hidden = {8, 0}};
	struct byz_model *m = byz_model_create(&sp, NULL);
	CU_ASSERT_FATAL(m != NULL);
	size_t P = byz_model_num_params(m);
	float *p = malloc(P * 4), *g1 = malloc(P * 4), *g2 = malloc(P * 4);
	byz_model_init_params(m, 3, p);
	struct byz_seed seed, other;
	byz_seed_from_u64(byz_test_seed(), &seed);
	byz_seed_derive(&seed, 1, 2, &other);
	const uint32_t B = 16;
	uint32_t idx[16], y[16];
	float x[16 * 16];
	CU_ASSERT_FATAL(tr.dim == 16);
	/* The oracle is sample + gather + grad, nothing hidden. */
	for (int flip = 0; flip < 2; flip++) {
		uint32_t fl = flip ? BYZ_DATA_FLIP_LABELS : 0;
		CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &tr, &seed, B, fl, g1, NULL), 0);
		CU_ASSERT_EQUAL(byz_batch_sample(&seed, tr.n, B, idx), 0);
		CU_ASSERT_EQUAL(byz_dataset_gather(&tr, idx, B, fl, x, y), 0);
		for (uint32_t i = 0; i < B; i++)
			CU_ASSERT_EQUAL(y[i], flip ? tr.classes - 1 - tr.y[idx[i]] : tr.y[idx[i]]);
		CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, B, g2, NULL), 0);
		CU_ASSERT(!memcmp(g1, g2, P * 4));
	}
	/* The oracle-callback adapter is the same function. */
	struct byz_model_oracle orc = {.model = m, .data = &tr, .batch = B, .flags = 0};
	CU_ASSERT_EQUAL(byz_model_oracle_grad(&orc, p, P, seed.b, g2), 0);
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &tr, &seed, B, 0, g1, NULL), 0);
	CU_ASSERT(!memcmp(g1, g2, P * 4));
	CU_ASSERT_EQUAL(byz_model_oracle_grad(&orc, p, P + 1, seed.b, g2), -EINVAL);
	/* A different seed gives a different gradient; flipping changes it. */
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &tr, &other, B, 0, g2, NULL), 0);
	CU_ASSERT(memcmp(g1, g2, P * 4) != 0);
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &tr, &seed, B, BYZ_DATA_FLIP_LABELS, g2, NULL), 0);
	CU_ASSERT(memcmp(g1, g2, P * 4) != 0);
	/* Shape mismatch, bad flags, batch too big. */
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &te, &seed, 11, 0, g2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &tr, &seed, B, 0x80, g2, NULL), -EINVAL);
	te.width = 5;
	CU_ASSERT_EQUAL(byz_model_grad_seeded(m, p, &te, &seed, 1, 0, g2, NULL), -EINVAL);
	te.width = 4;
	free(p);
	free(g1);
	free(g2);
	byz_model_destroy(m);
	byz_dataset_free(&tr);
	byz_dataset_free(&te);
}

static void train_kind(const struct byz_model_spec *sp_in, double min_acc)
{
	struct byz_synth_spec ss;
	struct byz_dataset tr, te;
	byz_synth_default(&ss);
	ss.n_train = 2000;
	ss.n_test = 500;
	ss.height = sp_in->height;
	ss.width = sp_in->width;
	ss.seed = byz_test_seed();
	CU_ASSERT_FATAL(byz_synth_generate(&ss, &tr, &te) == 0);
	struct byz_model_spec sp = *sp_in;
	sp.classes = ss.classes;
	struct byz_model *m = byz_model_create(&sp, NULL);
	CU_ASSERT_FATAL(m != NULL);
	size_t P = byz_model_num_params(m);
	float *p = malloc(P * 4), *g = malloc(P * 4), *v = calloc(P, 4);
	byz_model_init_params(m, ss.seed, p);
	double loss0, loss1, acc0, acc1;
	CU_ASSERT_EQUAL(byz_model_evaluate(m, p, &te, &acc0, &loss0), 0);
	struct byz_sgd_params opt = {.lr = 0.05f, .momentum = 0.9f,
				     .weight_decay = 1e-4f, .nesterov = 1};
	struct byz_seed base, s;
	byz_seed_from_u64(ss.seed, &base);
	for (uint64_t t = 0; t < 150; t++) {
		byz_seed_derive(&base, 0, t, &s);
		CU_ASSERT_EQUAL_FATAL(byz_model_grad_seeded(m, p, &tr, &s, 32, 0, g, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(byz_sgd_step(&opt, p, v, g, P), 0);
	}
	CU_ASSERT_EQUAL(byz_model_evaluate(m, p, &te, &acc1, &loss1), 0);
	if (!(loss1 < 0.8 * loss0 && acc1 >= min_acc))
		fprintf(stderr, "\n%s: loss %.4f -> %.4f, acc %.3f -> %.3f\n",
			byz_model_kind_name(sp.kind), loss0, loss1, acc0, acc1);
	CU_ASSERT(loss1 < 0.8 * loss0);
	CU_ASSERT(acc1 >= min_acc);
	free(p);
	free(g);
	free(v);
	byz_model_destroy(m);
	byz_dataset_free(&tr);
	byz_dataset_free(&te);
}

static void test_loss_decreases(void)
{
	/* Chance is 0.25 (4 classes). */
	const struct byz_model_spec smx = {.kind = BYZ_MODEL_SOFTMAX, .channels = 1, .height = 4, .width = 4};
	const struct byz_model_spec mlp = {.kind = BYZ_MODEL_MLP, .channels = 1, .height = 4, .width = 4, .hidden = {32, 0}};
	const struct byz_model_spec cnn = {.kind = BYZ_MODEL_CNN, .channels = 1, .height = 4, .width = 4, .filters = 8};
	train_kind(&smx, 0.5);
	train_kind(&mlp, 0.5);
	train_kind(&cnn, 0.5);
}

static void test_sgd_formula(void)
{
	struct byz_rng r = {byz_test_seed() + 5};
	enum { D = 257 };
	float x[D], v[D], g[D], x2[D], v2[D];
	for (int i = 0; i < D; i++) {
		x[i] = (float)byz_rng_gauss(&r);
		v[i] = (float)byz_rng_gauss(&r);
		g[i] = (float)byz_rng_gauss(&r);
	}
	for (int nest = 0; nest < 2; nest++) {
		struct byz_sgd_params p = {.lr = 0.1f, .momentum = 0.9f,
					   .weight_decay = 0.01f, .nesterov = nest};
		memcpy(x2, x, sizeof(x));
		memcpy(v2, v, sizeof(v));
		CU_ASSERT_EQUAL(byz_sgd_step(&p, x2, v2, g, D), 0);
		for (int i = 0; i < D; i++) {
			double gg = g[i] + 0.01 * x[i];
			double vv = 0.9 * v[i] + gg;
			double xx = x[i] - 0.1 * (nest ? gg + 0.9 * vv : vv);
			CU_ASSERT(fabs(v2[i] - vv) <= 1e-5 * (1 + fabs(vv)));
			CU_ASSERT(fabs(x2[i] - xx) <= 1e-5 * (1 + fabs(xx)));
		}
	}
	struct byz_sgd_params bad = {.lr = 0.1f, .momentum = 0.0f, .nesterov = 1};
	CU_ASSERT_EQUAL(byz_sgd_step(&bad, x, v, g, D), -EINVAL);
	bad.momentum = 1.0f;
	CU_ASSERT_EQUAL(byz_sgd_step(&bad, x, v, g, D), -EINVAL);
	bad.momentum = 0.5f;
	bad.lr = -1;
	CU_ASSERT_EQUAL(byz_sgd_step(&bad, x, v, g, D), -EINVAL);
	bad.lr = NAN;
	CU_ASSERT_EQUAL(byz_sgd_step(&bad, x, v, g, D), -EINVAL);
}

static void test_bad_arguments(void)
{
	int err = 0;
	struct byz_model_spec s = {.kind = BYZ_MODEL_MLP, .channels = 1, .height = 2, .width = 2, .classes = 3};
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -EINVAL); /* no hidden */
	s.hidden[0] = BYZ_MODEL_MAX_WIDTH + 1;
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -ERANGE);
	s.kind = BYZ_MODEL_CNN;
	s.filters = 2;
	s.height = 1;
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -EINVAL);
	s.kind = (enum byz_model_kind)17;
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -EINVAL);
	s.kind = BYZ_MODEL_SOFTMAX;
	s.height = 2;
	s.classes = 1;
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -EINVAL);
	s.classes = 3;
	s.width = 1u << 20;
	CU_ASSERT(byz_model_create(&s, &err) == NULL && err == -ERANGE);
	s.width = 2;
	struct byz_model *m = byz_model_create(&s, &err);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(byz_model_num_params(m), 4 * 3 + 3);
	float p[15], g[15], x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint32_t y[2] = {0, 3};
	double l;
	byz_model_init_params(m, 1, p);
	CU_ASSERT_EQUAL(byz_model_loss(m, p, x, y, 2, &l), -EINVAL); /* label 3 */
	y[1] = 2;
	CU_ASSERT_EQUAL(byz_model_loss(m, p, x, y, 0, &l), -EINVAL);
	CU_ASSERT_EQUAL(byz_model_loss(m, p, x, y, 2, &l), 0);
	p[0] = NAN;
	CU_ASSERT_EQUAL(byz_model_grad(m, p, x, y, 2, g, &l), -EDOM);
	p[0] = INFINITY;
	CU_ASSERT_EQUAL(byz_model_loss(m, p, x, y, 2, &l), -EDOM);
	enum byz_model_kind k;
	CU_ASSERT(byz_model_kind_parse("cnn", &k) == 0 && k == BYZ_MODEL_CNN);
	CU_ASSERT_EQUAL(byz_model_kind_parse("resnet", &k), -EINVAL);
	byz_model_destroy(m);
	byz_model_destroy(NULL);
}

static void test_init_deterministic(void)
{
	const struct byz_model_spec s = {.kind = BYZ_MODEL_CNN, .channels = 2, .height = 6, .width = 6, .classes = 5, .filters = 4};
	struct byz_model *m = byz_model_create(&s, NULL);
	CU_ASSERT_FATAL(m != NULL);
	size_t P = byz_model_num_params(m);
	CU_ASSERT_EQUAL(P, 4 * 18 + 4 + 5 * 4 * 3 * 3 + 5);
	float *a = malloc(P * 4), *b = malloc(P * 4);
	byz_model_init_params(m, 9, a);
	byz_model_init_params(m, 9, b);
	CU_ASSERT(!memcmp(a, b, P * 4));
	byz_model_init_params(m, 10, b);
	CU_ASSERT(memcmp(a, b, P * 4) != 0);
	/* Glorot bound of the conv kernel: sqrt(6 / (18 + 36)). */
	double bound = sqrt(6.0 / 54.0);
	for (size_t i = 0; i < 72; i++)
		CU_ASSERT(fabs(a[i]) <= bound);
	for (size_t i = 72; i < 76; i++)
		CU_ASSERT_EQUAL(a[i], 0.0f);
	free(a);
	free(b);
	byz_model_destroy(m);
}

/* OPENBLAS_CORETYPE=SkylakeX on a CPU without AVX-512 would crash
 * OpenBLAS's kernels (the opt-in mode test runs them): skip, saying why. */
static int coretype_unrunnable(void)
{
	const char *ct = getenv("OPENBLAS_CORETYPE");
	if (!ct || (strcasecmp(ct, "SkylakeX") && strcasecmp(ct, "Cooperlake") &&
		    strcasecmp(ct, "SapphireRapids")))
		return 0;
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	return !__builtin_cpu_supports("avx512f");
#else
	return 1;
#endif
}

int main(void)
{
	static const struct byz_test_case cases[] = {
	      {"grad vs finite differences", test_grad_vs_finite_differences},
	      {"bit-identical gradients", test_bit_identical},
	      {"simd levels identical", test_levels_identical},
	      {"fingerprint", test_fingerprint},
	      {"openblas mode", test_openblas_mode},
	      {"portable products", test_portable_mode},
	      {"seeded oracle", test_seeded_oracle},
	      {"loss decreases", test_loss_decreases},
	      {"sgd formula", test_sgd_formula},
	      {"bad arguments", test_bad_arguments},
	      {"init deterministic", test_init_deterministic},
	      {NULL, NULL}};
	if (coretype_unrunnable()) {
		printf("skip: OPENBLAS_CORETYPE=%s needs AVX-512, which this CPU lacks\n",
		       getenv("OPENBLAS_CORETYPE"));
		return 77;
	}
	fprintf(stderr, "OPENBLAS_NUM_THREADS=%s OMP_NUM_THREADS=%s OPENBLAS_CORETYPE=%s "
		"(OpenBLAS says %s, %d threads)\n",
		getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "-",
		getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "-",
		getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "-",
		openblas_get_corename(), openblas_get_num_threads());
	return byz_test_run("train-model", cases);
}
