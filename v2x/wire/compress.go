package wire

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Compression says how an Update body is compressed.
type Compression uint8

// Compressions. CompressZstd uses the dictionary StateDict, trained on
// simulated intersection states (see bench/packing); both ends must hold
// the same dictionary, which its id in the zstd frame checks.
const (
	CompressNone    Compression = 0
	CompressS2      Compression = 1
	CompressZstd    Compression = 2
	numCompressions Compression = 3
)

var compressionNames = [numCompressions]string{"none", "s2", "zstd"}

// Valid reports whether c is defined.
func (c Compression) Valid() bool { return c < numCompressions }

func (c Compression) String() string {
	if c.Valid() {
		return compressionNames[c]
	}
	return fmt.Sprintf("compression(%d)", uint8(c))
}

// ParseCompression parses a compression name.
func ParseCompression(s string) (Compression, error) {
	for i, n := range compressionNames {
		if n == s {
			return Compression(i), nil
		}
	}
	return 0, fmt.Errorf("unknown compression %q (want none, s2 or zstd)", s)
}

// StateDict is the zstd dictionary for Update bodies.
//
//go:embed statedict.bin
var StateDict []byte

var zstdOnce struct {
	sync.Once
	enc *zstd.Encoder
	dec *zstd.Decoder
	err error
}

func zstdCodecs() (*zstd.Encoder, *zstd.Decoder, error) {
	z := &zstdOnce
	z.Do(func() {
		z.enc, z.err = zstd.NewWriter(nil, zstd.WithEncoderDict(StateDict), zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true), zstd.WithLowerEncoderMem(true))
		if z.err != nil {
			z.err = fmt.Errorf("zstd encoder: %w", z.err)
			return
		}
		z.dec, z.err = zstd.NewReader(nil, zstd.WithDecoderDicts(StateDict), zstd.WithDecoderMaxMemory(MaxUpdateRaw),
			zstd.IgnoreChecksum(true))
		if z.err != nil {
			z.err = fmt.Errorf("zstd decoder: %w", z.err)
		}
	})
	return z.enc, z.dec, z.err
}

// AppendCompressed appends src compressed with c. It is safe for
// concurrent use.
func AppendCompressed(dst, src []byte, c Compression) ([]byte, error) {
	switch c {
	case CompressNone:
		return append(dst, src...), nil
	case CompressS2:
		n, m := len(dst), s2.MaxEncodedLen(len(src))
		dst = slices.Grow(dst, m)[:n+m]
		out := s2.Encode(dst[n:], src)
		return dst[:n+len(out)], nil
	case CompressZstd:
		enc, _, err := zstdCodecs()
		if err != nil {
			return dst, err
		}
		return enc.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("compress: %w: compression %d", ErrInvalid, c)
}

// AppendDecompressed appends the decompression of src, which must be
// rawLen bytes long. It is safe for concurrent use.
func AppendDecompressed(dst, src []byte, c Compression, rawLen int) ([]byte, error) {
	if rawLen > MaxUpdateRaw {
		return dst, fmt.Errorf("decompress: %w: %d bytes beyond %d", ErrInvalid, rawLen, MaxUpdateRaw)
	}
	n := len(dst)
	switch c {
	case CompressNone:
		if len(src) != rawLen {
			return dst, checkLen("uncompressed body", len(src), rawLen)
		}
		return append(dst, src...), nil
	case CompressS2:
		l, err := s2.DecodedLen(src)
		if err != nil {
			return dst, fmt.Errorf("s2: %w", err)
		}
		if l != rawLen {
			return dst, fmt.Errorf("s2: %w: body decodes to %d bytes, head says %d", ErrInvalid, l, rawLen)
		}
		dst = slices.Grow(dst, rawLen)[:n+rawLen]
		if _, err := s2.Decode(dst[n:], src); err != nil {
			return dst[:n], fmt.Errorf("s2: %w", err)
		}
		return dst, nil
	case CompressZstd:
		_, dec, err := zstdCodecs()
		if err != nil {
			return dst, err
		}
		dst = slices.Grow(dst, rawLen)
		out, err := dec.DecodeAll(src, dst)
		if err != nil {
			return dst[:n], fmt.Errorf("zstd: %w", err)
		}
		if len(out)-n != rawLen {
			return dst[:n], fmt.Errorf("zstd: %w: body decodes to %d bytes, head says %d", ErrInvalid, len(out)-n, rawLen)
		}
		return out, nil
	}
	return dst, fmt.Errorf("decompress: %w: compression %d", ErrInvalid, c)
}
