// Package track is the multi-source tracker of v2x-edge.
package track
