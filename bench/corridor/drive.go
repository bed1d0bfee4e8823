// Package corridor drives and judges a corridor of nodes: a simulated
// row of signalised intersections (sim.Corridor), each fed to its own
// node, judged per node with the CLEAR-MOT metrics and across nodes by
// handover continuity, the share of vehicles that keep one id from one
// intersection to the next. Bench adds the bus: a three-server NATS
// cluster with JetStream (real nats-server processes) that the nodes
// publish to and hand over on, with one server killed mid-run, and an
// audit of the events stream.
package corridor

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
)

// NodeResult is one node's evaluation.
type NodeResult struct {
	Node string `json:"node"`
	eval.Result
	Frames uint64 `json:"frames_sent"`
}

// Judged is what Drive found.
type Judged struct {
	Nodes []NodeResult `json:"nodes"`
	// HandoverContinuity is the share of judged crossings (a vehicle
	// matched by the node it left and by the node it entered) in which
	// the entered node's first id for it is the left node's last.
	HandoverContinuity float64 `json:"handover_continuity"`
	Crossings          int     `json:"crossings"`           // vehicles passing from one intersection to the next
	JudgedCrossings    int     `json:"judged"`              // of those, matched on both sides
	KeptID             int     `json:"kept_id"`             // of those, with one id
	HandoverLatencyMS  float64 `json:"handover_latency_ms"` // median, from the vehicle's first frame in the entered node's camera coverage to the first state showing it under the corridor id (0: it was there before)
	HandoverLatencyP95 float64 `json:"handover_latency_p95_ms"`
	MinNodeMOTA        float64 `json:"min_node_mota"`
	// Broken lists the judged crossings that did not keep one id.
	Broken []BrokenCrossing `json:"broken"`
}

// BrokenCrossing is a vehicle that changed id crossing a boundary: the
// last id the node it left had for it, and the first the next node had.
type BrokenCrossing struct {
	Vehicle  uint32 `json:"vehicle"`
	From, To int    `json:"-"`
	Left     uint32 `json:"left_id"`
	Entered  uint32 `json:"entered_id"`
	Path     string `json:"path"` // e.g. "n1>n2"
}

// DriveOptions configure Drive.
type DriveOptions struct {
	Names []string // node names for the results; default n1, n2, ...
	Log   *slog.Logger
}

// visit is one vehicle's passage through one node, as judged.
type visit struct {
	firstCovered int64            // first judged state with it in camera coverage; 0: none
	firstID      uint32           // the first fused id matched to it
	lastID       uint32           // the last
	firstAt      map[uint32]int64 // first state matching it, per fused id
}

// trail is one node's visits, by true id; fed under the node's evaluator
// lock.
type trail map[uint32]*visit

func (tr trail) frame(t int64, trueID uint32, covered bool, fused uint32) {
	v := tr[trueID]
	if v == nil {
		v = &visit{firstAt: map[uint32]int64{}}
		tr[trueID] = v
	}
	if covered && v.firstCovered == 0 {
		v.firstCovered = t
	}
	if fused == 0 {
		return
	}
	if v.firstID == 0 {
		v.firstID = fused
	}
	v.lastID = fused
	if _, ok := v.firstAt[fused]; !ok {
		v.firstAt[fused] = t
	}
}

// Drive feeds intersection i of c to the node on conns[i] until ctx ends,
// judging every node, and returns the judgement.
func Drive(ctx context.Context, c *sim.Corridor, conns []*client.Conn, o DriveOptions) (*Judged, error) {
	if len(conns) != c.N() {
		return nil, fmt.Errorf("corridor: %d connections for %d intersections", len(conns), c.N())
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := c.N()
	trails := make([]trail, n)
	lives := make([]*eval.Live, n)
	stats := make([]feed.Stats, n)
	opts := make([]feed.Options, n)
	for i := range n {
		trails[i] = trail{}
		opts[i] = feed.Options{Log: log, Seed: int64(i)}
		tr := trails[i]
		l, err := eval.Attach(ctx, conns[i], c.View(i).Sim(), &opts[i], eval.Options{OnFrame: tr.frame, Name: name(o.Names, i)})
		if err != nil {
			return nil, fmt.Errorf("corridor: node %d: %w", i+1, err)
		}
		lives[i] = l
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = feed.Run(ctx, conns[i], c.View(i), opts[i], &stats[i])
		}()
	}
	wg.Wait()
	j := &Judged{MinNodeMOTA: math.Inf(1)}
	for i := range n {
		if errs[i] != nil {
			return nil, fmt.Errorf("corridor: feed %d: %w", i+1, errs[i])
		}
		r, err := lives[i].Finish()
		if err != nil {
			return nil, fmt.Errorf("corridor: node %d: %w", i+1, err)
		}
		j.Nodes = append(j.Nodes, NodeResult{Node: name(o.Names, i), Result: r, Frames: stats[i].Total()})
		j.MinNodeMOTA = math.Min(j.MinNodeMOTA, r.MOTA)
	}
	var lat []float64
	for _, x := range c.Transfers(nil) {
		j.Crossings++
		a, b := trails[x.From][x.VehicleID], trails[x.To][x.VehicleID]
		if a == nil || a.lastID == 0 || b == nil || b.firstID == 0 {
			continue
		}
		j.JudgedCrossings++
		if b.firstID != a.lastID {
			j.Broken = append(j.Broken, BrokenCrossing{Vehicle: x.VehicleID, From: x.From, To: x.To, Left: a.lastID, Entered: b.firstID,
				Path: name(o.Names, x.From) + ">" + name(o.Names, x.To)})
			continue
		}
		j.KeptID++
		if b.firstCovered != 0 {
			lat = append(lat, max(0, float64(b.firstAt[a.lastID]-b.firstCovered)/1e6))
		}
	}
	if j.JudgedCrossings > 0 {
		j.HandoverContinuity = round(float64(j.KeptID) / float64(j.JudgedCrossings))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		j.HandoverLatencyMS = round(lat[len(lat)/2])
		j.HandoverLatencyP95 = round(lat[min(len(lat)-1, len(lat)*95/100)])
	}
	if math.IsInf(j.MinNodeMOTA, 1) {
		j.MinNodeMOTA = 0
	}
	return j, nil
}

// name returns node i's name.
func name(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("n%d", i+1)
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// wait sleeps d or until ctx ends.
func wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
