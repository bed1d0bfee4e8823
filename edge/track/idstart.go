package track

import "time"

// IDsPerSecond is the rate at which BootIDStart's counter start moves
// with the wall clock: a node restarted in its namespace starts beyond
// every id its previous run gave out as long as that run gave out fewer
// than this many ids a second on average over its uptime (a busy
// intersection's tracker starts about 10 a second, clutter included).
// The 24-bit counter space then wraps every 2^24/IDsPerSecond seconds
// (18.2 hours) of wall time, as the counter itself would.
const IDsPerSecond = 256

// BootIDStart returns the counter start (Config.IDStart) for a tracker
// started at wall time now: the wall clock in units of 1/IDsPerSecond s,
// modulo the 24-bit counter space. So ids survive a restart without
// anything stored: the ids a node gives out after a restart are not the
// ones it gave out before (which a neighbour's track may still hold after
// a handover), unless the clock was set back or the previous run gave out
// ids faster than IDsPerSecond on average.
func BootIDStart(now time.Time) uint32 {
	return uint32(now.UnixNano()/(int64(time.Second)/IDsPerSecond)) & idCounterMask
}

// idCounterMask masks the counter below a namespace's top byte.
const idCounterMask = 1<<24 - 1
