/**
 * @file byz/config.h
 * @brief byzd's configuration file: "key = value" lines, '#' comments,
 * sections [run] (the default before any header), [eal], [port],
 * [protocol], [gradient], [channel] and one [peer] section per roster
 * member, in roster order. docs/byzd.md lists every key and default.
 *
 * The parser treats its input as hostile: lines are length-limited, every
 * number is range-checked, unknown keys and sections, duplicates and missing
 * required keys are errors. An error message names the file, the line and the
 * problem ("node.conf:12: tau: not a positive number: 'abc'").
 */
#ifndef BYZ_CONFIG_H
#define BYZ_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BYZ_CONFIG_MAX_PEERS 64u    /**< roster size byzd supports (ring fabric limit) */
#define BYZ_CONFIG_MAX_LINE 1024u   /**< longest line, newline excluded */
#define BYZ_CONFIG_MAX_BYTES (1u << 20)
#define BYZ_CONFIG_STR 256u         /**< longest string value + 1 */
#define BYZ_CONFIG_MAX_DEVS 8u
/** Most [eal] worker_lcores (CenteredClip workers; BYZ_NODE_MAX_WORKERS). */
#define BYZ_CONFIG_MAX_WORKERS 16u
/** Largest [protocol] d: 2^26 floats (256 MiB), BYZ_WIRE_MAX_PART_FLOATS. */
#define BYZ_CONFIG_MAX_D (1u << 26)
/** lcore ids in [eal] lcores and dp_lcore stay below this. */
#define BYZ_CONFIG_MAX_LCORE 1024u

/** Where the gradient comes from. */
enum byz_grad_source {
	BYZ_GRAD_TOY = 0,  /**< least squares (byz_toy_lsq) */
	BYZ_GRAD_SOFTMAX,  /**< built-in softmax regression on seeded synthetic data */
	BYZ_GRAD_MLP,      /**< built-in MLP on seeded synthetic data */
	BYZ_GRAD_SYNTHETIC, /**< byz_synth_grad: seeded noise of any d, no model */
};

/** [port] arp: auto resolves peers without a mac on PCI ports, not on vdevs. */
#define BYZ_CONFIG_ARP_AUTO (-1)
#define BYZ_CONFIG_ARP_NO 0
#define BYZ_CONFIG_ARP_YES 1

struct byz_config_peer {
	uint8_t pk[32];
	uint32_t ip;        /**< host order */
	uint16_t udp_port;  /**< 0: [port] udp_port */
	uint8_t mac[6];
	uint8_t has_mac;    /**< 0: derived from the index (ring ports, tests) */
	/** The ethdev this peer is reached through ("" = [port] name): a vdev or
	 *  pci device of [eal], one point-to-point link per peer (a memif mesh).
	 *  Ignored on this node's own row, so every node may share one roster. */
	char port[64];
	unsigned line;      /**< where the section starts */
};

struct byz_config {
	/* [run] */
	uint8_t run_id[32];
	char key_file[BYZ_CONFIG_STR];
	uint64_t start_time;     /**< unix seconds of protocol time 0; 0: at start-up */
	uint64_t steps;          /**< 0: until SIGINT/SIGTERM */
	uint32_t leaf_hash;      /**< enum byz_leaf_alg (byz/hash.h); default blake2b */
	/* [eal] */
	char lcores[64];
	uint32_t mem_mb;
	int no_huge, no_pci;
	char file_prefix[64];
	char vdev[BYZ_CONFIG_MAX_DEVS][128];
	unsigned nvdev;
	char pci[BYZ_CONFIG_MAX_DEVS][64];
	unsigned npci;
	char log_level[32];
	uint32_t dp_lcore;       /**< lcore of the dataplane loop (split mode) */
	unsigned dp_lcore_line;  /**< 0: dp_lcore not given: one lcore runs everything */
	unsigned lcores_line;    /**< 0: lcores not given (default "0") */
	int main_lcore;          /**< first lcore of lcores (the control thread); -1 when
				      lcores is no plain list ("0-2", "0,3") */
	char worker_lcores[64];  /**< [eal] worker_lcores as written ("2,3", "2-5") */
	uint32_t worker[BYZ_CONFIG_MAX_WORKERS]; /**< CenteredClip worker lcores, ascending */
	unsigned nworkers;       /**< 0: CenteredClip on the control thread */
	unsigned worker_lcores_line; /**< 0: worker_lcores not given */
	/* [port] */
	char port[128];          /**< ethdev name: a vdev name or a PCI address */
	uint32_t mtu;
	uint16_t udp_port;
	int busy_poll;
	uint32_t rx_desc, nb_mbufs;
	uint32_t port_ip;        /**< our address on the link (host order); 0: not given */
	uint32_t prefix;         /**< subnet prefix length, from prefix or netmask */
	uint32_t gateway;        /**< default gateway (host order); 0: none */
	int arp;                 /**< BYZ_CONFIG_ARP_AUTO, _NO or _YES */
	int auth;                /**< [port] auth: per-frame tags (default on; off for trusted links) */
	unsigned port_ip_line, prefix_line, gateway_line; /**< 0: key not given */
	/* [protocol] */
	double tau, eps, kappa, lr;
	uint32_t max_iters, validators, silent_limit, max_attempts;
	uint32_t validation;     /**< BYZ_VALIDATE_EXACT or _TOLERANCE (byz/proto.h) */
	double rho;              /**< tolerance mode: relative L2 tolerance of a recomputed part */
	uint64_t phase_us;
	unsigned phase_us_line;  /**< 0: phase_us not given: derived (byz_config_schedule) */
	double link_gbps;        /**< link rate the derived phases assume, Gbit/s */
	double cpu_gbps;         /**< message bytes one core signs, verifies, hashes, Gbit/s */
	double clip_gbps;        /**< CenteredClip input one core aggregates, Gbit/s */
	uint32_t relay_f;        /**< Byzantine members the relay windows tolerate; 0: (n-1)/2 */
	uint64_t late_us;        /**< lateness threshold Delta; 0: phase_us / 3 */
	unsigned late_us_line;   /**< 0: late_us not given */
	uint64_t d;
	/* [gradient] */
	enum byz_grad_source source;
	uint32_t batch, classes, hidden, examples;
	uint8_t fingerprint[32];   /**< expected byz_model_fingerprint of the model */
	unsigned fingerprint_line; /**< 0: fingerprint not given (nothing checked) */
	/* [channel] */
	uint32_t window;
	uint64_t rto_us, rto_max_us;
	/* [peer] x n */
	struct byz_config_peer peers[BYZ_CONFIG_MAX_PEERS];
	uint32_t n;
};

/** @brief Defaults for every key that has one. */
void byz_config_defaults(struct byz_config *c);

/**
 * @brief Parse @p text (@p len bytes) named @p name in messages.
 * @param why receives "name:line: problem" on failure
 * @return 0; -EINVAL (any problem in the text); -ERANGE (too long)
 */
int byz_config_parse(const char *text, size_t len, const char *name, struct byz_config *c,
		     char *why, size_t whylen);

/**
 * @brief Read and parse a file.
 * @return as byz_config_parse, or -errno when the file cannot be read
 */
int byz_config_load(const char *path, struct byz_config *c, char *why, size_t whylen);

/** How byzd addresses its peers, from byz_config_net(). */
struct byz_config_net {
	int vdev;         /**< the port is one of the [eal] vdevs */
	int arp;          /**< ARP resolves the peers marked in dyn[] */
	uint8_t prefix;   /**< subnet prefix length; 0 when none was given */
	uint32_t gateway; /**< host order; 0: none */
	uint8_t dyn[BYZ_CONFIG_MAX_PEERS]; /**< 1: no mac, resolve by ARP */
	unsigned n_dyn;
};

/**
 * @brief Decide how node @p self reaches each peer, and check the [port]
 * network keys against its address: with ARP on ([port] arp = yes, or auto
 * on a port that is no vdev) every other peer without a mac is resolved by
 * ARP, which needs a prefix (or netmask), and a gateway for peers outside the
 * subnet; ip, when given, must be self's [peer] ip; the gateway must lie on
 * the subnet. Without ARP peers without a mac get the derived MAC as before.
 * @param name file name for messages ("name:line: problem")
 * @return 0, or -EINVAL with the reason in @p why
 */
int byz_config_net(const struct byz_config *c, uint32_t self, const char *name,
		   struct byz_config_net *out, char *why, size_t whylen);

/**
 * The phase schedule of a run of dimension d (docs/byzd.md, "Phase length
 * from the gradient size"). Every field is a pure function of the config and
 * d, so nodes with the same config derive the same D.
 */
struct byz_schedule {
	uint64_t phase_us;       /**< D: the given phase_us, or the derived one */
	int derived;             /**< 1: phase_us was not given */
	uint32_t part_floats;    /**< L = ceil(d / n) */
	uint64_t msg_bytes;      /**< one signed PART or AGGV */
	uint64_t frames_per_msg; /**< its control fragments */
	uint64_t wire_bytes;     /**< what one node sends in the RESULT phase (n - 1 AGGVs) */
	double xfer_us, cpu_us, clip_us, retx_us; /**< the terms of the derived D */
	uint64_t derived_us;     /**< 3 (clip + xfer + cpu + retx), at least 100 ms */
};

/** Phase length when phase_us is not given and the size needs no more. */
#define BYZ_CONFIG_MIN_PHASE_US 100000u

/**
 * @brief Derive the schedule for dimension @p d: the RESULT phase is the
 * heaviest (CenteredClip, then n - 1 AGGVs of L floats out and as many in),
 * and the protocol needs its messages delivered within D / 3, so
 * D = max(100 ms, 3 (clip + xfer + cpu + retx)) rounded up to 1 ms, with
 * xfer = wire bytes / link_gbps, cpu = 2 (n - 1) msg_bytes / cpu_gbps,
 * clip = n L 4 bytes / clip_gbps and retx = 7 rto_us (three retransmissions).
 * An explicit phase_us is used as is (the derivation is still filled in).
 * @return 0, -EINVAL (d == 0 or above BYZ_CONFIG_MAX_D, fewer than 2 peers)
 */
int byz_config_schedule(const struct byz_config *c, uint64_t d, struct byz_schedule *s);

/** @brief "toy", "softmax", "mlp", "synthetic". */
const char *byz_grad_source_name(enum byz_grad_source s);

#ifdef __cplusplus
}
#endif

#endif /* BYZ_CONFIG_H */
