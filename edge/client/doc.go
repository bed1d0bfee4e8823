// Package client is the Go client of the v2x-edge native protocol: dial a
// node, open producer streams to feed it, and subscribe to its state.
// With Options.Reconnect, a connection outlives the node's restarts: it
// dials again with backoff and resumes its subscriptions and producers.
// docs/protocol.md describes what goes over the wire.
package client
