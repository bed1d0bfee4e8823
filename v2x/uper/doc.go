// Package uper is a runtime for ASN.1 Unaligned Packed Encoding Rules
// (ITU-T X.691, UNALIGNED variant), the encoding of J2735 and CSAE 53
// MessageFrames.
//
// A message package decodes with a Decoder and encodes with an Encoder,
// calling one method per ASN.1 component in schema order, each named by the
// component's field path for error messages:
//
//	var d uper.Decoder
//	d.Reset(frame)
//	ext, _ := d.Preamble("MessageFrame", true, 0) // extension bit, no OPTIONALs
//	id := d.Constrained("messageId", 0, 32767)
//	value := d.OpenType("value", buf[:0])
//	if err := d.Err(); err != nil { ... } // *uper.Error: bit offset and field
//
// Errors are sticky: after the first, every read returns zero values and
// Err reports the first failure, so a decoder checks once at the end (and
// before any loop whose bound it read). Lengths are bounded by the caller
// and by MaxLength, so hostile input cannot make a decoder allocate without
// bound; nothing in this package allocates except appending to buffers the
// caller passes.
package uper
