package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// frameDecoder decodes one MessageFrame at a time and prints the last.
type frameDecoder interface {
	decode(b []byte) (n int, err error)
	appendJSON(b []byte) []byte
	appendXER(b []byte) []byte
}

func newDecoder(std string) (frameDecoder, error) {
	switch std {
	case "csae53":
		return &csaeDecoder{}, nil
	case "j2735":
		return &j2735Decoder{}, nil
	case "":
		return nil, errors.New("-std is required: csae53 or j2735")
	}
	return nil, fmt.Errorf("-std %q: want csae53 or j2735", std)
}

type csaeDecoder struct {
	d csae53.Decoder
	f csae53.MessageFrame
}

func (c *csaeDecoder) decode(b []byte) (int, error) { return c.d.Decode(b, &c.f) }
func (c *csaeDecoder) appendJSON(b []byte) []byte   { return csae53.AppendJSON(b, &c.f) }
func (c *csaeDecoder) appendXER(b []byte) []byte    { return csae53.AppendXER(b, &c.f) }

// readInput reads a file, decoding hexadecimal text when asHex.
func readInput(name string, asHex bool) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if !asHex {
		return data, nil
	}
	clean := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, data)
	out := make([]byte, hex.DecodedLen(len(clean)))
	if _, err := hex.Decode(out, clean); err != nil {
		return nil, fmt.Errorf("%s: not hexadecimal: %w", name, err)
	}
	return out, nil
}

// offsetError restates a UPER error with its byte offset in the file.
func offsetError(err error, frameOff int) error {
	var ue *uper.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s at byte %d (bit %d of the frame): %w", ue.Where(), frameOff+ue.Bit/8, ue.Bit, ue.Err)
	}
	return err
}
