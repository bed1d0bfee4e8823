package bpf

// QUIC header facts shared by the programs (quic.h) and their mirrors.
const (
	quicLongHeader        = 0x80
	quicFixedBit          = 0x40
	quicMaxCIDLen         = 20
	quicMinInitialDCIDLen = 8
	quicMinInitial        = 1200
	quicMinShort          = 21
	quicV1                = 0x00000001
	quicV2                = 0x6b3343cf
)

// cidHash is FNV-1a over a connection id, as cid_hash in quic.h.
func cidHash(cid []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range cid {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}

// isInitial reports whether a long header's first byte and version make
// an Initial: type 0 in v1, type 1 in v2.
func isInitial(first byte, version uint32) bool {
	t := (first >> 4) & 3
	if version == quicV2 {
		return t == 1
	}
	return t == 0
}
