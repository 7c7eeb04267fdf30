/*
 * byz-bench allreduce --protocol btard: what byzd runs. Each size starts n
 * byz_node instances (the signed protocol of control/ on the dataplane:
 * commitments, part hashes, CenteredClip, projections, MPRNG, signatures,
 * accusations and bans; vectors carried as signed PART/AGGV messages through
 * the node's reliable control channel) on net_ring ports in this process and
 * thread (memif, one process per peer: bench_proto_mp.c), and steps them with
 * a synthetic gradient source of d = size / 4 floats. In the same run and
 * over the same transport, a plain butterfly mean (byz_dp streams, no
 * hashing, no signatures) is the baseline.
 *
 * The protocol is phased: every step is BYZ_PH_COUNT phases of a fixed
 * length D, so time per step is BYZ_PH_COUNT * D however fast the data
 * moves. The table therefore also shows the busy time (polls that did work)
 * and where it went, so a reader sees how much of the step is waiting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>
#include <sodium.h>

#include "bench_proto.h"
#include "bench_util.h"
#include "byz/dp.h"
#include "byz/err.h"
#include "byz/frame.h"
#include "byz/ident.h"
#include "byz/node.h"
#include "byz/proto.h"
#include "byz/stream.h"
#include "byz/wire.h"

#define MAXP AR_MAXP

/* ------------------------------------------------------------- oracle */

/* A synthetic gradient, a pure function of (x, seed) as the protocol needs
 * (any validator recomputes it): a pull towards zero plus seeded noise, so
 * the peers' parts differ and CenteredClip has work to do. Cheap on purpose:
 * the benchmark measures the protocol, not a model. */
int bp_synth_grad(void *ctx, const float *x, size_t d, const uint8_t seed[32], float *g)
{
	(void)ctx;
	uint64_t s;
	memcpy(&s, seed, sizeof(s));
	for (size_t i = 0; i < d; i++) {
		uint64_t z = s + (uint64_t)i * 0x9e3779b97f4a7c15ull;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		float noise = (float)(z >> 40) * (1.0f / 16777216.0f) - 0.5f;
		g[i] = 0.1f * x[i] + 0.01f * noise + 0.001f;
	}
	return 0;
}

/* ------------------------------------------------ plain butterfly (dp) */

struct pb_peer {
	struct byz_dp *dp;
	float *grad, *result, *agg;
	float *inbox[MAXP];
	int scat, gath, agg_done;
};

struct pb {
	int n;
	uint32_t part, step;
	struct pb_peer p[MAXP];
};

/* One butterfly mean over the byz_dp streams; seconds, or -1 (no finish in 60 s). */
static double pb_once(struct pb *r)
{
	int n = r->n;
	uint32_t P = r->part;
	size_t pf = P / sizeof(float);
	uint64_t now = byz_dp_now_ns();
	double t0 = bench_now();
	r->step++;
	for (int i = 0; i < n; i++) {
		struct pb_peer *p = &r->p[i];
		p->scat = p->gath = p->agg_done = 0;
		p->inbox[i] = p->grad + (size_t)i * pf;
		byz_dp_step_begin(p->dp, r->step, now);
		for (int j = 0; j < n; j++) {
			if (j == i)
				continue;
			byz_dp_send(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)j,
				    p->grad + (size_t)j * pf, P, now);
			byz_dp_expect(p->dp, BYZ_K_SCATTER, (uint16_t)j, (uint16_t)i, p->inbox[j], P,
				      now);
			byz_dp_expect(p->dp, BYZ_K_GATHER, (uint16_t)j, (uint16_t)j,
				      p->result + (size_t)j * pf, P, now);
		}
	}
	for (;;) {
		int all = 1;
		now = byz_dp_now_ns();
		for (int i = 0; i < n; i++) {
			struct pb_peer *p = &r->p[i];
			byz_dp_poll(p->dp, now);
			struct byz_shard_done d;
			while (rte_ring_dequeue_elem(byz_dp_done_ring(p->dp), &d, sizeof(d)) == 0) {
				if (d.kind == BYZ_K_SCATTER)
					p->scat++;
				else
					p->gath++;
			}
			if (p->scat == n - 1 && !p->agg_done) {
				const float *in[MAXP];
				for (int k = 0; k < n; k++)
					in[k] = p->inbox[k];
				ar_mean(in, n, (1ull << n) - 1, pf, p->agg);
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
			return bench_now() - t0;
		if (bench_now() - t0 > 60)
			return -1;
	}
}

static void pb_free(struct pb *r)
{
	for (int i = 0; i < r->n; i++) {
		struct pb_peer *p = &r->p[i];
		byz_dp_free(p->dp);
		free(p->grad);
		free(p->result);
		free(p->agg);
		for (int j = 0; j < r->n; j++)
			if (j != i)
				free(p->inbox[j]);
	}
	memset(r, 0, sizeof(*r));
}

static int pb_new(struct pb *r, const struct byz_ringnet *net, struct rte_mempool *pool, int n,
		  uint32_t maxpart, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	struct byz_stream_cfg sc;
	byz_stream_cfg_default(&sc, BYZ_SEG_1500);
	sc.window = 1024;
	if ((n - 1) * sc.window > 4096)
		sc.window = 4096 / (uint32_t)(n - 1);
	sc.init_grant = sc.window / 4;
	size_t gbytes = (size_t)maxpart * (size_t)n;
	for (int i = 0; i < n; i++) {
		struct byz_dp_cfg dc = {.self = (uint16_t)i, .n_peers = (uint16_t)n,
					.port_id = net->port[i], .tx_queue_per_peer = 1,
					.pool = pool, .session = 1, .max_shard = maxpart,
					.scfg = sc};
		int err = 0;
		struct pb_peer *p = &r->p[i];
		p->dp = byz_dp_create(&dc, &err);
		p->grad = malloc(gbytes);
		p->result = malloc(gbytes);
		p->agg = malloc(maxpart);
		if (!p->dp || !p->grad || !p->result || !p->agg)
			return -ENOMEM;
		for (int j = 0; j < n; j++)
			if (j != i && !(p->inbox[j] = malloc(maxpart)))
				return -ENOMEM;
		ar_fill_grad(p->grad, gbytes / sizeof(float), seed, i);
	}
	return 0;
}

/* ------------------------------------------------------ protocol runs */

static uint64_t tx_bytes(struct byz_node *const *node, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += byz_dp_stats(byz_node_dp(node[i]))->tx_bytes;
	return s;
}

static uint64_t retx_sum(struct byz_node *const *node, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += byz_node_stats(node[i])->retx;
	return s;
}

static uint64_t min_step(struct byz_node *const *node, int n)
{
	uint64_t m = UINT64_MAX;
	for (int i = 0; i < n; i++) {
		uint64_t s = byz_node_step(node[i]);
		if (s < m)
			m = s;
	}
	return m;
}

void bp_make_run(const struct ar_opts *o, const struct ar_proto_opts *po, uint64_t size,
		 uint64_t phase_us, struct byz_run *run, uint8_t *roster, uint8_t (*sk)[64])
{
	int n = o->peers;
	byz_run_defaults(run);
	uint8_t in[40];
	memcpy(in, "byzbench", 8);
	memcpy(in + 8, &o->seed, 8);
	memcpy(in + 16, &size, 8);
	crypto_generichash(run->run_id, 32, in, 24, NULL, 0);
	for (int i = 0; i < n; i++) {
		uint8_t ks[32];
		uint64_t k = (uint64_t)i;
		memcpy(in, run->run_id, 32);
		memcpy(in + 32, &k, 8);
		crypto_generichash(ks, 32, in, sizeof(in), NULL, 0);
		crypto_sign_seed_keypair(roster + 32 * i, sk[i], ks);
	}
	run->n = (uint32_t)n;
	run->roster = roster;
	run->d = (size_t)(size / 4);
	run->phase_us = phase_us;
	if (po->validators >= 0)
		run->validators = (uint32_t)po->validators;
}

static uint64_t peer_ns_sum(struct byz_node *const *node, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += byz_node_stats(node[i])->peer_ns;
	return s;
}

/* One size: n nodes over a fresh ring fabric, warmup + iters steps; with
 * @p workers each node's CenteredClip on worker lcore 1 + its index. */
static void proto_size(const struct ar_opts *o, const struct ar_proto_opts *po,
		       struct rte_mempool *pool, uint64_t size, uint64_t phase_us, int fabric,
		       int workers, struct proto_row *row)
{
	int n = o->peers;
	memset(row, 0, sizeof(*row));
	row->phase_us = phase_us;
	uint8_t roster[MAXP * 32], sk[MAXP][64];
	struct byz_run run;
	bp_make_run(o, po, size, phase_us, &run, roster, sk);
	struct byz_ringnet net;
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "bp%d", fabric);
	if (byz_ringnet_create(&net, prefix, (uint16_t)n, 4096, pool)) {
		snprintf(row->why, sizeof(row->why), "cannot create ring ports: %s",
			 rte_strerror(rte_errno));
		return;
	}
	struct byz_node *node[MAXP] = {0};
	for (int i = 0; i < n; i++) {
		struct byz_node_cfg nc = {
			.run = &run, .self = (uint16_t)i, .sk = sk[i],
			.oracle = {.grad = bp_synth_grad, .ctx = NULL},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool,
			.mtu = 1500, .rto_us = po->rto_us,
		};
		int err = 0;
		node[i] = byz_node_new(&nc, &err);
		if (!node[i]) {
			snprintf(row->why, sizeof(row->why), "byz_node_new: %s", byz_strerror(err));
			goto out;
		}
		unsigned wl = 1u + (unsigned)i;
		if (workers && (err = byz_node_launch_workers(node[i], &wl, 1,
							      o->busy_poll == 1)) != 0) {
			snprintf(row->why, sizeof(row->why), "byz_node_launch_workers(lcore %u): %s",
				 wl, byz_strerror(err));
			goto out;
		}
	}
		uint64_t total = (uint64_t)o->warmup + (uint64_t)o->iters;
	uint64_t origin = byz_dp_now_ns() + 20000000ull;
	for (int i = 0; i < n; i++)
		byz_node_start(node[i], origin);
	uint64_t limit = origin + (total + 1) * run.max_attempts * BYZ_PH_COUNT * phase_us * 1000u;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t t_w = 0, busy = 0, b0 = 0;
	struct bp_prof p0 = {0};
	if (o->warmup == 0) {
		t_w = origin;
		bp_prof.on = 1;
	}
	uint64_t by0 = tx_bytes(node, n), rx0 = 0, restarts = 0, skipped = 0, bans = 0;
	uint64_t pn0 = 0;
	struct byz_event e;
	char ban1[96] = "";
	for (;;) {
		uint64_t now = byz_dp_now_ns();
		uint64_t ms = min_step(node, n);
		if (!t_w && ms >= (uint64_t)o->warmup) {
			t_w = now;
			b0 = busy;
			by0 = tx_bytes(node, n);
			rx0 = retx_sum(node, n);
			pn0 = peer_ns_sum(node, n);
			bp_prof.on = 1;
			p0 = bp_prof;
		}
		if (ms >= total || now > limit)
			break;
		unsigned work = 0;
		for (int i = 0; i < n; i++) {
			uint64_t c = rte_rdtsc();
			unsigned w = byz_node_poll(node[i], now);
			if (w)
				busy += rte_rdtsc() - c;
			work += w;
			while (byz_node_pop_event(node[i], &e)) {
				restarts += e.kind == BYZ_EV_RESTART;
				row->late += e.kind == BYZ_EV_LATE;
				row->late_agg += e.kind == BYZ_EV_LATE && e.reason == BYZ_LATE_AGG;
				row->silent += e.kind == BYZ_EV_SILENT;
				skipped += e.kind == BYZ_EV_SKIPPED;
				if (e.kind == BYZ_EV_BAN && !bans++)
					snprintf(ban1, sizeof(ban1), "node %d banned honest peer %u (%s) at "
						 "step %llu", i, e.peer, byz_ban_reason_name(e.reason),
						 (unsigned long long)e.step);
			}
		}
		if (!work)
			usleep(20); /* shared cores: the next deadline is far away */
	}
	uint64_t t_e = byz_dp_now_ns();
	bp_prof.on = 0;
	uint64_t done = min_step(node, n);
	if (done < total) {
		snprintf(row->why, sizeof(row->why),
			 "FAIL: %llu of %llu steps in time (%llu restarts, %llu skipped): the "
			 "phase (%.1f ms) is too short here, raise --phase-ms",
			 (unsigned long long)done, (unsigned long long)total,
			 (unsigned long long)restarts, (unsigned long long)skipped, phase_us / 1e3);
		goto out;
	}
	if (bans) {
		snprintf(row->why, sizeof(row->why), "FAIL: %s, phase %.1f ms (late messages?)",
			 ban1, phase_us / 1e3);
		goto out;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (byz_node_has_banned(node[i], (uint16_t)j)) {
				snprintf(row->why, sizeof(row->why), "FAIL: node %d banned honest peer %d",
					 i, j);
				goto out;
			}
	for (int i = 1; i < n; i++)
		if (byz_node_step(node[i]) != byz_node_step(node[0]) ||
		    memcmp(byz_node_digest(node[i]), byz_node_digest(node[0]), 32)) {
			snprintf(row->why, sizeof(row->why),
				 "FAIL: nodes 0 and %d disagree on the params digest", i);
			goto out;
		}
	if (restarts || skipped || bans) {
		snprintf(row->why, sizeof(row->why),
			 "FAIL: %llu restarts, %llu skipped steps, %llu bans among honest nodes "
			 "(phase %.1f ms too short? raise --phase-ms)",
			 (unsigned long long)restarts, (unsigned long long)skipped,
			 (unsigned long long)bans, phase_us / 1e3);
		goto out;
	}
	double steps = (double)(total - (uint64_t)o->warmup);
	double cyc = (double)hz * steps;
	row->ok = 1;
	row->t_step = (double)(t_e - t_w) / 1e9 / steps;
	row->busy_step = (double)(busy - b0) / cyc;
	row->sign_s = (double)(bp_prof.sign_cyc - p0.sign_cyc) / cyc;
	row->verify_s = (double)(bp_prof.verify_cyc - p0.verify_cyc) / cyc;
	row->hash_s = (double)(bp_prof.hash_cyc - p0.hash_cyc) / cyc;
	row->clip_s = (double)(bp_prof.clip_cyc - p0.clip_cyc) / cyc;
	row->crc_s = (double)(bp_prof.crc_cyc - p0.crc_cyc) / cyc;
	row->sign_n = bp_prof.sign_n - p0.sign_n;
	row->verify_n = bp_prof.verify_n - p0.verify_n;
	row->bytes_step = (double)(tx_bytes(node, n) - by0) / steps;
	row->retx = (retx_sum(node, n) - rx0) / (uint64_t)o->iters;
	byz_hex(byz_node_digest(node[0]), 32, row->digest);
	row->peer_step = (double)(peer_ns_sum(node, n) - pn0) / 1e9 / steps;
	for (int i = 0; i < n; i++) {
		struct byz_node_worker_stats ws;
		row->agg_inline += byz_node_stats(node[i])->agg_inline;
		row->agg_worker += byz_node_stats(node[i])->agg_worker;
		if (byz_node_worker_stats(node[i], 0, &ws) == 0)
			row->worker_jobs += ws.jobs;
	}
out:
	for (int i = 0; i < n; i++)
		byz_node_free(node[i]);
	byz_ringnet_destroy(&net);
}

int ar_proto_main(const struct ar_opts *o, const struct ar_proto_opts *po)
{
	int n = o->peers, rc = 1;
	FILE *csv = NULL;
	if (o->csv && !(csv = fopen(o->csv, "w"))) {
		fprintf(stderr, "byz-bench allreduce: cannot write %s: %s\n", o->csv, strerror(errno));
		return 1;
	}
	uint64_t sizes[1000];
	int nsz = 0;
	for (double sz = (double)o->b; sz <= (double)o->e * 1.0000001 && nsz < 1000; sz *= o->f) { // NOLINT(cert-flp30-c,clang-analyzer-security.FloatLoopCounter)
		uint64_t part = ((uint64_t)sz / (uint64_t)n) & ~3ull;
		sizes[nsz++] = part * (uint64_t)n;
	}
	if (nsz == 0) {
		fprintf(stderr, "byz-bench allreduce: no size between -b and -e\n");
		if (csv)
			fclose(csv);
		return 2;
	}
	static double mpi_bus[1000], mp_plain[1000];
	int have_mpi = po->mpi && ar_mpi_baseline(o, sizes, nsz, mpi_bus) == 0;
	int memif = o->transport == AR_MEMIF;
	struct rte_mempool *pool = NULL;
	struct byz_ringnet pnet;
	static struct pb pb;
	memset(&pb, 0, sizeof(pb));
	memset(&pnet, 0, sizeof(pnet));
	if (memif) {
		/* no EAL here: the children start their own after fork */
		if (ar_plain_mp(o, sizes, nsz, mp_plain))
			goto out_csv;
		goto header;
	}
	char prefix[64], why[256];
	snprintf(prefix, sizeof(prefix), "byzbench%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 1024, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	char lmap[64];
	if (po->clip_workers) {
		/* lcore 0 runs every node's control side, 1..n one worker each,
		 * floating over the CPUs this process may use */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (cpus > 1)
			snprintf(lmap, sizeof(lmap), "(0-%d)@(0-%ld)", n, cpus - 1);
		else
			snprintf(lmap, sizeof(lmap), "(0-%d)@0", n);
		ec.lcore_map = lmap;
	}
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "byz-bench allreduce: %s\n", why);
		if (csv)
			fclose(csv);
		return 1;
	}
	/* the buffers are sized by the largest size that is run, not by a skipped one */
	uint64_t cap = (uint64_t)BYZ_WIRE_MAX_PART_FLOATS * 4u, maxsz = 4u * (uint64_t)n;
	for (int s = 0; s < nsz; s++)
		if (sizes[s] <= cap && sizes[s] > maxsz)
			maxsz = sizes[s];
	uint32_t maxpart = (uint32_t)(maxsz / (uint64_t)n) & ~3u;
	pool = byz_dp_pool_create("bppool", 32767, 1500, SOCKET_ID_ANY);
	if (!pool || byz_ringnet_create(&pnet, "bpb", (uint16_t)n, 4096, pool)) {
		fprintf(stderr, "byz-bench allreduce: cannot create ports: %s\n", rte_strerror(rte_errno));
		goto out_eal;
	}
	if (pb_new(&pb, &pnet, pool, n, maxpart, o->seed)) {
		fprintf(stderr, "byz-bench allreduce: out of memory for the plain butterfly\n");
		goto out;
	}
header:
	printf("# byz-bench allreduce --protocol btard: %d byz_node peers (byzd's runtime: signed "
	       "protocol, control channel, dataplane), transport %s, MTU 1500\n", n,
	       memif ? "memif (one process per peer, full mesh of memif links)"
		     : "ring (net_ring ports, in-process, one thread)");
	char vbuf[32];
	if (po->validators >= 0)
		snprintf(vbuf, sizeof(vbuf), "%d", po->validators);
	else
		snprintf(vbuf, sizeof(vbuf), "%s", "the run default (1)");
	printf("# validators per step %s, synthetic gradient source (d = size/4 floats), %d "
	       "warmup + %d timed steps per size; plain = butterfly mean over byz_dp streams on "
	       "the same transport, same run%s\n", vbuf, o->warmup, o->iters,
	       memif ? " (the multi-process runner of --protocol none)" : "");
	printf("# node channel: first RTO %llu us%s, window 64 fragments per peer\n",
	       (unsigned long long)(po->rto_us ? po->rto_us : 2000),
	       po->rto_us ? " (--rto-us)" : " (byzd's default)");
	printf("# a step is %d fixed phases of D each: time/step = %d * D however fast the data "
	       "moves; busy = polls that did work (all nodes); wait = time - busy\n",
	       BYZ_PH_COUNT, BYZ_PH_COUNT);
	printf("# sign/verify/hash/clip/crc: ms per step in crypto_sign_detached, "
	       "crypto_sign_verify_detached, BLAKE2b, byz_clip, crc32c (all nodes, link-time "
	       "counters); ovh = bytes sent beyond the butterfly's 2(n-1)*size, / that\n");
	printf("# busy.bw = busbw if a step took only its busy time (phases ending on arrival): "
	       "what one core running every node would need (the CPU-bound ceiling), comparable to p.busbw\n");
	printf("#%11s %10s %9s %9s %10s %9s %8s %8s %7s %8s %8s %8s %7s %7s %7s %6s %6s %7s",
	       "size", "time(us)", "algbw", "busbw", "plain(us)", "p.busbw", "x plain", "D(ms)",
	       "busy%", "busy(ms)", "busy.bw", "sign(ms)", "ver(ms)", "hash", "clip", "crc", "ovh",
	       "status");
	if (have_mpi)
		printf(" %9s %7s", "mpi.busbw", "x mpi");
	printf("\n");
	if (csv)
		fprintf(csv, "size_bytes,time_us,algbw,busbw,plain_busbw,protocol,overhead_bytes\n");
	double sum_bus = 0, sum_pbus = 0;
	int rows = 0, failed = 0;
	for (int s = 0; s < nsz; s++) {
		uint64_t size = sizes[s];
		uint32_t part = (uint32_t)(size / (uint64_t)n);
		if (size / 4 > BYZ_WIRE_MAX_PART_FLOATS) {
			printf(" %11llu skipped: d = %llu floats exceeds the node runtime's limit "
			       "(BYZ_WIRE_MAX_PART_FLOATS = %u floats, %u bytes per gradient)\n",
			       (unsigned long long)size, (unsigned long long)(size / 4),
			       BYZ_WIRE_MAX_PART_FLOATS, BYZ_WIRE_MAX_PART_FLOATS * 4u);
			continue;
		}
		double pt_v[1000];
		double pt = mp_plain[s];
		if (memif && !(pt > 0)) {
			printf(" %11llu skipped: the plain butterfly over memif gave no time for this "
			       "size\n", (unsigned long long)size);
			failed = 1;
			continue;
		}
		pb.part = part;
		for (int it = 0; !memif && it < o->warmup + o->iters; it++) {
			double t = pb_once(&pb);
			if (t < 0) {
				fprintf(stderr, "byz-bench allreduce: plain butterfly at %llu did not "
					"complete\n", (unsigned long long)size);
				goto out;
			}
			if (it >= o->warmup)
				pt_v[it - o->warmup] = t;
		}
		if (!memif)
			pt = bench_median(pt_v, (size_t)o->iters);
		/* Generous by default: the phases must hold a whole scatter of the
		 * signed parts on shared cores; a failed try doubles D once. */
		uint64_t phase = po->phase_us;
		int tries = phase ? 1 : 3;
		if (!phase) {
			phase = (uint64_t)(pt * 1e6 * 20);
			if (phase < 20000)
				phase = 20000;
		}
		struct proto_row row = {0};
		for (int t = 0; t < tries; t++) {
			if (memif)
				ar_proto_mp_size(o, po, size, phase, s * 4 + t, &row);
			else
				proto_size(o, po, pool, size, phase, s * 4 + t, 0, &row);
			if (row.ok || strncmp(row.why, "FAIL: ", 6) || strstr(row.why, "disagree"))
				break;
			if (t + 1 < tries)
				printf("# size %llu, try %d at D = %.1f ms: %s; retrying at D = %.1f ms\n",
				       (unsigned long long)size, t + 1, phase / 1e3, row.why + 6,
				       2 * phase / 1e3);
			phase *= 2;
		}
		double palg = (double)size / pt / 1e9, pbus = palg * 2.0 * (n - 1) / n;
		if (!row.ok) {
			printf(" %11llu %10s %9s %9s %10.1f %9.3f  %s\n", (unsigned long long)size, "-",
			       "-", "-", pt * 1e6, pbus, row.why);
			failed = 1;
			continue;
		}
		double alg = (double)size / row.t_step / 1e9, bus = alg * 2.0 * (n - 1) / n;
		double grad_bytes = 2.0 * (n - 1) * (double)size;
		double ovh = row.bytes_step - grad_bytes;
		double bbus = (double)size / row.busy_step / 1e9 * 2.0 * (n - 1) / n;
		printf(" %11llu %10.1f %9.4f %9.4f %10.1f %9.3f %8.4f %8.1f %7.1f %8.2f %8.4f %8.2f "
		       "%7.2f %7.2f %7.2f %6.2f %6.2f %7s",
		       (unsigned long long)size, row.t_step * 1e6, alg, bus, pt * 1e6, pbus,
		       bus / pbus, row.phase_us / 1e3, 100.0 * row.busy_step / row.t_step,
		       row.busy_step * 1e3, bbus, row.sign_s * 1e3, row.verify_s * 1e3, row.hash_s * 1e3,
		       row.clip_s * 1e3, row.crc_s * 1e3, ovh / grad_bytes, "ok");
		if (have_mpi) {
			if (mpi_bus[s] > 0)
				printf(" %9.3f %7.4f", mpi_bus[s], bus / mpi_bus[s]);
			else
				printf(" %9s %7s", "-", "-");
		}
		printf("\n");
		printf("# digest %llu btard %s (all %d nodes agree, no bans); %llu signs, %llu "
		       "verifies per step, %.0f bytes sent per step, %llu channel retransmissions per step\n",
		       (unsigned long long)size, row.digest, n,
		       (unsigned long long)(row.sign_n / (uint64_t)o->iters),
		       (unsigned long long)(row.verify_n / (uint64_t)o->iters), row.bytes_step,
		       (unsigned long long)row.retx);
		if (po->clip_workers) {
			/* the same size, phase and seed again, the clip on worker lcores */
			struct proto_row wr = {0};
			proto_size(o, po, pool, size, row.phase_us, s * 4 + 3, 1, &wr);
			if (!wr.ok) {
				printf("# clip-workers %llu: %s\n", (unsigned long long)size, wr.why);
				failed = 1;
			} else {
				int clean = !row.late && !wr.late && !row.silent && !wr.silent;
				printf("# clip-workers %llu: control busy/step inline %.2f ms, workers "
				       "%.2f ms (x%.3f); in the peer %.2f ms, %.2f ms (x%.3f); time/step "
				       "%.1f ms, %.1f ms (x%.3f); clip jobs inline %llu/%llu, on workers "
				       "%llu/%llu; late %llu/%llu (%llu: a clip job), silent %llu/%llu; "
				       "digest %s\n",
				       (unsigned long long)size, row.busy_step * 1e3, wr.busy_step * 1e3,
				       wr.busy_step / row.busy_step, row.peer_step * 1e3,
				       wr.peer_step * 1e3, wr.peer_step / row.peer_step,
				       row.t_step * 1e3, wr.t_step * 1e3, wr.t_step / row.t_step,
				       (unsigned long long)row.agg_inline, (unsigned long long)row.agg_worker,
				       (unsigned long long)wr.agg_inline, (unsigned long long)wr.worker_jobs,
				       (unsigned long long)row.late, (unsigned long long)wr.late,
				       (unsigned long long)wr.late_agg, (unsigned long long)row.silent,
				       (unsigned long long)wr.silent,
				       !strcmp(wr.digest, row.digest) ? "identical"
				       : clean ? "DIFFERS" : "differs (a late node sat a step out)");
				/* a node late by itself re-syncs and sits a step out: the
				 * contributor sets differ, so may the digests */
				if (strcmp(wr.digest, row.digest) && clean)
					failed = 1;
			}
		}
		if (csv)
			fprintf(csv, "%llu,%.3f,%.6f,%.6f,%.6f,btard,%.0f\n", (unsigned long long)size,
				row.t_step * 1e6, alg, bus, pbus, ovh);
		sum_bus += bus;
		sum_pbus += pbus;
		rows++;
		fflush(stdout);
	}
	if (rows)
		printf("# Avg bus bandwidth    : %.4f  (plain butterfly mean: %.4f)\n", sum_bus / rows,
		       sum_pbus / rows);
	else
		printf("# Avg bus bandwidth    : n/a (no size ran)\n");
	rc = failed ? 3 : 0;
out:
	if (memif)
		goto out_csv;
	pb_free(&pb);
	byz_ringnet_destroy(&pnet);
out_eal:
	rte_mempool_free(pool);
	byz_eal_cleanup();
out_csv:
	if (csv && fclose(csv)) {
		fprintf(stderr, "byz-bench allreduce: error writing %s\n", o->csv);
		rc = 1;
	}
	return rc;
}
