package edge

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// The Foxglove live view (-foxglove ADDR) speaks the foxglove.websocket.v1
// subprotocol (the Foxglove WebSocket protocol's public specification,
// foxglove/ws-protocol docs/spec.md): a Server Info and an Advertise of the
// channels below on connection, Subscribe and Unsubscribe from the client,
// and Message Data frames (opcode 1, subscription id and timestamp little
// endian, then the JSON message). A connection is a live view viewer
// (liveFeed): it counts against live_viewers, reads the hub the same way,
// and takes the same query (ws://ADDR/?rate=5&radius=50&classes=car,bus).
const foxSubprotocol = "foxglove.websocket.v1"

// foxFrame is the frame every scene entity is in: east, north, up metres
// from the reference point.
const foxFrame = "intersection"

// Foxglove channels.
const (
	foxLanes = iota + 1
	foxObjects
	foxSignals
	foxReference
	foxState
)

type foxChannel struct {
	ID         int    `json:"id"`
	Topic      string `json:"topic"`
	Encoding   string `json:"encoding"`
	SchemaName string `json:"schemaName"`
	Schema     string `json:"schema"`
}

var foxChannels = []foxChannel{
	{foxLanes, "/v2x/lanes", "json", "foxglove.SceneUpdate", schemaSceneUpdate},
	{foxObjects, "/v2x/objects", "json", "foxglove.SceneUpdate", schemaSceneUpdate},
	{foxSignals, "/v2x/signals", "json", "foxglove.SceneUpdate", schemaSceneUpdate},
	{foxReference, "/v2x/reference", "json", "foxglove.LocationFix", schemaLocationFix},
	{foxState, "/v2x/state", "json", "v2x.State", schemaState},
}

// The JSON Schemas advertised, written for the fields this node sends (the
// Foxglove schemas name more; a panel recognises the message by its
// schemaName). Ours, from the published field lists of foxglove.SceneUpdate
// and foxglove.LocationFix.
const (
	schemaTime     = `{"type":"object","properties":{"sec":{"type":"integer"},"nsec":{"type":"integer"}}}`
	schemaVec3     = `{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"},"z":{"type":"number"}}}`
	schemaColor    = `{"type":"object","properties":{"r":{"type":"number"},"g":{"type":"number"},"b":{"type":"number"},"a":{"type":"number"}}}`
	schemaPose     = `{"type":"object","properties":{"position":` + schemaVec3 + `,"orientation":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"},"z":{"type":"number"},"w":{"type":"number"}}}}}`
	schemaCube     = `{"type":"object","properties":{"pose":` + schemaPose + `,"size":` + schemaVec3 + `,"color":` + schemaColor + `}}`
	schemaLine     = `{"type":"object","properties":{"type":{"type":"integer","description":"0 line strip, 1 line loop, 2 line list"},"pose":` + schemaPose + `,"thickness":{"type":"number"},"scale_invariant":{"type":"boolean"},"points":{"type":"array","items":` + schemaVec3 + `},"color":` + schemaColor + `,"colors":{"type":"array","items":` + schemaColor + `},"indices":{"type":"array","items":{"type":"integer"}}}}`
	schemaText     = `{"type":"object","properties":{"pose":` + schemaPose + `,"billboard":{"type":"boolean"},"font_size":{"type":"number"},"scale_invariant":{"type":"boolean"},"color":` + schemaColor + `,"text":{"type":"string"}}}`
	schemaKV       = `{"type":"object","properties":{"key":{"type":"string"},"value":{"type":"string"}}}`
	schemaEntity   = `{"type":"object","properties":{"timestamp":` + schemaTime + `,"frame_id":{"type":"string"},"id":{"type":"string"},"lifetime":` + schemaTime + `,"frame_locked":{"type":"boolean"},"metadata":{"type":"array","items":` + schemaKV + `},"arrows":{"type":"array"},"cubes":{"type":"array","items":` + schemaCube + `},"spheres":{"type":"array"},"cylinders":{"type":"array"},"lines":{"type":"array","items":` + schemaLine + `},"triangles":{"type":"array"},"texts":{"type":"array","items":` + schemaText + `},"models":{"type":"array"}}}`
	schemaDeletion = `{"type":"object","properties":{"timestamp":` + schemaTime + `,"type":{"type":"integer","description":"0 matching id, 1 all"},"id":{"type":"string"}}}`

	schemaSceneUpdate = `{"title":"foxglove.SceneUpdate","type":"object","properties":{"deletions":{"type":"array","items":` + schemaDeletion + `},"entities":{"type":"array","items":` + schemaEntity + `}}}`
	schemaLocationFix = `{"title":"foxglove.LocationFix","type":"object","properties":{"timestamp":` + schemaTime + `,"frame_id":{"type":"string"},"latitude":{"type":"number"},"longitude":{"type":"number"},"altitude":{"type":"number"},"position_covariance":{"type":"array","items":{"type":"number"},"minItems":9,"maxItems":9},"position_covariance_type":{"type":"integer"}}}`
	schemaState       = `{"title":"v2x.State","description":"A fused intersection state (docs/protocol.md): east/north metres from the reference point, speed m/s, heading degrees clockwise from north, signal ends ms after the state time","type":"object","properties":{"seq":{"type":"integer"},"time_ns":{"type":"integer"},"intersection":{"type":"integer"},"objects":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"class":{"type":"string"},"e":{"type":"number"},"n":{"type":"number"},"lat":{"type":"number"},"lon":{"type":"number"},"speed":{"type":"number"},"heading":{"type":"number"},"length":{"type":"number"},"width":{"type":"number"},"lane":{"type":"integer"},"sources":{"type":"integer"}}}},"signals":{"type":"array","items":{"type":"object","properties":{"phase":{"type":"integer"},"state":{"type":"string"},"min_end_ms":{"type":["integer","null"]},"likely_end_ms":{"type":["integer","null"]},"max_end_ms":{"type":["integer","null"]}}}}}}`
)

// Foxglove messages, as JSON.
type (
	foxTime  struct{ Sec, Nsec int64 }
	foxVec3  struct{ X, Y, Z float64 }
	foxQuat  struct{ X, Y, Z, W float64 }
	foxColor struct{ R, G, B, A float64 }
	foxPose  struct {
		Position    foxVec3 `json:"position"`
		Orientation foxQuat `json:"orientation"`
	}
	foxCube struct {
		Pose  foxPose  `json:"pose"`
		Size  foxVec3  `json:"size"`
		Color foxColor `json:"color"`
	}
	foxLine struct {
		Type           int        `json:"type"`
		Pose           foxPose    `json:"pose"`
		Thickness      float64    `json:"thickness"`
		ScaleInvariant bool       `json:"scale_invariant"`
		Points         []foxVec3  `json:"points"`
		Color          foxColor   `json:"color"`
		Colors         []foxColor `json:"colors"`
		Indices        []int      `json:"indices"`
	}
	foxText struct {
		Pose           foxPose  `json:"pose"`
		Billboard      bool     `json:"billboard"`
		FontSize       float64  `json:"font_size"`
		ScaleInvariant bool     `json:"scale_invariant"`
		Color          foxColor `json:"color"`
		Text           string   `json:"text"`
	}
	foxKV struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	foxEntity struct {
		Timestamp   foxTime   `json:"timestamp"`
		FrameID     string    `json:"frame_id"`
		ID          string    `json:"id"`
		Lifetime    foxTime   `json:"lifetime"`
		FrameLocked bool      `json:"frame_locked"`
		Metadata    []foxKV   `json:"metadata"`
		Arrows      []any     `json:"arrows"`
		Cubes       []foxCube `json:"cubes"`
		Spheres     []any     `json:"spheres"`
		Cylinders   []any     `json:"cylinders"`
		Lines       []foxLine `json:"lines"`
		Triangles   []any     `json:"triangles"`
		Texts       []foxText `json:"texts"`
		Models      []any     `json:"models"`
	}
	foxDeletion struct {
		Timestamp foxTime `json:"timestamp"`
		Type      int     `json:"type"`
		ID        string  `json:"id"`
	}
	foxSceneUpdate struct {
		Deletions []foxDeletion `json:"deletions"`
		Entities  []foxEntity   `json:"entities"`
	}
	foxLocationFix struct {
		Timestamp              foxTime    `json:"timestamp"`
		FrameID                string     `json:"frame_id"`
		Latitude               float64    `json:"latitude"`
		Longitude              float64    `json:"longitude"`
		Altitude               float64    `json:"altitude"`
		PositionCovariance     [9]float64 `json:"position_covariance"`
		PositionCovarianceType int        `json:"position_covariance_type"`
	}
)

func (t foxTime) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"sec":%d,"nsec":%d}`, t.Sec, t.Nsec), nil
}
func (v foxVec3) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"x":%s,"y":%s,"z":%s}`, fnum(v.X), fnum(v.Y), fnum(v.Z)), nil
}
func (q foxQuat) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"x":%s,"y":%s,"z":%s,"w":%s}`, fnum(q.X), fnum(q.Y), fnum(q.Z), fnum(q.W)), nil
}
func (c foxColor) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"r":%s,"g":%s,"b":%s,"a":%s}`, fnum(c.R), fnum(c.G), fnum(c.B), fnum(c.A)), nil
}

// MarshalJSON writes every list of the entity, empty ones as [] (the
// Foxglove schemas want arrays, never null).
func (e foxEntity) MarshalJSON() ([]byte, error) {
	type plain foxEntity
	p := plain(e)
	p.Metadata = orEmpty(p.Metadata)
	p.Arrows, p.Spheres, p.Cylinders, p.Triangles, p.Models = orEmpty(p.Arrows), orEmpty(p.Spheres), orEmpty(p.Cylinders), orEmpty(p.Triangles), orEmpty(p.Models)
	p.Cubes, p.Lines, p.Texts = orEmpty(p.Cubes), orEmpty(p.Lines), orEmpty(p.Texts)
	return json.Marshal(p)
}

// MarshalJSON writes the line's per-point colours and indices as [] when
// there are none.
func (l foxLine) MarshalJSON() ([]byte, error) {
	type plain foxLine
	p := plain(l)
	p.Points, p.Colors, p.Indices = orEmpty(p.Points), orEmpty(p.Colors), orEmpty(p.Indices)
	return json.Marshal(p)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func fnum(v float64) string { return string(appendNum(nil, v, 4)) }

func foxTimeOf(ns int64) foxTime { return foxTime{ns / 1e9, ns % 1e9} }

// foxYaw is the orientation of a heading (degrees clockwise from north) in
// the east-north-up frame: a rotation about up by 90° − heading.
func foxYaw(heading float64) foxQuat {
	yaw := (90 - heading) * math.Pi / 180
	return foxQuat{Z: math.Sin(yaw / 2), W: math.Cos(yaw / 2)}
}

var foxClassColour = map[v2x.Class]foxColor{
	v2x.ClassUnknown: {0.6, 0.64, 0.68, 1}, v2x.ClassCar: {0.29, 0.64, 1, 1}, v2x.ClassTruck: {1, 0.62, 0.26, 1},
	v2x.ClassBus: {0.69, 0.45, 1, 1}, v2x.ClassMotorcycle: {0.18, 0.83, 0.78, 1}, v2x.ClassBicycle: {0.48, 0.83, 0.29, 1},
	v2x.ClassPedestrian: {1, 0.85, 0.29, 1},
}

var foxClassHeight = map[v2x.Class]float64{v2x.ClassTruck: 3.2, v2x.ClassBus: 3.2, v2x.ClassPedestrian: 1.7, v2x.ClassBicycle: 1.6, v2x.ClassMotorcycle: 1.5}

func foxLightColour(l v2x.LightState) foxColor {
	switch l {
	case v2x.LightRed, v2x.LightRedFlashing:
		return foxColor{0.9, 0.22, 0.21, 1}
	case v2x.LightGreen, v2x.LightGreenPermissive:
		return foxColor{0.2, 0.78, 0.35, 1}
	case v2x.LightYellow, v2x.LightYellowFlashing:
		return foxColor{1, 0.8, 0, 1}
	}
	return foxColor{0.35, 0.35, 0.35, 1}
}

// foxObjectsUpdate is the objects of s as boxes with a label each, after
// a deletion of all the entities before them (objects that left go).
func foxObjectsUpdate(s *snapshot, idx []int32) foxSceneUpdate {
	ts := foxTimeOf(s.TimeNS)
	u := foxSceneUpdate{Deletions: []foxDeletion{{Timestamp: ts, Type: 1}}, Entities: make([]foxEntity, 0, len(idx))}
	seq := strconv.FormatUint(s.Seq, 10)
	for _, i := range idx {
		o := &s.Objects[i]
		h := foxClassHeight[o.Class]
		if h == 0 {
			h = 1.5
		}
		pose := foxPose{Position: foxVec3{float64(o.E), float64(o.N), h / 2}, Orientation: foxYaw(float64(o.Heading))}
		u.Entities = append(u.Entities, foxEntity{
			Timestamp: ts, FrameID: foxFrame, ID: "object/" + strconv.FormatUint(uint64(o.ID), 10), Lifetime: foxTime{0, 500e6},
			Metadata: []foxKV{{"seq", seq}, {"class", o.Class.String()}, {"lane", strconv.Itoa(int(o.Lane))}},
			Cubes: []foxCube{{Pose: pose, Size: foxVec3{max(float64(o.Length), 0.5), max(float64(o.Width), 0.5), h},
				Color: foxClassColour[o.Class]}},
			Texts: []foxText{{Pose: foxPose{Position: foxVec3{float64(o.E), float64(o.N), h + 1}, Orientation: foxQuat{W: 1}},
				Billboard: true, FontSize: 14, ScaleInvariant: true, Color: foxColor{1, 1, 1, 1},
				Text: fmt.Sprintf("%d %s %.0f km/h", o.ID, o.Class, float64(o.Speed)*3.6)}},
		})
	}
	return u
}

// foxLanesUpdate is the MAP's lanes as line strips in fr.
func foxLanesUpdate(mp *v2x.Map, fr *geo.Frame, now int64) foxSceneUpdate {
	ts := foxTimeOf(now)
	u := foxSceneUpdate{Deletions: []foxDeletion{{Timestamp: ts, Type: 1}}}
	for _, ln := range liveLanePoints(mp, fr) {
		pts := make([]foxVec3, len(ln.pts))
		for i, p := range ln.pts {
			pts[i] = foxVec3{p[0], p[1], 0}
		}
		colour := foxColor{0.45, 0.5, 0.56, 1}
		if ln.lane.Kind == v2x.LaneCrosswalk {
			colour = foxColor{0.85, 0.85, 0.85, 1}
		}
		u.Entities = append(u.Entities, foxEntity{Timestamp: ts, FrameID: foxFrame, ID: "lane/" + strconv.Itoa(int(ln.lane.ID)),
			Metadata: []foxKV{{"approach", strconv.Itoa(int(ln.lane.Approach))}, {"ingress", strconv.FormatBool(ln.lane.Ingress)}},
			Lines:    []foxLine{{Type: 0, Pose: foxPose{Orientation: foxQuat{W: 1}}, Thickness: float64(max(ln.lane.Width, 0.5)), Points: pts, Color: colour}}})
	}
	return u
}

// foxSignalsUpdate is a signal head at the stop line of each ingress lane
// a signal group controls, coloured by the group's state, with its
// countdown.
func foxSignalsUpdate(s *snapshot, mp *v2x.Map, fr *geo.Frame) foxSceneUpdate {
	ts := foxTimeOf(s.TimeNS)
	u := foxSceneUpdate{Deletions: []foxDeletion{{Timestamp: ts, Type: 1}}}
	if mp == nil {
		return u
	}
	for _, ln := range liveLanePoints(mp, fr) {
		if !ln.lane.Ingress || len(ln.pts) == 0 {
			continue
		}
		var sg uint8
		for _, c := range ln.lane.Connections {
			if c.SignalGroup != 0 {
				sg = c.SignalGroup
				break
			}
		}
		for _, g := range s.Signals {
			if g.Phase != sg || sg == 0 {
				continue
			}
			p := ln.pts[0]
			text := fmt.Sprintf("%d %s", g.Phase, g.State)
			if g.LikelyEndMS != v2x.TimeUnknown {
				text += fmt.Sprintf(" %.1f s", float64(g.LikelyEndMS)/1000)
			}
			u.Entities = append(u.Entities, foxEntity{Timestamp: ts, FrameID: foxFrame, ID: "signal/lane/" + strconv.Itoa(int(ln.lane.ID)),
				Lifetime: foxTime{2, 0}, Metadata: []foxKV{{"phase", strconv.Itoa(int(g.Phase))}, {"state", g.State.String()}},
				Cubes: []foxCube{{Pose: foxPose{Position: foxVec3{p[0], p[1], 3}, Orientation: foxQuat{W: 1}}, Size: foxVec3{0.6, 0.6, 1.2}, Color: foxLightColour(g.State)}},
				Texts: []foxText{{Pose: foxPose{Position: foxVec3{p[0], p[1], 4.2}, Orientation: foxQuat{W: 1}}, Billboard: true, FontSize: 12,
					ScaleInvariant: true, Color: foxColor{1, 1, 1, 1}, Text: text}}})
		}
	}
	return u
}

// foxStateJSON is the state as self-describing JSON (schema v2x.State).
func foxStateJSON(s *snapshot, idx []int32) ([]byte, error) {
	type o struct {
		ID      uint32  `json:"id"`
		Class   string  `json:"class"`
		E       float32 `json:"e"`
		N       float32 `json:"n"`
		Lat     float64 `json:"lat"`
		Lon     float64 `json:"lon"`
		Speed   float32 `json:"speed"`
		Heading float32 `json:"heading"`
		Length  float32 `json:"length"`
		Width   float32 `json:"width"`
		Lane    uint8   `json:"lane"`
		Sources uint8   `json:"sources"`
	}
	type sig struct {
		Phase  uint8  `json:"phase"`
		State  string `json:"state"`
		Min    *int32 `json:"min_end_ms"`
		Likely *int32 `json:"likely_end_ms"`
		Max    *int32 `json:"max_end_ms"`
	}
	known := func(t int32) *int32 {
		if t == v2x.TimeUnknown {
			return nil
		}
		return &t
	}
	st := struct {
		Seq          uint64 `json:"seq"`
		TimeNS       int64  `json:"time_ns"`
		Intersection uint32 `json:"intersection"`
		Objects      []o    `json:"objects"`
		Signals      []sig  `json:"signals"`
	}{Seq: s.Seq, TimeNS: s.TimeNS, Intersection: s.Intersection, Objects: make([]o, 0, len(idx)), Signals: make([]sig, 0, len(s.Signals))}
	for _, i := range idx {
		x := &s.Objects[i]
		st.Objects = append(st.Objects, o{x.ID, x.Class.String(), x.E, x.N, x.Lat, x.Lon, x.Speed, x.Heading, x.Length, x.Width, x.Lane, x.Sources})
	}
	for _, g := range s.Signals {
		st.Signals = append(st.Signals, sig{g.Phase, g.State.String(), known(g.MinEndMS), known(g.LikelyEndMS), known(g.MaxEndMS)})
	}
	return json.Marshal(st)
}

// foxServer serves -foxglove.
type foxServer struct {
	lf  *liveFeed
	srv *http.Server
}

func (fs *foxServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := parseLiveQuery(r.URL.Query())
	if err != nil {
		fs.lf.m.badReq.Inc()
		http.Error(w, "foxglove: "+err.Error(), http.StatusBadRequest)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{foxSubprotocol}, InsecureSkipVerify: true})
	if err != nil {
		return // Accept answered
	}
	if c.Subprotocol() != foxSubprotocol {
		c.Close(websocket.StatusPolicyViolation, "the client must offer the "+foxSubprotocol+" subprotocol")
		return
	}
	if !fs.lf.admit() {
		fs.lf.m.refused.Inc()
		c.Close(websocket.StatusTryAgainLater, fmt.Sprintf("%d viewers already (live_viewers)", fs.lf.max))
		return
	}
	defer fs.lf.leave()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-fs.lf.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = fs.session(ctx, c, &q)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		fs.lf.m.dropped.Inc()
		c.CloseNow()
	case ctx.Err() != nil:
		c.Close(websocket.StatusGoingAway, "node shutting down")
	default:
		c.CloseNow()
	}
}

// session runs one client: it reads Subscribe and Unsubscribe on a
// goroutine, and writes the subscribed channels of each new state.
func (fs *foxServer) session(ctx context.Context, c *websocket.Conn, q *liveQuery) error {
	send := func(typ websocket.MessageType, b []byte) error {
		wctx, cancel := context.WithTimeout(ctx, fs.lf.writeTimeout)
		defer cancel()
		if err := c.Write(wctx, typ, b); err != nil {
			if wctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
				return context.DeadlineExceeded
			}
			return err
		}
		fs.lf.m.bytes.Add(float64(len(b)))
		return nil
	}
	info, _ := json.Marshal(map[string]any{"op": "serverInfo", "name": "v2x-edge", "capabilities": []string{},
		"metadata": map[string]string{"frame": foxFrame}, "sessionId": strconv.FormatInt(time.Now().UnixNano(), 10)})
	if err := send(websocket.MessageText, info); err != nil {
		return err
	}
	adv, _ := json.Marshal(map[string]any{"op": "advertise", "channels": foxChannels})
	if err := send(websocket.MessageText, adv); err != nil {
		return err
	}

	var mu sync.Mutex
	subs := map[int]uint32{} // channel -> subscription id
	fresh := map[int]bool{}  // channels subscribed since the last state
	readErr := make(chan error, 1)
	go func() {
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			var m struct {
				Op            string `json:"op"`
				Subscriptions []struct {
					ID        uint32 `json:"id"`
					ChannelID int    `json:"channelId"`
				} `json:"subscriptions"`
				SubscriptionIDs []uint32 `json:"subscriptionIds"`
			}
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			mu.Lock()
			switch m.Op {
			case "subscribe":
				for _, s := range m.Subscriptions {
					if s.ChannelID >= foxLanes && s.ChannelID <= foxState {
						subs[s.ChannelID], fresh[s.ChannelID] = s.ID, true
					}
				}
			case "unsubscribe":
				for _, id := range m.SubscriptionIDs {
					for ch, sid := range subs {
						if sid == id {
							delete(subs, ch)
						}
					}
				}
			}
			mu.Unlock()
		}
	}()

	tick := time.NewTicker(q.interval)
	defer tick.Stop()
	var lastSeq uint64
	var mapSent *v2x.Map
	var buf []byte
	var idx []int32
	var d2 []float64
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			return err
		case <-tick.C:
		}
		s := fs.lf.hub.Acquire()
		if s == nil {
			continue
		}
		if s.Seq == lastSeq || !s.HasFrame {
			fs.lf.hub.Release(s)
			continue
		}
		mp := fs.lf.mp.Load()
		idx, d2, _ = s.selectView(&q.sub, idx, d2) // the query's region and classes
		mu.Lock()
		cur := make(map[int]uint32, len(subs))
		newSub := make(map[int]bool, len(fresh))
		for k, v := range subs {
			cur[k] = v
		}
		for k := range fresh {
			newSub[k] = true
		}
		clear(fresh)
		mu.Unlock()
		type out struct {
			ch  int
			msg any
		}
		var outs []out
		if _, ok := cur[foxLanes]; ok && mp != nil && (mp != mapSent || newSub[foxLanes]) {
			outs = append(outs, out{foxLanes, foxLanesUpdate(mp, &s.Frame, s.TimeNS)})
		}
		if _, ok := cur[foxReference]; ok && (mp != mapSent || newSub[foxReference] || s.Seq%50 == 0) {
			lat, lon, h := s.Frame.Origin()
			outs = append(outs, out{foxReference, foxLocationFix{Timestamp: foxTimeOf(s.TimeNS), FrameID: foxFrame, Latitude: lat, Longitude: lon, Altitude: h}})
		}
		if _, ok := cur[foxObjects]; ok {
			outs = append(outs, out{foxObjects, foxObjectsUpdate(s, idx)})
		}
		if _, ok := cur[foxSignals]; ok {
			outs = append(outs, out{foxSignals, foxSignalsUpdate(s, mp, &s.Frame)})
		}
		var stateJSON []byte
		if _, ok := cur[foxState]; ok {
			stateJSON, _ = foxStateJSON(s, idx)
		}
		ts := s.TimeNS
		lastSeq = s.Seq
		fs.lf.hub.Release(s) // never held while writing
		mapSent = mp
		for _, o := range outs {
			payload, err := json.Marshal(o.msg)
			if err != nil {
				return fmt.Errorf("foxglove: %w", err)
			}
			buf = appendFoxMessage(buf[:0], cur[o.ch], ts, payload)
			if err := send(websocket.MessageBinary, buf); err != nil {
				return err
			}
		}
		if stateJSON != nil {
			buf = appendFoxMessage(buf[:0], cur[foxState], ts, stateJSON)
			if err := send(websocket.MessageBinary, buf); err != nil {
				return err
			}
		}
		fs.lf.m.states.Inc()
	}
}

// appendFoxMessage appends a Message Data frame: opcode 1, the
// subscription id, the timestamp (ns), the payload.
func appendFoxMessage(b []byte, sub uint32, ts int64, payload []byte) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, sub)
	b = binary.LittleEndian.AppendUint64(b, uint64(ts))
	return append(b, payload...)
}

// startFoxglove listens on cfg.Foxglove and serves the Foxglove live view.
func (n *Node) startFoxglove() error {
	ln, err := net.Listen("tcp", n.cfg.Foxglove)
	if err != nil {
		return fmt.Errorf("edge: foxglove listen %s: %w", n.cfg.Foxglove, err)
	}
	n.foxLn = ln
	n.fox = &foxServer{lf: n.live}
	n.fox.srv = &http.Server{Handler: n.fox, ReadHeaderTimeout: 5 * time.Second}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.fox.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("foxglove server failed", "err", err)
		}
	}()
	return nil
}

// FoxgloveAddr returns the Foxglove live view's address, or "" when off.
func (n *Node) FoxgloveAddr() string {
	if n.foxLn == nil {
		return ""
	}
	return n.foxLn.Addr().String()
}
