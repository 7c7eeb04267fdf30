/*
 * byz-bench allreduce --protocol btard --transport memif: one process per
 * peer, as byzd runs. Each size forks n children; each starts its own EAL,
 * opens a memif link to every other child (the lower index of a pair
 * serves), and runs one byz_node with a route per destination. The children
 * share a CLOCK_MONOTONIC origin (the TSC clock's calibration differs per
 * process) and report through a shared anonymous mapping; the parent sums
 * what they report. The plain butterfly beside it is the multi-process
 * runner of --protocol none over memif, run by this same executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <sodium.h>

#include "bench_proto.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/ident.h"
#include "byz/node.h"
#include "byz/vport.h"

#define MAXP AR_MAXP

struct pm_peer {
	int state;          /* 0 starting, 1 servers open, 2 ready, 3 done, -1 failed */
	char why[160];
	uint64_t steps;
	uint8_t digest[32];
	int banned, quit_done;
	uint64_t restarts, skipped, bans, retx;
	char ban1[96];      /* the first ban this node saw */
	uint64_t t_w, t_e;  /* CLOCK_MONOTONIC ns */
	double busy_s, hz;  /* this process's TSC rate for prof */
	struct bp_prof prof; /* counted between t_w and t_e */
	uint64_t bytes;
};

struct pm_shm {
	int go;
	uint64_t origin;
	struct pm_peer p[MAXP];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int all_state(const struct pm_shm *sh, int n, int want)
{
	for (int i = 0; i < n; i++) {
		int s = __atomic_load_n(&sh->p[i].state, __ATOMIC_ACQUIRE);
		if (s < 0)
			return -1;
		if (s < want)
			return 0;
	}
	return 1;
}

static int pm_fail(struct pm_peer *me, const char *why)
{
	size_t k = strnlen(why, sizeof(me->why) - 1);
	memcpy(me->why, why, k);
	me->why[k] = 0;
	__atomic_store_n(&me->state, -1, __ATOMIC_RELEASE);
	return 1;
}

/* Wait until every child reached @p want (30 s at most). */
static int wait_all(struct pm_shm *sh, int n, int want, struct pm_peer *me)
{
	for (int t = 0; t < 30000; t++) {
		int a = all_state(sh, n, want);
		if (a > 0)
			return 0;
		if (a < 0)
			return pm_fail(me, "another peer process failed");
		usleep(1000);
	}
	return pm_fail(me, "peer processes did not start within 30 s");
}

static int child(const struct ar_opts *o, const struct ar_proto_opts *po, uint64_t size,
		 uint64_t phase_us, int self, struct pm_shm *sh, const char *dir)
{
	int n = o->peers;
	struct pm_peer *me = &sh->p[self];
	char why[256], prefix[64], lmap[64], args[300];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(prefix, sizeof(prefix), "byzpp%ldp%d", (long)getppid(), self);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(lmap, sizeof(lmap), "(0)@(0-%ld)", cpus > 1 ? cpus - 1 : 0);
	struct byz_eal_cfg ec = {.mem_mb = 512, .no_huge = 1, .no_pci = 1, .file_prefix = prefix,
				 .lcore_map = lmap};
	if (byz_eal_init(&ec, why, sizeof(why)))
		return pm_fail(me, why);
	struct rte_mempool *pool = byz_dp_pool_create("pmpool", 16383, 1500, SOCKET_ID_ANY);
	if (!pool)
		return pm_fail(me, "no mbuf pool");
	struct byz_vport port[MAXP];
	memset(port, 0, sizeof(port));
	for (int pass = 0; pass < 2; pass++) {
		for (int j = 0; j < n; j++) {
			if (j == self || (pass == 0) != (self < j))
				continue;
			int a = self < j ? self : j, b = self < j ? j : self;
			/* every link of a node carries its roster MAC (the node's default) */
			snprintf(args, sizeof(args),
				 "net_memif%d,role=%s,id=0,socket=%s/p%d-%d.sock,socket-abstract=no,"
				 "rsize=11,bsize=2048,mac=02:62:79:7a:%02x:%02x",
				 j, self < j ? "server" : "client", dir, a, b, (unsigned)self >> 8,
				 (unsigned)self & 0xff);
			if (byz_vport_open(&port[j], args, pool, 2048, 0, why, sizeof(why)))
				return pm_fail(me, why);
		}
		if (pass == 0) {
			__atomic_store_n(&me->state, 1, __ATOMIC_RELEASE);
			if (wait_all(sh, n, 1, me))
				return 1;
		}
	}
	for (int j = 0; j < n; j++) {
		if (j == self)
			continue;
		int up = 0;
		for (int t = 0; t < 20000 && !up; t++) {
			struct rte_eth_link l;
			memset(&l, 0, sizeof(l));
			up = !rte_eth_link_get_nowait(port[j].port, &l) && l.link_status;
			if (!up)
				usleep(1000);
		}
		if (!up) {
			snprintf(why, sizeof(why), "%s: link not up after 20 s", port[j].name);
			return pm_fail(me, why);
		}
	}
	uint8_t roster[MAXP * 32], sk[MAXP][64];
	struct byz_run run;
	bp_make_run(o, po, size, phase_us, &run, roster, sk);
	int first = self == 0 ? 1 : 0;
	struct byz_node_cfg nc = {.run = &run, .self = (uint16_t)self, .sk = sk[self],
				  .oracle = {.grad = bp_synth_grad, .ctx = NULL},
				  .port_id = port[first].port, .pool = pool, .mtu = 1500,
				  .rto_us = po->rto_us,
				  .clock_ns = mono_ns};
	int err = 0;
	struct byz_node *node = byz_node_new(&nc, &err);
	if (!node) {
		snprintf(why, sizeof(why), "byz_node_new: %s", byz_strerror(err));
		return pm_fail(me, why);
	}
	for (int j = 0; j < n; j++)
		if (j != self && (err = byz_dp_set_route(byz_node_dp(node), (uint16_t)j,
							  port[j].port, 0))) {
			snprintf(why, sizeof(why), "route to %d: %s", j, byz_strerror(err));
			byz_node_free(node);
			return pm_fail(me, why);
		}
	__atomic_store_n(&me->state, 2, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		usleep(200);
	uint64_t origin = sh->origin;
	byz_node_start(node, origin);
	uint64_t total = (uint64_t)o->warmup + (uint64_t)o->iters;
	uint64_t limit = origin + (total + 1) * run.max_attempts * BYZ_PH_COUNT * phase_us * 1000u;
	uint64_t busy = 0, b0 = 0, by0 = 0, rx0 = 0, hz = rte_get_tsc_hz();
	struct bp_prof p0;
	memset(&p0, 0, sizeof(p0));
	struct byz_event e;
	for (;;) {
		uint64_t now = mono_ns();
		uint64_t st = byz_node_step(node);
		__atomic_store_n(&me->steps, st, __ATOMIC_RELEASE);
		if (!me->t_w && st >= (uint64_t)o->warmup) {
			me->t_w = now > origin || o->warmup ? now : origin;
			b0 = busy;
			by0 = byz_dp_stats(byz_node_dp(node))->tx_bytes;
			rx0 = byz_node_stats(node)->retx;
			bp_prof.on = 1;
			p0 = bp_prof;
		}
		if (st >= total && !me->t_e) {
			me->t_e = now;
			bp_prof.on = 0;
			me->prof = bp_prof;
			me->prof.sign_cyc -= p0.sign_cyc;
			me->prof.sign_n -= p0.sign_n;
			me->prof.verify_cyc -= p0.verify_cyc;
			me->prof.verify_n -= p0.verify_n;
			me->prof.hash_cyc -= p0.hash_cyc;
			me->prof.clip_cyc -= p0.clip_cyc;
			me->prof.crc_cyc -= p0.crc_cyc;
			me->busy_s = (double)(busy - b0) / (double)hz;
			me->hz = (double)hz;
			me->bytes = byz_dp_stats(byz_node_dp(node))->tx_bytes - by0;
			me->retx = byz_node_stats(node)->retx - rx0;
		}
		/* keep serving (acks, retransmissions) until every peer is done */
		int done = 1;
		for (int j = 0; j < n; j++)
			if (__atomic_load_n(&sh->p[j].steps, __ATOMIC_ACQUIRE) < total)
				done = 0;
		if (done || now > limit)
			break;
		uint64_t c = rte_rdtsc();
		unsigned w = byz_node_poll(node, now);
		if (w)
			busy += rte_rdtsc() - c;
		while (byz_node_pop_event(node, &e)) {
			me->restarts += e.kind == BYZ_EV_RESTART;
			me->skipped += e.kind == BYZ_EV_SKIPPED;
			if (e.kind == BYZ_EV_BAN && !me->bans++)
				snprintf(me->ban1, sizeof(me->ban1), "node %d banned honest peer %u "
					 "(%s) at step %llu", self, e.peer, byz_ban_reason_name(e.reason),
					 (unsigned long long)e.step);
		}
		if (!w)
			usleep(20);
	}
	for (int j = 0; j < n; j++)
		me->banned |= byz_node_has_banned(node, (uint16_t)j);
	memcpy(me->digest, byz_node_digest(node), 32);
	__atomic_store_n(&me->state, 3, __ATOMIC_RELEASE);
	/* close one process at a time, in index order (memif disconnects race) */
	for (int t = 0; t < 10000 && self > 0 &&
	     !__atomic_load_n(&sh->p[self - 1].quit_done, __ATOMIC_ACQUIRE); t++)
		usleep(1000);
	byz_node_free(node);
	for (int j = 0; j < n; j++)
		if (j != self)
			byz_vport_close(&port[j]);
	__atomic_store_n(&me->quit_done, 1, __ATOMIC_RELEASE);
	return 0;
}

void ar_proto_mp_size(const struct ar_opts *o, const struct ar_proto_opts *po, uint64_t size,
		      uint64_t phase_us, int tag, struct proto_row *row)
{
	int n = o->peers;
	memset(row, 0, sizeof(*row));
	row->phase_us = phase_us;
	char dir[128];
	if (o->memif_dir)
		snprintf(dir, sizeof(dir), "%s", o->memif_dir);
	else
		snprintf(dir, sizeof(dir), "/tmp/byz-memif-%ld-%d", (long)getpid(), tag);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(row->why, sizeof(row->why), "cannot create %s: %s", dir, strerror(errno));
		return;
	}
	struct pm_shm *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(row->why, sizeof(row->why), "mmap: %s", strerror(errno));
		rmdir(dir);
		return;
	}
	memset(sh, 0, sizeof(*sh));
	pid_t pid[MAXP] = {0};
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(child(o, po, size, phase_us, i, sh, dir));
		if (pid[i] < 0) {
			snprintf(row->why, sizeof(row->why), "fork: %s", strerror(errno));
			goto reap;
		}
	}
	int a = 0;
	for (int t = 0; t < 60000 && !(a = all_state(sh, n, 2)); t++)
		usleep(1000);
	if (a <= 0) {
		snprintf(row->why, sizeof(row->why), "peer processes did not start");
		goto reap;
	}
	sh->origin = mono_ns() + 50000000ull;
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
reap:
	if (!sh->go)
		for (int i = 0; i < n; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pid[i] > 0)
			waitpid(pid[i], NULL, 0);
	for (int j = 0; j < n && !row->why[0]; j++)
		if (sh->p[j].state != 3)
			snprintf(row->why, sizeof(row->why), "FAIL: peer %d: %s", j,
				 sh->p[j].why[0] ? sh->p[j].why : "did not finish");
	uint64_t total = (uint64_t)o->warmup + (uint64_t)o->iters, restarts = 0, skipped = 0,
		 bans = 0, t_w = 0, t_e = 0;
	for (int j = 0; j < n && !row->why[0]; j++) {
		const struct pm_peer *p = &sh->p[j];
		restarts += p->restarts;
		skipped += p->skipped;
		bans += p->bans;
		if (p->steps < total)
			snprintf(row->why, sizeof(row->why),
				 "FAIL: peer %d did %llu of %llu steps in time: the phase (%.1f ms) "
				 "is too short here, raise --phase-ms", j,
				 (unsigned long long)p->steps, (unsigned long long)total,
				 phase_us / 1e3);
		else if (p->banned || p->bans)
			snprintf(row->why, sizeof(row->why), "FAIL: %s, phase %.1f ms (late messages?)",
				 p->ban1[0] ? p->ban1 : "a node banned an honest peer", phase_us / 1e3);
		else if (memcmp(p->digest, sh->p[0].digest, 32))
			snprintf(row->why, sizeof(row->why),
				 "FAIL: nodes 0 and %d disagree on the params digest", j);
		if (!t_w || p->t_w < t_w)
			t_w = p->t_w;
		if (p->t_e > t_e)
			t_e = p->t_e;
	}
	if (!row->why[0] && (restarts || skipped || bans))
		snprintf(row->why, sizeof(row->why),
			 "FAIL: %llu restarts, %llu skipped steps, %llu bans among honest nodes "
			 "(phase %.1f ms too short? raise --phase-ms)",
			 (unsigned long long)restarts, (unsigned long long)skipped,
			 (unsigned long long)bans, phase_us / 1e3);
	if (!row->why[0]) {
		double steps = (double)o->iters;
		row->ok = 1;
		row->t_step = (double)(t_e - t_w) / 1e9 / steps;
		for (int j = 0; j < n; j++) {
			const struct pm_peer *p = &sh->p[j];
			double hzs = p->hz > 0 ? p->hz : 1e9;
			row->busy_step += p->busy_s / steps;
			row->sign_s += (double)p->prof.sign_cyc / hzs / steps;
			row->verify_s += (double)p->prof.verify_cyc / hzs / steps;
			row->hash_s += (double)p->prof.hash_cyc / hzs / steps;
			row->clip_s += (double)p->prof.clip_cyc / hzs / steps;
			row->crc_s += (double)p->prof.crc_cyc / hzs / steps;
			row->sign_n += p->prof.sign_n;
			row->verify_n += p->prof.verify_n;
			row->bytes_step += (double)p->bytes / steps;
			row->retx += p->retx / (uint64_t)o->iters;
		}
		byz_hex(sh->p[0].digest, 32, row->digest);
	}
	munmap(sh, sizeof(*sh));
	for (int a2 = 0; a2 < n; a2++)
		for (int b = a2 + 1; b < n; b++) {
			char path[200];
			snprintf(path, sizeof(path), "%s/p%d-%d.sock", dir, a2, b);
			unlink(path);
		}
	if (!o->memif_dir)
		rmdir(dir);
}

int ar_plain_mp(const struct ar_opts *o, const uint64_t *sizes, int count, double *seconds)
{
	char self[PATH_MAX], csv[128];
	for (int i = 0; i < count; i++)
		seconds[i] = 0;
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (k <= 0) {
		printf("# plain over memif: cannot find this executable\n");
		return -1;
	}
	self[k] = 0;
	snprintf(csv, sizeof(csv), "/tmp/byz-bench-plain-%ld.csv", (long)getpid());
	char nbuf[16], bbuf[24], ebuf[24], fbuf[32], ibuf[16], wbuf[16], sbuf[24];
	snprintf(nbuf, sizeof(nbuf), "%d", o->peers);
	snprintf(bbuf, sizeof(bbuf), "%llu", (unsigned long long)o->b);
	snprintf(ebuf, sizeof(ebuf), "%llu", (unsigned long long)o->e);
	snprintf(fbuf, sizeof(fbuf), "%.17g", o->f);
	snprintf(ibuf, sizeof(ibuf), "%d", o->iters);
	snprintf(wbuf, sizeof(wbuf), "%d", o->warmup);
	snprintf(sbuf, sizeof(sbuf), "%llu", (unsigned long long)o->seed);
	/* execv wants writable strings: the literals get copies */
	static const char *const lits[] = {"allreduce", "--transport", "memif", "--peers", "-b",
					   "-e", "-f", "--iters", "--warmup", "--seed", "--csv"};
	char lit[11][16];
	for (int i = 0; i < 11; i++)
		snprintf(lit[i], sizeof(lit[i]), "%s", lits[i]);
	char *argv[] = {self, lit[0], lit[1], lit[2], lit[3], nbuf, lit[4], bbuf, lit[5], ebuf,
			lit[6], fbuf, lit[7], ibuf, lit[8], wbuf, lit[9], sbuf, lit[10], csv, NULL};
	fflush(stdout);
	fflush(stderr);
	int st = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(self, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) < 0)
		st = -1;
	FILE *f = fopen(csv, "r");
	if (st != 0 || !f) {
		printf("# plain over memif: the multi-process runner failed (status %d)\n", st);
		if (f)
			fclose(f);
		unlink(csv);
		return -1;
	}
	/* find the columns by name: size_bytes and plain_busbw */
	char line[1024];
	int c_size = -1, c_pbus = -1, col = 0;
	if (fgets(line, sizeof(line), f))
		for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
			if (!strcmp(tok, "size_bytes"))
				c_size = col;
			else if (!strcmp(tok, "plain_busbw"))
				c_pbus = col;
		}
	while (c_size >= 0 && c_pbus >= 0 && fgets(line, sizeof(line), f)) {
		double v[32] = {0};
		col = 0;
		for (char *tok = strtok(line, ",\n"); tok && col < 32; tok = strtok(NULL, ",\n"))
			v[col++] = strtod(tok, NULL);
		for (int i = 0; i < count; i++)
			if ((double)sizes[i] == v[c_size] && v[c_pbus] > 0)
				seconds[i] = (double)sizes[i] * 2.0 * (o->peers - 1) / o->peers /
					     (v[c_pbus] * 1e9);
	}
	fclose(f);
	unlink(csv);
	return 0;
}
