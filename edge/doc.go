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
//
// The Node wires the parts together and each part gets only what it uses,
// not the Node: the fusion loop its fusionConfig, the inbox, the hub, its
// fusionMetrics and the fuser; each subscriber a broadcast (the hub, a
// broadcastConfig and the broadcastMetrics) and its stream session behind
// the narrow subscriberStream interface; a stream session its streamConfig
// and frameMetrics.
package edge
