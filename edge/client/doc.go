// Package client is the Go client of the v2x-edge native protocol: dial a
// node, open producer streams to feed it, and subscribe to its state.
// docs/protocol.md describes what goes over the wire.
package client
