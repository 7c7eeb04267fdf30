/* Bring-up shared by byzd (tools/byzd) and the trainer API (trainer.c):
 * the port and what a config says about the run and the peers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "byz/bringup.h"
#include "byz/dp.h"

/* The device's MTU follows [port] mtu where the PMD can set it (af_packet,
 * af_xdp and most NICs can; ring and memif ports cannot and need not). */
static int set_mtu(uint16_t port, uint32_t mtu, char *why, size_t cap)
{
	struct rte_eth_dev_info di;
	int r = rte_eth_dev_info_get(port, &di);
	if (r) {
		snprintf(why, cap, "device info: %s", rte_strerror(-r));
		return r;
	}
	if (di.max_mtu && mtu > di.max_mtu) {
		snprintf(why, cap, "[port] mtu %u is above the device's maximum %u", mtu, di.max_mtu);
		return -ERANGE;
	}
	r = rte_eth_dev_set_mtu(port, (uint16_t)mtu);
	if (r == -ENOTSUP)
		return 1;
	if (r)
		snprintf(why, cap, "cannot set the device MTU to %u: %s", mtu, rte_strerror(-r));
	return r;
}

int byz_bringup_port(uint16_t port, uint32_t ndesc, uint32_t mtu, struct rte_mempool *pool,
		     char *why, size_t cap)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int r = rte_eth_dev_configure(port, 1, 1, &conf);
	if (r) {
		snprintf(why, cap, "configure: %s", rte_strerror(-r));
		return r;
	}
	int nomtu = 0;
	if (mtu) {
		r = set_mtu(port, mtu, why, cap);
		if (r < 0)
			return r;
		nomtu = r == 1;
	}
	uint16_t nrx = (uint16_t)ndesc, ntx = (uint16_t)ndesc;
	r = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (!r)
		r = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL, pool);
	if (r) {
		snprintf(why, cap, "RX queue (%u descriptors, mbufs of %u bytes): %s", nrx,
			 rte_pktmbuf_data_room_size(pool), rte_strerror(-r));
		return r;
	}
	r = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
	if (!r)
		r = rte_eth_dev_start(port);
	if (r) {
		snprintf(why, cap, "TX queue or start: %s", rte_strerror(-r));
		return r;
	}
	rte_eth_promiscuous_enable(port); /* best effort: roster MACs may be virtual */
	return nomtu;
}

void byz_bringup_addrs(const struct byz_config *c, struct byz_bringup_addrs *a)
{
	for (uint32_t i = 0; i < c->n && i < BYZ_CONFIG_MAX_PEERS; i++) {
		memcpy(a->roster + 32u * i, c->peers[i].pk, 32);
		a->ip[i] = c->peers[i].ip;
		a->udp[i] = c->peers[i].udp_port ? c->peers[i].udp_port : c->udp_port;
		uint8_t def[6] = {0x02, 'b', 'y', 'z', (uint8_t)(i >> 8), (uint8_t)i};
		memcpy(a->mac[i], c->peers[i].has_mac ? c->peers[i].mac : def, 6);
	}
}

void byz_bringup_run(const struct byz_config *c, const uint8_t *roster, size_t d,
		     struct byz_run *run)
{
	/* byz_run_defaults sets only the fields it has defaults for: the rest
	 * (late_us, ...) must be 0, not what the caller's stack held (a garbage
	 * late_us made a node late by 0.1 ms) */
	memset(run, 0, sizeof(*run));
	byz_run_defaults(run);
	memcpy(run->run_id, c->run_id, 32);
	run->n = c->n;
	run->roster = roster;
	run->d = d;
	run->tau = c->tau;
	run->eps = c->eps;
	run->max_iters = c->max_iters;
	run->kappa = c->kappa;
	run->lr = (float)c->lr;
	run->validators = c->validators;
	run->validation = c->validation;
	run->rho = c->rho;
	run->silent_limit = c->silent_limit;
	run->max_attempts = c->max_attempts;
	run->relay_f = c->relay_f;
	struct byz_schedule sch;
	run->phase_us = byz_config_schedule(c, d, &sch) ? c->phase_us : sch.phase_us;
	/* a late_us at or above half a derived phase would leave no room for
	 * delivery: such a config keeps the default D/3 */
	if (c->late_us && c->late_us * 2 < run->phase_us)
		run->late_us = c->late_us;
}

int byz_bringup_peer_ports(const struct byz_config *c, uint32_t self, uint16_t main_port,
			   struct rte_mempool *pool, struct byz_bringup_ports *out, char *why,
			   size_t cap)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t j = 0; j < BYZ_CONFIG_MAX_PEERS; j++)
		out->route[j] = UINT16_MAX;
	for (uint32_t j = 0; j < c->n; j++) {
		const char *name = c->peers[j].port;
		if (j == self || !name[0])
			continue;
		if (!strcmp(name, c->port)) {
			out->route[j] = main_port; /* named, so counted as routed */
			continue;
		}
		uint16_t id;
		if (rte_eth_dev_get_port_by_name(name, &id)) {
			snprintf(why, cap, "[peer] %u: port '%s': no such DPDK port", j, name);
			byz_bringup_ports_close(out);
			return -ENODEV;
		}
		int started = id == main_port;
		for (unsigned k = 0; k < out->n && !started; k++)
			started = out->id[k] == id;
		if (!started) {
			char w[200];
			int r = byz_bringup_port(id, c->rx_desc, c->mtu, pool, w, sizeof(w));
			if (r < 0) {
				snprintf(why, cap, "[peer] %u: port '%s': %s", j, name, w);
				byz_bringup_ports_close(out);
				return r;
			}
			out->id[out->n++] = id;
		}
		out->route[j] = id;
	}
	return 0;
}

int byz_bringup_routes(struct byz_dp *dp, uint32_t n, const struct byz_bringup_ports *p)
{
	for (uint32_t j = 0; j < n && j < BYZ_CONFIG_MAX_PEERS; j++)
		if (p->route[j] != UINT16_MAX) {
			int r = byz_dp_set_route(dp, (uint16_t)j, p->route[j], 0);
			if (r)
				return r;
		}
	return 0;
}

void byz_bringup_ports_close(struct byz_bringup_ports *p)
{
	for (unsigned k = 0; k < p->n; k++) {
		rte_eth_dev_stop(p->id[k]);
		rte_eth_dev_close(p->id[k]);
	}
	p->n = 0;
}
