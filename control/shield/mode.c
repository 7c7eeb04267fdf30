/*
 * DESIGN (ByzShield mode). One step, for K workers of an assignment:
 *  1. every file j gets the public seed H(run, t, j); each worker computes the
 *     gradients of its l files (an attacker runs its gradient attack on them);
 *  2. each worker broadcasts a signed SCOMMIT of its l file-gradient hashes;
 *  3. every honest worker, alone, opens every SCOMMIT and votes per file over
 *     hashes: the class of >= floor(a/2)+1 of the a non-banned replicas wins
 *     (a = r until a replica is banned: ByzShield's strict majority);
 *  4. the first replica of the winning class streams the vector (SVEC); every
 *     receiver checks it against the class hash and falls back to the next
 *     member on a mismatch;
 *  5. an honest replica that sees a signed hash differing from its own for a
 *     file they share accuses the signer (SACCUSE, evidence: its SCOMMIT);
 *     every honest worker adjudicates by recomputing that file's gradient from
 *     the public seed: guilty -> the accused is banned, else the accuser;
 *  6. the voted file gradients go to the robust aggregator; every honest
 *     worker applies x -= lr * aggregate to its own copy;
 *  7. audits: once every SCOMMIT (which carries an MPRNG commitment) is
 *     fixed, workers reveal their values; the shared value draws `audits`
 *     files and an auditor for each, who recomputes the file and accuses
 *     every replica whose signed hash differs (adjudicated as in 5). A file
 *     whose every replica lies has no honest co-replica to object, so only
 *     this catches it. A missing or wrong reveal is a ban.
 * Bans take effect at the step boundary (Decision, docs/byzshield.md): the
 * step's vote is exactly what ByzShield bounds (c_max(q) files), and a banned
 * worker's replicas leave every later vote.
 * Each honest worker keeps its own params and ban list; the run compares
 * them after every step, so identical replicas and consistent bans are
 * measured, not assumed. Messages are delivered synchronously (no virtual
 * network: the vote has no timing of its own), and their bytes counted as
 * K-1 deliveries per broadcast.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "byz/attack.h"
#include "byz/clip.h"
#include "byz/data.h"
#include "byz/err.h"
#include "byz/shield_run.h"
#include "byz/swarm.h"
#include "byz/wire.h"

struct view {             /* one honest worker's state */
	float *x;
	float *upd;              /* this step's aggregate, applied after adjudication */
	int has_upd;
	uint8_t banned[BYZ_SWIRE_MAX_WORKERS];
	struct byz_shield_ban *log;
	size_t nlog;
};

struct byz_shield_run {
	struct byz_shield_run_cfg c;
	const struct byz_shield_assign *a;
	uint32_t K, f, l, r;
	uint8_t run_id[32];
	uint8_t *roster;
	uint8_t (*sks)[64];
	uint8_t is_byz[BYZ_SWIRE_MAX_WORKERS];
	uint16_t byz_ids[BYZ_SWIRE_MAX_WORKERS];
	struct byz_grad_attack **att; /* K*l: Byzantine worker w, slot s */
	struct view *v;               /* K entries; used for honest workers */
	uint32_t first;               /* first honest worker */
	float *truth;                 /* f*d honest file gradients (x of first) */
	const float **truth_ptr;
	uint8_t *truth_hash;          /* f*32 */
	float *g;                     /* K*l*d: what each worker computed/sent */
	uint8_t *gh;                  /* K*l*32 */
	float *voted, *agg, *tmp;     /* f*d, d, f*d */
	const float **vptr;
	struct byz_shield_report rep;
	struct byz_shield_ban *bans_out;
};

static const char *const aggr_names[BYZ_SHIELD_AGG_COUNT] = {"cclip", "median-of-means",
							    "multikrum", "mean"};

const char *byz_shield_aggr_name(int a)
{
	return a >= 0 && a < BYZ_SHIELD_AGG_COUNT ? aggr_names[a] : NULL;
}

int byz_shield_aggr_parse(const char *s)
{
	for (int i = 0; s && i < BYZ_SHIELD_AGG_COUNT; i++)
		if (strcmp(s, aggr_names[i]) == 0)
			return i;
	return -EINVAL;
}

void byz_shield_run_defaults(struct byz_shield_run_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->lr = 0.1f;
	c->steps = 5;
	c->seed = 1;
	c->attack = BYZ_ATK_SIGN_FLIP;
	c->attack_period = 1;
	c->aggr = BYZ_SHIELD_AGG_CCLIP;
	c->tau = 1.0;
	c->buckets = 5;
	c->audits = 1;
}

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void byz_shield_run_free(struct byz_shield_run *s)
{
	if (!s)
		return;
	if (s->att)
		for (uint32_t i = 0; i < s->K * s->l; i++)
			byz_grad_attack_destroy(s->att[i]);
	free(s->att);
	if (s->v)
		for (uint32_t i = 0; i < s->K; i++) {
			free(s->v[i].x);
			free(s->v[i].upd);
			free(s->v[i].log);
		}
	free(s->v);
	if (s->sks)
		sodium_free(s->sks);
	free(s->roster);
	free(s->truth);
	free(s->truth_ptr);
	free(s->truth_hash);
	free(s->g);
	free(s->gh);
	free(s->voted);
	free(s->agg);
	free(s->tmp);
	free(s->vptr);
	free(s->bans_out);
	free(s);
}

static int make_attacks(struct byz_shield_run *s)
{
	const struct byz_shield_run_cfg *c = &s->c;
	int kind = byz_attack_grad_kind(c->attack);
	for (uint32_t w = 0; w < s->K; w++) {
		if (!s->is_byz[w])
			continue;
		for (uint32_t k = 0; k < s->l; k++) {
			struct byz_grad_attack_spec sp;
			byz_grad_attack_default((enum byz_grad_attack_kind)kind, &sp);
			sp.start = c->attack_start;
			sp.period = c->attack_period ? c->attack_period : 1;
			/* ALIE's z comes from the files of a step: f inputs, the files the
			 * attackers can hold a majority of bounded by q l / r'. */
			sp.n = s->f;
			sp.f = c->nbyz * s->l / s->a->majority;
			if (2 * sp.f >= sp.n)
				sp.f = (sp.n - 1) / 2;
			if (c->attack_scale > 0)
				sp.scale = c->attack_scale;
			if (c->attack_delay)
				sp.delay = c->attack_delay;
			sp.seed = c->seed ^ 0x7a11d1cull; /* colluders share one direction */
			int err = 0;
			s->att[w * s->l + k] = byz_grad_attack_create(&sp, c->d, &err);
			if (!s->att[w * s->l + k])
				return err ? err : -ENOMEM;
		}
	}
	return 0;
}

struct byz_shield_run *byz_shield_run_new(const struct byz_shield_run_cfg *c, int *err)
{
	int rc = -EINVAL;
	struct byz_shield_run *s = NULL;
	if (!c || !c->assign || !c->oracle.grad || c->d == 0 || c->steps == 0 ||
	    c->assign->n_workers > BYZ_SWIRE_MAX_WORKERS || c->nbyz >= c->assign->n_workers ||
	    c->assign->n_files > BYZ_SWIRE_MAX_FILES || c->d > BYZ_SWIRE_MAX_FLOATS ||
	    (c->nbyz && byz_attack_grad_kind(c->attack) < 0) ||
	    (c->nbyz && c->attack == BYZ_ATK_LABEL_FLIP && !c->oracle_flip.grad) ||
	    c->aggr < 0 || c->aggr >= BYZ_SHIELD_AGG_COUNT || !(c->lr > 0) ||
	    c->audits > c->assign->n_files ||
	    (c->aggr == BYZ_SHIELD_AGG_CCLIP && !(c->tau > 0 && isfinite(c->tau))))
		goto fail;
	if (sodium_init() < 0) {
		rc = -EIO;
		goto fail;
	}
	rc = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->c = *c;
	s->a = c->assign;
	s->K = s->a->n_workers;
	s->f = s->a->n_files;
	s->l = s->a->l;
	s->r = s->a->r;
	if (!s->c.buckets)
		s->c.buckets = 5;
	size_t d = c->d, K = s->K, f = s->f, l = s->l;
	s->roster = malloc(32 * K);
	s->sks = sodium_malloc(64 * K);
	s->att = calloc(K * l, sizeof(*s->att));
	s->v = calloc(K, sizeof(*s->v));
	s->truth = malloc(f * d * sizeof(float));
	s->truth_ptr = malloc(f * sizeof(*s->truth_ptr));
	s->truth_hash = malloc(f * 32);
	s->g = malloc(K * l * d * sizeof(float));
	s->gh = malloc(K * l * 32);
	s->voted = malloc(f * d * sizeof(float));
	s->tmp = malloc(f * d * sizeof(float));
	s->agg = malloc(d * sizeof(float));
	s->vptr = malloc(f * sizeof(*s->vptr));
	if (!s->roster || !s->sks || !s->att || !s->v || !s->truth || !s->truth_ptr ||
	    !s->truth_hash || !s->g || !s->gh || !s->voted || !s->tmp || !s->agg || !s->vptr)
		goto fail;
	for (size_t j = 0; j < f; j++)
		s->truth_ptr[j] = s->truth + j * d;

	uint8_t sb[14 + 8];
	memcpy(sb, "byzshield-run:", 14);
	byz_put64(sb + 14, c->seed);
	crypto_generichash(s->run_id, 32, sb, sizeof(sb), NULL, 0);
	for (uint32_t w = 0; w < K; w++) {
		uint8_t kb[14 + 8 + 2], seed[32];
		memcpy(kb, "byzshield-key:", 14);
		byz_put64(kb + 14, c->seed);
		byz_put16(kb + 22, (uint16_t)w);
		crypto_generichash(seed, 32, kb, sizeof(kb), NULL, 0);
		crypto_sign_seed_keypair(s->roster + 32 * w, s->sks[w], seed);
		sodium_memzero(seed, sizeof(seed));
	}
	/* The Byzantine set: given (e.g. a maximising set), or a seeded choice. */
	if (c->byz_set) {
		for (uint32_t b = 0; b < c->nbyz; b++) {
			if (c->byz_set[b] >= K || s->is_byz[c->byz_set[b]]) {
				rc = -EINVAL;
				goto fail;
			}
			s->is_byz[c->byz_set[b]] = 1;
		}
	} else {
		uint32_t ids[BYZ_SWIRE_MAX_WORKERS];
		uint64_t rs = c->seed ^ 0x5eed5b12ull;
		for (uint32_t i = 0; i < K; i++)
			ids[i] = i;
		for (uint32_t i = (uint32_t)K - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(mix(&rs) % (i + 1));
			uint32_t t = ids[i];
			ids[i] = ids[j];
			ids[j] = t;
		}
		/* nbyz < K is checked above; the bound is repeated for the reader */
		for (uint32_t b = 0; b < c->nbyz && b < K; b++)
			s->is_byz[ids[b]] = 1;
	}
	uint32_t nb = 0;
	for (uint32_t w = 0; w < K; w++)
		if (s->is_byz[w])
			s->byz_ids[nb++] = (uint16_t)w;
	s->first = 0;
	while (s->is_byz[s->first])
		s->first++;
	for (uint32_t w = 0; w < K; w++) {
		if (s->is_byz[w])
			continue;
		s->v[w].x = malloc(d * sizeof(float));
		s->v[w].upd = malloc(d * sizeof(float));
		s->v[w].log = malloc(K * sizeof(*s->v[w].log));
		if (!s->v[w].x || !s->v[w].upd || !s->v[w].log)
			goto fail;
		if (c->x0)
			memcpy(s->v[w].x, c->x0, d * sizeof(float));
		else
			memset(s->v[w].x, 0, d * sizeof(float));
	}
	rc = make_attacks(s);
	if (rc)
		goto fail;
	s->rep.K = (uint32_t)K;
	s->rep.f = (uint32_t)f;
	s->rep.nbyz = c->nbyz;
	s->rep.byz = s->byz_ids;
	s->rep.replicas_identical = 1;
	s->rep.bans_consistent = 1;
	s->rep.first_attack_step = -1;
	if (err)
		*err = 0;
	return s;
fail:
	byz_shield_run_free(s);
	if (err)
		*err = rc;
	return NULL;
}

const struct byz_shield_report *byz_shield_run_report(const struct byz_shield_run *s)
{
	return &s->rep;
}

const float *byz_shield_run_params(const struct byz_shield_run *s)
{
	return s->v[s->first].x;
}

const uint8_t *byz_shield_run_id(const struct byz_shield_run *s) { return s->run_id; }

/* Broadcast accounting: K-1 deliveries. */
static void sent(struct byz_shield_run *s, size_t len)
{
	s->rep.msgs += s->K - 1;
	s->rep.bytes += (uint64_t)len * (s->K - 1);
}

/* Slot of @p file in worker @p w's list, or -1. */
static int slot_of(const struct byz_shield_run *s, uint32_t w, uint32_t file)
{
	const uint32_t *wf = s->a->worker_files + (size_t)w * s->l;
	for (uint32_t k = 0; k < s->l; k++)
		if (wf[k] == file)
			return (int)k;
	return -1;
}

/* ---------- per-step pieces ---------- */

/* Step 1: truth, honest gradients, attacks. */
static int compute(struct byz_shield_run *s, uint64_t t, const uint8_t *banned)
{
	const struct byz_shield_run_cfg *c = &s->c;
	size_t d = c->d;
	uint8_t seed[32];
	for (uint32_t j = 0; j < s->f; j++) {
		byz_shield_file_seed(s->run_id, t, j, seed);
		int rc = c->oracle.grad(c->oracle.ctx, s->v[s->first].x, d, seed,
					s->truth + (size_t)j * d);
		if (rc)
			return rc;
		byz_shield_grad_hash(s->run_id, t, j, s->truth + (size_t)j * d, d,
				     s->truth_hash + 32u * j);
	}
	/* Files where the (non-banned) attackers hold a majority of the
	 * replicas, and those where they hold every one. */
	uint8_t maj[BYZ_SWIRE_MAX_FILES], hidden[BYZ_SWIRE_MAX_FILES];
	for (uint32_t j = 0; j < s->f; j++) {
		uint32_t nbz = 0, alive = 0;
		for (uint32_t k = 0; k < s->r; k++) {
			uint32_t w = s->a->file_workers[(size_t)j * s->r + k];
			alive += !banned[w];
			nbz += !banned[w] && s->is_byz[w];
		}
		maj[j] = alive && nbz >= alive / 2 + 1;
		hidden[j] = alive && nbz == alive;
	}
	for (uint32_t w = 0; w < s->K; w++) {
		if (banned[w])
			continue;
		/* The protocol's demand: l per worker still in (attackers included). */
		s->rep.grad_calls += s->l;
		for (uint32_t k = 0; k < s->l; k++) {
			uint32_t j = s->a->worker_files[(size_t)w * s->l + k];
			float *g = s->g + ((size_t)w * s->l + k) * d;
			byz_shield_file_seed(s->run_id, t, j, seed);
			if (!s->is_byz[w]) {
				int rc = c->oracle.grad(c->oracle.ctx, s->v[w].x, d, seed, g);
				if (rc)
					return rc;
			} else {
				struct byz_grad_attack *at = s->att[(size_t)w * s->l + k];
				memcpy(g, s->truth + (size_t)j * d, d * sizeof(float));
				if (byz_grad_attack_data_flags(at, t) & BYZ_DATA_FLIP_LABELS)
					(void)c->oracle_flip.grad(c->oracle_flip.ctx, s->v[s->first].x,
								  d, seed, g);
				/* Every step, in order (the delayed attack keeps history). */
				int rc = byz_grad_attack_apply(at, t, g, s->truth_ptr, s->f, s->tmp);
				int lie = rc == 0 && byz_grad_attack_active(at, t) &&
					  (!c->majority_only || maj[j]) &&
					  (!c->hidden_only || hidden[j]);
				if (lie)
					memcpy(g, s->tmp, d * sizeof(float));
				else
					memcpy(g, s->truth + (size_t)j * d, d * sizeof(float));
			}
			byz_shield_grad_hash(s->run_id, t, j, g, d, s->gh + ((size_t)w * s->l + k) * 32);
		}
	}
	return 0;
}

/* A worker's SCOMMIT as a receiver checks it: exactly its l files. */
static int commit_ok(const struct byz_shield_run *s, const uint8_t *buf, size_t len,
		     uint64_t t, uint32_t w, struct byz_smsg *m)
{
	if (!buf || byz_swire_open(buf, len, s->run_id, s->roster, s->K, m) != 0)
		return 0;
	if (m->type != BYZ_SWIRE_COMMIT || m->step != t || m->sender != w || m->count != s->l)
		return 0;
	for (uint32_t k = 0; k < s->l; k++)
		if (!byz_swire_commit_hash(m, s->a->worker_files[(size_t)w * s->l + k]))
			return 0;
	return 1;
}

/* A worker's MPRNG value of step t: keyed by its secret, so nobody else
 * can predict it, and a function of (seed, t) so runs replay. */
static void rho_of(const struct byz_shield_run *s, uint32_t w, uint64_t t, uint8_t rho[32])
{
	uint8_t b[13 + 8];
	memcpy(b, "byzshield-rho", 13);
	byz_put64(b + 13, t);
	crypto_generichash(rho, 32, b, sizeof(b), s->sks[w], 32);
}

/* A reveal counts when it opens, is the sender's of step t, and matches
 * the commitment in the sender's valid SCOMMIT. */
static int reveal_ok(const struct byz_shield_run *s, const uint8_t *cbuf, size_t clen,
		     const uint8_t *rbuf, size_t rlen, uint64_t t, uint32_t w)
{
	struct byz_smsg cmsg, rmsg;
	uint8_t h[32];
	if (!rbuf || !commit_ok(s, cbuf, clen, t, w, &cmsg) ||
	    byz_swire_open(rbuf, rlen, s->run_id, s->roster, s->K, &rmsg) != 0 ||
	    rmsg.type != BYZ_SWIRE_REVEAL || rmsg.step != t || rmsg.sender != w)
		return 0;
	byz_shield_mprng_commit(s->run_id, t, (uint16_t)w, rmsg.rho, h);
	return sodium_memcmp(h, cmsg.mprng, 32) == 0;
}

/* The audit draw from the values of the workers with ok[w] set. */
static int audit_draw(const struct byz_shield_run *s, uint64_t t, const uint8_t *rho,
		      const uint8_t *ok, uint32_t *files, uint16_t *auditors, uint8_t r[32])
{
	uint16_t elig[BYZ_SWIRE_MAX_WORKERS];
	uint32_t na = 0;
	for (uint32_t w = 0; w < s->K; w++)
		if (ok[w])
			elig[na++] = (uint16_t)w;
	byz_shield_mprng_value(s->run_id, t, rho, ok, s->K, r);
	return byz_shield_audit_draw(r, s->f, na ? s->c.audits : 0, elig, na, files, auditors);
}

/* The adaptive last revealers: after seeing every honest value, Byzantine
 * workers withhold theirs, one at a time, while the draw would send an
 * honest auditor to a file one of them lied on. Each withholding costs the
 * withholder its identity (a reveal ban). */
static void choose_withhold(const struct byz_shield_run *s, uint64_t t, const uint8_t *banned,
			    const uint8_t *rho, uint8_t *ok, uint8_t *withhold)
{
	uint32_t files[BYZ_SWIRE_MAX_FILES];
	uint16_t aud[BYZ_SWIRE_MAX_FILES];
	uint8_t r[32];
	for (uint32_t w0 = 0; w0 <= s->K; w0++) {
		if (audit_draw(s, t, rho, ok, files, aud, r) != 0)
			return;
		int hit = 0;
		for (uint32_t i = 0; i < s->c.audits && !hit; i++) {
			if (s->is_byz[aud[i]])
				continue;
			const uint32_t *fw = s->a->file_workers + (size_t)files[i] * s->r;
			for (uint32_t q = 0; q < s->r && !hit; q++) {
				uint32_t w = fw[q];
				int k = slot_of(s, w, files[i]);
				hit = s->is_byz[w] && !banned[w] && k >= 0 &&
				      memcmp(s->gh + ((size_t)w * s->l + (uint32_t)k) * 32,
					     s->truth_hash + 32u * files[i], 32) != 0;
			}
		}
		if (!hit)
			return;
		uint32_t x = 0;
		while (x < s->K && !(s->is_byz[x] && ok[x]))
			x++;
		if (x == s->K)
			return; /* nobody left to withhold */
		ok[x] = 0;
		withhold[x] = 1;
	}
}

static int aggregate(struct byz_shield_run *s, const float *const *v, uint32_t k)
{
	const struct byz_shield_run_cfg *c = &s->c;
	size_t d = c->d;
	struct byz_agg_params ap;
	if (c->aggr == BYZ_SHIELD_AGG_CCLIP) {
		byz_agg_params_default(&ap, BYZ_AGG_CCLIP, k);
		ap.clip = (struct byz_clip_params){.tau = c->tau, .eps = 1e-5, .max_iters = 1000000,
						   .impl = BYZ_CLIP_GRAM};
		return byz_aggregate(&ap, v, k, d, s->agg, NULL);
	}
	if (c->aggr == BYZ_SHIELD_AGG_MEAN) {
		byz_agg_params_default(&ap, BYZ_AGG_MEAN, k);
		return byz_aggregate(&ap, v, k, d, s->agg, NULL);
	}
	/* Buckets of consecutive voted files, averaged, then the robust rule. */
	uint32_t B = c->buckets < k ? c->buckets : k;
	const float *bp[BYZ_SWIRE_MAX_FILES];
	for (uint32_t b = 0; b < B; b++) {
		uint32_t lo = (uint32_t)((uint64_t)k * b / B), hi = (uint32_t)((uint64_t)k * (b + 1) / B);
		float *m = s->tmp + (size_t)b * d;
		for (size_t i = 0; i < d; i++) {
			double acc = 0;
			for (uint32_t q = lo; q < hi; q++)
				acc += v[q][i];
			m[i] = (float)(acc / (hi - lo));
		}
		bp[b] = m;
	}
	enum byz_agg_kind kind = c->aggr == BYZ_SHIELD_AGG_MOM ? BYZ_AGG_MEDIAN : BYZ_AGG_MULTIKRUM;
	if (kind == BYZ_AGG_MULTIKRUM && B < 4)
		kind = BYZ_AGG_MEDIAN; /* Krum needs k > 2f + 2 */
	byz_agg_params_default(&ap, kind, B);
	return byz_aggregate(&ap, bp, B, d, s->agg, NULL);
}

struct acc {
	uint16_t accuser, accused;
	uint32_t file;
	uint8_t by_audit;
	uint8_t *buf;
	size_t len;
};

int byz_shield_run_all(struct byz_shield_run *s)
{
	if (!s)
		return -EINVAL;
	const struct byz_shield_run_cfg *c = &s->c;
	const size_t d = c->d;
	const uint32_t K = s->K, f = s->f, l = s->l, r = s->r;
	uint8_t **cm = calloc(K, sizeof(*cm));
	size_t *cml = calloc(K, sizeof(*cml));
	uint8_t **rv = calloc(K, sizeof(*rv));
	size_t *rvl = calloc(K, sizeof(*rvl));
	uint8_t *rho = malloc(32u * K);
	uint8_t *vbuf = malloc(d * 4 + 8 > 36u + 36u * l ? d * 4 + 8 : 36u + 36u * l);
	struct acc *acc = calloc((size_t)K * l * r + K + (size_t)c->audits * r, sizeof(*acc));
	struct byz_smsg *op = calloc(K, sizeof(*op));
	uint8_t *okc = calloc(K, 1);
	/* Every view receives the same signed bytes, so each SCOMMIT and REVEAL
	 * is opened (signature checked) once per step, not once per view. */
	uint8_t *cok = calloc(K, 1), *rok = calloc(K, 1);
	int rc = 0;
	if (!cm || !cml || !rv || !rvl || !rho || !vbuf || !acc || !op || !okc || !cok || !rok) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t t = 0; t < c->steps && rc == 0; t++) {
		/* Bans agree across honest views (checked below); act on the first's. */
		const uint8_t *banned = s->v[s->first].banned;
		rc = compute(s, t, banned);
		if (rc)
			break;
		/* 2. commitments */
		for (uint32_t w = 0; w < K; w++) {
			free(cm[w]);
			cm[w] = NULL;
			if (banned[w])
				continue;
			uint8_t mc[32];
			rho_of(s, w, t, rho + 32u * w);
			byz_shield_mprng_commit(s->run_id, t, (uint16_t)w, rho + 32u * w, mc);
			size_t pl = byz_swire_put_commit(vbuf, (uint16_t)l, s->a->worker_files + (size_t)w * l,
							 s->gh + (size_t)w * l * 32, mc);
			rc = byz_swire_seal(BYZ_SWIRE_COMMIT, (uint16_t)w, t, s->run_id, vbuf,
					    (uint32_t)pl, s->sks[w], &cm[w], &cml[w]);
			if (rc)
				goto out;
			sent(s, cml[w]);
		}
		for (uint32_t w = 0; w < K; w++)
			cok[w] = commit_ok(s, cm[w], cml[w], t, w, &op[w]);
		/* 3-4. every honest worker votes and takes the streamed vectors */
		uint32_t nacc = 0, distorted = 0, dropped = 0, nvoted = 0;
		uint8_t disagree[BYZ_SWIRE_MAX_WORKERS] = {0};
		int lied = 0;
		for (uint32_t w = 0; w < K; w++)
			for (uint32_t k = 0; k < l && !banned[w]; k++)
				lied |= memcmp(s->gh + ((size_t)w * l + k) * 32,
					       s->truth_hash + 32u * s->a->worker_files[(size_t)w * l + k], 32) != 0;
		uint8_t **svec = calloc(f, sizeof(*svec));
		size_t *svl = calloc(f, sizeof(*svl));
		int *svfrom = calloc(f, sizeof(*svfrom));
		if (!svec || !svl || !svfrom) {
			free(svec);
			free(svl);
			free(svfrom);
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t j = 0; j < f; j++)
			svfrom[j] = -1;
		for (uint32_t h = 0; h < K && rc == 0; h++) {
			if (s->is_byz[h] || s->v[h].banned[h])
				continue;
			struct view *vw = &s->v[h];
			for (uint32_t w = 0; w < K; w++)
				okc[w] = !vw->banned[w] && cok[w];
			uint32_t k = 0;
			for (uint32_t j = 0; j < f; j++) {
				uint8_t hs[BYZ_SWIRE_MAX_WORKERS * 32], pres[BYZ_SWIRE_MAX_WORKERS];
				const uint32_t *fw = s->a->file_workers + (size_t)j * r;
				uint32_t alive = 0;
				for (uint32_t q = 0; q < r; q++) {
					uint32_t w = fw[q];
					alive += !vw->banned[w];
					pres[q] = okc[w];
					if (okc[w])
						memcpy(hs + 32u * q, byz_swire_commit_hash(&op[w], j), 32);
				}
				int win = alive ? byz_shield_vote(hs, pres, r, alive / 2 + 1) : -1;
				if (h == s->first) {
					if (win < 0)
						dropped++;
					else if (memcmp(hs + 32u * win, s->truth_hash + 32u * j, 32) != 0)
						distorted++;
					for (uint32_t q = 0; q < r && win >= 0; q++)
						if (pres[q] && memcmp(hs + 32u * q, hs + 32u * win, 32) != 0) {
							disagree[fw[q]] = 1;
							s->rep.disagreements++;
						}
				}
				/* Honest replica h accuses every co-replica whose signed hash
				 * differs from its own (its own is in its SCOMMIT). */
				int hs_slot = slot_of(s, h, j);
				if (hs_slot >= 0) {
					const uint8_t *mine = s->gh + ((size_t)h * l + (uint32_t)hs_slot) * 32;
					for (uint32_t q = 0; q < r; q++)
						if (fw[q] != h && pres[q] && memcmp(hs + 32u * q, mine, 32) != 0)
							acc[nacc++] = (struct acc){.accuser = (uint16_t)h,
										   .accused = (uint16_t)fw[q],
										   .file = j};
				}
				if (win < 0)
					continue;
				/* The class's members stream in order until one matches. */
				const float *got = NULL;
				for (uint32_t q = (uint32_t)win; q < r && !got; q++) {
					uint32_t w = fw[q];
					if (!pres[q] || memcmp(hs + 32u * q, hs + 32u * win, 32) != 0)
						continue;
					if (svfrom[j] != (int)w) { /* seal once per (file, streamer) */
						free(svec[j]);
						size_t pl = byz_swire_put_vec(vbuf, j,
									      s->g + ((size_t)w * l + (uint32_t)slot_of(s, w, j)) * d,
									      (uint32_t)d);
						rc = byz_swire_seal(BYZ_SWIRE_VEC, (uint16_t)w, t, s->run_id, vbuf,
								    (uint32_t)pl, s->sks[w], &svec[j], &svl[j]);
						if (rc)
							break;
						svfrom[j] = (int)w;
						sent(s, svl[j]);
					}
					struct byz_smsg vm;
					uint8_t hh[32];
					if (byz_swire_open(svec[j], svl[j], s->run_id, s->roster, K, &vm) ||
					    vm.type != BYZ_SWIRE_VEC || vm.step != t || vm.sender != w ||
					    vm.file != j || vm.nfloats != d) {
						s->rep.bad_streams += h == s->first;
						continue;
					}
					float *dst = s->voted + (size_t)k * d;
					for (size_t i = 0; i < d; i++)
						dst[i] = byz_lef32(vm.data + 4 * i);
					byz_shield_grad_hash(s->run_id, t, j, dst, d, hh);
					if (memcmp(hh, hs + 32u * win, 32) != 0) {
						s->rep.bad_streams += h == s->first;
						continue;
					}
					got = dst;
				}
				if (got)
					s->vptr[k++] = got;
			}
			if (h == s->first)
				nvoted = k;
			/* 6. aggregate and update this replica */
			vw->has_upd = 0;
			if (k) {
				rc = aggregate(s, s->vptr, k);
				if (rc == -EDOM) {
					rc = 0; /* non-finite input: this step is skipped */
				} else if (rc == 0) {
					memcpy(vw->upd, s->agg, d * sizeof(float));
					vw->has_upd = 1;
				}
			}
		}
		for (uint32_t j = 0; j < f; j++)
			free(svec[j]);
		free(svec);
		free(svl);
		free(svfrom);
		if (rc)
			break;
		/* 7. MPRNG reveals, now that every commitment is fixed, then the
		 * audits they draw. Every honest view derives the same value from
		 * the same signed messages; the auditors act on it. */
		uint8_t okr[BYZ_SWIRE_MAX_WORKERS] = {0}, withhold[BYZ_SWIRE_MAX_WORKERS] = {0};
		for (uint32_t w = 0; w < K; w++)
			okr[w] = !banned[w];
		if (c->withhold_reveal && t >= c->attack_start)
			choose_withhold(s, t, banned, rho, okr, withhold);
		for (uint32_t w = 0; w < K && rc == 0; w++) {
			free(rv[w]);
			rv[w] = NULL;
			if (banned[w] || withhold[w])
				continue;
			size_t pl = byz_swire_put_reveal(vbuf, rho + 32u * w);
			rc = byz_swire_seal(BYZ_SWIRE_REVEAL, (uint16_t)w, t, s->run_id, vbuf,
					    (uint32_t)pl, s->sks[w], &rv[w], &rvl[w]);
			if (rc == 0)
				sent(s, rvl[w]);
		}
		for (uint32_t w = 0; w < K; w++)
			rok[w] = reveal_ok(s, cm[w], cml[w], rv[w], rvl[w], t, w);
		if (rc)
			break;
		uint8_t r0[32];
		for (uint32_t h = 0; h < K && rc == 0; h++) {
			if (s->is_byz[h] || s->v[h].banned[h])
				continue;
			uint32_t files[BYZ_SWIRE_MAX_FILES];
			uint16_t aud[BYZ_SWIRE_MAX_FILES];
			uint8_t rt[32];
			for (uint32_t w = 0; w < K; w++)
				okr[w] = !s->v[h].banned[w] && rok[w];
			rc = audit_draw(s, t, rho, okr, files, aud, rt);
			if (rc)
				break;
			if (h != s->first) {
				if (memcmp(rt, r0, 32) != 0)
					s->rep.bans_consistent = 0;
				continue;
			}
			memcpy(r0, rt, 32);
			for (uint32_t i = 0; i < c->audits; i++) {
				uint32_t a = aud[i], j = files[i];
				if (s->is_byz[a])
					continue; /* colluders do not audit each other */
				uint8_t seed[32], hh[32];
				byz_shield_file_seed(s->run_id, t, j, seed);
				rc = c->oracle.grad(c->oracle.ctx, s->v[a].x, d, seed, s->tmp);
				if (rc)
					break;
				s->rep.audit_calls++;
				byz_shield_grad_hash(s->run_id, t, j, s->tmp, d, hh);
				const uint32_t *fw = s->a->file_workers + (size_t)j * r;
				for (uint32_t q = 0; q < r; q++) {
					const uint8_t *hw;
					if (fw[q] == a || s->v[a].banned[fw[q]] || !cok[fw[q]] ||
					    !(hw = byz_swire_commit_hash(&op[fw[q]], j)) ||
					    memcmp(hw, hh, 32) == 0)
						continue;
					acc[nacc++] = (struct acc){.accuser = (uint16_t)a,
								   .accused = (uint16_t)fw[q],
								   .file = j, .by_audit = 1};
				}
			}
		}
		if (rc)
			break;
		/* Byzantine false accusations: each attacker accuses one honest
		 * co-replica of one of its files. */
		for (uint32_t w = 0; w < K && c->false_accuse && t >= c->attack_start; w++) {
			if (!s->is_byz[w] || banned[w])
				continue;
			for (uint32_t k = 0; k < l; k++) {
				uint32_t j = s->a->worker_files[(size_t)w * l + k], hon = K;
				for (uint32_t q = 0; q < r && hon == K; q++) {
					uint32_t x = s->a->file_workers[(size_t)j * r + q];
					if (!s->is_byz[x] && !banned[x])
						hon = x;
				}
				if (hon < K) {
					acc[nacc++] = (struct acc){.accuser = (uint16_t)w,
								   .accused = (uint16_t)hon, .file = j};
					break;
				}
			}
		}
		/* 5. accusations: sealed, broadcast, adjudicated by every honest view
		 * in the same (canonical) order. */
		for (uint32_t i = 0; i < nacc && rc == 0; i++) {
			struct acc *a = &acc[i];
			size_t el = cml[a->accused];
			uint8_t *p = malloc(12 + el);
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			size_t pl = byz_swire_put_accuse(p, a->accused, a->file, cm[a->accused],
							 (uint32_t)el);
			rc = byz_swire_seal(BYZ_SWIRE_ACCUSE, a->accuser, t, s->run_id, p,
					    (uint32_t)pl, s->sks[a->accuser], &a->buf, &a->len);
			free(p);
			if (rc == 0)
				sent(s, a->len);
		}
		s->rep.accusations += nacc;
		uint8_t seed[32], hh[32];
		for (uint32_t h = 0; h < K && rc == 0; h++) {
			if (s->is_byz[h] || s->v[h].banned[h])
				continue;
			struct view *vw = &s->v[h];
			uint8_t pend[BYZ_SWIRE_MAX_WORKERS] = {0};
			/* A committed MPRNG value that was not revealed, or not as
			 * committed: the commitment is the evidence, every view sees it. */
			for (uint32_t w = 0; w < K; w++) {
				if (vw->banned[w] || !cok[w] || rok[w])
					continue;
				pend[w] = 1;
				s->rep.withheld += h == s->first;
				vw->log[vw->nlog++] = (struct byz_shield_ban){
					.worker = (uint16_t)w, .step = t, .accuser = (uint16_t)w,
					.reason = BYZ_SHIELD_BAN_REVEAL};
			}
			for (uint32_t i = 0; i < nacc && rc == 0; i++) {
				struct byz_smsg am, em;
				if (byz_swire_open(acc[i].buf, acc[i].len, s->run_id, s->roster, K, &am) ||
				    am.type != BYZ_SWIRE_ACCUSE || am.step != t)
					continue;
				uint16_t who = am.sender, acd = am.accused;
				if (acd >= K || who == acd || vw->banned[who] || vw->banned[acd] ||
				    pend[who] || pend[acd])
					continue;
				/* Evidence: the accused's own signed SCOMMIT of this step naming
				 * a file the accused holds. A malformed accusation is dropped
				 * (its signer proved nothing either way). */
				const uint8_t *claimed;
				if (byz_swire_open(am.ev, am.ev_len, s->run_id, s->roster, K, &em) ||
				    em.step != t || em.sender != acd || slot_of(s, acd, am.file) < 0 ||
				    !(claimed = byz_swire_commit_hash(&em, am.file)))
					continue;
				/* Recompute from public data with the params of step t. */
				byz_shield_file_seed(s->run_id, t, am.file, seed);
				rc = c->oracle.grad(c->oracle.ctx, vw->x, d, seed, s->tmp);
				if (rc)
					break;
				s->rep.adjud_calls++;
				s->rep.adjudications += h == s->first;
				byz_shield_grad_hash(s->run_id, t, am.file, s->tmp, d, hh);
				int guilty = memcmp(hh, claimed, 32) != 0;
				uint16_t out = guilty ? acd : who;
				pend[out] = 1;
				vw->log[vw->nlog++] = (struct byz_shield_ban){
					.worker = out, .step = t, .accuser = guilty ? who : acd,
					.false_accusation = (uint8_t)!guilty,
					.reason = guilty ? BYZ_SHIELD_BAN_HASH : BYZ_SHIELD_BAN_FALSE_ACCUSE,
					.by_audit = acc[i].by_audit};
			}
			for (uint32_t w = 0; w < K; w++)
				vw->banned[w] |= pend[w];
		}
		for (uint32_t i = 0; i < nacc; i++) {
			free(acc[i].buf);
			acc[i].buf = NULL;
		}
		if (rc)
			break;
		/* 6 (deferred so adjudication saw the params of step t). */
		for (uint32_t h = 0; h < K; h++)
			if (!s->is_byz[h] && s->v[h].has_upd)
				for (size_t i = 0; i < d; i++)
					s->v[h].x[i] -= c->lr * s->v[h].upd[i];
		/* Measured, not assumed: every honest replica equal, bans equal. */
		const struct view *v0 = &s->v[s->first];
		for (uint32_t h = 0; h < K; h++) {
			if (s->is_byz[h])
				continue;
			if (memcmp(s->v[h].x, v0->x, d * sizeof(float)) != 0)
				s->rep.replicas_identical = 0;
			if (s->v[h].nlog != v0->nlog ||
			    memcmp(s->v[h].banned, v0->banned, sizeof(v0->banned)) != 0)
				s->rep.bans_consistent = 0;
		}
		s->rep.files_voted += nvoted;
		s->rep.files_distorted += distorted;
		s->rep.files_dropped += dropped;
		uint32_t nd = 0;
		for (uint32_t w = 0; w < K; w++)
			nd += disagree[w];
		s->rep.last_disagreeing = nd;
		if (lied && s->rep.first_attack_step < 0) {
			s->rep.first_attack_step = (int64_t)t;
			s->rep.first_distorted = distorted;
			s->rep.first_dropped = dropped;
		}
		s->rep.steps_done = t + 1;
		if (c->progress)
			c->progress(c->progress_ctx, t + 1, v0->x);
	}
	if (rc == 0) {
		const struct view *v0 = &s->v[s->first];
		s->bans_out = malloc((v0->nlog ? v0->nlog : 1) * sizeof(*s->bans_out));
		if (!s->bans_out) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(s->bans_out, v0->log, v0->nlog * sizeof(*s->bans_out));
		s->rep.bans = s->bans_out;
		s->rep.nbans = v0->nlog;
		for (size_t i = 0; i < v0->nlog; i++)
			s->rep.honest_banned += !s->is_byz[v0->log[i].worker];
		for (uint32_t h = 0; h < K; h++) /* any honest view banning an honest worker */
			for (uint32_t w = 0; w < K && !s->is_byz[h]; w++)
				if (s->v[h].banned[w] && !s->is_byz[w] && !v0->banned[w])
					s->rep.honest_banned++;
	}
out:
	for (uint32_t w = 0; cm && w < K; w++)
		free(cm[w]);
	for (uint32_t w = 0; rv && w < K; w++)
		free(rv[w]);
	free(cm);
	free(cml);
	free(rv);
	free(rvl);
	free(rho);
	free(vbuf);
	free(acc);
	free(op);
	free(okc);
	free(cok);
	free(rok);
	return rc;
}
