package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// parseStd maps -std to its encoding.
func parseStd(std string) (wire.Encoding, error) {
	if std == "" {
		return 0, errors.New("-std is required: csae53 or j2735")
	}
	enc, err := codec.ParseEncoding(std)
	if err != nil {
		return 0, fmt.Errorf("-std %q: want csae53 or j2735", std)
	}
	return enc, nil
}

// readInput reads a file, decoding hexadecimal text when asHex. Without
// asHex, a file of hexadecimal text is an error that says to use -hex.
func readInput(name string, asHex bool) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	clean := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, data)
	if !asHex {
		if looksHex(clean) {
			return nil, fmt.Errorf("%s: looks like hex text: use -hex", name)
		}
		return data, nil
	}
	out := make([]byte, hex.DecodedLen(len(clean)))
	if _, err := hex.Decode(out, clean); err != nil {
		return nil, fmt.Errorf("%s: not hexadecimal: %w", name, err)
	}
	return out, nil
}

// looksHex reports whether b (whitespace removed) is an even number of
// hexadecimal digits: binary UPER that happens to be only ASCII hex digits
// (and line ends) is not worth the confusion it would otherwise save.
func looksHex(b []byte) bool {
	if len(b) < 2 || len(b)%2 != 0 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// offsetError restates a decoding error with its byte offset in the file.
func offsetError(err error, frameOff int) error {
	var e *codec.Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s at byte %d (bit %d of the frame): %w", e.Path, frameOff+e.Bit/8, e.Bit, e.Err)
	}
	return err
}
