/*
 * byzd's config parser: a complete file parses to the values it names and
 * defaults elsewhere; each class of error is refused with a message that
 * names the file, the line and the problem.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byz/config.h"
#include "byz_test.h"

#define PK0 "pubkey = 4c27b500b58d41b10f5354c3cb30ca5aca69c1807148b2d9e907e69c8660e831\n"
#define PK1 "pubkey = 1111111111111111111111111111111111111111111111111111111111111111\n"
#define RUN "run_id = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define HEAD RUN "key_file = k0\n[port]\nname = net_ring0\n"
#define PEERS "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.0.2\n"

static struct byz_config cfg;

static void test_good(void)
{
	const char *t = "# a node\n" RUN "key_file = /etc/byz/k0   # secret\nsteps = 7\n"
			"[eal]\nlcores = 0-1\nno_huge = yes\nvdev = net_ring0\nvdev = net_null0\n"
			"[port]\nname = net_ring0\nmtu = 9000\nbusy_poll = on\n"
			"[protocol]\ntau = 1.5\nphase_us = 20000\nd = 1000\n"
			"[gradient]\nsource = softmax\nbatch = 8\n"
			"[channel]\nrto_us = 500\n"
			"[peer]\n" PK0 "ip = 192.168.1.10\nmac = 0a:0b:0c:0d:0e:0f\nudp_port = 9000\n"
			"[peer]\n" PK1 "ip = 192.168.1.11\n";
	char why[256];
	int r = byz_config_parse(t, strlen(t), "good.conf", &cfg, why, sizeof(why));
	if (r)
		fprintf(stderr, "%s\n", why);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(cfg.run_id[1], 0x11);
	CU_ASSERT_STRING_EQUAL(cfg.key_file, "/etc/byz/k0");
	CU_ASSERT_EQUAL(cfg.steps, 7);
	CU_ASSERT_STRING_EQUAL(cfg.lcores, "0-1");
	CU_ASSERT_EQUAL(cfg.no_huge, 1);
	CU_ASSERT_EQUAL(cfg.no_pci, 0);
	CU_ASSERT_EQUAL(cfg.nvdev, 2);
	CU_ASSERT_STRING_EQUAL(cfg.vdev[1], "net_null0");
	CU_ASSERT_EQUAL(cfg.mtu, 9000);
	CU_ASSERT_EQUAL(cfg.busy_poll, 1);
	CU_ASSERT_EQUAL(cfg.tau, 1.5);
	CU_ASSERT_EQUAL(cfg.eps, 1e-5); /* default */
	CU_ASSERT_EQUAL(cfg.phase_us, 20000);
	CU_ASSERT_EQUAL(cfg.d, 1000);
	CU_ASSERT_EQUAL(cfg.source, BYZ_GRAD_SOFTMAX);
	CU_ASSERT_EQUAL(cfg.rto_us, 500);
	CU_ASSERT_EQUAL(cfg.rto_max_us, 50000);
	CU_ASSERT_EQUAL(cfg.n, 2);
	CU_ASSERT_EQUAL(cfg.peers[0].ip, 0xc0a8010a);
	CU_ASSERT_EQUAL(cfg.peers[0].udp_port, 9000);
	CU_ASSERT_EQUAL(cfg.peers[0].has_mac, 1);
	CU_ASSERT_EQUAL(cfg.peers[0].mac[5], 0x0f);
	CU_ASSERT_EQUAL(cfg.peers[1].has_mac, 0);
	CU_ASSERT_EQUAL(cfg.peers[1].pk[31], 0x11);
}

/* Each bad text must fail with "bad.conf:LINE: " and mention @p frag. */
static void bad(const char *text, unsigned line, const char *frag)
{
	char why[512], want[32];
	int r = byz_config_parse(text, strlen(text), "bad.conf", &cfg, why, sizeof(why));
	CU_ASSERT_EQUAL(r, -EINVAL);
	if (line)
		snprintf(want, sizeof(want), "bad.conf:%u: ", line);
	else
		snprintf(want, sizeof(want), "bad.conf: ");
	int ok = strncmp(why, want, strlen(want)) == 0 && strstr(why, frag) != NULL;
	if (!ok)
		fprintf(stderr, "\n  expected '%s...%s', got '%s'", want, frag, why);
	CU_ASSERT(ok);
}

static void test_errors(void)
{
	bad(HEAD "tau = 3\n" PEERS, 5, "unknown key 'tau' in [port]");
	bad(HEAD "[protocl]\n" PEERS, 5, "unknown section [protocl]");
	bad(HEAD "[protocol\n" PEERS, 5, "malformed section header");
	bad(HEAD "just words\n" PEERS, 5, "expected 'key = value'");
	bad(HEAD "mtu =\n" PEERS, 5, "mtu: missing value");
	bad(HEAD "= 5\n" PEERS, 5, "missing key");
	bad(HEAD "[protocol]\ntau = abc\n" PEERS, 6, "tau: not a positive finite number: 'abc'");
	bad(HEAD "[protocol]\ntau = -1\n" PEERS, 6, "tau");
	bad(HEAD "[protocol]\ntau = inf\n" PEERS, 6, "tau");
	bad(HEAD "mtu = 100\n" PEERS, 5, "mtu: not an integer in [576, 9000]");
	bad(HEAD "mtu = 1500x\n" PEERS, 5, "mtu: not an integer");
	bad(HEAD "udp_port = 70000\n" PEERS, 5, "udp_port");
	bad(HEAD "busy_poll = maybe\n" PEERS, 5, "busy_poll: expected yes/no");
	bad(HEAD "mtu = 1500\nmtu = 9000\n" PEERS, 6, "duplicate key 'mtu' in [port]");
	bad("key_file = k\n[port]\nname = p\n" PEERS, 0, "missing required key 'run_id'");
	bad(RUN "[port]\nname = p\n" PEERS, 0, "missing required key 'key_file'");
	bad(RUN "key_file = k\n" PEERS, 0, "missing required key 'name' in [port]");
	bad("run_id = 0011\n", 1, "run_id: expected 64 hex digits");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\n", 0, "need at least 2 [peer] sections");
	bad(HEAD "[peer]\n" PK0 "[peer]\n" PK1 "ip = 10.0.0.2\n", 5, "missing required key 'ip'");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK0 "ip = 10.0.0.2\n", 8,
	    "same pubkey as [peer] 0");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.0.1\n", 8,
	    "same address as [peer] 0");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.300\n", 7, "ip: not a dotted IPv4 address");
	bad(HEAD "[peer]\n" PK0 "mac = 0a:0b:0c:0d:0e\n", 7, "mac: expected xx:xx:xx:xx:xx:xx");
	bad(HEAD "[peer]\npubkey = zz\n", 6, "pubkey: expected 64 hex digits");
	bad(HEAD "[gradient]\nsource = resnet\n" PEERS, 6, "source: expected toy, softmax or mlp");
	bad(HEAD "[channel]\nrto_us = 900\nrto_max_us = 800\n" PEERS, 0,
	    "rto_max_us (800) is below rto_us (900)");
	bad(HEAD "[eal]\nno_pci = yes\npci = 0000:01:00.0\n" PEERS, 0, "no_pci");
	bad(HEAD "[eal]\nlcores = \x01\n" PEERS, 6, "control character");

	static char longl[BYZ_CONFIG_MAX_LINE + 64];
	memset(longl, 'a', sizeof(longl) - 1);
	bad(longl, 1, "line longer than");
	char nul[] = RUN "key_file = a\0b\n";
	char why[256];
	CU_ASSERT_EQUAL(byz_config_parse(nul, sizeof(nul) - 1, "bad.conf", &cfg, why, sizeof(why)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad.conf:2: NUL byte"));
	/* 65 peers */
	static char many[65 * 128 + 256];
	size_t o = (size_t)snprintf(many, sizeof(many), "%s", HEAD);
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "[peer]\n");
	bad(many, 4 + 65, "more than 64 [peer] sections");
}

static void test_files(void)
{
	char why[256];
	CU_ASSERT_EQUAL(byz_config_load("/nonexistent/byzd.conf", &cfg, why, sizeof(why)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "/nonexistent/byzd.conf: cannot open"));
	CU_ASSERT_EQUAL(byz_config_load("/", &cfg, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a regular file"));
}

int main(void)
{
	static const struct byz_test_case cases[] = {
		{"a complete config", test_good},
		{"every class of error names file, line, problem", test_errors},
		{"files: missing, not regular", test_files},
		{NULL, NULL},
	};
	return byz_test_run("node-config", cases);
}
