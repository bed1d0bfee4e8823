// Package clock gives the node's time: nanoseconds since the Unix epoch,
// read from the monotonic clock so that it never jumps or runs backwards
// while the process runs, anchored to the wall clock once at start.
package clock

import "time"

var (
	base     = time.Now()
	baseUnix = base.UnixNano()
)

// Now returns the current time in ns since the Unix epoch, monotonic.
func Now() int64 { return baseUnix + int64(time.Since(base)) }
