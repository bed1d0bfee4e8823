// Package bpf holds v2x-edge's eBPF programs, their bpf2go output and the
// Go that loads and drives them.
//
//   - steer.c, an sk_reuseport program, picks the QUIC worker socket of an
//     SO_REUSEPORT group from the destination connection id of each
//     datagram, so that a connection stays on its worker when a NAT rebinds
//     the client's port (LoadSteering).
//   - guard.c, an XDP program, drops UDP fragments and datagrams to the
//     QUIC port that cannot be QUIC, applies allow and deny lists, and
//     limits new connections per source prefix and in all (LoadGuard).
//
// Each decision has a pure-Go mirror (SteerDecide, GuardMirror) that the
// tests hold against the programs, through BPF_PROG_TEST_RUN for the guard
// and through real sockets for steering. The generated files are committed;
// `go generate ./bpf` needs clang, llvm-strip and libbpf-dev.
//
// The package builds on every system; off Linux LoadSteering and
// LoadGuard return an error for which Refused holds, and callers serve
// without them. The Go that drives the guard is package edge/xdpguard's,
// the worker group that steering serves package edge/steer's.
package bpf
