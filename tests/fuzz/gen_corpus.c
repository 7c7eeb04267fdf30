/*
 * byz-fuzz-corpus: writes the seed corpus of every fuzz harness from the
 * builders and the known-answer vectors, so seeds are valid inputs that the
 * fuzzer then mutates (a parser fuzzed from random bytes alone rarely gets
 * past a checksum or a signature). Deterministic: same output every run.
 *
 *   byz-fuzz-corpus OUT_DIR VECTORS_DIR
 *
 * writes OUT_DIR/<harness>/<name> files; the committed tests/fuzz/corpus is
 * its output (regenerate after a format change, then commit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "byz/data.h"
#include "byz/frame.h"
#include "byz/ident.h"
#include "byz/stream.h"
#include "byz/wire.h"
#include "npy.h"

static const char *out_dir;
static unsigned written;

static void die(const char *what)
{
	fprintf(stderr, "byz-fuzz-corpus: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Writes prefix (0..2 bytes, -1 for none) followed by data. */
static void put(const char *harness, const char *name, int prefix, const void *data, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path);
	if (prefix >= 0)
		fputc(prefix, f);
	if (n && fwrite(data, 1, n, f) != n)
		die(path);
	if (fclose(f) != 0)
		die(path);
	written++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a tests/vectors/frames/NAME.hex file: '#' lines are comments. */
static size_t read_hex_file(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die(path);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (char *p = line; p[0] && p[1]; p += 2) {
			int hi = hexval(p[0]), lo = hexval(p[1]);
			if (hi < 0 || lo < 0 || n == cap)
				break;
			out[n++] = (uint8_t)(hi << 4 | lo);
		}
	}
	fclose(f);
	return n;
}

/* ------------------------------------------------------------- frames */

static void frames(const char *vectors)
{
	static const char *const kat[] = {"bad_crc", "bad_ipcsum", "bad_parity", "bad_version",
					  "control", "data_full", "data_last", "old_v1",
					  "sealed_control", "sealed_bad_tag"};
	static uint8_t buf[BYZ_FRAME_MAX];
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		char path[4096], name[64];
		snprintf(path, sizeof(path), "%s/frames/%s.hex", vectors, kat[i]);
		size_t n = read_hex_file(path, buf, sizeof(buf));
		snprintf(name, sizeof(name), "kat-%s", kat[i]);
		put("frame", name, 0, buf, n);
	}
	struct byz_l2l3 a = {.dst_mac = {2, 0, 0, 0, 0, 2}, .src_mac = {2, 0, 0, 0, 0, 1},
			     .src_ip = 0x0a000001, .dst_ip = 0x0a000002,
			     .src_port = 49153, .dst_port = BYZ_UDP_PORT};
	uint8_t pl[512];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7);
	struct byz_sack s = {.cum = 3, .grant = 70, .bits = {0x5, 0, 0, 1ull << 63}};
	uint8_t sack[BYZ_SACK_LEN];
	byz_sack_encode(sack, &s);
	uint8_t nack[12];
	byz_le32_put(nack, 3);
	byz_le32_put(nack + 4, 9);
	byz_le32_put(nack + 8, 10);
	struct {
		const char *name;
		struct byz_hdr h;
		const void *pl;
		size_t n;
	} f[] = {
		{"data", {.type = BYZ_T_DATA, .flags = BYZ_F_RETX, .kind = BYZ_K_SCATTER,
			  .src = 1, .dst = 2, .session = 9, .step = 3, .part = 1, .seq = 5,
			  .aux = 5000, .ts = 123}, pl, 256},
		{"sack", {.type = BYZ_T_SACK, .flags = BYZ_F_DONE, .kind = BYZ_K_GATHER, .src = 2,
			  .dst = 1, .ts_echo = 123}, sack, sizeof(sack)},
		{"nack", {.type = BYZ_T_NACK, .kind = BYZ_K_SCATTER, .src = 2, .dst = 1},
		 nack, sizeof(nack)},
		{"control", {.type = BYZ_T_CONTROL, .src = 3, .dst = 1}, pl, 100},
		{"probe", {.type = BYZ_T_PROBE, .flags = BYZ_F_REPLY, .src = 1, .dst = 7,
			   .ts = 5, .ts_echo = 4}, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		f[i].h.version = BYZ_FRAME_VERSION;
		int n = byz_frame_build(buf, sizeof(buf), &a, &f[i].h, f[i].pl, f[i].n);
		if (n < 0) {
			fprintf(stderr, "byz-fuzz-corpus: frame %s: %d\n", f[i].name, n);
			exit(1);
		}
		char name[64];
		snprintf(name, sizeof(name), "built-%s", f[i].name);
		put("frame", name, 2, buf, (size_t)n);
		snprintf(name, sizeof(name), "repair-%s", f[i].name);
		put("frame", name, 1, buf, (size_t)n);
	}
}

/* ------------------------------------------------------------- wire */

static uint8_t run_id[32], sk[64];

static uint8_t *seal(uint8_t type, uint16_t sender, const uint8_t *pl, size_t n, size_t *len)
{
	uint8_t *m = NULL;
	if (byz_wire_seal(type, sender, BYZ_WIRE_BCAST, 1, 7, run_id, pl, (uint32_t)n, sk, &m,
			  len) != 0) {
		fprintf(stderr, "byz-fuzz-corpus: seal %u failed\n", type);
		exit(1);
	}
	return m;
}

static size_t example(uint8_t type, uint8_t *pl)
{
	switch (type) {
	case BYZ_MSG_COMMIT: {
		uint8_t d[32], c[32], h[96];
		memset(d, 0x11, 32);
		memset(c, 0x22, 32);
		memset(h, 0x33, sizeof(h));
		return byz_wire_put_commit(pl, d, c, 3, h);
	}
	case BYZ_MSG_DIGEST: {
		struct byz_digest_entry e[3] = {{BYZ_MSG_COMMIT, 1, 0, {1}},
						{BYZ_MSG_REVEAL, 0, 0, {2}},
						{BYZ_MSG_PART, 0, 4, {3}}};
		return byz_wire_put_digest(pl, 1, e, 3);
	}
	case BYZ_MSG_PART:
	case BYZ_MSG_AGGV: {
		float v[6] = {1, -2, 3.5f, 0, 1e-3f, -1e30f};
		return byz_wire_put_vec(pl, 1, v, 6);
	}
	case BYZ_MSG_RESULT: {
		uint8_t h[32], bm[32] = {0};
		memset(h, 0x77, 32);
		bm[0] = 0x0b;
		return byz_wire_put_result(pl, 0, 3, 5, 1, 1e-6, h, bm);
	}
	case BYZ_MSG_REVEAL:
		for (int i = 0; i < 32; i++)
			pl[i] = (uint8_t)i;
		return 32;
	case BYZ_MSG_PROJ: {
		uint16_t parts[3] = {0, 3, 9};
		double s[3] = {1.5, -0.125, 4}, n[3] = {2.25, 0, 1};
		return byz_wire_put_proj(pl, 3, parts, s, n);
	}
	case BYZ_MSG_ACCUSE: {
		uint8_t r[128];
		size_t l[2];
		size_t n1 = example(BYZ_MSG_REVEAL, r);
		uint8_t *e1 = seal(BYZ_MSG_REVEAL, 2, r, n1, &l[0]);
		size_t n2 = example(BYZ_MSG_PART, r);
		uint8_t *e2 = seal(BYZ_MSG_PART, 2, r, n2, &l[1]);
		const uint8_t *ev[2] = {e1, e2};
		size_t n = byz_wire_put_accuse(pl, BYZ_ACC_BAD_PART, 2, 1, 2, ev, l);
		free(e1);
		free(e2);
		return n;
	}
	case BYZ_MSG_RELAY: { /* peer 1's REVEAL relayed by 0 and 2 */
		uint8_t r[32], sig[128];
		size_t il;
		example(BYZ_MSG_REVEAL, r);
		uint8_t *in = seal(BYZ_MSG_REVEAL, 1, r, 32, &il);
		uint16_t rel[2] = {0, 2};
		byz_wire_relay_sign(run_id, in, il, 0, sk, sig);
		byz_wire_relay_sign(run_id, in, il, 2, sk, sig + 64);
		size_t n = byz_wire_put_relay(pl, 2, rel, sig, in, il);
		free(in);
		return n;
	}
	default:
		return 0;
	}
}

static void wire(const char *vectors)
{
	uint8_t seed[32], pk[32];
	for (int i = 0; i < 32; i++) {
		seed[i] = (uint8_t)i;
		run_id[i] = 0xa5;
	}
	crypto_sign_seed_keypair(pk, sk, seed);

	char path[4096];
	snprintf(path, sizeof(path), "%s/wire_kat.txt", vectors);
	FILE *f = fopen(path, "r");
	if (!f)
		die(path);
	static char hex[20000];
	static uint8_t bin[10000];
	char name[32];
	while (fscanf(f, "%31s %19999s", name, hex) == 2) {
		size_t hl = strlen(hex);
		if (strcmp(name, "pk") == 0 || byz_unhex(hex, hl, bin, hl / 2) != 0)
			continue;
		char fname[64];
		snprintf(fname, sizeof(fname), "kat-%s", name);
		put("wire", fname, 0, bin, hl / 2);
	}
	fclose(f);

	static uint8_t pl[8192];
	for (unsigned t = BYZ_MSG_COMMIT; t < BYZ_MSG_TYPE_END; t++) {
		size_t n = example((uint8_t)t, pl), len;
		uint8_t *m = seal((uint8_t)t, 2, pl, n, &len);
		char fname[64];
		snprintf(fname, sizeof(fname), "raw-%s", byz_wire_type_name((uint8_t)t));
		put("wire", fname, 0, m, len);
		free(m);
		/* Structure-aware mode: type, sender, recipient, flip index, payload. */
		uint8_t s[8 + sizeof(pl)] = {(uint8_t)t, 2, 0xff, 0xff, 0x39, 0x05, 0, 0};
		memcpy(s + 8, pl, n);
		snprintf(fname, sizeof(fname), "sealed-%s", byz_wire_type_name((uint8_t)t));
		put("wire", fname, 1, s, 8 + n);
	}
	/* The compact DIGEST form (bitmaps of slots 0 and 9, two versions of 9,
	 * one ACCUSE entry). */
	uint8_t blocks[BYZ_WIRE_DIGEST_SLOT_TYPES * (2 * 2 + 16)] = {0x01, 0x02, 0x00, 0x02};
	struct byz_digest_entry e = {BYZ_MSG_ACCUSE, 3, 0, {7}};
	size_t n = byz_wire_put_digest_compact(pl, 1, 2, blocks, &e, 1), len;
	uint8_t *m = seal(BYZ_MSG_DIGEST, 2, pl, n, &len);
	put("wire", "raw-DIGEST-compact", 0, m, len);
	free(m);
	uint8_t s[8 + 256] = {BYZ_MSG_DIGEST, 2, 0xff, 0xff, 0x39, 0x05, 0, 0};
	memcpy(s + 8, pl, n);
	put("wire", "sealed-DIGEST-compact", 1, s, 8 + n);
}

/* ------------------------------------------------------------- stream */

static void stream(void)
{
	/* Config bytes: seg, window, grant, ack_every, budget, rto scale,
	 * nack, ack delay; now (4); shard length (2); then operations. */
	static const uint8_t honest[] = {
		0, 31, 15, 3, 0, 0x21, 4, 2, 0, 0, 0, 0, 0x00, 0x10,
		8, 8, 8, 8, 0xe8, 0xe8, 0xe8, 0xe8, 8, 8, 8, 8, 0xe8, 0xe8, 0xe8, 0xe8,
		0xf8, 0xf8, 0xf8, 0xf8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8,
		4, 0x10, 0x27, 8, 8, 8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8};
	put("stream", "honest", -1, honest, sizeof(honest));
	static const uint8_t lossy[] = {
		3, 7, 3, 1, 20, 0x10, 1, 0, 0, 0, 0, 0, 0x40, 0x06,
		0x18, 0x18, 0x08, 0x18, 4, 0x88, 0x13, 0xe8, 0xf8, 0x18, 0x08, 4, 0xff, 0xff,
		0xe8, 0xe8, 0xe8, 0xe8, 4, 0xff, 0xff, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8, 0xe8};
	put("stream", "lossy", -1, lossy, sizeof(lossy));
	static const uint8_t hostile[] = {
		1, 255, 200, 16, 0, 0x35, 9, 9, 7, 0, 0, 0, 0xff, 0x7f,
		8, 8,
		0, 0, 3, 0, 0, 1, 2, 3, 4, 5, 6, 7,              /* DATA seq 3 */
		0, 1, 0xff, 0xff, 0xff, 0x7f, 3, 0x10, 0, 0x40, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0,               /* garbage DATA */
		2, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* SACK */
		3, 4, 1, 0xff, 0xff, 0xff, 0xff, 0, 2, 0, 0, 3, 0, 0, 0, 4, 0, /* NACK */
		5, 1, 0, 0, 0, 0, 5, 0, 4, 0, 6, 0x10, 0x10, 7, 0xff, 0xff,
		0xe8, 0xe8, 4, 0xff, 0xff, 0xe8, 0xe8, 0xe8};
	put("stream", "hostile", -1, hostile, sizeof(hostile));
}

/* ------------------------------------------------------------- files */

static void slurp_put(const char *harness, const char *name, int prefix, const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	put(harness, name, prefix, buf, n);
}

static void npy(const char *tmp)
{
	char path[4096], msg[BYZ_NPY_MSG_LEN];
	snprintf(path, sizeof(path), "%s/x.npy", tmp);
	float v[6] = {1, 2, 3, -4, 0.5f, 1e-7f};
	if (byz_npy_write_f32(path, v, 2, 3, msg, sizeof(msg)) != 0)
		die(msg);
	slurp_put("npy", "mem-2d", 0, path);
	slurp_put("npy", "file-2d", 1, path);
	if (byz_npy_write_f32(path, v, 0, 5, msg, sizeof(msg)) != 0)
		die(msg);
	slurp_put("npy", "mem-1d", 0, path);
	slurp_put("npy", "file-1d", 1, path);
	unlink(path);
	/* Version 2.0, double quotes, a trailing comma, no padding. */
	static const char d2[] = "{\"descr\": \"<f4\", \"shape\": (1,), \"fortran_order\": False}\n";
	uint8_t b[12 + sizeof(d2) + 4] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0,
					  (uint8_t)(sizeof(d2) - 1), 0, 0, 0};
	memcpy(b + 12, d2, sizeof(d2) - 1);
	memset(b + 12 + sizeof(d2) - 1, 0, 4);
	put("npy", "mem-v2", 0, b, 12 + sizeof(d2) - 1 + 4);
	put("npy", "file-v2", 1, b, 12 + sizeof(d2) - 1 + 4);
}

/* gzip @p in (one member, as gzip(1) writes it) into @p out; its length. */
static size_t gz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2");
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate");
	size_t len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

static void loaders(void)
{
	/* MNIST: 3 images of 2 x 3 pixels; prefix = images length (LE16). */
	uint8_t m[2 + 16 + 18 + 8 + 3] = {16 + 18, 0, 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3};
	for (int i = 0; i < 18; i++)
		m[18 + i] = (uint8_t)(i * 14);
	uint8_t *lab = m + 36;
	lab[0] = 0; lab[1] = 0; lab[2] = 8; lab[3] = 1;
	lab[4] = 0; lab[5] = 0; lab[6] = 0; lab[7] = 3;
	lab[8] = 7; lab[9] = 0; lab[10] = 9;
	put("mnist", "three", -1, m, sizeof(m));
	/* The same files gzip'ed (as MNIST is distributed): images only, both,
	 * and both with a byte of trailing garbage after the labels' member. */
	uint8_t gi[128], gl[64], g[2 + 128 + 64 + 1];
	size_t gil = gz(m + 2, 34, gi, sizeof(gi)), gll = gz(lab, 11, gl, sizeof(gl));
	g[0] = (uint8_t)gil;
	g[1] = 0;
	memcpy(g + 2, gi, gil);
	memcpy(g + 2 + gil, lab, 11);
	put("mnist", "three-gz-images", -1, g, 2 + gil + 11);
	memcpy(g + 2 + gil, gl, gll);
	put("mnist", "three-gz-both", -1, g, 2 + gil + gll);
	g[2 + gil + gll] = 0;
	put("mnist", "three-gz-trailing", -1, g, 2 + gil + gll + 1);
	/* CIFAR-10: two records. */
	static uint8_t c[2 * BYZ_CIFAR10_RECORD];
	for (size_t i = 0; i < sizeof(c); i++)
		c[i] = (uint8_t)(i * 31);
	c[0] = 3;
	c[BYZ_CIFAR10_RECORD] = 9;
	put("cifar", "two", -1, c, sizeof(c));
	put("cifar", "one", -1, c, BYZ_CIFAR10_RECORD);
}

static void ident(const char *tmp)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x40 + i);
	struct byz_ident id;
	char path[4096], pub[4200], why[256];
	snprintf(path, sizeof(path), "%s/key", tmp);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	if (byz_ident_from_seed(&id, seed) != 0 ||
	    byz_ident_save(&id, path, 1, why, sizeof(why)) != 0)
		die("ident");
	byz_ident_free(&id);
	slurp_put("ident", "secret", 1, path);
	slurp_put("ident", "secret-open-mode", 3, path);
	slurp_put("ident", "pub", 0, pub);
	unlink(path);
	unlink(pub);
}

/* byzd config text: a full file naming every section and key, minimal
 * ones, and one file per class of refusal (so mutations start on both
 * sides of each check). */
#define CFG_RUN "run_id = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define CFG_PK0 "pubkey = 4c27b500b58d41b10f5354c3cb30ca5aca69c1807148b2d9e907e69c8660e831\n"
#define CFG_PK1 "pubkey = 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c\n"
#define CFG_HEAD CFG_RUN "key_file = k0\n[port]\nname = net_ring0\n"
#define CFG_PEERS "[peer]\n" CFG_PK0 "ip = 10.0.0.1\n[peer]\n" CFG_PK1 "ip = 10.0.0.2\n"

static void config(void)
{
	static const struct {
		const char *name, *text;
	} c[] = {
		{"full", "# byzd node 0\n[run]\n" CFG_RUN "key_file = /etc/byz/k0  # secret\n"
			 "start_time = 1700000000\nsteps = 100\n"
			 "[eal]\nlcores = 0-1\nmem_mb = 512\nno_huge = yes\nno_pci = no\n"
			 "file_prefix = byz0\nvdev = net_ring0\nvdev = net_memif0,role=server\n"
			 "log_level = info\n"
			 "[port]\nname = net_ring0\nmtu = 9000\nudp_port = 4791\nbusy_poll = on\n"
			 "rx_desc = 2048\nmbufs = 16383\n"
			 "[protocol]\ntau = 2.5\neps = 1e-6\nkappa = 0.5\nlr = 0.05\n"
			 "max_iters = 100\nvalidators = 2\nsilent_limit = 4\nmax_attempts = 3\n"
			 "phase_us = 20000\nd = 1024\n"
			 "[gradient]\nsource = mlp\nbatch = 8\nclasses = 10\nhidden = 64\n"
			 "examples = 1024\n"
			 "[channel]\nwindow = 32\nrto_us = 500\nrto_max_us = 20000\n"
			 "[peer]\n" CFG_PK0 "ip = 192.168.1.10\nudp_port = 9000\n"
			 "mac = 0a:0b:0c:0d:0e:0f\n"
			 "[peer]\n" CFG_PK1 "ip = 192.168.1.11\n"},
		{"minimal", CFG_HEAD CFG_PEERS},
		{"crlf-tabs", "run_id = 00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\r\n"
			      "\tkey_file\t=\tk0\r\n[ port ]\r\nname = p0\r\n" CFG_PEERS},
		{"pci", CFG_HEAD "[eal]\npci = 0000:01:00.0\npci = 0000:02:00.1\n" CFG_PEERS},
		{"softmax", CFG_HEAD "[gradient]\nsource = softmax\n[protocol]\nvalidators = 0\n"
			    CFG_PEERS},
		{"bad-section", CFG_HEAD "[protocl]\n" CFG_PEERS},
		{"bad-header", CFG_HEAD "[protocol\n" CFG_PEERS},
		{"bad-key", CFG_HEAD "tau = 3\n" CFG_PEERS},
		{"bad-noeq", CFG_HEAD "just words\n" CFG_PEERS},
		{"bad-novalue", CFG_HEAD "mtu =\n" CFG_PEERS},
		{"bad-range", CFG_HEAD "mtu = 100\n" CFG_PEERS},
		{"bad-number", CFG_HEAD "[protocol]\ntau = 1e999\n" CFG_PEERS},
		{"bad-bool", CFG_HEAD "busy_poll = maybe\n" CFG_PEERS},
		{"bad-dup", CFG_HEAD "mtu = 1500\nmtu = 9000\n" CFG_PEERS},
		{"bad-missing", CFG_RUN "[port]\nname = p\n" CFG_PEERS},
		{"bad-onepeer", CFG_HEAD "[peer]\n" CFG_PK0 "ip = 10.0.0.1\n"},
		{"bad-samekey", CFG_HEAD "[peer]\n" CFG_PK0 "ip = 10.0.0.1\n[peer]\n" CFG_PK0
					 "ip = 10.0.0.2\n"},
		{"bad-ip", CFG_HEAD "[peer]\n" CFG_PK0 "ip = 10.0.0.300\n" CFG_PEERS},
		{"bad-mac", CFG_HEAD "[peer]\n" CFG_PK0 "mac = 0a:0b:0c:0d:0e\n" CFG_PEERS},
		{"bad-rto", CFG_HEAD "[channel]\nrto_us = 900\nrto_max_us = 800\n" CFG_PEERS},
		{"bad-nopci", CFG_HEAD "[eal]\nno_pci = yes\npci = 0000:01:00.0\n" CFG_PEERS},
		{"bad-ctrl", CFG_HEAD "[eal]\nlcores = \x01\n" CFG_PEERS},
		{"bad-source", CFG_HEAD "[gradient]\nsource = resnet\n" CFG_PEERS},
		{"bad-lcores", CFG_HEAD "[eal]\nlcores = 3-1\n" CFG_PEERS},
		{"bad-pubkey", CFG_HEAD "[peer]\npubkey = 0000000000000000000000000000000000000000"
				       "000000000000000000000000\nip = 10.0.0.1\n" CFG_PEERS},
		{"bad-peer-ip", CFG_HEAD "[peer]\n" CFG_PK0 "ip = 224.0.0.1\n" CFG_PEERS},
		{"bad-mac-group", CFG_HEAD "[peer]\n" CFG_PK0 "ip = 10.0.0.1\n"
					   "mac = ff:ff:ff:ff:ff:ff\n" CFG_PEERS},
		{"bom", "\xef\xbb\xbf" CFG_HEAD CFG_PEERS},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		put("config", c[i].name, -1, c[i].text, strlen(c[i].text));
	/* Nine vdevs (one over the limit) and a NUL inside a value. */
	char many[2048];
	size_t n = (size_t)snprintf(many, sizeof(many), "%s[eal]\n", CFG_HEAD);
	for (int i = 0; i < 9; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "vdev = net_null%d\n", i);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "%s", CFG_PEERS);
	put("config", "bad-vdevs", -1, many, n);
	static const char nul[] = CFG_RUN "key_file = a\0b\n";
	put("config", "bad-nul", -1, nul, sizeof(nul) - 1);
}

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: %s OUT_DIR VECTORS_DIR\n"
				"Writes the seed corpus of every fuzz harness under OUT_DIR.\n",
			argv[0]);
		return argc == 2 ? 0 : 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "byz-fuzz-corpus: sodium_init failed\n");
		return 1;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST)
		die(out_dir);
	char tmp[] = "/tmp/byz-corpus-XXXXXX";
	if (!mkdtemp(tmp))
		die("mkdtemp");
	frames(argv[2]);
	wire(argv[2]);
	stream();
	npy(tmp);
	loaders();
	ident(tmp);
	config();
	rmdir(tmp);
	printf("wrote %u seeds under %s\n", written, out_dir);
	return 0;
}
