package steer

import (
	"crypto/rand"
	"fmt"

	"github.com/quic-go/quic-go"
)

// Keys are what every worker of a node must share: a stateless reset
// from any worker must carry the token the connection's own worker
// announced, and an address validation token minted by one worker must
// open on another.
type Keys struct {
	Reset quic.StatelessResetKey
	Token quic.TokenGeneratorKey
}

// NewKeys returns fresh random keys.
func NewKeys() (*Keys, error) {
	k := &Keys{}
	if _, err := rand.Read(k.Reset[:]); err != nil {
		return nil, fmt.Errorf("steer: stateless reset key: %w", err)
	}
	if _, err := rand.Read(k.Token[:]); err != nil {
		return nil, fmt.Errorf("steer: token key: %w", err)
	}
	return k, nil
}
