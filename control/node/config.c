/*
 * byzd configuration parser. One table lists every key with its section,
 * type, range and place in struct byz_config, so the parser, the defaults
 * and docs/byzd.md stay in one shape. Input is hostile: bounded lines, no
 * NUL bytes, strict numbers (whole token, range-checked), no duplicates.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "byz/config.h"
#include "byz/wire.h"
#include "byz/proto.h"
#include "byz/file.h"
#include "byz/frame.h"
#include "byz/hash.h"

enum sec { S_RUN, S_EAL, S_PORT, S_PROTO, S_GRAD, S_CHAN, S_PEER, S_COUNT };
static const char *const sec_name[S_COUNT] = {"run", "eal", "port", "protocol",
					      "gradient", "channel", "peer"};

enum ty {
	T_HEX32, T_STR, T_U64, T_U32, T_U16, T_DBL, T_BOOL, T_IPV4, T_MAC, T_LIST, T_SRC,
	T_MASK, T_ARP, T_HASH, T_VALID
};

struct key {
	enum sec sec;
	const char *name;
	enum ty ty;
	size_t off;   /* in struct byz_config, or struct byz_config_peer for S_PEER */
	size_t size;  /* strings and lists: capacity of one entry */
	double lo, hi;
	int required;
};

#define C(f) offsetof(struct byz_config, f), sizeof(((struct byz_config *)0)->f)
#define P(f) offsetof(struct byz_config_peer, f), sizeof(((struct byz_config_peer *)0)->f)

_Static_assert(BYZ_WIRE_MAX_RELAY == 128u, "relay_f's range in keys[] is 1..127");

static const struct key keys[] = {
	{S_RUN, "run_id", T_HEX32, C(run_id), 0, 0, 1},
	{S_RUN, "key_file", T_STR, C(key_file), 0, 0, 1},
	{S_RUN, "start_time", T_U64, C(start_time), 0, 4102444800.0, 0},
	{S_RUN, "steps", T_U64, C(steps), 0, 1e12, 0},
	{S_RUN, "leaf_hash", T_HASH, C(leaf_hash), 0, 0, 0},
	{S_EAL, "lcores", T_STR, C(lcores), 0, 0, 0},
	{S_EAL, "mem_mb", T_U32, C(mem_mb), 64, 1048576, 0},
	{S_EAL, "no_huge", T_BOOL, C(no_huge), 0, 0, 0},
	{S_EAL, "no_pci", T_BOOL, C(no_pci), 0, 0, 0},
	{S_EAL, "file_prefix", T_STR, C(file_prefix), 0, 0, 0},
	{S_EAL, "vdev", T_LIST, offsetof(struct byz_config, vdev), 128, 0, 0, 0},
	{S_EAL, "pci", T_LIST, offsetof(struct byz_config, pci), 64, 0, 0, 0},
	{S_EAL, "log_level", T_STR, C(log_level), 0, 0, 0},
	{S_EAL, "dp_lcore", T_U32, C(dp_lcore), 0, BYZ_CONFIG_MAX_LCORE - 1, 0},
	{S_EAL, "worker_lcores", T_STR, C(worker_lcores), 0, 0, 0},
	{S_PORT, "name", T_STR, C(port), 0, 0, 1},
	{S_PORT, "mtu", T_U32, C(mtu), BYZ_MTU_MIN, BYZ_MTU_MAX, 0},
	{S_PORT, "udp_port", T_U16, C(udp_port), 1, 65535, 0},
	{S_PORT, "busy_poll", T_BOOL, C(busy_poll), 0, 0, 0},
	{S_PORT, "rx_desc", T_U32, C(rx_desc), 64, 32768, 0},
	{S_PORT, "mbufs", T_U32, C(nb_mbufs), 1023, 1048575, 0},
	{S_PORT, "ip", T_IPV4, C(port_ip), 0, 0, 0},
	{S_PORT, "prefix", T_U32, C(prefix), 1, 32, 0},
	{S_PORT, "netmask", T_MASK, C(prefix), 0, 0, 0},
	{S_PORT, "gateway", T_IPV4, C(gateway), 0, 0, 0},
	{S_PORT, "arp", T_ARP, C(arp), 0, 0, 0},
	{S_PORT, "auth", T_BOOL, C(auth), 0, 0, 0},
	{S_PROTO, "tau", T_DBL, C(tau), 1e-30, 1e30, 0},
	{S_PROTO, "eps", T_DBL, C(eps), 1e-30, 1e30, 0},
	{S_PROTO, "kappa", T_DBL, C(kappa), 1e-30, 1e30, 0},
	{S_PROTO, "lr", T_DBL, C(lr), 1e-30, 1e30, 0},
	{S_PROTO, "max_iters", T_U32, C(max_iters), 1, 1e9, 0},
	{S_PROTO, "validators", T_U32, C(validators), 0, 256, 0},
	{S_PROTO, "validation", T_VALID, C(validation), 0, 0, 0},
	{S_PROTO, "rho", T_DBL, C(rho), 1e-12, 1.0, 0},
	{S_PROTO, "silent_limit", T_U32, C(silent_limit), 1, 1e6, 0},
	{S_PROTO, "max_attempts", T_U32, C(max_attempts), 1, 1000, 0},
	{S_PROTO, "phase_us", T_U64, C(phase_us), 1000, 3.6e9, 0},
	{S_PROTO, "link_gbps", T_DBL, C(link_gbps), 1e-3, 1e4, 0},
	{S_PROTO, "cpu_gbps", T_DBL, C(cpu_gbps), 1e-3, 1e4, 0},
	{S_PROTO, "clip_gbps", T_DBL, C(clip_gbps), 1e-3, 1e4, 0},
	{S_PROTO, "d", T_U64, C(d), 1, BYZ_CONFIG_MAX_D, 0},
	{S_PROTO, "relay_f", T_U32, C(relay_f), 1, 127, 0}, /* < BYZ_WIRE_MAX_RELAY */
	{S_PROTO, "late_us", T_U64, C(late_us), 100, 3.6e9, 0},
	{S_GRAD, "source", T_SRC, C(source), 0, 0, 0},
	{S_GRAD, "batch", T_U32, C(batch), 1, 65536, 0},
	{S_GRAD, "classes", T_U32, C(classes), 2, 1024, 0},
	{S_GRAD, "hidden", T_U32, C(hidden), 1, 65536, 0},
	{S_GRAD, "examples", T_U32, C(examples), 16, 1u << 22, 0},
	{S_GRAD, "fingerprint", T_HEX32, C(fingerprint), 0, 0, 0},
	{S_CHAN, "window", T_U32, C(window), 1, 64, 0},
	{S_CHAN, "rto_us", T_U64, C(rto_us), 10, 1e7, 0},
	{S_CHAN, "rto_max_us", T_U64, C(rto_max_us), 10, 1e8, 0},
	{S_PEER, "pubkey", T_HEX32, P(pk), 0, 0, 1},
	{S_PEER, "ip", T_IPV4, P(ip), 0, 0, 1},
	{S_PEER, "udp_port", T_U16, P(udp_port), 1, 65535, 0},
	{S_PEER, "mac", T_MAC, P(mac), 0, 0, 0},
	{S_PEER, "port", T_STR, P(port), 0, 0, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const src_names[] = {"toy", "softmax", "mlp", "synthetic"};
#define N_SRC (sizeof(src_names) / sizeof(src_names[0]))

const char *byz_grad_source_name(enum byz_grad_source s)
{
	return (unsigned)s < N_SRC ? src_names[s] : "?";
}

void byz_config_defaults(struct byz_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->lcores, sizeof(c->lcores), "0");
	c->mem_mb = 256;
	snprintf(c->log_level, sizeof(c->log_level), "notice");
	c->mtu = 1500;
	c->udp_port = BYZ_UDP_PORT;
	c->rx_desc = 1024;
	c->arp = BYZ_CONFIG_ARP_AUTO;
	c->auth = 1;
	c->nb_mbufs = 8191;
	c->tau = 10.0;
	c->eps = 1e-5;
	c->kappa = 1.0;
	c->lr = 0.1;
	c->max_iters = 1000000;
	c->validators = 1;
	c->validation = BYZ_VALIDATE_EXACT;
	c->rho = 1e-3;
	c->silent_limit = 3;
	c->max_attempts = 8;
	c->phase_us = BYZ_CONFIG_MIN_PHASE_US;
	c->link_gbps = 10.0;
	c->cpu_gbps = 2.0;
	c->clip_gbps = 4.0;
	c->d = 256;
	c->source = BYZ_GRAD_TOY;
	c->batch = 16;
	c->classes = 4;
	c->hidden = 32;
	c->examples = 4096;
	c->window = 64;
	c->rto_us = 2000;
	c->rto_max_us = 50000;
}

struct ctx {
	const char *name;
	unsigned line;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *x, const char *fmt, ...)
{
	if (x->why && x->whylen) {
		int k = x->line ? snprintf(x->why, x->whylen, "%s:%u: ", x->name, x->line)
				: snprintf(x->why, x->whylen, "%s: ", x->name);
		if (k >= 0 && (size_t)k < x->whylen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(x->why + k, x->whylen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t *out)
{
	if (!*v || *v == '-' || *v == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const t[] = {"1", "yes", "true", "on"}, *const f[] = {"0", "no",
										 "false", "off"};
	for (int i = 0; i < 4; i++) {
		if (!strcmp(v, t[i]))
			return *out = 1, 0;
		if (!strcmp(v, f[i]))
			return *out = 0, 0;
	}
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* aa:bb:cc:dd:ee:ff, exactly: two hex digits per octet, ':' between. */
static int parse_mac(const char *v, uint8_t mac[6])
{
	if (strlen(v) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Why @p ip cannot be a host's address, or NULL when it can: 0.0.0.0, the
 * limited broadcast, multicast (224/4) and the reserved 240/4 are refused. */
static const char *ip_not_host(uint32_t ip)
{
	if (ip == 0)
		return "the unspecified address 0.0.0.0";
	if (ip == 0xffffffffu)
		return "the broadcast address";
	if ((ip & 0xf0000000u) == 0xe0000000u)
		return "a multicast address (224.0.0.0/4)";
	if ((ip & 0xf0000000u) == 0xf0000000u)
		return "a reserved address (240.0.0.0/4)";
	return NULL;
}

/* A unicast host address: not 0, not multicast, reserved or broadcast. */
static int ip_unicast(uint32_t ip)
{
	return ip_not_host(ip) == NULL;
}

/* A peer's own keys: a pubkey must be an Ed25519 point a signature can be
 * checked against (canonical, on the curve, not of small order: the all-zero
 * and all-ff keys are refused), an ip a host address, a mac a unicast one. */
static int peer_key(struct ctx *x, const struct key *k, const struct byz_config_peer *p,
		    const char *v)
{
	if (k->ty == T_HEX32) {
		if (!crypto_core_ed25519_is_valid_point(p->pk))
			return fail(x, "%s: not a usable Ed25519 public key (not a canonical "
				    "curve point, or of small order): '%s'", k->name, v);
	} else if (k->ty == T_IPV4) {
		const char *why = ip_not_host(p->ip);
		if (why)
			return fail(x, "%s: %s is %s, not a host address", k->name, v, why);
	} else if (k->ty == T_MAC) {
		static const uint8_t zero[6];
		if (p->mac[0] & 1)
			return fail(x, "%s: %s is a %s address (group bit set), not a station's",
				    k->name, v,
				    memcmp(p->mac, "\xff\xff\xff\xff\xff\xff", 6) ? "multicast"
										: "broadcast");
		if (!memcmp(p->mac, zero, 6))
			return fail(x, "%s: the all-zero address is not a station's", k->name);
	}
	return 0;
}

/* Keys of [port] that describe the subnet: remember their lines for the
 * checks that need self's address (byz_config_net). */
static int net_key(struct ctx *x, struct byz_config *c, const struct key *k, const char *v)
{
	if (!strcmp(k->name, "prefix") || !strcmp(k->name, "netmask")) {
		if (c->prefix_line)
			return fail(x, "%s: give prefix or netmask, not both", k->name);
		c->prefix_line = x->line;
	} else if (!strcmp(k->name, "gateway")) {
		if (!ip_unicast(c->gateway))
			return fail(x, "gateway: not a unicast address: '%s' is %s", v,
				    ip_not_host(c->gateway));
		c->gateway_line = x->line;
	} else if (!strcmp(k->name, "ip")) {
		if (!ip_unicast(c->port_ip))
			return fail(x, "ip: not a unicast address: '%s' is %s", v,
				    ip_not_host(c->port_ip));
		c->port_ip_line = x->line;
	}
	return 0;
}

static void eal_key(const struct ctx *x, struct byz_config *c, const struct key *k)
{
	if (!strcmp(k->name, "lcores"))
		c->lcores_line = x->line;
	else if (!strcmp(k->name, "dp_lcore"))
		c->dp_lcore_line = x->line;
	else if (!strcmp(k->name, "worker_lcores"))
		c->worker_lcores_line = x->line;
}

/* An EAL -l list ("0", "0-3", "0,2,5-7") into @p set; @p first gets the
 * lowest lcore, which the EAL makes the main lcore. -1 when malformed, -2
 * when an lcore is named twice. */
static int lcore_list(const char *v, uint8_t set[BYZ_CONFIG_MAX_LCORE], unsigned *first)
{
	memset(set, 0, BYZ_CONFIG_MAX_LCORE);
	unsigned lo_all = BYZ_CONFIG_MAX_LCORE;
	const char *p = v;
	for (;;) {
		unsigned a = 0, b;
		int nd = 0;
		for (; *p >= '0' && *p <= '9' && nd < 5; p++, nd++)
			a = a * 10u + (unsigned)(*p - '0');
		if (!nd || a >= BYZ_CONFIG_MAX_LCORE)
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			b = 0;
			nd = 0;
			for (; *p >= '0' && *p <= '9' && nd < 5; p++, nd++)
				b = b * 10u + (unsigned)(*p - '0');
			if (!nd || b >= BYZ_CONFIG_MAX_LCORE || b < a)
				return -1;
		}
		for (unsigned i = a; i <= b; i++) {
			if (set[i])
				return -2; /* named twice: the EAL would refuse or merge it */
			set[i] = 1;
		}
		if (a < lo_all)
			lo_all = a;
		if (*p == 0)
			break;
		if (*p++ != ',')
			return -1;
	}
	*first = lo_all;
	return 0;
}

/* worker_lcores: CenteredClip workers, each an lcore of lcores that runs
 * nothing else (not the main lcore, not dp_lcore); one lcore runs one loop. */
static int check_workers(struct ctx *x, struct byz_config *c, const uint8_t *set,
			 unsigned first)
{
	static uint8_t wset[BYZ_CONFIG_MAX_LCORE];
	unsigned wfirst;
	c->nworkers = 0;
	if (!c->worker_lcores_line)
		return 0;
	x->line = c->worker_lcores_line;
	int bad = lcore_list(c->worker_lcores, wset, &wfirst);
	if (bad == -2)
		return fail(x, "worker_lcores: an lcore is named twice in '%s'", c->worker_lcores);
	if (bad)
		return fail(x, "worker_lcores: expected a list of lcores or ascending ranges "
			    "such as '2,3' or '2-5' (each below %u): '%s'", BYZ_CONFIG_MAX_LCORE,
			    c->worker_lcores);
	for (unsigned l = 0; l < BYZ_CONFIG_MAX_LCORE; l++) {
		if (!wset[l])
			continue;
		if (!set[l])
			return fail(x, "worker_lcores: lcore %u is not in [eal] lcores '%s' (the EAL "
				    "starts only those)", l, c->lcores);
		if (l == first)
			return fail(x, "worker_lcores: lcore %u is the main lcore (the first of "
				    "[eal] lcores '%s'), which runs the control thread", l,
				    c->lcores);
		if (c->dp_lcore_line && l == c->dp_lcore)
			return fail(x, "worker_lcores: lcore %u is dp_lcore, which runs the "
				    "dataplane loop: one lcore runs one loop", l);
		if (c->nworkers == BYZ_CONFIG_MAX_WORKERS)
			return fail(x, "worker_lcores: more than %u workers in '%s'",
				    BYZ_CONFIG_MAX_WORKERS, c->worker_lcores);
		c->worker[c->nworkers++] = l;
	}
	return 0;
}

/* lcores must be a well-formed list whether or not dp_lcore is given (the EAL
 * gets it as -l); dp_lcore must be a worker: in lcores and not the main lcore. */
static int check_lcores(struct ctx *x, struct byz_config *c)
{
	static uint8_t set[BYZ_CONFIG_MAX_LCORE];
	unsigned first;
	c->main_lcore = -1;
	int bad = lcore_list(c->lcores, set, &first);
	if (bad) {
		x->line = c->lcores_line;
		if (bad == -2)
			return fail(x, "lcores: an lcore is named twice in '%s'", c->lcores);
		return fail(x, "lcores: expected a list of lcores or ascending ranges such as "
			    "'0-1' or '0,2,4-7' (each below %u): '%s'", BYZ_CONFIG_MAX_LCORE,
			    c->lcores);
	}
	c->main_lcore = (int)first;
	if (c->dp_lcore_line) {
		x->line = c->dp_lcore_line;
		if (!set[c->dp_lcore])
			return fail(x, "dp_lcore %u is not in [eal] lcores '%s'", c->dp_lcore,
				    c->lcores);
		if (c->dp_lcore == first)
			return fail(x, "dp_lcore %u is the main lcore (the first of [eal] lcores "
				    "'%s'), which runs the control thread: name another lcore of "
				    "the list", c->dp_lcore, c->lcores);
	}
	return check_workers(x, c, set, first);
}

static int set_value(struct ctx *x, struct byz_config *c, const struct key *k, void *base,
		     const char *v)
{
	uint8_t *dst = (uint8_t *)base + k->off;
	uint64_t u;
	switch (k->ty) {
	case T_MASK: {
		struct in_addr a;
		if (inet_pton(AF_INET, v, &a) != 1)
			return fail(x, "%s: not a dotted IPv4 netmask: '%s'", k->name, v);
		uint32_t m = ntohl(a.s_addr), pl = 0;
		while (pl < 32 && (m & (0x80000000u >> pl)))
			pl++;
		if (pl == 0 || (pl < 32 && (m << pl) != 0))
			return fail(x, "%s: not a contiguous netmask: '%s'", k->name, v);
		memcpy(dst, &pl, 4);
		return 0;
	}
	case T_ARP: {
		int b;
		if (!strcmp(v, "auto"))
			b = BYZ_CONFIG_ARP_AUTO;
		else if (parse_bool(v, &b))
			return fail(x, "%s: expected auto, yes or no: '%s'", k->name, v);
		memcpy(dst, &b, sizeof(b));
		return 0;
	}
	case T_VALID: {
		uint32_t m;
		if (!strcmp(v, "exact"))
			m = BYZ_VALIDATE_EXACT;
		else if (!strcmp(v, "tolerance"))
			m = BYZ_VALIDATE_TOLERANCE;
		else
			return fail(x, "%s: expected exact or tolerance: '%s'", k->name, v);
		memcpy(dst, &m, sizeof(m));
		return 0;
	}
	case T_HASH: {
		enum byz_leaf_alg a;
		if (!strcmp(v, "auto"))
			return fail(x, "%s: 'auto' is for benchmarks; a run names blake2b or sha256 "
				    "so that every peer uses the same", k->name);
		if (byz_leaf_alg_parse(v, &a))
			return fail(x, "%s: expected blake2b or sha256: '%s'", k->name, v);
		uint32_t w = (uint32_t)a;
		memcpy(dst, &w, 4);
		return 0;
	}
	case T_HEX32: {
		size_t bl = 0;
		if (strlen(v) != 64 || sodium_hex2bin(dst, 32, v, 64, NULL, &bl, NULL) || bl != 32)
			return fail(x, "%s: expected 64 hex digits", k->name);
		return 0;
	}
	case T_STR:
		if (strlen(v) >= k->size)
			return fail(x, "%s: longer than %zu characters", k->name, k->size - 1);
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case T_LIST: {
		unsigned *cnt = k->size == 128 ? &c->nvdev : &c->npci;
		if (*cnt >= BYZ_CONFIG_MAX_DEVS)
			return fail(x, "%s: more than %u entries", k->name, BYZ_CONFIG_MAX_DEVS);
		if (strlen(v) >= k->size)
			return fail(x, "%s: longer than %zu characters", k->name, k->size - 1);
		memcpy(dst + (size_t)*cnt * k->size, v, strlen(v) + 1);
		(*cnt)++;
		return 0;
	}
	case T_U64:
	case T_U32:
	case T_U16:
		if (parse_u64(v, &u) || (double)u < k->lo || (double)u > k->hi)
			return fail(x, "%s: not an integer in [%.0f, %.0f]: '%s'", k->name, k->lo,
				    k->hi, v);
		if (k->ty == T_U64)
			memcpy(dst, &u, 8);
		else if (k->ty == T_U32) {
			uint32_t w = (uint32_t)u;
			memcpy(dst, &w, 4);
		} else {
			uint16_t w = (uint16_t)u;
			memcpy(dst, &w, 2);
		}
		return 0;
	case T_DBL: {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (!*v || *end || errno || !isfinite(d) || d < k->lo || d > k->hi)
			return fail(x, "%s: not a positive finite number: '%s'", k->name, v);
		if (k->size == sizeof(float)) {
			float f = (float)d;
			memcpy(dst, &f, sizeof(f));
		} else {
			memcpy(dst, &d, sizeof(d));
		}
		return 0;
	}
	case T_BOOL: {
		int b;
		if (parse_bool(v, &b))
			return fail(x, "%s: expected yes/no, true/false, on/off or 1/0: '%s'",
				    k->name, v);
		memcpy(dst, &b, sizeof(b));
		return 0;
	}
	case T_IPV4: {
		struct in_addr a;
		if (inet_pton(AF_INET, v, &a) != 1)
			return fail(x, "%s: not a dotted IPv4 address: '%s'", k->name, v);
		uint32_t ip = ntohl(a.s_addr);
		memcpy(dst, &ip, 4);
		return 0;
	}
	case T_MAC:
		if (parse_mac(v, dst))
			return fail(x, "%s: expected xx:xx:xx:xx:xx:xx: '%s'", k->name, v);
		((struct byz_config_peer *)base)->has_mac = 1;
		return 0;
	case T_SRC:
		for (unsigned i = 0; i < N_SRC; i++)
			if (!strcmp(v, src_names[i])) {
				c->source = (enum byz_grad_source)i;
				return 0;
			}
		return fail(x, "%s: expected toy, softmax, mlp or synthetic: '%s'", k->name, v);
	}
	return fail(x, "%s: internal: unknown type", k->name);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
		s[--l] = 0;
	return s;
}

static int names_vdev(const struct byz_config *c, const char *name);

/* A [peer] port must be a device the EAL brings up: [port] name, an [eal]
 * vdev or an [eal] pci address. */
static int check_peer_port(struct ctx *x, const struct byz_config *c, uint32_t p)
{
	const char *pn = c->peers[p].port;
	if (!pn[0] || !strcmp(pn, c->port) || names_vdev(c, pn))
		return 0;
	for (unsigned i = 0; i < c->npci; i++)
		if (!strcmp(c->pci[i], pn))
			return 0;
	x->line = c->peers[p].line;
	return fail(x, "[peer] %u: port '%s' is neither [port] name nor an [eal] vdev or pci "
		    "device", p, pn);
}

static int check_done(struct ctx *x, struct byz_config *c, const uint8_t *seen,
		      const uint8_t *pseen)
{
	x->line = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && keys[i].sec != S_PEER && !seen[i])
			return fail(x, "missing required key '%s' in [%s]", keys[i].name,
				    sec_name[keys[i].sec]);
	if (c->n < 2)
		return fail(x, "need at least 2 [peer] sections (found %u)", c->n);
	for (uint32_t p = 0; p < c->n; p++) {
		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].required && keys[i].sec == S_PEER &&
			    !pseen[p * NKEYS + i]) {
				x->line = c->peers[p].line;
				return fail(x, "[peer] %u: missing required key '%s'", p,
					    keys[i].name);
			}
		for (uint32_t q = 0; q < p; q++) {
			x->line = c->peers[p].line;
			if (!memcmp(c->peers[p].pk, c->peers[q].pk, 32))
				return fail(x, "[peer] %u has the same pubkey as [peer] %u", p, q);
			uint16_t up = c->peers[p].udp_port ? c->peers[p].udp_port : c->udp_port;
			uint16_t uq = c->peers[q].udp_port ? c->peers[q].udp_port : c->udp_port;
			if (c->peers[p].ip == c->peers[q].ip && up == uq)
				return fail(x, "[peer] %u has the same address as [peer] %u", p, q);
		}
	}
	x->line = 0;
	if (c->rto_max_us < c->rto_us)
		return fail(x, "[channel] rto_max_us (%llu) is below rto_us (%llu)",
			    (unsigned long long)c->rto_max_us, (unsigned long long)c->rto_us);
	if (c->no_pci && c->npci)
		return fail(x, "[eal] pci devices given together with no_pci = yes");
	if (c->late_us_line && c->phase_us_line && c->late_us * 2 >= c->phase_us) {
		/* Delta is the delivery bound inside a phase: D > 2 Delta at least */
		x->line = c->late_us_line;
		return fail(x, "late_us (%llu) must be below half of phase_us (%llu)",
			    (unsigned long long)c->late_us, (unsigned long long)c->phase_us);
	}
	if (c->fingerprint_line && (c->source == BYZ_GRAD_TOY || c->source == BYZ_GRAD_SYNTHETIC)) {
		x->line = c->fingerprint_line;
		return fail(x, "fingerprint: applies to the built-in models (source = softmax "
			    "or mlp), not to source = %s", byz_grad_source_name(c->source));
	}
	return check_lcores(x, c);
}

int byz_config_parse(const char *text, size_t len, const char *name, struct byz_config *c,
		     char *why, size_t whylen)
{
	struct ctx x = {.name = name ? name : "config", .why = why, .whylen = whylen};
	if (why && whylen)
		why[0] = 0;
	if (!text || !c)
		return fail(&x, "no input");
	if (len > BYZ_CONFIG_MAX_BYTES) {
		fail(&x, "larger than %u bytes", BYZ_CONFIG_MAX_BYTES);
		return -ERANGE;
	}
	byz_config_defaults(c);
	static uint8_t pseen[BYZ_CONFIG_MAX_PEERS * NKEYS];
	uint8_t seen[NKEYS] = {0};
	memset(pseen, 0, sizeof(pseen));
	enum sec cur = S_RUN;
	char line[BYZ_CONFIG_MAX_LINE + 2];
	size_t pos = 0;
	/* A UTF-8 byte-order mark, as some editors write, is skipped (docs/byzd.md). */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len) {
		x.line++;
		size_t e = pos;
		while (e < len && text[e] != '\n')
			e++;
		size_t ll = e - pos;
		if (ll > BYZ_CONFIG_MAX_LINE)
			return fail(&x, "line longer than %u characters", BYZ_CONFIG_MAX_LINE);
		if (memchr(text + pos, 0, ll))
			return fail(&x, "NUL byte in line");
		memcpy(line, text + pos, ll);
		line[ll] = 0;
		pos = e + 1;
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
				return fail(&x, "control character 0x%02x in line", (unsigned)*p);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || *trim(close + 1))
				return fail(&x, "malformed section header '%s'", s);
			*close = 0;
			char *sn = trim(s + 1);
			int found = -1;
			for (int i = 0; i < S_COUNT; i++)
				if (!strcmp(sn, sec_name[i]))
					found = i;
			if (found < 0)
				return fail(&x, "unknown section [%s] (known: run, eal, port, "
						"protocol, gradient, channel, peer)", sn);
			cur = (enum sec)found;
			if (cur == S_PEER) {
				if (c->n >= BYZ_CONFIG_MAX_PEERS)
					return fail(&x, "more than %u [peer] sections",
						    BYZ_CONFIG_MAX_PEERS);
				c->peers[c->n].line = x.line;
				c->n++;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq)
			return fail(&x, "expected 'key = value', got '%s'", s);
		*eq = 0;
		char *k = trim(s), *v = trim(eq + 1);
		if (!*k)
			return fail(&x, "missing key before '='");
		if (!*v)
			return fail(&x, "%s: missing value", k);
		const struct key *key = NULL;
		size_t ki = 0;
		for (; ki < NKEYS; ki++)
			if (keys[ki].sec == cur && !strcmp(keys[ki].name, k)) {
				key = &keys[ki];
				break;
			}
		if (!key)
			return fail(&x, "unknown key '%s' in [%s]", k, sec_name[cur]);
		uint8_t *sn = cur == S_PEER ? &pseen[(c->n - 1) * NKEYS + ki] : &seen[ki];
		if (*sn && key->ty != T_LIST)
			return fail(&x, "duplicate key '%s' in [%s]", k, sec_name[cur]);
		*sn = 1;
		void *base = cur == S_PEER ? (void *)&c->peers[c->n - 1] : (void *)c;
		int r = set_value(&x, c, key, base, v);
		if (!r && cur == S_PORT)
			r = net_key(&x, c, key, v);
		if (!r && cur == S_EAL)
			eal_key(&x, c, key);
		if (!r && cur == S_PROTO && !strcmp(key->name, "phase_us"))
			c->phase_us_line = x.line; /* given: not derived from d */
		if (!r && cur == S_PROTO && !strcmp(key->name, "late_us"))
			c->late_us_line = x.line;
		if (!r && cur == S_GRAD && !strcmp(key->name, "fingerprint"))
			c->fingerprint_line = x.line; /* byzd compares it with its own */
		if (!r && cur == S_PEER)
			r = peer_key(&x, key, &c->peers[c->n - 1], v);
		if (r)
			return r;
	}
	return check_done(&x, c, seen, pseen);
}

/* Is @p name one of the [eal] vdevs ("net_ring0" of "net_ring0,x=y")? */
static int names_vdev(const struct byz_config *c, const char *name)
{
	size_t pl = strlen(name);
	for (unsigned i = 0; i < c->nvdev; i++)
		if (!strncmp(c->vdev[i], name, pl) &&
		    (c->vdev[i][pl] == 0 || c->vdev[i][pl] == ','))
			return 1;
	return 0;
}

/* Is [port] name one of the [eal] vdevs? */
static int port_is_vdev(const struct byz_config *c)
{
	if (names_vdev(c, c->port))
		return 1;
	/* a vdev made by the port itself (rte_eth_from_rings) has no [eal] entry */
	return !strncmp(c->port, "net_", 4);
}

static int same_net(uint32_t a, uint32_t b, unsigned prefix)
{
	uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
	return ((a ^ b) & mask) == 0;
}

static void ip_str(uint32_t ip, char *b, size_t n)
{
	snprintf(b, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

int byz_config_net(const struct byz_config *c, uint32_t self, const char *name,
		   struct byz_config_net *out, char *why, size_t whylen)
{
	struct ctx x = {.name = name ? name : "config", .why = why, .whylen = whylen};
	if (why && whylen)
		why[0] = 0;
	if (!c || !out || self >= c->n)
		return fail(&x, "no config or no such peer");
	memset(out, 0, sizeof(*out));
	uint32_t me = c->peers[self].ip;
	char a[16], b[16];
	if (c->port_ip_line && c->port_ip != me) {
		x.line = c->port_ip_line;
		ip_str(c->port_ip, a, sizeof(a));
		ip_str(me, b, sizeof(b));
		return fail(&x, "[port] ip %s is not this node's [peer] ip %s (line %u)", a, b,
			    c->peers[self].line);
	}
	/* [peer] port names a device of ours, except on our own row */
	for (uint32_t j = 0; j < c->n; j++) {
		int r = j == self ? 0 : check_peer_port(&x, c, j);
		if (r)
			return r;
	}
	out->vdev = port_is_vdev(c);
	out->arp = c->arp == BYZ_CONFIG_ARP_YES || (c->arp == BYZ_CONFIG_ARP_AUTO && !out->vdev);
	out->prefix = c->prefix_line ? (uint8_t)c->prefix : 0;
	out->gateway = c->gateway;
	if (c->gateway_line) {
		x.line = c->gateway_line;
		ip_str(c->gateway, a, sizeof(a));
		ip_str(me, b, sizeof(b));
		if (!c->prefix_line)
			return fail(&x, "gateway %s needs a prefix or netmask in [port]", a);
		if (c->gateway == me)
			return fail(&x, "gateway %s is this node's own address", a);
		if (!same_net(c->gateway, me, c->prefix))
			return fail(&x, "gateway %s is not on this node's subnet %s/%u", a, b,
				    c->prefix);
	}
	/* With the subnet known, its broadcast address is no peer's (for /31 and
	 * /32 every address is a host, RFC 3021). */
	if (c->prefix_line && c->prefix <= 30) {
		uint32_t host = ~0u >> c->prefix;
		for (uint32_t i = 0; i < c->n; i++)
			if (same_net(c->peers[i].ip, me, c->prefix) &&
			    (c->peers[i].ip & host) == host) {
				x.line = c->peers[i].line;
				ip_str(c->peers[i].ip, a, sizeof(a));
				return fail(&x, "[peer] %u: %s is the broadcast address of this "
					    "node's subnet /%u", i, a, c->prefix);
			}
	}
	if (!out->arp)
		return 0;
	for (uint32_t i = 0; i < c->n; i++) {
		if (i == self || c->peers[i].has_mac)
			continue;
		x.line = c->peers[i].line;
		ip_str(c->peers[i].ip, a, sizeof(a));
		if (!c->prefix_line)
			return fail(&x, "[peer] %u has no mac and ARP is on: give [port] prefix or "
				    "netmask (or a mac)", i);
		if (!same_net(c->peers[i].ip, me, c->prefix) && !c->gateway_line) {
			ip_str(me, b, sizeof(b));
			return fail(&x, "[peer] %u: %s is outside %s/%u and [port] has no gateway",
				    i, a, b, c->prefix);
		}
		out->dyn[i] = 1;
		out->n_dyn++;
	}
	return 0;
}

int byz_config_load(const char *path, struct byz_config *c, char *why, size_t whylen)
{
	struct ctx x = {.name = path ? path : "(null)", .why = why, .whylen = whylen};
	if (!path)
		return fail(&x, "no file name");
	struct stat st;
	char err[96];
	int fd = byz_file_open_regular(path, 0, &st, err, sizeof(err));
	if (fd < 0) {
		fail(&x, "%s", err);
		return fd == -EBADMSG ? -EINVAL : fd;
	}
	if (st.st_size > (off_t)BYZ_CONFIG_MAX_BYTES) {
		close(fd);
		fail(&x, "larger than %u bytes", BYZ_CONFIG_MAX_BYTES);
		return -ERANGE;
	}
	size_t cap = (size_t)st.st_size + 1, got = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return fail(&x, "out of memory");
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			fail(&x, "read: %s", strerror(e));
			return -e;
		}
		if (r == 0 || (got += (size_t)r) == cap)
			break;
	}
	close(fd);
	int r = got == cap ? (fail(&x, "file grew while reading"), -ERANGE)
			   : byz_config_parse(buf, got, path, c, why, whylen);
	free(buf);
	return r;
}
