/*
 * DESIGN: built-in models, the gradient oracle of experiments and tests.
 *
 * A model is a dense stack (softmax regression: one layer; MLP: one or two
 * ReLU hidden layers plus the output layer), optionally behind one
 * convolution front end (3x3 same conv as im2col + sgemm, ReLU, 2x2 max
 * pool). Parameters are one flat float32 vector in a documented layout,
 * because the protocol hashes, splits and aggregates flat vectors.
 *
 * Determinism is the point: validators recompute a peer's gradient from
 * public data and compare bits. So products go through the in-repo gemm
 * (gemm.c: one accumulator per output element walking k in order, fused
 * or not, single-threaded; the same bits at every SIMD level) with shapes
 * that depend only on the batch size. OpenBLAS is an explicit opt-in
 * (spec.openblas): its Zen kernels were measured to split inner sums
 * across threads, so its bits follow the host's core count. The other
 * reductions are loops in a fixed order, the softmax and the loss are
 * evaluated in double, and the library is compiled with -ffp-contract=off
 * so that the compiler cannot fuse multiply-adds differently on different
 * -march settings.
 * A model object owns its scratch; it grows to the largest batch seen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "byz/err.h"
#include "byz/wire.h"
#include "gemm.h"
#include "model_internal.h"
#include "train_rng.h"

static const char *const kind_names[BYZ_MODEL_KIND_COUNT] = {
	[BYZ_MODEL_SOFTMAX] = "softmax",
	[BYZ_MODEL_MLP] = "mlp",
	[BYZ_MODEL_CNN] = "cnn",
};

const char *byz_model_kind_name(enum byz_model_kind kind)
{
	return (unsigned)kind < BYZ_MODEL_KIND_COUNT ? kind_names[kind] : "?";
}

int byz_model_kind_parse(const char *name, enum byz_model_kind *kind)
{
	if (!name || !kind)
		return -EINVAL;
	for (int i = 0; i < BYZ_MODEL_KIND_COUNT; i++)
		if (!strcasecmp(name, kind_names[i])) {
			*kind = (enum byz_model_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* Lay out parameters; 0, -EINVAL or -ERANGE. */
static int model_layout(struct byz_model *m)
{
	const struct byz_model_spec *s = &m->spec;
	uint64_t in = (uint64_t)s->channels * s->height * s->width;
	if (!s->channels || !s->height || !s->width || s->classes < 2)
		return -EINVAL;
	if (in > BYZ_DATA_MAX_DIM || s->classes > BYZ_DATA_MAX_CLASSES)
		return -ERANGE;
	m->in_dim = (uint32_t)in;
	uint64_t off = 0;
	switch (s->kind) {
	case BYZ_MODEL_SOFTMAX:
		m->ndense = 1;
		m->width[0] = m->in_dim;
		break;
	case BYZ_MODEL_MLP:
		if (!s->hidden[0])
			return -EINVAL;
		if (s->hidden[0] > BYZ_MODEL_MAX_WIDTH ||
		    s->hidden[1] > BYZ_MODEL_MAX_WIDTH)
			return -ERANGE;
		m->ndense = s->hidden[1] ? 3 : 2;
		m->width[0] = m->in_dim;
		m->width[1] = s->hidden[0];
		if (s->hidden[1])
			m->width[2] = s->hidden[1];
		break;
	case BYZ_MODEL_CNN:
		if (!s->filters || s->height < 2 || s->width < 2)
			return -EINVAL;
		if (s->filters > BYZ_MODEL_MAX_WIDTH || s->channels > 4096)
			return -ERANGE;
		m->conv = 1;
		m->filters = s->filters;
		m->k9 = s->channels * 9;
		m->hw = s->height * s->width;
		m->h2 = s->height / 2;
		m->w2 = s->width / 2;
		m->k_off = 0;
		m->bk_off = (size_t)m->filters * m->k9;
		off = m->bk_off + m->filters;
		m->ndense = 1;
		m->width[0] = m->filters * m->h2 * m->w2;
		if ((uint64_t)m->filters * m->h2 * m->w2 > BYZ_DATA_MAX_DIM)
			return -ERANGE;
		break;
	default:
		return -EINVAL;
	}
	m->width[m->ndense] = s->classes;
	for (uint32_t l = 0; l < m->ndense; l++) {
		m->w_off[l] = (size_t)off;
		off += (uint64_t)m->width[l] * m->width[l + 1];
		m->b_off[l] = (size_t)off;
		off += m->width[l + 1];
		if (off > BYZ_MODEL_MAX_PARAMS)
			return -ERANGE;
	}
	m->nparams = (size_t)off;
	return 0;
}

struct byz_model *byz_model_create(const struct byz_model_spec *spec,
				   int *err)
{
	int rc = -EINVAL;
	struct byz_model *m = NULL;
	if (!spec)
		goto fail;
	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = -ENOMEM;
		goto fail;
	}
	m->spec = *spec;
	if (spec->kind != BYZ_MODEL_MLP)
		m->spec.hidden[0] = m->spec.hidden[1] = 0;
	if (spec->kind != BYZ_MODEL_CNN)
		m->spec.filters = 0;
	m->spec.portable = spec->portable ? 1 : 0;
	m->spec.openblas = spec->openblas && !spec->portable ? 1 : 0;
	m->simd = gemm_level_max();
	rc = model_layout(m);
	if (rc)
		goto fail;
	if (err)
		*err = 0;
	return m;
fail:
	free(m);
	if (err)
		*err = rc;
	return NULL;
}

void byz_model_destroy(struct byz_model *m)
{
	if (!m)
		return;
	for (uint32_t l = 0; l <= MODEL_MAX_DENSE; l++)
		free(m->act[l]);
	free(m->delta);
	free(m->delta2);
	free(m->col);
	free(m->cz);
	free(m->dcz);
	free(m->amax);
	free(m->bx);
	free(m->by);
	free(m->bidx);
	free(m->pack);
	free(m);
}

int byz_model_set_kernel(struct byz_model *m, enum byz_simd_level cap)
{
	if (!m)
		return -EINVAL;
	int lvl = gemm_level_max();
	m->simd = (int)cap < lvl ? (int)cap : lvl;
	if (m->simd < 0)
		m->simd = BYZ_SIMD_SCALAR;
	return m->simd;
}

size_t byz_model_num_params(const struct byz_model *m)
{
	return m ? m->nparams : 0;
}

const struct byz_model_spec *byz_model_get_spec(const struct byz_model *m)
{
	return m ? &m->spec : NULL;
}

static void init_uniform(struct train_rng *r, float *w, size_t count,
			 double fan_in, double fan_out)
{
	double a = sqrt(6.0 / (fan_in + fan_out)); /* sqrt is exact IEEE */
	for (size_t i = 0; i < count; i++)
		w[i] = (float)((2.0 * train_rng_unif(r) - 1.0) * a);
}

int byz_model_init_params(const struct byz_model *m, uint64_t seed,
			  float *params)
{
	if (!m || !params)
		return -EINVAL;
	struct train_rng r;
	train_rng_seed_u64(&r, seed);
	memset(params, 0, m->nparams * sizeof(float));
	if (m->conv)
		init_uniform(&r, params + m->k_off, m->bk_off - m->k_off,
			     m->k9, 9.0 * m->filters);
	for (uint32_t l = 0; l < m->ndense; l++)
		init_uniform(&r, params + m->w_off[l],
			     (size_t)m->width[l] * m->width[l + 1], m->width[l],
			     m->width[l + 1]);
	return 0;
}

static int check_batch(const struct byz_model *m, const float *params,
		       const float *x, const uint32_t *y, uint32_t n)
{
	if (!m || !params || !x || !y || !n)
		return -EINVAL;
	if (n > BYZ_BATCH_MAX)
		return -ERANGE;
	for (uint32_t i = 0; i < n; i++)
		if (y[i] >= m->spec.classes)
			return -EINVAL;
	return 0;
}

/* Softmax cross-entropy of the logits in act[ndense], in double. With
 * dlogits != NULL also writes (p - onehot) / n there. Returns the summed
 * loss (not divided by n); the caller checks it for finiteness. Counts
 * correct argmax predictions (ties to the lowest class) into *correct. */
static double softmax_xent(const struct byz_model *m, const uint32_t *y,
			   uint32_t n, float *dlogits, uint64_t *correct)
{
	const uint32_t C = m->spec.classes;
	const float *lg = m->act[m->ndense];
	double total = 0;
	for (uint32_t i = 0; i < n; i++) {
		const float *li = lg + (size_t)i * C;
		uint32_t arg = 0;
		for (uint32_t c = 1; c < C; c++)
			if (li[c] > li[arg])
				arg = c;
		if (correct && arg == y[i])
			(*correct)++;
		double mx = li[arg], s = 0;
		for (uint32_t c = 0; c < C; c++)
			s += exp((double)li[c] - mx);
		total += mx + log(s) - (double)li[y[i]];
		if (dlogits) {
			float *di = dlogits + (size_t)i * C;
			for (uint32_t c = 0; c < C; c++) {
				double p = exp((double)li[c] - mx) / s;
				di[c] = (float)((p - (c == y[i] ? 1.0 : 0.0)) / n);
			}
		}
	}
	return total;
}

int byz_model_loss(struct byz_model *m, const float *params, const float *x,
		   const uint32_t *y, uint32_t n, double *loss)
{
	int rc = check_batch(m, params, x, y, n);
	if (!rc && !loss)
		rc = -EINVAL;
	if (!rc)
		rc = model_forward(m, params, x, n);
	if (rc)
		return rc;
	*loss = softmax_xent(m, y, n, NULL, NULL) / n;
	return isfinite(*loss) ? 0 : -EDOM;
}

int byz_model_grad(struct byz_model *m, const float *params, const float *x,
		   const uint32_t *y, uint32_t n, float *grad, double *loss)
{
	int rc = check_batch(m, params, x, y, n);
	if (!rc && !grad)
		rc = -EINVAL;
	if (!rc)
		rc = model_forward(m, params, x, n);
	if (rc)
		return rc;
	double l = softmax_xent(m, y, n, m->delta, NULL) / n;
	model_backward(m, params, x, n, grad);
	if (loss)
		*loss = l;
	return isfinite(l) ? 0 : -EDOM;
}

static int shape_matches(const struct byz_model *m, const struct byz_dataset *ds)
{
	return ds->channels == m->spec.channels && ds->height == m->spec.height &&
	       ds->width == m->spec.width && ds->classes == m->spec.classes &&
	       ds->dim == m->in_dim && ds->x && ds->y;
}

int byz_model_grad_seeded(struct byz_model *m, const float *params,
			  const struct byz_dataset *ds,
			  const struct byz_seed *seed, uint32_t batch,
			  uint32_t flags, float *grad, double *loss)
{
	if (!m || !ds || !seed || !shape_matches(m, ds))
		return -EINVAL;
	if (batch > BYZ_BATCH_MAX)
		return -ERANGE;
	int rc = model_reserve(m, batch);
	if (!rc)
		rc = byz_batch_sample(seed, ds->n, batch, m->bidx);
	if (!rc)
		rc = byz_dataset_gather(ds, m->bidx, batch, flags, m->bx, m->by);
	if (!rc)
		rc = byz_model_grad(m, params, m->bx, m->by, batch, grad, loss);
	return rc;
}

int byz_model_oracle_grad(void *ctx, const float *x, size_t d,
			  const uint8_t seed[32], float *g)
{
	const struct byz_model_oracle *o = ctx;
	struct byz_seed s;
	if (!o || !o->model || !seed || d != o->model->nparams)
		return -EINVAL;
	memcpy(s.b, seed, sizeof(s.b));
	return byz_model_grad_seeded(o->model, x, o->data, &s, o->batch,
				     o->flags, g, NULL);
}

/* Examples per forward pass while evaluating. */
#define EVAL_CHUNK 256u

int byz_model_evaluate(struct byz_model *m, const float *params,
		       const struct byz_dataset *ds, double *acc, double *loss)
{
	if (!m || !params || !ds || !ds->n || !shape_matches(m, ds))
		return -EINVAL;
	for (uint32_t i = 0; i < ds->n; i++)
		if (ds->y[i] >= m->spec.classes)
			return -EINVAL;
	uint64_t correct = 0;
	double total = 0;
	for (uint32_t i0 = 0; i0 < ds->n; i0 += EVAL_CHUNK) {
		uint32_t cnt = ds->n - i0 < EVAL_CHUNK ? ds->n - i0 : EVAL_CHUNK;
		int rc = model_forward(m, params, ds->x + (size_t)i0 * ds->dim, cnt);
		if (rc)
			return rc;
		total += softmax_xent(m, ds->y + i0, cnt, NULL, &correct);
	}
	if (acc)
		*acc = (double)correct / ds->n;
	if (loss)
		*loss = total / ds->n;
	return isfinite(total) ? 0 : -EDOM;
}

int byz_sgd_step(const struct byz_sgd_params *p, float *x, float *velocity,
		 const float *grad, size_t d)
{
	if (!p || !x || !velocity || !grad || !(p->lr > 0) ||
	    !(p->momentum >= 0) || !(p->momentum < 1) ||
	    !(p->weight_decay >= 0) || !isfinite(p->lr) ||
	    !isfinite(p->weight_decay) || (p->nesterov && !(p->momentum > 0)))
		return -EINVAL;
	const float lr = p->lr, mu = p->momentum, wd = p->weight_decay;
	for (size_t i = 0; i < d; i++) {
		float g = grad[i] + wd * x[i];
		float v = mu * velocity[i] + g;
		velocity[i] = v;
		x[i] -= lr * (p->nesterov ? g + mu * v : v);
	}
	return 0;
}

/* Fingerprint batch: fixed, and small so that start-up stays cheap. */
#define FP_BATCH 16u

int byz_model_fingerprint(const struct byz_model_spec *spec,
			  uint8_t out[BYZ_MODEL_FINGERPRINT_LEN])
{
	if (!spec || !out)
		return -EINVAL;
	int rc;
	struct byz_model *m = byz_model_create(spec, &rc);
	if (!m)
		return rc;
	const size_t P = m->nparams, D = m->in_dim;
	float *p = malloc(P * sizeof(float)), *g = malloc(P * sizeof(float));
	float *x = malloc(D * FP_BATCH * sizeof(float));
	uint32_t y[FP_BATCH];
	double loss = 0;
	rc = p && g && x ? 0 : -ENOMEM;
	if (!rc) {
		/* Inputs in [-1, 1) and non-zero biases, so that every path
		 * (ReLU cuts, pooling choices, bias sums) carries bits. */
		struct train_rng r;
		train_rng_seed_u64(&r, 0x66696e6765727072ull);
		for (size_t i = 0; i < D * FP_BATCH; i++)
			x[i] = (float)(2.0 * train_rng_unif(&r) - 1.0);
		for (uint32_t i = 0; i < FP_BATCH; i++)
			y[i] = i % spec->classes;
		rc = byz_model_init_params(m, 0x62797a66696e6765ull, p);
		for (size_t i = 0; !rc && i < P; i++)
			if (p[i] == 0.0f)
				p[i] = (float)(0.2 * train_rng_unif(&r) - 0.1);
	}
	if (!rc)
		rc = byz_model_grad(m, p, x, y, FP_BATCH, g, &loss);
	if (!rc) {
		/* The normalised spec, the loss and the gradient, little endian. */
		const struct byz_model_spec *s = &m->spec;
		const uint32_t f[] = {1, s->kind, s->channels, s->height, s->width,
				      s->classes, s->hidden[0], s->hidden[1],
				      s->filters, s->portable, s->openblas};
		uint8_t buf[1024];
		crypto_generichash_state st;
		crypto_generichash_init(&st, NULL, 0, BYZ_MODEL_FINGERPRINT_LEN);
		static const char dom[] = "byzreduce model fingerprint";
		crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom));
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			byz_put32(buf + 4 * i, f[i]);
		uint64_t lb;
		memcpy(&lb, &loss, sizeof(lb));
		byz_put64(buf + 4 * (sizeof(f) / sizeof(f[0])), lb);
		crypto_generichash_update(&st, buf, 4 * (sizeof(f) / sizeof(f[0])) + 8);
		for (size_t i = 0; i < P;) {
			size_t c = P - i < 256 ? P - i : 256;
			for (size_t k = 0; k < c; k++)
				byz_putf32(buf + 4 * k, g[i + k]);
			crypto_generichash_update(&st, buf, 4 * c);
			i += c;
		}
		crypto_generichash_final(&st, out, BYZ_MODEL_FINGERPRINT_LEN);
	}
	free(p);
	free(g);
	free(x);
	byz_model_destroy(m);
	return rc;
}
