// Package replay plays recordings (package record, written by v2x-edge
// -record) back: Send sends the recorded ingest frames to a node with
// their original spacing, or faster, one producer stream per recorded
// stream, as v2x-replay does.
package replay
