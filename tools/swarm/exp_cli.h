/*
 * byz-swarm's training-experiment options (exp_cli.c): main.c lists
 * EXP_CLI_OPTIONS in its option table and hands their codes to
 * exp_cli_opt(); a model option switches the run to experiment mode, which
 * exp_cli_main() runs.
 */
#ifndef BYZ_TOOLS_SWARM_EXP_CLI_H
#define BYZ_TOOLS_SWARM_EXP_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "byz/swarm.h"
#include "experiment.h"

enum {
	EXP_OPT_MODEL = 1000, EXP_OPT_DATASET, EXP_OPT_AGGREGATOR, EXP_OPT_MATRIX, EXP_OPT_CSV,
	EXP_OPT_SUMMARY, EXP_OPT_SVG, EXP_OPT_EVAL_EVERY, EXP_OPT_HIDDEN, EXP_OPT_FILTERS,
	/* also meaningful for the toy model */
	EXP_OPT_TAU, EXP_OPT_VALIDATORS, EXP_OPT_LR, EXP_OPT_BATCH, EXP_OPT_ATTACK_PERIOD,
	EXP_OPT_ATTACK_SCALE, EXP_OPT_END
};

#define EXP_CLI_OPTIONS                                                        \
	{"model", required_argument, 0, EXP_OPT_MODEL},                        \
	{"dataset", required_argument, 0, EXP_OPT_DATASET},                    \
	{"aggregator", required_argument, 0, EXP_OPT_AGGREGATOR},              \
	{"matrix", required_argument, 0, EXP_OPT_MATRIX},                      \
	{"csv", required_argument, 0, EXP_OPT_CSV},                            \
	{"summary", required_argument, 0, EXP_OPT_SUMMARY},                    \
	{"svg", required_argument, 0, EXP_OPT_SVG},                            \
	{"eval-every", required_argument, 0, EXP_OPT_EVAL_EVERY},              \
	{"hidden", required_argument, 0, EXP_OPT_HIDDEN},                      \
	{"filters", required_argument, 0, EXP_OPT_FILTERS},                    \
	{"tau", required_argument, 0, EXP_OPT_TAU},                            \
	{"validators", required_argument, 0, EXP_OPT_VALIDATORS},              \
	{"lr", required_argument, 0, EXP_OPT_LR},                              \
	{"batch", required_argument, 0, EXP_OPT_BATCH},                        \
	{"attack-period", required_argument, 0, EXP_OPT_ATTACK_PERIOD},        \
	{"attack-scale", required_argument, 0, EXP_OPT_ATTACK_SCALE},

struct exp_cli {
	int active;              /**< experiment mode */
	struct exp_cfg cfg;      /**< model, defence, ... (peers etc. come from the swarm cfg) */
	const char *dataset;
	const char *matrix;
	const char *csv, *summary, *svg;
};

/** @brief 1 if argv asks for a model (experiment mode). Call before parsing. */
int exp_cli_wanted(int argc, char **argv);
/** @brief Start state; in experiment mode also the experiment defaults of @p c. */
void exp_cli_init(struct exp_cli *e, int active, struct byz_swarm_cfg *c);
/** @brief 1 if @p code is one of EXP_CLI_OPTIONS. */
int exp_cli_is_opt(int code);
/** @brief Apply one option. @return 0, or -1 after printing why */
int exp_cli_opt(struct exp_cli *e, struct byz_swarm_cfg *c, int code, const char *arg);
/** @brief Usage text of the options. */
void exp_cli_usage(FILE *f);
/** @brief Refuse attacks the toy model cannot run. @return 0 or -1 (printed) */
int exp_cli_toy_check(const int *attacks, uint32_t na);
/** @brief Run experiment mode. @return the process exit code */
int exp_cli_main(struct exp_cli *e, const struct byz_swarm_cfg *c, const int *attacks,
		 uint32_t na, const char *json, int quiet);

#endif
