package edge

// firstSeq is the sequence number of the first state a node publishes:
// its boot time in microseconds since the Unix epoch (below 2⁵³ until the
// year 2255, so JSON readers keep it exact). Sequence numbers then grow by
// one per state, and a node publishes far fewer than a million states a
// second, so a restarted node's sequence numbers continue above those of
// the run before it: a subscriber tells a new run by a jump in Seq, and
// never sees one go backwards (unless the wall clock was set back by more
// than the old run's states' worth of microseconds). docs/protocol.md §7.2
// says so; the boot time is also the metric v2x_node_start_time_seconds.
func firstSeq(bootNS int64) uint64 { return uint64(bootNS / 1e3) }
