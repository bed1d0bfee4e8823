package steer

import (
	"crypto/rand"
	"fmt"

	"github.com/quic-go/quic-go"
)

// CIDLen is the length of the node's connection ids: a configuration byte,
// a worker slot and ten random bytes.
const CIDLen = 12

// MaxGeneration is the largest configuration generation. Generation 7 is
// left out, as QUIC-LB keeps it for ids that name no server.
const MaxGeneration = 6

// CIDPrefix is the first byte of every connection id of generation gen:
// the generation in the top three bits, the id length less one in the
// low five (as QUIC-LB lays out its first octet).
func CIDPrefix(gen uint8) byte { return gen<<5 | (CIDLen - 1) }

// CIDGenerator issues the connection ids of one worker. It implements
// quic.ConnectionIDGenerator.
type CIDGenerator struct {
	prefix byte
	slot   byte
}

// NewCIDGenerator returns the generator for worker slot of generation gen.
func NewCIDGenerator(gen uint8, slot int) (CIDGenerator, error) {
	if gen > MaxGeneration {
		return CIDGenerator{}, fmt.Errorf("steer: generation %d above %d", gen, MaxGeneration)
	}
	if slot < 0 || slot > 255 {
		return CIDGenerator{}, fmt.Errorf("steer: slot %d outside 0..255", slot)
	}
	return CIDGenerator{prefix: CIDPrefix(gen), slot: byte(slot)}, nil
}

// GenerateConnectionID returns a new id naming the generator's worker.
func (g CIDGenerator) GenerateConnectionID() (quic.ConnectionID, error) {
	var b [CIDLen]byte
	b[0], b[1] = g.prefix, g.slot
	if _, err := rand.Read(b[2:]); err != nil {
		return quic.ConnectionID{}, fmt.Errorf("steer: random connection id: %w", err)
	}
	return quic.ConnectionIDFromBytes(b[:]), nil
}

// ConnectionIDLen is CIDLen.
func (g CIDGenerator) ConnectionIDLen() int { return CIDLen }

// ParseCID returns the generation and worker slot a connection id names;
// ok is false for an id this node did not issue in any generation.
func ParseCID(id []byte) (gen uint8, slot int, ok bool) {
	if len(id) != CIDLen || id[0]&0x1f != CIDLen-1 || id[0]>>5 > MaxGeneration {
		return 0, 0, false
	}
	return id[0] >> 5, int(id[1]), true
}
