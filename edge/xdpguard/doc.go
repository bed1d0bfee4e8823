// Package xdpguard is the control plane of the node's XDP guard (the
// program of package bpf that drops junk and limits new QUIC connections
// on the ingress interface before they reach the workers of package
// steer): what an operator sets on it (Settings: allow and deny lists of
// prefixes, Limits), attaching it in front of a worker group (Attach),
// changing it at run time over HTTP (/xdp/...) or from a re-read
// configuration (Set, Reload), and its v2x_xdp_* metrics.
//
// Without the privilege to load eBPF programs, or off Linux, the node
// runs without a guard; the HTTP control then answers 409 and says why.
package xdpguard
