// Package codec picks the codec of a message by its encoding (the node's
// own wire payloads, CSAE 53-2017 or SAE J2735 UPER) and decodes it into
// one tagged value of the node's model, a Message, whose storage is
// reused message after message: decoding a BSM, an RSM or a SPAT
// allocates nothing once warm.
//
// A standard MessageFrame that is well-formed but holds a message the
// node does not ingest is reported with ErrUnsupported, distinctly from a
// malformed one, whose *Error keeps the bit offset and the component
// path. Zero bytes where a frame should start are ErrPadding: RSUs pad
// stored and forwarded frames with zeros, so zero padding after a frame
// ends the input (see End), and input of zero bytes only is malformed.
//
// An Encoder does the reverse for simulators and tests: the node's model
// as a standard MessageFrame of the encoding asked for.
package codec
