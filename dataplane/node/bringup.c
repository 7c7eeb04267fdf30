/* Bring-up shared by byzd (tools/byzd) and the trainer API (trainer.c):
 * the port and what a config says about the run and the peers. */
#include <string.h>

#include <rte_ethdev.h>

#include "byz/bringup.h"

int byz_bringup_port(uint16_t port, uint32_t ndesc, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int r = rte_eth_dev_configure(port, 1, 1, &conf);
	uint16_t nrx = (uint16_t)ndesc, ntx = (uint16_t)ndesc;
	if (!r)
		r = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (!r)
		r = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL, pool);
	if (!r)
		r = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
	if (!r)
		r = rte_eth_dev_start(port);
	if (!r)
		rte_eth_promiscuous_enable(port); /* best effort: roster MACs may be virtual */
	return r;
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
	run->silent_limit = c->silent_limit;
	run->max_attempts = c->max_attempts;
	run->phase_us = c->phase_us;
}
