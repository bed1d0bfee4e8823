// Package steer spreads the node's QUIC ingress over several quic-go
// Transports (workers) on one UDP port without breaking connections when a
// client's NAT rebinds its port.
//
// Every worker issues connection ids that name it (CIDGenerator): the
// first byte carries the configuration generation, the second the
// worker's slot, the other ten are random. The workers' sockets form one
// SO_REUSEPORT group, and the sk_reuseport program of package bpf picks
// each datagram's socket from its destination connection id, so a
// connection's packets reach its worker whatever the source address.
// All workers share the stateless reset and token keys (Keys). An XDP
// guard (bpf.Guard) may drop junk on the ingress interface first.
//
// Without the privileges to load eBPF programs, Listen serves with one
// worker and no guard, and says so in one log line.
package steer
