/*
 * byz-switch: a learning Ethernet switch between memif ports, so that
 * single-port nodes (byzd, trainers opened from a byzd config) in separate
 * processes on one machine reach each other with no NIC and no hugepages.
 * byz-run starts one; an operator can start one by hand.
 *
 * DESIGN: one lcore polls every port in turn (bursts of 32). A frame's
 * source MAC is learned for its RX port; a unicast destination that is
 * learned goes out of that port alone, anything else (unknown, broadcast,
 * multicast) to every other port, the mbuf shared by reference count. The
 * table has one slot per port's worth of stations (BYZ_SW_MACS), fixed at
 * start: no allocation in the loop. A frame whose TX ring is full is
 * dropped and counted; the nodes' streams retransmit. Polite poll by
 * default (a short sleep after idle turns), since the switch shares cores
 * with the nodes it serves.
 *
 * FAULTS: --loss/--dup/--corrupt/--reorder put the dataplane's seeded fault
 * layer (byz_fault_attach) on every port's RX, so that a swarm of real
 * daemons meets the same faults the in-process tests inject: tests of byzd
 * under loss, duplication, reordering and corruption need no netem.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "byz/dp.h"
#include "byz/frame.h"
#include "byz/vport.h"

#define BYZ_SW_MAX_PORTS 64
#define BYZ_SW_MACS 256
#define BURST 32
#define IDLE_TURNS 256

struct sw_port {
	struct byz_vport vp;
	struct byz_fault *fault; /* NULL: no faults asked for */
	uint64_t rx, tx, flood, drop_full, drop_runt;
};

struct sw_mac {
	uint8_t mac[6];
	uint16_t port;
	uint8_t used;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: byz-switch --ports N --dir DIR [options]\n"
		"A learning Ethernet switch between N memif ports (servers), one per node:\n"
		"node i connects as a memif client to DIR/p<i>.sock. Runs until SIGINT/SIGTERM,\n"
		"then prints per-port counters.\n\n"
		"  --ports N       ports, 2..%d\n"
		"  --dir DIR       directory of the memif sockets (created if missing, mode 0700)\n"
		"  --busy-poll     never sleep (a dedicated core); default: polite poll\n"
		"  --file-prefix P EAL --file-prefix (default byzsw<pid>)\n"
		"  --mem-mb M      EAL memory in MB (default 128)\n"
		"  --mtu M         IP MTU of the links, 576..9000 (default 1500): sizes the mbufs\n"
		"                  and the memif buffers (bsize); give the nodes the same bsize\n"
		"  --stats SEC     print counters every SEC seconds (default 0: only at exit)\n"
		"  --loss P        drop each received frame with probability P (0..1, default 0)\n"
		"  --dup P         duplicate it with probability P\n"
		"  --corrupt P     flip one random bit of it with probability P\n"
		"  --reorder P     hold it back for a few bursts with probability P\n"
		"  --seed S        seed of those draws (default 1; port i draws from S + i)\n"
		"  --quiet         no counters at exit\n"
		"  --help          this text\n\n"
		"Prints 'byz-switch: ready' on stdout once every socket exists.\n",
		BYZ_SW_MAX_PORTS);
}

static int parse_uint(const char *opt, const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "byz-switch: %s wants an integer in %u..%u, got '%s'\n", opt, lo, hi,
			arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_prob(const char *opt, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0.0 && v <= 1.0)) {
		fprintf(stderr, "byz-switch: %s wants a probability in 0..1, got '%s'\n", opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Learn @p src on @p port; a station that moved is re-pointed. */
static void learn(struct sw_mac *tab, const uint8_t *src, uint16_t port)
{
	if (src[0] & 1)
		return; /* a group address is never a source */
	int free_slot = -1;
	for (int i = 0; i < BYZ_SW_MACS; i++) {
		if (tab[i].used && memcmp(tab[i].mac, src, 6) == 0) {
			tab[i].port = port;
			return;
		}
		if (!tab[i].used && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0) { /* a full table floods the rest: never wrong, only slower */
		memcpy(tab[free_slot].mac, src, 6);
		tab[free_slot].port = port;
		tab[free_slot].used = 1;
	}
}

static int lookup(const struct sw_mac *tab, const uint8_t *dst)
{
	if (dst[0] & 1)
		return -1;
	for (int i = 0; i < BYZ_SW_MACS; i++)
		if (tab[i].used && memcmp(tab[i].mac, dst, 6) == 0)
			return tab[i].port;
	return -1;
}

static void print_stats(const struct sw_port *p, unsigned n, FILE *f)
{
	int faults = n && p[0].fault;
	fprintf(f, "%-5s %12s %12s %12s %10s %8s", "port", "rx", "tx", "flooded", "drop_full",
		"runt");
	if (faults)
		fprintf(f, " %10s %10s %10s %10s", "f_lost", "f_duped", "f_corrupt", "f_held");
	fprintf(f, "\n");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%-5u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %8" PRIu64, i,
			p[i].rx, p[i].tx, p[i].flood, p[i].drop_full, p[i].drop_runt);
		if (faults && p[i].fault) {
			const struct byz_fault_stats *fs = byz_fault_stats(p[i].fault);
			fprintf(f, " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64, fs->lost,
				fs->duped, fs->corrupted, fs->held);
		}
		fprintf(f, "\n");
	}
	fflush(f);
}

struct txq {
	struct rte_mbuf *m[BURST * BYZ_SW_MAX_PORTS];
	uint16_t n;
};

static void flush(struct sw_port *p, struct txq *q, uint16_t port)
{
	if (!q->n)
		return;
	uint16_t sent = rte_eth_tx_burst(p[port].vp.port, 0, q->m, q->n);
	p[port].tx += sent;
	for (uint16_t k = sent; k < q->n; k++) {
		p[port].drop_full++;
		rte_pktmbuf_free(q->m[k]);
	}
	q->n = 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"ports", required_argument, 0, 'n'},
					     {"dir", required_argument, 0, 'd'},
					     {"busy-poll", no_argument, 0, 'b'},
					     {"file-prefix", required_argument, 0, 'p'},
					     {"mem-mb", required_argument, 0, 'm'},
					     {"mtu", required_argument, 0, 'M'},
					     {"stats", required_argument, 0, 's'},
					     {"quiet", no_argument, 0, 'q'},
					     {"loss", required_argument, 0, 'L'},
					     {"dup", required_argument, 0, 'D'},
					     {"corrupt", required_argument, 0, 'C'},
					     {"reorder", required_argument, 0, 'R'},
					     {"seed", required_argument, 0, 'S'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	unsigned n = 0, mem = 128, every = 0, mtu = 1500;
	int busy = 0, quiet = 0, o;
	const char *dir = NULL, *prefix = NULL;
	struct byz_fault_cfg fc = {.seed = 1};
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			if (parse_uint("--ports", optarg, 2, BYZ_SW_MAX_PORTS, &n))
				return 2;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			busy = 1;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'm':
			if (parse_uint("--mem-mb", optarg, 32, 65536, &mem))
				return 2;
			break;
		case 'M':
			if (parse_uint("--mtu", optarg, BYZ_MTU_MIN, BYZ_MTU_MAX, &mtu))
				return 2;
			break;
		case 's':
			if (parse_uint("--stats", optarg, 0, 86400, &every))
				return 2;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'L':
		case 'D':
		case 'C':
		case 'R':
			if (parse_prob(o == 'L' ? "--loss" : o == 'D' ? "--dup" : o == 'C' ? "--corrupt"
											: "--reorder",
				       optarg, o == 'L' ? &fc.loss : o == 'D' ? &fc.dup
						  : o == 'C' ? &fc.corrupt : &fc.reorder))
				return 2;
			break;
		case 'S': {
			char *end;
			errno = 0;
			fc.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "byz-switch: --seed wants an unsigned integer, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !n || !dir) {
		fprintf(stderr, "byz-switch: %s (try --help)\n",
			optind < argc ? "unexpected argument" : "--ports and --dir are required");
		return 2;
	}
	if (strlen(dir) > 80) {
		fprintf(stderr, "byz-switch: --dir '%s' is too long for a socket path (80 max)\n", dir);
		return 2;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "byz-switch: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char pfx[64];
	if (!prefix) {
		snprintf(pfx, sizeof(pfx), "byzsw%ld", (long)getpid());
		prefix = pfx;
	}
	struct byz_eal_cfg ec = {.lcores = "0", .mem_mb = mem, .no_huge = 1, .no_pci = 1,
				 .file_prefix = prefix, .log_level = "error"};
	char why[256];
	int r = byz_eal_init(&ec, why, sizeof(why));
	if (r) {
		fprintf(stderr, "byz-switch: EAL: %s\n", why);
		return 1;
	}
	int rc = 1;
	unsigned opened = 0;
	int faults = fc.loss > 0 || fc.dup > 0 || fc.corrupt > 0 || fc.reorder > 0;
	/* one frame per memif buffer and per mbuf: bsize is the power of two
	 * that holds an Ethernet frame of this MTU (2048 at 1500) */
	unsigned bsize = 2048;
	while (bsize < BYZ_ETH_HLEN + mtu)
		bsize *= 2;
	struct rte_mempool *pool = byz_dp_pool_create("byzsw", 2048 * n + 1023, mtu, SOCKET_ID_ANY);
	struct sw_port *p = calloc(n, sizeof(*p));
	struct txq *q = calloc(n, sizeof(*q));
	struct sw_mac *tab = calloc(BYZ_SW_MACS, sizeof(*tab));
	if (!pool || !p || !q || !tab) {
		fprintf(stderr, "byz-switch: out of memory (try a larger --mem-mb)\n");
		goto out;
	}
	for (; opened < n; opened++) {
		char args[200];
		snprintf(args, sizeof(args),
			 "net_memif%u,role=server,id=0,socket=%s/p%u.sock,socket-abstract=no,"
			 "rsize=11,bsize=%u,mac=02:62:79:73:%02x:%02x",
			 opened, dir, opened, bsize, opened >> 8, opened & 0xff);
		r = byz_vport_open(&p[opened].vp, args, pool, 1024, 0, why, sizeof(why));
		if (r) {
			fprintf(stderr, "byz-switch: port %u: %s\n", opened, why);
			goto out;
		}
		if (faults) {
			struct byz_fault_cfg pc = fc;
			pc.seed = fc.seed + opened;
			p[opened].fault = byz_fault_attach(p[opened].vp.port, &pc, pool, &r);
			if (!p[opened].fault) {
				fprintf(stderr, "byz-switch: port %u: fault layer: %s\n", opened,
					strerror(-r));
				byz_vport_close(&p[opened].vp);
				goto out;
			}
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("byz-switch: ready, %u memif ports under %s (%s poll)", n, dir,
	       busy ? "busy" : "polite");
	if (faults)
		printf(", faults: loss %g dup %g corrupt %g reorder %g seed %" PRIu64, fc.loss,
		       fc.dup, fc.corrupt, fc.reorder, fc.seed);
	printf("\n");
	fflush(stdout);
	double next = every ? now_s() + every : 0;
	unsigned idle = 0;
	struct rte_mbuf *b[BURST];
	while (!stop) {
		unsigned got = 0;
		for (unsigned i = 0; i < n; i++) {
			uint16_t k = rte_eth_rx_burst(p[i].vp.port, 0, b, BURST);
			got += k;
			p[i].rx += k;
			for (uint16_t j = 0; j < k; j++) {
				struct rte_mbuf *m = b[j];
				if (rte_pktmbuf_data_len(m) < 14) {
					p[i].drop_runt++;
					rte_pktmbuf_free(m);
					continue;
				}
				const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
				learn(tab, e + 6, (uint16_t)i);
				int out = lookup(tab, e);
				if (out >= 0) {
					if ((unsigned)out == i) { /* hairpin: the station is here */
						rte_pktmbuf_free(m);
						continue;
					}
					q[out].m[q[out].n++] = m;
					continue;
				}
				p[i].flood++;
				if (n > 2)
					rte_pktmbuf_refcnt_update(m, (int16_t)(n - 2));
				for (unsigned t = 0; t < n; t++)
					if (t != i)
						q[t].m[q[t].n++] = m;
			}
			/* bounded queues: flush before another port can add a burst */
			for (unsigned t = 0; t < n; t++)
				flush(p, &q[t], (uint16_t)t);
		}
		if (got) {
			idle = 0;
		} else if (!busy && ++idle > IDLE_TURNS) {
			usleep(50);
		}
		if (every && now_s() >= next) {
			print_stats(p, n, stdout);
			next += every;
		}
	}
	if (!quiet)
		print_stats(p, n, stdout);
	rc = 0;
out:
	for (unsigned i = 0; i < opened; i++) {
		byz_fault_detach(p[i].fault); /* before the port stops */
		byz_vport_close(&p[i].vp);
	}
	free(tab);
	free(q);
	free(p);
	rte_mempool_free(pool);
	byz_eal_cleanup();
	return rc;
}
