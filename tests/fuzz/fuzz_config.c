/*
 * Fuzz target: byzd's config parser (byz_config_parse), from a buffer, no
 * files. Invariants besides memory safety:
 *   - the result is 0, -EINVAL or -ERANGE (over BYZ_CONFIG_MAX_BYTES only);
 *   - a refusal has a message "fuzz.conf:LINE: ..." (or "fuzz.conf: ..."
 *     for whole-file problems) with LINE within the input's line count;
 *   - an accepted config keeps the documented limits (2..64 peers, distinct
 *     keys and addresses, rto_max_us >= rto_us, <= 8 devices, strings
 *     terminated, no_pci without pci);
 *   - an accepted config written back as text (every field, canonical
 *     form) parses again, and writing that back gives the same text:
 *     nothing the parser accepts is lost or read two ways.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdarg.h>

#include "byz/config.h"
#include "byz/proto.h"

static struct byz_config cfg, cfg2;

struct out {
	char *p;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	FUZZ_CHECK(k >= 0 && (size_t)k < o->cap - o->n);
	o->n += (size_t)k;
}

static void put_hex(struct out *o, const char *key, const uint8_t *b)
{
	put(o, "%s = ", key);
	for (int i = 0; i < 32; i++)
		put(o, "%02x", b[i]);
	put(o, "\n");
}

/* Every field of @p c as config text; defaults included (they must parse). */
static size_t write_back(const struct byz_config *c, char *buf, size_t cap)
{
	struct out o = {buf, 0, cap};
	put(&o, "[run]\n");
	put_hex(&o, "run_id", c->run_id);
	put(&o, "key_file = %s\nstart_time = %llu\nsteps = %llu\n", c->key_file,
	    (unsigned long long)c->start_time, (unsigned long long)c->steps);
	put(&o, "[eal]\nlcores = %s\nmem_mb = %u\nno_huge = %d\nno_pci = %d\n", c->lcores,
	    c->mem_mb, c->no_huge, c->no_pci);
	if (c->file_prefix[0])
		put(&o, "file_prefix = %s\n", c->file_prefix);
	for (unsigned i = 0; i < c->nvdev; i++)
		put(&o, "vdev = %s\n", c->vdev[i]);
	for (unsigned i = 0; i < c->npci; i++)
		put(&o, "pci = %s\n", c->pci[i]);
	put(&o, "log_level = %s\n", c->log_level);
	put(&o, "[port]\nname = %s\nmtu = %u\nudp_port = %u\nbusy_poll = %s\n", c->port, c->mtu,
	    c->udp_port, c->busy_poll ? "yes" : "no");
	put(&o, "rx_desc = %u\nmbufs = %u\n", c->rx_desc, c->nb_mbufs);
	put(&o, "[protocol]\ntau = %.17g\neps = %.17g\nkappa = %.17g\nlr = %.17g\n", c->tau, c->eps,
	    c->kappa, c->lr);
	put(&o, "max_iters = %u\nvalidators = %u\nsilent_limit = %u\nmax_attempts = %u\n",
	    c->max_iters, c->validators, c->silent_limit, c->max_attempts);
	put(&o, "phase_us = %llu\nd = %llu\n", (unsigned long long)c->phase_us,
	    (unsigned long long)c->d);
	put(&o, "validation = %s\nrho = %.17g\n",
	    c->validation == BYZ_VALIDATE_TOLERANCE ? "tolerance" : "exact", c->rho);
	put(&o, "[gradient]\nsource = %s\nbatch = %u\nclasses = %u\nhidden = %u\nexamples = %u\n",
	    byz_grad_source_name(c->source), c->batch, c->classes, c->hidden, c->examples);
	put(&o, "[channel]\nwindow = %u\nrto_us = %llu\nrto_max_us = %llu\n", c->window,
	    (unsigned long long)c->rto_us, (unsigned long long)c->rto_max_us);
	for (uint32_t p = 0; p < c->n; p++) {
		const struct byz_config_peer *q = &c->peers[p];
		put(&o, "[peer]\n");
		put_hex(&o, "pubkey", q->pk);
		put(&o, "ip = %u.%u.%u.%u\n", q->ip >> 24, q->ip >> 16 & 255, q->ip >> 8 & 255,
		    q->ip & 255);
		if (q->udp_port)
			put(&o, "udp_port = %u\n", q->udp_port);
		if (q->has_mac)
			put(&o, "mac = %02x:%02x:%02x:%02x:%02x:%02x\n", q->mac[0], q->mac[1],
			    q->mac[2], q->mac[3], q->mac[4], q->mac[5]);
	}
	return o.n;
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static void check_limits(const struct byz_config *c)
{
	FUZZ_CHECK(c->n >= 2 && c->n <= BYZ_CONFIG_MAX_PEERS);
	FUZZ_CHECK(c->nvdev <= BYZ_CONFIG_MAX_DEVS && c->npci <= BYZ_CONFIG_MAX_DEVS);
	FUZZ_CHECK(!(c->no_pci && c->npci));
	FUZZ_CHECK(c->rto_max_us >= c->rto_us && c->rto_us >= 10);
	FUZZ_CHECK(c->mtu >= 576 && c->mtu <= 9000 && c->udp_port >= 1);
	FUZZ_CHECK(c->window >= 1 && c->window <= 64 && c->d >= 1 && c->d <= BYZ_CONFIG_MAX_D);
	FUZZ_CHECK(c->tau > 0 && c->eps > 0 && c->kappa > 0 && c->lr > 0);
	FUZZ_CHECK(c->validation <= BYZ_VALIDATE_TOLERANCE && c->rho > 0 && c->rho <= 1);
	FUZZ_CHECK((unsigned)c->source <= BYZ_GRAD_MLP);
	FUZZ_CHECK(terminated(c->key_file, sizeof(c->key_file)) && c->key_file[0]);
	FUZZ_CHECK(terminated(c->port, sizeof(c->port)) && c->port[0]);
	FUZZ_CHECK(terminated(c->lcores, sizeof(c->lcores)) &&
		   terminated(c->file_prefix, sizeof(c->file_prefix)) &&
		   terminated(c->log_level, sizeof(c->log_level)));
	for (unsigned i = 0; i < c->nvdev; i++)
		FUZZ_CHECK(terminated(c->vdev[i], sizeof(c->vdev[i])));
	for (unsigned i = 0; i < c->npci; i++)
		FUZZ_CHECK(terminated(c->pci[i], sizeof(c->pci[i])));
	for (uint32_t p = 0; p < c->n; p++)
		for (uint32_t q = 0; q < p; q++) {
			FUZZ_CHECK(memcmp(c->peers[p].pk, c->peers[q].pk, 32) != 0);
			uint16_t up = c->peers[p].udp_port ? c->peers[p].udp_port : c->udp_port;
			uint16_t uq = c->peers[q].udp_port ? c->peers[q].udp_port : c->udp_port;
			FUZZ_CHECK(c->peers[p].ip != c->peers[q].ip || up != uq);
		}
}

/* "fuzz.conf: ..." or "fuzz.conf:LINE: ..." with 1 <= LINE <= lines. */
static void check_message(const char *why, const uint8_t *d, size_t n)
{
	static const char pre[] = "fuzz.conf:";
	FUZZ_CHECK(strncmp(why, pre, sizeof(pre) - 1) == 0);
	const char *p = why + sizeof(pre) - 1;
	if (*p == ' ') {
		FUZZ_CHECK(p[1] != 0);
		return;
	}
	unsigned long line = 0;
	while (*p >= '0' && *p <= '9')
		line = line * 10 + (unsigned long)(*p++ - '0');
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += d[i] == '\n';
	FUZZ_CHECK(line >= 1 && line <= lines && p[0] == ':' && p[1] == ' ' && p[2]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Larger inputs only reach the size check, which replay covers. */
	if (size > 64 * 1024)
		return 0;
	char why[512];
	memset(why, 0x55, sizeof(why));
	int rc = byz_config_parse((const char *)data, size, "fuzz.conf", &cfg, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(memchr(why, 0, sizeof(why)) != NULL);
	if (rc != 0) {
		check_message(why, data, size);
		return 0;
	}
	FUZZ_CHECK(why[0] == 0);
	check_limits(&cfg);

	/* 64 peers x ~200 bytes + 8 x 2 device lists: well under 64 KiB. The
	 * written-back text names every field (line numbers aside), so equal
	 * texts mean equal configs. */
	static char text[64 * 1024], text2[64 * 1024];
	size_t len = write_back(&cfg, text, sizeof(text));
	rc = byz_config_parse(text, len, "fuzz.conf", &cfg2, why, sizeof(why));
	if (rc)
		fprintf(stderr, "written back: %s\n%.*s", why, (int)len, text);
	FUZZ_CHECK(rc == 0);
	size_t len2 = write_back(&cfg2, text2, sizeof(text2));
	FUZZ_CHECK(len2 == len && memcmp(text, text2, len) == 0);
	return 0;
}
