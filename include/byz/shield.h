/**
 * @file byz/shield.h
 * @brief ByzShield: redundant file assignments and their worst-case adversary
 *        (Konstantinidis & Ramamoorthy, MLSys 2021, arXiv 2010.04902).
 *
 * A step's batch is cut into f files; each of K workers computes the gradient
 * of l files and each file is computed by r workers (K*l = f*r). A vote over
 * the r replicas decides each file. An adversary holding q workers distorts a
 * file when it holds a majority of its replicas: at least
 * r' = floor(r/2) + 1 of them (r' = (r+1)/2 for odd r).
 *
 * Constructions (see docs/byzshield.md):
 *  - MOLS (l, r): l prime, 2 <= r <= l-1. Squares L_k(a,b) = (k*a+b) mod l,
 *    k = 1..r. Worker (k, s) owns the cells (a, b) with L_k(a, b) = s.
 *    K = r*l, f = l^2. Worker id = (k-1)*l + s, file id = a*l + b.
 *  - Ramanujan (s, m): s prime, P the s x s cyclic shift, B the s x m block
 *    array with block (a, c) = P^(a*c mod s).
 *    m < s (2 <= m): workers are the rows of B^T (columns (c, j) of B, id
 *    c*s + j), files the rows (a, i) of B (id a*s + i); K = m*s, f = s^2,
 *    l = s, r = m.
 *    m >= s, m a multiple of s: workers are the rows (a, i) of B (id a*s + i),
 *    files the columns (c, j) (id c*s + j); K = s^2, f = m*s, l = m, r = s.
 *
 * Even r is accepted; the majority is then r/2 + 1 and a file where the
 * adversary holds exactly r/2 replicas has no majority (it is dropped, not
 * distorted), which c_max does not count.
 *
 * Thread safety: an assignment is immutable after construction and may be
 * shared; a search context is used by one thread at a time.
 *
 * The library does no I/O; the byz-shield tool prints.
 */
#ifndef BYZ_SHIELD_H
#define BYZ_SHIELD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest prime accepted for l (MOLS) or s (Ramanujan). */
#define BYZ_SHIELD_MAX_PRIME 251u
/** Largest number of workers or of files in any assignment. */
#define BYZ_SHIELD_MAX_NODES 65536u
/** Largest min(K, f) for which the spectrum is computed (dense, O(n^3)). */
#define BYZ_SHIELD_EIG_MAX_N 2048u
/** Largest K accepted by the worst-case search. */
#define BYZ_SHIELD_SEARCH_MAX_WORKERS 256u
/** Largest f accepted by the worst-case search. */
#define BYZ_SHIELD_SEARCH_MAX_FILES 4096u

/** Which construction an assignment comes from. */
enum byz_shield_kind {
	BYZ_SHIELD_MOLS = 1,      /**< p1 = l, p2 = r */
	BYZ_SHIELD_RAMANUJAN = 2, /**< p1 = s, p2 = m */
	BYZ_SHIELD_CUSTOM = 3,    /**< from explicit lists (p1 = p2 = 0) */
};

/**
 * An assignment of files to workers. Built by byz_shield_build() or
 * byz_shield_from_lists(); owned by the caller, released with
 * byz_shield_free(), which also releases the arrays below. Read-only.
 */
struct byz_shield_assign {
	enum byz_shield_kind kind;
	uint32_t p1, p2;          /**< construction parameters as given */
	uint32_t n_workers;       /**< K */
	uint32_t n_files;         /**< f */
	uint32_t l;               /**< files per worker */
	uint32_t r;               /**< replicas per file */
	uint32_t majority;        /**< r' = floor(r/2) + 1 */
	/** K*l entries: worker w's files at [w*l, w*l + l), ascending. */
	const uint32_t *worker_files;
	/** f*r entries: file j's workers at [j*r, j*r + r), ascending. */
	const uint32_t *file_workers;
};

/**
 * @brief Check construction parameters without building anything.
 * @param kind BYZ_SHIELD_MOLS or BYZ_SHIELD_RAMANUJAN
 * @param p1   l (MOLS) or s (Ramanujan)
 * @param p2   r (MOLS) or m (Ramanujan)
 * @param why  NULL, or a buffer that receives a sentence naming the problem
 *             (empty string when the parameters are fine)
 * @param why_len size of @p why
 * @return 0 if valid; -EINVAL for a bad value (non-prime l or s, r out of
 *         2..l-1, m < 2, m >= s but not a multiple of s, unknown kind);
 *         -ERANGE when a size exceeds BYZ_SHIELD_MAX_PRIME or
 *         BYZ_SHIELD_MAX_NODES.
 */
int byz_shield_check(enum byz_shield_kind kind, uint32_t p1, uint32_t p2,
		     char *why, size_t why_len);

/**
 * @brief Build a MOLS or Ramanujan assignment.
 * @param kind BYZ_SHIELD_MOLS or BYZ_SHIELD_RAMANUJAN
 * @param p1, p2 as for byz_shield_check()
 * @param err  NULL, or receives 0 or the negative error (as byz_shield_check,
 *             or -ENOMEM)
 * @return a new assignment owned by the caller, or NULL on error.
 */
struct byz_shield_assign *byz_shield_build(enum byz_shield_kind kind,
					   uint32_t p1, uint32_t p2, int *err);

/**
 * @brief Build an assignment from explicit worker -> file lists.
 *
 * Every worker must hold l distinct files and every file must then have the
 * same number r = K*l/f >= 1 of replicas.
 * @param n_workers K, 1..BYZ_SHIELD_MAX_NODES
 * @param n_files   f, 1..BYZ_SHIELD_MAX_NODES
 * @param l         files per worker, 1..f
 * @param worker_files K*l file ids (< f), any order within a worker; copied
 * @param err  NULL, or receives 0, -EINVAL (not biregular, duplicate or out
 *             of range id), -ERANGE or -ENOMEM
 * @return a new assignment (kind BYZ_SHIELD_CUSTOM) or NULL.
 */
struct byz_shield_assign *byz_shield_from_lists(uint32_t n_workers,
						uint32_t n_files, uint32_t l,
						const uint32_t *worker_files,
						int *err);

/** @brief Release an assignment (NULL is ignored). */
void byz_shield_free(struct byz_shield_assign *a);

/**
 * @brief Write the K x f biadjacency matrix H (row-major, 0/1 bytes).
 * @param a   assignment
 * @param h   output, at least K*f bytes
 * @param len size of @p h in bytes
 * @return 0; -EINVAL for NULL arguments; -ERANGE if len < K*f.
 */
int byz_shield_biadjacency(const struct byz_shield_assign *a, uint8_t *h,
			   size_t len);

/** Spectrum of H H^T / (l r) and the Ramanujan test. */
struct byz_shield_spectrum {
	double mu0;       /**< largest eigenvalue (1 for a biregular graph) */
	double mu1;       /**< second-largest eigenvalue */
	/** (sqrt(l-1) + sqrt(r-1))^2 / (l r): mu1 at most this is Ramanujan */
	double ramanujan_limit;
	int ramanujan;    /**< 1 if mu1 <= ramanujan_limit (+1e-9 slack) */
};

/**
 * @brief Second-largest eigenvalue of H H^T/(l r) and the Ramanujan condition
 *        sigma_2(H) <= sqrt(l-1) + sqrt(r-1).
 *
 * Works on the smaller Gram matrix (H H^T or H^T H share their non-zero
 * spectrum): Householder tridiagonalisation (OpenBLAS level 2) and Sturm
 * bisection; absolute error about 1e-12.
 * @return 0; -EINVAL for NULL or K, f < 2; -ERANGE if min(K, f) exceeds
 *         BYZ_SHIELD_EIG_MAX_N; -ENOMEM.
 */
int byz_shield_spectrum(const struct byz_shield_assign *a,
			struct byz_shield_spectrum *out);

/** Spectral upper bound on c_max(q) (Tanner's expansion bound). */
struct byz_shield_bound {
	double beta;   /**< lower bound on |N(S)| for any q workers S */
	double value;  /**< (q l - beta) / (r' - 1), unrounded */
	uint32_t bound; /**< floor(value), clamped to [0, f] */
};

/**
 * @brief Upper bound on the number of files q workers can distort.
 *
 * beta = l q / (r (mu1 + (1 - mu1) q / K)) (Tanner 1984: |N(S)| >= beta);
 * every distorted file takes r' of the q*l edges of S and every other file of
 * N(S) at least one, so c <= (q l - beta) / (r' - 1).
 * @param a   assignment (r' >= 2)
 * @param mu1 second eigenvalue from byz_shield_spectrum()
 * @param q   0..K
 * @return 0; -EINVAL for a bad argument (q > K, r' < 2, mu1 not in [0, 1]).
 */
int byz_shield_spectral_bound(const struct byz_shield_assign *a, double mu1,
			      uint32_t q, struct byz_shield_bound *out);

/** @brief DETOX's distorted fraction min(floor(q/r'), K/r) * r / K. */
double byz_shield_detox_fraction(const struct byz_shield_assign *a,
				 uint32_t q);

/**
 * @brief Files in which @p set holds a majority (>= r' replicas).
 * @param set  n distinct worker ids < K
 * @return the count (>= 0), or -EINVAL for a bad set.
 */
int byz_shield_distorted(const struct byz_shield_assign *a,
			 const uint32_t *set, uint32_t n);

/** Progress report passed to the search's callback. */
struct byz_shield_progress {
	uint32_t q;
	uint64_t nodes;         /**< nodes so far for this q */
	double seconds;         /**< elapsed for this q */
	uint32_t best;          /**< best value found so far */
	uint32_t branch, branches; /**< symmetry branch being searched */
};

/** Options of one worst-case search; zero-initialise for defaults. */
struct byz_shield_search_opts {
	uint64_t node_limit;    /**< stop after this many nodes (0: none) */
	double time_limit_s;    /**< stop after this many seconds (0: none) */
	const uint32_t *hint;   /**< NULL, or a good set to start from */
	uint32_t hint_len;      /**< its size (extended or cut to q) */
	/** NULL, or called about every progress_every nodes */
	void (*progress)(void *ctx, const struct byz_shield_progress *p);
	void *progress_ctx;
	uint64_t progress_every; /**< 0: every 2^22 nodes */
};

/** Result of one worst-case search. */
struct byz_shield_worst {
	uint32_t q;
	uint32_t c_best;   /**< distorted files of set[] (= c_max when exact) */
	uint32_t c_upper;  /**< proven c_max <= c_upper (= c_best when exact) */
	int exact;         /**< 1: search completed, c_best is c_max */
	uint64_t nodes;    /**< search-tree nodes visited */
	double seconds;
	uint32_t set[BYZ_SHIELD_SEARCH_MAX_WORKERS]; /**< q worker ids, ascending */
};

/** Opaque search context (symmetry data, scratch). */
struct byz_shield_search;

/**
 * @brief Prepare worst-case searches over an assignment.
 *
 * With @p use_symmetry, the affine automorphisms of the construction (maps
 * x -> M x + t of Z_p^2 that permute the worker lines) are enumerated and each
 * one is checked against the worker -> file lists; their worker orbits let
 * the search fix the first three workers. Custom assignments have none.
 * @param a  assignment; must outlive the context
 * @param use_symmetry 0 or 1
 * @param err NULL, or 0 / -EINVAL (NULL, K or f over the search limits,
 *        r' < 1) / -ENOMEM / -EPROTO (a computed map is not an automorphism:
 *        a bug, never expected)
 * @return a context owned by the caller, freed with byz_shield_search_free().
 */
struct byz_shield_search *byz_shield_search_new(const struct byz_shield_assign *a,
						int use_symmetry, int *err);

/** @brief Release a search context (NULL is ignored). */
void byz_shield_search_free(struct byz_shield_search *s);

/**
 * @brief Symmetry in use.
 * @param order  NULL, or the number of automorphisms found (1 if none)
 * @param orbits NULL, or the number of worker orbits (K if none)
 */
void byz_shield_search_symmetry(const struct byz_shield_search *s,
				uint64_t *order, uint32_t *orbits);

/**
 * @brief c_max(q): the most files q workers can distort, and one such set.
 *
 * Exhaustive branch and bound; when a limit stops it, out->exact = 0 and
 * c_best <= c_max <= c_upper.
 * @param q   1..K
 * @return 0 (also when a limit stopped the search); -EINVAL for a bad
 *         argument; -ENOMEM.
 */
int byz_shield_worst_case(struct byz_shield_search *s, uint32_t q,
			  const struct byz_shield_search_opts *opts,
			  struct byz_shield_worst *out);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_SHIELD_H */
