// Package v2x is the message model of v2x-edge: the vehicle, signal, map,
// roadside and camera messages the node ingests, independent of how they are
// encoded on the wire. It is pure: no I/O, no goroutines.
//
// Units are SI throughout: metres, metres per second, seconds expressed as
// int64 nanoseconds, angles in degrees. Heading is measured clockwise from
// true north. Positions are WGS84 latitude/longitude in degrees.
package v2x
