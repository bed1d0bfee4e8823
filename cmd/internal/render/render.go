// Package render turns the states a subscription receives into what the
// commands print: v2x-sub's JSON lines and the one-line summary that
// v2x-sub and the demo show.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// UpdateJSON is the JSON-lines form of a client.Update, as v2x-sub -json
// prints it: one object per line. Measured values are rounded to the
// broadcast precision (wire.ResLatLon and its siblings), so that a line
// carries no float noise beyond what the node sends.
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

// round rounds v to a multiple of res (a power of ten). It divides by
// the exact integer 1/res, so that the result is the float64 nearest the
// decimal and prints without noise.
func round(v, res float64) float64 {
	scale := math.Round(1 / res)
	return math.Round(v*scale) / scale
}

// round32 rounds v to a multiple of res and gives the float32 nearest
// that, which encoding/json prints in its shortest form.
func round32(v float32, res float64) float32 { return float32(round(float64(v), res)) }

// heading rounds h to wire.ResHeading within [0, 360): a heading that
// rounds up to 360 is 0.
func heading(h float32) float32 {
	r := round(float64(h), wire.ResHeading)
	if r >= 360 || r < 0 {
		r = round(math.Mod(math.Mod(r, 360)+360, 360), wire.ResHeading)
	}
	if r >= 360 || r == 0 { // 0 also turns -0 into 0
		return 0
	}
	return float32(r)
}

// JSON converts an Update to its JSON-lines form.
func JSON(u *client.Update) UpdateJSON {
	j := UpdateJSON{Seq: u.Seq, TimeNS: u.TimeNS, AgeUS: u.AgeNS / 1e3, IngestAgeUS: u.IngestAgeNS / 1e3,
		ClockSynced: u.Synced, Intersection: u.State.Intersection,
		Objects: make([]ObjectJSON, len(u.State.Objects)), Signals: make([]SignalJSON, len(u.State.Signals))}
	for i, o := range u.State.Objects {
		j.Objects[i] = ObjectJSON{ID: o.ID, Class: o.Class.String(),
			Lat: round(o.Lat, wire.ResLatLon), Lon: round(o.Lon, wire.ResLatLon),
			E: round32(o.E, wire.ResMetre), N: round32(o.N, wire.ResMetre),
			Speed: round32(o.Speed, wire.ResSpeed), Heading: heading(o.Heading),
			Length: round32(o.Length, wire.ResMetre), Width: round32(o.Width, wire.ResMetre),
			Sources: o.Sources, AgeMS: o.AgeMS, Lane: o.Lane,
			Cov: [3]float32{round32(o.CovEE, wire.ResCov), round32(o.CovEN, wire.ResCov), round32(o.CovNN, wire.ResCov)}}
	}
	for i, g := range u.State.Signals {
		j.Signals[i] = SignalJSON{Phase: g.Phase, State: g.State.String(), EndsInMS: msPtr(g.LikelyEndMS),
			MinEndMS: msPtr(g.MinEndMS), MaxEndMS: msPtr(g.MaxEndMS), Confidence: g.Confidence}
	}
	return j
}

// WriteJSON writes u as one JSON line.
func WriteJSON(w io.Writer, u *client.Update) error {
	b, err := json.Marshal(JSON(u))
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Summary is a one-line human-readable description of an update: object
// counts by class and the signal states.
func Summary(u *client.Update) string {
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
