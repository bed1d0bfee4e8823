//go:build !unix

package harness

import "github.com/v2x-edge/v2x-edge/edge/clock"

// Mono is clock.Now where there is no CLOCK_MONOTONIC: the harness
// measures on Linux.
func Mono() int64 { return clock.Now() }
