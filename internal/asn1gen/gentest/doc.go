// Package gentest holds code generated from test.asn, to test the
// generator on constructs the CSAE 53 modules do not use.
package gentest

//go:generate go run ../../../cmd/v2x-asn1gen -pkg gentest -root All -source test.asn -o test_gen.go test.asn
