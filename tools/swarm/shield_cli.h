/*
 * byz-swarm --mode byzshield (shield_cli.c): main.c lists SHIELD_CLI_OPTIONS
 * and hands their codes to shield_cli_opt(); shield_cli_prepare() builds the
 * assignment and checks K against --peers; without a model shield_cli_main()
 * runs the toy least-squares model, with one the experiment mode runs the
 * "byzshield" defence.
 */
#ifndef BYZ_TOOLS_SWARM_SHIELD_CLI_H
#define BYZ_TOOLS_SWARM_SHIELD_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "byz/shield.h"
#include "byz/swarm.h"
#include "exp_cli.h"

enum {
	SH_OPT_MODE = 2000, SH_OPT_CONSTRUCTION, SH_OPT_AGG, SH_OPT_ADVERSARY, SH_OPT_BUCKETS,
	SH_OPT_FALSE_ACCUSE, SH_OPT_AUDITS, SH_OPT_WITHHOLD, SH_OPT_END
};

#define SHIELD_CLI_OPTIONS                                                     \
	{"mode", required_argument, 0, SH_OPT_MODE},                           \
	{"construction", required_argument, 0, SH_OPT_CONSTRUCTION},           \
	{"shield-agg", required_argument, 0, SH_OPT_AGG},                      \
	{"shield-adversary", required_argument, 0, SH_OPT_ADVERSARY},          \
	{"buckets", required_argument, 0, SH_OPT_BUCKETS},                     \
	{"shield-false-accuse", no_argument, 0, SH_OPT_FALSE_ACCUSE},          \
	{"shield-audits", required_argument, 0, SH_OPT_AUDITS},                \
	{"shield-withhold", no_argument, 0, SH_OPT_WITHHOLD},

struct shield_cli {
	int byzshield;            /**< --mode byzshield */
	int kind;                 /**< enum byz_shield_kind, 0: none given */
	uint32_t p1, p2;
	int aggr;                 /**< enum byz_shield_aggr */
	uint32_t buckets;
	int worst;                /**< --shield-adversary: 0 random, 1 worst-case, 2 hidden */
	int false_accuse;
	uint32_t audits;          /**< --shield-audits (default 1) */
	int audits_given;
	int withhold;             /**< --shield-withhold */
	int peers_given;          /**< --peers was on the command line */
	struct byz_shield_assign *assign; /**< built by shield_cli_prepare */
};

/** @brief Start state (@p argv scanned for --peers). */
void shield_cli_init(struct shield_cli *s, int argc, char **argv);
/** @brief 1 if @p code is one of SHIELD_CLI_OPTIONS. */
int shield_cli_is_opt(int code);
/** @brief Apply one option. @return 0, or -1 after printing why */
int shield_cli_opt(struct shield_cli *s, int code, const char *arg);
/** @brief Usage text. */
void shield_cli_usage(FILE *f);
/** @brief Refuse ByzShield options without --mode byzshield, build the
 *  assignment, set or check the peer count (K). @return 0 or -1 (printed) */
int shield_cli_prepare(struct shield_cli *s, struct byz_swarm_cfg *c, struct exp_cli *ex);
/** @brief Toy-model run. @return the process exit code */
int shield_cli_main(struct shield_cli *s, const struct byz_swarm_cfg *c, const int *attacks,
		    uint32_t na, const char *json, int quiet);
/** @brief Release what prepare built. */
void shield_cli_free(struct shield_cli *s);

#endif
