// Package trust decides what the node believes. It runs misbehaviour
// checks (after the F2MD/VeReMi catalogue) on every self-report (BSM)
// before it reaches the tracker, cross-checks the tracks that vehicles
// claim against the node's own cameras, checks signal and MAP messages,
// and keeps a trust score per source (producer stream): findings lower it,
// good behaviour recovers it, and a source below the quarantine threshold
// has its measurements kept out of fusion until it recovers.
//
// A Monitor is pure (no networking, no clocks of its own: every call gets
// its times) and is owned by the fusion goroutine. Its hot-path calls
// allocate nothing in steady state. Findings queue in the Monitor until
// the caller drains them (Drain) to log, count and publish them as Event
// frames. docs/architecture.md ("Trust") describes the checks and their
// thresholds.
package trust
