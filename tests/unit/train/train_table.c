/*
 * byz-train-table: the attack x aggregator table of docs/training.md.
 * Runs sim_run (train_sim.c) for every attack with the plain mean and with
 * CenteredClip and prints a Markdown table of held-out accuracy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/err.h"
#include "train_sim.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: byz-train-table [--model softmax|mlp|cnn] [--steps N] [--workers N]\n"
		"                       [--byzantine F] [--tau-mult X] [--seed S]\n"
		"Trains on the default synthetic dataset with every gradient attack,\n"
		"aggregating with the plain mean and with CenteredClip, and prints\n"
		"the held-out accuracy as a Markdown table.\n");
}

static int parse_u(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long v = strtoul(s, &end, 0);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_spec s;
	sim_default(&s);
	s.model.hidden[0] = 32;
	s.model.filters = 8;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long u;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--model") && val &&
			   !byz_model_kind_parse(val, &s.model.kind)) {
		} else if (!strcmp(a, "--steps") && !parse_u(val, 1000000, &u) && u) {
			s.steps = (uint32_t)u;
		} else if (!strcmp(a, "--workers") && !parse_u(val, 4096, &u) && u) {
			s.workers = (uint32_t)u;
		} else if (!strcmp(a, "--byzantine") && !parse_u(val, 4095, &u)) {
			s.byzantine = (uint32_t)u;
		} else if (!strcmp(a, "--seed") && !parse_u(val, ~0ul, &u)) {
			s.seed = u;
		} else if (!strcmp(a, "--tau-mult") && val) {
			char *end;
			s.tau_mult = strtod(val, &end);
			if (*end || !(s.tau_mult > 0) || !(s.tau_mult < 1e9)) {
				fprintf(stderr, "byz-train-table: bad --tau-mult '%s'\n", val);
				return 2;
			}
		} else {
			fprintf(stderr, "byz-train-table: bad or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (s.byzantine >= s.workers) {
		fprintf(stderr, "byz-train-table: --byzantine must be below --workers\n");
		return 2;
	}
	printf("model %s, %u workers (%u Byzantine), %u steps, batch %u, "
	       "tau = %.2f x median honest norm at step 0, seed %lu\n\n",
	       byz_model_kind_name(s.model.kind), s.workers, s.byzantine,
	       s.steps, s.batch, s.tau_mult, (unsigned long)s.seed);
	printf("| attack | mean | CenteredClip |\n|---|---|---|\n");
	for (int k = 0; k < BYZ_GRAD_ATTACK_KIND_COUNT; k++) {
		double acc[2];
		int div[2];
		for (int g = 0; g < 2; g++) {
			struct sim_result r;
			s.attack = (enum byz_grad_attack_kind)k;
			s.agg = g ? SIM_CLIP : SIM_MEAN;
			int rc = sim_run(&s, &r);
			if (rc) {
				fprintf(stderr, "byz-train-table: %s/%s: %s\n",
					byz_grad_attack_name(s.attack), g ? "clip" : "mean",
					byz_strerror(rc));
				return 1;
			}
			acc[g] = r.test_acc;
			div[g] = r.diverged;
		}
		printf("| %s | %.3f%s | %.3f%s |\n",
		       byz_grad_attack_name((enum byz_grad_attack_kind)k), acc[0],
		       div[0] ? " (diverged)" : "", acc[1], div[1] ? " (diverged)" : "");
	}
	return 0;
}
