/*
 * byz-shield: inspect ByzShield assignments and compute the worst case.
 *
 *   byz-shield info       (--mols L R | --ramanujan S M) [--list]
 *   byz-shield worst-case (--mols L R | --ramanujan S M) [-q A-B] [--csv FILE]
 *                         [--node-limit N] [--time-limit S] [--no-symmetry]
 *                         [--quiet]
 *
 * Exit status: 0 success, 1 a computation or file failed, 2 bad usage.
 * Arguments are parsed strictly (decimal digits only, bounded length and
 * value); every rejection names the argument.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byz/err.h"
#include "byz/shield.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: byz-shield info       (--mols L R | --ramanujan S M) [--list]\n"
	"       byz-shield worst-case (--mols L R | --ramanujan S M) [-q A-B | -q N]\n"
	"                             [--csv FILE] [--node-limit N] [--time-limit SEC]\n"
	"                             [--no-symmetry] [--quiet]\n"
	"       byz-shield --help\n"
	"\n"
	"Constructions (K workers, f files, l files per worker, r replicas per file):\n"
	"  --mols L R        L prime, 2 <= R <= L-1: Latin squares (k*a+b) mod L,\n"
	"                    k = 1..R; K = R*L, f = L^2, l = L, r = R\n"
	"  --ramanujan S M   S prime, M >= 2; M < S: K = M*S, f = S^2, l = S, r = M;\n"
	"                    M a multiple of S: K = S^2, f = M*S, l = M, r = S\n"
	"\n"
	"info        parameters, second eigenvalue mu1 of H H^T/(l r), the Ramanujan\n"
	"            condition mu1 <= (sqrt(l-1)+sqrt(r-1))^2/(l r); --list prints\n"
	"            every worker's files\n"
	"worst-case  for each q: c_max(q), the most files q workers can hold a\n"
	"            majority (r' = floor(r/2)+1 replicas) of, by exhaustive branch\n"
	"            and bound, with one maximising set; the fraction c_max/f;\n"
	"            DETOX's floor(q/r')*r/K; no redundancy's q/K; and the spectral\n"
	"            bound (q l - beta)/(r'-1), beta = l q / (r (mu1 + (1-mu1) q/K)).\n"
	"  -q A-B | -q N     range of q (default 1-K)\n"
	"  --csv FILE        also write the table as CSV\n"
	"  --node-limit N    stop a q after N search nodes (default 1000000000)\n"
	"  --time-limit SEC  stop a q after SEC seconds (default 300, 0: none)\n"
	"                    a stopped q prints c_max >= X (best found), <= Y (bound),\n"
	"                    Y the smaller of the search's and the spectral bound\n"
	"  --no-symmetry     do not use the construction's automorphisms\n"
	"  --quiet           no progress on stderr\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 bad usage.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("byz-shield: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(try byz-shield --help)\n", stderr);
	return EXIT_USAGE;
}

/* Strict unsigned decimal: digits only, at most 19 of them, value <= max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = s ? strnlen(s, 21) : 0;
	if (n == 0 || n > 19)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(s, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "A-B" or "N"; checked against K later. */
static int parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	char buf[32];
	size_t n = strnlen(s, sizeof(buf));
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	char *dash = strchr(buf, '-');
	if (!dash)
		return parse_u32(buf, 1000000, lo) ? -1 : (*hi = *lo, 0);
	*dash = 0;
	if (parse_u32(buf, 1000000, lo) || parse_u32(dash + 1, 1000000, hi))
		return -1;
	return 0;
}

struct cli {
	int cmd; /* 1 info, 2 worst-case */
	enum byz_shield_kind kind;
	uint32_t p1, p2;
	int have_q;
	uint32_t q_lo, q_hi;
	const char *csv;
	uint64_t node_limit;
	double time_limit;
	int symmetry;
	int quiet;
	int list;
};

static int parse_args(int argc, char **argv, struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->node_limit = 1000000000ull;
	c->time_limit = 300;
	c->symmetry = 1;
	if (argc < 2)
		return usage_error("missing subcommand (info or worst-case)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return -1;
	}
	if (!strcmp(argv[1], "info"))
		c->cmd = 1;
	else if (!strcmp(argv[1], "worst-case"))
		c->cmd = 2;
	else
		return usage_error("unknown subcommand '%.64s' (expected info or worst-case)",
				   argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int left = argc - i - 1;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return -1;
		} else if (!strcmp(a, "--mols") || !strcmp(a, "--ramanujan")) {
			int mols = !strcmp(a, "--mols");
			if (c->kind)
				return usage_error("give one construction (--mols or --ramanujan), not two");
			if (left < 2)
				return usage_error("%s needs two numbers: %s", a,
						   mols ? "L R" : "S M");
			if (parse_u32(argv[i + 1], 1000000, &c->p1))
				return usage_error("%s: '%.32s' is not a number in 0..1000000",
						   a, argv[i + 1]);
			if (parse_u32(argv[i + 2], 1000000, &c->p2))
				return usage_error("%s: '%.32s' is not a number in 0..1000000",
						   a, argv[i + 2]);
			c->kind = mols ? BYZ_SHIELD_MOLS : BYZ_SHIELD_RAMANUJAN;
			i += 2;
		} else if (!strcmp(a, "-q") && c->cmd == 2) {
			if (left < 1 || parse_range(argv[i + 1], &c->q_lo, &c->q_hi))
				return usage_error("-q needs a number or a range A-B, got '%.32s'",
						   left ? argv[i + 1] : "");
			if (c->q_lo < 1 || c->q_lo > c->q_hi)
				return usage_error("-q %.32s: need 1 <= A <= B", argv[i + 1]);
			c->have_q = 1;
			i++;
		} else if (!strcmp(a, "--csv") && c->cmd == 2) {
			if (left < 1 || !argv[i + 1][0])
				return usage_error("--csv needs a file name");
			c->csv = argv[++i];
		} else if (!strcmp(a, "--node-limit") && c->cmd == 2) {
			if (left < 1 || parse_u64(argv[i + 1], UINT64_MAX / 2, &c->node_limit) ||
			    c->node_limit == 0)
				return usage_error("--node-limit needs a positive number, got '%.32s'",
						   left ? argv[i + 1] : "");
			i++;
		} else if (!strcmp(a, "--time-limit") && c->cmd == 2) {
			uint64_t v;
			if (left < 1 || parse_u64(argv[i + 1], 86400 * 365, &v))
				return usage_error("--time-limit needs seconds (0..31536000), got '%.32s'",
						   left ? argv[i + 1] : "");
			c->time_limit = (double)v;
			i++;
		} else if (!strcmp(a, "--no-symmetry") && c->cmd == 2) {
			c->symmetry = 0;
		} else if (!strcmp(a, "--quiet") && c->cmd == 2) {
			c->quiet = 1;
		} else if (!strcmp(a, "--list") && c->cmd == 1) {
			c->list = 1;
		} else {
			return usage_error("unknown option '%.64s' for %s", a, argv[1]);
		}
	}
	if (!c->kind)
		return usage_error("missing construction: --mols L R or --ramanujan S M");
	char why[256];
	if (byz_shield_check(c->kind, c->p1, c->p2, why, sizeof(why)))
		return usage_error("%s", why);
	return 0;
}

static void describe(const struct byz_shield_assign *a, FILE *out)
{
	if (a->kind == BYZ_SHIELD_MOLS)
		fprintf(out, "MOLS l=%u r=%u", a->p1, a->p2);
	else
		fprintf(out, "Ramanujan s=%u m=%u (case %s)", a->p1, a->p2,
			a->p2 < a->p1 ? "m < s: workers = rows of B^T" : "m >= s: workers = rows of B");
}

static int cmd_info(const struct cli *c, struct byz_shield_assign *a)
{
	struct byz_shield_spectrum sp;
	int rc = byz_shield_spectrum(a, &sp);
	printf("construction     ");
	describe(a, stdout);
	printf("\n");
	if (a->kind == BYZ_SHIELD_MOLS)
		printf("                 squares L_k(a,b) = (k*a+b) mod %u, k = 1..%u; worker (k,s) = id (k-1)*%u+s holds cells with L_k = s; file (a,b) = id a*%u+b\n",
		       a->p1, a->p2, a->p1, a->p1);
	else if (a->p2 < a->p1)
		printf("                 B = %u x %u blocks P^(a*c mod %u); worker = column (c,j) of B, id c*%u+j; file = row (a,i), id a*%u+i\n",
		       a->p1, a->p2, a->p1, a->p1, a->p1);
	else
		printf("                 B = %u x %u blocks P^(a*c mod %u); worker = row (a,i) of B, id a*%u+i; file = column (c,j), id c*%u+j\n",
		       a->p1, a->p2, a->p1, a->p1, a->p1);
	printf("workers K        %u\n", a->n_workers);
	printf("files f          %u\n", a->n_files);
	printf("files/worker l   %u\n", a->l);
	printf("replicas r       %u\n", a->r);
	printf("majority r'      %u%s\n", a->majority,
	       a->r % 2 ? "" : "  (r even: r/2+1 replicas distort a file; exactly r/2 only block its majority)");
	if (rc == -ERANGE) {
		printf("mu1              not computed: min(K, f) = %u exceeds the dense eigensolver's limit %u\n",
		       a->n_workers < a->n_files ? a->n_workers : a->n_files, BYZ_SHIELD_EIG_MAX_N);
	} else if (rc) {
		printf("mu1              not computed: %s\n", byz_strerror(rc));
	} else {
		printf("mu0              %.12f  (largest eigenvalue of H H^T/(l r); 1 for biregular)\n", sp.mu0);
		printf("mu1              %.12f  (second largest; 1/r = %.12f)\n", sp.mu1, 1.0 / a->r);
		printf("Ramanujan limit  %.12f  ((sqrt(l-1)+sqrt(r-1))^2/(l r), i.e. sigma2(H) <= sqrt(l-1)+sqrt(r-1))\n",
		       sp.ramanujan_limit);
		printf("Ramanujan        %s\n", sp.ramanujan ? "yes" : "no");
	}
	if (a->n_workers <= BYZ_SHIELD_SEARCH_MAX_WORKERS &&
	    a->n_files <= BYZ_SHIELD_SEARCH_MAX_FILES) {
		int err;
		struct byz_shield_search *s = byz_shield_search_new(a, 1, &err);
		if (s) {
			uint64_t order;
			uint32_t orbits;
			byz_shield_search_symmetry(s, &order, &orbits);
			printf("automorphisms    %llu affine maps found and checked; %u worker orbit(s)\n",
			       (unsigned long long)order, orbits);
			byz_shield_search_free(s);
		} else {
			printf("automorphisms    not computed: %s\n", byz_strerror(err));
		}
	}
	if (c->list) {
		for (uint32_t w = 0; w < a->n_workers; w++) {
			printf("worker %u:", w);
			for (uint32_t i = 0; i < a->l; i++)
				printf(" %u", a->worker_files[(size_t)w * a->l + i]);
			printf("\n");
		}
	}
	return ferror(stdout) ? 1 : 0;
}

struct progress_ctx {
	struct timespec last;
	int quiet;
};

static void on_progress(void *ctx, const struct byz_shield_progress *p)
{
	struct progress_ctx *pc = ctx;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double since = (double)(t.tv_sec - pc->last.tv_sec) +
		       1e-9 * (double)(t.tv_nsec - pc->last.tv_nsec);
	if (pc->quiet || since < 2.0)
		return;
	pc->last = t;
	fprintf(stderr, "byz-shield: q=%u  %.1fs  %llu nodes  best so far %u  branch %u/%u\n",
		p->q, p->seconds, (unsigned long long)p->nodes, p->best, p->branch + 1,
		p->branches);
}

static void print_set(FILE *out, const uint32_t *set, uint32_t q, const char *sep)
{
	for (uint32_t i = 0; i < q; i++)
		fprintf(out, "%s%u", i ? sep : "", set[i]);
}

static int cmd_worst(const struct cli *c, struct byz_shield_assign *a)
{
	uint32_t K = a->n_workers;
	uint32_t lo = c->have_q ? c->q_lo : 1, hi = c->have_q ? c->q_hi : K;
	if (hi > K)
		return usage_error("-q: q = %u exceeds the number of workers K = %u", hi, K);
	if (K > BYZ_SHIELD_SEARCH_MAX_WORKERS || a->n_files > BYZ_SHIELD_SEARCH_MAX_FILES)
		return usage_error("worst-case search handles K <= %u and f <= %u (this has K = %u, f = %u)",
				   BYZ_SHIELD_SEARCH_MAX_WORKERS, BYZ_SHIELD_SEARCH_MAX_FILES, K,
				   a->n_files);
	struct byz_shield_spectrum sp;
	int rc = byz_shield_spectrum(a, &sp);
	if (rc) {
		fprintf(stderr, "byz-shield: spectrum: %s\n", byz_strerror(rc));
		return 1;
	}
	FILE *csv = NULL;
	if (c->csv) {
		csv = fopen(c->csv, "w");
		if (!csv) {
			fprintf(stderr, "byz-shield: cannot write '%s': %s\n", c->csv, strerror(errno));
			return 1;
		}
		fprintf(csv, "q,c_max,c_upper,exact,f,fraction,detox,no_redundancy,bound,beta,nodes,seconds,set\n");
	}
	struct byz_shield_search *s = byz_shield_search_new(a, c->symmetry, &rc);
	if (!s) {
		fprintf(stderr, "byz-shield: search setup: %s\n", byz_strerror(rc));
		if (csv)
			fclose(csv);
		return 1;
	}
	uint64_t order;
	uint32_t orbits;
	byz_shield_search_symmetry(s, &order, &orbits);
	printf("# ");
	describe(a, stdout);
	printf(": K=%u f=%u l=%u r=%u r'=%u mu1=%.6f (Ramanujan: %s); automorphisms %llu, worker orbits %u\n",
	       K, a->n_files, a->l, a->r, a->majority, sp.mu1, sp.ramanujan ? "yes" : "no",
	       (unsigned long long)order, orbits);
	printf("%4s %8s %6s %9s %7s %8s %6s %6s %12s %9s  %s\n", "q", "c_max", "f", "fraction",
	       "detox", "no_red", "bound", "exact", "nodes", "time_s", "set");
	struct progress_ctx pc = {{0, 0}, c->quiet};
	clock_gettime(CLOCK_MONOTONIC, &pc.last);
	struct byz_shield_worst *res = malloc(sizeof(*res));
	uint32_t *hint = calloc(K, sizeof(uint32_t));
	uint32_t hint_len = 0;
	int status = 0, inexact = 0;
	if (!res || !hint) {
		fprintf(stderr, "byz-shield: out of memory\n");
		status = 1;
		goto done;
	}
	for (uint32_t q = lo; q <= hi; q++) {
		struct byz_shield_search_opts o = {
			.node_limit = c->node_limit,
			.time_limit_s = c->time_limit,
			.hint = hint,
			.hint_len = hint_len,
			.progress = on_progress,
			.progress_ctx = &pc,
			.progress_every = 1u << 20,
		};
		rc = byz_shield_worst_case(s, q, &o, res);
		if (rc) {
			fprintf(stderr, "byz-shield: q=%u: %s\n", q, byz_strerror(rc));
			status = 1;
			break;
		}
		/* The best set for q plus any worker is a start for q+1. */
		memcpy(hint, res->set, sizeof(uint32_t) * q);
		hint_len = q;
		struct byz_shield_bound bd;
		byz_shield_spectral_bound(a, sp.mu1, q, &bd);
		/* Both are proven upper bounds; report the tighter one for a stopped search. */
		uint32_t upper = res->c_upper < bd.bound ? res->c_upper : bd.bound;
		if (upper < res->c_best)
			upper = res->c_best;
		double frac = (double)res->c_best / a->n_files;
		double detox = byz_shield_detox_fraction(a, q);
		double nored = (double)q / K;
		char cm[32];
		snprintf(cm, sizeof(cm), res->exact ? "%u" : ">=%u", res->c_best);
		printf("%4u %8s %6u %9.4f %7.4f %8.4f %6u %6s %12llu %9.3f  ", q, cm, a->n_files,
		       frac, detox, nored, bd.bound, res->exact ? "yes" : "NO",
		       (unsigned long long)res->nodes, res->seconds);
		print_set(stdout, res->set, q, " ");
		printf("\n");
		if (!res->exact) {
			inexact = 1;
			printf("#    q=%u: c_max >= %u (best found), <= %u (bound: search %u, spectral %u); search stopped at the %s\n",
			       q, res->c_best, upper, res->c_upper, bd.bound,
			       c->node_limit && res->nodes >= c->node_limit ? "node limit" : "time limit");
		}
		fflush(stdout);
		if (csv) {
			fprintf(csv, "%u,%u,%u,%d,%u,%.6f,%.6f,%.6f,%u,%.6f,%llu,%.6f,", q, res->c_best,
				upper, res->exact, a->n_files, frac, detox, nored, bd.bound,
				bd.beta, (unsigned long long)res->nodes, res->seconds);
			print_set(csv, res->set, q, ";");
			fprintf(csv, "\n");
		}
	}
	if (inexact)
		printf("# rows with exact=NO are bounds, not exact values: c_max lies between the two numbers shown\n");
	printf("# fraction = c_max/f; detox = floor(q/r')*r/K; no_red = q/K; bound = floor((q l - beta)/(r'-1)), beta = l q/(r (mu1 + (1-mu1) q/K))\n");
done:
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-shield: writing '%s' failed\n", c->csv);
		status = 1;
	}
	free(res);
	free(hint);
	byz_shield_search_free(s);
	if (ferror(stdout))
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc = parse_args(argc, argv, &c);
	if (rc < 0)
		return 0; /* --help */
	if (rc)
		return rc;
	int err;
	struct byz_shield_assign *a = byz_shield_build(c.kind, c.p1, c.p2, &err);
	if (!a) {
		fprintf(stderr, "byz-shield: cannot build the assignment: %s\n", byz_strerror(err));
		return 1;
	}
	rc = c.cmd == 1 ? cmd_info(&c, a) : cmd_worst(&c, a);
	byz_shield_free(a);
	return rc;
}
