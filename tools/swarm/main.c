/* byz-swarm: a whole BTARD swarm with attackers in one process, on a virtual
 * clock and a seeded virtual network. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "byz/ident.h"
#include "byz/swarm.h"
#include "byz/wire.h"
#include "exp_cli.h"
#include "shield_cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: byz-swarm [options]\n"
		"Runs n protocol peers (b of them Byzantine) in one process and reports bans,\n"
		"replica agreement and the final params digest. Every run replays from its seed.\n\n"
		"  --peers N         peers in the swarm, 2..%u (default 4)\n"
		"  --byzantine B     Byzantine peers, B < N/2 (default 0)\n"
		"  --attack LIST     comma-separated attacks, assigned round-robin (required if B > 0)\n"
		"  --steps S         training steps (default 5)\n"
		"  --seed X          seed of keys, data, attacker ids and network (default 1)\n"
		"  --dim D           model dimension (default 256)\n"
		"  --attack-start T  first step the attackers attack (default 0)\n"
		"  --loss P          chance a delivery is lost and retransmitted (default 0.02)\n"
		"  --dup P           chance a delivery is duplicated (default 0.02)\n"
		"  --partitions P    chance per phase that a short partition starts (default 0)\n"
		"  --validation MODE exact: recomputed part hashes must match bit for bit;\n"
		"                    tolerance: parts fetched from the aggregators must be\n"
		"                    within relative distance rho (default exact)\n"
		"  --rho R           tolerance-mode relative tolerance, 0 <= R < 1 (default 1e-3)\n"
		"  --noisy K         K honest peers (lowest ids) compute gradients with relative\n"
		"                    noise (non-reproducible hardware; default 0)\n"
		"  --noise E         that relative noise, 0 <= E < 1 (default 1e-4)\n"
		"  --joiners N       N newcomers (keys not in the roster) ask to join ...\n"
		"  --join-step T     ... once step T is reached (default 1)\n"
		"  --joiner-attack A the first --joiner-byzantine K newcomers run attack A\n"
		"  --joiner-byzantine K  (default 1 when --joiner-attack is given)\n"
		"  --probation P     validated steps before an admitted peer counts (default 3)\n"
		"  --admit-rate R/W  at most R admissions per W steps (default 1/2)\n"
		"  --corrupt-step T  corrupt one honest peer's params when step T starts: it\n"
		"                    must notice, re-sync from a checked snapshot, not be banned\n"
		"  --no-relay        debug: no relay windows after the digest phases (reopens\n"
		"                    the late-delivery gap: late-to-some then splits stores)\n"
		"  --json FILE       write the summary as JSON (\"-\" for stdout)\n"
		"  --quiet           no per-step progress\n"
		"  --help            this text\n\n"
		"Attacks:\n",
		BYZ_MAX_PEERS);
	for (int a = 0; a < BYZ_ATK_COUNT; a++)
		fprintf(f, "  %-18s %s\n", byz_attack_name(a), byz_attack_help(a));
	exp_cli_usage(f);
	shield_cli_usage(f);
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "byz-swarm: %s wants an integer in %" PRIu64 "..%" PRIu64 ", got '%s'\n",
			opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_prob(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= 0 && v <= 0.5)) {
		fprintf(stderr, "byz-swarm: %s wants a probability in [0, 0.5], got '%s'\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_unit(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= 0 && v < 1)) {
		fprintf(stderr, "byz-swarm: %s wants a number in [0, 1), got '%s'\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static void progress(void *ctx, const struct byz_swarm *s, uint64_t step)
{
	const struct byz_swarm_report *r = byz_swarm_report(s);
	(void)ctx;
	fprintf(stderr, "step %" PRIu64 ": restarts %" PRIu64 ", accusations %" PRIu64
		", replicas %s\n", step, r->restarts, r->accusations,
		r->replicas_identical ? "identical" : "DIFFER");
}

/* Control traffic: everything but the data (PART, and AGGV, which stands in
 * for the dataplane's stream of aggregated parts). */
static uint64_t control_bytes(const struct byz_swarm_report *r)
{
	return r->bytes - r->type_bytes[BYZ_MSG_PART] - r->type_bytes[BYZ_MSG_AGGV];
}

static void write_json(FILE *f, const struct byz_swarm_cfg *c, const struct byz_swarm_report *r)
{
	char hex[65];
	byz_hex(r->params_digest, 32, hex);
	fprintf(f, "{\n  \"steps\": %" PRIu64 ",\n  \"steps_requested\": %u,\n  \"peers\": %u,\n",
		r->steps_done, c->steps, r->n);
	fprintf(f, "  \"seed\": %" PRIu64 ",\n", c->seed);
	fprintf(f, "  \"validation\": \"%s\",\n  \"rho\": %.6g,\n  \"validators\": %u,\n"
		   "  \"noisy\": %u,\n  \"noise\": %.6g,\n",
		c->run.validation == BYZ_VALIDATE_TOLERANCE ? "tolerance" : "exact", c->run.rho,
		c->run.validators, c->noisy, c->noisy ? c->noise : 0.0);
	fprintf(f, "  \"byzantine\": [");
	for (uint32_t i = 0; i < r->nbyz; i++)
		fprintf(f, "%s%u", i ? ", " : "", r->byz[i]);
	fprintf(f, "],\n  \"attacks\": [");
	for (uint32_t i = 0; i < r->nbyz; i++)
		fprintf(f, "%s{\"peer\": %u, \"attack\": \"%s\"}", i ? ", " : "", r->byz[i],
			byz_attack_name(r->byz_attack[i]));
	fprintf(f, "],\n  \"bans\": [");
	for (size_t i = 0; i < r->nbans; i++)
		fprintf(f, "%s\n    {\"peer\": %u, \"step\": %" PRIu64 ", \"reason\": \"%s\", \"accuser\": %d}",
			i ? "," : "", r->bans[i].peer, r->bans[i].step,
			byz_ban_reason_name(r->bans[i].reason), (int)r->bans[i].accuser);
	fprintf(f, "%s],\n", r->nbans ? "\n  " : "");
	fprintf(f, "  \"honest_banned\": %u,\n  \"replicas_identical\": %s,\n"
		   "  \"bans_consistent\": %s,\n  \"finished\": %s,\n  \"params_digest\": \"%s\",\n",
		r->honest_banned, r->replicas_identical ? "true" : "false",
		r->bans_consistent ? "true" : "false", r->finished ? "true" : "false", hex);
	fprintf(f, "  \"joined\": [");
	for (size_t i = 0; i < r->njoined; i++) {
		const struct byz_join_rec *j = &r->joined[i];
		fprintf(f, "%s\n    {\"peer\": %u, \"slot\": %d, \"admitted\": %" PRIu64
			", \"active\": ", i ? "," : "", j->peer, j->slot == 0xffff ? -1 : (int)j->slot,
			j->admitted);
		if (j->active == UINT64_MAX)
			fprintf(f, "null");
		else
			fprintf(f, "%" PRIu64, j->active);
		fprintf(f, ", \"byzantine\": %s}", j->byz ? "true" : "false");
	}
	fprintf(f, "%s],\n  \"probation\": [", r->njoined ? "\n  " : "");
	int first = 1;
	for (size_t i = 0; i < r->njoined; i++) {
		const struct byz_join_rec *j = &r->joined[i];
		int banned = 0;
		for (size_t k = 0; k < r->nbans; k++)
			banned |= r->bans[k].peer == j->peer && r->bans[k].step >= j->admitted;
		if (j->active == UINT64_MAX && !banned) {
			fprintf(f, "%s%u", first ? "" : ", ", j->peer);
			first = 0;
		}
	}
	fprintf(f, "],\n  \"active_end\": %u,\n  \"out_of_sync\": %" PRIu64
		   ",\n  \"resyncs\": %" PRIu64 ",\n",
		r->active_end, r->out_of_sync, r->resyncs);
	fprintf(f, "  \"restarts\": %" PRIu64 ",\n  \"silent_events\": %" PRIu64
		   ",\n  \"left\": %" PRIu64 ",\n  \"accusations\": %" PRIu64 ",\n",
		r->restarts, r->silent_events, r->left_events, r->accusations);
	fprintf(f, "  \"by_type\": {");
	int ft = 1;
	for (unsigned t = 0; t < BYZ_SWARM_TYPES; t++) {
		if (!r->type_msgs[t])
			continue;
		fprintf(f, "%s\"%s\": {\"messages\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
			ft ? "" : ", ", byz_wire_type_name((uint8_t)t), r->type_msgs[t],
			r->type_bytes[t]);
		ft = 0;
	}
	fprintf(f, "},\n  \"control_bytes\": %" PRIu64 ",\n  \"verifies\": %" PRIu64 ",\n",
		control_bytes(r), r->verifies);
	fprintf(f, "  \"messages\": %" PRIu64 ",\n  \"bytes\": %" PRIu64 ",\n  \"dropped\": %" PRIu64
		   ",\n  \"virtual_seconds\": %.3f,\n  \"dist_start\": %.6g,\n  \"dist_end\": %.6g\n}\n",
		r->msgs, r->bytes, r->dropped, (double)r->virtual_us / 1e6, r->dist_start,
		r->dist_end);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"peers", required_argument, 0, 'n'},   {"byzantine", required_argument, 0, 'b'},
		{"attack", required_argument, 0, 'a'},  {"steps", required_argument, 0, 's'},
		{"seed", required_argument, 0, 'x'},    {"dim", required_argument, 0, 'd'},
		{"attack-start", required_argument, 0, 't'}, {"loss", required_argument, 0, 'l'},
		{"dup", required_argument, 0, 'u'},     {"partitions", required_argument, 0, 'p'},
		{"json", required_argument, 0, 'j'},    {"quiet", no_argument, 0, 'q'},
		{"validation", required_argument, 0, 'M'},
		{"rho", required_argument, 0, 'R'},     {"noisy", required_argument, 0, 'N'},
		{"noise", required_argument, 0, 'E'},
		{"joiners", required_argument, 0, 'J'}, {"join-step", required_argument, 0, 'T'},
		{"joiner-attack", required_argument, 0, 'A'},
		{"joiner-byzantine", required_argument, 0, 'K'},
		{"probation", required_argument, 0, 'P'}, {"admit-rate", required_argument, 0, 'W'},
		{"corrupt-step", required_argument, 0, 'C'},
		{"no-relay", no_argument, 0, 0x101},
		/* training a real model, and options both modes share (exp_cli.c) */
		EXP_CLI_OPTIONS
		/* ByzShield mode (shield_cli.c) */
		SHIELD_CLI_OPTIONS
		{"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
	struct byz_swarm_cfg c;
	byz_swarm_defaults(&c);
	c.noise = 1e-4;
	c.join_step = 1;
	int joiner_attack = 0, joiner_byz = 0;
	struct exp_cli ex;
	exp_cli_init(&ex, exp_cli_wanted(argc, argv), &c);
	struct shield_cli sh;
	shield_cli_init(&sh, argc, argv);
	int attacks[BYZ_ATK_COUNT * 4];
	uint32_t na = 0;
	const char *json = NULL;
	int quiet = 0, o;
	uint64_t v;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (parse_u64("--peers", optarg, 2, BYZ_MAX_PEERS, &v))
				return 2;
			c.n = (uint32_t)v;
			break;
		case 'b':
			if (parse_u64("--byzantine", optarg, 0, BYZ_MAX_PEERS, &v))
				return 2;
			c.nbyz = (uint32_t)v;
			break;
		case 'a': {
			char *dup = strdup(optarg), *save = NULL;
			if (!dup)
				return 2;
			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int a = byz_attack_parse(t);
				if (a < 0) {
					fprintf(stderr, "byz-swarm: unknown attack '%s' (see --help)\n", t);
					free(dup);
					return 2;
				}
				if (na == sizeof(attacks) / sizeof(attacks[0])) {
					fprintf(stderr, "byz-swarm: too many attacks\n");
					free(dup);
					return 2;
				}
				attacks[na++] = a;
			}
			free(dup);
			if (!na) {
				fprintf(stderr, "byz-swarm: --attack needs at least one name\n");
				return 2;
			}
			break;
		}
		case 's':
			if (parse_u64("--steps", optarg, 1, 1000000, &v))
				return 2;
			c.steps = (uint32_t)v;
			break;
		case 'x':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &v))
				return 2;
			c.seed = v;
			break;
		case 'd':
			if (parse_u64("--dim", optarg, 1, 1u << 20, &v))
				return 2;
			c.d = (size_t)v;
			break;
		case 't':
			if (parse_u64("--attack-start", optarg, 0, 1000000, &v))
				return 2;
			c.attack_start = v;
			break;
		case 'l':
			if (parse_prob("--loss", optarg, &c.net.loss))
				return 2;
			break;
		case 'u':
			if (parse_prob("--dup", optarg, &c.net.dup))
				return 2;
			break;
		case 'p':
			if (parse_prob("--partitions", optarg, &c.net.partition_rate))
				return 2;
			break;
		case 'j':
			json = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "exact") == 0) {
				c.run.validation = BYZ_VALIDATE_EXACT;
			} else if (strcmp(optarg, "tolerance") == 0) {
				c.run.validation = BYZ_VALIDATE_TOLERANCE;
			} else {
				fprintf(stderr, "byz-swarm: --validation wants exact or tolerance, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'R':
			if (parse_unit("--rho", optarg, &c.run.rho))
				return 2;
			break;
		case 'N':
			if (parse_u64("--noisy", optarg, 0, BYZ_MAX_PEERS, &v))
				return 2;
			c.noisy = (uint32_t)v;
			break;
		case 'E':
			if (parse_unit("--noise", optarg, &c.noise))
				return 2;
			break;
		case 'J':
			if (parse_u64("--joiners", optarg, 0, BYZ_MAX_PEERS, &v))
				return 2;
			c.joiners = (uint32_t)v;
			break;
		case 'T':
			if (parse_u64("--join-step", optarg, 0, 1000000, &v))
				return 2;
			c.join_step = v;
			break;
		case 'A':
			c.joiner_attack = byz_attack_parse(optarg);
			if (c.joiner_attack < 0) {
				fprintf(stderr, "byz-swarm: unknown attack '%s' (see --help)\n", optarg);
				return 2;
			}
			joiner_attack = 1;
			break;
		case 'K':
			if (parse_u64("--joiner-byzantine", optarg, 0, BYZ_MAX_PEERS, &v))
				return 2;
			c.joiner_byz = (uint32_t)v;
			joiner_byz = 1;
			break;
		case 'P':
			if (parse_u64("--probation", optarg, 0, 1000000, &v))
				return 2;
			c.run.probation = (uint32_t)v;
			break;
		case 'W': {
			char *slash, *end;
			errno = 0;
			unsigned long rr = strtoul(optarg, &slash, 10), ww = 0;
			if (*slash == '/' && slash[1] >= '0' && slash[1] <= '9')
				ww = strtoul(slash + 1, &end, 10);
			else
				end = slash;
			if (errno || slash == optarg || *slash != '/' || *end || rr == 0 ||
			    ww == 0 || rr > BYZ_MAX_PEERS || ww > 1000000) {
				fprintf(stderr, "byz-swarm: --admit-rate wants R/W with 1 <= R <= %u and "
					"1 <= W <= 1000000, got '%s'\n", BYZ_MAX_PEERS, optarg);
				return 2;
			}
			c.run.admit_rate = rr;
			c.run.admit_window = ww;
			break;
		}
		case 'C':
			if (parse_u64("--corrupt-step", optarg, 1, 1000000, &v))
				return 2;
			c.corrupt_step = v;
			break;
		case 0x101:
			c.run.relay_off = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (exp_cli_is_opt(o)) {
				if (exp_cli_opt(&ex, &c, o, optarg))
					return 2;
				break;
			}
			if (shield_cli_is_opt(o)) {
				if (shield_cli_opt(&sh, o, optarg))
					return 2;
				break;
			}
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-swarm: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (shield_cli_prepare(&sh, &c, &ex)) {
		shield_cli_free(&sh);
		return 2;
	}
	if (ex.active || sh.byzshield) {
		int code = ex.active ? exp_cli_main(&ex, &c, attacks, na, json, quiet)
				     : shield_cli_main(&sh, &c, attacks, na, json, quiet);
		shield_cli_free(&sh);
		return code;
	}
	if (exp_cli_toy_check(attacks, na))
		return 2;
	if (2 * c.nbyz >= c.n) {
		fprintf(stderr, "byz-swarm: --byzantine %u needs an honest majority: B < N/2 (N = %u)\n",
			c.nbyz, c.n);
		return 2;
	}
	if (joiner_attack && !joiner_byz)
		c.joiner_byz = 1;
	if (c.joiner_byz && !joiner_attack) {
		fprintf(stderr, "byz-swarm: --joiner-byzantine needs --joiner-attack NAME\n");
		return 2;
	}
	if (c.joiner_byz > c.joiners) {
		fprintf(stderr, "byz-swarm: --joiner-byzantine %u exceeds --joiners %u\n", c.joiner_byz,
			c.joiners);
		return 2;
	}
	if (c.n + c.joiners > BYZ_MAX_PEERS) {
		fprintf(stderr, "byz-swarm: --peers + --joiners must be at most %u\n", BYZ_MAX_PEERS);
		return 2;
	}
	if (c.noisy > c.n - c.nbyz) {
		fprintf(stderr, "byz-swarm: --noisy %u exceeds the %u honest peers\n", c.noisy,
			c.n - c.nbyz);
		return 2;
	}
	if (c.nbyz && !na) {
		fprintf(stderr, "byz-swarm: --byzantine %u needs --attack NAME[,NAME...]\n", c.nbyz);
		return 2;
	}
	c.attacks = attacks;
	c.nattacks = na;
	if (!quiet)
		c.progress = progress;
	int err;
	struct byz_swarm *s = byz_swarm_new(&c, &err);
	if (!s) {
		fprintf(stderr, "byz-swarm: cannot build the swarm: %s\n", byz_strerror(err));
		return 1;
	}
	const struct byz_swarm_report *r = byz_swarm_report(s);
	fprintf(stderr, "byz-swarm: %u peers, byzantine:", c.n);
	for (uint32_t i = 0; i < r->nbyz; i++)
		fprintf(stderr, " %u(%s)", r->byz[i], byz_attack_name(r->byz_attack[i]));
	fprintf(stderr, "%s, %u steps, seed %" PRIu64 "\n", r->nbyz ? "" : " none", c.steps, c.seed);
	int rc = byz_swarm_run(s);
	char hex[65];
	byz_hex(r->params_digest, 32, hex);
	printf("steps %" PRIu64 "/%u  bans %zu  honest_banned %u  replicas %s  bans %s\n",
	       r->steps_done, c.steps, r->nbans, r->honest_banned,
	       r->replicas_identical ? "identical" : "DIFFER",
	       r->bans_consistent ? "consistent" : "INCONSISTENT");
	for (size_t i = 0; i < r->nbans; i++)
		printf("  ban peer %u at step %" PRIu64 ": %s (accuser %d)\n", r->bans[i].peer,
		       r->bans[i].step, byz_ban_reason_name(r->bans[i].reason),
		       (int)r->bans[i].accuser);
	for (size_t i = 0; i < r->njoined; i++) {
		printf("  admitted peer %u%s on probation from step %" PRIu64, r->joined[i].peer,
		       r->joined[i].byz ? " (byzantine)" : "", r->joined[i].admitted);
		if (r->joined[i].active != UINT64_MAX)
			printf(", counted from step %" PRIu64, r->joined[i].active);
		printf("\n");
	}
	if (r->out_of_sync || r->njoined)
		printf("active peers at the end %u, out-of-sync events %" PRIu64 ", re-syncs %" PRIu64
		       "\n", r->active_end, r->out_of_sync, r->resyncs);
	printf("control bytes %" PRIu64 " (all but PART and AGGV: %.0f per peer per step), "
	       "signature checks %" PRIu64 "\n",
	       control_bytes(r), (double)control_bytes(r) / ((double)c.n * (double)c.steps),
	       r->verifies);
	printf("messages %" PRIu64 " (%" PRIu64 " bytes), restarts %" PRIu64
	       ", ||x - x*|| %.4g -> %.4g, params digest %s\n",
	       r->msgs, r->bytes, r->restarts, r->dist_start, r->dist_end, hex);
	int fail = rc != 0 || !r->finished || r->honest_banned || !r->replicas_identical ||
		   !r->bans_consistent;
	if (json) {
		FILE *f = strcmp(json, "-") == 0 ? stdout : fopen(json, "w");
		if (!f) {
			fprintf(stderr, "byz-swarm: cannot write %s: %s\n", json, strerror(errno));
			byz_swarm_free(s);
			return 1;
		}
		write_json(f, &c, r);
		if (f != stdout && fclose(f) != 0) {
			fprintf(stderr, "byz-swarm: cannot write %s\n", json);
			fail = 1;
		}
	}
	if (rc)
		fprintf(stderr, "byz-swarm: %s (replay with --seed %" PRIu64 ")\n", byz_strerror(rc),
			c.seed);
	byz_swarm_free(s);
	return fail ? 1 : 0;
}
