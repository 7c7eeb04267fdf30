/**
 * @file byz/model.h
 * @brief Built-in deterministic models (the experiments' gradient oracle)
 * and the SGD optimizer on flat parameter vectors.
 *
 * Models: softmax regression, an MLP with one or two ReLU hidden layers, and
 * a small CNN (3x3 same-padding convolution -> ReLU -> 2x2 max pool ->
 * dense softmax). All parameters live in one flat float32 vector; its
 * layout is fixed and documented in docs/training.md:
 *   softmax: W[C][D], b[C]
 *   mlp:     W1[H1][D], b1[H1], (W2[H2][H1], b2[H2],) Wo[C][H], bo[C]
 *   cnn:     K[F][Cin][3][3], bk[F], Wo[C][F][H/2][W/2], bo[C]
 * The loss is the mean softmax cross-entropy over the batch (no weight
 * decay in the loss: the optimizer applies it).
 *
 * Determinism: every product goes through the in-repo byz_gemm, whose
 * output elements are each one sum in k order (vectorised across output
 * columns, never across k) on one thread, so the same parameters and
 * examples give bit-identical losses and gradients whatever the thread
 * count, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or OPENBLAS_CORETYPE say.
 * The default mode fuses each step (fmaf, exactly rounded), so its scalar,
 * AVX2 and AVX-512 kernels give the same bits: a CPU family or SIMD level
 * does not change them either. spec.portable rounds the product and the
 * sum separately, for hosts without FMA hardware (where fmaf is slow).
 * Softmax and loss are computed in float64; what can still change bits is
 * another libm (exp, log) or a compiler that fuses despite
 * -ffp-contract=off. spec.openblas (opt-in) uses OpenBLAS sgemm, which is
 * NOT reproducible across thread counts or kernels (tolerance-validated
 * swarms only). byz_model_fingerprint lets peers compare all of this at
 * start-up. See docs/training.md.
 *
 * Thread safety: a model object holds scratch memory, so one object must
 * not be used by two threads at once; create one per thread. Functions
 * without a model argument are reentrant.
 */
#ifndef BYZ_MODEL_H
#define BYZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "byz/cpu.h"
#include "byz/data.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Model families. */
enum byz_model_kind {
	BYZ_MODEL_SOFTMAX = 0, /**< softmax (multinomial logistic) regression */
	BYZ_MODEL_MLP,         /**< 1 or 2 hidden ReLU layers */
	BYZ_MODEL_CNN,         /**< conv3x3 -> ReLU -> maxpool2x2 -> dense */
	BYZ_MODEL_KIND_COUNT
};

/** Largest parameter count a model may have. */
#define BYZ_MODEL_MAX_PARAMS ((size_t)1 << 28)
/** Largest width of a hidden layer or filter count. */
#define BYZ_MODEL_MAX_WIDTH 65536u

/** What to build. */
struct byz_model_spec {
	enum byz_model_kind kind;
	uint32_t channels, height, width; /**< input shape (CHW) */
	uint32_t classes;                 /**< >= 2 */
	uint32_t hidden[2]; /**< MLP widths; hidden[1] = 0: one hidden layer */
	uint32_t filters;   /**< CNN: number of 3x3 filters */
	/** 0: products with one fused multiply-add per step, in k order
	 *  (bit-identical across thread counts, SIMD levels and CPUs with
	 *  FMA; without FMA hardware fmaf is emulated, slowly). 1: product
	 *  then sum, each rounded (bit-identical on every IEEE-754 machine;
	 *  gives other bits than 0). Part of what validators share. */
	uint32_t portable;
	/** 1: products on OpenBLAS sgemm instead (opt-in, ignored when
	 *  portable is set). Faster on large shapes, but its bits depend on
	 *  the OpenBLAS kernel set and thread count: only for swarms that
	 *  validate with a tolerance. */
	uint32_t openblas;
};

struct byz_model;

/**
 * @brief Build a model.
 * @param spec what to build (copied)
 * @param err  NULL or out: 0, -EINVAL (bad kind, zero size, MLP without
 *             hidden[0], CNN with height or width < 2), -ERANGE (over the
 *             limits), -ENOMEM
 * @return the model (free with byz_model_destroy), or NULL and *err set
 */
struct byz_model *byz_model_create(const struct byz_model_spec *spec,
				   int *err);

/** @brief Free a model. NULL is a no-op. */
void byz_model_destroy(struct byz_model *m);

/**
 * @brief Cap the SIMD level of this model's products (tests, benchmarks).
 * The bits do not depend on the level; only the speed does.
 * @return the level now in use (@p cap lowered to what the build and CPU
 *         run), or -EINVAL (NULL @p m)
 */
int byz_model_set_kernel(struct byz_model *m, enum byz_simd_level cap);

/** @brief Number of parameters (length of every flat vector). */
size_t byz_model_num_params(const struct byz_model *m);

/** @brief The spec the model was built from. */
const struct byz_model_spec *byz_model_get_spec(const struct byz_model *m);

/** @brief "softmax", "mlp", "cnn" (or "?"). */
const char *byz_model_kind_name(enum byz_model_kind kind);

/** @brief Parse a kind name. @return 0 or -EINVAL. */
int byz_model_kind_parse(const char *name, enum byz_model_kind *kind);

/**
 * @brief Initialise parameters from a seed: weights uniform in
 * [-a, a] with a = sqrt(6 / (fan_in + fan_out)) (Glorot), biases 0.
 * Uses no libm call, so the same seed gives the same bits everywhere.
 * @param params out: byz_model_num_params(m) floats
 * @return 0 or -EINVAL
 */
int byz_model_init_params(const struct byz_model *m, uint64_t seed,
			  float *params);

/**
 * @brief Mean cross-entropy of a batch.
 * @param x     n examples of the model's input dimension (CHW)
 * @param y     n labels < classes
 * @param n     1..BYZ_BATCH_MAX
 * @param loss  out
 * @return 0; -EINVAL (NULL, n == 0, label out of range); -ERANGE; -ENOMEM;
 *         -EDOM (parameters or inputs not finite: the loss is NaN/Inf)
 */
int byz_model_loss(struct byz_model *m, const float *params, const float *x,
		   const uint32_t *y, uint32_t n, double *loss);

/**
 * @brief Gradient of the mean cross-entropy of a batch.
 * @param grad out: byz_model_num_params(m) floats (fully written)
 * @param loss NULL or out: the batch loss
 * @return as byz_model_loss
 */
int byz_model_grad(struct byz_model *m, const float *params, const float *x,
		   const uint32_t *y, uint32_t n, float *grad, double *loss);

/**
 * @brief The gradient oracle: sample a batch of @p batch examples of
 * @p ds from @p seed (byz_batch_sample), apply @p flags (enum
 * byz_data_flags, e.g. BYZ_DATA_FLIP_LABELS for the label-flip attack) and
 * return the gradient. A pure function of (model spec, params, ds, seed,
 * batch, flags) on one build: this is what validators recompute.
 * @return 0; -EINVAL (shape of @p ds does not match the model, bad flags,
 *         batch > ds->n); as byz_model_grad otherwise
 */
int byz_model_grad_seeded(struct byz_model *m, const float *params,
			  const struct byz_dataset *ds,
			  const struct byz_seed *seed, uint32_t batch,
			  uint32_t flags, float *grad, double *loss);

/**
 * Context of byz_model_oracle_grad: the protocol's gradient-oracle callback
 * (byz_grad_fn in byz/oracle.h) backed by a built-in model. Borrowed
 * pointers; one context per thread (the model holds scratch).
 */
struct byz_model_oracle {
	struct byz_model *model;        /**< borrowed */
	const struct byz_dataset *data; /**< borrowed, the training split */
	uint32_t batch;                 /**< examples per gradient */
	uint32_t flags;                 /**< enum byz_data_flags (0 if honest) */
};

/**
 * @brief byz_model_grad_seeded with the oracle callback's signature:
 * int (*)(void *ctx, const float *x, size_t d, const uint8_t seed[32],
 * float *g). ctx is a struct byz_model_oracle.
 * @return as byz_model_grad_seeded; -EINVAL if d differs from the model's
 *         parameter count
 */
int byz_model_oracle_grad(void *ctx, const float *x, size_t d,
			  const uint8_t seed[32], float *g);

/**
 * @brief Accuracy (share of argmax(logits) == label, ties to the lowest
 * class) and mean loss over a whole dataset.
 * @param acc  NULL or out, in [0, 1]
 * @param loss NULL or out
 * @return 0; -EINVAL (NULL, shape mismatch, empty); -ENOMEM; -EDOM (the
 *         loss is not finite; *acc and *loss are still written, NaN logits
 *         predicting class 0)
 */
int byz_model_evaluate(struct byz_model *m, const float *params,
		       const struct byz_dataset *ds, double *acc,
		       double *loss);

/** Bytes of a model fingerprint. */
#define BYZ_MODEL_FINGERPRINT_LEN 32

/**
 * @brief Known-answer fingerprint of a model spec on this host: the
 * BLAKE2b-256 hash of the spec, the loss and the gradient at parameters
 * from a fixed seed on a fixed synthetic batch of 16 examples. Two hosts
 * with equal fingerprints ran the same products, softmax and libm on this
 * batch; a host whose kernels, compiler flags or libm change the bits gets
 * another value, so a swarm can compare it at join time instead of banning
 * an honest peer later (a difference that this batch does not trigger can
 * still exist; equal values are evidence, not proof).
 * @param out out: BYZ_MODEL_FINGERPRINT_LEN bytes
 * @return 0; as byz_model_create; -ENOMEM; -EDOM (the gradient is not
 *         finite)
 */
int byz_model_fingerprint(const struct byz_model_spec *spec,
			  uint8_t out[BYZ_MODEL_FINGERPRINT_LEN]);

/**
 * @brief The models' deterministic product, C[M x N] = op(A) op(B)
 * (row-major; op transposes when @p ta / @p tb is set; C is overwritten).
 * Every C(i,j) is acc = +0; acc = fmaf(a(i,k), b(k,j), acc) for k in
 * order when @p fused, else acc = acc + a(i,k) * b(k,j) with both
 * operations rounded. One thread; the result does not depend on @p level.
 * @param level cap on the kernel (lowered to what the build and CPU run)
 * @return 0; -EINVAL (NULL with a non-empty shape, negative size, leading
 *         dimension too small); -ENOMEM (panel scratch)
 */
int byz_gemm(enum byz_simd_level level, int fused, int ta, int tb, int M,
	     int N, int K, const float *A, int lda, const float *B, int ldb,
	     float *C, int ldc);

/* ------------------------------------------------------------------ */
/* Optimizer                                                          */

/** SGD with (Nesterov) momentum and decoupled-from-loss weight decay. */
struct byz_sgd_params {
	float lr;           /**< learning rate, > 0 */
	float momentum;     /**< mu in [0, 1) */
	float weight_decay; /**< lambda >= 0 */
	int nesterov;       /**< 1: Nesterov momentum (needs momentum > 0) */
};

/**
 * @brief One optimizer step, element by element (no reductions, so the
 * result is bit-identical on every build without FMA contraction):
 *   g' = g + lambda x;  v = mu v + g';
 *   x -= lr * (g' + mu v)   (Nesterov)   or   x -= lr * v   (plain).
 * @param x        d parameters, updated in place
 * @param velocity d floats of state (start at 0), updated in place
 * @param grad     d floats (the aggregated gradient)
 * @return 0; -EINVAL (NULL, bad hyper-parameters)
 */
int byz_sgd_step(const struct byz_sgd_params *p, float *x, float *velocity,
		 const float *grad, size_t d);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_MODEL_H */
