// Package record keeps what a node saw and said in MCAP files (package
// mcap): a Recorder takes messages from any goroutine without blocking,
// through a bounded queue, and one goroutine of its own writes them,
// rotating files by size and age, bounding the directory's total size
// (oldest files deleted first) and writing each file's footer when it
// closes. What the queue cannot take is dropped and counted, never waited
// for: recording must not slow the node.
package record
