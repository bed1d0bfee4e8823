// Package e2e holds the end-to-end test of a whole node: the simulator
// feeding it over loopback QUIC and subscribers asserting on what arrives.
package e2e
