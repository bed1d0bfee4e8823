package track

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// camFrame is one 10 Hz detection of a parked car by camera cam at t ns,
// read by the node at ingest ns.
func camFrame(tr *Tracker, cam uint32, t, ingest int64) {
	tr.UpdateFrame([]Measurement{{Kind: MeasDetection, Class: v2x.ClassCar, Stream: uint64(cam), Source: cam, LocalID: 7,
		TimeNS: t, IngestNS: ingest, CovEE: 0.25, CovNN: 0.25}}, []float64{10}, []float64{5})
}

// A stall of the node (its host loaded): the fusion loop wakes 400 ms
// after the camera's last frame was read, before the frames captured
// meanwhile are. The track is kept, and those frames extend it under its
// id; with the camera silent for good, it goes.
func TestExpiryWaitsForStalledFrames(t *testing.T) {
	tr := New(Config{})
	const lat = 40e6 // capture to ingest
	var ts int64
	for k := range 30 { // 3 s at 10 Hz: confirmed, on many hits
		ts = int64(k) * 100e6
		camFrame(tr, 1, ts, ts+lat)
		tr.Expire(ts + lat)
	}
	if len(tr.tracks) != 1 || !tr.tracks[0].Confirmed {
		t.Fatalf("want one confirmed track, have %d", len(tr.tracks))
	}
	id := tr.tracks[0].ID
	// The clock is past the camera-loss deadline (600 ms after the last
	// capture), but the camera's next frames are not in yet.
	stallEnd := ts + lat + 700e6
	tr.Expire(stallEnd)
	if len(tr.tracks) != 1 {
		t.Fatal("track deleted while its camera's frames of the stall were still unread")
	}
	for k := int64(1); k <= 7; k++ { // the frames of the stall, read at once
		camFrame(tr, 1, ts+k*100e6, stallEnd+1e6)
	}
	tr.Expire(stallEnd + 2e6)
	if len(tr.tracks) != 1 || tr.tracks[0].ID != id {
		t.Fatalf("after the stall: %d tracks, want the one of id %d", len(tr.tracks), id)
	}
	// The camera stops for good: the track goes at the deadline plus at
	// most the hold.
	last := ts + 7*100e6
	tr.Expire(last + int64(tr.cfg.CameraLossNS) + expiryHoldNS + lat + 1)
	if len(tr.tracks) != 0 {
		t.Fatal("a track of a camera silent for longer than the hold was kept")
	}
}

// In steady traffic the expiry clock is the node clock: a camera that
// keeps sending frames without the object loses it at its deadline.
func TestExpiryClockIsTheClockInSteadyTraffic(t *testing.T) {
	tr := New(Config{})
	camFrame(tr, 1, 0, 40e6)
	for k := int64(1); k <= 10; k++ { // camera 2 sends frames elsewhere
		tr.UpdateFrame([]Measurement{{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 2, Source: 2, LocalID: 1,
			TimeNS: k * 50e6, IngestNS: k*50e6 + 40e6}}, []float64{-80}, []float64{-80})
	}
	camFrame(tr, 1, 100e6, 140e6) // camera 1 frames: 10 Hz
	camFrame(tr, 1, 200e6, 240e6)
	for k := int64(3); k <= 5; k++ { // camera 1 goes on, the object gone
		tr.UpdateFrame([]Measurement{{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 99,
			TimeNS: k * 100e6, IngestNS: k*100e6 + 40e6}}, []float64{80}, []float64{80})
	}
	if got := tr.expiryClock(540e6); got != 540e6 {
		t.Fatalf("expiry clock %d at 540 ms with every camera heard within its interval, want the clock", got)
	}
	n := len(tr.tracks)
	tr.Expire(540e6) // tentative deadline 200 + 300 ms passed
	if len(tr.tracks) != n-1 {
		t.Fatalf("%d tracks after the tentative deadline, want %d", len(tr.tracks), n-1)
	}
}
