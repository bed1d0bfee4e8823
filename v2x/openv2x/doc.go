// Package openv2x decodes the JSON that OpenV2X roadside units and edge
// services publish over MQTT (open-v2x/cerebrum and open-v2x/dandelion,
// Apache-2.0) into the node's message model: participants (RSM), the
// intersection MAP and signal state (SPAT). docs/protocol.md §13 gives the
// topics, the payloads and the mapping field by field, with the
// provenance of each format.
//
// The package is pure: no I/O, no goroutines. Decoders refuse what does
// not fit the model (unknown shapes, values out of range) with an error
// naming the field; they never panic on any input (FuzzDecode).
package openv2x
