// Package j2735 decodes and encodes SAE J2735 MessageFrames in UPER, with
// the v2x/uper runtime, and converts them to the node's model (package
// v2x). Type definitions follow SAE J2735 (2016), as published in the
// ASN.1 modules of usdot-jpo-ode/asn1_codec; no ASN.1 text or code from
// there is copied here.
//
// So far: the MessageFrame wrapper (any message, its value kept as an open
// type) and the BasicSafetyMessage (core data decoded and re-encoded;
// Part II and regional extensions kept as opaque open types).
package j2735
