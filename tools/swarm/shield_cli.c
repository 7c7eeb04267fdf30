/*
 * byz-swarm --mode byzshield: the ByzShield mode of byz/shield_run.h on the
 * toy model, or (with --model) as the "byzshield" defence of the experiment
 * mode. Options and checks only; the mode itself is control/shield/mode.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "byz/shield_run.h"
#include "shield_cli.h"

void shield_cli_init(struct shield_cli *s, int argc, char **argv)
{
	memset(s, 0, sizeof(*s));
	s->aggr = BYZ_SHIELD_AGG_CCLIP;
	s->buckets = 5;
	s->audits = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--peers") == 0 || strncmp(argv[i], "--peers=", 8) == 0)
			s->peers_given = 1;
	}
}

int shield_cli_is_opt(int code) { return code >= SH_OPT_MODE && code < SH_OPT_END; }

void shield_cli_usage(FILE *f)
{
	fprintf(f,
		"\nByzShield mode (redundant files, signed vote over hashes; docs/byzshield.md):\n"
		"  --mode M           btard (default) | byzshield\n"
		"  --construction C   mols:L:R or ramanujan:S:M; its K workers are the peers\n"
		"                     (--peers, if given, must equal K)\n"
		"  --shield-agg A     cclip (default, radius --tau) | median-of-means |\n"
		"                     multikrum (over buckets of voted files) | mean\n"
		"  --buckets B        buckets for median-of-means / multikrum (default 5)\n"
		"  --shield-adversary random (default: a seeded Byzantine set, every file lied\n"
		"                     about) | worst-case (a maximising set of the exact search\n"
		"                     for q = --byzantine; colluders lie only where they hold a\n"
		"                     majority) | hidden (the same set, lying only on files\n"
		"                     whose every replica is theirs: the vote never sees it,\n"
		"                     only audits do)\n"
		"  --shield-false-accuse  attackers also accuse an honest co-replica each step\n"
		"  --shield-audits M  files recomputed per step by auditors drawn with the\n"
		"                     step's shared random value (default 1; 0 turns audits off)\n"
		"  --shield-withhold  attackers reveal last and withhold their MPRNG value when\n"
		"                     the draw would audit a file they lie on (banned for it)\n"
		"  With --model, byzshield is also a defence name for --aggregator/--matrix.\n");
}

static int parse_construction(struct shield_cli *s, const char *arg)
{
	char name[16];
	const char *c1 = strchr(arg, ':');
	size_t nl = c1 ? (size_t)(c1 - arg) : 0;
	char *end1 = NULL, *end2 = NULL;
	unsigned long a = 0, b = 0;
	if (c1 && nl < sizeof(name)) {
		memcpy(name, arg, nl);
		name[nl] = 0;
		errno = 0;
		if (c1[1] >= '0' && c1[1] <= '9')
			a = strtoul(c1 + 1, &end1, 10);
		if (end1 && *end1 == ':' && end1[1] >= '0' && end1[1] <= '9')
			b = strtoul(end1 + 1, &end2, 10);
	}
	if (!c1 || nl >= sizeof(name) || !end2 || *end2 || errno || a > 100000 || b > 100000) {
		fprintf(stderr, "byz-swarm: --construction wants mols:L:R or ramanujan:S:M, got '%s'\n",
			arg);
		return -1;
	}
	if (strcmp(name, "mols") == 0)
		s->kind = BYZ_SHIELD_MOLS;
	else if (strcmp(name, "ramanujan") == 0)
		s->kind = BYZ_SHIELD_RAMANUJAN;
	else {
		fprintf(stderr, "byz-swarm: --construction: unknown construction '%s' (mols or "
				"ramanujan)\n", name);
		return -1;
	}
	char why[256];
	if (byz_shield_check((enum byz_shield_kind)s->kind, (uint32_t)a, (uint32_t)b, why,
			     sizeof(why)) != 0) {
		fprintf(stderr, "byz-swarm: --construction %s: %s\n", arg, why);
		return -1;
	}
	s->p1 = (uint32_t)a;
	s->p2 = (uint32_t)b;
	return 0;
}

int shield_cli_opt(struct shield_cli *s, int code, const char *arg)
{
	char *end;
	unsigned long v;
	switch (code) {
	case SH_OPT_MODE:
		if (strcmp(arg, "byzshield") == 0)
			s->byzshield = 1;
		else if (strcmp(arg, "btard") == 0)
			s->byzshield = 0;
		else {
			fprintf(stderr, "byz-swarm: --mode wants btard or byzshield, got '%s'\n", arg);
			return -1;
		}
		return 0;
	case SH_OPT_CONSTRUCTION:
		return parse_construction(s, arg);
	case SH_OPT_AGG:
		if ((s->aggr = byz_shield_aggr_parse(arg)) < 0) {
			fprintf(stderr, "byz-swarm: --shield-agg wants cclip, median-of-means, "
					"multikrum or mean, got '%s'\n", arg);
			return -1;
		}
		return 0;
	case SH_OPT_ADVERSARY:
		if (strcmp(arg, "worst-case") == 0)
			s->worst = 1;
		else if (strcmp(arg, "hidden") == 0)
			s->worst = 2;
		else if (strcmp(arg, "random") == 0)
			s->worst = 0;
		else {
			fprintf(stderr, "byz-swarm: --shield-adversary wants random, worst-case or "
					"hidden, got '%s'\n", arg);
			return -1;
		}
		return 0;
	case SH_OPT_BUCKETS:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > BYZ_SWIRE_MAX_FILES) {
			fprintf(stderr, "byz-swarm: --buckets wants an integer in 1..%u, got '%s'\n",
				BYZ_SWIRE_MAX_FILES, arg);
			return -1;
		}
		s->buckets = (uint32_t)v;
		return 0;
	case SH_OPT_FALSE_ACCUSE:
		s->false_accuse = 1;
		return 0;
	case SH_OPT_AUDITS:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || v > BYZ_SWIRE_MAX_FILES) {
			fprintf(stderr, "byz-swarm: --shield-audits wants an integer in 0..%u, got '%s'\n",
				BYZ_SWIRE_MAX_FILES, arg);
			return -1;
		}
		s->audits = (uint32_t)v;
		s->audits_given = 1;
		return 0;
	case SH_OPT_WITHHOLD:
		s->withhold = 1;
		return 0;
	default:
		return -1;
	}
}

int shield_cli_prepare(struct shield_cli *s, struct byz_swarm_cfg *c, struct exp_cli *ex)
{
	int uses_def = ex->active && (ex->cfg.defence == EXP_DEF_BYZSHIELD ||
				      (ex->matrix && strstr(ex->matrix, "byzshield")));
	if (!s->byzshield && !uses_def) {
		if (s->kind || s->worst || s->false_accuse || s->audits_given || s->withhold) {
			fprintf(stderr, "byz-swarm: --construction, --shield-adversary, "
					"--shield-false-accuse, --shield-audits and --shield-withhold "
					"need --mode byzshield\n");
			return -1;
		}
		return 0;
	}
	if (!s->kind) {
		fprintf(stderr, "byz-swarm: byzshield needs --construction mols:L:R or "
				"ramanujan:S:M\n");
		return -1;
	}
	int err;
	s->assign = byz_shield_build((enum byz_shield_kind)s->kind, s->p1, s->p2, &err);
	if (!s->assign) {
		fprintf(stderr, "byz-swarm: cannot build the assignment: %s\n", byz_strerror(err));
		return -1;
	}
	uint32_t K = s->assign->n_workers;
	if (K > BYZ_SWIRE_MAX_WORKERS || K > BYZ_MAX_PEERS) {
		fprintf(stderr, "byz-swarm: the construction has K = %u workers; at most %u\n", K,
			BYZ_MAX_PEERS);
		return -1;
	}
	if (s->peers_given && c->n != K) {
		fprintf(stderr, "byz-swarm: --peers %u but the construction has K = %u workers "
				"(f = %u files, l = %u, r = %u); give --peers %u or leave it out\n",
			c->n, K, s->assign->n_files, s->assign->l, s->assign->r, K);
		return -1;
	}
	c->n = K;
	if (s->audits > s->assign->n_files) {
		fprintf(stderr, "byz-swarm: --shield-audits %u exceeds the construction's f = %u "
				"files\n", s->audits, s->assign->n_files);
		return -1;
	}
	if (c->nbyz >= K) {
		fprintf(stderr, "byz-swarm: --byzantine %u must be below K = %u\n", c->nbyz, K);
		return -1;
	}
	if (ex->active) {
		if (s->byzshield && !ex->matrix)
			ex->cfg.defence = EXP_DEF_BYZSHIELD;
		ex->cfg.shield = s->assign;
		ex->cfg.shield_aggr = s->aggr;
		ex->cfg.shield_buckets = s->buckets;
		ex->cfg.shield_worst = s->worst;
		ex->cfg.shield_audits = s->audits;
		ex->cfg.shield_withhold = s->withhold;
	}
	return 0;
}

void shield_cli_free(struct shield_cli *s)
{
	byz_shield_free(s->assign);
	s->assign = NULL;
}

static const char *ban_reason(const struct byz_shield_ban *b)
{
	switch (b->reason) {
	case BYZ_SHIELD_BAN_FALSE_ACCUSE:
		return "false accusation";
	case BYZ_SHIELD_BAN_REVEAL:
		return "reveal";
	default:
		return "wrong hash";
	}
}

struct toy_prog {
	const struct byz_toy_lsq *toy;
	int quiet;
};

static void toy_progress(void *ctx, uint64_t step, const float *x)
{
	struct toy_prog *p = ctx;
	if (!p->quiet)
		fprintf(stderr, "step %" PRIu64 ": ||x - x*|| %.4g\n", step, byz_toy_lsq_dist(p->toy, x));
}

int shield_cli_main(struct shield_cli *s, const struct byz_swarm_cfg *c, const int *attacks,
		    uint32_t na, const char *json, int quiet)
{
	if (c->nbyz && !na) {
		fprintf(stderr, "byz-swarm: --byzantine %u needs --attack NAME\n", c->nbyz);
		return 2;
	}
	if (na > 1) {
		fprintf(stderr, "byz-swarm: --mode byzshield takes one --attack\n");
		return 2;
	}
	if (na && byz_attack_grad_kind(attacks[0]) < 0) {
		fprintf(stderr, "byz-swarm: --mode byzshield runs gradient attacks (sign-flip, "
				"random-direction, delayed, ipm, alie, none); '%s' is a BTARD protocol "
				"attack\n", byz_attack_name(attacks[0]));
		return 2;
	}
	if (na && attacks[0] == BYZ_ATK_LABEL_FLIP) {
		fprintf(stderr, "byz-swarm: label-flip needs labels: add --model softmax|mlp|cnn\n");
		return 2;
	}
	struct byz_shield_run_cfg rc;
	byz_shield_run_defaults(&rc);
	struct byz_toy_lsq toy;
	uint8_t rid[32];
	uint8_t sb[8];
	byz_put64(sb, c->seed);
	memcpy(rid, sb, 8);
	memset(rid + 8, 0x5a, 24);
	if (byz_toy_lsq_init(&toy, rid, c->d, c->batch) != 0) {
		fprintf(stderr, "byz-swarm: cannot set up the toy model\n");
		return 1;
	}
	struct toy_prog tp = {.toy = &toy, .quiet = quiet};
	rc.assign = s->assign;
	rc.oracle = (struct byz_oracle){.grad = byz_toy_lsq_grad, .ctx = &toy};
	rc.d = c->d;
	rc.lr = c->run.lr;
	rc.tau = c->run.tau;
	rc.steps = c->steps;
	rc.seed = c->seed;
	rc.nbyz = c->nbyz;
	rc.attack = na ? attacks[0] : BYZ_ATK_NONE;
	rc.attack_start = c->attack_start;
	rc.attack_period = c->attack_period;
	rc.attack_scale = c->attack_scale;
	rc.aggr = (enum byz_shield_aggr)s->aggr;
	rc.buckets = s->buckets;
	rc.false_accuse = s->false_accuse;
	rc.audits = s->audits;
	rc.withhold_reveal = s->withhold;
	rc.progress = toy_progress;
	rc.progress_ctx = &tp;
	const struct byz_shield_assign *a = s->assign;
	struct byz_shield_worst w;
	int err = 0;
	if (s->worst && c->nbyz) {
		struct byz_shield_search *ss = byz_shield_search_new(a, 1, &err);
		struct byz_shield_search_opts so = {.time_limit_s = 10};
		if (!ss || byz_shield_worst_case(ss, c->nbyz, &so, &w) != 0) {
			fprintf(stderr, "byz-swarm: worst-case search failed\n");
			byz_shield_search_free(ss);
			byz_toy_lsq_free(&toy);
			return 1;
		}
		byz_shield_search_free(ss);
		rc.byz_set = w.set;
		rc.majority_only = 1;
		rc.hidden_only = s->worst == 2;
		fprintf(stderr, "byz-swarm: worst case for q = %u: c_max %s %u of %u files%s\n",
			c->nbyz, w.exact ? "=" : ">=", w.c_best, a->n_files,
			s->worst == 2 ? " (lying only on files with no honest replica)" : "");
	}
	struct byz_shield_run *r = byz_shield_run_new(&rc, &err);
	if (!r) {
		fprintf(stderr, "byz-swarm: cannot build the byzshield run: %s\n", byz_strerror(err));
		byz_toy_lsq_free(&toy);
		return 1;
	}
	const struct byz_shield_report *p = byz_shield_run_report(r);
	float *zero = calloc(c->d, sizeof(float));
	double d0 = zero ? byz_toy_lsq_dist(&toy, zero) : 0;
	free(zero);
	fprintf(stderr, "byz-swarm: byzshield %s(%u,%u): K = %u workers, f = %u files, l = %u, "
			"r = %u; byzantine:", a->kind == BYZ_SHIELD_MOLS ? "mols" : "ramanujan", a->p1,
		a->p2, a->n_workers, a->n_files, a->l, a->r);
	for (uint32_t i = 0; i < p->nbyz; i++)
		fprintf(stderr, " %u", p->byz[i]);
	fprintf(stderr, "%s; %u steps, seed %" PRIu64 "\n", p->nbyz ? "" : " none", c->steps,
		c->seed);
	int rr = byz_shield_run_all(r);
	double d1 = byz_toy_lsq_dist(&toy, byz_shield_run_params(r));
	uint64_t st = p->steps_done ? p->steps_done : 1;
	printf("steps %" PRIu64 "/%u  bans %zu  honest_banned %u  replicas %s  bans %s\n",
	       p->steps_done, c->steps, p->nbans, p->honest_banned,
	       p->replicas_identical ? "identical" : "DIFFER",
	       p->bans_consistent ? "consistent" : "INCONSISTENT");
	for (size_t i = 0; i < p->nbans; i++)
		printf("  ban worker %u at step %" PRIu64 ": %s (accuser %u%s)\n", p->bans[i].worker,
		       p->bans[i].step, ban_reason(&p->bans[i]), p->bans[i].accuser,
		       p->bans[i].by_audit ? ", audit" : "");
	printf("files voted %" PRIu64 ", distorted %" PRIu64 ", dropped %" PRIu64
	       ", disagreeing replicas %" PRIu64 ", accusations %" PRIu64 "\n",
	       p->files_voted, p->files_distorted, p->files_dropped, p->disagreements,
	       p->accusations);
	if (p->first_attack_step >= 0)
		printf("first attacked step %" PRId64 ": %u files distorted, %u dropped\n",
		       p->first_attack_step, p->first_distorted, p->first_dropped);
	printf("per step: %.1f gradient computations (+%.2f for adjudication, +%.2f for audits), "
	       "%.0f bytes in %.0f messages; ||x - x*|| %.4g -> %.4g\n",
	       (double)p->grad_calls / (double)st, (double)p->adjud_calls / (double)st,
	       (double)p->audit_calls / (double)st, (double)p->bytes / (double)st,
	       (double)p->msgs / (double)st, d0, d1);
	int fail = rr != 0 || p->honest_banned || !p->replicas_identical || !p->bans_consistent;
	if (json) {
		FILE *f = strcmp(json, "-") == 0 ? stdout : fopen(json, "w");
		if (!f) {
			fprintf(stderr, "byz-swarm: cannot write %s: %s\n", json, strerror(errno));
			fail = 1;
		} else {
			fprintf(f, "{\n  \"mode\": \"byzshield\",\n  \"K\": %u,\n  \"f\": %u,\n"
				   "  \"l\": %u,\n  \"r\": %u,\n  \"steps\": %" PRIu64 ",\n  \"byzantine\": [",
				a->n_workers, a->n_files, a->l, a->r, p->steps_done);
			for (uint32_t i = 0; i < p->nbyz; i++)
				fprintf(f, "%s%u", i ? ", " : "", p->byz[i]);
			fprintf(f, "],\n  \"bans\": [");
			for (size_t i = 0; i < p->nbans; i++)
				fprintf(f, "%s{\"worker\": %u, \"step\": %" PRIu64 ", \"false_accusation\": %s, "
					   "\"reason\": \"%s\", \"by_audit\": %s}",
					i ? ", " : "", p->bans[i].worker, p->bans[i].step,
					p->bans[i].false_accusation ? "true" : "false", ban_reason(&p->bans[i]),
					p->bans[i].by_audit ? "true" : "false");
			fprintf(f, "],\n  \"honest_banned\": %u,\n  \"replicas_identical\": %s,\n"
				   "  \"files_voted\": %" PRIu64 ",\n  \"files_distorted\": %" PRIu64
				   ",\n  \"files_dropped\": %" PRIu64 ",\n  \"grad_calls\": %" PRIu64
				   ",\n  \"adjud_calls\": %" PRIu64 ",\n  \"audit_calls\": %" PRIu64
				   ",\n  \"bytes\": %" PRIu64 ",\n  \"dist_end\": %.6g\n}\n",
				p->honest_banned, p->replicas_identical ? "true" : "false", p->files_voted,
				p->files_distorted, p->files_dropped, p->grad_calls, p->adjud_calls,
				p->audit_calls, p->bytes, d1);
			if (f != stdout && fclose(f) != 0)
				fail = 1;
		}
	}
	if (rr)
		fprintf(stderr, "byz-swarm: %s (replay with --seed %" PRIu64 ")\n", byz_strerror(rr),
			c->seed);
	byz_shield_run_free(r);
	byz_toy_lsq_free(&toy);
	return fail ? 1 : 0;
}
