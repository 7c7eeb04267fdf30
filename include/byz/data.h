/**
 * @file byz/data.h
 * @brief Datasets for the built-in gradient oracle: a seeded synthetic
 * classification generator, a batch sampler driven by public seeds, and
 * hostile-input-safe loaders for MNIST (IDX, plain or gzip'ed) and CIFAR-10
 * (binary).
 *
 * Every example is a float32 vector of channels*height*width values in CHW
 * order plus a label in [0, classes). Generation and sampling use only
 * IEEE-754 +, -, *, / and sqrt, so a seed yields bit-identical data and
 * batches on every machine, whatever its libm.
 *
 * Thread safety: every function is reentrant; a dataset is read-only after
 * it is built and may be shared between threads.
 */
#ifndef BYZ_DATA_H
#define BYZ_DATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A 32-byte public seed (e.g. the protocol's batch seed xi_i^t). */
struct byz_seed {
	uint8_t b[32];
};

/** Largest number of examples a dataset may hold. */
#define BYZ_DATA_MAX_EXAMPLES (1u << 24)
/** Largest example dimension (channels * height * width). */
#define BYZ_DATA_MAX_DIM (1u << 20)
/** Largest total number of floats in a dataset (4 GiB of float32). */
#define BYZ_DATA_MAX_VALUES ((size_t)1 << 30)
/** Largest class count. */
#define BYZ_DATA_MAX_CLASSES 65536u
/** Largest batch the sampler draws. */
#define BYZ_BATCH_MAX 65536u

/** A labelled dataset. Owns x and y; release with byz_dataset_free(). */
struct byz_dataset {
	uint32_t n;        /**< number of examples */
	uint32_t channels; /**< input shape: channels x height x width */
	uint32_t height;
	uint32_t width;
	uint32_t dim;      /**< channels * height * width */
	uint32_t classes;  /**< labels lie in [0, classes) */
	float *x;          /**< n * dim values, example-major, CHW inside */
	uint32_t *y;       /**< n labels */
};

/**
 * @brief Allocate an empty dataset of the given shape (x and y zeroed).
 * @return 0; -EINVAL (NULL, zero sizes, classes < 2); -ERANGE (over the
 *         BYZ_DATA_MAX_* limits); -ENOMEM. On error @p ds is zeroed.
 */
int byz_dataset_alloc(struct byz_dataset *ds, uint32_t n, uint32_t channels,
		      uint32_t height, uint32_t width, uint32_t classes);

/** @brief Free what a dataset owns and zero it. NULL is a no-op. */
void byz_dataset_free(struct byz_dataset *ds);

/* ------------------------------------------------------------------ */
/* Seeds                                                              */

/** @brief Expand a 64-bit seed into a 32-byte seed (splitmix64). */
void byz_seed_from_u64(uint64_t s, struct byz_seed *out);

/**
 * @brief Derive a sub-seed from a seed and two labels (e.g. peer and step).
 * Not cryptographic: a convenience for simulations that have no protocol
 * hash. Different (a, b) give unrelated streams.
 */
void byz_seed_derive(const struct byz_seed *base, uint64_t a, uint64_t b,
		     struct byz_seed *out);

/* ------------------------------------------------------------------ */
/* Synthetic data                                                     */

/**
 * Gaussian-mixture classification. Each class owns @c clusters centres
 * drawn from N(0, separation^2 I); an example of class c picks one of its
 * centres uniformly and adds N(0, I) noise; with probability
 * @c label_noise its label is then replaced by a uniformly drawn other
 * class. Several overlapping clusters per class make the problem non-linear
 * and keep the Bayes accuracy below 100%, so accuracy numbers mean
 * something. Centres, training and held-out examples come from three
 * independent streams derived from @c seed.
 */
struct byz_synth_spec {
	uint32_t channels, height, width; /**< example shape (dim = product) */
	uint32_t classes;                 /**< 2..BYZ_DATA_MAX_CLASSES */
	uint32_t clusters;                /**< centres per class, >= 1 */
	uint32_t n_train, n_test;         /**< examples in each split (>= 1) */
	double separation;                /**< std of centre coordinates, > 0 */
	double label_noise;               /**< in [0, 1) */
	uint64_t seed;
};

/** @brief A spec with sensible defaults for tests (dim 16, 4 classes...). */
void byz_synth_default(struct byz_synth_spec *spec);

/**
 * @brief Generate the train and held-out splits.
 * @param train out: owned by the caller (byz_dataset_free)
 * @param test  out: owned by the caller (byz_dataset_free)
 * @return 0; -EINVAL (bad spec or NULL); -ERANGE; -ENOMEM. On error both
 *         outputs are zeroed.
 */
int byz_synth_generate(const struct byz_synth_spec *spec,
		       struct byz_dataset *train, struct byz_dataset *test);

/* ------------------------------------------------------------------ */
/* Batch sampling                                                     */

/**
 * @brief Draw @p batch distinct example indices from [0, n), a pure
 * function of @p seed: the batch of peer i at step t is
 * byz_batch_sample(xi_i^t, ...), so anyone can recompute it.
 * The order of @p idx is part of the output (it fixes summation order).
 * @param seed  the public seed
 * @param n     dataset size, >= batch
 * @param batch 1..BYZ_BATCH_MAX
 * @param idx   out: @p batch indices
 * @return 0; -EINVAL (NULL, batch 0 or > n); -ERANGE (batch > BYZ_BATCH_MAX);
 *         -ENOMEM
 */
int byz_batch_sample(const struct byz_seed *seed, uint32_t n, uint32_t batch,
		     uint32_t *idx);

/** Data transforms honoured by the gradient oracle (byz/model.h). */
enum byz_data_flags {
	/** Label flip: y -> classes - 1 - y (the label-flip attack). */
	BYZ_DATA_FLIP_LABELS = 1u << 0,
};

/**
 * @brief Gather examples @p idx into contiguous x (count*dim floats) and y,
 * applying @p flags (enum byz_data_flags).
 * @return 0; -EINVAL (NULL, an index >= ds->n, unknown flag)
 */
int byz_dataset_gather(const struct byz_dataset *ds, const uint32_t *idx,
		       uint32_t count, uint32_t flags, float *x, uint32_t *y);

/* ------------------------------------------------------------------ */
/* Loaders (inputs are hostile: every length and count is checked)     */

/** Largest file a loader reads. */
#define BYZ_DATA_MAX_FILE ((size_t)1 << 31)

/**
 * @brief Parse MNIST IDX buffers (train-images-idx3-ubyte and
 * train-labels-idx1-ubyte, or the t10k pair). Images: magic 0x00000803,
 * big-endian count, rows, cols, then count*rows*cols bytes; labels: magic
 * 0x00000801, count, then count bytes < 10. Sizes must match exactly (no
 * trailing bytes). Pixels become x = p / 255 with shape 1 x rows x cols.
 *
 * Either buffer may instead be a gzip stream of such a file (recognised by
 * its magic 1f 8b, as the *-idx?-ubyte.gz files are distributed): one gzip
 * member, its CRC-32 and length trailer checked, nothing after it. The IDX
 * header inside bounds the inflated size, so a stream that inflates to more
 * (a decompression bomb) or to less is refused without inflating further.
 * @param ds out: owned by the caller
 * @return 0; -EINVAL (NULL); -EBADMSG (bad magic, truncated, trailing
 *         bytes, count mismatch, label >= 10, zero dims; a truncated,
 *         corrupt or over-long gzip stream); -ERANGE (over the limits);
 *         -ENOMEM. On error @p ds is zeroed.
 */
int byz_mnist_parse(const uint8_t *images, size_t images_len,
		    const uint8_t *labels, size_t labels_len,
		    struct byz_dataset *ds);

/** @brief byz_mnist_parse on two files (each plain or gzip'ed). @return as
 *  byz_mnist_parse, or -errno from open/read, -EINVAL for a path that is not
 *  a regular file, -ERANGE for a file over BYZ_DATA_MAX_FILE. */
int byz_mnist_load(const char *images_path, const char *labels_path,
		   struct byz_dataset *ds);

/**
 * @brief byz_mnist_load that also says what is wrong: on error @p why
 * (when not NULL) holds a NUL-terminated message naming the file and the
 * problem, e.g. "t10k-images-idx3-ubyte.gz: corrupt gzip stream (incorrect
 * data check)". @return as byz_mnist_load.
 */
int byz_mnist_load_why(const char *images_path, const char *labels_path,
		       struct byz_dataset *ds, char *why, size_t whylen);

/** Bytes of one CIFAR-10 record: 1 label + 3 x 32 x 32 pixels (CHW). */
#define BYZ_CIFAR10_RECORD 3073u

/**
 * @brief Parse concatenated CIFAR-10 binary records (data_batch_N.bin,
 * test_batch.bin). Length must be a non-zero multiple of 3073 and every
 * label < 10. Pixels become x = p / 255 with shape 3 x 32 x 32.
 * @return 0; -EINVAL (NULL); -EBADMSG; -ERANGE; -ENOMEM. On error @p ds
 *         is zeroed.
 */
int byz_cifar10_parse(const uint8_t *buf, size_t len, struct byz_dataset *ds);

/** @brief Load and concatenate @p count CIFAR-10 batch files (in order).
 *  @return as byz_cifar10_parse (a file naming the problem is not
 *  reported: callers print the path they passed), or -errno. */
int byz_cifar10_load(const char *const *paths, size_t count,
		     struct byz_dataset *ds);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_DATA_H */
