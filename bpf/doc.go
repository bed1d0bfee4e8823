// Package bpf will hold the eBPF programs that steer QUIC packets (an XDP
// guard and sk_reuseport steering by connection id), their bpf2go output
// and Go loaders. It holds nothing yet: see issue 5 and docs/architecture.md.
package bpf
