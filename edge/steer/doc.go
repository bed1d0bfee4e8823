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
// All workers share the stateless reset and token keys (Keys).
//
// The group's first socket is bound exclusively before it takes
// SO_REUSEPORT, so a node refuses to start on a port another process or
// node serves, and another node, which binds the same way, cannot join its
// group.
//
// Without the privilege to load eBPF programs, or off Linux, Listen serves
// with one worker and says so in one log line. The XDP guard in front of
// the port is package xdpguard's.
package steer
