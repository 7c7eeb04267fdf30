/*
 * An independent checker of ban evidence (docs/security.md, "Guarantees and
 * their tests"). It reads only a log of the signed messages that honest peers
 * received and the public run constants, and decides whether a recorded ban
 * is proven by them. It shares the wire codec (parse + signature check) and
 * the public computations of byz/proto.h with the peers, never their state
 * machine (peer.c, judge.c, accuse.c).
 */
#ifndef BYZ_TEST_EVCHECK_H
#define BYZ_TEST_EVCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "byz/wire.h"

/* Raw messages, each once (deduplicated by content). */
struct evlog {
	uint8_t **buf;
	size_t *len;
	uint8_t (*h)[16];
	size_t n, cap;
};

void evlog_add(struct evlog *l, const uint8_t *buf, size_t len);
void evlog_free(struct evlog *l);

struct evcheck {
	const uint8_t *run_id;  /* 32 bytes */
	const uint8_t *roster;  /* n keys of 32 bytes */
	uint32_t n;
	size_t d;
	double tau, eps, kappa;
	const struct evlog *log;
	/* filled by evcheck_init: every log entry parsed and verified once */
	struct byz_msg *m;
	uint8_t *ok;
};

/* Parse and verify the log once. 0 or -ENOMEM. */
int evcheck_init(struct evcheck *c);
void evcheck_fini(struct evcheck *c);

/*
 * 1: the log proves that @p who deserved the ban (@p reason, enum
 * byz_ban_reason; @p accuser as the ban recorded it) at @p step; 0: it does
 * not; -1: a reason this checker cannot re-verify from messages alone
 * (gradient: needs the model). @p why gets the proof or what is missing.
 */
int evcheck_ban(const struct evcheck *c, uint16_t who, uint64_t step, uint8_t reason,
		int32_t accuser, char *why, size_t wl);

#endif
