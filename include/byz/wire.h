/**
 * @file byz/wire.h
 * @brief The whole wire format of byzreduce protocol messages (control plane).
 *
 * Every message is: a fixed 56-byte header, a type-specific payload of at most
 * byz_wire_max_payload(type) bytes, and a 64-byte Ed25519 signature (libsodium
 * crypto_sign_detached) of header and payload: over the 64 bytes
 * byz_wire_tbs makes of them (a domain string, then a hash of the header
 * and the payload's Merkle root). All integers are
 * little-endian and fixed-size; floats are IEEE-754 binary32/binary64 in
 * little-endian byte order. The header binds the signature to the run id, the
 * step, the attempt, the message type (the protocol phase), the sender and the
 * recipient, so a message cannot be replayed across runs, steps, attempts,
 * phases or recipients.
 *
 * Header (offsets in bytes):
 *   0  u8  version (BYZ_WIRE_VERSION)     1  u8  type (enum byz_msg_type)
 *   2  u16 sender index in the roster     4  u16 recipient (BYZ_WIRE_BCAST: all)
 *   6  u16 attempt within the step        8  u64 step
 *  16  u32 payload length                20  u32 reserved, must be 0
 *  24  32  run id                        56  payload, then 64-byte signature
 *
 * Payloads ("rsv" fields must be zero; every count is checked against the
 * exact length and against its limit):
 *  COMMIT  params_digest[32] mprng_commit[32] u16 n_parts u16 rsv
 *          hash[32] x n_parts (byz_part_hash: a Merkle root over the part's 64 KiB
 *          leaves, bound to run, step, sender, part and length)
 *  DIGEST  u8 phase u8 form u16 count, then by form:
 *          form 0 (full list, sent to one peer on a mismatch): count entries
 *          of 24 bytes: u8 type u8 rsv u16 sender u16 aux u16 rsv
 *          hash16[16]; entries strictly ascending as byte strings
 *          (canonical, no duplicates);
 *          form 1 (compact, broadcast): u8 nb (1..BYZ_WIRE_BITMAP_LEN) u8 rsv
 *          u16 rsv, then for each slot type of byz_wire_digest_slot_type(k),
 *          k = 0..BYZ_WIRE_DIGEST_SLOT_TYPES-1: has[nb] multi[nb] root[16]
 *          (bit s of has: a version of slot s is held, of multi: two are,
 *          multi a subset of has; slot = sender, or the part for RESULT and
 *          AGGV; root = BLAKE2b-128 of the ascending 24-byte entries of the
 *          held versions of that type), then count 24-byte entries as in
 *          form 0, of set types (ACCUSE, JOIN) only
 *  PART    u16 part u16 rsv u32 count, float32 x count (finite)
 *  AGGV    same layout as PART: an aggregated part (stands in for the
 *          dataplane's stream of g^[j] in the in-process harness)
 *  RESULT  u16 part u16 k u32 iters u32 clipped u32 rsv f64 residual
 *          hash[32] bitmap[32] (bit i: contributor i's part was aggregated;
 *          popcount(bitmap) == k)
 *  REVEAL  rho[32]
 *  PROJ    u16 count u16 rsv, then count entries of 24 bytes:
 *          u16 part u16 rsv u32 rsv f64 s f64 n (finite, n >= 0; parts
 *          strictly ascending)
 *  ACCUSE  u8 reason u8 ev_count u16 accused u16 part u16 rsv u32 rsv,
 *          then ev_count (0..2) evidence items: u32 len, len bytes of a
 *          complete signed message of a type other than DIGEST and ACCUSE
 *          (parsed, not verified, by byz_wire_parse); for reason
 *          BYZ_ACC_MALFORMED exactly one item, of any type but JOIN, of
 *          which only the header is parsed (its payload is the dispute)
 *  FETCH   u8 what u8 rsv u16 subject u16 part u16 rsv u64 step: a request,
 *          to one peer, for data it must serve (what = BYZ_FETCH_PART: the
 *          signed PART of @c subject for @c part in @c step; BYZ_FETCH_STATE:
 *          the responder's state snapshot at the start of its next step)
 *  JOIN    pk[32]: a newcomer (or a member that left) asks to join; sender
 *          is BYZ_WIRE_OUTSIDER and the signature is by pk
 *  STATE   a snapshot of the replicated state at the start of a step (see
 *          struct byz_msg.u.state); its BLAKE2b is the state digest that
 *          COMMIT carries, which is how a re-syncing peer checks it:
 *          u64 step u64 t_step u32 d u16 n u16 prev_attempt u16 prev_n_parts
 *          u8 have_prev u8 n_queue u32 rsv r_prev[32] r_prev2[32]
 *          roster[32] x n, n x (u8 flags u8 rsv u16 clean u32 silent_run),
 *          n x u64 admit_step, prev_n_parts x u16 prev_agg_of,
 *          n_queue x pk[32], float32 x d (params), float32 x d (previous)
 *  RELAY   u8 count (1..BYZ_WIRE_MAX_RELAY) u8 rsv u16 rsv u32 inner_len,
 *          count chain entries of 68 bytes: u16 relayer u16 rsv sig[64]
 *          (relayers strictly ascending), then inner_len bytes: a complete
 *          signed broadcast of type COMMIT, RESULT, AGGV, REVEAL, PROJ,
 *          ACCUSE or JOIN (parsed by byz_wire_parse, never a RELAY), of the
 *          same run, step and attempt, whose sender is none of the
 *          relayers; the RELAY's own sender is one of them. sig is Ed25519
 *          by the relayer over "byz-relay" || run || u64 step || u16 attempt
 *          || u16 relayer || BLAKE2b-256(inner) (byz_wire_relay_sign); the
 *          parser checks structure only, byz_wire_relay_check a signature.
 *
 * Thread safety: every function is reentrant. Parsing never allocates and
 * never reads outside [buf, buf + len).
 */
#ifndef BYZ_WIRE_H
#define BYZ_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** 2: DIGEST has a compact form (a form 1 digest does not parse in version 1).
 * 3: RELAY (type 12), the signed relay of a late broadcast; and part and
 * aggregate hashes are Merkle roots over 64 KiB leaves (byz/merkle.h): a
 * version-2 peer would compute other hashes and be judged a liar, so the
 * versions refuse each other instead.
 * 4: the signature is over a domain string and a hash of the header and
 * the payload's Merkle root (byz/merkle.h; byz_wire_tbs), not over the
 * bytes themselves: one multi-buffer BLAKE2b pass instead of Ed25519's
 * SHA-512 passes (two to sign, one to verify) over a part of megabytes. */
#define BYZ_WIRE_VERSION 4u
#define BYZ_WIRE_HDR_LEN 56u
#define BYZ_WIRE_SIG_LEN 64u
#define BYZ_WIRE_BCAST 0xffffu
/** Bytes the Ed25519 signature covers (byz_wire_tbs): BYZ_WIRE_TBS_DOMAIN,
 * zero padded to 32 bytes, then BLAKE2b-256(header, Merkle root of payload). */
#define BYZ_WIRE_TBS_LEN 64u
#define BYZ_WIRE_TBS_DOMAIN "byzreduce wire v4 message"
/** Sender of a JOIN (it has no roster index yet); as a recipient: every
 * listener that is not a member (newcomers waiting for a STATE). */
#define BYZ_WIRE_OUTSIDER 0xfffeu
/** Largest roster (peers per run); sizes the RESULT bitmap. */
#define BYZ_MAX_PEERS 256u
#define BYZ_WIRE_BITMAP_LEN (BYZ_MAX_PEERS / 8u)
/** Largest part carried by PART/AGGV, and largest d of a STATE, in floats
 * (2^26: a 256 MiB gradient). Every length derived from it fits a u32 (the
 * largest, an ACCUSE with two PART items, is about 2^29 bytes); a receiver
 * bounds what it accepts by its run's d, not by this (docs/byzd.md). */
#define BYZ_WIRE_MAX_PART_FLOATS (1u << 26)
#define BYZ_WIRE_MAX_DIGEST_ENTRIES 4096u
#define BYZ_WIRE_DIGEST_ENTRY_LEN 24u
/** Slot types summarized by bitmaps in a compact DIGEST (COMMIT, RESULT, AGGV,
 * REVEAL, PROJ: at most two versions per slot, the second an equivocation). */
#define BYZ_WIRE_DIGEST_SLOT_TYPES 5u
#define BYZ_WIRE_DIGEST_FULL 0u
#define BYZ_WIRE_DIGEST_COMPACT 1u
#define BYZ_WIRE_PROJ_ENTRY_LEN 24u
#define BYZ_WIRE_MAX_EVIDENCE 2u
#define BYZ_WIRE_RESULT_LEN 88u
#define BYZ_WIRE_FETCH_LEN 16u
/** Longest relay chain (distinct relayers) a RELAY carries: f + 1 for the
 *  largest f a roster of BYZ_MAX_PEERS tolerates. */
#define BYZ_WIRE_MAX_RELAY (BYZ_MAX_PEERS / 2u)
/** Bytes of one relay-chain entry: u16 relayer u16 rsv sig[64]. */
#define BYZ_WIRE_RELAY_ENTRY_LEN 68u
/** Longest join queue a STATE carries. */
#define BYZ_WIRE_MAX_QUEUE 64u
#define BYZ_WIRE_STATE_FIXED 96u
/** STATE per-peer flags. */
#define BYZ_ST_BANNED 1u
#define BYZ_ST_LEFT 2u
#define BYZ_ST_WAS_VALIDATOR 4u
#define BYZ_ST_PREV_CONTRIB 8u
#define BYZ_ST_PROBATION 16u
#define BYZ_ST_FLAGS_ALL 31u

/** What a FETCH asks for. */
enum byz_fetch_what {
	BYZ_FETCH_PART = 1, /**< a contributor's signed PART, kept by its aggregator */
	BYZ_FETCH_STATE,    /**< a STATE snapshot (re-sync of an out-of-sync member) */
	BYZ_FETCH_END
};

/** Message types; the type is also the protocol phase bound by the signature. */
enum byz_msg_type {
	BYZ_MSG_COMMIT = 1,
	BYZ_MSG_DIGEST = 2,
	BYZ_MSG_PART = 3,
	BYZ_MSG_RESULT = 4,
	BYZ_MSG_AGGV = 5,
	BYZ_MSG_REVEAL = 6,
	BYZ_MSG_PROJ = 7,
	BYZ_MSG_ACCUSE = 8,
	BYZ_MSG_FETCH = 9,
	BYZ_MSG_JOIN = 10,
	BYZ_MSG_STATE = 11,
	BYZ_MSG_RELAY = 12,
	BYZ_MSG_TYPE_END
};

/** Accusation reasons (ACCUSE.reason). */
enum byz_accuse_reason {
	BYZ_ACC_BAD_PART = 1,   /**< ev: accused's COMMIT, accused's PART to the accuser */
	BYZ_ACC_PROJ_LIE = 2,   /**< ev: accused's PROJ, accused's PART to the accuser */
	BYZ_ACC_GRAD = 3,       /**< ev: accused's COMMIT of the previous step */
	BYZ_ACC_EQUIV = 4,      /**< ev: two different signed messages for one slot */
	BYZ_ACC_MALFORMED = 5,  /**< ev: one message of the current attempt, validly
				 *   signed by the accused, whose header parses
				 *   (byz_wire_parse_header) and whose payload does not */
	BYZ_ACC_REASON_END
};

/** A parsed message: views into the caller's buffer (valid while it lives). */
struct byz_msg {
	uint8_t version, type;
	uint16_t sender, recipient, attempt;
	uint64_t step;
	const uint8_t *run_id;   /**< 32 bytes */
	const uint8_t *payload;
	uint32_t payload_len;
	const uint8_t *raw;      /**< the whole message, signature included */
	size_t raw_len;
	union {
		struct {
			const uint8_t *params_digest, *mprng, *hashes;
			uint16_t n_parts;
		} commit;
		struct {
			uint8_t phase;
			uint8_t form;            /**< BYZ_WIRE_DIGEST_FULL or _COMPACT */
			uint8_t nb;              /**< compact: bitmap bytes per slot type */
			uint16_t count;
			const uint8_t *blocks;   /**< compact: slot-type blocks (2nb + 16 each) */
			const uint8_t *entries;
		} digest;
		struct { /* PART and AGGV */
			uint16_t part;
			uint32_t count;
			const uint8_t *data;
		} vec;
		struct {
			uint16_t part, k;
			uint32_t iters, clipped;
			double residual;
			const uint8_t *hash, *bitmap;
		} result;
		struct {
			const uint8_t *rho;
		} reveal;
		struct {
			uint16_t count;
			const uint8_t *entries;
		} proj;
		struct {
			uint8_t what;
			uint16_t subject, part;
			uint64_t step;
		} fetch;
		struct {
			const uint8_t *pk;
		} join;
		struct {
			uint64_t step, t_step;
			uint32_t d;
			uint16_t n, prev_attempt, prev_n_parts;
			uint8_t have_prev, n_queue;
			const uint8_t *r_prev, *r_prev2, *roster, *peers, *admit, *prev_agg, *queue,
				*x, *x_prev;
		} state;
		struct {
			uint8_t count;           /**< chain entries (relayers) */
			const uint8_t *chain;    /**< count x BYZ_WIRE_RELAY_ENTRY_LEN */
			const uint8_t *inner;    /**< the relayed signed message */
			uint32_t inner_len;
			uint8_t inner_type;
			uint16_t inner_sender;
		} relay;
		struct {
			uint8_t reason, ev_count;
			uint16_t accused, part;
			const uint8_t *ev[BYZ_WIRE_MAX_EVIDENCE];
			uint32_t ev_len[BYZ_WIRE_MAX_EVIDENCE];
		} accuse;
	} u;
};

/** One DIGEST entry: the key of a held signed message and a 16-byte hash of it. */
struct byz_digest_entry {
	uint8_t type;
	uint16_t sender, aux;
	uint8_t hash[16];
};

/* Little-endian helpers: explicit byte order, no unaligned access. */
static inline uint16_t byz_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t byz_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t byz_le64(const uint8_t *p)
{
	return (uint64_t)byz_le32(p) | (uint64_t)byz_le32(p + 4) << 32;
}
static inline void byz_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void byz_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void byz_put64(uint8_t *p, uint64_t v)
{
	byz_put32(p, (uint32_t)v);
	byz_put32(p + 4, (uint32_t)(v >> 32));
}
static inline float byz_lef32(const uint8_t *p)
{
	uint32_t u = byz_le32(p);
	float f;
	memcpy(&f, &u, 4);
	return f;
}
static inline double byz_lef64(const uint8_t *p)
{
	uint64_t u = byz_le64(p);
	double f;
	memcpy(&f, &u, 8);
	return f;
}
static inline void byz_putf32(uint8_t *p, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	byz_put32(p, u);
}
static inline void byz_putf64(uint8_t *p, double f)
{
	uint64_t u;
	memcpy(&u, &f, 8);
	byz_put64(p, u);
}

/** @brief Largest payload allowed for @p type; 0 for an unknown type. */
uint32_t byz_wire_max_payload(uint8_t type);

/** @brief "COMMIT", "DIGEST", ... or "?" */
const char *byz_wire_type_name(uint8_t type);

/** @brief "bad-part", "projection-lie", "gradient", "equivocation",
 *  "malformed" or "?" */
const char *byz_accuse_reason_name(uint8_t reason);

/**
 * @brief Strict structural parse (no signature check).
 * @param buf  message bytes (untrusted)
 * @param len  their count
 * @param m    out: views into @p buf
 * @return 0; -EBADMSG (truncated, trailing bytes, bad count, nonzero reserved
 *         field, unsorted entries, malformed evidence), BYZ_EVERSION (negated),
 *         -ERANGE (payload or count over its limit), -EDOM (a non-finite float
 *         or a negative norm), -EPROTO (unknown type or accusation reason)
 */
int byz_wire_parse(const uint8_t *buf, size_t len, struct byz_msg *m);

/**
 * @brief Parse the fixed header only: version, known type, payload length
 *        within the type's limit and equal to what the buffer holds,
 *        reserved bytes zero, sender and recipient ranges. The payload is
 *        not looked at, so a message that passes this and fails
 *        byz_wire_parse is one whose signer (after byz_wire_verify) signed
 *        a malformed payload: provable, hence an accusation.
 * @return 0 or the header errors of byz_wire_parse; m->payload and
 *         m->raw are set, the payload union is zero
 */
int byz_wire_parse_header(const uint8_t *buf, size_t len, struct byz_msg *m);

/**
 * @brief What a message's signature covers: BYZ_WIRE_TBS_DOMAIN (32 bytes,
 *        zero padded), then BLAKE2b-256 of the header and the Merkle root
 *        (byz_merkle_root) of the payload.
 * @param b    header and payload, @p len >= BYZ_WIRE_HDR_LEN bytes
 * @return 0, or -EINVAL
 */
int byz_wire_tbs(const uint8_t *b, size_t len, uint8_t tbs[BYZ_WIRE_TBS_LEN]);

/**
 * @brief The same from a header and the payload's root computed apart (a
 *        payload hashed leaf by leaf as it arrives).
 * @return 0, or -EINVAL
 */
int byz_wire_tbs_root(const uint8_t hdr[BYZ_WIRE_HDR_LEN], const uint8_t root[32],
		      uint8_t tbs[BYZ_WIRE_TBS_LEN]);

/**
 * @brief Check a parsed message's run id and signature.
 * @param pk   the sender's Ed25519 public key (32 bytes)
 * @return 0; -EPROTO (another run); -BYZ_EBADSIG
 */
int byz_wire_verify(const struct byz_msg *m, const uint8_t run_id[32],
		    const uint8_t pk[32]);

/**
 * @brief Parse and verify against a roster (a JOIN against the key it carries).
 * @param roster n public keys of 32 bytes, indexed by sender
 * @return as byz_wire_parse and byz_wire_verify; -EPROTO for a sender >= n
 */
int byz_wire_open(const uint8_t *buf, size_t len, const uint8_t run_id[32],
		  const uint8_t *roster, uint32_t n, struct byz_msg *m);

/**
 * @brief Build and sign a message.
 * @param sk   the sender's 64-byte libsodium secret key
 * @param out  out: malloc'd message; the caller frees it
 * @return 0; -EINVAL (unknown type, NULL pointers); -ERANGE (payload over
 *         its limit); -ENOMEM. The payload is not validated: this is also how
 *         tests and adversaries build malformed messages.
 */
int byz_wire_seal(uint8_t type, uint16_t sender, uint16_t recipient,
		  uint16_t attempt, uint64_t step, const uint8_t run_id[32],
		  const uint8_t *payload, uint32_t payload_len,
		  const uint8_t sk[64], uint8_t **out, size_t *out_len);

/* Payload builders: return the payload length written (buffers sized by the
 * caller with the *_len helpers), or 0 for an argument over its limit. */
static inline size_t byz_wire_commit_len(uint16_t n_parts) { return 68u + 32u * n_parts; }
size_t byz_wire_put_commit(uint8_t *p, const uint8_t params_digest[32],
			   const uint8_t mprng[32], uint16_t n_parts,
			   const uint8_t *hashes);
static inline size_t byz_wire_vec_len(uint32_t count) { return 8u + 4u * (size_t)count; }
size_t byz_wire_put_vec(uint8_t *p, uint16_t part, const float *v, uint32_t count);
size_t byz_wire_put_result(uint8_t *p, uint16_t part, uint16_t k, uint32_t iters,
			   uint32_t clipped, double residual,
			   const uint8_t hash[32], const uint8_t bitmap[32]);
static inline size_t byz_wire_proj_len(uint16_t count) { return 4u + 24u * (size_t)count; }
/** Entries must be given in strictly ascending part order. */
size_t byz_wire_put_proj(uint8_t *p, uint16_t count, const uint16_t *parts,
			 const double *s, const double *n);
static inline size_t byz_wire_digest_len(uint16_t count) { return 4u + 24u * (size_t)count; }
/** Full-form DIGEST; entries are sorted here (canonical order); duplicates are dropped. */
size_t byz_wire_put_digest(uint8_t *p, uint8_t phase, struct byz_digest_entry *e,
			   uint16_t count);
/** Bytes of one slot-type block of a compact DIGEST. */
static inline size_t byz_wire_digest_block_len(uint8_t nb) { return 2u * (size_t)nb + 16u; }
static inline size_t byz_wire_digest_compact_len(uint8_t nb, uint16_t count)
{
	return 8u + BYZ_WIRE_DIGEST_SLOT_TYPES * byz_wire_digest_block_len(nb) + 24u * (size_t)count;
}
/** @brief The message type of compact-DIGEST block @p k (0 if out of range). */
uint8_t byz_wire_digest_slot_type(unsigned k);
/** @brief The block index of slot type @p type, or -1 if it is not one. */
int byz_wire_digest_slot_index(uint8_t type);
/**
 * @brief Compact DIGEST: @p blocks holds BYZ_WIRE_DIGEST_SLOT_TYPES blocks of
 * byz_wire_digest_block_len(nb) bytes (copied); @p e (set types only) is sorted
 * here and deduplicated. @return payload length, 0 if an argument is out of range
 */
size_t byz_wire_put_digest_compact(uint8_t *p, uint8_t phase, uint8_t nb, const uint8_t *blocks,
				   struct byz_digest_entry *e, uint16_t count);
/** @brief Exact STATE payload length. */
size_t byz_wire_state_len(uint16_t n, uint16_t prev_n_parts, uint8_t n_queue, uint32_t d);
size_t byz_wire_put_fetch(uint8_t *p, uint8_t what, uint16_t subject, uint16_t part,
			  uint64_t step);
/** Evidence: up to two complete messages. */
size_t byz_wire_accuse_len(uint8_t ev_count, const size_t *ev_len);
size_t byz_wire_put_accuse(uint8_t *p, uint8_t reason, uint16_t accused,
			   uint16_t part, uint8_t ev_count,
			   const uint8_t *const *ev, const size_t *ev_len);

/** @brief RELAY payload length for @p count chain entries and an inner message. */
static inline size_t byz_wire_relay_len(unsigned count, size_t inner_len)
{
	return 8u + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)count + inner_len;
}
/**
 * @brief RELAY payload: @p relayers (strictly ascending) with their chain
 * signatures @p sigs (count x 64 bytes) and the inner message (copied).
 * @return payload length, 0 if count is 0 or over BYZ_WIRE_MAX_RELAY or the
 *         relayers are not strictly ascending
 */
size_t byz_wire_put_relay(uint8_t *p, unsigned count, const uint16_t *relayers,
			  const uint8_t *sigs, const uint8_t *inner, size_t inner_len);
/**
 * @brief The chain signature of @p relayer on a relayed message @p inner
 * (whose header gives step and attempt; at least BYZ_WIRE_HDR_LEN bytes).
 */
void byz_wire_relay_sign(const uint8_t run_id[32], const uint8_t *inner, size_t inner_len,
			 uint16_t relayer, const uint8_t sk[64], uint8_t sig[64]);
/**
 * @brief Check chain entry @p k of a parsed RELAY against @p pk (the key of
 * its relayer, byz_wire_relay_at).
 * @return 0; -EINVAL (not a RELAY, k out of range); -BYZ_EBADSIG
 */
int byz_wire_relay_check(const struct byz_msg *m, unsigned k, const uint8_t run_id[32],
			 const uint8_t pk[32]);
/** @brief Relayer and signature of chain entry @p k (< count, unchecked). */
static inline uint16_t byz_wire_relay_at(const struct byz_msg *m, unsigned k,
					 const uint8_t **sig)
{
	const uint8_t *e = m->u.relay.chain + BYZ_WIRE_RELAY_ENTRY_LEN * (size_t)k;
	if (sig)
		*sig = e + 4;
	return byz_le16(e);
}

/* Views into parsed payloads (index < count, checked by the parser). */
static inline float byz_wire_vec_at(const struct byz_msg *m, uint32_t i)
{
	return byz_lef32(m->u.vec.data + 4u * (size_t)i);
}
void byz_wire_vec_copy(const struct byz_msg *m, float *out);
void byz_wire_proj_at(const struct byz_msg *m, uint16_t i, uint16_t *part,
		      double *s, double *n);
void byz_wire_digest_at(const struct byz_msg *m, uint16_t i,
			struct byz_digest_entry *e);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_WIRE_H */
