/*
 * byz-swarm experiment mode: one training run or a grid of attacks x
 * defences (--matrix), with a Markdown table on stdout, CSV of accuracy
 * curves, a summary CSV (final accuracy, ban steps), an SVG chart and JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "exp_cli.h"

#define MAXA BYZ_ATK_COUNT

static const char *const trigger[] = {"--model", "--dataset", "--aggregator", "--matrix",
				      "--csv", "--summary", "--svg", "--eval-every",
				      "--hidden", "--filters"};

int exp_cli_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		for (size_t k = 0; k < sizeof(trigger) / sizeof(trigger[0]); k++) {
			size_t l = strlen(trigger[k]);
			if (strncmp(argv[i], trigger[k], l) == 0 &&
			    (argv[i][l] == 0 || argv[i][l] == '='))
				return 1;
		}
	}
	return 0;
}

void exp_cli_init(struct exp_cli *e, int active, struct byz_swarm_cfg *c)
{
	memset(e, 0, sizeof(*e));
	exp_defaults(&e->cfg);
	e->active = active;
	if (!active)
		return;
	/* The experiment's defaults replace the toy run's. */
	c->n = e->cfg.n;
	c->nbyz = e->cfg.nbyz;
	c->steps = e->cfg.steps;
	c->batch = e->cfg.batch;
	c->run.tau = e->cfg.tau;
	c->run.lr = e->cfg.lr;
	c->run.validators = e->cfg.validators;
	c->attack_period = 1;
}

int exp_cli_is_opt(int code)
{
	return code >= EXP_OPT_MODEL && code < EXP_OPT_END;
}

void exp_cli_usage(FILE *f)
{
	fprintf(f,
		"\nTraining a real model (any of the first ten options switches to it; defaults\n"
		"then: 16 peers, 7 Byzantine, sign-flip, 60 steps):\n"
		"  --model K          softmax|mlp|cnn (default mlp)\n"
		"  --dataset D        synthetic (default) or a path: an MNIST IDX directory\n"
		"                     (files plain or .gz, e.g. /usr/share/datasets/fashion-mnist),\n"
		"                     a CIFAR-10 binary directory or one CIFAR-10 .bin file\n"
		"  --aggregator A     btard (the protocol, default) | mean | cclip-server |\n"
		"                     median | geomed (a trusted server, no verification)\n"
		"  --matrix AT:DEF    grid of attacks x defences, comma lists or 'all', e.g.\n"
		"                     sign-flip,ipm,alie,none:mean,median,cclip-server,btard\n"
		"  --csv FILE         accuracy curves: attack,defence,step,accuracy\n"
		"  --summary FILE     final accuracy and ban steps per run (default: the --csv\n"
		"                     name with -summary before .csv)\n"
		"  --svg FILE         chart: a panel per attack, a line per defence\n"
		"  --eval-every K     held-out accuracy every K steps (default 5)\n"
		"  --hidden H         MLP hidden width (default 32)\n"
		"  --filters F        CNN filters (default 8)\n"
		"Both modes:\n"
		"  --tau T            CenteredClip radius per part (default 10; model: 0.1)\n"
		"  --validators M     validators per step, capped at active/4 (default 1)\n"
		"  --lr X             SGD learning rate (default 0.1; model: 0.5)\n"
		"  --batch B          examples per gradient (default 16; model: 32)\n"
		"  --attack-period P  gradient attacks act every P-th step from --attack-start (1)\n"
		"  --attack-scale S   the gradient attack's knob (sign-flip 1000, ipm 0.1, alie z)\n");
}

int exp_cli_toy_check(const int *attacks, uint32_t na)
{
	for (uint32_t a = 0; a < na; a++)
		if (attacks[a] == BYZ_ATK_LABEL_FLIP) {
			fprintf(stderr, "byz-swarm: label-flip needs labels: add --model "
					"softmax|mlp|cnn\n");
			return -1;
		}
	return 0;
}

static int num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "byz-swarm: %s wants a number in [%g, %g], got '%s'\n", opt, lo, hi,
			s);
		return -1;
	}
	*out = v;
	return 0;
}

static int num_u(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "byz-swarm: %s wants an integer in %" PRIu64 "..%" PRIu64
				", got '%s'\n", opt, lo, hi, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int exp_cli_opt(struct exp_cli *e, struct byz_swarm_cfg *c, int code, const char *arg)
{
	double v;
	uint32_t u;
	int k;
	switch (code) {
	case EXP_OPT_MODEL:
		if (byz_model_kind_parse(arg, &e->cfg.model)) {
			fprintf(stderr, "byz-swarm: --model wants softmax, mlp or cnn, got '%s'\n", arg);
			return -1;
		}
		return 0;
	case EXP_OPT_DATASET:
		e->dataset = arg;
		return 0;
	case EXP_OPT_AGGREGATOR:
		if ((k = exp_defence_parse(arg)) < 0) {
			fprintf(stderr, "byz-swarm: --aggregator wants btard, mean, cclip-server, "
					"median, geomed or byzshield, got '%s'\n", arg);
			return -1;
		}
		e->cfg.defence = k;
		return 0;
	case EXP_OPT_MATRIX:
		e->matrix = arg;
		return 0;
	case EXP_OPT_CSV:
		e->csv = arg;
		return 0;
	case EXP_OPT_SUMMARY:
		e->summary = arg;
		return 0;
	case EXP_OPT_SVG:
		e->svg = arg;
		return 0;
	case EXP_OPT_EVAL_EVERY:
		return num_u("--eval-every", arg, 1, 1000000, &e->cfg.eval_every);
	case EXP_OPT_HIDDEN:
		return num_u("--hidden", arg, 1, 4096, &e->cfg.hidden);
	case EXP_OPT_FILTERS:
		return num_u("--filters", arg, 1, 256, &e->cfg.filters);
	case EXP_OPT_TAU:
		if (num("--tau", arg, 1e-9, 1e9, &v))
			return -1;
		c->run.tau = v;
		return 0;
	case EXP_OPT_VALIDATORS:
		if (num_u("--validators", arg, 0, BYZ_MAX_PEERS, &u))
			return -1;
		c->run.validators = u;
		return 0;
	case EXP_OPT_LR:
		if (num("--lr", arg, 1e-9, 1e6, &v))
			return -1;
		c->run.lr = (float)v;
		return 0;
	case EXP_OPT_BATCH:
		if (num_u("--batch", arg, 1, BYZ_BATCH_MAX, &u))
			return -1;
		c->batch = u;
		return 0;
	case EXP_OPT_ATTACK_PERIOD:
		if (num_u("--attack-period", arg, 1, 1000000, &u))
			return -1;
		c->attack_period = u;
		return 0;
	case EXP_OPT_ATTACK_SCALE:
		if (num("--attack-scale", arg, 1e-9, 1e9, &v))
			return -1;
		c->attack_scale = v;
		return 0;
	default:
		return -1;
	}
}

/* ---------- the grid ---------- */

struct cell {
	int attack, defence;
	struct exp_result r;
	int done;
};

static int parse_list(const char *s, int is_def, int *out, uint32_t *n)
{
	*n = 0;
	if (strcmp(s, "all") == 0) {
		if (is_def) { /* byzshield needs a construction: named, not in 'all' */
			for (int d = 0; d <= EXP_DEF_BTARD; d++)
				out[(*n)++] = d;
		} else {
			for (int a = 0; a < BYZ_ATK_COUNT; a++)
				if (byz_attack_grad_kind(a) >= 0)
					out[(*n)++] = a;
		}
		return 0;
	}
	char buf[1024];
	if (strlen(s) >= sizeof(buf)) {
		fprintf(stderr, "byz-swarm: --matrix list too long\n");
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int v = is_def ? exp_defence_parse(t) : byz_attack_parse(t);
		if (v < 0) {
			fprintf(stderr, "byz-swarm: --matrix: unknown %s '%s' (see --help)\n",
				is_def ? "defence" : "attack", t);
			return -1;
		}
		for (uint32_t k = 0; k < *n; k++)
			if (out[k] == v) {
				fprintf(stderr, "byz-swarm: --matrix: '%s' listed twice\n", t);
				return -1;
			}
		if (*n == (uint32_t)(is_def ? EXP_DEF_COUNT : MAXA))
			return -1;
		out[(*n)++] = v;
	}
	if (*n == 0) {
		fprintf(stderr, "byz-swarm: --matrix wants ATTACKS:DEFENCES, e.g. "
				"sign-flip,ipm:mean,btard\n");
		return -1;
	}
	return 0;
}

static FILE *open_out(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f)
		fprintf(stderr, "byz-swarm: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	if (f == stdout)
		return fflush(f) == 0 ? 0 : -1;
	if (fclose(f) != 0) {
		fprintf(stderr, "byz-swarm: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static void json_run(FILE *f, const struct exp_cfg *c, const struct cell *x, const char *ind)
{
	const struct exp_result *r = &x->r;
	fprintf(f, "%s\"attack\": \"%s\",\n%s\"aggregator\": \"%s\",\n", ind,
		byz_attack_name(x->attack), ind, exp_defence_name(x->defence));
	fprintf(f, "%s\"final_accuracy\": %.6f,\n%s\"final_loss\": %.6g,\n%s\"diverged\": %s,\n",
		ind, r->final_acc, ind, isfinite(r->final_loss) ? r->final_loss : -1.0, ind,
		r->diverged ? "true" : "false");
	fprintf(f, "%s\"accuracy_curve\": [", ind);
	for (size_t i = 0; i < r->ncurve; i++)
		fprintf(f, "%s[%" PRIu64 ", %.6f]", i ? ", " : "", r->curve[i].step, r->curve[i].acc);
	fprintf(f, "],\n");
	fprintf(f, "%s\"steps\": %" PRIu64 ",\n%s\"steps_requested\": %u,\n", ind, r->steps_done,
		ind, c->steps);
	if (x->defence == EXP_DEF_BTARD || x->defence == EXP_DEF_BYZSHIELD) {
		fprintf(f, "%s\"gradient_computations\": %" PRIu64 ",\n%s\"adjudication_"
			   "computations\": %" PRIu64 ",\n", ind, r->grad_calls, ind, r->adjud_calls);
		fprintf(f, "%s\"byzantine\": [", ind);
		for (uint32_t i = 0; i < r->nbyz; i++)
			fprintf(f, "%s%u", i ? ", " : "", r->byz[i]);
		fprintf(f, "],\n%s\"bans\": [", ind);
		for (size_t i = 0; i < r->nbans; i++)
			fprintf(f, "%s{\"peer\": %u, \"step\": %" PRIu64 ", \"reason\": \"%s\", "
				   "\"accuser\": %d}", i ? ", " : "", r->bans[i].peer, r->bans[i].step,
				byz_ban_reason_name(r->bans[i].reason), (int)r->bans[i].accuser);
		fprintf(f, "],\n%s\"honest_banned\": %u,\n%s\"replicas_identical\": %s,\n"
			   "%s\"bans_consistent\": %s,\n%s\"finished\": %s,\n%s\"restarts\": %" PRIu64
			   ",\n%s\"messages\": %" PRIu64 ",\n%s\"bytes\": %" PRIu64 ",\n",
			ind, r->honest_banned, ind, r->replicas_identical ? "true" : "false", ind,
			r->bans_consistent ? "true" : "false", ind, r->finished ? "true" : "false", ind,
			r->restarts, ind, r->msgs, ind, r->bytes);
	}
	char hex[65];
	byz_hex(r->params_digest, 32, hex);
	fprintf(f, "%s\"params_digest\": \"%s\",\n", ind, hex);
	byz_hex(r->model_fingerprint, sizeof(r->model_fingerprint), hex);
	fprintf(f, "%s\"model_fingerprint\": \"%s\",\n", ind, hex);
	fprintf(f, "%s\"wall_seconds\": %.3f", ind, r->wall_s);
}

static int write_json(const char *path, const struct exp_cfg *c, const struct exp_data *d,
		      const struct cell *cells, size_t nc, size_t params)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "{\n  \"model\": \"%s\",\n  \"parameters\": %zu,\n  \"dataset\": \"",
		byz_model_kind_name(c->model), params);
	for (const char *s = d->desc; *s; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			fputc(*s, f);
	fprintf(f, "\",\n  \"peers\": %u,\n  \"byzantine_count\": %u,\n  \"seed\": %" PRIu64
		   ",\n  \"attack_start\": %" PRIu64 ",\n  \"attack_period\": %u,\n  \"tau\": %.6g,\n"
		   "  \"validators\": %u,\n  \"lr\": %.6g,\n  \"batch\": %u,\n  \"eval_every\": %u,\n",
		c->n, c->nbyz, c->seed, c->attack_start, c->attack_period, c->tau, c->validators,
		(double)c->lr, c->batch, c->eval_every);
	if (nc == 1) {
		json_run(f, c, &cells[0], "  ");
		fprintf(f, "\n}\n");
	} else {
		fprintf(f, "  \"runs\": [");
		for (size_t i = 0; i < nc; i++) {
			fprintf(f, "%s\n    {\n", i ? "," : "");
			json_run(f, c, &cells[i], "      ");
			fprintf(f, "\n    }");
		}
		fprintf(f, "\n  ]\n}\n");
	}
	return close_out(f, path);
}

static void ban_list(FILE *f, const struct exp_result *r, const char *sep)
{
	for (size_t i = 0; i < r->nbans; i++)
		fprintf(f, "%s%u@%" PRIu64, i ? sep : "", r->bans[i].peer, r->bans[i].step);
}

static int write_csv(const char *path, const struct cell *cells, size_t nc)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "attack,defence,step,accuracy\n");
	for (size_t i = 0; i < nc; i++)
		for (size_t k = 0; k < cells[i].r.ncurve; k++)
			fprintf(f, "%s,%s,%" PRIu64 ",%.6f\n", byz_attack_name(cells[i].attack),
				exp_defence_name(cells[i].defence), cells[i].r.curve[k].step,
				cells[i].r.curve[k].acc);
	return close_out(f, path);
}

static int write_summary(const char *path, const struct cell *cells, size_t nc)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "attack,defence,final_accuracy,diverged,attackers,banned,last_ban_step,"
		   "bans,honest_banned,seconds\n");
	for (size_t i = 0; i < nc; i++) {
		const struct exp_result *r = &cells[i].r;
		int64_t last = -1;
		for (size_t k = 0; k < r->nbans; k++)
			if ((int64_t)r->bans[k].step > last)
				last = (int64_t)r->bans[k].step;
		fprintf(f, "%s,%s,%.6f,%d,%u,%zu,", byz_attack_name(cells[i].attack),
			exp_defence_name(cells[i].defence), r->final_acc, r->diverged, r->nbyz,
			r->nbans);
		if (last >= 0)
			fprintf(f, "%" PRId64, last);
		fprintf(f, ",");
		ban_list(f, r, ";");
		fprintf(f, ",%u,%.3f\n", r->honest_banned, r->wall_s);
	}
	return close_out(f, path);
}

static int write_svg(const char *path, const struct exp_cfg *c, const struct exp_data *d,
		     const struct cell *cells, const int *atk, uint32_t na, const int *def,
		     uint32_t nd)
{
	struct svg_panel panels[MAXA];
	struct svg_series series[MAXA][EXP_DEF_COUNT];
	char titles[MAXA][64];
	uint64_t (*marks)[EXP_DEF_COUNT][BYZ_MAX_PEERS] = calloc(MAXA, sizeof(*marks));
	if (!marks)
		return -1;
	for (uint32_t a = 0; a < na; a++) {
		snprintf(titles[a], sizeof(titles[a]), "attack: %s", byz_attack_name(atk[a]));
		for (uint32_t k = 0; k < nd; k++) {
			const struct cell *x = &cells[a * nd + k];
			size_t nm = x->r.nbans < BYZ_MAX_PEERS ? x->r.nbans : BYZ_MAX_PEERS;
			for (size_t i = 0; i < nm; i++)
				marks[a][k][i] = x->r.bans[i].step;
			series[a][k] = (struct svg_series){.label = exp_defence_name(def[k]),
							   .pts = x->r.curve, .n = x->r.ncurve,
							   .marks = marks[a][k], .nmarks = nm};
		}
		panels[a] = (struct svg_panel){.title = titles[a], .series = series[a], .nseries = nd};
	}
	char title[256];
	char when[64];
	if (c->attack_period == 1)
		snprintf(when, sizeof(when), "every step from step %" PRIu64, c->attack_start);
	else
		snprintf(when, sizeof(when), "every %u steps from step %" PRIu64, c->attack_period,
			 c->attack_start);
	snprintf(title, sizeof(title), "%s on %s: %u peers, %u attack %s (seed %" PRIu64 ")",
		 byz_model_kind_name(c->model), d->name, c->n, c->nbyz, when, c->seed);
	FILE *f = open_out(path);
	if (!f) {
		free(marks);
		return -1;
	}
	int rc = svg_write(f, title, panels, na, c->steps, 1.0 / d->train.classes);
	free(marks);
	if (close_out(f, path) || rc) {
		fprintf(stderr, "byz-swarm: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* Cost per step of the protocol defences, from their counters. */
static void print_costs(const struct cell *cells, const int *atk, uint32_t na, const int *def,
			uint32_t nd)
{
	int any = 0;
	for (uint32_t k = 0; k < nd; k++)
		any |= def[k] == EXP_DEF_BTARD || def[k] == EXP_DEF_BYZSHIELD;
	if (!any)
		return;
	printf("\n| attack | defence | bytes/step | gradients/step | adjudication/step | "
	       "bans | honest banned | files distorted | files dropped |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (uint32_t a = 0; a < na; a++)
		for (uint32_t k = 0; k < nd; k++) {
			const struct exp_result *r = &cells[a * nd + k].r;
			if (def[k] != EXP_DEF_BTARD && def[k] != EXP_DEF_BYZSHIELD)
				continue;
			double st = r->steps_done ? (double)r->steps_done : 1.0;
			printf("| %s | %s | %.0f | %.1f | %.2f | %zu | %u |", byz_attack_name(atk[a]),
			       exp_defence_name(def[k]), (double)r->bytes / st,
			       (double)r->grad_calls / st, (double)r->adjud_calls / st, r->nbans,
			       r->honest_banned);
			if (def[k] == EXP_DEF_BYZSHIELD)
				printf(" %" PRIu64 " | %" PRIu64 " |\n", r->files_distorted,
				       r->files_dropped);
			else
				printf(" - | - |\n");
		}
}

static void print_table(const struct cell *cells, const int *atk, uint32_t na, const int *def,
			uint32_t nd)
{
	printf("\n| attack |");
	for (uint32_t k = 0; k < nd; k++)
		printf(" %s |", exp_defence_name(def[k]));
	printf("\n|---|");
	for (uint32_t k = 0; k < nd; k++)
		printf("---|");
	printf("\n");
	for (uint32_t a = 0; a < na; a++) {
		printf("| %s |", byz_attack_name(atk[a]));
		for (uint32_t k = 0; k < nd; k++) {
			const struct exp_result *r = &cells[a * nd + k].r;
			printf(" %.3f%s |", r->final_acc, r->diverged ? " (diverged)" : "");
		}
		printf("\n");
	}
	for (uint32_t a = 0; a < na; a++)
		for (uint32_t k = 0; k < nd; k++) {
			const struct exp_result *r = &cells[a * nd + k].r;
			if (def[k] != EXP_DEF_BTARD)
				continue;
			printf("\nbtard vs %s: %zu of %u attackers banned (peer@step): ",
			       byz_attack_name(atk[a]), r->nbans, r->nbyz);
			ban_list(stdout, r, " ");
			printf("%s", r->honest_banned ? "  HONEST PEERS BANNED" : "");
		}
	printf("\n");
	print_costs(cells, atk, na, def, nd);
}

int exp_cli_main(struct exp_cli *e, const struct byz_swarm_cfg *c, const int *attacks,
		 uint32_t na, const char *json, int quiet)
{
	struct exp_cfg cfg = e->cfg;
	cfg.n = c->n;
	cfg.nbyz = c->nbyz;
	cfg.steps = c->steps;
	cfg.seed = c->seed;
	cfg.attack_start = c->attack_start;
	cfg.attack_period = c->attack_period ? c->attack_period : 1;
	cfg.attack_scale = c->attack_scale;
	cfg.tau = c->run.tau;
	cfg.lr = c->run.lr;
	cfg.validators = c->run.validators;
	cfg.batch = c->batch;
	cfg.net = c->net;
	if (2 * cfg.nbyz >= cfg.n) {
		fprintf(stderr, "byz-swarm: --byzantine %u needs an honest majority: B < N/2 "
				"(N = %u)\n", cfg.nbyz, cfg.n);
		return 2;
	}
	int atk[MAXA], def[EXP_DEF_COUNT];
	uint32_t nat = 0, nd = 0;
	if (e->matrix) {
		if (na) {
			fprintf(stderr, "byz-swarm: give the attacks in --matrix, not --attack\n");
			return 2;
		}
		const char *colon = strchr(e->matrix, ':');
		char left[1024];
		size_t ll = colon ? (size_t)(colon - e->matrix) : 0;
		if (!colon || ll >= sizeof(left) || strchr(colon + 1, ':')) {
			fprintf(stderr, "byz-swarm: --matrix wants ATTACKS:DEFENCES, e.g. "
					"sign-flip,ipm:mean,btard\n");
			return 2;
		}
		memcpy(left, e->matrix, ll);
		left[ll] = 0;
		if (parse_list(left, 0, atk, &nat) || parse_list(colon + 1, 1, def, &nd))
			return 2;
	} else {
		if (na > 1) {
			fprintf(stderr, "byz-swarm: with a model, give one --attack (or a --matrix)\n");
			return 2;
		}
		atk[nat++] = na ? attacks[0] : BYZ_ATK_SIGN_FLIP;
		def[nd++] = cfg.defence;
	}
	for (uint32_t a = 0; a < nat; a++)
		for (uint32_t k = 0; k < nd; k++)
			if (def[k] != EXP_DEF_BTARD && byz_attack_grad_kind(atk[a]) < 0) {
				fprintf(stderr, "byz-swarm: protocol attack '%s' needs the btard "
						"aggregator (a trusted server has no protocol to attack)\n",
					byz_attack_name(atk[a]));
				return 2;
			}
	if (cfg.nbyz == 0)
		for (uint32_t a = 0; a < nat; a++)
			if (atk[a] != BYZ_ATK_NONE) {
				fprintf(stderr, "byz-swarm: attack '%s' with --byzantine 0: nobody "
						"attacks (use --byzantine B)\n", byz_attack_name(atk[a]));
				return 2;
			}
	char why[512];
	struct exp_data data;
	if (exp_data_load(e->dataset, cfg.seed, &data, why, sizeof(why))) {
		fprintf(stderr, "byz-swarm: --dataset: %s\n", why);
		return 2;
	}
	if (cfg.batch > data.train.n) {
		fprintf(stderr, "byz-swarm: --batch %u exceeds the %u training examples\n", cfg.batch,
			data.train.n);
		exp_data_free(&data);
		return 2;
	}
	size_t nc = (size_t)nat * nd;
	struct cell *cells = calloc(nc, sizeof(*cells));
	if (!cells) {
		exp_data_free(&data);
		return 1;
	}
	fprintf(stderr, "byz-swarm: %s model on %s; %u peers, %u Byzantine; %u steps, "
			"lr %g, batch %u, tau %g, validators %u, seed %" PRIu64 "\n",
		byz_model_kind_name(cfg.model), data.desc, cfg.n, cfg.nbyz, cfg.steps,
		(double)cfg.lr, cfg.batch, cfg.tau, cfg.validators, cfg.seed);
	int fail = 0, broken = 0;
	size_t params = 0;
	for (uint32_t a = 0; a < nat && !fail; a++)
		for (uint32_t k = 0; k < nd && !fail; k++) {
			struct cell *x = &cells[a * nd + k];
			x->attack = atk[a];
			x->defence = def[k];
			struct exp_cfg rc = cfg;
			rc.attack = atk[a];
			rc.defence = def[k];
			rc.log = quiet || nc > 1 ? NULL : stderr;
			int err = exp_run(&rc, &data, &x->r, why, sizeof(why));
			if (err) {
				fprintf(stderr, "byz-swarm: %s / %s: %s\n", byz_attack_name(atk[a]),
					exp_defence_name(def[k]), why[0] ? why : byz_strerror(err));
				fail = 1;
				break;
			}
			x->done = 1;
			params = x->r.d;
			if (!quiet)
				fprintf(stderr, "[%zu/%zu] %-16s %-12s accuracy %.3f%s, %zu bans, "
						"%.1f s\n", (size_t)a * nd + k + 1, nc,
					byz_attack_name(atk[a]), exp_defence_name(def[k]),
					x->r.final_acc, x->r.diverged ? " (diverged)" : "",
					x->r.nbans, x->r.wall_s);
			/* A protocol failure is reported in full, then the exit status says so. */
			if ((def[k] == EXP_DEF_BTARD || def[k] == EXP_DEF_BYZSHIELD) &&
			    (x->r.honest_banned || !x->r.replicas_identical || !x->r.bans_consistent)) {
				fprintf(stderr, "byz-swarm: %s / %s: %u honest peers banned, replicas "
						"%s, bans %s (seed %" PRIu64 ")\n", byz_attack_name(atk[a]),
					exp_defence_name(def[k]), x->r.honest_banned,
					x->r.replicas_identical ? "identical" : "DIFFER",
					x->r.bans_consistent ? "consistent" : "INCONSISTENT", cfg.seed);
				broken = 1;
			}
		}
	if (!fail) {
		if (nc == 1) {
			const struct exp_result *r = &cells[0].r;
			printf("%s / %s: final accuracy %.4f%s after %" PRIu64 " steps (%zu parameters)\n",
			       byz_attack_name(atk[0]), exp_defence_name(def[0]), r->final_acc,
			       r->diverged ? " (diverged)" : "", r->steps_done, r->d);
			char dh[65], fh[65];
			byz_hex(r->params_digest, 32, dh);
			byz_hex(r->model_fingerprint, sizeof(r->model_fingerprint), fh);
			printf("params digest %s\nmodel fingerprint %s\n", dh, fh);
			if (def[0] == EXP_DEF_BTARD) {
				printf("bans %zu of %u attackers, honest_banned %u, replicas %s, bans %s\n",
				       r->nbans, r->nbyz, r->honest_banned,
				       r->replicas_identical ? "identical" : "DIFFER",
				       r->bans_consistent ? "consistent" : "INCONSISTENT");
				for (size_t i = 0; i < r->nbans; i++)
					printf("  ban peer %u at step %" PRIu64 ": %s (accuser %d)\n",
					       r->bans[i].peer, r->bans[i].step,
					       byz_ban_reason_name(r->bans[i].reason),
					       (int)r->bans[i].accuser);
			}
			print_costs(cells, atk, nat, def, nd);
		} else {
			print_table(cells, atk, nat, def, nd);
		}
		char sum[4096];
		const char *sp = e->summary;
		if (!sp && e->csv && strcmp(e->csv, "-") != 0) {
			size_t l = strlen(e->csv);
			if (l > 4 && strcmp(e->csv + l - 4, ".csv") == 0)
				snprintf(sum, sizeof(sum), "%.*s-summary.csv", (int)(l - 4), e->csv);
			else
				snprintf(sum, sizeof(sum), "%s-summary.csv", e->csv);
			sp = sum;
		}
		if (e->csv && write_csv(e->csv, cells, nc))
			fail = 2;
		if (sp && write_summary(sp, cells, nc))
			fail = 2;
		if (e->svg && write_svg(e->svg, &cfg, &data, cells, atk, nat, def, nd))
			fail = 2;
		if (json && write_json(json, &cfg, &data, cells, nc, params))
			fail = 2;
	}
	for (size_t i = 0; i < nc; i++)
		exp_result_free(&cells[i].r);
	free(cells);
	exp_data_free(&data);
	return fail || broken ? 1 : 0;
}
