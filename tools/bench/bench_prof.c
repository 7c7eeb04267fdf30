/*
 * Link-time wrappers (-Wl,--wrap, tools/bench/meson.build) around what the
 * node runtime spends its CPU on: Ed25519 sign/verify, BLAKE2b (commitments,
 * part and aggregate hashes, digests), CenteredClip and the frame CRC. They
 * add two TSC reads per call and count only while bp_prof.on is set, so the
 * other byz-bench commands run the real functions unchanged.
 */
#include <stddef.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <sodium.h>

#include "bench_proto.h"
#include "byz/clip.h"

struct bp_prof bp_prof;

int __real_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
				const unsigned char *m, unsigned long long mlen,
				const unsigned char *sk);
int __wrap_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
				const unsigned char *m, unsigned long long mlen,
				const unsigned char *sk);
int __real_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __real_crypto_generichash(unsigned char *out, size_t outlen, const unsigned char *in,
			      unsigned long long inlen, const unsigned char *key, size_t keylen);
int __wrap_crypto_generichash(unsigned char *out, size_t outlen, const unsigned char *in,
			      unsigned long long inlen, const unsigned char *key, size_t keylen);
int __real_crypto_generichash_update(crypto_generichash_state *st, const unsigned char *in,
				     unsigned long long inlen);
int __wrap_crypto_generichash_update(crypto_generichash_state *st, const unsigned char *in,
				     unsigned long long inlen);
int __real_byz_clip(const float *const *v, uint32_t k, size_t d, const struct byz_clip_params *p,
		    float *out, double *dist, struct byz_clip_result *res);
int __wrap_byz_clip(const float *const *v, uint32_t k, size_t d, const struct byz_clip_params *p,
		    float *out, double *dist, struct byz_clip_result *res);
unsigned int __real_crc32_iscsi(unsigned char *buf, int len, unsigned int init);
unsigned int __wrap_crc32_iscsi(unsigned char *buf, int len, unsigned int init);

int __wrap_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
				const unsigned char *m, unsigned long long mlen,
				const unsigned char *sk)
{
	if (!bp_prof.on)
		return __real_crypto_sign_detached(sig, siglen, m, mlen, sk);
	uint64_t t = rte_rdtsc();
	int r = __real_crypto_sign_detached(sig, siglen, m, mlen, sk);
	bp_prof.sign_cyc += rte_rdtsc() - t;
	bp_prof.sign_n++;
	return r;
}

int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk)
{
	if (!bp_prof.on)
		return __real_crypto_sign_verify_detached(sig, m, mlen, pk);
	uint64_t t = rte_rdtsc();
	int r = __real_crypto_sign_verify_detached(sig, m, mlen, pk);
	bp_prof.verify_cyc += rte_rdtsc() - t;
	bp_prof.verify_n++;
	return r;
}

int __wrap_crypto_generichash(unsigned char *out, size_t outlen, const unsigned char *in,
			      unsigned long long inlen, const unsigned char *key, size_t keylen)
{
	if (!bp_prof.on)
		return __real_crypto_generichash(out, outlen, in, inlen, key, keylen);
	uint64_t t = rte_rdtsc();
	int r = __real_crypto_generichash(out, outlen, in, inlen, key, keylen);
	bp_prof.hash_cyc += rte_rdtsc() - t;
	bp_prof.hash_bytes += inlen;
	return r;
}

int __wrap_crypto_generichash_update(crypto_generichash_state *st, const unsigned char *in,
				     unsigned long long inlen)
{
	if (!bp_prof.on)
		return __real_crypto_generichash_update(st, in, inlen);
	uint64_t t = rte_rdtsc();
	int r = __real_crypto_generichash_update(st, in, inlen);
	bp_prof.hash_cyc += rte_rdtsc() - t;
	bp_prof.hash_bytes += inlen;
	return r;
}

int __wrap_byz_clip(const float *const *v, uint32_t k, size_t d, const struct byz_clip_params *p,
		    float *out, double *dist, struct byz_clip_result *res)
{
	if (!bp_prof.on)
		return __real_byz_clip(v, k, d, p, out, dist, res);
	uint64_t t = rte_rdtsc();
	int r = __real_byz_clip(v, k, d, p, out, dist, res);
	bp_prof.clip_cyc += rte_rdtsc() - t;
	bp_prof.clip_n++;
	return r;
}

unsigned int __wrap_crc32_iscsi(unsigned char *buf, int len, unsigned int init)
{
	if (!bp_prof.on)
		return __real_crc32_iscsi(buf, len, init);
	uint64_t t = rte_rdtsc();
	unsigned int r = __real_crc32_iscsi(buf, len, init);
	bp_prof.crc_cyc += rte_rdtsc() - t;
	bp_prof.crc_bytes += (uint64_t)(len > 0 ? len : 0);
	return r;
}
