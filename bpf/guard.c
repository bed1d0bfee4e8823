//go:build ignore

/* guard is an XDP program for the node's ingress interface. It drops what
 * can never be QUIC for the node before the kernel spends a socket lookup
 * or a syscall on it: UDP fragments, datagrams to the QUIC port without the
 * fixed bit, with unknown versions or impossible connection id lengths,
 * Initials in datagrams under 1200 bytes, sources on the deny list, and new
 * connections over a token bucket per source prefix and a global one.
 * Established traffic is never limited per address: many vehicles share a
 * carrier-grade NAT. Every verdict is counted per reason and per CPU. */

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "quic.h"

#define NS_PER_TOKEN 1000000000ULL
#define GUARD_LIST_ENTRIES 65536
#define GUARD_BUCKETS 65536

enum guard_reason {
	GUARD_PASS = 0,           /* QUIC, established or admitted */
	GUARD_PASS_NEW = 1,       /* new connection within its buckets */
	GUARD_PASS_ALLOW = 2,     /* new connection from the allow list */
	GUARD_PASS_OTHER = 3,     /* not UDP to the QUIC port */
	GUARD_DROP_FRAGMENT = 4,  /* IPv4 or IPv6 UDP fragment */
	GUARD_DROP_MALFORMED = 5, /* truncated IP, UDP or QUIC header */
	GUARD_DROP_FIXED_BIT = 6, /* QUIC fixed bit clear */
	GUARD_DROP_VERSION = 7,   /* long header, version not v1 or v2 */
	GUARD_DROP_CID_LEN = 8,   /* connection id length impossible */
	GUARD_DROP_SHORT_INITIAL = 9, /* Initial in a datagram under 1200 bytes */
	GUARD_DROP_DENY = 10,     /* source on the deny list */
	GUARD_DROP_RATE_PREFIX = 11, /* new connection over its prefix's bucket */
	GUARD_DROP_RATE_GLOBAL = 12, /* new connection over the global bucket */
	GUARD_REASONS = 13,
};

struct guard_config {
	__u32 port;       /* guarded UDP destination port */
	__u32 cid_len;    /* length of server connection ids */
	__u32 cid_prefix; /* first byte of every server connection id */
	__u32 prefix4;    /* bits of an IPv4 source that share a bucket */
	__u32 prefix6;    /* bits of an IPv6 source that share a bucket */
	__u32 pad;
	__u64 prefix_rate;  /* new connections per second per prefix; 0: no limit */
	__u64 prefix_burst;
	__u64 global_rate;  /* new connections per second in all; 0: no limit */
	__u64 global_burst;
};

struct lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct bucket_key {
	__u32 family; /* 4 or 6 */
	__u8 addr[16]; /* source masked to its prefix */
};

struct bucket {
	__u64 last_ns;
	__u64 tokens; /* in billionths of a token */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_config);
} guard_config_map SEC(".maps");

#define LPM_MAP(name, key_t)                          \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);  \
		__uint(max_entries, GUARD_LIST_ENTRIES); \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, key_t);                   \
		__type(value, __u8);                  \
	} name SEC(".maps")

LPM_MAP(guard_allow4, struct lpm4);
LPM_MAP(guard_deny4, struct lpm4);
LPM_MAP(guard_allow6, struct lpm6);
LPM_MAP(guard_deny6, struct lpm6);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GUARD_BUCKETS);
	__type(key, struct bucket_key);
	__type(value, struct bucket);
} guard_prefix_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bucket);
} guard_global_bucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} guard_reasons SEC(".maps");

static __always_inline int verdict(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&guard_reasons, &reason);
	if (c)
		*c += 1;
	if (reason <= GUARD_PASS_OTHER)
		return XDP_PASS;
	return XDP_DROP;
}

/* take spends one token of b at now, refilled at rate per second up to
 * burst. The update is not atomic: under concurrent CPUs the bucket is
 * approximate, which a rate limit can afford. */
static __always_inline int take(struct bucket *b, __u64 now, __u64 rate, __u64 burst)
{
	__u64 cap = burst * NS_PER_TOKEN;
	__u64 el = now > b->last_ns ? now - b->last_ns : 0;
	__u64 el_max = cap / rate + 1;
	if (el > el_max)
		el = el_max;
	__u64 tokens = b->tokens + el * rate;
	if (tokens > cap)
		tokens = cap;
	b->last_ns = now;
	if (tokens < NS_PER_TOKEN) {
		b->tokens = tokens;
		return 0;
	}
	b->tokens = tokens - NS_PER_TOKEN;
	return 1;
}

static __always_inline void mask(__u8 *addr, __u32 bits)
{
	for (int i = 0; i < 16; i++) {
		int keep = (int)bits - 8 * i;
		if (keep >= 8)
			continue;
		if (keep <= 0)
			addr[i] = 0;
		else
			addr[i] &= (__u8)(0xff << (8 - keep));
	}
}

/* admit decides a new connection from a source. */
static __always_inline __u32 admit(struct guard_config *cfg, __u32 family, const __u8 *src, int allowed)
{
	if (allowed)
		return GUARD_PASS_ALLOW;
	__u64 now = bpf_ktime_get_ns();
	if (cfg->prefix_rate) {
		struct bucket_key k = {.family = family};
		__u32 n = family == 4 ? 4 : 16;
		for (__u32 i = 0; i < 16; i++)
			if (i < n)
				k.addr[i] = src[i];
		mask(k.addr, family == 4 ? cfg->prefix4 : cfg->prefix6);
		struct bucket *b = bpf_map_lookup_elem(&guard_prefix_buckets, &k);
		if (!b) {
			struct bucket fresh = {.last_ns = now, .tokens = cfg->prefix_burst * NS_PER_TOKEN};
			bpf_map_update_elem(&guard_prefix_buckets, &k, &fresh, BPF_NOEXIST);
			b = bpf_map_lookup_elem(&guard_prefix_buckets, &k);
		}
		if (b && !take(b, now, cfg->prefix_rate, cfg->prefix_burst))
			return GUARD_DROP_RATE_PREFIX;
	}
	if (cfg->global_rate) {
		__u32 zero = 0;
		struct bucket *g = bpf_map_lookup_elem(&guard_global_bucket, &zero);
		if (g) {
			if (g->last_ns == 0) {
				g->last_ns = now;
				g->tokens = cfg->global_burst * NS_PER_TOKEN;
			}
			if (!take(g, now, cfg->global_rate, cfg->global_burst))
				return GUARD_DROP_RATE_GLOBAL;
		}
	}
	return GUARD_PASS_NEW;
}

/* quic checks the UDP payload [p, p+plen) (the frame may hold less than
 * plen; every read is bounded by end). */
static __always_inline __u32 quic(struct guard_config *cfg, __u8 *p, void *end, __u32 plen,
				  __u32 family, const __u8 *src, int allowed)
{
	if (plen < 1 || (void *)(p + 1) > end)
		return GUARD_DROP_MALFORMED;
	__u8 b0 = p[0];
	if (!(b0 & QUIC_FIXED_BIT))
		return GUARD_DROP_FIXED_BIT;
	if (!(b0 & QUIC_LONG_HEADER)) {
		if (plen < QUIC_MIN_SHORT_DATAGRAM)
			return GUARD_DROP_MALFORMED;
		return GUARD_PASS;
	}
	if (plen < 7 || (void *)(p + 7) > end)
		return GUARD_DROP_MALFORMED;
	__u32 version = ((__u32)p[1] << 24) | ((__u32)p[2] << 16) | ((__u32)p[3] << 8) | p[4];
	if (version != QUIC_V1 && version != QUIC_V2)
		return GUARD_DROP_VERSION;
	__u32 dl = p[5];
	if (dl > QUIC_MAX_CID_LEN)
		return GUARD_DROP_CID_LEN;
	__u8 *scid_len = p + 6 + (dl & 0x1f);
	if (plen < 7 + dl || (void *)(scid_len + 1) > end)
		return GUARD_DROP_MALFORMED;
	__u32 sl = *scid_len;
	if (sl > QUIC_MAX_CID_LEN)
		return GUARD_DROP_CID_LEN;
	if (!is_initial(b0, version))
		return GUARD_PASS;
	if (dl < QUIC_MIN_INITIAL_DCID_LEN)
		return GUARD_DROP_CID_LEN;
	if (plen < QUIC_MIN_INITIAL_DATAGRAM)
		return GUARD_DROP_SHORT_INITIAL;
	/* An Initial to one of our connection ids continues a handshake. */
	if (dl == cfg->cid_len && p[6] == cfg->cid_prefix)
		return GUARD_PASS;
	return admit(cfg, family, src, allowed);
}

SEC("xdp")
int guard_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct guard_config *cfg = bpf_map_lookup_elem(&guard_config_map, &zero);
	if (!cfg)
		return verdict(GUARD_PASS_OTHER);

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return verdict(GUARD_PASS_OTHER);
	__u16 proto = eth->h_proto;
	void *l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		__u16 *vlan = l3;
		if ((void *)(vlan + 2) > end)
			return verdict(GUARD_PASS_OTHER);
		proto = vlan[1];
		l3 = vlan + 2;
	}

	struct udphdr *udp;
	__u32 l4len;
	__u32 family;
	__u8 src[16] = {};
	int allowed = 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return verdict(GUARD_PASS_OTHER);
		if (ip->protocol != IPPROTO_UDP)
			return verdict(GUARD_PASS_OTHER);
		if (ip->frag_off & bpf_htons(0x3fff))
			return verdict(GUARD_DROP_FRAGMENT);
		__u32 ihl = ip->ihl * 4;
		__u32 tot = bpf_ntohs(ip->tot_len);
		if (ihl < sizeof(*ip) || tot < ihl)
			return verdict(GUARD_DROP_MALFORMED);
		udp = (void *)ip + ihl;
		l4len = tot - ihl;
		family = 4;
		__builtin_memcpy(src, &ip->saddr, 4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return verdict(GUARD_PASS_OTHER);
		l4len = bpf_ntohs(ip6->payload_len);
		udp = (void *)(ip6 + 1);
		if (ip6->nexthdr == 44) { /* fragment header */
			__u8 *fh = (void *)(ip6 + 1);
			if ((void *)(fh + 8) > end)
				return verdict(GUARD_DROP_MALFORMED);
			if (fh[0] == IPPROTO_UDP)
				return verdict(GUARD_DROP_FRAGMENT);
			return verdict(GUARD_PASS_OTHER);
		}
		if (ip6->nexthdr != IPPROTO_UDP)
			return verdict(GUARD_PASS_OTHER);
		family = 6;
		__builtin_memcpy(src, &ip6->saddr, 16);
	} else {
		return verdict(GUARD_PASS_OTHER);
	}

	if ((void *)(udp + 1) > end)
		return verdict(GUARD_DROP_MALFORMED);
	if (bpf_ntohs(udp->dest) != cfg->port)
		return verdict(GUARD_PASS_OTHER);
	__u32 ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > l4len)
		return verdict(GUARD_DROP_MALFORMED);

	if (family == 4) {
		struct lpm4 k = {.prefixlen = 32};
		__builtin_memcpy(k.addr, src, 4);
		if (bpf_map_lookup_elem(&guard_deny4, &k))
			return verdict(GUARD_DROP_DENY);
		allowed = bpf_map_lookup_elem(&guard_allow4, &k) != 0;
	} else {
		struct lpm6 k = {.prefixlen = 128};
		__builtin_memcpy(k.addr, src, 16);
		if (bpf_map_lookup_elem(&guard_deny6, &k))
			return verdict(GUARD_DROP_DENY);
		allowed = bpf_map_lookup_elem(&guard_allow6, &k) != 0;
	}

	return verdict(quic(cfg, (__u8 *)(udp + 1), end, ulen - sizeof(*udp), family, src, allowed));
}

char __license[] SEC("license") = "Dual MIT/GPL";
