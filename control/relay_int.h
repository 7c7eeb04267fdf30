/* The relay windows at the tail of each digest phase (relay.c): the
 * schedule they lengthen, the acceptance rule and the RELAY message.
 * docs/protocol.md, "Late delivery and the relay". Not a public API. */
#ifndef BYZ_RELAY_INT_H
#define BYZ_RELAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "byz/wire.h"

struct byz_peer;

/* At an attempt start: W = f + 1 from the members (agreed state). */
void relay_attempt_start(struct byz_peer *p);
/* Start of @p phase (0..BYZ_PH_COUNT) relative to the attempt start. */
uint64_t relay_phase_offset(const struct byz_peer *p, unsigned phase);
/* Last time a broadcast of @p type counts when it comes directly (the
 * nominal end of its seal phase; accusations and joins W + 1 Delta later). */
uint64_t relay_direct_deadline(const struct byz_peer *p, uint8_t type);
/* Delta, the delivery bound the windows are made of. */
uint64_t relay_delta(const struct byz_peer *p);
/* 0 if a broadcast of @p type that came with a chain of p->rx_chain
 * relayers may still enter the store now; -ETIME otherwise. */
int relay_admit(const struct byz_peer *p, uint8_t type);
/* 1 if this peer's own broadcast of @p type, sent now, reaches every honest
 * peer before its direct deadline (honest accusations made late are not
 * sent: only their sender would hold them). */
int relay_can_send(const struct byz_peer *p, uint8_t type);
/* A broadcast just entered the store (new or second version): relay it if
 * it came after the last digest that lists its type. */
void relay_after_accept(struct byz_peer *p, const uint8_t *buf, size_t len, uint8_t type);
/* A RELAY (parsed, of this attempt, from a member): checks and feeds its
 * inner message. Returns as byz_peer_on_message. */
int relay_receive(struct byz_peer *p, const struct byz_msg *m);

#endif
