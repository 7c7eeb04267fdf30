/*
 * DESIGN (training experiments). One configuration = model + data + n peers
 * (f attacking) + defence. The model is initialised once from the seed and
 * every defence starts from the same parameters, trains with plain SGD
 * (x -= lr g, what the protocol applies) and evaluates held-out accuracy on
 * the same schedule.
 *
 *  - btard: the protocol swarm of control/swarm.c with the model as every
 *    peer's gradient oracle (byz_model_oracle_grad). Batch seeds come from
 *    the protocol (xi_i^t), attackers run byz/attack.h through their
 *    gradient hook (control/gradattack.c), validators recompute and ban.
 *  - trusted-aggregator defences: the same n workers without any protocol.
 *    Batch seeds are derived from (seed, worker, step); the f attackers see
 *    the honest gradients of the step, exactly as in the swarm. The server
 *    aggregates with byz_aggregate (mean, median, geomed) or CenteredClip
 *    per part (cclip-server: the computation of btard's aggregators, same
 *    tau and split, without verification or bans).
 *
 * CenteredClip runs the Gram path in both, as the protocol core's
 * aggregators do, with a cap honest inputs never reach: a matrix then
 * reproduces bit for bit on the same build and CPU family.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "byz/agg.h"
#include "byz/attack.h"
#include "byz/clip.h"
#include "byz/err.h"
#include "byz/shield_run.h"
#include "experiment.h"

static const char *const def_names[EXP_DEF_COUNT] = {"mean", "cclip-server", "median",
						     "geomed", "btard", "byzshield"};

const char *exp_defence_name(int def)
{
	return def >= 0 && def < EXP_DEF_COUNT ? def_names[def] : NULL;
}

int exp_defence_parse(const char *name)
{
	for (int i = 0; name && i < EXP_DEF_COUNT; i++)
		if (strcmp(name, def_names[i]) == 0)
			return i;
	return -EINVAL;
}

void exp_defaults(struct exp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->model = BYZ_MODEL_MLP;
	c->hidden = 32;
	c->filters = 8;
	c->n = 16;
	c->nbyz = 7;
	c->attack = BYZ_ATK_SIGN_FLIP;
	c->attack_period = 1;
	c->defence = EXP_DEF_BTARD;
	c->tau = 0.1;
	c->validators = 1;
	c->lr = 0.5f;
	c->batch = 32;
	c->steps = 60;
	c->eval_every = 5;
	c->seed = 1;
	c->shield_audits = 1;
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	c->net = sc.net;
}

/* ---------- data ---------- */

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t len, const char *fmt, ...)
{
	if (!why || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* First of the MNIST spellings that exists in @p dir ('-' or '.' before idx;
 * plain, or gzip'ed with .gz as distributed, e.g. by Debian's
 * dataset-fashion-mnist in /usr/share/datasets/fashion-mnist). */
static int mnist_name(const char *dir, const char *stem, const char *kind, char *out,
		      size_t len)
{
	static const char seps[] = {'-', '.'};
	static const char *const exts[] = {"", ".gz"};
	for (int e = 0; e < 2; e++)
		for (int s = 0; s < 2; s++) {
			int k = snprintf(out, len, "%s/%s%c%s%s", dir, stem, seps[s], kind,
					 exts[e]);
			if (k > 0 && (size_t)k < len && is_file(out))
				return 1;
		}
	return 0;
}

static int load_mnist(const char *dir, struct exp_data *d, char *why, size_t whylen)
{
	char ti[4096], tl[4096], vi[4096], vl[4096];
	if (!mnist_name(dir, "train-images", "idx3-ubyte", ti, sizeof(ti)))
		return -ENOENT;
	if (!mnist_name(dir, "train-labels", "idx1-ubyte", tl, sizeof(tl)) ||
	    !mnist_name(dir, "t10k-images", "idx3-ubyte", vi, sizeof(vi)) ||
	    !mnist_name(dir, "t10k-labels", "idx1-ubyte", vl, sizeof(vl))) {
		say(why, whylen, "%s: has train-images-idx3-ubyte but lacks one of "
			"train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte "
			"(plain or .gz)", dir);
		return -ENOENT;
	}
	char sub[512];
	int rc = byz_mnist_load_why(ti, tl, &d->train, sub, sizeof(sub));
	if (rc) {
		say(why, whylen, "not a valid MNIST training pair: %s", sub);
		return rc;
	}
	rc = byz_mnist_load_why(vi, vl, &d->test, sub, sizeof(sub));
	if (rc) {
		say(why, whylen, "not a valid MNIST test pair: %s", sub);
		return rc;
	}
	snprintf(d->desc, sizeof(d->desc), "MNIST %u train / %u test", d->train.n, d->test.n);
	snprintf(d->name, sizeof(d->name), "MNIST");
	return 0;
}

static int load_cifar_dir(const char *dir, struct exp_data *d, char *why, size_t whylen)
{
	char names[6][4096];
	const char *tr[5];
	size_t ntr = 0;
	for (int b = 1; b <= 5; b++) {
		snprintf(names[b - 1], sizeof(names[0]), "%s/data_batch_%d.bin", dir, b);
		if (is_file(names[b - 1]))
			tr[ntr++] = names[b - 1];
	}
	if (ntr == 0)
		return -ENOENT;
	snprintf(names[5], sizeof(names[5]), "%s/test_batch.bin", dir);
	if (!is_file(names[5])) {
		say(why, whylen, "%s: has data_batch_*.bin but no test_batch.bin", dir);
		return -ENOENT;
	}
	int rc = byz_cifar10_load(tr, ntr, &d->train);
	if (rc) {
		say(why, whylen, "%s/data_batch_*.bin: not valid CIFAR-10 binaries: %s", dir,
		    byz_strerror(rc));
		return rc;
	}
	const char *te = names[5];
	rc = byz_cifar10_load(&te, 1, &d->test);
	if (rc) {
		say(why, whylen, "%s: not a valid CIFAR-10 binary: %s", te, byz_strerror(rc));
		return rc;
	}
	snprintf(d->desc, sizeof(d->desc), "CIFAR-10 %u train / %u test", d->train.n,
		 d->test.n);
	snprintf(d->name, sizeof(d->name), "CIFAR-10");
	return 0;
}

/* Copy examples [lo, hi) of @p src into @p dst. */
static int slice(const struct byz_dataset *src, uint32_t lo, uint32_t hi,
		 struct byz_dataset *dst)
{
	int rc = byz_dataset_alloc(dst, hi - lo, src->channels, src->height, src->width,
				   src->classes);
	if (rc)
		return rc;
	memcpy(dst->x, src->x + (size_t)lo * src->dim, (size_t)(hi - lo) * src->dim * sizeof(float));
	memcpy(dst->y, src->y + lo, (size_t)(hi - lo) * sizeof(uint32_t));
	return 0;
}

static int load_cifar_file(const char *path, struct exp_data *d, char *why, size_t whylen)
{
	struct byz_dataset all;
	int rc = byz_cifar10_load(&path, 1, &all);
	if (rc) {
		say(why, whylen, "%s: not a CIFAR-10 binary (records of 3073 bytes, labels < 10): %s",
		    path, byz_strerror(rc));
		return rc;
	}
	if (all.n < 2) {
		byz_dataset_free(&all);
		say(why, whylen, "%s: needs at least 2 records (one is held out)", path);
		return -EBADMSG;
	}
	uint32_t held = all.n / 6 ? all.n / 6 : 1;
	rc = slice(&all, 0, all.n - held, &d->train);
	if (!rc)
		rc = slice(&all, all.n - held, all.n, &d->test);
	byz_dataset_free(&all);
	if (rc) {
		say(why, whylen, "%s: %s", path, byz_strerror(rc));
		return rc;
	}
	snprintf(d->desc, sizeof(d->desc), "CIFAR-10 file, %u train / %u held out", d->train.n,
		 d->test.n);
	snprintf(d->name, sizeof(d->name), "CIFAR-10");
	return 0;
}

int exp_data_load(const char *spec, uint64_t seed, struct exp_data *d, char *why,
		  size_t whylen)
{
	memset(d, 0, sizeof(*d));
	if (why && whylen)
		why[0] = 0;
	if (!spec || strcmp(spec, "synthetic") == 0) {
		struct byz_synth_spec ss;
		byz_synth_default(&ss);
		ss.seed = seed;
		int rc = byz_synth_generate(&ss, &d->train, &d->test);
		if (rc) {
			say(why, whylen, "synthetic data: %s", byz_strerror(rc));
			return rc;
		}
		snprintf(d->desc, sizeof(d->desc),
			 "synthetic Gaussian mixture, %u dims, %u classes, %u train / %u test",
			 d->train.dim, d->train.classes, d->train.n, d->test.n);
		snprintf(d->name, sizeof(d->name), "synthetic");
		return 0;
	}
	struct stat st;
	if (stat(spec, &st) != 0) {
		say(why, whylen, "%s: %s", spec, strerror(errno));
		return -ENOENT;
	}
	int rc = -ENOENT;
	if (S_ISDIR(st.st_mode)) {
		rc = load_mnist(spec, d, why, whylen);
		if (rc == -ENOENT && !(why && why[0]))
			rc = load_cifar_dir(spec, d, why, whylen);
		if (rc == -ENOENT && !(why && why[0])) {
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/cifar-10-batches-bin", spec);
			if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				rc = load_cifar_dir(sub, d, why, whylen);
		}
		if (rc == -ENOENT && !(why && why[0]))
			say(why, whylen, "%s: neither MNIST (train-images-idx3-ubyte, ...) nor "
				"CIFAR-10 (data_batch_1.bin, ..., test_batch.bin) files found", spec);
	} else if (S_ISREG(st.st_mode)) {
		rc = load_cifar_file(spec, d, why, whylen);
	} else {
		say(why, whylen, "%s: not a file or directory", spec);
	}
	if (rc)
		exp_data_free(d);
	return rc;
}

void exp_data_free(struct exp_data *d)
{
	if (!d)
		return;
	byz_dataset_free(&d->train);
	byz_dataset_free(&d->test);
}

/* ---------- common ---------- */

struct run_ctx {
	const struct exp_cfg *c;
	const struct exp_data *d;
	struct byz_model *m;
	size_t P;
	struct exp_result *r;
	size_t capcurve;
	int rc;
	/* btard */
	struct byz_swarm *s;
	uint16_t first_honest;
	uint8_t run_id[32]; /* of the digest outside btard */
	/* progress lines: the rate since the previous evaluation */
	uint64_t last_step;
	double last_t;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int add_point(struct run_ctx *x, uint64_t step, double acc)
{
	struct exp_result *r = x->r;
	if (r->ncurve == x->capcurve) {
		size_t nc = x->capcurve ? 2 * x->capcurve : 64;
		struct exp_point *np = realloc(r->curve, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		r->curve = np;
		x->capcurve = nc;
	}
	r->curve[r->ncurve++] = (struct exp_point){.step = step, .acc = acc};
	return 0;
}

/* Held-out accuracy of @p params; a blown-up model still has an accuracy. */
static int evaluate(struct run_ctx *x, const float *params, uint64_t step, int last)
{
	double acc = 0, loss = 0;
	int rc = byz_model_evaluate(x->m, params, &x->d->test, &acc, &loss);
	if (rc == -EDOM) {
		x->r->diverged = 1;
		loss = INFINITY;
	} else if (rc) {
		return rc;
	}
	if (last) {
		x->r->final_acc = acc;
		x->r->final_loss = loss;
	}
	if (x->c->log) {
		/* Progress for a person watching: steps/s over the last interval
		 * (evaluation included), and bans so far where there is a protocol. */
		double t = now_s();
		char rate[32] = "", bans[32] = "";
		if (step > x->last_step && t > x->last_t)
			snprintf(rate, sizeof(rate), "  %.1f steps/s",
				 (double)(step - x->last_step) / (t - x->last_t));
		if (x->s) {
			const struct byz_swarm_report *rep = byz_swarm_report(x->s);
			const struct byz_peer *h = byz_swarm_peer(x->s, x->first_honest);
			unsigned nb = 0;
			for (uint32_t i = 0; i < rep->n; i++)
				nb += (unsigned)byz_peer_has_banned(h, (uint16_t)i);
			snprintf(bans, sizeof(bans), "  bans %u", nb);
		}
		fprintf(x->c->log, "  step %4llu  accuracy %.4f  loss %.4g%s%s\n",
			(unsigned long long)step, acc, loss, rate, bans);
		fflush(x->c->log);
		x->last_step = step;
		x->last_t = t;
	}
	return add_point(x, step, acc);
}

static int want_eval(const struct exp_cfg *c, uint64_t step)
{
	return step % c->eval_every == 0 || step == c->steps;
}

/* ---------- btard: the protocol swarm ---------- */

static int all_banned(const struct byz_swarm *s)
{
	const struct byz_swarm_report *r = byz_swarm_report(s);
	uint16_t h = 0;
	while (h < r->n && byz_swarm_is_byz(s, h))
		h++;
	for (uint32_t b = 0; b < r->nbyz; b++)
		if (byz_attack_bans(r->byz_attack[b]) &&
		    !byz_peer_has_banned(byz_swarm_peer(s, h), r->byz[b]))
			return 0;
	return 1;
}

static void on_step(void *ctx, const struct byz_swarm *s, uint64_t step)
{
	struct run_ctx *x = ctx;
	const float *p = byz_peer_params(byz_swarm_peer(s, x->first_honest));
	if (x->rc == 0 && want_eval(x->c, step))
		x->rc = evaluate(x, p, step, step == x->c->steps);
	if (x->c->stop_when_banned && all_banned(s)) {
		if (step != x->c->steps && x->rc == 0)
			x->rc = evaluate(x, p, step, 1);
		byz_swarm_stop(x->s);
	}
}

/* Counts the defence's gradient computations (the cost table). */
struct count_oracle {
	struct byz_oracle inner;
	uint64_t calls;
};

static int count_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g)
{
	struct count_oracle *c = ctx;
	c->calls++;
	return c->inner.grad(c->inner.ctx, x, d, seed, g);
}

static int run_btard(struct run_ctx *x, const float *x0, char *why, size_t whylen)
{
	const struct exp_cfg *c = x->c;
	struct byz_model_oracle honest = {.model = x->m, .data = &x->d->train,
					  .batch = c->batch, .flags = 0};
	struct byz_model_oracle flip = honest;
	flip.flags = BYZ_DATA_FLIP_LABELS;
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	sc.n = c->n;
	sc.nbyz = c->nbyz;
	sc.attacks = &c->attack;
	sc.nattacks = 1;
	sc.attack_start = c->attack_start;
	sc.steps = c->steps;
	sc.seed = c->seed;
	sc.d = x->P;
	sc.batch = c->batch;
	sc.net = c->net;
	sc.run.tau = c->tau;
	sc.run.lr = c->lr;
	sc.run.validators = c->validators;
	struct count_oracle cnt = {.inner = {.grad = byz_model_oracle_grad, .ctx = &honest}};
	sc.oracle = (struct byz_oracle){.grad = count_grad, .ctx = &cnt};
	sc.oracle_flip = (struct byz_oracle){.grad = byz_model_oracle_grad, .ctx = &flip};
	sc.x0 = x0;
	sc.attack_period = c->attack_period;
	sc.attack_scale = c->attack_scale;
	sc.attack_delay = c->attack_delay;
	sc.progress = on_step;
	sc.progress_ctx = x;
	int rc;
	struct byz_swarm *s = byz_swarm_new(&sc, &rc);
	if (!s) {
		say(why, whylen, "cannot build the swarm: %s", byz_strerror(rc));
		return rc;
	}
	x->s = s;
	while (x->first_honest < c->n && byz_swarm_is_byz(s, x->first_honest))
		x->first_honest++;
	rc = byz_swarm_run(s);
	const struct byz_swarm_report *rep = byz_swarm_report(s);
	struct exp_result *r = x->r;
	if (rc == 0 && rep->nbans) {
		r->bans = malloc(rep->nbans * sizeof(*r->bans));
		if (!r->bans)
			rc = -ENOMEM;
		else
			memcpy(r->bans, rep->bans, rep->nbans * sizeof(*r->bans));
		r->nbans = r->bans ? rep->nbans : 0;
	}
	r->nbyz = rep->nbyz;
	memcpy(r->byz, rep->byz, rep->nbyz * sizeof(uint16_t));
	r->honest_banned = rep->honest_banned;
	r->replicas_identical = rep->replicas_identical;
	r->bans_consistent = rep->bans_consistent;
	r->finished = rep->finished;
	memcpy(r->params_digest, rep->params_digest, sizeof(r->params_digest));
	r->steps_done = rep->steps_done;
	r->restarts = rep->restarts;
	r->msgs = rep->msgs;
	r->bytes = rep->bytes;
	r->grad_calls = cnt.calls;
	if (rc)
		say(why, whylen, "swarm: %s", byz_strerror(rc));
	else if (x->rc)
		say(why, whylen, "evaluation: %s", byz_strerror(x->rc));
	byz_swarm_free(s);
	return rc ? rc : x->rc;
}

/* ---------- byzshield: redundant files and a vote ---------- */

static void on_shield_step(void *ctx, uint64_t step, const float *p)
{
	struct run_ctx *x = ctx;
	if (x->rc == 0 && want_eval(x->c, step))
		x->rc = evaluate(x, p, step, step == x->c->steps);
	/* The run's parameters are not reachable afterwards: keep the digest
	 * of the latest step. */
	byz_params_digest(x->run_id, step, p, x->P, x->r->params_digest);
}

/* The global batch matches the other defences': n * batch examples cut into
 * f files of n * batch / f examples each. */
static int run_byzshield(struct run_ctx *x, const float *x0, char *why, size_t whylen)
{
	const struct exp_cfg *c = x->c;
	const struct byz_shield_assign *a = c->shield;
	uint32_t fb = (uint32_t)((uint64_t)c->n * c->batch / a->n_files);
	if (fb == 0)
		fb = 1;
	struct byz_model_oracle honest = {.model = x->m, .data = &x->d->train, .batch = fb};
	struct byz_model_oracle flip = honest;
	flip.flags = BYZ_DATA_FLIP_LABELS;
	struct byz_shield_run_cfg sc;
	byz_shield_run_defaults(&sc);
	sc.assign = a;
	sc.oracle = (struct byz_oracle){.grad = byz_model_oracle_grad, .ctx = &honest};
	sc.oracle_flip = (struct byz_oracle){.grad = byz_model_oracle_grad, .ctx = &flip};
	sc.d = x->P;
	sc.x0 = x0;
	sc.lr = c->lr;
	sc.steps = c->steps;
	sc.seed = c->seed;
	sc.nbyz = c->nbyz;
	sc.attack = c->attack;
	sc.attack_start = c->attack_start;
	sc.attack_period = c->attack_period;
	sc.attack_scale = c->attack_scale;
	sc.attack_delay = c->attack_delay;
	sc.aggr = (enum byz_shield_aggr)c->shield_aggr;
	sc.tau = c->tau;
	sc.buckets = c->shield_buckets;
	sc.audits = c->shield_audits;
	sc.withhold_reveal = c->shield_withhold;
	sc.progress = on_shield_step;
	sc.progress_ctx = x;
	struct byz_shield_worst w;
	int rc = 0;
	if (c->shield_worst && c->nbyz) {
		struct byz_shield_search *ss = byz_shield_search_new(a, 1, &rc);
		if (!ss) {
			say(why, whylen, "worst-case search: %s", byz_strerror(rc));
			return rc;
		}
		struct byz_shield_search_opts so = {.time_limit_s = 10};
		rc = byz_shield_worst_case(ss, c->nbyz, &so, &w);
		byz_shield_search_free(ss);
		if (rc) {
			say(why, whylen, "worst-case search: %s", byz_strerror(rc));
			return rc;
		}
		sc.byz_set = w.set;
		sc.majority_only = 1;
		sc.hidden_only = c->shield_worst == 2;
	}
	struct byz_shield_run *s = byz_shield_run_new(&sc, &rc);
	if (!s) {
		say(why, whylen, "cannot build the byzshield run: %s", byz_strerror(rc));
		return rc;
	}
	rc = byz_shield_run_all(s);
	const struct byz_shield_report *rep = byz_shield_run_report(s);
	struct exp_result *r = x->r;
	if (rc == 0 && rep->nbans) {
		r->bans = malloc(rep->nbans * sizeof(*r->bans));
		if (!r->bans)
			rc = -ENOMEM;
		for (size_t i = 0; r->bans && i < rep->nbans; i++)
			r->bans[i] = (struct byz_ban_rec){.peer = rep->bans[i].worker,
							  .step = rep->bans[i].step,
							  .accuser = rep->bans[i].accuser};
		r->nbans = r->bans ? rep->nbans : 0;
	}
	r->nbyz = rep->nbyz;
	memcpy(r->byz, rep->byz, rep->nbyz * sizeof(uint16_t));
	r->honest_banned = rep->honest_banned;
	r->replicas_identical = rep->replicas_identical;
	r->bans_consistent = rep->bans_consistent;
	r->finished = rep->steps_done == c->steps;
	r->steps_done = rep->steps_done;
	r->msgs = rep->msgs;
	r->bytes = rep->bytes;
	r->grad_calls = rep->grad_calls;
	r->adjud_calls = rep->adjud_calls;
	r->files_distorted = rep->files_distorted;
	r->files_dropped = rep->files_dropped;
	r->disagreements = rep->disagreements;
	r->shield_batch = fb;
	if (rc)
		say(why, whylen, "byzshield: %s", byz_strerror(rc));
	else if (x->rc)
		say(why, whylen, "evaluation: %s", byz_strerror(x->rc));
	byz_shield_run_free(s);
	return rc ? rc : x->rc;
}

/* ---------- trusted aggregators ---------- */

/* CenteredClip per part, split as the protocol splits: P = n parts of
 * ceil(d / n) coordinates, the last one zero padded. */
static int cclip_parts(const float *const *v, uint32_t k, size_t d, double tau, float *out)
{
	uint32_t P = k;
	size_t L = (d + P - 1) / P;
	float *buf = malloc((size_t)k * L * sizeof(float)), *y = malloc(L * sizeof(float));
	const float **in = malloc(k * sizeof(*in));
	int rc = 0;
	if (!buf || !y || !in) {
		rc = -ENOMEM;
		goto out;
	}
	struct byz_clip_params cp = {.tau = tau, .eps = 1e-5, .max_iters = 1000000,
				     .impl = BYZ_CLIP_GRAM};
	for (uint32_t j = 0; j < P && rc == 0; j++) {
		size_t lo = (size_t)j * L;
		for (uint32_t i = 0; i < k; i++) {
			float *b = buf + (size_t)i * L;
			for (size_t c = 0; c < L; c++)
				b[c] = lo + c < d ? v[i][lo + c] : 0.0f;
			in[i] = b;
		}
		rc = byz_clip(in, k, L, &cp, y, NULL, NULL);
		for (size_t c = 0; c < L && lo + c < d; c++)
			out[lo + c] = y[c];
	}
out:
	free(buf);
	free(y);
	free(in);
	return rc;
}

static int run_trusted(struct run_ctx *x, float *params)
{
	const struct exp_cfg *c = x->c;
	const uint32_t n = c->n, f = c->nbyz, h = n - f;
	const size_t P = x->P;
	int rc = 0;
	struct byz_grad_attack **att = calloc(n, sizeof(*att));
	float *grads = malloc((size_t)n * P * sizeof(float)), *agg = malloc(P * sizeof(float));
	const float **ptr = malloc(n * sizeof(*ptr));
	if (!att || !grads || !agg || !ptr) {
		rc = -ENOMEM;
		goto out;
	}
	int kind = byz_attack_grad_kind(c->attack);
	for (uint32_t i = h; i < n; i++) {
		struct byz_grad_attack_spec as;
		byz_grad_attack_default((enum byz_grad_attack_kind)kind, &as);
		as.start = c->attack_start;
		as.period = c->attack_period;
		as.n = n;
		as.f = f;
		if (c->attack_scale > 0)
			as.scale = c->attack_scale;
		if (c->attack_delay)
			as.delay = c->attack_delay;
		as.seed = c->seed ^ 0x7a11d1cull; /* as in the swarm: shared by colluders */
		att[i] = byz_grad_attack_create(&as, P, &rc);
		if (!att[i])
			goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		ptr[i] = grads + (size_t)i * P;
	struct byz_agg_params ap;
	static const enum byz_agg_kind kinds[] = {BYZ_AGG_MEAN, BYZ_AGG_CCLIP, BYZ_AGG_MEDIAN,
						  BYZ_AGG_GEOMED};
	byz_agg_params_default(&ap, kinds[c->defence], n);
	struct byz_seed base, bs;
	byz_seed_from_u64(c->seed ^ 0xba7c4ull, &base);
	uint64_t t;
	for (t = 0; t < c->steps; t++) {
		for (uint32_t i = 0; i < n && rc == 0; i++) {
			uint32_t fl = i >= h ? byz_grad_attack_data_flags(att[i], t) : 0;
			byz_seed_derive(&base, i, t, &bs);
			rc = byz_model_grad_seeded(x->m, params, &x->d->train, &bs, c->batch, fl,
						   grads + (size_t)i * P, NULL);
		}
		if (rc == -EDOM) { /* the parameters blew up: training is over */
			x->r->diverged = 1;
			rc = 0;
			break;
		}
		for (uint32_t i = h; i < n && rc == 0; i++)
			rc = byz_grad_attack_apply(att[i], t, grads + (size_t)i * P,
						   (const float *const *)ptr, h,
						   grads + (size_t)i * P);
		if (rc)
			goto out;
		if (c->defence == EXP_DEF_CCLIP_SERVER)
			rc = cclip_parts((const float *const *)ptr, n, P, c->tau, agg);
		else
			rc = byz_aggregate(&ap, (const float *const *)ptr, n, P, agg, NULL);
		if (rc == -EDOM) {
			x->r->diverged = 1;
			rc = 0;
			break;
		}
		if (rc)
			goto out;
		for (size_t j = 0; j < P; j++)
			params[j] -= c->lr * agg[j];
		x->r->steps_done = t + 1;
		if (want_eval(c, t + 1) && (rc = evaluate(x, params, t + 1, t + 1 == c->steps)))
			goto out;
	}
	/* Diverged: the model stays where it blew up; keep the curve's schedule. */
	for (uint64_t s = t + 1; s <= c->steps && rc == 0; s++)
		if (want_eval(c, s))
			rc = evaluate(x, params, s, s == c->steps);
	x->r->finished = 1;
out:
	if (att)
		for (uint32_t i = 0; i < n; i++)
			byz_grad_attack_destroy(att[i]);
	free(att);
	free(grads);
	free(agg);
	free(ptr);
	return rc;
}

int exp_run(const struct exp_cfg *c, const struct exp_data *d, struct exp_result *r,
	    char *why, size_t whylen)
{
	memset(r, 0, sizeof(*r));
	if (why && whylen)
		why[0] = 0;
	if (!c || !d || c->n < 2 || c->n > BYZ_MAX_PEERS || 2 * c->nbyz >= c->n ||
	    !byz_attack_name(c->attack) || c->defence < 0 || c->defence >= EXP_DEF_COUNT ||
	    !c->attack_period || !c->steps || !c->eval_every || !c->batch ||
	    c->batch > d->train.n || !(c->lr > 0) || !(c->tau > 0) || !isfinite(c->tau)) {
		say(why, whylen, "bad configuration (peers, attackers < peers/2, batch <= "
			"training set, positive lr, tau, steps, period)");
		return -EINVAL;
	}
	if (c->defence == EXP_DEF_BYZSHIELD &&
	    (!c->shield || c->shield->n_workers != c->n)) {
		say(why, whylen, "byzshield needs an assignment (--construction) whose K "
			"equals the peers (%u)", c->n);
		return -EINVAL;
	}
	if (c->defence != EXP_DEF_BTARD && byz_attack_grad_kind(c->attack) < 0) {
		say(why, whylen, "protocol attack '%s' needs --aggregator btard (a trusted "
			"aggregator has no protocol to attack)", byz_attack_name(c->attack));
		return -ENOTSUP;
	}
	struct byz_model_spec ms = {.kind = c->model, .channels = d->train.channels,
				    .height = d->train.height, .width = d->train.width,
				    .classes = d->train.classes, .hidden = {c->hidden, 0},
				    .filters = c->filters};
	int rc;
	struct run_ctx x = {.c = c, .d = d, .r = r};
	x.m = byz_model_create(&ms, &rc);
	if (!x.m) {
		say(why, whylen, "cannot build the %s model: %s", byz_model_kind_name(c->model),
		    byz_strerror(rc));
		return rc;
	}
	x.P = byz_model_num_params(x.m);
	r->d = x.P;
	byz_swarm_derive_keys(c->seed, 0, x.run_id, NULL, NULL);
	rc = byz_model_fingerprint(&ms, r->model_fingerprint);
	if (rc) {
		say(why, whylen, "model fingerprint: %s", byz_strerror(rc));
		byz_model_destroy(x.m);
		return rc;
	}
	float *params = malloc(x.P * sizeof(float));
	if (!params) {
		byz_model_destroy(x.m);
		return -ENOMEM;
	}
	double t0 = now_s();
	byz_model_init_params(x.m, c->seed, params);
	rc = evaluate(&x, params, 0, 0);
	if (rc == 0) {
		if (c->defence == EXP_DEF_BTARD) {
			rc = run_btard(&x, params, why, whylen);
		} else if (c->defence == EXP_DEF_BYZSHIELD) {
			rc = run_byzshield(&x, params, why, whylen);
		} else {
			rc = run_trusted(&x, params);
			if (rc)
				say(why, whylen, "%s: %s", def_names[c->defence], byz_strerror(rc));
			byz_params_digest(x.run_id, r->steps_done, params, x.P, r->params_digest);
		}
	}
	r->wall_s = now_s() - t0;
	free(params);
	byz_model_destroy(x.m);
	if (rc)
		exp_result_free(r);
	return rc;
}

void exp_result_free(struct exp_result *r)
{
	if (!r)
		return;
	free(r->curve);
	free(r->bans);
	r->curve = NULL;
	r->bans = NULL;
	r->ncurve = r->nbans = 0;
}

int64_t exp_ban_step(const struct exp_result *r, uint16_t peer)
{
	for (size_t k = 0; k < r->nbans; k++)
		if (r->bans[k].peer == peer)
			return (int64_t)r->bans[k].step;
	return -1;
}
