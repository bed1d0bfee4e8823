// Package edge is the v2x-edge node: configuration, lifecycle, QUIC ingest,
// the fusion loop, the broadcast hub and metrics.
//
// Data flows one way: producer streams (ingest.go) decode and validate
// frames into measurements and put them in the fusion inbox (inbox.go); one
// goroutine (world.go) owns the intersection state, folds measurements into
// it through a fuser (fuser.go), and publishes immutable, reference-counted
// snapshots (snapshot.go) to the hub (hub.go); each subscriber (subscriber.go)
// has its own writer with a latest-wins mailbox, filters the snapshot by its
// region and writes State frames.
package edge
