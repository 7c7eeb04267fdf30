/*
 * byz-bench allreduce: butterfly all-reduce over the DPDK dataplane, printed
 * like nccl-tests' all_reduce_perf (size, time, algbw, busbw, "Avg bus
 * bandwidth"), with a plain butterfly mean over the same transport measured
 * in the same run as the baseline.
 *
 * Honest labels: every peer runs in this one process and one thread, polled
 * in turn (run-to-completion, busy poll), so the time is what one core needs
 * to move and aggregate the data of the whole swarm. The "robust" column is
 * CenteredClip plus BLAKE2b-256 leaf hashing of every part sent, received and
 * aggregated; the signatures and the rest of the protocol are not in it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>
#include <sodium.h>

#include "bench_ar.h"
#include "bench_proto.h"
#include "bench_util.h"
#include "bench_wk.h"
#include "byz/clip.h"
#include "byz/dp.h"
#include "byz/err.h"

#define MAXP AR_MAXP
#define LEAF AR_LEAF

static void ar_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench allreduce [options]\n"
"\n"
"Butterfly all-reduce (reduce-scatter of parts to aggregators, aggregate,\n"
"gather) between --peers peers over DPDK ports.\n"
"\n"
"  -b SIZE           smallest gradient, bytes per peer (K/M/G)    [1M]\n"
"  -e SIZE           largest gradient                             [16M]\n"
"  -f FACTOR         size multiplier between rows (> 1)           [2]\n"
"  --peers N         peers, 2..%d                                 [4]\n"
"  --transport T     ring      net_ring ports, every peer in this process and thread\n"
"                    memif     one process per peer, a full mesh of memif links\n"
"                    afpacket  one process per peer, each in its own network\n"
"                              namespace, veths on a bridge (made and removed here)\n"
"                    afxdp     as afpacket with net_af_xdp              [ring]\n"
"  --iters N         timed runs per row, median reported          [5]\n"
"  --warmup N        untimed runs per row                         [1]\n"
"  --loss P, --dup P, --corrupt P, --reorder P\n"
"                    seeded fault layer on every RX port (each 0..0.5)   [0]\n"
"  --tau T           CenteredClip radius                           [1]\n"
"  --seed S          data and fault seed                          [1]\n"
"  --pace GBIT       pace every peer's egress to GBIT Gbit/s on the wire, split\n"
"                    evenly over its n-1 concurrent streams; 0 = grants only [0]\n"
"  --auth on|off     tag every frame with its pair's key (byz/auth.h), as byzd\n"
"                    does by default; off = trusted links                [on]\n"
"  --csv FILE        write size_bytes,time_us,algbw,busbw,plain_busbw,protocol,\n"
"                    overhead_bytes (bytes sent per step beyond the butterfly's\n"
"                    2(n-1)*size: headers, acks, and with btard every protocol message)\n"
"multi-process transports only:\n"
"  --busy-poll       never yield the core (default: polite polling when the\n"
"                    peer processes outnumber the cores)\n"
"  --peer-timeout MS a step's deadline: aggregate what arrived, then give up on\n"
"                    missing parts after twice this (default 5 s + 100 ns/byte)\n"
"  --kill-peer K     SIGKILL peer K during the first step: the others must finish\n"
"                    by the deadline and report it (exit status 3)\n"
"  --garbage N       every peer sends N malformed frames to every other peer per step\n"
"  --tc-bpf OBJ[:SEC] (afpacket/afxdp) attach a tc-bpf program (section SEC,\n"
"                    default 'tc') to the egress of every switch-side veth\n"
"  --netns NAME      prefix of the namespaces created and removed   [byz<pid>]\n"
"  --memif-dir DIR   directory for memif sockets, created and removed [/tmp/byz-memif-<pid>]\n"
"  --workers W       W hashing worker lcores per peer, 0..%d: the RX path hands\n"
"                    them each 64 KiB leaf as it completes (verify against the\n"
"                    commitments, hash results); 0 hashes on the polling lcore [0]\n"
"protocol (bench_proto.c, docs/transport.md):\n"
"  --protocol P      none   the butterfly columns above                   [none]\n"
"                    btard  byzd's runtime: n byz_node peers run the full signed\n"
"                           protocol per size (ring: one thread; memif: one process\n"
"                           per peer), beside the plain\n"
"                           butterfly; every node must end with the same params\n"
"                           digest and no ban, or the row says FAIL\n"
"  --validators M    btard: validators per step, 0..peers-1 (default: the run's, 1)\n"
"  --phase-ms MS     btard: phase length D; default 20 x the plain butterfly's time\n"
"                    (at least 20 ms), doubled up to twice when a step misses it\n"
"  --rto-us US       btard: the node channel's first retransmission timeout, 10 us..10 s\n"
"                    (default: byzd's, [channel] rto_us = 2000)\n"
"  --clip-workers    btard, ring: run every size a second time with each node's\n"
"                    CenteredClip on a worker lcore of its own (byz_node_launch_workers)\n"
"                    and print control-thread busy time and step time, inline vs\n"
"                    workers, as ratios of the same run\n"
"  --baseline mpi    also run OpenMPI's MPI_Allreduce (byz-bench-mpi, float sum, same\n"
"                    sizes and process count, btl self,vader) and print our ratio to it\n"
"  -h, --help        this text\n"
"\n"
"Columns: size (bytes per peer), time (us, robust all-reduce), algbw = size /\n"
"time, busbw = algbw * 2(n-1)/n (GB = 1e9 bytes), then the plain butterfly\n"
"mean's time and busbw, the ratio, the CenteredClip and hashing time inside\n"
"the robust run (us, all peers; with --workers the workers' busy time), and\n"
"frames per second per RX core in the plain run (DATA + SACK/NACK; with ring,\n"
"one core carries every peer); multi-process runs add r.Mpps, received\n"
"Mframes/s per RX core in the robust run.\n"
"A '# digest' line per size holds BLAKE2b-256 of the all-reduced gradient\n"
"(the same on every peer); runs of the same seed agree on every transport.\n",
	MAXP, AR_WK_MAX);
}

struct peer {
	struct byz_dp *dp;
	float *grad, *result, *agg;
	float *inbox[MAXP];
	uint8_t (*commit)[32]; /* leaf hashes of this peer's parts, per part */
	int scat, gath, agg_done;
};

struct run {
	int n;
	uint32_t part;          /* bytes */
	struct peer p[MAXP];
	uint32_t step;
	double clip_s, hash_s;
	int robust;
	double tau;
	int bad;                /* hash mismatch or clip error */
};

static uint32_t leaves(uint32_t bytes)
{
	return ar_leaves(bytes);
}

static void aggregate(struct run *r, int j)
{
	struct peer *p = &r->p[j];
	size_t d = r->part / sizeof(float);
	const float *in[MAXP];
	uint64_t all = (1ull << r->n) - 1;
	for (int i = 0; i < r->n; i++)
		in[i] = p->inbox[i];
	if (!r->robust) {
		ar_mean(in, r->n, all, d, p->agg);
		return;
	}
	double t0 = bench_now();
	if (ar_clip(in, r->n, all, d, r->tau, p->agg))
		r->bad = 1;
	r->clip_s += bench_now() - t0;
}

/* One all-reduce; returns seconds, or -1 when it did not finish. */
static double allreduce(struct run *r)
{
	int n = r->n;
	uint32_t P = r->part, L = leaves(P);
	size_t pf = P / sizeof(float);
	uint64_t now = byz_dp_now_ns();
	double t0 = bench_now();
	r->step++;
	for (int i = 0; i < n; i++) {
		struct peer *p = &r->p[i];
		p->scat = p->gath = p->agg_done = 0;
		p->inbox[i] = p->grad + (size_t)i * pf; /* own part stays local */
		byz_dp_step_begin(p->dp, r->step, now);
		if (r->robust) {
			double h0 = bench_now();
			for (int j = 0; j < n; j++)
				ar_hash_leaves(p->grad + (size_t)j * pf, P, p->commit + (size_t)j * L);
			r->hash_s += bench_now() - h0;
		}
		for (int j = 0; j < n; j++) {
			if (j == i)
				continue;
			byz_dp_send(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)j,
				    p->grad + (size_t)j * pf, P, now);
			byz_dp_expect(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)i,
				      p->inbox[j], P, now);
			byz_dp_expect(p->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)j,
				      p->result + (size_t)j * pf, P, now);
		}
	}
	for (uint64_t turns = 0;; turns++) {
		int all = 1;
		now = byz_dp_now_ns();
		for (int i = 0; i < n; i++) {
			struct peer *p = &r->p[i];
			byz_dp_poll(p->dp, now);
			struct byz_shard_done d;
			while (rte_ring_dequeue_elem(byz_dp_done_ring(p->dp), &d, sizeof(d)) == 0) {
				if (d.kind == BYZ_K_SCATTER) {
					if (r->robust) {
						double h0 = bench_now();
						if (ar_verify_leaves(d.buf, r->part,
								     (const uint8_t(*)[32])(r->p[d.src].commit + (size_t)i * L)))
							r->bad = 1;
						r->hash_s += bench_now() - h0;
					}
					p->scat++;
				} else {
					p->gath++;
				}
			}
			if (p->scat == n - 1 && !p->agg_done) {
				aggregate(r, i);
				memcpy(p->result + (size_t)i * pf, p->agg, P);
				for (int j = 0; j < n; j++)
					if (j != i)
						byz_dp_send(p->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)i,
							    p->agg, P, now);
				p->agg_done = 1;
			}
			if (!p->agg_done || p->gath < n - 1)
				all = 0;
		}
		if (all)
			break;
		if (bench_now() - t0 > 60)
			return -1;
	}
	if (r->robust) {
		/* every peer hashes what it gathered (checked against the signed
		 * result hash in the protocol); the aggregators hash their result */
		double h0 = bench_now();
		uint8_t h[32];
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				ar_leaf_root(r->p[i].result + (size_t)j * pf, P, h);
		r->hash_s += bench_now() - h0;
	}
	return bench_now() - t0;
}

static uint64_t frames_sent(const struct run *r)
{
	uint64_t s = 0;
	for (int i = 0; i < r->n; i++)
		s += byz_dp_stats(r->p[i].dp)->tx_frames;
	return s;
}

static uint64_t bytes_sent(const struct run *r)
{
	uint64_t s = 0;
	for (int i = 0; i < r->n; i++)
		s += byz_dp_stats(r->p[i].dp)->tx_bytes;
	return s;
}

static int parse_size(const char *what, const char *s, uint64_t *v)
{
	char err[128];
	if (bench_parse_list(s, v, 1, err, sizeof(err)) != 1) {
		fprintf(stderr, "byz-bench allreduce: %s: %s\n", what, err);
		return -1;
	}
	return 0;
}

int bench_allreduce_main(int argc, char **argv);

int bench_allreduce_main(int argc, char **argv)
{
	struct ar_opts o = {.b = 1u << 20, .e = 16u << 20, .f = 2, .peers = 4, .iters = 5,
			    .warmup = 1, .tau = 1.0, .seed = 1, .busy_poll = -1, .kill_peer = -1,
			    .tc_sec = "tc", .auth = 1};
	static const struct option lopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"peers", required_argument, NULL, 'p'},
		{"transport", required_argument, NULL, 't'},
		{"iters", required_argument, NULL, 'i'},
		{"warmup", required_argument, NULL, 'w'},
		{"loss", required_argument, NULL, 'l'},
		{"tau", required_argument, NULL, 'T'},
		{"seed", required_argument, NULL, 's'},
		{"csv", required_argument, NULL, 'c'},
		{"dup", required_argument, NULL, 'D'},
		{"corrupt", required_argument, NULL, 'C'},
		{"reorder", required_argument, NULL, 'R'},
		{"busy-poll", no_argument, NULL, 'B'},
		{"peer-timeout", required_argument, NULL, 'O'},
		{"kill-peer", required_argument, NULL, 'K'},
		{"garbage", required_argument, NULL, 'G'},
		{"tc-bpf", required_argument, NULL, 'P'},
		{"netns", required_argument, NULL, 'N'},
		{"memif-dir", required_argument, NULL, 'M'},
		{"workers", required_argument, NULL, 'W'},
		{"pace", required_argument, NULL, 'a'},
		{"auth", required_argument, NULL, 'U'},
		{"protocol", required_argument, NULL, 1001},
		{"validators", required_argument, NULL, 1002},
		{"phase-ms", required_argument, NULL, 1003},
		{"baseline", required_argument, NULL, 1004},
		{"rto-us", required_argument, NULL, 1005},
		{"clip-workers", no_argument, NULL, 1006},
		{NULL, 0, NULL, 0},
	};
	struct ar_proto_opts po = {.validators = -1};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "hb:e:f:", lopts, NULL)) != -1) {
		switch (c) {
		case 1001:
			if (!strcmp(optarg, "btard") || !strcmp(optarg, "none")) {
				po.btard = !strcmp(optarg, "btard");
				break;
			}
			fprintf(stderr, "byz-bench allreduce: unknown protocol '%s' (none, btard)\n",
				optarg);
			return 2;
		case 1002:
		case 1003:
		case 1005: {
			long v = strtol(optarg, &end, 10);
			long hi = c == 1002 ? MAXP - 1 : c == 1003 ? 60000 : 10000000;
			if (*end || !*optarg || v < (c == 1002 ? 0 : c == 1003 ? 1 : 10) || v > hi) {
				fprintf(stderr, "byz-bench allreduce: bad value '%s' for --%s\n", optarg,
					c == 1002 ? "validators" : c == 1003 ? "phase-ms" : "rto-us");
				return 2;
			}
			if (c == 1002)
				po.validators = (int)v;
			else if (c == 1003)
				po.phase_us = (uint64_t)v * 1000u;
			else
				po.rto_us = (uint64_t)v;
			break;
		}
		case 1004:
			if (strcmp(optarg, "mpi")) {
				fprintf(stderr, "byz-bench allreduce: unknown baseline '%s' (mpi)\n",
					optarg);
				return 2;
			}
			po.mpi = 1;
			break;
		case 1006:
			po.clip_workers = 1;
			break;
		case 'h':
			ar_usage(stdout);
			return 0;
		case 'b':
			if (parse_size("-b", optarg, &o.b))
				return 2;
			break;
		case 'e':
			if (parse_size("-e", optarg, &o.e))
				return 2;
			break;
		case 'f':
			o.f = strtod(optarg, &end);
			if (*end || !(o.f > 1) || o.f > 1024) {
				fprintf(stderr, "byz-bench allreduce: -f wants a factor > 1, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			o.peers = (int)strtol(optarg, &end, 10);
			if (*end || o.peers < 2 || o.peers > MAXP) {
				fprintf(stderr, "byz-bench allreduce: --peers wants 2..%d, got '%s'\n", MAXP, optarg);
				return 2;
			}
			break;
		case 't':
			if (!strcmp(optarg, "ring"))
				o.transport = AR_RING;
			else if (!strcmp(optarg, "memif"))
				o.transport = AR_MEMIF;
			else if (!strcmp(optarg, "afpacket"))
				o.transport = AR_AFPACKET;
			else if (!strcmp(optarg, "afxdp"))
				o.transport = AR_AFXDP;
			else {
				fprintf(stderr, "byz-bench allreduce: unknown transport '%s' "
					"(ring, memif, afpacket, afxdp)\n", optarg);
				return 2;
			}
			break;
		case 'D':
		case 'C':
		case 'R': {
			double v = strtod(optarg, &end);
			if (*end || !(v >= 0) || v > 0.5) {
				fprintf(stderr, "byz-bench allreduce: fault probabilities want 0..0.5, got '%s'\n",
					optarg);
				return 2;
			}
			*(c == 'D' ? &o.dup : c == 'C' ? &o.corrupt : &o.reorder) = v;
			break;
		}
		case 'B':
			o.busy_poll = 1;
			break;
		case 'O':
		case 'K':
		case 'G': {
			long v = strtol(optarg, &end, 10);
			long hi = c == 'O' ? 3600000 : c == 'K' ? MAXP - 1 : 10000;
			if (*end || !*optarg || v < (c == 'O' ? 1 : 0) || v > hi) {
				fprintf(stderr, "byz-bench allreduce: bad value '%s' for --%s\n", optarg,
					c == 'O' ? "peer-timeout" : c == 'K' ? "kill-peer" : "garbage");
				return 2;
			}
			if (c == 'O')
				o.peer_timeout_ms = (unsigned)v;
			else if (c == 'K')
				o.kill_peer = (int)v;
			else
				o.garbage = (unsigned)v;
			break;
		}
		case 'P': {
			static char obj[512];
			if (strlen(optarg) >= sizeof(obj)) {
				fprintf(stderr, "byz-bench allreduce: --tc-bpf path too long\n");
				return 2;
			}
			memcpy(obj, optarg, strlen(optarg) + 1);
			char *colon = strrchr(obj, ':');
			if (colon) {
				*colon = 0;
				o.tc_sec = colon + 1;
			}
			o.tc_bpf = obj;
			break;
		}
		case 'N':
			if (!*optarg || strlen(optarg) > 20 || strspn(optarg,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(optarg)) {
				fprintf(stderr, "byz-bench allreduce: --netns wants 1..20 of [A-Za-z0-9_-]\n");
				return 2;
			}
			o.netns = optarg;
			break;
		case 'M':
			if (!*optarg || strlen(optarg) > 80) {
				fprintf(stderr, "byz-bench allreduce: --memif-dir wants a path of 1..80 bytes\n");
				return 2;
			}
			o.memif_dir = optarg;
			break;
		case 'i':
		case 'w': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < (c == 'i' ? 1 : 0) || v > 1000) {
				fprintf(stderr, "byz-bench allreduce: bad count '%s'\n", optarg);
				return 2;
			}
			*(c == 'i' ? &o.iters : &o.warmup) = (int)v;
			break;
		}
		case 'l':
			o.loss = strtod(optarg, &end);
			if (*end || !(o.loss >= 0) || o.loss > 0.5) {
				fprintf(stderr, "byz-bench allreduce: --loss wants 0..0.5, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'a':
			o.pace_gbit = strtod(optarg, &end);
			if (*end || !(o.pace_gbit >= 0) || o.pace_gbit > 800) {
				fprintf(stderr, "byz-bench allreduce: --pace wants 0..800 (Gbit/s), got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'T':
			o.tau = strtod(optarg, &end);
			if (*end || !(o.tau > 0) || !isfinite(o.tau)) {
				fprintf(stderr, "byz-bench allreduce: --tau wants a positive number\n");
				return 2;
			}
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "byz-bench allreduce: bad seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			o.csv = optarg;
			break;
		case 'U':
			if (!strcmp(optarg, "on")) {
				o.auth = 1;
			} else if (!strcmp(optarg, "off")) {
				o.auth = 0;
			} else {
				fprintf(stderr, "byz-bench allreduce: --auth wants on or off, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'W':
			o.workers = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || o.workers < 0 || o.workers > AR_WK_MAX) {
				fprintf(stderr, "byz-bench allreduce: --workers wants 0..%d, got '%s'\n",
					AR_WK_MAX, optarg);
				return 2;
			}
			break;
		default:
			ar_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-bench allreduce: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	uint64_t unit = 4ull * (uint64_t)o.peers;
	if (o.b < unit || o.e < o.b || o.e > (1ull << 30)) {
		fprintf(stderr, "byz-bench allreduce: need %llu <= -b <= -e <= 1G\n",
			(unsigned long long)unit);
		return 2;
	}
	if (o.kill_peer >= o.peers) {
		fprintf(stderr, "byz-bench allreduce: --kill-peer %d: there are only %d peers\n",
			o.kill_peer, o.peers);
		return 2;
	}
	if (o.transport == AR_RING && (o.kill_peer >= 0 || o.garbage || o.tc_bpf)) {
		fprintf(stderr, "byz-bench allreduce: --kill-peer, --garbage and --tc-bpf need a "
			"multi-process transport (memif, afpacket, afxdp)\n");
		return 2;
	}
	if (o.workers && o.transport == AR_RING) {
		fprintf(stderr, "byz-bench allreduce: --workers needs a multi-process transport "
			"(memif, afpacket, afxdp); ring runs every peer on one lcore\n");
		return 2;
	}
	if (o.tc_bpf && o.transport == AR_MEMIF) {
		fprintf(stderr, "byz-bench allreduce: --tc-bpf needs a kernel interface (afpacket, afxdp)\n");
		return 2;
	}
	if (!po.btard && (po.validators >= 0 || po.phase_us || po.rto_us)) {
		fprintf(stderr, "byz-bench allreduce: --validators, --phase-ms and --rto-us need "
			"--protocol btard\n");
		return 2;
	}
	if (po.btard && ((o.transport != AR_RING && o.transport != AR_MEMIF) || o.loss > 0 ||
			 o.dup > 0 || o.corrupt > 0 || o.reorder > 0 || o.pace_gbit > 0 ||
			 o.workers || o.kill_peer >= 0 || o.garbage)) {
		fprintf(stderr, "byz-bench allreduce: --protocol btard runs on --transport ring or "
			"memif, without faults, pacing, --workers, --kill-peer or --garbage\n");
		return 2;
	}
	if (po.clip_workers && (!po.btard || o.transport != AR_RING)) {
		fprintf(stderr, "byz-bench allreduce: --clip-workers needs --protocol btard on "
			"--transport ring\n");
		return 2;
	}
	if (po.btard && po.validators >= o.peers) {
		fprintf(stderr, "byz-bench allreduce: --validators %d: wants 0..peers-1 (%d)\n",
			po.validators, o.peers - 1);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "byz-bench allreduce: libsodium failed to initialise\n");
		return 1;
	}
	if (po.btard)
		return ar_proto_main(&o, &po);
	if (po.mpi && o.transport != AR_RING) {
		fprintf(stderr, "byz-bench allreduce: --baseline mpi: with --protocol none it runs "
			"beside --transport ring\n");
		return 2;
	}
	if (o.transport != AR_RING)
		return ar_mp_main(&o);
	FILE *csv = NULL;
	if (o.csv && !(csv = fopen(o.csv, "w"))) {
		fprintf(stderr, "byz-bench allreduce: cannot write %s: %s\n", o.csv, strerror(errno));
		return 1;
	}

	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzbench%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 512, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "byz-bench allreduce: %s\n", why);
		return 1;
	}
	int n = o.peers, rc = 1;
	uint32_t maxpart = (uint32_t)(o.e / (uint64_t)n) & ~3u;
	struct rte_mempool *pool = byz_dp_pool_create("arpool", 32767, 1500, SOCKET_ID_ANY);
	struct byz_ringnet net;
	struct byz_fault *fault[MAXP] = {0};
	static struct run r;
	memset(&r, 0, sizeof(r));
	if (!pool || byz_ringnet_create(&net, "ar", (uint16_t)n, 4096, pool)) {
		fprintf(stderr, "byz-bench allreduce: cannot create ports: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	sc.window = 1024; /* (n-1) * window frames fit the 4096-entry RX rings up to n = 4 */
	if ((n - 1) * sc.window > 4096)
		sc.window = 4096 / (uint32_t)(n - 1);
	sc.init_grant = sc.window / 4;
	sc.pace_bps = ar_pace_bps(&o);
	r.n = n;
	r.tau = o.tau;
	size_t gbytes = (size_t)maxpart * (size_t)n;
	uint32_t Lmax = leaves(maxpart);
	for (int i = 0; i < n; i++) {
		struct byz_dp_cfg dc = {.self = (uint16_t)i, .n_peers = (uint16_t)n,
					.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool,
					.session = 1, .max_shard = maxpart, .scfg = sc, .auth = o.auth};
		int err = 0;
		struct peer *p = &r.p[i];
		p->dp = byz_dp_create(&dc, &err);
		if (p->dp && o.auth && (err = ar_auth_keys(p->dp, i, n, o.seed)) != 0) {
			fprintf(stderr, "byz-bench allreduce: frame keys: %s\n", strerror(-err));
			goto out;
		}
		p->grad = malloc(gbytes);
		p->result = malloc(gbytes);
		p->agg = malloc(maxpart);
		p->commit = malloc((size_t)n * Lmax * 32);
		if (!p->dp || !p->grad || !p->result || !p->agg || !p->commit)
			goto out_nomem;
		for (int j = 0; j < n; j++)
			if (j != i && !(p->inbox[j] = malloc(maxpart)))
				goto out_nomem;
		if (o.loss > 0 || o.dup > 0 || o.corrupt > 0 || o.reorder > 0) {
			struct byz_fault_cfg fc = {.loss = o.loss, .dup = o.dup, .corrupt = o.corrupt,
						   .reorder = o.reorder, .seed = o.seed * 977 + (uint64_t)i};
			fault[i] = byz_fault_attach(net.port[i], &fc, pool, &err);
			if (!fault[i])
				goto out_nomem;
		}
		ar_fill_grad(p->grad, gbytes / sizeof(float), o.seed, i);
	}

	double t_mc = bench_read_seconds(r.p[0].grad, gbytes, 3);
	printf("# byz-bench allreduce: %d peers, transport ring (net_ring ports, in-process), "
	       "seg %u B, window %u, faults loss %.3g dup %.3g corrupt %.3g reorder %.3g, "
	       "frame auth %s\n", n, BYZ_SEG_1500, sc.window, o.loss, o.dup, o.corrupt, o.reorder,
	       o.auth ? "on (Poly1305 per frame)" : "off");
	printf("# one thread polls every peer in turn (run-to-completion, busy poll): times are "
	       "the whole swarm's on one core\n");
	if (o.pace_gbit > 0)
		printf("# paced: %.3g Gbit/s per peer, %.3g Gbit/s per stream\n", o.pace_gbit,
		       (double)ar_pace_bps(&o) * 8e-9);
	printf("# robust = CenteredClip (tau %.3g, %s) + BLAKE2b-256 leaf hashes (64 KiB) of every part "
	       "sent, received and aggregated; no signatures\n", o.tau,
	       byz_clip_impl_name(byz_clip_best_impl()));
	printf("# plain = butterfly mean, no hashing. memory read: %.2f GB/s\n",
	       (double)gbytes / t_mc / 1e9);
	printf("#%11s %11s %9s %9s %11s %9s %7s %10s %10s %8s\n", "size", "time(us)",
	       "algbw", "busbw", "plain(us)", "p.busbw", "x plain", "clip(us)", "hash(us)", "pMfr/s");
	if (csv)
		fprintf(csv, "size_bytes,time_us,algbw,busbw,plain_busbw,protocol,overhead_bytes\n");
	double sum_bus = 0, sum_pbus = 0;
	int rows = 0;
	double times[1000], ptimes[1000];
	uint64_t row_size[1000];
	double row_bus[1000];
	char last_digest[2][65];
	/* A geometric size sweep; the bound has slack for rounding. */
	for (double sz = (double)o.b; sz <= (double)o.e * 1.0000001; sz *= o.f) { // NOLINT(cert-flp30-c,clang-analyzer-security.FloatLoopCounter)
		uint32_t part = (uint32_t)((uint64_t)sz / (uint64_t)n) & ~3u;
		uint64_t size = (uint64_t)part * (uint64_t)n;
		r.part = part;
		double clip_s = 0, hash_s = 0;
		uint64_t f1 = 0, rbytes = 0;
		double tf = 0;
		for (int mode = 0; mode < 2; mode++) {
			r.robust = mode == 1;
			for (int it = 0; it < o.warmup + o.iters; it++) {
				r.clip_s = r.hash_s = 0;
				uint64_t fa = frames_sent(&r), ba = bytes_sent(&r);
				double t = allreduce(&r);
				if (t < 0 || r.bad) {
					fprintf(stderr, "byz-bench allreduce: size %llu did not complete%s\n",
						(unsigned long long)size, r.bad ? " (verification failed)" : "");
					goto out;
				}
				if (it == o.warmup + o.iters - 1) {
					for (int i = 1; i < n; i++)
						if (memcmp(r.p[i].result, r.p[0].result, (size_t)size)) {
							fprintf(stderr, "byz-bench allreduce: peers 0 and %d disagree "
								"at size %llu\n", i, (unsigned long long)size);
							goto out;
						}
					ar_digest_hex(r.p[0].result, (size_t)size, last_digest[mode]);
				}
				if (it < o.warmup)
					continue;
				(mode ? times : ptimes)[it - o.warmup] = t;
				if (mode) {
					rbytes += bytes_sent(&r) - ba;
					clip_s += r.clip_s;
					hash_s += r.hash_s;
				} else {
					f1 += frames_sent(&r) - fa;
					tf += t;
				}
			}
		}
		double t = bench_median(times, (size_t)o.iters);
		char dg[2][65];
		memcpy(dg, last_digest, sizeof(dg));
		double pt = bench_median(ptimes, (size_t)o.iters);
		double alg = (double)size / t / 1e9, bus = alg * 2.0 * (n - 1) / n;
		double palg = (double)size / pt / 1e9, pbus = palg * 2.0 * (n - 1) / n;
		printf(" %11llu %11.1f %9.3f %9.3f %11.1f %9.3f %7.2f %10.1f %10.1f %8.2f\n",
		       (unsigned long long)size, t * 1e6, alg, bus, pt * 1e6, pbus, t / pt,
		       clip_s / o.iters * 1e6, hash_s / o.iters * 1e6, (double)f1 / tf / 1e6);
		if (csv)
			fprintf(csv, "%llu,%.3f,%.6f,%.6f,%.6f,none,%.0f\n", (unsigned long long)size,
				t * 1e6, alg, bus, pbus,
				(double)rbytes / o.iters - 2.0 * (n - 1) * (double)size);
		printf("# digest %llu plain %s robust %s\n", (unsigned long long)size, dg[0], dg[1]);
		sum_bus += bus;
		sum_pbus += pbus;
		if (rows < 1000) {
			row_size[rows] = size;
			row_bus[rows] = bus;
		}
		rows++;
		fflush(stdout);
	}
	printf("# Avg bus bandwidth    : %.4f  (plain butterfly mean: %.4f)\n",
	       sum_bus / rows, sum_pbus / rows);
	if (po.mpi) {
		static double mbus[1000];
		int k = rows < 1000 ? rows : 1000;
		if (ar_mpi_baseline(&o, row_size, k, mbus) == 0)
			for (int i = 0; i < k; i++)
				if (mbus[i] > 0)
					printf("# mpi %llu busbw %.3f  robust/mpi %.4f\n",
					       (unsigned long long)row_size[i], mbus[i],
					       row_bus[i] / mbus[i]);
	}
	rc = 0;
	goto out;
out_nomem:
	fprintf(stderr, "byz-bench allreduce: out of memory for -e %llu with %d peers\n",
		(unsigned long long)o.e, n);
out:
	for (int i = 0; i < n; i++) {
		byz_fault_detach(fault[i]);
		byz_dp_free(r.p[i].dp);
		free(r.p[i].grad);
		free(r.p[i].result);
		free(r.p[i].agg);
		free(r.p[i].commit);
		for (int j = 0; j < n; j++)
			if (j != i)
				free(r.p[i].inbox[j]);
	}
	byz_ringnet_destroy(&net);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench allreduce: error writing %s\n", o.csv);
		rc = 1;
	}
	return rc;
}
