/*
 * DESIGN: byz-bench flood, a hostile roster member flooding one node's
 * dataplane from a process of its own over memif (docs/security.md, Floods).
 *
 * The flooder opens one memif port (client by default: it connects to the
 * socket of a node's memif vdev) and sends, as fast as the ring takes them,
 * bursts of 32 frames in a fixed mix of classes: random bytes, truncated
 * frames, bad CRCs, valid frames from ids outside the roster, frames naming
 * an honest member from the flooder's own address, replays of captured
 * honest frames (--replay, a pcap file), and well-formed CONTROL fragments
 * of the node's channel carrying garbage or wrongly-signed protocol
 * messages in the flooder's own name. Each class is what one drop counter
 * of the node accounts for.
 *
 * A frame the ring refuses (full) is kept and offered again, in order: the
 * counts sent are exact, and the channel fragments keep consecutive
 * sequence numbers (a gap would stall the channel, not test it). Refusals
 * are counted apart. The flood stops after --frames frames or --duration
 * seconds, whichever comes first (a burst still refused 1 s after that is
 * dropped and reported unsent: the node stopped reading); what the node sends us is read and
 * dropped all along so its TX towards us never backs up.
 *
 * Frames are built with byz_frame_build (byz/frame.h) and the channel
 * layout of control/node/chan.h, so they follow the wire format.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <sodium.h>

#include "bench_util.h"
#include "byz/dp.h"
#include "byz/frame.h"
#include "byz/hash.h"
#if __has_include("byz/auth.h")
/* Frame tags (byz/auth.h, frame header v2): this member seals its own
 * frames with its pair key towards the victim, and a forged-tag class is
 * added. Built either way until every tree has the header. */
#define FL_AUTH 1
#include "byz/auth.h"
#include "byz/ident.h"
#else
#define FL_AUTH 0
#endif
#include "byz/vport.h"
#include "byz/wire.h"
#include "chan.h"

int bench_flood_main(int argc, char **argv);

enum fl_cls { F_RANDOM, F_TRUNC, F_BADCRC, F_UNKNOWN, F_SPOOF, F_REPLAY, F_GARBAGE, F_BADSIG,
	      F_FORGE, F_N };
static const char *const fl_name[F_N] = {"random",      "truncated",   "bad-crc",
					 "unknown-src", "spoofed-src", "replay",
					 "garbage-msg", "bad-sig",     "forged-tag"};
/* A round of 32 frames (the in-process node-flood test's mix): mostly cheap
 * junk, 2 messages that cost the node a signature check, 1 garbage one. */
static const uint8_t fl_pattern[32] = {
	F_RANDOM, F_TRUNC, F_BADCRC, F_UNKNOWN, F_SPOOF, F_REPLAY, F_RANDOM, F_TRUNC,
	F_BADCRC, F_UNKNOWN, F_SPOOF, F_REPLAY, F_BADSIG, F_RANDOM, F_TRUNC, F_BADCRC,
	F_UNKNOWN, F_SPOOF, F_REPLAY, F_RANDOM, F_TRUNC, F_BADCRC, F_UNKNOWN, F_SPOOF,
#if FL_AUTH /* an honest id from its own address: only the tag tells */
	F_REPLAY, F_GARBAGE, F_FORGE, F_TRUNC, F_BADCRC, F_REPLAY, F_BADSIG, F_FORGE,
#else
	F_REPLAY, F_GARBAGE, F_RANDOM, F_TRUNC, F_BADCRC, F_REPLAY, F_BADSIG, F_RANDOM,
#endif
};

#define FL_FRAME_MAX 1514u /* a memif port carries a 1500-byte IP MTU */
#define FL_REPLAY_MAX 4096u

struct fl {
	const char *socket, *role, *replay, *csv, *leaf_hash, *key_file, *victim_pk;
	int no_auth;
	uint8_t cfg_run_id[32]; /* as configured: the frame keys bind it */
	uint8_t key[32];        /* FL_AUTH: our frame key towards the victim */
	int sealed;
	uint64_t ctr;
	uint8_t run_id[32];
	int have_run_id;
	uint16_t peers, self, victim, honest;
	int honest_set, wait_stdin, busy;
	uint64_t frames, seed;
	double duration, connect_s;
	/* state */
	struct byz_vport vp;
	struct rte_mempool *pool;
	struct byz_l2l3 a;
	uint32_t session, chan_seq;
	uint64_t src_inc, rng, turn;
	uint8_t (*cap)[FL_FRAME_MAX];
	uint16_t *caplen;
	unsigned ncap;
	uint8_t *msg[3]; /* garbage, FETCH signed by a stranger, FETCH with a zero signature */
	size_t msglen[3];
	uint64_t sent[F_N], refused, rx_frames, nombuf;
	uint64_t unsent; /* built but still refused 1 s after the deadline (node gone) */
};

static volatile sig_atomic_t fl_stop;

static void fl_on_signal(int s)
{
	(void)s;
	fl_stop = 1;
}

static void fl_usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench flood --transport memif --socket PATH --run-id HEX --peers N\n"
"                       --self I --victim J [options]\n"
"\n"
"A hostile roster member I floods node J's dataplane over one memif link at\n"
"full rate with random, truncated, bad-CRC, unknown-source, spoofed-source\n"
"and replayed frames and with garbage and wrongly-signed channel messages.\n"
"Addresses are the default roster's (10.0.0.1+i, MAC 02:62:79:7a:hi:lo).\n"
"\n"
"  --transport memif   the only transport (a node's net_memif vdev)\n"
"  --socket PATH       the memif control socket (not abstract)\n"
"  --role client|server  our memif role (default client: the node serves)\n"
"  --run-id HEX        [run] run_id of the node's config, 64 hex digits\n"
"  --leaf-hash ALG     [run] leaf_hash: blake2b (default) or sha256; it is bound\n"
"                      into the run id on the wire (byz_leaf_run_id)\n"
"  --peers N           roster size (3..1024)\n"
"  --self I            the hostile member's index: source of our own frames\n"
"  --victim J          the node flooded\n"
"  --honest K          whose name spoofed frames and forged messages use\n"
"                      (default: the lowest index that is neither I nor J)\n"
"  --replay FILE       a pcap (Ethernet) of honest frames to J to replay, read once\n"
"                      connected (after the start line); without it the replay\n"
"                      class is left out\n"
"  --frames N          stop after N frames (default 1000000)\n"
"  --duration SEC      stop after SEC seconds (default 10; a burst the ring still\n"
"                      refuses 1 s later is dropped and reported unsent)\n"
"  --connect-timeout SEC  wait this long for the link (default 30)\n"
"  --seed S            frame contents (default 1)\n"
"  --wait-stdin        connect, then wait for a line on stdin before flooding;\n"
"                      after it, wait for end of file on stdin before closing\n"
"                      (scripts and tests that sequence several processes)\n"
"  --busy              never sleep when the ring is full (default: back off)\n"
#if FL_AUTH
"  --key-file FILE     the member's secret key (byz-keygen): its own frames carry\n"
"                      valid tags, so its messages reach the node's channel\n"
"  --victim-pubkey HEX the node's public key (its .pub file's hex)\n"
"  --no-auth           the node runs without frame tags (auth_off)\n"
#endif
"  --csv FILE          class,sent rows (and refused, rx) for scripts\n");
}

static uint64_t fl_rnd(struct fl *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

static int fl_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((ch | 32) >= 'a' && (ch | 32) <= 'f')
		return (ch | 32) - 'a' + 10;
	return -1;
}

static int fl_hex(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = fl_nibble(s[2 * i]), lo = fl_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static uint32_t fl_rd32(const uint8_t *p, int swap)
{
	uint32_t v = byz_le32_get(p);
	return swap ? __builtin_bswap32(v) : v;
}

/* A pcap file of Ethernet frames: every length checked against the file
 * and our limits; records over FL_FRAME_MAX are refused, not cut. */
static int fl_load_pcap(struct fl *f, char *why, size_t wl)
{
	FILE *fp = fopen(f->replay, "rb");
	uint8_t gh[24], rh[16];
	if (!fp) {
		snprintf(why, wl, "%s: %s", f->replay, strerror(errno));
		return -1;
	}
	int rc = -1;
	if (fread(gh, 1, 24, fp) != 24) {
		snprintf(why, wl, "%s: shorter than a pcap header", f->replay);
		goto out;
	}
	uint32_t magic = byz_le32_get(gh);
	int swap;
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = 1;
	else {
		snprintf(why, wl, "%s: not a pcap file (magic %08x)", f->replay, magic);
		goto out;
	}
	if (fl_rd32(gh + 20, swap) != 1) {
		snprintf(why, wl, "%s: link type %u, want 1 (Ethernet)", f->replay,
			 fl_rd32(gh + 20, swap));
		goto out;
	}
	f->cap = malloc((size_t)FL_REPLAY_MAX * FL_FRAME_MAX);
	f->caplen = malloc(FL_REPLAY_MAX * sizeof(*f->caplen));
	if (!f->cap || !f->caplen) {
		snprintf(why, wl, "out of memory");
		goto out;
	}
	for (;;) {
		size_t got = fread(rh, 1, 16, fp);
		if (got == 0)
			break;
		if (got != 16) {
			snprintf(why, wl, "%s: record %u: truncated header", f->replay, f->ncap);
			goto out;
		}
		uint32_t incl = fl_rd32(rh + 8, swap);
		if (incl < BYZ_ETH_HLEN || incl > FL_FRAME_MAX) {
			snprintf(why, wl, "%s: record %u: length %u outside %u..%u", f->replay, f->ncap,
				 incl, BYZ_ETH_HLEN, FL_FRAME_MAX);
			goto out;
		}
		if (f->ncap == FL_REPLAY_MAX) {
			snprintf(why, wl, "%s: more than %u records", f->replay, FL_REPLAY_MAX);
			goto out;
		}
		if (fread(f->cap[f->ncap], 1, incl, fp) != incl) {
			snprintf(why, wl, "%s: record %u: truncated", f->replay, f->ncap);
			goto out;
		}
		f->caplen[f->ncap++] = (uint16_t)incl;
	}
	if (!f->ncap) {
		snprintf(why, wl, "%s: no records", f->replay);
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

/* A valid CONTROL frame from @p src at @p src_ip carrying @p p; its length. */
static int fl_build(struct fl *f, uint8_t *out, uint16_t src, uint32_t src_ip, const uint8_t *p,
		    uint32_t plen)
{
	struct byz_l2l3 a = f->a;
	a.src_ip = src_ip;
	struct byz_hdr h = {.version = BYZ_FRAME_VERSION, .type = BYZ_T_CONTROL,
			    .kind = BYZ_K_NONE, .src = src, .dst = f->victim,
			    .session = f->session, .ts = f->turn};
#if FL_AUTH
	h.ctr = ++f->ctr; /* never reused under our key */
#endif
	return byz_frame_build(out, FL_FRAME_MAX, &a, &h, p, plen);
}

/* A channel DATA fragment holding the whole message @p m (chan.h). */
static uint32_t fl_chan_frag(const struct fl *f, uint8_t *p, uint32_t seq, const uint8_t *m,
			     size_t len)
{
	p[0] = CHAN_VERSION;
	p[1] = CHAN_T_DATA;
	p[2] = CHAN_F_FIRST | CHAN_F_LAST;
	p[3] = 0;
	byz_le32_put(p + 4, seq);
	byz_le32_put(p + 8, (uint32_t)len);
	byz_le32_put(p + 12, 0);
	byz_le64_put(p + 16, f->src_inc);
	byz_le64_put(p + 24, 0); /* the node's incarnation: not known */
	memcpy(p + CHAN_HDR_LEN, m, len);
	return (uint32_t)(CHAN_HDR_LEN + len);
}

/* @return the frame length, or -1 on a builder error (a bug here) */
static int fl_make(struct fl *f, uint8_t *d, enum fl_cls c)
{
	uint8_t pl[FL_FRAME_MAX];
	uint32_t own_ip = byz_dp_peer_ip(f->self);
	int len = 0;
	switch (c) {
	case F_RANDOM:
		len = 1 + (int)(fl_rnd(f) % FL_FRAME_MAX);
		for (int i = 0; i < len; i++)
			d[i] = (uint8_t)fl_rnd(f);
		break;
	case F_TRUNC:
	case F_BADCRC: {
		uint32_t pn = 16 + (uint32_t)(fl_rnd(f) % 200);
		for (uint32_t i = 0; i < pn; i++)
			pl[i] = (uint8_t)fl_rnd(f);
		len = fl_build(f, d, f->self, own_ip, pl, pn);
		if (len <= 1)
			return -1;
		if (c == F_TRUNC)
			len = 1 + (int)(fl_rnd(f) % (uint64_t)(len - 1));
		else
			d[BYZ_PAYLOAD_OFF + fl_rnd(f) % pn] ^= (uint8_t)(1u << (fl_rnd(f) % 8));
		break;
	}
	case F_UNKNOWN: {
		uint32_t pn = fl_chan_frag(f, pl, 0, (const uint8_t *)"x", 1);
		uint16_t src = (uint16_t)(f->peers + fl_rnd(f) % 32);
		if (src >= BYZ_PEERS_MAX)
			src = (uint16_t)(BYZ_PEERS_MAX - 1);
		len = fl_build(f, d, src, byz_dp_peer_ip(src), pl, pn);
		break;
	}
	case F_SPOOF: {
		uint32_t pn = fl_chan_frag(f, pl, 0, (const uint8_t *)"x", 1);
		len = fl_build(f, d, f->honest, own_ip, pl, pn);
		break;
	}
	case F_REPLAY: {
		unsigned k = (unsigned)(fl_rnd(f) % f->ncap);
		len = f->caplen[k];
		memcpy(d, f->cap[k], (size_t)len);
		break;
	}
	case F_GARBAGE:
	case F_BADSIG: {
		unsigned k = c == F_GARBAGE ? 0 : 1 + (unsigned)(fl_rnd(f) & 1);
		uint32_t pn = fl_chan_frag(f, pl, f->chan_seq++, f->msg[k], f->msglen[k]);
		len = fl_build(f, d, f->self, own_ip, pl, pn);
#if FL_AUTH
		if (len > 0 && f->sealed && byz_frame_seal(d, (size_t)len, f->key))
			return -1;
#endif
		break;
	}
	case F_FORGE: {
#if FL_AUTH
		uint32_t pn = fl_chan_frag(f, pl, (uint32_t)fl_rnd(f), (const uint8_t *)"x", 1);
		len = fl_build(f, d, f->honest, byz_dp_peer_ip(f->honest), pl, pn);
		for (unsigned i = 0; len > 0 && i < BYZ_TAG_LEN; i++)
			d[BYZ_HDR_OFF + BYZ_HO_TAG + i] = (uint8_t)fl_rnd(f);
#endif
		break;
	}
	default:
		return -1;
	}
	return len;
}

static int fl_messages(struct fl *f)
{
	uint8_t pl[64], pk[32], sk[64];
	size_t pn = byz_wire_put_fetch(pl, BYZ_FETCH_PART, f->honest, 0, 1);
	f->msglen[0] = 120;
	f->msg[0] = malloc(f->msglen[0]);
	if (!pn || !f->msg[0])
		return -1;
	for (size_t i = 0; i < f->msglen[0]; i++)
		f->msg[0][i] = (uint8_t)fl_rnd(f);
	f->msg[0][0] = 0xff; /* no wire version is 0xff: never parses */
	/* In an honest member's name (a FETCH is checked whatever the step),
	 * signed by a key that is not theirs; then the same with a zero
	 * signature. */
	crypto_sign_keypair(pk, sk);
	int r = byz_wire_seal(BYZ_MSG_FETCH, f->honest, f->victim, 0, 1, f->run_id, pl,
			      (uint32_t)pn, sk, &f->msg[1], &f->msglen[1]);
	sodium_memzero(sk, sizeof(sk));
	if (r || !(f->msg[2] = malloc(f->msglen[1])))
		return -1;
	memcpy(f->msg[2], f->msg[1], f->msglen[1]);
	f->msglen[2] = f->msglen[1];
	memset(f->msg[2] + f->msglen[2] - BYZ_WIRE_SIG_LEN, 0, BYZ_WIRE_SIG_LEN);
	return 0;
}

static void fl_drain(struct fl *f)
{
	struct rte_mbuf *m[BYZ_DP_BURST];
	uint16_t got;
	while ((got = rte_eth_rx_burst(f->vp.port, 0, m, BYZ_DP_BURST)) > 0) {
		f->rx_frames += got;
		rte_pktmbuf_free_bulk(m, got);
	}
}

static uint64_t fl_total(const struct fl *f)
{
	uint64_t t = 0;
	for (int c = 0; c < F_N; c++)
		t += f->sent[c];
	return t;
}

/* The flood loop; returns its seconds. */
static double fl_run(struct fl *f)
{
	struct rte_mbuf *m[BYZ_DP_BURST];
	uint8_t cls[BYZ_DP_BURST];
	unsigned npend = 0, off = 0, idle = 0, pi = 0;
	double t0 = bench_now(), t_end = t0 + f->duration;
	uint64_t total = 0;
	while (!fl_stop && (total < f->frames || npend) && (bench_now() < t_end || npend)) {
		fl_drain(f);
		if (!npend) {
			uint64_t left = f->frames - total;
			unsigned b = left < BYZ_DP_BURST ? (unsigned)left : BYZ_DP_BURST;
			if (rte_pktmbuf_alloc_bulk(f->pool, m, b)) {
				f->nombuf++;
				usleep(50);
				continue;
			}
			for (unsigned i = 0; i < b; i++) {
				enum fl_cls c;
				do /* the replay class only with a capture */
					c = (enum fl_cls)fl_pattern[pi++ % 32u];
				while (c == F_REPLAY && !f->ncap);
				int len = fl_make(f, rte_pktmbuf_mtod(m[i], uint8_t *), c);
				if (len <= 0) {
					fprintf(stderr, "byz-bench flood: cannot build a %s frame\n",
						fl_name[c]);
					rte_pktmbuf_free_bulk(m, b);
					return -1;
				}
				m[i]->data_len = (uint16_t)len;
				m[i]->pkt_len = (uint32_t)len;
				cls[i] = (uint8_t)c;
			}
			npend = b;
			off = 0;
			f->turn++;
		}
		uint16_t tx = rte_eth_tx_burst(f->vp.port, 0, m + off, (uint16_t)(npend - off));
		for (uint16_t i = 0; i < tx; i++)
			f->sent[cls[off + i]]++;
		total += tx;
		off += tx;
		if (off == npend) {
			npend = 0;
			idle = 0;
			continue;
		}
		/* the ring is full: offer the rest again, politely */
		f->refused += npend - off;
		if (tx)
			idle = 0;
		else if (!f->busy && ++idle > 16)
			usleep(50);
		else
			rte_pause();
		if (fl_stop || bench_now() > t_end + 1.0) {
			/* a node that stopped reading never frees the ring: give up */
			f->unsent += npend - off;
			rte_pktmbuf_free_bulk(m + off, npend - off);
			npend = 0;
		}
	}
	return bench_now() - t0;
}

static int fl_parse_u(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || x < lo || x > hi) {
		fprintf(stderr, "byz-bench flood: %s: '%s' is not an integer in %llu..%llu\n", opt, s,
			(unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

static int fl_parse_s(const char *opt, const char *s, double *v)
{
	char *end;
	double x = strtod(s, &end);
	if (*end || end == s || !(x > 0 && x <= 86400)) {
		fprintf(stderr, "byz-bench flood: %s: '%s' is not a number of seconds in (0, 86400]\n",
			opt, s);
		return -1;
	}
	*v = x;
	return 0;
}

static int fl_args(struct fl *f, int argc, char **argv)
{
	static const struct option lo[] = {
		{"transport", required_argument, NULL, 't'}, {"socket", required_argument, NULL, 'S'},
		{"role", required_argument, NULL, 'R'},      {"run-id", required_argument, NULL, 'r'},
		{"peers", required_argument, NULL, 'n'},     {"self", required_argument, NULL, 's'},
		{"victim", required_argument, NULL, 'v'},    {"honest", required_argument, NULL, 'H'},
		{"replay", required_argument, NULL, 'p'},    {"frames", required_argument, NULL, 'f'},
		{"duration", required_argument, NULL, 'd'},  {"seed", required_argument, NULL, 'e'},
		{"connect-timeout", required_argument, NULL, 'T'},
		{"wait-stdin", no_argument, NULL, 'w'},      {"busy", no_argument, NULL, 'b'},
		{"csv", required_argument, NULL, 'c'},       {"help", no_argument, NULL, 'h'},
		{"leaf-hash", required_argument, NULL, 'L'},
		{"key-file", required_argument, NULL, 'K'},
		{"victim-pubkey", required_argument, NULL, 'P'},
		{"no-auth", no_argument, NULL, 'N'},
		{NULL, 0, NULL, 0}};
	int c, have_self = 0, have_victim = 0;
	uint64_t v;
	const char *transport = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': transport = optarg; break;
		case 'S': f->socket = optarg; break;
		case 'R': f->role = optarg; break;
		case 'r':
			if (fl_hex(optarg, f->run_id)) {
				fprintf(stderr, "byz-bench flood: --run-id: want 64 hex digits\n");
				return 2;
			}
			f->have_run_id = 1;
			break;
		case 'n':
			if (fl_parse_u("--peers", optarg, 3, BYZ_PEERS_MAX, &v))
				return 2;
			f->peers = (uint16_t)v;
			break;
		case 's':
			if (fl_parse_u("--self", optarg, 0, BYZ_PEERS_MAX - 1, &v))
				return 2;
			f->self = (uint16_t)v;
			have_self = 1;
			break;
		case 'v':
			if (fl_parse_u("--victim", optarg, 0, BYZ_PEERS_MAX - 1, &v))
				return 2;
			f->victim = (uint16_t)v;
			have_victim = 1;
			break;
		case 'H':
			if (fl_parse_u("--honest", optarg, 0, BYZ_PEERS_MAX - 1, &v))
				return 2;
			f->honest = (uint16_t)v;
			f->honest_set = 1;
			break;
		case 'p': f->replay = optarg; break;
		case 'f':
			if (fl_parse_u("--frames", optarg, 1, 1ull << 40, &f->frames))
				return 2;
			break;
		case 'd':
			if (fl_parse_s("--duration", optarg, &f->duration))
				return 2;
			break;
		case 'T':
			if (fl_parse_s("--connect-timeout", optarg, &f->connect_s))
				return 2;
			break;
		case 'e':
			if (fl_parse_u("--seed", optarg, 0, UINT64_MAX, &f->seed))
				return 2;
			break;
		case 'w': f->wait_stdin = 1; break;
		case 'b': f->busy = 1; break;
		case 'c': f->csv = optarg; break;
		case 'L': f->leaf_hash = optarg; break;
		case 'K': f->key_file = optarg; break;
		case 'P': f->victim_pk = optarg; break;
		case 'N': f->no_auth = 1; break;
		case 'h': fl_usage(stdout); return 1;
		default: fl_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "byz-bench flood: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!transport || strcmp(transport, "memif")) {
		fprintf(stderr, "byz-bench flood: --transport %s: only memif is supported (a node's "
			"net_memif vdev)\n", transport ? transport : "(missing)");
		return 2;
	}
	if (strcmp(f->role, "client") && strcmp(f->role, "server")) {
		fprintf(stderr, "byz-bench flood: --role: '%s' is neither client nor server\n", f->role);
		return 2;
	}
	if (!f->socket || !f->socket[0] || strlen(f->socket) > 100 || strchr(f->socket, ',')) {
		fprintf(stderr, "byz-bench flood: --socket: a path of 1..100 characters without ','"
			" is required\n");
		return 2;
	}
	if (!f->have_run_id || !f->peers || !have_self || !have_victim) {
		fprintf(stderr, "byz-bench flood: --run-id, --peers, --self and --victim are required\n");
		return 2;
	}
	if (f->self >= f->peers || f->victim >= f->peers || f->self == f->victim) {
		fprintf(stderr, "byz-bench flood: --self and --victim must be distinct indices below "
			"--peers %u\n", f->peers);
		return 2;
	}
	enum byz_leaf_alg alg = BYZ_LEAF_BLAKE2B;
	if (f->leaf_hash && byz_leaf_alg_parse(f->leaf_hash, &alg)) {
		fprintf(stderr, "byz-bench flood: --leaf-hash: '%s' is neither blake2b nor sha256\n",
			f->leaf_hash);
		return 2;
	}
	uint8_t wire[32];
	if (byz_leaf_run_id(f->run_id, alg, wire)) {
		fprintf(stderr, "byz-bench flood: cannot derive the run id on the wire\n");
		return 2;
	}
	memcpy(f->cfg_run_id, f->run_id, 32);
	memcpy(f->run_id, wire, 32); /* what the node's frames and messages carry */
	if (!FL_AUTH && (f->key_file || f->victim_pk || f->no_auth)) {
		fprintf(stderr, "byz-bench flood: this build has no frame tags (--key-file, "
			"--victim-pubkey, --no-auth)\n");
		return 2;
	}
	if (FL_AUTH && !f->no_auth && (!f->key_file || !f->victim_pk)) {
		fprintf(stderr, "byz-bench flood: frame tags: give --key-file and --victim-pubkey "
			"(the member's key and the node's), or --no-auth\n");
		return 2;
	}
	if (!f->honest_set)
		while (f->honest == f->self || f->honest == f->victim)
			f->honest++;
	if (f->honest >= f->peers || f->honest == f->self || f->honest == f->victim) {
		fprintf(stderr, "byz-bench flood: --honest %u: must be a third member below %u\n",
			f->honest, f->peers);
		return 2;
	}
	return 0;
}

static void fl_report(const struct fl *f, double secs, FILE *csv)
{
	uint64_t total = fl_total(f);
	struct rte_eth_stats es;
	memset(&es, 0, sizeof(es));
	rte_eth_stats_get(f->vp.port, &es);
	printf("# byz-bench flood: member %u -> node %u of %u over memif (%s, %s), seed %llu, "
	       "%u replayable frames\n", f->self, f->victim, f->peers, f->role, f->socket,
	       (unsigned long long)f->seed, f->ncap);
	printf("# %-12s %12s\n", "class", "sent");
	for (int c = 0; c < F_N; c++)
		printf("  %-12s %12llu\n", fl_name[c], (unsigned long long)f->sent[c]);
	printf("# total %llu frames in %.3f s: %.0f frames/s; ring-full refusals %llu (offered "
	       "again)\n", (unsigned long long)total, secs,
	       secs > 0 ? (double)total / secs : 0.0, (unsigned long long)f->refused);
	printf("# port: opackets %llu oerrors %llu; received from the node %llu frames; "
	       "mbuf shortages %llu; unsent (ring still full 1 s after the deadline) %llu\n",
	       (unsigned long long)es.opackets, (unsigned long long)es.oerrors,
	       (unsigned long long)f->rx_frames, (unsigned long long)f->nombuf,
	       (unsigned long long)f->unsent);
	if (csv) {
		fprintf(csv, "class,frames\n");
		for (int c = 0; c < F_N; c++)
			fprintf(csv, "%s,%llu\n", fl_name[c], (unsigned long long)f->sent[c]);
		fprintf(csv, "total,%llu\nrefused,%llu\nunsent,%llu\nrx,%llu\nopackets,%llu\n"
			"oerrors,%llu\nusec,%.0f\n", (unsigned long long)total,
			(unsigned long long)f->refused, (unsigned long long)f->unsent,
			(unsigned long long)f->rx_frames, (unsigned long long)es.opackets,
			(unsigned long long)es.oerrors, secs * 1e6);
	}
}

int bench_flood_main(int argc, char **argv)
{
	static struct fl f; /* large (the replay capture is on the heap) */
	memset(&f, 0, sizeof(f));
	f.role = "client";
	f.frames = 1000000;
	f.duration = 10;
	f.connect_s = 30;
	f.seed = 1;
	int r = fl_args(&f, argc, argv);
	if (r)
		return r == 1 ? 0 : r;
	char why[256];
	if (sodium_init() < 0) {
		fprintf(stderr, "byz-bench flood: libsodium failed to initialise\n");
		return 1;
	}
	f.rng = f.seed * 0x9e3779b97f4a7c15ull | 1;
	f.session = byz_le32_get(f.run_id);
	/* a fresh incarnation per run: the node's channel takes a second flood
	 * from the same member as a restart, not as duplicates of the first */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	f.src_inc = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	f.ctr = f.src_inc; /* as the node does: above any earlier run's counters */
#if FL_AUTH
	if (!f.no_auth) {
		struct byz_ident id;
		uint8_t vpk[32];
		char kwhy[160];
		struct byz_auth_keys k;
		if (byz_ident_load(&id, f.key_file, kwhy, sizeof(kwhy))) {
			fprintf(stderr, "byz-bench flood: --key-file: %s\n", kwhy);
			return 2;
		}
		int e = byz_pubkey_parse(f.victim_pk, vpk) ? -EBADMSG
			: byz_auth_derive(id.sk, id.pk, vpk, f.cfg_run_id, &k);
		byz_ident_free(&id);
		if (e) {
			fprintf(stderr, "byz-bench flood: --victim-pubkey: %s\n",
				e == -EBADMSG ? "not 64 hex digits" : "no frame keys with this key");
			return 2;
		}
		memcpy(f.key, k.tx, sizeof(f.key));
		sodium_memzero(&k, sizeof(k));
		f.sealed = 1;
	}
#endif
	f.a = (struct byz_l2l3){.dst_mac = {0x02, 'b', 'y', 'z', (uint8_t)(f.victim >> 8),
					    (uint8_t)f.victim},
				.src_mac = {0x02, 'b', 'y', 'z', (uint8_t)(f.self >> 8), (uint8_t)f.self},
				.dst_ip = byz_dp_peer_ip(f.victim), .src_port = 40000,
				.dst_port = BYZ_UDP_PORT};
	int rc = 1;
	FILE *csv = NULL;
	if (fl_messages(&f)) {
		fprintf(stderr, "byz-bench flood: cannot build the forged messages\n");
		goto out_mem;
	}
	char prefix[64], args[300];
	snprintf(prefix, sizeof(prefix), "byzflood%ld", (long)getpid());
	struct byz_eal_cfg ec = {.mem_mb = 128, .no_huge = 1, .no_pci = 1, .file_prefix = prefix};
	if (byz_eal_init(&ec, why, sizeof(why))) {
		fprintf(stderr, "byz-bench flood: cannot start the DPDK EAL: %s\n", why);
		goto out_mem;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fl_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	f.pool = byz_dp_pool_create("flood", 4095, 1500, SOCKET_ID_ANY);
	if (!f.pool) {
		fprintf(stderr, "byz-bench flood: no mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out_eal;
	}
	snprintf(args, sizeof(args), "net_memif0,role=%s,id=0,socket=%s,socket-abstract=no,"
		 "rsize=11,bsize=2048,mac=02:62:79:7a:%02x:%02x", f.role, f.socket,
		 (unsigned)(f.self >> 8) & 255u, (unsigned)f.self & 255u);
	if (byz_vport_open(&f.vp, args, f.pool, 2048, (unsigned)(f.connect_s * 1000), why,
			   sizeof(why))) {
		fprintf(stderr, "byz-bench flood: %s\n", why);
		goto out_pool;
	}
	if (f.csv && !(csv = fopen(f.csv, "w"))) {
		fprintf(stderr, "byz-bench flood: cannot write %s: %s\n", f.csv, strerror(errno));
		goto out_port;
	}
	if (f.wait_stdin) {
		printf("# connected; waiting for a line on stdin\n");
		fflush(stdout);
		char line[64];
		if (!fgets(line, sizeof(line), stdin)) {
			fprintf(stderr, "byz-bench flood: stdin closed before the start line\n");
			goto out_csv;
		}
	}
	/* read after the start line: a test writes its capture meanwhile */
	if (f.replay && fl_load_pcap(&f, why, sizeof(why))) {
		fprintf(stderr, "byz-bench flood: --replay: %s\n", why);
		rc = 2;
		goto out_csv;
	}
	double secs = fl_run(&f);
	if (secs < 0)
		goto out_csv;
	fl_drain(&f);
	fl_report(&f, secs, csv);
	if (csv) {
		int bad = fclose(csv);
		csv = NULL;
		if (bad) {
			fprintf(stderr, "byz-bench flood: error writing %s\n", f.csv);
			goto out_port;
		}
	}
	printf("# done\n");
	fflush(stdout);
	rc = fl_stop ? 1 : 0;
	if (f.wait_stdin) {
		/* close when told: the node side stops polling first (a memif
		 * peer closing while the other polls or closes races in DPDK
		 * 22.11, see bench_mp.c's teardown) */
		while (getchar() != EOF)
			;
	}
out_csv:
	if (csv)
		fclose(csv);
out_port:
	byz_vport_close(&f.vp);
out_pool:
	rte_mempool_free(f.pool);
out_eal:
	byz_eal_cleanup();
out_mem:
	for (int k = 0; k < 3; k++)
		free(f.msg[k]);
	free(f.cap);
	free(f.caplen);
	return rc;
}
