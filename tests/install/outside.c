/*
 * A program outside the tree, built by test_install.sh against an installed
 * libbyzreduce with `pkg-config --cflags --libs byzreduce` only. It uses the
 * public API as a user would: CenteredClip with an outlier, error strings,
 * the in-process swarm with a sign-flip attacker (who must be banned), and
 * then the same swarm's honest peers as byz_node instances on net_ring ports
 * (--no-huge), whose final digest must equal the harness's, and a net_memif
 * port (a PMD the EAL loads from its plugin directory, not linked in).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <byz/clip.h>
#include <byz/dp.h>
#include <byz/err.h>
#include <byz/node.h>
#include <byz/oracle.h>
#include <byz/swarm.h>
#include <byz/vport.h>

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "outside: FAILED %s (line %d)\n", #c,  \
				__LINE__);                                     \
			return 1;                                              \
		}                                                              \
	} while (0)

static int clip_check(void)
{
	enum { K = 5, D = 8 };
	static float rows[K][D];
	const float *v[K];
	for (int i = 0; i < K; i++) {
		for (int j = 0; j < D; j++)
			rows[i][j] = i == K - 1 ? 1000.0f : 1.0f + 0.01f * (float)i;
		v[i] = rows[i];
	}
	struct byz_clip_params p;
	memset(&p, 0, sizeof(p));
	p.tau = 0.5;
	p.eps = 1e-6;
	p.max_iters = 100;
	float out[D];
	struct byz_clip_result res;
	CHECK(byz_clip(v, K, D, &p, out, NULL, &res) == 0);
	/* The outlier moves the result by at most tau/K in norm. */
	for (int j = 0; j < D; j++)
		CHECK(fabsf(out[j] - 1.015f) < 0.2f);
	CHECK(byz_clip(v, 0, D, &p, out, NULL, NULL) == -EINVAL);
	CHECK(strlen(byz_strerror(-EINVAL)) > 0);
	printf("clip: ok (%s, %u iterations)\n", byz_clip_impl_name(res.impl), res.iters);
	return 0;
}

int main(void)
{
	if (clip_check())
		return 1;

	/* The in-process harness: 4 peers, one sign-flip attacker. */
	struct byz_swarm_cfg sc;
	byz_swarm_defaults(&sc);
	int atk = byz_attack_parse("sign-flip");
	CHECK(atk >= 0);
	sc.n = 4;
	sc.nbyz = 1;
	sc.attacks = &atk;
	sc.nattacks = 1;
	sc.steps = 4;
	sc.seed = 42;
	sc.d = 64;
	sc.run.phase_us = 20000;
	sc.net.delay_min_us = 100;
	sc.net.delay_max_us = 1000;
	sc.net.retx_us = 1000;
	int err = 0;
	struct byz_swarm *s = byz_swarm_new(&sc, &err);
	CHECK(s != NULL);
	CHECK(byz_swarm_run(s) == 0);
	const struct byz_swarm_report *r = byz_swarm_report(s);
	CHECK(r->finished && r->steps_done == 4 && r->honest_banned == 0);
	CHECK(r->nbans == 1 && byz_swarm_is_byz(s, r->bans[0].peer));
	printf("swarm: ok (%llu steps, peer %u banned at step %llu)\n",
	       (unsigned long long)r->steps_done, r->bans[0].peer,
	       (unsigned long long)r->bans[0].step);
	byz_swarm_free(s);

	/* The honest swarm again, on the dataplane: 3 nodes on net_ring ports. */
	sc.nbyz = 0;
	sc.nattacks = 0;
	sc.attacks = NULL;
	sc.n = 3;
	s = byz_swarm_new(&sc, &err);
	CHECK(s != NULL);
	CHECK(byz_swarm_run(s) == 0);
	r = byz_swarm_report(s);
	CHECK(r->finished);

	char why[256] = "";
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "outside%d", (int)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 256, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	int rc = byz_eal_init(&ec, why, sizeof(why));
	if (rc) {
		printf("node: skipped, cannot start the DPDK EAL here: %s\n", why);
		byz_swarm_free(s);
		return 77;
	}
	struct rte_mempool *pool = byz_dp_pool_create("outpool", 4095, 4200, -1);
	CHECK(pool != NULL);
	uint8_t run_id[32], roster[3 * 32], sks[3][64];
	byz_swarm_derive_keys(sc.seed, 3, run_id, roster, sks);
	struct byz_run run = sc.run;
	memcpy(run.run_id, run_id, 32);
	run.n = 3;
	run.roster = roster;
	run.d = sc.d;
	struct byz_toy_lsq toy;
	CHECK(byz_toy_lsq_init(&toy, run_id, sc.d, sc.batch) == 0);
	struct byz_ringnet net;
	CHECK(byz_ringnet_create(&net, "outring", 3, 1024, pool) == 0);
	struct byz_node *node[3];
	for (uint16_t i = 0; i < 3; i++) {
		struct byz_node_cfg nc = {
			.run = &run, .self = i, .sk = sks[i],
			.oracle = {.grad = byz_toy_lsq_grad, .ctx = &toy},
			.port_id = net.port[i], .tx_queue_per_peer = 1, .pool = pool,
			.mtu = 4200,
		};
		node[i] = byz_node_new(&nc, &err);
		if (!node[i])
			fprintf(stderr, "byz_node_new: %s\n", byz_strerror(err));
		CHECK(node[i] != NULL);
	}
	uint64_t origin = byz_dp_now_ns() + 20000000ull;
	for (int i = 0; i < 3; i++)
		byz_node_start(node[i], origin);
	uint64_t limit = origin + 60ull * 1000000000ull;
	for (;;) {
		int done = 1;
		for (int i = 0; i < 3; i++)
			done &= byz_node_step(node[i]) >= sc.steps;
		uint64_t now = byz_dp_now_ns();
		if (done || now > limit)
			break;
		unsigned work = 0;
		for (int i = 0; i < 3; i++)
			work += byz_node_poll(node[i], now);
		if (!work) /* leave shared cores to others when idle */
			nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL);
	}
	for (int i = 0; i < 3; i++) {
		CHECK(byz_node_step(node[i]) >= sc.steps);
		CHECK(memcmp(byz_node_digest(node[i]), r->params_digest, 32) == 0);
		CHECK(byz_node_stats(node[i])->bans == 0);
	}
	printf("node: ok (3 nodes on net_ring, %u steps, digests equal to the harness's)\n",
	       sc.steps);
	/* net_memif is not linked: the EAL found it in its plugin directory. */
	char devargs[160];
	snprintf(devargs, sizeof(devargs), "net_memif_outside,role=server,socket=/tmp/%s.sock",
		 prefix);
	struct byz_vport vp;
	rc = byz_vport_open(&vp, devargs, pool, 256, 0, why, sizeof(why));
	if (rc)
		fprintf(stderr, "byz_vport_open(%s): %s: %s\n", devargs, byz_strerror(rc), why);
	CHECK(rc == 0 && vp.mtu > 0);
	printf("vport: ok (net_memif port %u, MTU %u)\n", vp.port, vp.mtu);
	byz_vport_close(&vp);
	for (int i = 0; i < 3; i++)
		byz_node_free(node[i]);
	byz_ringnet_destroy(&net);
	byz_toy_lsq_free(&toy);
	byz_swarm_free(s);
	byz_eal_cleanup();
	return 0;
}
