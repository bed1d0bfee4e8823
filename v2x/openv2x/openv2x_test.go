package openv2x

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeMapSample decodes cerebrum's config/map.json: node 19 (region
// 10) has four inLinks and is the intersection; its ingress lanes come
// from those, its egress lanes from the neighbours' inLinks from it.
func TestDecodeMapSample(t *testing.T) {
	var m v2x.Map
	if err := DecodeMap(read(t, "map.json"), &m); err != nil {
		t.Fatal(err)
	}
	if want := uint32(10<<16 | 19); m.IntersectionID != want {
		t.Errorf("intersection %d, want %d (region 10, id 19)", m.IntersectionID, want)
	}
	if math.Abs(m.RefLat-31.9348466) > 1e-9 || math.Abs(m.RefLon-118.8213963) > 1e-9 {
		t.Errorf("reference %.7f,%.7f", m.RefLat, m.RefLon)
	}
	var in, out, withConn int
	approaches := map[uint8]bool{}
	for _, l := range m.Lanes {
		if l.Ingress {
			in++
		} else {
			out++
		}
		if len(l.Connections) > 0 {
			withConn++
		}
		approaches[l.Approach] = true
		if len(l.Nodes) < 2 {
			t.Errorf("lane %d has %d points", l.ID, len(l.Nodes))
		}
		for _, p := range l.Nodes { // the sample's lanes lie within 500 m of node 19
			if math.Hypot(float64(p.E), float64(p.N)) > 500 {
				t.Errorf("lane %d point %v far from the reference", l.ID, p)
			}
		}
		if l.Width != 2 {
			t.Errorf("lane %d width %v, want 2 (laneWidth 200 cm)", l.ID, l.Width)
		}
	}
	if in == 0 || out == 0 || withConn == 0 || len(approaches) != 4 {
		t.Errorf("%d ingress, %d egress lanes, %d with connections, approaches %v", in, out, withConn, approaches)
	}
}

// TestDecodeParticipantsSamples: the three participant shapes.
func TestDecodeParticipantsSamples(t *testing.T) {
	var r v2x.RSM
	if err := DecodeParticipants(read(t, "rsm_dawnline.json"), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Participants) != 1 {
		t.Fatalf("%d participants", len(r.Participants))
	}
	p := r.Participants[0]
	if p.LocalID != 6 || p.Class != v2x.ClassCar || math.Abs(p.Lat-31.935221261941393) > 1e-12 || math.Abs(p.Lon-118.82304885831456) > 1e-12 ||
		math.Abs(float64(p.Heading)-264.3102381554889) > 1e-4 || math.Abs(float64(p.Speed())-7.8783) > 1e-3 || p.Length != 5 || p.Width != 1.8 || r.Source != v2x.SourceVideo {
		t.Errorf("dawnline participant %+v, source %d", p, r.Source)
	}
	if p.VelE > -7.8 || math.Abs(float64(p.VelN)) > 0.8 { // heading 264°: west, a little south
		t.Errorf("velocity %v,%v for heading 264°", p.VelE, p.VelN)
	}

	if err := DecodeParticipants(read(t, "participants_tracks.json"), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Participants) != 18 || r.RSUID != 100001 {
		t.Fatalf("%d participants from RSU %d, want 18 from 100001", len(r.Participants), r.RSUID)
	}
	ids := map[uint32]bool{}
	for _, p := range r.Participants {
		ids[p.LocalID] = true
		if math.Abs(p.Lat-40.1234567) > 1e-9 || math.Abs(p.Lon-116.1234565) > 1e-9 || p.Length != 4.4 || p.Width != 1.5 {
			t.Errorf("track participant %+v", p)
		}
	}
	if len(ids) != 18 {
		t.Errorf("%d distinct ids, want 18", len(ids))
	}

	// The standard RSM JSON, in CSAE units: what cerebrum's
	// transform_driver makes of the dawnline sample.
	std := `{"name": null, "id": "328328", "content": {"rsms": [{"refPos": {"lat": 319348466, "lon": 1188213963, "ele": null},
		"participants": [{"ptcType": "motor", "ptcId": 6, "global_track_id": "ad6de", "source": 3, "secMark": 43500,
		"pos": {"lat": 319352212, "lon": 1188230488, "ele": null}, "speed": 393, "heading": 21144, "lane": "eastin_4",
		"size": {"width": 180, "length": 500, "height": 30}}]}]}}`
	if err := DecodeParticipants([]byte(std), &r); err != nil {
		t.Fatal(err)
	}
	q := r.Participants[0]
	if len(r.Participants) != 1 || r.RSUID != 328328 || q.LocalID != 6 || math.Abs(q.Lat-31.9352212) > 1e-9 ||
		math.Abs(float64(q.Heading)-264.3) > 1e-3 || math.Abs(float64(q.Speed())-7.86) > 1e-3 || q.Width != 1.8 || q.Length != 5 || q.Height != 1.5 {
		t.Errorf("standard participant %+v from RSU %d", q, r.RSUID)
	}
}

func TestDecodeSPAT(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []v2x.Phase
		err      string
	}{
		{"dandelion", `{"name": "spat", "intersections": [{"intersectionId": 19, "status": 1, "phases": [
			{"phaseId": 1, "phaseStates": {"light": "red", "timing": "2022-05-20 11:19:43"}},
			{"phaseId": 2, "phaseStates": {"light": "protected-green"}}]}]}`,
			[]v2x.Phase{{ID: 1, State: v2x.LightRed, Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown},
				{ID: 2, State: v2x.LightGreen, Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}}, ""},
		{"csae counting", `{"intersections": {"IntersectionState": [{"intersectionId": {"region": 0, "id": 19}, "phases": {"Phase": [
			{"phaseId": 3, "phaseStates": {"PhaseState": [{"light": 7, "timing": {"counting": {"startTime": 30, "likelyEndTime": 60}}},
			{"light": {"permissive-green": null}, "timing": {"counting": {"startTime": 0, "minEndTime": 50, "likelyEndTime": 120, "maxEndTime": 36001, "timeConfidence": 200}}}]}}]}}]}}`,
			[]v2x.Phase{{ID: 3, State: v2x.LightGreenPermissive, Confidence: 100, Start: v2x.TimeUnknown, MinEnd: 5000, LikelyEnd: 12000, MaxEnd: v2x.TimeUnknown}}, ""},
		{"unknown light", `{"intersections": [{"intersectionId": 1, "phases": [{"phaseId": 1, "phaseStates": {"light": "purple"}}]}]}`, nil, "purple"},
		{"light out of range", `{"intersections": [{"intersectionId": 1, "phases": [{"phaseId": 1, "phaseStates": {"light": 9}}]}]}`, nil, "light 9"},
		{"no intersections", `{}`, nil, "no \"intersections\""},
		{"phase id", `{"intersections": [{"intersectionId": 1, "phases": [{"phaseId": 300, "phaseStates": {"light": 3}}]}]}`, nil, "phaseId 300"},
	} {
		got, err := DecodeSPAT([]byte(tc.in), nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(got) != 1 || len(got[0].Phases) != len(tc.want) {
			t.Errorf("%s: %+v", tc.name, got)
			continue
		}
		for i, p := range got[0].Phases {
			if p != tc.want[i] {
				t.Errorf("%s: phase %d %+v, want %+v", tc.name, i, p, tc.want[i])
			}
		}
	}
}

// TestDecodeRefusals: what does not fit the model is refused with the
// field named.
func TestDecodeRefusals(t *testing.T) {
	for _, tc := range []struct{ name, in, err string }{
		{"empty", ``, "empty"},
		{"not json", `{"1": [`, "participants"},
		{"ptcType", `[{"content": [{"ptcType": "tram", "ptcId": 1, "pos_lat": 31, "pos_lon": 118}]}]`, `"tram"`},
		{"latitude", `[{"content": [{"ptcType": "motor", "ptcId": 1, "pos_lat": 91, "pos_lon": 118}]}]`, "pos_lat 91"},
		{"missing position", `[{"content": [{"ptcType": "motor", "ptcId": 1}]}]`, "pos_lat is missing"},
		{"speed", `{"rsms": [{"participants": [{"ptcType": 1, "ptcId": 1, "pos": {"lat": 1, "lon": 1}, "speed": 9000}]}]}`, "speed 9000"},
		{"track latitude", `{"1": [{"ptcType": "motor", "ptcId": 1, "lat": 40.5, "lon": 116}]}`, "not an integer"},
	} {
		var r v2x.RSM
		err := DecodeParticipants([]byte(tc.in), &r)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
		if len(r.Participants) != 0 {
			t.Errorf("%s: %d participants left after an error", tc.name, len(r.Participants))
		}
	}
	for _, tc := range []struct{ name, in, err string }{
		{"no nodes", `{"msgCnt": 1, "nodes": {"Node": []}}`, "no nodes"},
		{"lane type", `{"nodes": [{"id": {"id": 1}, "refPos": {"lat": 1, "long": 1}, "inLinks": [{"upstreamNodeId": {"id": 2}, "lanes": [{"laneID": 1, "laneAttributes": {"laneType": {"hovercraft": "00"}}}]}]}]}`, `"hovercraft"`},
		{"maneuvers", `{"nodes": [{"id": {"id": 1}, "refPos": {"lat": 1, "long": 1}, "inLinks": [{"upstreamNodeId": {"id": 2}, "lanes": [{"laneID": 1, "maneuvers": "10x"}]}]}]}`, "bit string"},
		{"offset", `{"nodes": [{"id": {"id": 1}, "refPos": {"lat": 1, "long": 1}, "inLinks": [{"upstreamNodeId": {"id": 2}, "lanes": [{"laneID": 1, "points": [{"posOffset": {"offsetLL": {"position-LL1": {"lat": 5000, "lon": 0}}}}, {"posOffset": {"offsetLL": {"position-LL1": {"lat": 0, "lon": 0}}}}]}]}]}]}`, "lat 5000"},
	} {
		var m v2x.Map
		err := DecodeMap([]byte(tc.in), &m)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

// FuzzDecode runs every decoder on any input, seeded with the real
// OpenV2X samples: none may panic, and a decode that succeeds gives
// values the model can hold.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"map.json", "participants_tracks.json", "rsm_dawnline.json"} {
		f.Add(read(f, name))
	}
	f.Add([]byte(`{"intersections": [{"intersectionId": 19, "phases": [{"phaseId": 1, "phaseStates": {"light": "red"}}]}]}`))
	f.Add([]byte(`{"content": {"rsms": [{"participants": [{"ptcType": 1, "ptcId": 6, "pos": {"lat": 319352212, "lon": 1188230488}, "speed": 393, "heading": 21144, "size": {"width": 180, "length": 500}}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r v2x.RSM
		if err := DecodeParticipants(b, &r); err == nil {
			if len(r.Participants) > v2x.MaxObjects {
				t.Fatalf("%d participants", len(r.Participants))
			}
			for _, p := range r.Participants {
				if !(math.Abs(p.Lat) <= 90 && math.Abs(p.Lon) <= 180) || !p.Class.Valid() || !(p.Heading >= 0 && p.Heading < 360) {
					t.Fatalf("participant %+v", p)
				}
			}
		}
		var m v2x.Map
		if err := DecodeMap(b, &m); err == nil && !(math.Abs(m.RefLat) <= 90.0000001 && math.Abs(m.RefLon) <= 180.0000001) {
			t.Fatalf("map reference %v,%v", m.RefLat, m.RefLon)
		}
		if sp, err := DecodeSPAT(b, nil); err == nil {
			for _, s := range sp {
				for _, p := range s.Phases {
					if !p.State.Valid() {
						t.Fatalf("phase %+v", p)
					}
				}
			}
		}
	})
}
