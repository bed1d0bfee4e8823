package track

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// TestOwnerLimit: an owner with a limit of 3 starts 3 tracks out of 5
// detections and no more while they live; those 3 keep updating; another
// owner is not held by it; once its tracks expire it may start new ones.
func TestOwnerLimit(t *testing.T) {
	tr := New(Config{})
	frame := func(owner uint64, stream uint64, n int, at int64, y float64) (ms []Measurement, e, nn []float64) {
		for i := range n {
			ms = append(ms, Measurement{Kind: MeasDetection, Class: v2x.ClassCar, Stream: stream, Source: 1, LocalID: uint64(i + 1),
				TimeNS: at, IngestNS: at, Owner: owner, OwnerLimit: 3})
			e, nn = append(e, float64(i)*20), append(nn, y)
		}
		return ms, e, nn
	}
	const a, b = 0xA, 0xB
	at := int64(1e9)
	if c := tr.UpdateFrame(frame(a, 1, 5, at, 0)); c != 2 || tr.OwnerTracks(a) != 3 || tr.Len() != 3 {
		t.Fatalf("capped %d, owner tracks %d, tracks %d; want 2 capped and 3 tracks", c, tr.OwnerTracks(a), tr.Len())
	}
	hits := tr.C.Measurements
	at += 100e6
	if c := tr.UpdateFrame(frame(a, 1, 5, at, 0)); c != 2 || tr.C.Measurements-hits != 3 || tr.Len() != 3 {
		t.Fatalf("second frame: capped %d, updates %d, tracks %d; want 2 capped, 3 updates, 3 tracks", c, tr.C.Measurements-hits, tr.Len())
	}
	if c := tr.UpdateFrame(frame(b, 2, 3, at, 100)); c != 0 || tr.OwnerTracks(b) != 3 {
		t.Fatalf("another owner: capped %d, its tracks %d; want 0 and 3", c, tr.OwnerTracks(b))
	}
	if tr.C.OwnerCapped != 4 {
		t.Errorf("OwnerCapped %d, want 4", tr.C.OwnerCapped)
	}
	tr.Expire(at + 10e9)
	if tr.Len() != 0 || tr.OwnerTracks(a) != 0 || len(tr.owned) != 0 {
		t.Fatalf("after expiry: %d tracks, owner a holds %d, %d owners counted; want none", tr.Len(), tr.OwnerTracks(a), len(tr.owned))
	}
	if c := tr.UpdateFrame(frame(a, 1, 5, at+11e9, 0)); c != 2 || tr.OwnerTracks(a) != 3 {
		t.Fatalf("after expiry: capped %d, owner tracks %d; want 2 and 3", c, tr.OwnerTracks(a))
	}
}
