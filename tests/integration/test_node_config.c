/*
 * byzd's config parser: a complete file parses to the values it names and
 * defaults elsewhere; each class of error is refused with a message that
 * names the file, the line and the problem.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byz/bringup.h"
#include "byz/config.h"
#include "byz/proto.h"
#include "byz/hash.h"
#include "byz/oracle.h"
#include "byz_test.h"

#include <math.h>
#include <stdlib.h>
#include <sodium.h>

#define PK0 "pubkey = 4c27b500b58d41b10f5354c3cb30ca5aca69c1807148b2d9e907e69c8660e831\n"
#define PK1 "pubkey = 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c\n"
#define RUN "run_id = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define HEAD RUN "key_file = k0\n[port]\nname = net_ring0\n"
#define PEERS "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.0.2\n"

static struct byz_config cfg;

static void test_good(void)
{
	const char *t = "# a node\n" RUN "key_file = /etc/byz/k0   # secret\nsteps = 7\n"
			"[eal]\nlcores = 0-1\nno_huge = yes\nvdev = net_ring0\nvdev = net_null0\n"
			"[port]\nname = net_ring0\nmtu = 9000\nbusy_poll = on\nauth = off\n"
			"[protocol]\ntau = 1.5\nphase_us = 20000\nd = 1000\nvalidation = tolerance\n"
			"rho = 0.01\n"
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
	CU_ASSERT_EQUAL(cfg.auth, 0);
	CU_ASSERT_EQUAL(cfg.tau, 1.5);
	CU_ASSERT_EQUAL(cfg.eps, 1e-5); /* default */
	CU_ASSERT_EQUAL(cfg.phase_us, 20000);
	CU_ASSERT_EQUAL(cfg.d, 1000);
	CU_ASSERT_EQUAL(cfg.validation, BYZ_VALIDATE_TOLERANCE);
	CU_ASSERT_EQUAL(cfg.rho, 0.01);
	CU_ASSERT_EQUAL(cfg.source, BYZ_GRAD_SOFTMAX);
	CU_ASSERT_EQUAL(cfg.rto_us, 500);
	CU_ASSERT_EQUAL(cfg.rto_max_us, 50000);
	CU_ASSERT_EQUAL(cfg.n, 2);
	CU_ASSERT_EQUAL(cfg.peers[0].ip, 0xc0a8010a);
	CU_ASSERT_EQUAL(cfg.peers[0].udp_port, 9000);
	CU_ASSERT_EQUAL(cfg.peers[0].has_mac, 1);
	CU_ASSERT_EQUAL(cfg.peers[0].mac[5], 0x0f);
	CU_ASSERT_EQUAL(cfg.peers[1].has_mac, 0);
	CU_ASSERT_EQUAL(cfg.peers[1].pk[31], 0x5c);
	CU_ASSERT_EQUAL(cfg.leaf_hash, BYZ_LEAF_BLAKE2B); /* default */
	const char *t2 = RUN "leaf_hash = sha256\nkey_file = k0\n[port]\nname = p\n" PEERS;
	CU_ASSERT_EQUAL(byz_config_parse(t2, strlen(t2), "sha.conf", &cfg, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cfg.leaf_hash, BYZ_LEAF_SHA256);
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
	bad(HEAD "[protocol]\nvalidation = loose\n" PEERS, 6,
	    "validation: expected exact or tolerance: 'loose'");
	bad(HEAD "[protocol]\nrho = 2\n" PEERS, 6, "rho");
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
	bad(HEAD "auth = sometimes\n" PEERS, 5, "auth: expected yes/no");
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
	bad(HEAD "[gradient]\nsource = resnet\n" PEERS, 6, "source: expected toy, softmax, mlp or synthetic");
	bad(RUN "leaf_hash = md5\nkey_file = k0\n[port]\nname = p\n" PEERS, 2,
	    "leaf_hash: expected blake2b or sha256: 'md5'");
	bad(RUN "leaf_hash = auto\nkey_file = k0\n[port]\nname = p\n" PEERS, 2,
	    "leaf_hash: 'auto' is for benchmarks");
	bad(RUN "leaf_hash = sha256\nleaf_hash = sha256\nkey_file = k0\n[port]\nname = p\n"
	    PEERS, 3, "duplicate key 'leaf_hash' in [run]");
	bad(HEAD "leaf_hash = sha256\n" PEERS, 5, "unknown key 'leaf_hash' in [port]");
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

/* A PCI port (ARP on by default) at lines 1-6; [port] keys follow at line 7. */
#define PCIHEAD RUN "key_file = k0\n[eal]\npci = 0000:3b:00.0\n[port]\nname = 0000:3b:00.0\n"
#define PK2 "pubkey = 8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394\n"
/* peer 0 (self) and 1 on 10.0.0.0/24 without mac, peer 2 elsewhere */
#define PEERS3(mac2) "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.0.2\n" \
	"[peer]\n" PK2 "ip = 10.0.1.3\n" mac2

static struct byz_config_net net;

static int parse_net(const char *text, uint32_t self)
{
	char why[512];
	int r = byz_config_parse(text, strlen(text), "net.conf", &cfg, why, sizeof(why));
	if (r) {
		fprintf(stderr, "\n  %s", why);
		return r;
	}
	r = byz_config_net(&cfg, self, "net.conf", &net, why, sizeof(why));
	if (r)
		fprintf(stderr, "\n  %s", why);
	return r;
}

/* The text parses, and byz_config_net() refuses it at @p line with @p frag. */
static void netbad(const char *text, uint32_t self, unsigned line, const char *frag)
{
	char why[512], want[32];
	CU_ASSERT_EQUAL_FATAL(byz_config_parse(text, strlen(text), "net.conf", &cfg, why,
					       sizeof(why)), 0);
	CU_ASSERT_EQUAL(byz_config_net(&cfg, self, "net.conf", &net, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "net.conf:%u: ", line);
	int ok = strncmp(why, want, strlen(want)) == 0 && strstr(why, frag) != NULL;
	if (!ok)
		fprintf(stderr, "\n  expected '%s...%s', got '%s'", want, frag, why);
	CU_ASSERT(ok);
}

static void test_net(void)
{
	/* PCI port: peers without a mac are resolved by ARP, via the gateway
	 * when off-subnet */
	CU_ASSERT_EQUAL_FATAL(parse_net(PCIHEAD "ip = 10.0.0.1\nprefix = 24\ngateway = 10.0.0.254\n"
					PEERS3(""), 0), 0);
	CU_ASSERT_EQUAL(cfg.arp, BYZ_CONFIG_ARP_AUTO);
	CU_ASSERT_EQUAL(cfg.port_ip, 0x0a000001u);
	CU_ASSERT(!net.vdev && net.arp);
	CU_ASSERT_EQUAL(net.prefix, 24);
	CU_ASSERT_EQUAL(net.gateway, 0x0a0000feu);
	CU_ASSERT(!net.dyn[0] && net.dyn[1] && net.dyn[2]);
	CU_ASSERT_EQUAL(net.n_dyn, 2);
	/* a mac makes a peer static; netmask is prefix's other spelling */
	CU_ASSERT_EQUAL_FATAL(parse_net(PCIHEAD "netmask = 255.255.255.0\n"
					PEERS3("mac = 0c:42:a1:00:00:03\n"), 1), 0);
	CU_ASSERT_EQUAL(net.prefix, 24);
	CU_ASSERT_EQUAL(net.gateway, 0);
	CU_ASSERT(net.dyn[0] && !net.dyn[1] && !net.dyn[2]);
	char why[512];
	const char *t32 = PCIHEAD "netmask = 255.255.255.255\n" PEERS;
	CU_ASSERT_EQUAL(byz_config_parse(t32, strlen(t32), "net.conf", &cfg, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cfg.prefix, 32);
	/* vdev ports keep the derived MACs unless arp = yes */
	CU_ASSERT_EQUAL_FATAL(parse_net(HEAD PEERS3(""), 0), 0);
	CU_ASSERT(net.vdev && !net.arp);
	CU_ASSERT_EQUAL(net.n_dyn, 0);
	CU_ASSERT_EQUAL_FATAL(parse_net(RUN "key_file = k0\n[eal]\nvdev = net_af_packet0,iface=v0\n"
					"[port]\nname = net_af_packet0\narp = yes\nprefix = 16\n"
					PEERS3(""), 0), 0);
	CU_ASSERT(net.vdev && net.arp);
	CU_ASSERT_EQUAL(net.n_dyn, 2); /* 10.0.1.3 is on 10.0.0.0/16 */
	CU_ASSERT_EQUAL_FATAL(parse_net(PCIHEAD "arp = no\n" PEERS3(""), 0), 0);
	CU_ASSERT(!net.arp && net.n_dyn == 0);
	CU_ASSERT_EQUAL_FATAL(parse_net(HEAD "arp = auto\n" PEERS, 0), 0);
	CU_ASSERT_EQUAL(cfg.auth, 1); /* frame authentication is on unless turned off */
	CU_ASSERT_EQUAL(cfg.arp, BYZ_CONFIG_ARP_AUTO);

	/* values the parser refuses */
	bad(PCIHEAD "prefix = 33\n" PEERS, 7, "prefix: not an integer in [1, 32]");
	bad(PCIHEAD "prefix = 0\n" PEERS, 7, "prefix: not an integer");
	bad(PCIHEAD "prefix = /24\n" PEERS, 7, "prefix: not an integer");
	bad(PCIHEAD "netmask = 255.0.255.0\n" PEERS, 7, "netmask: not a contiguous netmask");
	bad(PCIHEAD "netmask = 0.0.0.0\n" PEERS, 7, "netmask: not a contiguous netmask");
	bad(PCIHEAD "netmask = 24\n" PEERS, 7, "netmask: not a dotted IPv4 netmask");
	bad(PCIHEAD "prefix = 24\nnetmask = 255.255.255.0\n" PEERS, 8,
	    "give prefix or netmask, not both");
	bad(PCIHEAD "netmask = 255.255.255.0\nprefix = 24\n" PEERS, 8, "not both");
	bad(PCIHEAD "gateway = 224.0.0.1\n" PEERS, 7, "gateway: not a unicast address");
	bad(PCIHEAD "gateway = 255.255.255.255\n" PEERS, 7, "gateway: not a unicast address");
	bad(PCIHEAD "gateway = 10.0.0.256\n" PEERS, 7, "gateway: not a dotted IPv4 address");
	bad(PCIHEAD "ip = 0.0.0.0\n" PEERS, 7, "ip: not a unicast address");
	bad(PCIHEAD "arp = sometimes\n" PEERS, 7, "arp: expected auto, yes or no");
	bad(PCIHEAD "gateway = 10.0.0.254\ngateway = 10.0.0.253\n" PEERS, 8, "duplicate key");

	/* combinations byz_config_net() refuses, at the line to fix */
	netbad(PCIHEAD PEERS3(""), 0, 10, "[peer] 1 has no mac and ARP is on");
	netbad(PCIHEAD "prefix = 24\n" PEERS3(""), 0, 14,
	       "[peer] 2: 10.0.1.3 is outside 10.0.0.1/24 and [port] has no gateway");
	netbad(PCIHEAD "prefix = 24\ngateway = 10.0.1.1\n" PEERS3(""), 0, 8,
	       "gateway 10.0.1.1 is not on this node's subnet 10.0.0.1/24");
	netbad(PCIHEAD "prefix = 24\ngateway = 10.0.0.1\n" PEERS3(""), 0, 8,
	       "this node's own address");
	netbad(PCIHEAD "gateway = 10.0.0.254\n" PEERS3(""), 0, 7, "needs a prefix or netmask");
	netbad(PCIHEAD "ip = 10.0.0.9\nprefix = 24\n" PEERS3(""), 0, 7,
	       "[port] ip 10.0.0.9 is not this node's [peer] ip 10.0.0.1 (line 9)");
	/* the same file is fine for the node whose address it names */
	CU_ASSERT_EQUAL(parse_net(PCIHEAD "ip = 10.0.0.2\nprefix = 16\n" PEERS3(""), 1), 0);
	CU_ASSERT_EQUAL(byz_config_net(&cfg, 3, "net.conf", &net, why, sizeof(why)), -EINVAL);
}

/* [peer] port: a link of its own per peer; checked against the node's own
 * devices, except on its own row (one roster serves every node) */
#define MESH RUN "key_file = k0\n[eal]\nvdev = net_memif1,role=client,socket=/tmp/m.sock\n" \
	"vdev = net_memif2,role=server\n[port]\nname = net_memif1\n"

static void test_peer_ports(void)
{
	CU_ASSERT_EQUAL_FATAL(parse_net(MESH "[peer]\n" PK0 "ip = 10.0.0.1\nport = net_memif0\n"
					"[peer]\n" PK1 "ip = 10.0.0.2\nport = net_memif1\n"
					"[peer]\n" PK2 "ip = 10.0.0.3\nport = net_memif2\n", 0), 0);
	CU_ASSERT_STRING_EQUAL(cfg.peers[2].port, "net_memif2");
	CU_ASSERT_STRING_EQUAL(cfg.peers[1].port, "net_memif1");
	/* peer 0's port names no device here, but peer 0 is this node */
	netbad(MESH "[peer]\n" PK0 "ip = 10.0.0.1\nport = net_memif0\n"
	       "[peer]\n" PK1 "ip = 10.0.0.2\nport = net_memif1\n"
	       "[peer]\n" PK2 "ip = 10.0.0.3\nport = net_memif2\n", 1, 8,
	       "[peer] 0: port 'net_memif0' is neither [port] name nor an [eal] vdev or pci device");
	/* a prefix of a vdev is no vdev; a PCI address of [eal] pci is */
	netbad(MESH "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.0.2\nport = net_memif\n",
	       0, 11, "port 'net_memif' is neither");
	CU_ASSERT_EQUAL(parse_net(PCIHEAD "arp = no\n[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1
				  "ip = 10.0.0.2\nport = 0000:3b:00.0\n", 0), 0);
	char big[128];
	memset(big, 'x', 70);
	big[70] = 0;
	char t[1024];
	snprintf(t, sizeof(t), MESH "[peer]\n" PK0 "ip = 10.0.0.1\nport = %s\n[peer]\n" PK1
		 "ip = 10.0.0.2\n", big);
	bad(t, 11, "port: longer than 63 characters");
}

static int parse_ok(const char *t);

/* [protocol] relay_f and late_us reach the run constants; a Delta that
 * leaves no room in a phase is refused */
static void test_relay_keys(void)
{
	CU_ASSERT_EQUAL_FATAL(
		parse_ok(HEAD "[protocol]\nphase_us = 90000\nrelay_f = 3\nlate_us = 20000\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.relay_f, 3);
	CU_ASSERT_EQUAL(cfg.late_us, 20000);
	uint8_t roster[2 * 32] = {0};
	struct byz_run run;
	byz_bringup_run(&cfg, roster, 256, &run);
	CU_ASSERT_EQUAL(run.relay_f, 3);
	CU_ASSERT_EQUAL(run.late_us, 20000);
	CU_ASSERT_EQUAL(run.phase_us, 90000);
	CU_ASSERT_EQUAL(byz_relay_windows(&run, 2), 4);
	/* not given: the defaults the protocol derives (W = (n-1)/2 + 1, D/3) */
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD "[protocol]\nphase_us = 90000\n" PEERS), 0);
	byz_bringup_run(&cfg, roster, 256, &run);
	CU_ASSERT_EQUAL(run.relay_f, 0);
	CU_ASSERT_EQUAL(run.late_us, 0);
	CU_ASSERT_EQUAL(byz_relay_windows(&run, 2), 1);
	bad(HEAD "[protocol]\nrelay_f = 0\n" PEERS, 6, "relay_f: not an integer in [1, 127]");
	bad(HEAD "[protocol]\nrelay_f = 128\n" PEERS, 6, "relay_f: not an integer in [1, 127]");
	bad(HEAD "[protocol]\nlate_us = 50\n" PEERS, 6, "late_us: not an integer");
	bad(HEAD "[protocol]\nphase_us = 90000\nlate_us = 45000\n" PEERS, 7,
	    "late_us (45000) must be below half of phase_us (90000)");
}

static int parse_ok(const char *t)
{
	char why[512];
	int r = byz_config_parse(t, strlen(t), "lc.conf", &cfg, why, sizeof(why));
	if (r)
		fprintf(stderr, "\n  %s", why);
	return r;
}

/* [eal] worker_lcores: CenteredClip workers on lcores of their own */
static void test_workers(void)
{
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD PEERS), 0);
	CU_ASSERT_EQUAL(cfg.nworkers, 0);
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD "[eal]\nlcores = 0-3\ndp_lcore = 1\n"
				       "worker_lcores = 3,2\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.nworkers, 2);
	CU_ASSERT_EQUAL(cfg.worker[0], 2); /* ascending, whatever the order written */
	CU_ASSERT_EQUAL(cfg.worker[1], 3);
	CU_ASSERT_EQUAL(cfg.worker_lcores_line, 8);
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD "[eal]\nlcores = 4-9\nworker_lcores = 5-9\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.nworkers, 5);
	CU_ASSERT_EQUAL(cfg.worker[4], 9);
	/* overlaps, out of range, not enabled, too many: refused at the line */
	bad(HEAD "[eal]\nlcores = 0-3\ndp_lcore = 1\nworker_lcores = 1,2\n" PEERS, 8,
	    "worker_lcores: lcore 1 is dp_lcore");
	bad(HEAD "[eal]\nlcores = 0-3\nworker_lcores = 0\n" PEERS, 7,
	    "worker_lcores: lcore 0 is the main lcore");
	bad(HEAD "[eal]\nlcores = 0-1\nworker_lcores = 1,2\n" PEERS, 7,
	    "worker_lcores: lcore 2 is not in [eal] lcores '0-1'");
	bad(HEAD "[eal]\nworker_lcores = 1\n" PEERS, 6,
	    "worker_lcores: lcore 1 is not in [eal] lcores '0'");
	bad(HEAD "[eal]\nlcores = 0-3\nworker_lcores = 2,2\n" PEERS, 7,
	    "worker_lcores: an lcore is named twice in '2,2'");
	bad(HEAD "[eal]\nlcores = 0-3\nworker_lcores = 1024\n" PEERS, 7,
	    "worker_lcores: expected a list");
	bad(HEAD "[eal]\nlcores = 0-3\nworker_lcores = 3-2\n" PEERS, 7,
	    "worker_lcores: expected a list");
	bad(HEAD "[eal]\nlcores = 0-3\nworker_lcores = \n" PEERS, 7, "worker_lcores");
	bad(HEAD "[eal]\nlcores = 0-20\nworker_lcores = 1-17\n" PEERS, 7,
	    "worker_lcores: more than 16 workers");
}

static void test_lcores(void)
{
	/* absent: single-lcore mode on the main lcore */
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD PEERS), 0);
	CU_ASSERT_EQUAL(cfg.dp_lcore_line, 0);
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD "[eal]\nlcores = 0-1\ndp_lcore = 1\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.dp_lcore, 1);
	CU_ASSERT_EQUAL(cfg.dp_lcore_line, 7);
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	/* the main lcore is the lowest of the list, wherever it is written */
	CU_ASSERT_EQUAL_FATAL(parse_ok(HEAD "[eal]\ndp_lcore = 2\nlcores = 5,2-3,1\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.main_lcore, 1);
	CU_ASSERT_EQUAL(cfg.dp_lcore, 2);

	bad(HEAD "[eal]\nlcores = 0-1\ndp_lcore = 3\n" PEERS, 7,
	    "dp_lcore 3 is not in [eal] lcores '0-1'");
	bad(HEAD "[eal]\ndp_lcore = 1\n" PEERS, 6, "dp_lcore 1 is not in [eal] lcores '0'");
	bad(HEAD "[eal]\nlcores = 0,4\ndp_lcore = 0\n" PEERS, 7,
	    "dp_lcore 0 is the main lcore (the first of [eal] lcores '0,4')");
	bad(HEAD "[eal]\nlcores = 3-4\ndp_lcore = 3\n" PEERS, 7, "is the main lcore");
	bad(HEAD "[eal]\nlcores = 0-1\ndp_lcore = one\n" PEERS, 7,
	    "dp_lcore: not an integer in [0, 1023]: 'one'");
	bad(HEAD "[eal]\nlcores = 0-1\ndp_lcore = -1\n" PEERS, 7, "dp_lcore: not an integer");
	bad(HEAD "[eal]\nlcores = 0-1\ndp_lcore = 1024\n" PEERS, 7, "dp_lcore: not an integer");
	bad(HEAD "[eal]\nlcores = 0-1\ndp_lcore = 1\ndp_lcore = 1\n" PEERS, 8,
	    "duplicate key 'dp_lcore'");
	/* the list itself, blamed on its own line */
	bad(HEAD "[eal]\nlcores = 0-x\ndp_lcore = 1\n" PEERS, 6, "lcores: expected a list");
	bad(HEAD "[eal]\nlcores = 2-1\ndp_lcore = 1\n" PEERS, 6, "lcores: expected a list");
	bad(HEAD "[eal]\nlcores = 0,,1\ndp_lcore = 1\n" PEERS, 6, "lcores: expected a list");
	bad(HEAD "[eal]\nlcores = 0-1,\ndp_lcore = 1\n" PEERS, 6, "lcores: expected a list");
	/* lcores goes to the EAL as -l: checked with or without dp_lcore */
	static const char *const badl[] = {"abc", "-5", "3-1", "1,,2", "99999", "1024",
					   "0@1", "0-1,", ",0", "0 1", "1,1", "0-3,2", "123456"};
	for (size_t i = 0; i < sizeof(badl) / sizeof(badl[0]); i++) {
		char t[1024];
		snprintf(t, sizeof(t), HEAD "[eal]\nlcores = %s\n" PEERS, badl[i]);
		bad(t, 6, "lcores: ");
	}
	bad(HEAD "[eal]\nlcores = 0-2,1\n" PEERS, 6, "an lcore is named twice in '0-2,1'");
	bad(HEAD "[eal]\nlcores = x\n" PEERS, 6, "ascending ranges");
	CU_ASSERT_EQUAL(parse_ok(HEAD "[eal]\nlcores = 1023\n" PEERS), 0);
	CU_ASSERT_EQUAL(cfg.main_lcore, 1023);
}

/* Peer keys checked at config time: pubkeys must be usable Ed25519 points,
 * ips host addresses, macs unicast; a UTF-8 BOM is skipped. */
static void test_peer_values(void)
{
	static const char *const badpk[] = {
		"0000000000000000000000000000000000000000000000000000000000000000", /* small order */
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", /* not canonical */
		"0100000000000000000000000000000000000000000000000000000000000000", /* identity */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = -1, order 2 */
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", /* order 8 */
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p */
		"1111111111111111111111111111111111111111111111111111111111111111", /* off the curve */
	};
	for (size_t i = 0; i < sizeof(badpk) / sizeof(badpk[0]); i++) {
		char t[1024];
		snprintf(t, sizeof(t), HEAD "[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\npubkey = %s\n"
			 "ip = 10.0.0.2\n", badpk[i]);
		bad(t, 9, "pubkey: not a usable Ed25519 public key");
	}
	static const struct {
		const char *ip, *frag;
	} badip[] = {
		{"0.0.0.0", "the unspecified address"},
		{"255.255.255.255", "the broadcast address"},
		{"224.0.0.1", "a multicast address"},
		{"239.255.255.250", "a multicast address"},
		{"240.0.0.1", "a reserved address"},
	};
	for (size_t i = 0; i < sizeof(badip) / sizeof(badip[0]); i++) {
		char t[1024], frag[96];
		snprintf(t, sizeof(t), HEAD "[peer]\n" PK0 "ip = %s\n" "[peer]\n" PK1
			 "ip = 10.0.0.2\n", badip[i].ip);
		snprintf(frag, sizeof(frag), "ip: %s is %s", badip[i].ip, badip[i].frag);
		bad(t, 7, frag);
	}
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\nmac = ff:ff:ff:ff:ff:ff\n", 8,
	    "mac: ff:ff:ff:ff:ff:ff is a broadcast address (group bit set)");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\nmac = 01:00:5e:00:00:01\n", 8,
	    "is a multicast address (group bit set)");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\nmac = 33:33:00:00:00:01\n", 8, "multicast");
	bad(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\nmac = 00:00:00:00:00:00\n", 8, "all-zero");
	bad(PCIHEAD "gateway = 0.0.0.0\n" PEERS, 7, "is the unspecified address");
	/* a locally administered unicast mac is a station's */
	CU_ASSERT_EQUAL(parse_ok(HEAD "[peer]\n" PK0 "ip = 10.0.0.1\nmac = 02:00:00:00:00:01\n"
				 "[peer]\n" PK1 "ip = 10.0.0.2\n"), 0);

	/* the subnet's broadcast address, once byz_config_net knows the prefix */
	netbad(PCIHEAD "prefix = 24\n[peer]\n" PK0 "ip = 10.0.0.1\n[peer]\n" PK1
	       "ip = 10.0.0.255\nmac = 0c:42:a1:00:00:03\n", 0, 11,
	       "[peer] 1: 10.0.0.255 is the broadcast address of this node's subnet /24");
	/* ... but not on /31 (RFC 3021), nor for a peer on another subnet */
	CU_ASSERT_EQUAL(parse_net(PCIHEAD "prefix = 31\n[peer]\n" PK0 "ip = 10.0.0.0\n[peer]\n"
				  PK1 "ip = 10.0.0.1\nmac = 0c:42:a1:00:00:03\n", 0), 0);
	CU_ASSERT_EQUAL(parse_net(PCIHEAD "prefix = 24\ngateway = 10.0.0.254\n[peer]\n" PK0
				  "ip = 10.0.0.1\n[peer]\n" PK1 "ip = 10.0.1.255\n", 0), 0);

	/* UTF-8 BOM: skipped, line numbers unchanged */
	CU_ASSERT_EQUAL(parse_ok("\xef\xbb\xbf" HEAD PEERS), 0);
	CU_ASSERT_EQUAL(cfg.n, 2);
	bad("\xef\xbb\xbf" HEAD "tau = 3\n" PEERS, 5, "unknown key 'tau' in [port]");
	/* only at the start: elsewhere it is part of a key */
	bad(HEAD "\xef\xbb\xbfmtu = 1500\n" PEERS, 5, "unknown key");
}

static void test_files(void)
{
	char why[256];
	CU_ASSERT_EQUAL(byz_config_load("/nonexistent/byzd.conf", &cfg, why, sizeof(why)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "/nonexistent/byzd.conf: cannot open"));
	CU_ASSERT_EQUAL(byz_config_load("/", &cfg, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a regular file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "/: is a directory"));
	/* a FIFO without a writer: refused at once, not a block in open() */
	char dir[] = "/tmp/byz_cfg_XXXXXX", fifo[64];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/byzd.conf", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	alarm(10);
	CU_ASSERT_EQUAL(byz_config_load(fifo, &cfg, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "is a FIFO (named pipe), not a regular file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, fifo));
	CU_ASSERT_EQUAL(byz_config_load("/dev/null", &cfg, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "character device"));
	alarm(0);
	unlink(fifo);
	rmdir(dir);
}

/* [gradient] fingerprint: 64 hex digits, its line kept for byzd's check;
 * absent means unchecked; meaningless (refused) for the toy source. */
static void test_fingerprint(void)
{
#define FP "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00fe"
	const char *t = HEAD "[gradient]\nsource = mlp\nfingerprint = " FP "\n" PEERS;
	char why[256];
	int r = byz_config_parse(t, strlen(t), "fp.conf", &cfg, why, sizeof(why));
	if (r)
		fprintf(stderr, "%s\n", why);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(cfg.fingerprint_line, 7);
	CU_ASSERT_EQUAL(cfg.fingerprint[0], 0x00);
	CU_ASSERT_EQUAL(cfg.fingerprint[1], 0xff);
	CU_ASSERT_EQUAL(cfg.fingerprint[31], 0xfe);
	const char *u = HEAD "[gradient]\nsource = mlp\n" PEERS;
	CU_ASSERT_EQUAL_FATAL(byz_config_parse(u, strlen(u), "nofp.conf", &cfg, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(cfg.fingerprint_line, 0);
	bad(HEAD "[gradient]\nsource = mlp\nfingerprint = 00ff\n" PEERS, 7,
	    "fingerprint: expected 64 hex digits");
	bad(HEAD "[gradient]\nsource = mlp\nfingerprint = " FP "x\n" PEERS, 7,
	    "fingerprint: expected 64 hex digits");
	bad(HEAD "[gradient]\nfingerprint = " FP "\nfingerprint = " FP "\n" PEERS, 7,
	    "duplicate key 'fingerprint'");
	bad(HEAD "[gradient]\nfingerprint = " FP "\n" PEERS, 6,
	    "fingerprint: applies to the built-in models");
	bad(HEAD "[gradient]\nfingerprint = " FP "\nsource = toy\n" PEERS, 6,
	    "not to source = toy");
#undef FP
}

/* d up to 2^26, the synthetic source, and the phase length derived from d. */
static void test_sizes(void)
{
	char why[256];
	const char *big = HEAD "[protocol]\nd = 67108864\nlink_gbps = 25\n"
			  "[gradient]\nsource = synthetic\n" PEERS;
	int r = byz_config_parse(big, strlen(big), "big.conf", &cfg, why, sizeof(why));
	if (r)
		fprintf(stderr, "%s\n", why);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(cfg.d, 1u << 26);
	CU_ASSERT_EQUAL(cfg.source, BYZ_GRAD_SYNTHETIC);
	CU_ASSERT_EQUAL(cfg.link_gbps, 25.0);
	CU_ASSERT_EQUAL(cfg.phase_us_line, 0);
	CU_ASSERT_STRING_EQUAL(byz_grad_source_name(cfg.source), "synthetic");
	bad(HEAD "[protocol]\nd = 67108865\n" PEERS, 6, "d: ");
	bad(HEAD "[protocol]\nlink_gbps = 0\n" PEERS, 6, "link_gbps");
	bad(HEAD "[protocol]\ncpu_gbps = -1\n" PEERS, 6, "cpu_gbps");
	CU_ASSERT_EQUAL_FATAL(byz_config_parse(big, strlen(big), "big.conf", &cfg, why, sizeof(why)),
			      0);

	/* derived: 2 peers, d = 2^26; a stated rate halves its term when doubled */
	struct byz_schedule s1, s2, s3;
	CU_ASSERT_EQUAL_FATAL(byz_config_schedule(&cfg, cfg.d, &s1), 0);
	CU_ASSERT_EQUAL(s1.derived, 1);
	CU_ASSERT_EQUAL(s1.part_floats, 1u << 25);
	CU_ASSERT_EQUAL(s1.msg_bytes, 56u + 8u + 4u * (1u << 25) + 64u);
	CU_ASSERT_EQUAL(s1.phase_us, s1.derived_us);
	CU_ASSERT_TRUE(s1.phase_us >
		       3.0 * (s1.xfer_us + s1.cpu_us + s1.clip_us + s1.retx_us) - 1.0);
	CU_ASSERT_TRUE(s1.phase_us <
		       3.0 * (s1.xfer_us + s1.cpu_us + s1.clip_us + s1.retx_us) + 1001.0);
	/* 2^27 bytes in 98113 frames of 1368 + 170 bytes at 25 Gbit/s: 48.3 ms */
	CU_ASSERT_TRUE(s1.xfer_us > 48200.0 && s1.xfer_us < 48400.0);
	CU_ASSERT_EQUAL(s1.frames_per_msg, 98113);
	cfg.link_gbps = 50;
	CU_ASSERT_EQUAL_FATAL(byz_config_schedule(&cfg, cfg.d, &s2), 0);
	CU_ASSERT_DOUBLE_EQUAL(s2.xfer_us * 2.0, s1.xfer_us, 1e-6);
	CU_ASSERT_TRUE(s2.phase_us < s1.phase_us);
	/* small d: the 100 ms floor, the old default */
	CU_ASSERT_EQUAL_FATAL(byz_config_schedule(&cfg, 256, &s3), 0);
	CU_ASSERT_EQUAL(s3.phase_us, BYZ_CONFIG_MIN_PHASE_US);
	CU_ASSERT_EQUAL(byz_config_schedule(&cfg, 0, &s3), -EINVAL);
	CU_ASSERT_EQUAL(byz_config_schedule(&cfg, (1u << 26) + 1u, &s3), -EINVAL);

	/* an explicit phase_us is kept, the derivation still reported */
	const char *given = HEAD "[protocol]\nd = 4194304\nphase_us = 5000\n" PEERS;
	CU_ASSERT_EQUAL_FATAL(byz_config_parse(given, strlen(given), "g.conf", &cfg, why,
					       sizeof(why)), 0);
	CU_ASSERT_EQUAL(cfg.phase_us_line, 7);
	CU_ASSERT_EQUAL_FATAL(byz_config_schedule(&cfg, cfg.d, &s3), 0);
	CU_ASSERT_EQUAL(s3.derived, 0);
	CU_ASSERT_EQUAL(s3.phase_us, 5000);
	CU_ASSERT_TRUE(s3.derived_us > 5000);
}

/* byz_synth_grad against its definition (byz/oracle.h), recomputed here
 * from libsodium directly, and its dependence on seed and params. */
static void test_synth(void)
{
	enum { D = 70001 }; /* not a multiple of a ChaCha20 block */
	float *x = malloc(D * sizeof(float)), *g = malloc(D * sizeof(float));
	float *h = malloc(D * sizeof(float));
	uint8_t *ks = malloc(4u * D);
	CU_ASSERT_FATAL(x && g && h && ks);
	uint8_t seed[32], seed2[32];
	for (int i = 0; i < 32; i++) {
		seed[i] = (uint8_t)(i * 7 + 1);
		seed2[i] = seed[i];
	}
	seed2[31] ^= 1;
	for (size_t c = 0; c < D; c++)
		x[c] = (float)((double)c / D - 0.5);
	x[5] = 0x1p-149f; /* an odd subnormal: x / 2 rounds */
	CU_ASSERT_EQUAL_FATAL(byz_synth_grad(NULL, x, D, seed, g), 0);
	CU_ASSERT_FATAL(sodium_init() >= 0);
	uint8_t key[32], nonce[8] = {0};
	crypto_generichash(key, 32, seed, 32, (const uint8_t *)"byz-synth-grad-v1", 17);
	crypto_stream_chacha20(ks, 4u * D, nonce, key);
	size_t bad_bits = 0;
	for (size_t c = 0; c < D; c++) {
		int32_t u = (int32_t)((uint32_t)ks[4 * c] | (uint32_t)ks[4 * c + 1] << 8 |
				      (uint32_t)ks[4 * c + 2] << 16 | (uint32_t)ks[4 * c + 3] << 24);
		volatile float half = x[c] * 0.5f;
		volatile float noise = (float)((double)u * 0x1p-41);
		float want = half + noise;
		bad_bits += memcmp(&want, &g[c], 4) != 0;
		CU_ASSERT_TRUE(fabsf(g[c] - x[c] * 0.5f) <= 0x1p-10f);
	}
	CU_ASSERT_EQUAL(bad_bits, 0);
	CU_ASSERT_EQUAL_FATAL(byz_synth_grad(NULL, x, D, seed, h), 0);
	CU_ASSERT_EQUAL(memcmp(g, h, D * sizeof(float)), 0); /* deterministic */
	CU_ASSERT_EQUAL_FATAL(byz_synth_grad(NULL, x, D, seed2, h), 0);
	size_t same = 0;
	for (size_t c = 0; c < D; c++)
		same += g[c] == h[c];
	CU_ASSERT_TRUE(same < D / 100); /* another seed: other noise */
	CU_ASSERT_EQUAL(byz_synth_grad(NULL, x, 0, seed, h), -EINVAL);
	CU_ASSERT_EQUAL(byz_synth_grad(NULL, NULL, D, seed, h), -EINVAL);
	free(x);
	free(g);
	free(h);
	free(ks);
}

int main(void)
{
	static const struct byz_test_case cases[] = {
		{"a complete config", test_good},
		{"every class of error names file, line, problem", test_errors},
		{"files: missing, not regular", test_files},
		{"[port] network keys and ARP", test_net},
		{"[eal] dp_lcore against lcores", test_lcores},
		{"[eal] worker_lcores against lcores and dp_lcore", test_workers},
		{"[gradient] fingerprint", test_fingerprint},
		{"[peer] pubkey, ip, mac; BOM", test_peer_values},
		{"[peer] port: a link per peer", test_peer_ports},
		{"[protocol] relay_f and late_us", test_relay_keys},
		{"d up to 2^26, link_gbps, the derived phase length", test_sizes},
		{"the synthetic gradient source, bit for bit", test_synth},
		{NULL, NULL},
	};
	return byz_test_run("node-config", cases);
}
