/*
 * Training under attack (tools/swarm/experiment.c), the fast part:
 *  - every gradient attack hurts the plain mean (accuracy drops against the
 *    no-attack run of the same seeds);
 *  - (slow) validators ban every attacker of a 16-peer swarm with 7
 *    attackers within the bound of docs/experiments.md, never an honest peer;
 *  - datasets are found and refused with messages naming the problem;
 *  - the SVG chart is well formed.
 * BYZ_EXP_SLOW=1 (the slow suite's exp-btard16) adds the 16-peer swarms:
 * the ban bound above, and btard's final accuracy within 2 points of its own
 * no-attack run for every gradient attack at 16 peers / 7 attackers.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byz/err.h"
#include "byz_test.h"
#include "experiment.h"

static const int grad_attacks[] = {BYZ_ATK_SIGN_FLIP, BYZ_ATK_RANDOM_DIRECTION,
				   BYZ_ATK_LABEL_FLIP, BYZ_ATK_DELAYED, BYZ_ATK_IPM, BYZ_ATK_ALIE};
#define NGA (sizeof(grad_attacks) / sizeof(grad_attacks[0]))

static double run_acc(struct exp_cfg *c, const struct exp_data *d, int attack, int defence,
		      struct exp_result *keep)
{
	struct exp_result r;
	char why[256];
	c->attack = attack;
	c->defence = defence;
	int rc = exp_run(c, d, &r, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "exp_run %s/%s seed %" PRIu64 ": %s\n", byz_attack_name(attack),
			exp_defence_name(defence), c->seed, why);
		CU_FAIL("exp_run failed");
		return NAN;
	}
	double acc = r.final_acc;
	if (keep)
		*keep = r;
	else
		exp_result_free(&r);
	return acc;
}

/* Each attack against the mean, averaged over 3 seeds (a few ms a run). */
static void test_mean_hurt(void)
{
	const uint64_t s0 = byz_test_seed();
	double drop[NGA] = {0};
	for (uint64_t k = 0; k < 3; k++) {
		struct exp_cfg c;
		exp_defaults(&c);
		c.seed = s0 + k;
		struct exp_data d;
		CU_ASSERT_EQUAL_FATAL(exp_data_load("synthetic", c.seed, &d, NULL, 0), 0);
		double none = run_acc(&c, &d, BYZ_ATK_NONE, EXP_DEF_MEAN, NULL);
		CU_ASSERT(none > 0.6); /* the model learns at all */
		for (size_t a = 0; a < NGA; a++)
			drop[a] += (none - run_acc(&c, &d, grad_attacks[a], EXP_DEF_MEAN, NULL)) / 3;
		exp_data_free(&d);
	}
	for (size_t a = 0; a < NGA; a++) {
		printf("  mean, %-16s accuracy drop %.3f (seeds %" PRIu64 "..%" PRIu64 ")\n",
		       byz_attack_name(grad_attacks[a]), drop[a], s0, s0 + 2);
		if (!(drop[a] >= 0.015))
			fprintf(stderr, "FAILED: %s does not hurt the mean (drop %.3f, seed %" PRIu64
					")\n", byz_attack_name(grad_attacks[a]), drop[a], s0);
		CU_ASSERT(drop[a] >= 0.015);
	}
}

/*
 * The detection bound of docs/experiments.md: after a step in which an
 * attacker committed a gradient, the chance that no honest validator of the
 * next step draws it is at most q(a) = (1 - p/(a-1))^m with a active peers,
 * m = min(validators, a/4) validators and p = (h - M)/a, M =
 * min(validators, n/4) (honest peers that may not validate again). An
 * attacker commits in at least one of every two consecutive steps, so it
 * survives S steps with chance <= q^floor(S/2); over f attackers <= f q^(S/2).
 */
static uint32_t ban_bound(uint32_t n, uint32_t f, uint32_t validators, double miss)
{
	uint32_t h = n - f, M = validators < n / 4 ? validators : n / 4;
	double qmax = 0;
	for (uint32_t a = h + 1; a <= n; a++) {
		uint32_t m = validators < a / 4 ? validators : a / 4;
		double p = (double)(h - M) / a;
		double q = pow(1.0 - p / (a - 1), m);
		if (q > qmax)
			qmax = q;
	}
	uint32_t k = (uint32_t)ceil(log(miss / f) / log(qmax));
	return 2 * k + 1;
}

static void check_bans(const struct exp_cfg *c, const struct exp_result *r, uint32_t bound)
{
	CU_ASSERT_EQUAL(r->honest_banned, 0);
	CU_ASSERT(r->replicas_identical);
	CU_ASSERT(r->bans_consistent);
	CU_ASSERT_EQUAL(r->nbyz, c->nbyz);
	for (uint32_t b = 0; b < r->nbyz; b++) {
		int64_t at = exp_ban_step(r, r->byz[b]);
		int ok = at >= 0 && (uint64_t)at <= c->attack_start + bound;
		if (!ok)
			fprintf(stderr, "FAILED: attacker %u banned at step %" PRId64 " (bound %" PRIu64
					"), seed %" PRIu64 "\n", r->byz[b], at,
				c->attack_start + bound, c->seed);
		CU_ASSERT(ok);
	}
	for (size_t k = 0; k < r->nbans; k++) {
		CU_ASSERT_EQUAL(r->bans[k].reason, BYZ_BAN_GRAD);
		CU_ASSERT(r->bans[k].accuser >= 0);
	}
}

/* Every attacker banned within the bound, no honest peer; stops once all are. */
static void test_validators_bound(void)
{
	if (!getenv("BYZ_EXP_SLOW")) {
		printf("  (BYZ_EXP_SLOW unset: the 16-peer ban check runs in the slow suite)\n");
		return;
	}
	struct exp_cfg c;
	exp_defaults(&c);
	uint32_t bound = ban_bound(c.n, c.nbyz, c.validators, 1e-3);
	printf("  16 peers, 7 attackers, %u validators: every attacker banned within %u steps "
	       "with probability >= 0.999\n", c.validators, bound);
	CU_ASSERT(bound > 10 && bound < 1000);
	struct exp_data d;
	CU_ASSERT_EQUAL_FATAL(exp_data_load("synthetic", 1, &d, NULL, 0), 0);
	for (uint64_t k = 0; k < 2; k++) {
		c.seed = byz_test_seed() + k;
		c.attack_start = 3 * k; /* from the first step, and later */
		c.steps = (uint32_t)c.attack_start + bound;
		c.stop_when_banned = 1;
		c.eval_every = 1000;
		struct exp_result r;
		double acc = run_acc(&c, &d, k ? BYZ_ATK_ALIE : BYZ_ATK_SIGN_FLIP, EXP_DEF_BTARD, &r);
		if (!isnan(acc)) {
			int64_t last = -1;
			for (size_t i = 0; i < r.nbans; i++)
				last = (int64_t)r.bans[i].step > last ? (int64_t)r.bans[i].step : last;
			printf("  seed %" PRIu64 ": last ban at step %" PRId64 "\n", c.seed, last);
			check_bans(&c, &r, bound);
			exp_result_free(&r);
		}
	}
	exp_data_free(&d);
}

/* btard within 2 points of its own no-attack run, every gradient attack.
 * 120 steps: with one validator per step (the most that keeps an honest
 * majority among 16 - m contributors against 7 attackers) the last attacker
 * is banned around step 40, and the run must outlast the damage done before
 * (at 60 steps random-direction still costs ~3 points). */
static void test_btard_holds(void)
{
	if (!getenv("BYZ_EXP_SLOW")) {
		printf("  (BYZ_EXP_SLOW unset: the 16-peer accuracy check runs in the slow suite)\n");
		return;
	}
	struct exp_cfg c;
	exp_defaults(&c);
	c.seed = byz_test_seed();
	c.eval_every = 1000;
	c.steps = 120;
	uint32_t bound = ban_bound(c.n, c.nbyz, c.validators, 1e-3);
	struct exp_data d;
	CU_ASSERT_EQUAL_FATAL(exp_data_load("synthetic", c.seed, &d, NULL, 0), 0);
	double none = run_acc(&c, &d, BYZ_ATK_NONE, EXP_DEF_BTARD, NULL);
	printf("  btard, none: accuracy %.3f (seed %" PRIu64 ")\n", none, c.seed);
	for (size_t a = 0; a < NGA; a++) {
		struct exp_result r;
		double acc = run_acc(&c, &d, grad_attacks[a], EXP_DEF_BTARD, &r);
		if (isnan(acc))
			continue;
		printf("  btard, %-16s accuracy %.3f, %zu bans\n", byz_attack_name(grad_attacks[a]),
		       acc, r.nbans);
		if (!(fabs(acc - none) <= 0.02))
			fprintf(stderr, "FAILED: btard under %s: %.3f vs %.3f without attack, seed %"
					PRIu64 "\n", byz_attack_name(grad_attacks[a]), acc, none, c.seed);
		CU_ASSERT(fabs(acc - none) <= 0.02);
		check_bans(&c, &r, bound);
		exp_result_free(&r);
	}
	exp_data_free(&d);
}

/* ---------- datasets ---------- */

static char tmp[64];

static void put_be32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	fwrite(b, 1, 4, f);
}

static void write_idx(const char *dir, const char *name, uint32_t magic, uint32_t count,
		      int images, uint8_t label_max)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	put_be32(f, magic);
	put_be32(f, count);
	if (images) {
		put_be32(f, 4);
		put_be32(f, 4);
		for (uint32_t i = 0; i < count * 16; i++)
			fputc((int)(i * 37 % 256), f);
	} else {
		for (uint32_t i = 0; i < count; i++)
			fputc((int)(label_max - i % (label_max + 1u)), f);
	}
	fclose(f);
}

static void test_data(void)
{
	struct exp_data d;
	char why[512], p[256];
	snprintf(tmp, sizeof(tmp), "/tmp/byz-exp-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));

	CU_ASSERT_EQUAL(exp_data_load("synthetic", 7, &d, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(d.name, "synthetic");
	CU_ASSERT(d.train.n > 0 && d.test.n > 0);
	exp_data_free(&d);

	snprintf(p, sizeof(p), "%s/missing", tmp);
	CU_ASSERT_EQUAL(exp_data_load(p, 1, &d, why, sizeof(why)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "missing"));
	/* An empty directory names both formats it looked for. */
	CU_ASSERT_EQUAL(exp_data_load(tmp, 1, &d, why, sizeof(why)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "MNIST"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "CIFAR-10"));

	/* MNIST: a training pair alone is not enough. */
	write_idx(tmp, "train-images-idx3-ubyte", 0x803, 20, 1, 0);
	write_idx(tmp, "train-labels-idx1-ubyte", 0x801, 20, 0, 9);
	CU_ASSERT_EQUAL(exp_data_load(tmp, 1, &d, why, sizeof(why)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "t10k"));
	write_idx(tmp, "t10k-images.idx3-ubyte", 0x803, 6, 1, 0);
	write_idx(tmp, "t10k-labels.idx1-ubyte", 0x801, 6, 0, 9);
	CU_ASSERT_EQUAL(exp_data_load(tmp, 1, &d, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(d.name, "MNIST");
	CU_ASSERT_EQUAL(d.train.n, 20);
	CU_ASSERT_EQUAL(d.test.n, 6);
	CU_ASSERT_EQUAL(d.train.dim, 16);
	/* The loaded set trains (tiny, only that it runs end to end). */
	struct exp_cfg c;
	exp_defaults(&c);
	c.n = 4;
	c.nbyz = 1;
	c.batch = 4;
	c.steps = 3;
	c.defence = EXP_DEF_MEAN;
	struct exp_result r;
	CU_ASSERT_EQUAL(exp_run(&c, &d, &r, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(r.ncurve, 2); /* steps 0 and 3 */
	exp_result_free(&r);
	c.batch = 21; /* more than the training set */
	CU_ASSERT_EQUAL(exp_run(&c, &d, &r, why, sizeof(why)), -EINVAL);
	exp_data_free(&d);
	/* A label >= 10 is refused with the name of the labels file. */
	write_idx(tmp, "t10k-labels.idx1-ubyte", 0x801, 6, 0, 12);
	CU_ASSERT_EQUAL(exp_data_load(tmp, 1, &d, why, sizeof(why)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "t10k-labels.idx1-ubyte: label 12 of example 0 is not below 10"));

	/* CIFAR-10: one file, its last sixth held out; a bad size is refused. */
	snprintf(p, sizeof(p), "%s/c.bin", tmp);
	FILE *f = fopen(p, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int rec = 0; rec < 12; rec++) {
		fputc(rec % 10, f);
		for (int i = 0; i < 3072; i++)
			fputc((rec * 7 + i) & 0xff, f);
	}
	fclose(f);
	CU_ASSERT_EQUAL(exp_data_load(p, 1, &d, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(d.name, "CIFAR-10");
	CU_ASSERT_EQUAL(d.train.n, 10);
	CU_ASSERT_EQUAL(d.test.n, 2);
	CU_ASSERT_EQUAL(d.train.dim, 3072);
	exp_data_free(&d);
	f = fopen(p, "ab");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputc(1, f);
	fclose(f);
	CU_ASSERT(exp_data_load(p, 1, &d, why, sizeof(why)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "c.bin"));
	CU_ASSERT_PTR_NULL(d.train.x);

	const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
			       "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte", "c.bin"};
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, names[i]);
		unlink(p);
	}
	rmdir(tmp);

	/* A protocol attack needs the protocol. */
	exp_defaults(&c);
	CU_ASSERT_EQUAL(exp_data_load("synthetic", 1, &d, NULL, 0), 0);
	c.attack = BYZ_ATK_BAD_PART;
	c.defence = EXP_DEF_MEDIAN;
	CU_ASSERT_EQUAL(exp_run(&c, &d, &r, why, sizeof(why)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "btard"));
	exp_data_free(&d);
}

static void test_svg(void)
{
	struct exp_point a[3] = {{0, 0.25}, {5, 0.6}, {10, 0.8}}, b[2] = {{0, 0.25}, {10, NAN}};
	uint64_t marks[2] = {3, 7};
	struct svg_series s[2] = {{.label = "mean", .pts = a, .n = 3},
				  {.label = "btard <&>", .pts = b, .n = 2, .marks = marks,
				   .nmarks = 2}};
	struct svg_panel p[2] = {{.title = "attack: x", .series = s, .nseries = 2},
				 {.title = "attack: y", .series = s, .nseries = 1}};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(svg_write(f, "title", p, 2, 10, 0.25), 0);
	fclose(f);
	CU_ASSERT(len > 100 && strncmp(buf, "<svg", 4) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "</svg>\n"));
	size_t lines = 0, tris = 0;
	for (const char *q = buf; (q = strstr(q, "<polyline")); q++)
		lines++;
	for (const char *q = buf; (q = strstr(q, "<path")); q++)
		tris++;
	CU_ASSERT_EQUAL(lines, 3);
	CU_ASSERT_EQUAL(tris, 3); /* two bans and the legend's sample */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "btard &lt;&amp;&gt;")); /* escaped */
	CU_ASSERT_PTR_NULL(strstr(buf, "nan"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "held-out accuracy"));
	free(buf);
}

BYZ_TEST_MAIN("exp", {"mean-hurt", test_mean_hurt}, {"validators-bound", test_validators_bound},
	      {"btard-holds", test_btard_holds}, {"data", test_data}, {"svg", test_svg})
