/*
 * byz-clip: aggregate the k rows of a k x d float32 .npy into one d-vector
 * with CenteredClip (default) or a baseline rule, and write it as a 1-D .npy.
 * The input file is untrusted: everything wrong with it ends in a message
 * and exit status 2, never a crash.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz/agg.h"
#include "byz/clip.h"
#include "byz/err.h"
#include "npy.h"

enum {
	EXIT_USAGE = 1,  /* bad command line */
	EXIT_INPUT = 2,  /* input unreadable, malformed, unsupported or non-finite */
	EXIT_PARAMS = 3, /* parameters do not fit this input or this machine */
	EXIT_OUTPUT = 4, /* output could not be written */
	EXIT_OTHER = 5,  /* out of memory and the like */
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: byz-clip --tau T [--eps E] [--max-iters N] [--aggregator NAME]\n"
		"                [--impl ref|avx2|avx512|gram|auto] [--f F] [--m M] IN.npy OUT.npy\n"
		"       byz-clip --help\n"
		"\n"
		"Reads IN.npy, a k x d float32 array (1-D (d,) is one input, k = 1), aggregates\n"
		"its k rows and writes the d-vector to OUT.npy (float32, 1-D). Prints one line:\n"
		"  aggregator=NAME k=K d=D iters=N residual=R clipped=C [impl=I converged=0|1]\n"
		"  [selected=S]\n"
		"\n"
		"  --tau T          CenteredClip radius, finite > 0 (required for cclip)\n"
		"  --eps E          stop when the step norm <= E (cclip, geomed); default 1e-6\n"
		"  --max-iters N    iteration cap (cclip, geomed); default 1000\n"
		"  --aggregator A   cclip (default), mean, median, trimmed-mean, geomed, krum,\n"
		"                   multikrum\n"
		"  --impl I         CenteredClip implementation; default auto (best on this CPU)\n"
		"  --f F            assumed Byzantine inputs (trimmed-mean: k > 2F; krum,\n"
		"                   multikrum: k > 2F + 2); default: the largest allowed\n"
		"  --m M            multikrum: inputs averaged, 1..k; default k - F\n"
		"  --help           this text\n"
		"\n"
		"Input: .npy format 1.0, 2.0 or 3.0, dtype '<f4', C order, 1-D or 2-D,\n"
		"k <= %u, d >= 1, every value finite.\n"
		"\n"
		"Exit status: 0 success; 1 bad command line; 2 input cannot be read, is\n"
		"malformed or unsupported, or holds NaN/Inf; 3 parameters do not fit this\n"
		"input (e.g. F too large for k) or the implementation is not available on\n"
		"this CPU; 4 output cannot be written; 5 other failure (out of memory).\n",
		BYZ_CLIP_MAX_K);
}

static int parse_double(const char *opt, const char *s, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(x)) {
		fprintf(stderr, "byz-clip: %s: '%s' is not a finite number\n", opt, s);
		return -1;
	}
	*out = x;
	return 0;
}

static int parse_u32(const char *opt, const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	/* strtoull accepts "-1" as a huge value; digits only. */
	if (*s < '0' || *s > '9') {
		fprintf(stderr, "byz-clip: %s: '%s' is not a non-negative integer\n", opt, s);
		return -1;
	}
	unsigned long long x = strtoull(s, &end, 10);
	if (*end || errno == ERANGE || x > UINT32_MAX) {
		fprintf(stderr, "byz-clip: %s: '%s' is not an integer in 0..%" PRIu32 "\n", opt, s,
			UINT32_MAX);
		return -1;
	}
	*out = (uint32_t)x;
	return 0;
}

/* Names the first non-finite value so the user can find it. */
static int report_nonfinite(const char *path, const float *x, size_t rows, size_t cols)
{
	for (size_t i = 0; i < rows; i++) {
		for (size_t c = 0; c < cols; c++) {
			float t = x[i * cols + c];
			if (!isfinite(t)) {
				fprintf(stderr, "byz-clip: %s: non-finite value %s at row %zu, column %zu\n",
					path, isnan(t) ? "NaN" : t > 0 ? "+Inf" : "-Inf", i, c);
				return 1;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tau", required_argument, NULL, 't'},
		{"eps", required_argument, NULL, 'e'},
		{"max-iters", required_argument, NULL, 'n'},
		{"aggregator", required_argument, NULL, 'a'},
		{"impl", required_argument, NULL, 'i'},
		{"f", required_argument, NULL, 'f'},
		{"m", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double tau = NAN, eps = 1e-6;
	uint32_t max_iters = 1000, f = 0, m = 0;
	int have_f = 0, have_m = 0;
	enum byz_agg_kind kind = BYZ_AGG_CCLIP;
	enum byz_clip_impl impl = BYZ_CLIP_AUTO;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_double("--tau", optarg, &tau))
				return EXIT_USAGE;
			if (!(tau > 0)) {
				fprintf(stderr, "byz-clip: --tau must be > 0 (got %s)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			if (parse_double("--eps", optarg, &eps))
				return EXIT_USAGE;
			if (eps < 0) {
				fprintf(stderr, "byz-clip: --eps must be >= 0 (got %s)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u32("--max-iters", optarg, &max_iters))
				return EXIT_USAGE;
			break;
		case 'a':
			if (byz_agg_parse(optarg, &kind)) {
				fprintf(stderr, "byz-clip: unknown aggregator '%s' (cclip, mean, median, "
						"trimmed-mean, geomed, krum, multikrum)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (byz_clip_impl_parse(optarg, &impl)) {
				fprintf(stderr, "byz-clip: unknown implementation '%s' (ref, avx2, "
						"avx512, gram, auto)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (parse_u32("--f", optarg, &f))
				return EXIT_USAGE;
			have_f = 1;
			break;
		case 'm':
			if (parse_u32("--m", optarg, &m))
				return EXIT_USAGE;
			have_m = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "byz-clip: unknown option or missing argument: %s\n",
				argv[optind - 1]);
			fprintf(stderr, "Try 'byz-clip --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "byz-clip: need IN.npy and OUT.npy (got %d file argument%s)\n"
				"Try 'byz-clip --help'.\n", argc - optind, argc - optind == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	if (kind == BYZ_AGG_CCLIP && isnan(tau)) {
		fprintf(stderr, "byz-clip: --tau is required for cclip\nTry 'byz-clip --help'.\n");
		return EXIT_USAGE;
	}
	const char *in = argv[optind], *outp = argv[optind + 1];

	struct byz_npy_array a;
	char msg[BYZ_NPY_MSG_LEN];
	int rc = byz_npy_read_f32(in, &a, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "byz-clip: %s: %s\n", in, msg);
		return rc == -ENOMEM ? EXIT_OTHER : EXIT_INPUT;
	}
	int status = EXIT_INPUT;
	float *out = NULL;
	const float **rows = NULL;
	if (a.rows == 0 || a.cols == 0) {
		fprintf(stderr, "byz-clip: %s: empty input (k=%zu, d=%zu); need k >= 1 and d >= 1\n",
			in, a.rows, a.cols);
		goto done;
	}
	if (a.rows > BYZ_CLIP_MAX_K) {
		fprintf(stderr, "byz-clip: %s: k=%zu inputs, more than the limit of %u\n", in, a.rows,
			BYZ_CLIP_MAX_K);
		goto done;
	}
	if (report_nonfinite(in, a.data, a.rows, a.cols))
		goto done;
	uint32_t k = (uint32_t)a.rows;
	size_t d = a.cols;

	struct byz_agg_params p;
	byz_agg_params_default(&p, kind, k);
	p.clip.tau = kind == BYZ_AGG_CCLIP ? tau : 1.0;
	p.clip.eps = eps;
	p.clip.max_iters = max_iters;
	p.clip.impl = impl;
	p.geomed_eps = eps;
	p.geomed_iters = max_iters;
	if (have_f)
		p.f = f;
	if (have_m)
		p.m = m;

	status = EXIT_OTHER;
	out = malloc(d * sizeof(float));
	rows = malloc(k * sizeof(*rows));
	if (!out || !rows) {
		fprintf(stderr, "byz-clip: out of memory\n");
		goto done;
	}
	for (uint32_t i = 0; i < k; i++)
		rows[i] = a.data + (size_t)i * d;

	struct byz_clip_result cr = {0};
	struct byz_agg_result ar = {0};
	if (kind == BYZ_AGG_CCLIP)
		rc = byz_clip(rows, k, d, &p.clip, out, NULL, &cr);
	else
		rc = byz_aggregate(&p, rows, k, d, out, &ar);
	if (rc) {
		status = rc == -ENOMEM ? EXIT_OTHER : rc == -EDOM ? EXIT_INPUT : EXIT_PARAMS;
		if (rc == -ENOTSUP)
			fprintf(stderr, "byz-clip: implementation '%s' is not available on this build or CPU\n",
				byz_clip_impl_name(impl));
		else if (rc == -EINVAL && (kind == BYZ_AGG_KRUM || kind == BYZ_AGG_MULTIKRUM))
			fprintf(stderr, "byz-clip: %s needs k > 2f + 2 and 1 <= m <= k (k=%u, f=%u, m=%u)\n",
				byz_agg_name(kind), k, p.f, p.m);
		else if (rc == -EINVAL && kind == BYZ_AGG_TRIMMED_MEAN)
			fprintf(stderr, "byz-clip: trimmed-mean needs k > 2f (k=%u, f=%u)\n", k, p.f);
		else
			fprintf(stderr, "byz-clip: %s failed: %s\n", byz_agg_name(kind), byz_strerror(rc));
		goto done;
	}
	rc = byz_npy_write_f32(outp, out, 0, d, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "byz-clip: %s: %s\n", outp, msg);
		status = EXIT_OUTPUT;
		goto done;
	}
	if (kind == BYZ_AGG_CCLIP)
		printf("aggregator=cclip k=%u d=%zu iters=%" PRIu32 " residual=%.9g clipped=%" PRIu32
		       " impl=%s converged=%d\n",
		       k, d, cr.iters, cr.residual, cr.clipped, byz_clip_impl_name(cr.impl),
		       cr.converged);
	else if (kind == BYZ_AGG_KRUM || kind == BYZ_AGG_MULTIKRUM)
		printf("aggregator=%s k=%u d=%zu iters=0 residual=0 clipped=0 selected=%" PRIu32 "\n",
		       byz_agg_name(kind), k, d, ar.selected);
	else
		printf("aggregator=%s k=%u d=%zu iters=%" PRIu32 " residual=%.9g clipped=0\n",
		       byz_agg_name(kind), k, d, ar.iters, ar.residual);
	status = fflush(stdout) == 0 ? 0 : EXIT_OUTPUT;
done:
	free(out);
	free(rows);
	byz_npy_free(&a);
	return status;
}
