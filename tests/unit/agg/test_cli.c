/*
 * byz-clip end to end: the binary (path in argv[1], passed by meson) runs on
 * files this test writes, and its output and exit status are checked against
 * the library called in-process. Malformed inputs must give exit status 2
 * and a message naming the problem, never a crash (a signal fails the test).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "byz/agg.h"
#include "byz/clip.h"
#include "byz_test.h"
#include "npy.h"

static const char *bin;
static char tmpdir[64];
static char out_text[8192], err_text[8192];

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, len - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
}

/* Runs byz-clip with a NULL-terminated argument list; returns its exit status. */
static int run(const char *const *args)
{
	char so[128], se[128];
	path_in(so, sizeof(so), "stdout.txt");
	path_in(se, sizeof(se), "stderr.txt");
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)(uintptr_t)bin;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)(uintptr_t)args[n - 1];
	argv[n] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int fo = open(so, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(se, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(126);
		execv(bin, argv);
		_exit(127);
	}
	int st;
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	slurp(so, out_text, sizeof(out_text));
	slurp(se, err_text, sizeof(err_text));
	if (!WIFEXITED(st)) {
		fprintf(stderr, "\n  byz-clip died with signal %d; stderr: %s\n", WTERMSIG(st), err_text);
		CU_FAIL("byz-clip crashed");
		return -1;
	}
	return WEXITSTATUS(st);
}

static void expect_status(const char *const *args, int want, const char *needle)
{
	int got = run(args);
	const char *where = want == 0 ? out_text : err_text;
	if (got != want || !strstr(where, needle)) {
		fprintf(stderr, "\n  byz-clip");
		for (const char *const *a = args; *a; a++)
			fprintf(stderr, " %s", *a);
		fprintf(stderr, ": status %d (want %d), stdout \"%s\", stderr \"%s\" (want \"%s\")\n",
			got, want, out_text, err_text, needle);
	}
	CU_ASSERT_EQUAL(got, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(where, needle));
}

#define K 9
#define D 123

static float data[K * D];
static const float *rows[K];
static char in_path[128], out_path[128];

static void setup_input(void)
{
	struct byz_rng r = {byz_test_seed()};
	for (size_t i = 0; i < K * D; i++)
		data[i] = (float)byz_rng_gauss(&r);
	for (size_t c = 0; c < D; c++)
		data[2 * D + c] = 500.0f; /* one outlier */
	for (uint32_t i = 0; i < K; i++)
		rows[i] = data + (size_t)i * D;
	path_in(in_path, sizeof(in_path), "in.npy");
	path_in(out_path, sizeof(out_path), "out.npy");
	char msg[BYZ_NPY_MSG_LEN];
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(in_path, data, K, D, msg, sizeof(msg)), 0);
}

static void read_output(float *out)
{
	struct byz_npy_array a;
	char msg[BYZ_NPY_MSG_LEN];
	CU_ASSERT_EQUAL_FATAL(byz_npy_read_f32(out_path, &a, msg, sizeof(msg)), 0);
	CU_ASSERT_FATAL(a.ndim == 1 && a.cols == D);
	memcpy(out, a.data, D * sizeof(float));
	byz_npy_free(&a);
}

static void test_cclip(void)
{
	setup_input();
	unlink(out_path);
	const char *args[] = {"--tau", "2", "--eps", "1e-7", "--max-iters", "500", in_path, out_path,
			      NULL};
	expect_status(args, 0, "aggregator=cclip k=9 d=123 iters=");
	float got[D], want[D];
	read_output(got);
	struct byz_clip_params p = {2, 1e-7, 500, BYZ_CLIP_AUTO};
	struct byz_clip_result res;
	CU_ASSERT_EQUAL_FATAL(byz_clip(rows, K, D, &p, want, NULL, &res), 0);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(got)), 0);
	char line[256];
	snprintf(line, sizeof(line), "iters=%u ", res.iters);
	CU_ASSERT_PTR_NOT_NULL(strstr(out_text, line));
	snprintf(line, sizeof(line), "clipped=%u impl=%s converged=%d", res.clipped,
		 byz_clip_impl_name(res.impl), res.converged);
	CU_ASSERT_PTR_NOT_NULL(strstr(out_text, line));
	/* Far from the outlier. */
	for (size_t c = 0; c < D; c++)
		CU_ASSERT(fabsf(got[c]) < 5);

	/* Every implementation: available ones run, the others exit 3. */
	for (int impl = BYZ_CLIP_AUTO; impl < BYZ_CLIP_IMPL_COUNT; impl++) {
		const char *name = byz_clip_impl_name((enum byz_clip_impl)impl);
		const char *a2[] = {"--tau", "2", "--impl", name, in_path, out_path, NULL};
		if (byz_clip_impl_available((enum byz_clip_impl)impl)) {
			expect_status(a2, 0, "aggregator=cclip");
			if (impl != BYZ_CLIP_AUTO) {
				snprintf(line, sizeof(line), "impl=%s ", name);
				CU_ASSERT_PTR_NOT_NULL(strstr(out_text, line));
			}
		} else {
			expect_status(a2, 3, "not available");
		}
	}
	/* Capping SIMD for the child (BYZ_SIMD_MAX, read by the clip engine) makes avx2 unavailable there. */
	const char *a3[] = {"--tau", "2", "--impl", "avx2", in_path, out_path, NULL};
	CU_ASSERT_EQUAL_FATAL(setenv("BYZ_SIMD_MAX", "scalar", 1), 0);
	expect_status(a3, 3, "implementation 'avx2' is not available");
	unsetenv("BYZ_SIMD_MAX");
}

static void test_every_aggregator(void)
{
	for (int kind = 1; kind < BYZ_AGG_COUNT; kind++) {
		const char *name = byz_agg_name((enum byz_agg_kind)kind);
		const char *args[] = {"--aggregator", name, "--f", "2", in_path, out_path, NULL};
		char head[64];
		snprintf(head, sizeof(head), "aggregator=%s k=9 d=123", name);
		unlink(out_path);
		expect_status(args, 0, head);
		float got[D], want[D];
		read_output(got);
		struct byz_agg_params p;
		byz_agg_params_default(&p, (enum byz_agg_kind)kind, K);
		p.f = 2;
		CU_ASSERT_EQUAL_FATAL(byz_aggregate(&p, rows, K, D, want, NULL), 0);
		CU_ASSERT_EQUAL(memcmp(got, want, sizeof(got)), 0);
	}
	/* Parameters that do not fit k: status 3. */
	const char *krum[] = {"--aggregator", "krum", "--f", "4", in_path, out_path, NULL};
	expect_status(krum, 3, "k > 2f + 2");
	const char *mk[] = {"--aggregator", "multikrum", "--m", "10", in_path, out_path, NULL};
	expect_status(mk, 3, "m <= k");
	const char *tm[] = {"--aggregator", "trimmed-mean", "--f", "5", in_path, out_path, NULL};
	expect_status(tm, 3, "k > 2f");
}

static void test_one_row(void)
{
	char p1[128], msg[BYZ_NPY_MSG_LEN];
	path_in(p1, sizeof(p1), "one.npy");
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(p1, data, 0, D, msg, sizeof(msg)), 0);
	const char *args[] = {"--tau", "1", p1, out_path, NULL};
	expect_status(args, 0, "aggregator=cclip k=1 d=123 ");
	float got[D];
	read_output(got);
	CU_ASSERT_EQUAL(memcmp(got, data, sizeof(got)), 0);
	unlink(p1);
}

static void write_file(const char *path, const void *b, size_t n)
{
	FILE *fp = fopen(path, "wb");
	CU_ASSERT_FATAL(fp != NULL);
	if (n)
		CU_ASSERT_FATAL(fwrite(b, 1, n, fp) == n);
	fclose(fp);
}

/* sizeof, not a hand count: the literals hold NUL bytes. */
#define WRITE_LIT(path, lit) write_file(path, lit, sizeof(lit) - 1)

/* A version 1.0 .npy with this dict and nbytes zero bytes of data. */
static void npy_with(const char *path, const char *dict, size_t nbytes)
{
	size_t dl = strlen(dict);
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(dl & 0xff),
				 (unsigned char)(dl >> 8)};
	FILE *fp = fopen(path, "wb");
	CU_ASSERT_FATAL(fp != NULL);
	CU_ASSERT_FATAL(fwrite(pre, 1, 10, fp) == 10 && fwrite(dict, 1, dl, fp) == dl);
	static const unsigned char zeros[4096];
	for (size_t left = nbytes; left;) {
		size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
		CU_ASSERT_FATAL(fwrite(zeros, 1, n, fp) == n);
		left -= n;
	}
	CU_ASSERT_FATAL(fclose(fp) == 0);
}

static void test_malformed_inputs(void)
{
	char bad[128];
	path_in(bad, sizeof(bad), "bad.npy");
	const char *args[] = {"--tau", "1", bad, out_path, NULL};

	WRITE_LIT(bad, "hello world, not numpy");
	expect_status(args, 2, "bad magic");
	WRITE_LIT(bad, "\x93NUMPY\x01");
	expect_status(args, 2, "truncated");
	WRITE_LIT(bad, "");
	expect_status(args, 2, "truncated");
	npy_with(bad, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", 48);
	expect_status(args, 2, "dtype '<f8' unsupported");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", 24);
	expect_status(args, 2, "fortran_order True");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 1), }\n", 24);
	expect_status(args, 2, "3-D shape");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20);
	expect_status(args, 2, "data too short");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 8);
	expect_status(args, 2, "overflows");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }\n", 8);
	expect_status(args, 2, "data too short");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }\n", 0);
	expect_status(args, 2, "empty input");
	npy_with(bad, "{'descr': '<f4', 'fortran_order': False, 'shape': (5000, 1), }\n", 20000);
	expect_status(args, 2, "more than the limit");
	WRITE_LIT(bad, "\x93NUMPY\x01\x00\xff\xff{");
	expect_status(args, 2, "truncated");

	/* NaN and Inf: named with their position. */
	float v[6] = {1, 2, 3, 4, 5, 6};
	char msg[BYZ_NPY_MSG_LEN];
	v[4] = NAN;
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(bad, v, 2, 3, msg, sizeof(msg)), 0);
	expect_status(args, 2, "non-finite value NaN at row 1, column 1");
	v[4] = -INFINITY;
	CU_ASSERT_EQUAL_FATAL(byz_npy_write_f32(bad, v, 2, 3, msg, sizeof(msg)), 0);
	const char *mean[] = {"--aggregator", "mean", bad, out_path, NULL};
	expect_status(mean, 2, "non-finite value -Inf at row 1, column 1");

	const char *missing[] = {"--tau", "1", "/nonexistent-dir/in.npy", out_path, NULL};
	expect_status(missing, 2, "cannot open");
	const char *unwritable[] = {"--tau", "1", in_path, "/nonexistent-dir/out.npy", NULL};
	expect_status(unwritable, 4, "cannot create");
	unlink(bad);
}

static void test_usage(void)
{
	const char *help[] = {"--help", NULL};
	expect_status(help, 0, "Exit status");
	const char *none[] = {NULL};
	expect_status(none, 1, "need IN.npy and OUT.npy");
	const char *notau[] = {in_path, out_path, NULL};
	expect_status(notau, 1, "--tau is required");
	const char *negtau[] = {"--tau", "-1", in_path, out_path, NULL};
	expect_status(negtau, 1, "--tau must be > 0");
	const char *nantau[] = {"--tau", "nan", in_path, out_path, NULL};
	expect_status(nantau, 1, "not a finite number");
	const char *agg[] = {"--tau", "1", "--aggregator", "bulyan", in_path, out_path, NULL};
	expect_status(agg, 1, "unknown aggregator 'bulyan'");
	const char *impl[] = {"--tau", "1", "--impl", "cuda", in_path, out_path, NULL};
	expect_status(impl, 1, "unknown implementation 'cuda'");
	const char *iters[] = {"--tau", "1", "--max-iters", "-3", in_path, out_path, NULL};
	expect_status(iters, 1, "not a non-negative integer");
	const char *big[] = {"--tau", "1", "--max-iters", "4294967296", in_path, out_path, NULL};
	expect_status(big, 1, "not an integer in");
	const char *opt[] = {"--frobnicate", in_path, out_path, NULL};
	expect_status(opt, 1, "unknown option");
	const char *dangling[] = {in_path, out_path, "--tau", NULL};
	expect_status(dangling, 1, "missing argument");
}

static void cleanup(void)
{
	char p[128];
	static const char *names[] = {"in.npy", "out.npy", "stdout.txt", "stderr.txt"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(p, sizeof(p), names[i]);
		unlink(p);
	}
	CU_ASSERT_EQUAL(rmdir(tmpdir), 0);
}

int main(int argc, char **argv)
{
	static const struct byz_test_case cases[] = {
		{"cclip", test_cclip},
		{"every_aggregator", test_every_aggregator},
		{"one_row", test_one_row},
		{"malformed_inputs", test_malformed_inputs},
		{"usage", test_usage},
		{"cleanup", cleanup},
		{NULL, NULL},
	};
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-byz-clip\n", argv[0]);
		return 1;
	}
	bin = argv[1];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/byz-cli-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	return byz_test_run("clip-cli", cases);
}
