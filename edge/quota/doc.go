// Package quota keeps per-identity quotas: token buckets for rates (frames,
// objects, Subscribe/Resync and MAP frames per second) and counters for
// what an identity holds at once (connections, streams, subscriptions,
// bytes of frames being read). Limits come per role; an identity with
// several roles gets, field by field, the most generous of them.
//
// What is refused is counted by identity and quota in
// v2x_quota_exceeded_total. The identity label is bounded: the first
// LabelLimit distinct identities a node sees keep their own label for the
// life of the process, every later one is counted as "other".
//
// The hot paths (Allow on a bucket, an Account's checks) take a mutex and
// do arithmetic on monotonic int64 nanoseconds; they allocate nothing.
package quota
