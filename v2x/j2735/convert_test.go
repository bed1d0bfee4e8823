package j2735

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

func decodeValue(t *testing.T, file string, m message) {
	t.Helper()
	raw, _ := odeSample(t, file)
	var f MessageFrame
	if _, err := DecodeFrame(raw, &f); err != nil {
		t.Fatal(err)
	}
	var d uper.Decoder
	d.Reset(f.Value)
	m.DecodeUPER(&d)
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
}
