package edge

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestFmtDeg(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{22.543083199999998, "22.5430832"},
		{114.05790000000002, "114.0579"},
		{-33.86881999999999, "-33.86882"},
		{0, "0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
	} {
		if got := fmtDeg(c.v); got != c.want {
			t.Errorf("fmtDeg(%v) = %s, want %s", c.v, got, c.want)
		}
	}
}

// TestReferencePointLogRounded: the node's log of its reference point
// prints positions at their precision, not float noise.
func TestReferencePointLogRounded(t *testing.T) {
	var buf bytes.Buffer
	cfg := DefaultConfig()
	m := newMetrics()
	in := newInbox(cfg.InboxSize)
	hub := newHub(0, m.bc.hub)
	w := newWorld(newFusionConfig(&cfg), slog.New(slog.NewTextHandler(&buf, nil)), &m.fusion, in, hub, newTrackFuser(track.Config{}, trust.Config{}))
	w.setMap(&v2x.Map{IntersectionID: 1, RefLat: 22.543083199999998, RefLon: 114.05790000000002})
	if out := buf.String(); !strings.Contains(out, "lat=22.5430832 lon=114.0579 ") {
		t.Errorf("log line %q does not give lat=22.5430832 lon=114.0579", out)
	}
}
