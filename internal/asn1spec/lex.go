// Package asn1spec parses the subset of ASN.1 (ITU-T X.680) that V2X
// message sets use into a syntax tree for code generation: type
// assignments with INTEGER, ENUMERATED, BOOLEAN, NULL, BIT STRING, OCTET
// STRING, IA5String, SEQUENCE, SEQUENCE OF, CHOICE and ANY (an open type),
// size and value constraints, OPTIONAL, DEFAULT and extension markers.
// Anything else is a clear error with the file and line.
package asn1spec

import (
	"fmt"
	"strings"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	text string
	line int
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "end of file"
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits src into tokens, dropping comments ("--" to the end of the
// line or the next "--", and "/* */" blocks).
func lex(file, src string) ([]token, error) {
	var toks []token
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(src[i:], "--"):
			i += 2
			for i < len(src) && src[i] != '\n' {
				if strings.HasPrefix(src[i:], "--") {
					i += 2
					break
				}
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated comment", file, line)
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case isLetter(c):
			j := i + 1
			for j < len(src) && (isLetter(src[j]) || isDigit(src[j]) || src[j] == '_' ||
				(src[j] == '-' && j+1 < len(src) && src[j+1] != '-' && (isLetter(src[j+1]) || isDigit(src[j+1])))) {
				j++
			}
			toks = append(toks, token{tokIdent, src[i:j], line})
			i = j
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], line})
			i = j
		default:
			p := ""
			for _, cand := range []string{"::=", "...", "..", "[[", "]]"} {
				if strings.HasPrefix(src[i:], cand) {
					p = cand
					break
				}
			}
			if p == "" {
				if !strings.ContainsRune("{}(),;|.[]<>@&!:", rune(c)) {
					return nil, fmt.Errorf("%s:%d: unexpected character %q", file, line, c)
				}
				p = string(c)
			}
			toks = append(toks, token{tokPunct, p, line})
			i += len(p)
		}
	}
	toks = append(toks, token{kind: tokEOF, line: line})
	return toks, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
