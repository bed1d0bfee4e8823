/* Shared QUIC header facts for the v2x-edge BPF programs. The pure-Go
 * mirror in mirror_*.go follows the same rules; keep them in step. */
#pragma once

#define QUIC_LONG_HEADER 0x80
#define QUIC_FIXED_BIT 0x40
#define QUIC_MAX_CID_LEN 20
#define QUIC_MIN_INITIAL_DCID_LEN 8
#define QUIC_MIN_INITIAL_DATAGRAM 1200
#define QUIC_V1 0x00000001
#define QUIC_V2 0x6b3343cf
/* The smallest short-header datagram worth a syscall: a stateless reset
 * (RFC 9000 section 10.3) is at least 21 bytes. */
#define QUIC_MIN_SHORT_DATAGRAM 21

/* FNV-1a over a connection id, as in mirror_steer.go. */
static __always_inline __u32 cid_hash(const __u8 *cid, __u32 len)
{
	__u32 h = 2166136261u;
	for (__u32 i = 0; i < QUIC_MAX_CID_LEN; i++) {
		if (i >= len)
			break;
		h ^= cid[i];
		h *= 16777619u;
	}
	return h;
}

/* is_initial reports whether a long header first byte and version make an
 * Initial packet: type 0 in v1, type 1 in v2. */
static __always_inline int is_initial(__u8 first, __u32 version)
{
	__u8 type = (first >> 4) & 3;
	if (version == QUIC_V2)
		return type == 1;
	return type == 0;
}
