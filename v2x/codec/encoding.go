package codec

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// ParseEncoding maps the name of a standard message set ("csae53" or
// "j2735") to its encoding.
func ParseEncoding(name string) (wire.Encoding, error) {
	switch name {
	case "csae53":
		return wire.EncodingCSAE53, nil
	case "j2735":
		return wire.EncodingJ2735, nil
	}
	return 0, fmt.Errorf("uper encoding %q: want csae53 or j2735", name)
}

// EncodingName names an encoding as ParseEncoding reads it ("native" for
// the node's own payloads).
func EncodingName(enc wire.Encoding) string {
	switch enc {
	case wire.EncodingNative:
		return "native"
	case wire.EncodingCSAE53:
		return "csae53"
	case wire.EncodingJ2735:
		return "j2735"
	}
	return fmt.Sprintf("encoding %d", enc)
}
