/*
 * tc-bpf fault injector for veths (the kernels here have no netem or gact).
 * Attached at clsact egress: loses, duplicates and corrupts frames with
 * probabilities in parts per million, from a seeded xorshift state per CPU.
 * Parameters are compile-time constants (clang -DLOSS_PPM=... -DSEED=...);
 * the counters map holds what it did.
 *
 * Duplicates: bpf_clone_redirect() sends a copy out of the same device; the
 * copy comes back through this program marked, and is let through once.
 * Reordering needs a delay, which needs sch_fq or netem (absent), so the
 * dataplane's own fault layer provides it.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#ifndef LOSS_PPM
#define LOSS_PPM 0
#endif
#ifndef DUP_PPM
#define DUP_PPM 0
#endif
#ifndef CORRUPT_PPM
#define CORRUPT_PPM 0
#endif
#ifndef SEED
#define SEED 1
#endif

#define DUP_MARK 0x62797a64u /* "byzd" */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rng SEC(".maps");

/* 0 seen, 1 lost, 2 duplicated, 3 corrupted */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &k);
	if (v)
		*v += 1;
}

static __always_inline __u32 next(__u64 *s)
{
	__u64 x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return (__u32)(x >> 32);
}

static __always_inline int chance(__u64 *s, __u32 ppm)
{
	return ppm && (next(s) % 1000000u) < ppm;
}

SEC("tc")
int byz_fault(struct __sk_buff *skb)
{
	if (skb->mark == DUP_MARK) {
		skb->mark = 0; /* our own duplicate: out it goes, once */
		return TC_ACT_OK;
	}
	__u32 k0 = 0;
	__u64 *s = bpf_map_lookup_elem(&rng, &k0);
	if (!s)
		return TC_ACT_OK;
	if (*s == 0)
		*s = ((__u64)SEED << 20) ^ ((__u64)skb->ifindex << 8) ^ bpf_get_smp_processor_id() ^
		     0x9e3779b97f4a7c15ull;
	count(0);
	if (chance(s, LOSS_PPM)) {
		count(1);
		return TC_ACT_SHOT;
	}
	if (chance(s, CORRUPT_PPM) && skb->len > 14) {
		/* one bit anywhere past the Ethernet header */
		__u32 off = 14 + next(s) % (skb->len - 14);
		__u8 b;
		if (off < 16384 && !bpf_skb_load_bytes(skb, off, &b, 1)) {
			b ^= (__u8)(1u << (next(s) & 7));
			bpf_skb_store_bytes(skb, off, &b, 1, 0);
			count(3);
		}
	}
	if (chance(s, DUP_PPM)) {
		skb->mark = DUP_MARK;
		if (!bpf_clone_redirect(skb, skb->ifindex, 0))
			count(2);
		skb->mark = 0;
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
