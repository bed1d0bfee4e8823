//go:build ignore

/* steer picks the QUIC worker socket of an SO_REUSEPORT group from the
 * destination connection id of each datagram. Server connection ids carry
 * the configuration byte and the worker slot in their first two bytes
 * (edge/steer.CIDGenerator); long-header packets with a connection id the
 * client chose (Initial, 0-RTT) are spread over the working slots by a hash
 * of that id, so every packet of a handshake reaches one worker whatever
 * its source address; anything else is left to the kernel's hash. */

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "quic.h"

#define STEER_SLOTS 256

enum steer_reason {
	STEER_CID = 0,         /* our connection id: its slot */
	STEER_NEW = 1,         /* long header, foreign id: spread by hash */
	STEER_HASH_UNKNOWN = 2, /* short header, foreign id: kernel hash */
	STEER_HASH_MALFORMED = 3, /* too short or impossible id: kernel hash */
	STEER_HASH_DEAD = 4,    /* chosen slot holds no socket: kernel hash */
	STEER_HASH_CONFIG = 5,  /* no configuration or no working slot */
	STEER_REASONS = 6,
};

struct steer_config {
	__u32 cid_len;    /* length of server connection ids */
	__u32 cid_prefix; /* first byte of every server connection id */
	__u32 n_working;  /* entries used in working */
	__u32 pad;
	__u8 working[STEER_SLOTS]; /* slots that take new flows */
};

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, STEER_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} steer_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_config);
} steer_config_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEER_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} steer_reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} steer_slot_packets SEC(".maps");

static __always_inline void count(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&steer_reasons, &reason);
	if (c)
		*c += 1;
}

static __always_inline int fallback(__u32 reason)
{
	count(reason);
	return SK_PASS; /* no socket selected: the kernel hashes the 4-tuple */
}

SEC("sk_reuseport")
int steer_quic(struct sk_reuseport_md *md)
{
	__u32 zero = 0;
	struct steer_config *cfg = bpf_map_lookup_elem(&steer_config_map, &zero);
	if (!cfg || cfg->cid_len < 2 || cfg->cid_len > QUIC_MAX_CID_LEN)
		return fallback(STEER_HASH_CONFIG);

	/* md->len covers the UDP header; the payload starts after it. */
	if (md->len < 8 + 1)
		return fallback(STEER_HASH_MALFORMED);
	__u32 plen = md->len - 8;

	__u8 hdr[6];
	__u8 cid[QUIC_MAX_CID_LEN];
	__u32 slot;
	__u32 reason;

	if (bpf_skb_load_bytes(md, 8, hdr, 1))
		return fallback(STEER_HASH_MALFORMED);
	if (hdr[0] & QUIC_LONG_HEADER) {
		if (plen < 6 || bpf_skb_load_bytes(md, 8, hdr, 6))
			return fallback(STEER_HASH_MALFORMED);
		__u32 dl = hdr[5];
		if (dl < 1 || dl > QUIC_MAX_CID_LEN || plen < 6 + dl)
			return fallback(STEER_HASH_MALFORMED);
		if (bpf_skb_load_bytes(md, 8 + 6, cid, dl))
			return fallback(STEER_HASH_MALFORMED);
		if (dl == cfg->cid_len && cid[0] == cfg->cid_prefix) {
			slot = cid[1];
			reason = STEER_CID;
		} else {
			__u32 n = cfg->n_working;
			if (n < 1 || n > STEER_SLOTS)
				return fallback(STEER_HASH_CONFIG);
			slot = cfg->working[(cid_hash(cid, dl) % n) & (STEER_SLOTS - 1)];
			reason = STEER_NEW;
		}
	} else {
		if (plen < 1 + cfg->cid_len || bpf_skb_load_bytes(md, 8 + 1, cid, 2))
			return fallback(STEER_HASH_MALFORMED);
		if (cid[0] != cfg->cid_prefix)
			return fallback(STEER_HASH_UNKNOWN);
		slot = cid[1];
		reason = STEER_CID;
	}

	if (bpf_sk_select_reuseport(md, &steer_socks, &slot, 0))
		return fallback(STEER_HASH_DEAD);
	count(reason);
	__u64 *c = bpf_map_lookup_elem(&steer_slot_packets, &slot);
	if (c)
		*c += 1;
	return SK_PASS;
}

char __license[] SEC("license") = "Dual MIT/GPL";
