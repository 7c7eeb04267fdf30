/*
 * Phase length from the gradient size (byz/config.h, byz_config_schedule).
 * The peer runs one fixed D for all nine phases, so D is sized by the
 * heaviest one, RESULT: the aggregator clips its part, then every node sends
 * n - 1 AGGVs and receives as many, and all of it must arrive within D / 3.
 * Computed from config values only (never from a measurement on this host),
 * so every node of a run derives the same D.
 */
#include <errno.h>
#include <math.h>

#include "byz/config.h"
#include "byz/frame.h"
#include "byz/wire.h"
#include "chan.h"

/* Per frame on the link beyond the fragment: channel header, IPv4, UDP, the
 * byz header, Ethernet header and FCS, preamble and inter-frame gap. */
#define FRAME_OVERHEAD (CHAN_HDR_LEN + BYZ_IPV4_HLEN + BYZ_UDP_HLEN + BYZ_HDR_LEN + \
			BYZ_ETH_HLEN + 4u + 20u)

int byz_config_schedule(const struct byz_config *c, uint64_t d, struct byz_schedule *s)
{
	if (!c || !s || d == 0 || d > BYZ_CONFIG_MAX_D || c->n < 2 || !(c->link_gbps > 0) ||
	    !(c->cpu_gbps > 0) || !(c->clip_gbps > 0) || c->mtu < BYZ_MTU_MIN)
		return -EINVAL;
	*s = (struct byz_schedule){0};
	uint64_t n = c->n;
	s->part_floats = (uint32_t)((d + n - 1) / n);
	s->msg_bytes = BYZ_WIRE_HDR_LEN + byz_wire_vec_len(s->part_floats) + BYZ_WIRE_SIG_LEN;
	/* the fragment size of the node's channel (control/node/node.c) */
	uint64_t room = c->mtu - BYZ_IPV4_HLEN - BYZ_UDP_HLEN - BYZ_HDR_LEN;
	if (room > BYZ_CONTROL_MAX)
		room = BYZ_CONTROL_MAX;
	uint64_t frag = room - CHAN_HDR_LEN;
	s->frames_per_msg = (s->msg_bytes + frag - 1) / frag;
	s->wire_bytes = (n - 1) * (s->msg_bytes + s->frames_per_msg * FRAME_OVERHEAD);
	s->xfer_us = (double)s->wire_bytes * 8.0 / (c->link_gbps * 1e3);
	s->cpu_us = 2.0 * (double)(n - 1) * (double)s->msg_bytes * 8.0 / (c->cpu_gbps * 1e3);
	s->clip_us = (double)n * s->part_floats * 32.0 / (c->clip_gbps * 1e3);
	s->retx_us = 7.0 * (double)c->rto_us; /* RTO, 2 RTO, 4 RTO */
	double dd = ceil(3.0 * (s->clip_us + s->xfer_us + s->cpu_us + s->retx_us) / 1000.0) * 1000.0;
	s->derived_us = dd > BYZ_CONFIG_MIN_PHASE_US ? (uint64_t)dd : BYZ_CONFIG_MIN_PHASE_US;
	s->derived = c->phase_us_line == 0;
	s->phase_us = s->derived ? s->derived_us : c->phase_us;
	return 0;
}
