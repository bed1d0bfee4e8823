// Package xercmp compares XER documents value for value, for tests that
// check decoders against asn1c's output.
package xercmp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Tokens canonicalises XER: element starts and ends, and character data
// with whitespace runs as one space (asn1c breaks long hex and bit strings
// over lines and indents), so that layout does not matter.
func Tokens(b []byte) ([]string, error) {
	var out []string
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("xer: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			out = append(out, "<"+tok.Name.Local+">")
		case xml.EndElement:
			out = append(out, "</"+tok.Name.Local+">")
		case xml.CharData:
			if s := strings.Join(strings.Fields(string(tok)), " "); s != "" {
				out = append(out, s)
			}
		}
	}
}

// Diff returns "" when want and got hold the same values, else where they
// part, with the tokens before it for context.
func Diff(want, got []byte) string {
	w, err := Tokens(want)
	if err != nil {
		return "want: " + err.Error()
	}
	g, err := Tokens(got)
	if err != nil {
		return "got: " + err.Error()
	}
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			lo := max(0, i-8)
			return "after " + strings.Join(w[lo:i], "") + " want " + w[i] + ", got " + g[i]
		}
	}
	if len(w) != len(g) {
		return fmt.Sprintf("%d tokens, want %d", len(g), len(w))
	}
	return ""
}
