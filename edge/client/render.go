package client

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// UpdateJSON is the JSON-lines form of an Update, as v2x-sub -json prints
// it: one object per line.
type UpdateJSON struct {
	Seq          uint64       `json:"seq"`
	TimeNS       int64        `json:"time_ns"`
	AgeUS        int64        `json:"age_us"`
	IngestAgeUS  int64        `json:"ingest_age_us"`
	ClockSynced  bool         `json:"clock_synced"`
	Intersection uint32       `json:"intersection"`
	Objects      []ObjectJSON `json:"objects"`
	Signals      []SignalJSON `json:"signals"`
}

// ObjectJSON is one object in UpdateJSON.
type ObjectJSON struct {
	ID      uint32  `json:"id"`
	Class   string  `json:"class"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	E       float32 `json:"e"`
	N       float32 `json:"n"`
	Speed   float32 `json:"speed"`
	Heading float32 `json:"heading"`
	Length  float32 `json:"length"`
	Width   float32 `json:"width"`
	Sources uint8   `json:"sources"`
	AgeMS   uint32  `json:"age_ms"`
	Lane    uint8   `json:"lane"`
	// Cov is the position covariance [ee, en, nn] in m².
	Cov [3]float32 `json:"cov"`
}

// SignalJSON is one signal group in UpdateJSON. Unknown times are null.
type SignalJSON struct {
	Phase      uint8  `json:"phase"`
	State      string `json:"state"`
	EndsInMS   *int32 `json:"ends_in_ms"`
	MinEndMS   *int32 `json:"min_end_ms"`
	MaxEndMS   *int32 `json:"max_end_ms"`
	Confidence uint8  `json:"confidence"`
}

func msPtr(v int32) *int32 {
	if v == v2x.TimeUnknown {
		return nil
	}
	return &v
}

// JSON converts an Update to its JSON-lines form.
func (u *Update) JSON() UpdateJSON {
	j := UpdateJSON{Seq: u.Seq, TimeNS: u.TimeNS, AgeUS: u.AgeNS / 1e3, IngestAgeUS: u.IngestAgeNS / 1e3,
		ClockSynced: u.Synced, Intersection: u.State.Intersection,
		Objects: make([]ObjectJSON, len(u.State.Objects)), Signals: make([]SignalJSON, len(u.State.Signals))}
	for i, o := range u.State.Objects {
		j.Objects[i] = ObjectJSON{ID: o.ID, Class: o.Class.String(), Lat: o.Lat, Lon: o.Lon, E: o.E, N: o.N,
			Speed: o.Speed, Heading: o.Heading, Length: o.Length, Width: o.Width, Sources: o.Sources, AgeMS: o.AgeMS,
			Lane: o.Lane, Cov: [3]float32{o.CovEE, o.CovEN, o.CovNN}}
	}
	for i, g := range u.State.Signals {
		j.Signals[i] = SignalJSON{Phase: g.Phase, State: g.State.String(), EndsInMS: msPtr(g.LikelyEndMS),
			MinEndMS: msPtr(g.MinEndMS), MaxEndMS: msPtr(g.MaxEndMS), Confidence: g.Confidence}
	}
	return j
}

// WriteJSON writes u as one JSON line.
func WriteJSON(w io.Writer, u *Update) error {
	b, err := json.Marshal(u.JSON())
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Summary is a one-line human-readable description of an update: object
// counts by class and the signal states.
func Summary(u *Update) string {
	counts := map[string]int{}
	for _, o := range u.State.Objects {
		counts[o.Class.String()]++
	}
	classes := make([]string, 0, len(counts))
	for c, n := range counts {
		classes = append(classes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(classes)
	var sig []string
	for _, g := range u.State.Signals {
		s := fmt.Sprintf("%d:%s", g.Phase, g.State)
		if g.LikelyEndMS != v2x.TimeUnknown {
			s += fmt.Sprintf("(%.1fs)", float64(g.LikelyEndMS)/1000)
		}
		sig = append(sig, s)
	}
	return fmt.Sprintf("seq %d  age %.2fms  objects %d [%s]  signals [%s]",
		u.Seq, float64(u.AgeNS)/1e6, len(u.State.Objects), strings.Join(classes, " "), strings.Join(sig, " "))
}
