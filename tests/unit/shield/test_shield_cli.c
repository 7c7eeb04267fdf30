/*
 * The byz-shield tool as a user meets it: bad arguments exit 2 with a message
 * naming the problem (never a crash), and the CSV of worst-case agrees with
 * the independent brute force. The tool's path comes in BYZ_SHIELD_TOOL.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "byz_test.h"
#include "shield_ref.h"

extern char **environ;

struct run {
	int exited, status;
	char out[1 << 16], err[1 << 14];
};

static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	lseek(fd, 0, SEEK_SET);
	for (ssize_t k; n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0;)
		n += (size_t)k;
	buf[n] = 0;
	close(fd);
}

/* Run the tool with args (NULL-terminated), capturing stdout and stderr. */
static void run_tool(const char *const *args, struct run *r)
{
	const char *tool = getenv("BYZ_SHIELD_TOOL");
	CU_ASSERT_FATAL(tool != NULL);
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)(uintptr_t)tool;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)(uintptr_t)args[n - 1];
	argv[n] = NULL;
	char out_name[] = "/tmp/byz-shield-out-XXXXXX", err_name[] = "/tmp/byz-shield-err-XXXXXX";
	int fo = mkstemp(out_name), fe = mkstemp(err_name);
	CU_ASSERT_FATAL(fo >= 0 && fe >= 0);
	unlink(out_name);
	unlink(err_name);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fo, 1);
	posix_spawn_file_actions_adddup2(&fa, fe, 2);
	pid_t pid;
	int rc = posix_spawn(&pid, tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	int st;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	r->exited = WIFEXITED(st);
	r->status = r->exited ? WEXITSTATUS(st) : -WTERMSIG(st);
	slurp(fo, r->out, sizeof(r->out));
	slurp(fe, r->err, sizeof(r->err));
}

static struct run R;

static void expect(const char *const *args, int status, const char *in_err, const char *in_out)
{
	run_tool(args, &R);
	int ok = R.exited && R.status == status && (!in_err || strstr(R.err, in_err)) &&
		 (!in_out || strstr(R.out, in_out));
	if (!ok) {
		fprintf(stderr, "\nbyz-shield");
		for (const char *const *a = args; *a; a++)
			fprintf(stderr, " %s", *a);
		fprintf(stderr, ": exit %d (want %d), stderr: %s\n", R.status, status, R.err);
	}
	CU_ASSERT(ok);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_bad_arguments(void)
{
	expect((const char *const[]){NULL}, 2, "missing subcommand", NULL);
	expect(ARGS("frobnicate"), 2, "unknown subcommand", NULL);
	expect(ARGS("info"), 2, "missing construction", NULL);
	expect(ARGS("info", "--mols", "4", "3"), 2, "not prime", NULL);
	expect(ARGS("info", "--mols", "5", "5"), 2, "r = 5", NULL);
	expect(ARGS("info", "--mols", "5", "1"), 2, "r = 1", NULL);
	expect(ARGS("info", "--mols", "5"), 2, "two numbers", NULL);
	expect(ARGS("info", "--mols", "5", "x"), 2, "not a number", NULL);
	expect(ARGS("info", "--mols", "-5", "3"), 2, "not a number", NULL);
	expect(ARGS("info", "--mols", "5", ""), 2, "not a number", NULL);
	expect(ARGS("info", "--mols", "99999999999999999999999", "3"), 2, "not a number", NULL);
	expect(ARGS("info", "--mols", "257", "3"), 2, "limit", NULL);
	expect(ARGS("info", "--ramanujan", "6", "2"), 2, "not prime", NULL);
	expect(ARGS("info", "--ramanujan", "5", "7"), 2, "multiple", NULL);
	expect(ARGS("info", "--mols", "5", "3", "-q", "3"), 2, "unknown option", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q", "0"), 2, "1 <= A", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q", "3-2"), 2, "1 <= A", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q", "16"), 2, "exceeds", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q", "a-b"), 2, "-q needs", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q", "1-"), 2, "-q needs", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "-q"), 2, "-q needs", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--bogus"), 2, "unknown option", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--ramanujan", "5", "3"), 2, "not two", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--node-limit", "0"), 2, "positive", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--time-limit", "1.5"), 2, "seconds", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--csv"), 2, "--csv needs", NULL);
	expect(ARGS("worst-case", "--mols", "17", "16"), 2, "K <= 256", NULL);
	expect(ARGS("worst-case", "--mols", "5", "3", "--quiet", "--csv", "/nonexistent-dir/x.csv"),
	       1, "cannot write", NULL);
}

static void test_good_runs(void)
{
	expect(ARGS("--help"), 0, NULL, "usage: byz-shield");
	expect(ARGS("worst-case", "--help"), 0, NULL, "--node-limit");
	expect(ARGS("info", "--mols", "5", "3"), 0, NULL, "Ramanujan        yes");
	CU_ASSERT(strstr(R.out, "0.333333333333") != NULL);
	expect(ARGS("info", "--ramanujan", "3", "6", "--list"), 0, NULL, "worker 8:");
	expect(ARGS("info", "--mols", "3", "2"), 0, NULL, "r even");
	expect(ARGS("worst-case", "--ramanujan", "5", "3", "-q", "4", "--quiet"), 0, NULL, "exact");
}

/* Split a CSV line in place; returns the field count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ',') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static int col(char **hdr, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return i;
	fprintf(stderr, "CSV lacks column %s\n", name);
	CU_FAIL("missing CSV column");
	return 0;
}

static void test_csv_vs_brute_force(void)
{
	char csv[] = "/tmp/byz-shield-csv-XXXXXX";
	int fd = mkstemp(csv);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	expect(ARGS("worst-case", "--mols", "5", "3", "--csv", csv, "--quiet"), 0, NULL,
	       "fraction");
	struct ref_assign ra = {0};
	CU_ASSERT_FATAL(ref_mols(5, 3, &ra) == 0);
	uint32_t cmax[REF_MAX_K + 1];
	ref_brute(&ra, cmax);
	FILE *f = fopen(csv, "r");
	CU_ASSERT_FATAL(f != NULL);
	char line[4096], hline[4096], *h[32], *v[32];
	CU_ASSERT_FATAL(fgets(hline, sizeof(hline), f) != NULL);
	hline[strcspn(hline, "\n")] = 0;
	int nh = split(hline, h, 32);
	int cq = col(h, nh, "q"), cc = col(h, nh, "c_max"), cf = col(h, nh, "f"),
	    cfr = col(h, nh, "fraction"), cd = col(h, nh, "detox"),
	    cn = col(h, nh, "no_redundancy"), cb = col(h, nh, "bound"), ce = col(h, nh, "exact"),
	    cs = col(h, nh, "set");
	uint32_t rows = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		CU_ASSERT_EQUAL_FATAL(split(line, v, 32), nh);
		uint32_t q = (uint32_t)atoi(v[cq]), c = (uint32_t)atoi(v[cc]);
		CU_ASSERT_EQUAL(q, rows + 1);
		CU_ASSERT_EQUAL(c, cmax[q]);
		CU_ASSERT_EQUAL(atoi(v[cf]), 25);
		CU_ASSERT_DOUBLE_EQUAL(atof(v[cfr]), c / 25.0, 1e-6);
		/* DETOX: 5 groups of 3, each lost to 2 Byzantines. */
		double groups = q / 2 < 5 ? q / 2 : 5;
		CU_ASSERT_DOUBLE_EQUAL(atof(v[cd]), groups * 3 / 15, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(atof(v[cn]), q / 15.0, 1e-6);
		CU_ASSERT(atoi(v[cb]) >= (int)c);
		CU_ASSERT_EQUAL(atoi(v[ce]), 1);
		uint64_t mask = 0;
		uint32_t members = 0;
		for (char *p = v[cs]; *p;) {
			long w = strtol(p, &p, 10);
			CU_ASSERT(w >= 0 && w < 15);
			mask |= 1ull << w;
			members++;
			if (*p == ';')
				p++;
		}
		CU_ASSERT_EQUAL(members, q);
		CU_ASSERT_EQUAL((uint32_t)__builtin_popcountll(mask), q);
		CU_ASSERT_EQUAL(ref_score(&ra, mask), cmax[q]);
		rows++;
	}
	CU_ASSERT_EQUAL(rows, 15);
	fclose(f);
	unlink(csv);
}

static void test_limit_is_labelled(void)
{
	char csv[] = "/tmp/byz-shield-csv-XXXXXX";
	int fd = mkstemp(csv);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	expect(ARGS("worst-case", "--mols", "7", "5", "-q", "12", "--node-limit", "100", "--csv", csv),
	       0, NULL, "(best found), <= ");
	CU_ASSERT(strstr(R.out, " NO ") != NULL);
	FILE *f = fopen(csv, "r");
	CU_ASSERT_FATAL(f != NULL);
	char hline[1024], line[1024], *h[32], *v[32];
	CU_ASSERT_FATAL(fgets(hline, sizeof(hline), f) && fgets(line, sizeof(line), f));
	int nh = split(hline, h, 32);
	CU_ASSERT_EQUAL(split(line, v, 32), nh);
	int lo = atoi(v[col(h, nh, "c_max")]), hi = atoi(v[col(h, nh, "c_upper")]);
	CU_ASSERT_EQUAL(atoi(v[col(h, nh, "exact")]), 0);
	CU_ASSERT(lo <= hi);
	fclose(f);
	/* The same q without a limit: the bracket must hold the exact value. */
	expect(ARGS("worst-case", "--mols", "7", "5", "-q", "12", "--quiet", "--csv", csv), 0, NULL,
	       "yes");
	f = fopen(csv, "r");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(fgets(hline, sizeof(hline), f) && fgets(line, sizeof(line), f));
	nh = split(hline, h, 32);
	CU_ASSERT_EQUAL(split(line, v, 32), nh);
	int exact = atoi(v[col(h, nh, "c_max")]);
	CU_ASSERT_EQUAL(atoi(v[col(h, nh, "exact")]), 1);
	CU_ASSERT(lo <= exact && exact <= hi);
	fclose(f);
	unlink(csv);
}

BYZ_TEST_MAIN("shield_cli",
	      {"bad_arguments", test_bad_arguments},
	      {"good_runs", test_good_runs},
	      {"csv_vs_brute_force", test_csv_vs_brute_force},
	      {"limit_is_labelled", test_limit_is_labelled})
