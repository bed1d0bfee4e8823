package wire

// Spec tests of the payload layouts of docs/protocol.md §5: every field's
// offset, size and type (read back from an encoding with distinct values),
// the struct formats, the counts' maxima, the payload sizes of §4 and the
// largest payloads of §3.1.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// rowsOf returns the rows of tb whose first column is v, as a table of
// the remaining columns (for the ClockRequest/ClockResponse table).
func rowsOf(tb *specTable, v string) *specTable {
	out := &specTable{section: tb.section, line: tb.line, head: tb.head[1:]}
	for i, r := range tb.rows {
		if r[0] == v {
			out.rows = append(out.rows, r[1:])
			out.lines = append(out.lines, tb.lines[i])
		}
	}
	return out
}

// checkMax checks that the row of field says "0…max" in its meaning.
func checkMax(t *testing.T, tb *specTable, field string, max int) {
	t.Helper()
	cf := tb.col(t, "field")
	for i, r := range tb.rows {
		if unquote(r[cf]) != field {
			continue
		}
		m := regexp.MustCompile(`0…(\d+)`).FindStringSubmatch(r[len(r)-1])
		if m == nil {
			t.Errorf("%s: %s gives no range 0…N", tb.where(i), field)
		} else if v, _ := specInt(m[1]); v != int64(max) {
			t.Errorf("%s: %s at most %d in the spec, %d in the code", tb.where(i), field, v, max)
		}
		return
	}
	t.Errorf("%s:%d: no row %s", specPath, tb.line, field)
}

func sampleObject() (v2x.DetectedObject, map[string]any) {
	var o v2x.DetectedObject
	want := fieldValues(&o)
	o.HasCov = true
	want["Flags"] = uint64(objHasCov)
	return o, want
}

func TestSpecLayouts(t *testing.T) {
	d := readSpec(t)
	layout := func(prefix string, i int) *specTable {
		t.Helper()
		return d.tables(t, prefix, "offset", "size", "type", "field")[i]
	}
	formats := func(prefix string, sizes ...int) {
		t.Helper()
		f := pythonFormats(d.section(t, prefix))
		if len(f) != len(sizes) {
			t.Errorf("§%s: Python formats %q, want %d of them", prefix, f, len(sizes))
			return
		}
		for i := range f {
			if n := calcsize(t, f[i]); n != sizes[i] {
				t.Errorf("§%s: Python format %s is %d bytes, the code's layout %d", prefix, f[i], n, sizes[i])
			}
		}
	}

	t.Run("BSM", func(t *testing.T) {
		var m v2x.BSM
		want := fieldValues(&m)
		b := AppendBSM(nil, &m)
		if end := checkLayout(t, layout("5.1 BSM", 0), b, want); end != BSMLen || len(b) != BSMLen {
			t.Errorf("§5.1 ends at %d, the encoding is %d bytes, BSMLen %d", end, len(b), BSMLen)
		}
		formats("5.1 BSM", BSMLen)
	})
	t.Run("objects", func(t *testing.T) {
		o, want := sampleObject()
		l := v2x.ObjectList{SensorID: 0x01020304, Objects: []v2x.DetectedObject{o, o}}
		b := AppendObjectList(nil, &l)
		head := layout("5.3 ObjectList", 0)
		if end := checkLayout(t, head, b, map[string]any{"SensorID": uint64(l.SensorID), "Count": uint64(2)}); end != 8 {
			t.Errorf("§5.3: records start at %d, want 8", end)
		}
		checkMax(t, head, "Count", v2x.MaxObjects)
		if end := checkLayout(t, layout("5.2 Detected-object record", 0), b[8+ObjectLen:], want); end != ObjectLen {
			t.Errorf("§5.2 ends at %d, ObjectLen %d", end, ObjectLen)
		}
		formats("5.2 Detected-object record", ObjectLen)
		formats("5.3 ObjectList", 8, ObjectLen)
	})
	t.Run("Sensor", func(t *testing.T) {
		var m v2x.SensorInfo
		want := fieldValues(&m)
		b := AppendSensorInfo(nil, &m)
		if end := checkLayout(t, layout("5.15 Sensor", 0), b, want); end != SensorInfoLen || len(b) != SensorInfoLen {
			t.Errorf("§5.15 ends at %d, the encoding is %d bytes, SensorInfoLen %d", end, len(b), SensorInfoLen)
		}
		formats("5.15 Sensor", SensorInfoLen)
	})
	t.Run("RSM", func(t *testing.T) {
		o, _ := sampleObject()
		r := v2x.RSM{RSUID: 0x0a0b0c0d, Source: v2x.SourceLidar, Participants: []v2x.DetectedObject{o}}
		b := AppendRSM(nil, &r)
		head := layout("5.4 RSM", 0)
		checkLayout(t, head, b, map[string]any{"RSUID": uint64(r.RSUID), "Source": uint64(r.Source), "Count": uint64(1)})
		checkMax(t, head, "Count", v2x.MaxObjects)
		formats("5.4 RSM", 8, ObjectLen)
	})
	t.Run("SPAT", func(t *testing.T) {
		var ph v2x.Phase
		want := fieldValues(&ph)
		s := v2x.SPAT{IntersectionID: 77, Phases: []v2x.Phase{ph, ph}}
		b := AppendSPAT(nil, &s)
		head := layout("5.5 SPAT", 0)
		checkLayout(t, head, b, map[string]any{"IntersectionID": uint64(77), "Count": uint64(2)})
		checkMax(t, head, "Count", v2x.MaxPhases)
		if end := checkLayout(t, layout("5.5 SPAT", 1), b[8+PhaseLen:], want); end != PhaseLen {
			t.Errorf("§5.5 phase record ends at %d, PhaseLen %d", end, PhaseLen)
		}
		formats("5.5 SPAT", 8, PhaseLen)
	})
	t.Run("MAP", func(t *testing.T) {
		var ln v2x.Lane
		want := fieldValues(&ln)
		ln.Ingress = true
		ln.Nodes = []v2x.Point{{E: 1, N: 2}, {E: 3, N: 4}}
		ln.Connections = []v2x.Connection{{ToLane: 9, SignalGroup: 2, Maneuver: v2x.ManeuverLeft}}
		want["Flags"], want["Nodes"], want["Connections"] = uint64(laneIngress), uint64(2), uint64(1)
		m := v2x.Map{IntersectionID: 5, RefLat: 22.5, RefLon: 114.1, RefElevation: 12.5, Lanes: []v2x.Lane{ln}}
		b := AppendMap(nil, &m)
		head := layout("5.6 MAP", 0)
		end := checkLayout(t, head, b, map[string]any{"IntersectionID": uint64(5), "RefLat": 22.5, "RefLon": 114.1,
			"RefElevation": 12.5, "LaneCount": uint64(1)})
		checkMax(t, head, "LaneCount", v2x.MaxLanes)
		lane := layout("5.6 MAP", 1)
		if n := checkLayout(t, lane, b[end:], want); n != 16 {
			t.Errorf("§5.6: lane nodes start at %d, want 16", n)
		}
		checkMax(t, lane, "Nodes", v2x.MaxLaneNodes)
		checkMax(t, lane, "Connections", v2x.MaxConnections)
		formats("5.6 MAP", 26, 16, 8, 4)
		if len(b) != 26+16+8*2+4*1 {
			t.Errorf("MAP with one lane of 2 nodes and 1 connection is %d bytes", len(b))
		}
	})
	t.Run("RSI", func(t *testing.T) {
		var ev v2x.RoadEvent
		want := fieldValues(&ev)
		ev.Text = "works"
		want["TextLen"] = uint64(len(ev.Text))
		r := v2x.RSI{RSUID: 3, Events: []v2x.RoadEvent{ev}}
		b := AppendRSI(nil, &r)
		head := layout("5.7 RSI", 0)
		checkLayout(t, head, b, map[string]any{"RSUID": uint64(3), "Count": uint64(1)})
		checkMax(t, head, "Count", v2x.MaxEvents)
		event := layout("5.7 RSI", 1)
		if end := checkLayout(t, event, b[8:], want); end != rsiEventLen {
			t.Errorf("§5.7: text starts at %d, the code's event record is %d bytes", end, rsiEventLen)
		}
		checkMax(t, event, "TextLen", v2x.MaxText)
		formats("5.7 RSI", rsiEventLen)
	})
	t.Run("Subscribe", func(t *testing.T) {
		var s Subscribe
		want := fieldValues(&s)
		b := AppendSubscribe(nil, &s)
		if end := checkLayout(t, layout("5.8 Subscribe", 0), b, want); end != SubscribeLen {
			t.Errorf("§5.8 ends at %d, SubscribeLen %d", end, SubscribeLen)
		}
		s.Approaches.Add(1)
		b = AppendSubscribe(nil, &s)
		sets := d.tables(t, "5.8 Subscribe", "offset", "size", "type", "field")[1]
		for i, r := range sets.rows {
			off, _ := specInt(r[0])
			size, _ := specInt(r[1])
			want := map[string]int{"Approaches": SubscribeLen, "Lanes": SubscribeLen + IDSetLen}[unquote(r[3])]
			if int(off) != want || size != IDSetLen {
				t.Errorf("%s: %s at %d, %d bytes; the code puts it at %d, %d bytes", sets.where(i), r[3], off, size, want, IDSetLen)
			}
		}
		if len(b) != SubscribeSetsLen {
			t.Errorf("Subscribe with sets is %d bytes", len(b))
		}
		formats("5.8 Subscribe", SubscribeLen, 2*IDSetLen)
	})
	t.Run("State", func(t *testing.T) {
		var o StateObject
		wantO := fieldValues(&o)
		var g SignalState
		wantG := fieldValues(&g)
		s := State{IngestNS: -5, Intersection: 6, Flags: StateKeyframe, Objects: []StateObject{o}, Signals: []SignalState{g, g}}
		b := AppendState(nil, &s)
		head := layout("5.9 State", 0)
		if end := checkLayout(t, head, b, map[string]any{"IngestNS": int64(-5), "Intersection": uint64(6), "Flags": uint64(StateKeyframe),
			"ObjectCount": uint64(1), "SignalCount": uint64(2)}); end != StateHeadLen {
			t.Errorf("§5.9 head ends at %d, StateHeadLen %d", end, StateHeadLen)
		}
		checkMax(t, head, "ObjectCount", MaxStateObjects)
		checkMax(t, head, "SignalCount", MaxSignals)
		if end := checkLayout(t, layout("5.9 State", 1), b[StateHeadLen:], wantO); end != StateObjectLen {
			t.Errorf("§5.9 object record ends at %d, StateObjectLen %d", end, StateObjectLen)
		}
		if end := checkLayout(t, layout("5.9 State", 2), b[StateHeadLen+StateObjectLen+SignalLen:], wantG); end != SignalLen {
			t.Errorf("§5.9 signal record ends at %d, SignalLen %d", end, SignalLen)
		}
		formats("5.9 State", StateHeadLen, StateObjectLen, SignalLen)
	})
	t.Run("Error", func(t *testing.T) {
		e := ErrorFrame{Code: CodeMalformed, Type: TypeRSI, Seq: 0x0102030405060708, Message: "bad"}
		b := AppendError(nil, &e)
		tb := layout("5.10 Error", 0)
		if end := checkLayout(t, tb, b, map[string]any{"Code": uint64(e.Code), "Type": uint64(e.Type), "Seq": e.Seq, "MessageLen": uint64(3)}); end != 14 {
			t.Errorf("§5.10: message starts at %d, want 14", end)
		}
		checkMax(t, tb, "MessageLen", MaxErrorMessage)
		formats("5.10 Error", 14)
	})
	t.Run("Event", func(t *testing.T) {
		e := Event{TimeNS: -5, Check: CheckSybil, Action: EventQuarantine, Type: TypeBSM, ObjectID: 0x01020304,
			LocalID: 0x0102030405060708, Stream: 0x1112131415161718, Lat: 1.5, Lon: -2.25, Trust: 0.5, Identity: "ab", Text: "xyz"}
		b := AppendEvent(nil, &e)
		tb := layout("5.14 Event", 0)
		if end := checkLayout(t, tb, b, map[string]any{"TimeNS": e.TimeNS, "Check": uint64(e.Check), "Action": uint64(e.Action),
			"Type": uint64(e.Type), "IdentityLen": uint64(2), "ObjectID": uint64(e.ObjectID), "LocalID": e.LocalID, "Stream": e.Stream,
			"Lat": e.Lat, "Lon": e.Lon, "Trust": float64(e.Trust), "TextLen": uint64(3)}); end != eventHeadLen {
			t.Errorf("§5.14: identity starts at %d, want %d", end, eventHeadLen)
		}
		checkMax(t, tb, "IdentityLen", MaxEventIdentity)
		checkMax(t, tb, "TextLen", MaxEventText)
		formats("5.14 Event", eventHeadLen)
	})
	t.Run("Clock", func(t *testing.T) {
		tb := d.table(t, "5.11 ClockRequest", "frame", "offset")
		if end := checkLayout(t, rowsOf(tb, "ClockRequest"), AppendClockRequest(nil, -7), map[string]any{"T1": int64(-7)}); end != ClockRequestLen {
			t.Errorf("§5.11 ClockRequest is %d bytes, ClockRequestLen %d", end, ClockRequestLen)
		}
		if end := checkLayout(t, rowsOf(tb, "ClockResponse"), AppendClockResponse(nil, 1, -2, 3),
			map[string]any{"T1": int64(1), "T2": int64(-2), "T3": int64(3)}); end != ClockResponseLen {
			t.Errorf("§5.11 ClockResponse is %d bytes, ClockResponseLen %d", end, ClockResponseLen)
		}
		formats("5.11 ClockRequest", ClockRequestLen, ClockResponseLen)
	})
	t.Run("Update", func(t *testing.T) {
		u := Update{Flags: 0, Compression: CompressS2, BaseSeq: 0x0102030405060708, RawLen: 0x0a0b0c0d}
		b := AppendUpdate(nil, &u)
		if end := checkLayout(t, layout("5.12 Update", 0), b, map[string]any{"Flags": uint64(0), "Compression": uint64(u.Compression),
			"BaseSeq": u.BaseSeq, "RawLen": uint64(u.RawLen)}); end != UpdateHeadLen {
			t.Errorf("§5.12 head ends at %d, UpdateHeadLen %d", end, UpdateHeadLen)
		}
		formats("5.12 Update", UpdateHeadLen)
	})
	t.Run("Resync", func(t *testing.T) {
		if end := checkLayout(t, layout("5.13 Resync", 0), AppendResync(nil, 0x0102030405060708),
			map[string]any{"Have": uint64(0x0102030405060708)}); end != ResyncLen {
			t.Errorf("§5.13 ends at %d, ResyncLen %d", end, ResyncLen)
		}
		formats("5.13 Resync", ResyncLen)
	})
}

// evalSize evaluates a payload size of §4 ("8 + 20·phases", "32 or 96",
// "26 + per lane 16 + 8·nodes + 4·connections") for the given counts,
// with one lane or event where it says "per"; it returns the
// alternatives.
func evalSize(t *testing.T, formula string, vars map[string]int) []int {
	t.Helper()
	var out []int
	for _, alt := range strings.Split(formula, " or ") {
		n := 0
		for _, term := range strings.Split(alt, "+") {
			term = strings.TrimSpace(term)
			if f := strings.Fields(term); len(f) == 3 && f[0] == "per" {
				term = f[2] // one lane, one event
			}
			k, name, found := strings.Cut(term, "·")
			if !found {
				if v, ok := specInt(term); ok {
					n += int(v)
					continue
				}
				k, name = "1", term
			}
			kv, ok := specInt(k)
			v, known := vars[name]
			if !ok || !known {
				t.Fatalf("§4: cannot evaluate %q in %q", term, formula)
			}
			n += int(kv) * v
		}
		out = append(out, n)
	}
	return out
}

// TestSpecPayloadSizes checks §4's payload sizes against encodings with
// the counts in vars.
func TestSpecPayloadSizes(t *testing.T) {
	d := readSpec(t)
	vars := map[string]int{"phases": 3, "objects": 2, "participants": 2, "signals": 3, "nodes": 2, "connections": 1,
		"text bytes": 5, "message bytes": 7, "compressed body": 9, "identity bytes": 3}
	obj, _ := sampleObject()
	objs := []v2x.DetectedObject{obj, obj}
	sets := Subscribe{}
	sets.Lanes.Add(3)
	payloads := map[string][][]byte{
		"bsm":            {AppendBSM(nil, &v2x.BSM{})},
		"spat":           {AppendSPAT(nil, &v2x.SPAT{Phases: make([]v2x.Phase, 3)})},
		"map":            {AppendMap(nil, &v2x.Map{Lanes: []v2x.Lane{{Nodes: make([]v2x.Point, 2), Connections: make([]v2x.Connection, 1)}}})},
		"rsi":            {AppendRSI(nil, &v2x.RSI{Events: []v2x.RoadEvent{{Text: "12345"}}})},
		"rsm":            {AppendRSM(nil, &v2x.RSM{Participants: objs})},
		"objects":        {AppendObjectList(nil, &v2x.ObjectList{Objects: objs})},
		"sensor":         {AppendSensorInfo(nil, &v2x.SensorInfo{})},
		"subscribe":      {AppendSubscribe(nil, &Subscribe{}), AppendSubscribe(nil, &sets)},
		"state":          {AppendState(nil, &State{Objects: make([]StateObject, 2), Signals: make([]SignalState, 3)})},
		"error":          {AppendError(nil, &ErrorFrame{Message: "1234567"})},
		"clock_request":  {AppendClockRequest(nil, 1)},
		"clock_response": {AppendClockResponse(nil, 1, 2, 3)},
		"update":         {append(AppendUpdate(nil, &Update{}), make([]byte, 9)...)},
		"resync":         {AppendResync(nil, 1)},
		"event":          {AppendEvent(nil, &Event{Identity: "abc", Text: "12345"})},
	}
	tb := d.table(t, "4. Frame types", "value", "name", "direction", "payload size (bytes)")
	cn, cs := tb.col(t, "name"), tb.col(t, "payload size (bytes)")
	for i, r := range tb.rows {
		name := unquote(strings.Fields(r[cn])[0])
		ps, ok := payloads[name]
		if !ok {
			t.Errorf("%s: no sample payload for %s", tb.where(i), name)
			continue
		}
		alts := evalSize(t, r[cs], vars)
		for _, p := range ps {
			if !slicesContains(alts, len(p)) {
				t.Errorf("%s: %s payload of %d bytes, the spec says %s = %v", tb.where(i), name, len(p), r[cs], alts)
			}
		}
		if len(ps) != len(alts) {
			t.Errorf("%s: %s has %d sizes in the spec, the test %d samples", tb.where(i), name, len(alts), len(ps))
		}
	}
	if len(tb.rows) != len(payloads) {
		t.Errorf("§4 has %d types, the test %d", len(tb.rows), len(payloads))
	}
	// Headings that give a fixed size ("5.1 BSM (0x01), 76 bytes") agree.
	for _, s := range d.sections {
		m := regexp.MustCompile(`^5\.\d+ (\S+) \((0x[0-9a-f]+)\), (\d+) bytes$`).FindStringSubmatch(s.heading)
		if m == nil {
			continue
		}
		typ, _ := specInt(m[2])
		size, _ := specInt(m[3])
		if ps := payloads[Type(typ).String()]; len(ps) != 1 || len(ps[0]) != int(size) || !strings.EqualFold(m[1], Type(typ).String()) {
			t.Errorf("§%s: type %s is %s, payload %d bytes in the code", s.heading, m[2], Type(typ), len(ps[0]))
		}
	}
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestSpecLargestPayloads checks the table of §3.1 by encoding the
// largest payload of each.
func TestSpecLargestPayloads(t *testing.T) {
	d := readSpec(t)
	objs := make([]v2x.DetectedObject, v2x.MaxObjects)
	lane := v2x.Lane{Nodes: make([]v2x.Point, v2x.MaxLaneNodes), Connections: make([]v2x.Connection, v2x.MaxConnections)}
	m := v2x.Map{Lanes: make([]v2x.Lane, v2x.MaxLanes)}
	for i := range m.Lanes {
		m.Lanes[i] = lane
	}
	r := v2x.RSI{Events: make([]v2x.RoadEvent, v2x.MaxEvents)}
	for i := range r.Events {
		r.Events[i].Text = strings.Repeat("x", v2x.MaxText)
	}
	largest := map[string][]int{
		"ObjectList, RSM": {len(AppendObjectList(nil, &v2x.ObjectList{Objects: objs})), len(AppendRSM(nil, &v2x.RSM{Participants: objs}))},
		"MAP":             {len(AppendMap(nil, &m))},
		"RSI":             {len(AppendRSI(nil, &r))},
		"State":           {len(AppendState(nil, &State{Objects: make([]StateObject, MaxStateObjects), Signals: make([]SignalState, MaxSignals)}))},
		"Error":           {len(AppendError(nil, &ErrorFrame{Message: strings.Repeat("x", 2*MaxErrorMessage)}))},
	}
	tb := d.table(t, "3.1 The length field", "frame", "largest payload (bytes)")
	for i, row := range tb.rows {
		v, _ := specInt(row[1])
		sizes, ok := largest[row[0]]
		if !ok {
			t.Errorf("%s: %s unknown to the test", tb.where(i), row[0])
		}
		for _, n := range sizes {
			if n != int(v) {
				t.Errorf("%s: %s largest payload %d in the spec, %d in the code", tb.where(i), row[0], v, n)
			}
			if n > DefaultMaxFrame-(HeaderLen-4) {
				t.Errorf("%s: %s largest payload %d does not fit in the default frame limit", tb.where(i), row[0], n)
			}
		}
		delete(largest, row[0])
	}
	for k := range largest {
		t.Errorf("§3.1: no row for %s", k)
	}
}
