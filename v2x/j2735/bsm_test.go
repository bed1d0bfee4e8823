package j2735

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// xerCore returns, per BSM of the reference XER, the text of each leaf of
// its coreData, by element name path ("accuracy/semiMajor"; enumerations
// as their names).
func xerCores(t *testing.T) []map[string]string {
	xer, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.xer")
	if err != nil {
		t.Fatal(err)
	}
	leaf := regexp.MustCompile(`<(\w+)>\s*(?:<(\w+)/>|([^<]*?))\s*</(\w+)>`)
	open := regexp.MustCompile(`<(\w+)>\s*$`)
	var out []map[string]string
	for _, core := range regexp.MustCompile(`(?s)<coreData>(.*?)</coreData>`).FindAllStringSubmatch(string(xer), -1) {
		m := map[string]string{}
		var stack []string
		for _, line := range strings.Split(core[1], "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "":
			case strings.HasPrefix(line, "</"):
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case leaf.MatchString(line):
				g := leaf.FindStringSubmatch(line)
				v := g[3]
				if g[2] != "" {
					v = g[2]
				}
				m[strings.Join(append(append([]string{}, stack...), g[1]), "/")] = v
			case open.MatchString(line):
				stack = append(stack, open.FindStringSubmatch(line)[1])
			default: // multi-line leaf body (wheelBrakes)
				m[strings.Join(stack, "/")] = line
			}
		}
		out = append(out, m)
	}
	return out
}

func coreFields(c *BSMCore) map[string]string {
	i := strconv.Itoa
	return map[string]string{
		"msgCnt": i(c.MsgCnt), "id": strings.ToUpper(hex.EncodeToString(c.ID[:])), "secMark": i(c.SecMark),
		"lat": strconv.FormatInt(c.Lat, 10), "long": strconv.FormatInt(c.Long, 10), "elev": i(c.Elev),
		"accuracy/semiMajor": i(c.SemiMajor), "accuracy/semiMinor": i(c.SemiMinor), "accuracy/orientation": i(c.Orientation),
		"transmission": TransmissionNames[c.Transmission], "speed": i(c.Speed), "heading": i(c.Heading), "angle": i(c.Angle),
		"accelSet/long": i(c.AccLong), "accelSet/lat": i(c.AccLat), "accelSet/vert": i(c.AccVert), "accelSet/yaw": i(c.Yaw),
		"brakes/wheelBrakes": strconv.FormatUint(uint64(c.WheelBrakes)|1<<5, 2)[1:],
		"brakes/traction":    TractionNames[c.Traction], "brakes/abs": TractionNames[c.ABS], "brakes/scs": TractionNames[c.SCS],
		"brakes/brakeBoost": BrakeBoostNames[c.BrakeBoost], "brakes/auxBrakes": AuxBrakesNames[c.AuxBrakes],
		"size/width": i(c.Width), "size/length": i(c.Length),
	}
}

// TestBSMSamples decodes all 128 BSMs of the usdot-jpo-ode sample: every
// core data field equals the reference XER, every message is used to its
// last byte, Part II is present where the XER has it, and re-encoding
// gives the frame back byte for byte.
func TestBSMSamples(t *testing.T) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	want := xerCores(t)
	if len(want) != 128 {
		t.Fatalf("XER has %d coreData, want 128", len(want))
	}
	var f MessageFrame
	var m BSM
	off := 0
	for i := 0; i < 128; i++ {
		n, err := DecodeFrame(data[off:], &f)
		if err != nil {
			t.Fatalf("frame %d at byte %d: %v", i, off, err)
		}
		if f.MessageID != IDBSM {
			t.Fatalf("frame %d: message id %d", i, f.MessageID)
		}
		if err := DecodeBSM(f.Value, &m); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got := coreFields(&m.Core)
		w := want[i]
		w["id"] = strings.ReplaceAll(w["id"], " ", "")
		if len(w) != len(got) {
			t.Fatalf("frame %d: XER core has %d fields, decoder %d: %v", i, len(w), len(got), w)
		}
		for k, v := range w {
			if got[k] != v {
				t.Fatalf("frame %d: %s = %s, XER %s", i, k, got[k], v)
			}
		}
		if m.PartII == nil {
			t.Fatalf("frame %d: no Part II; the XER has one in every BSM", i)
		}
		value, err := AppendBSM(nil, &m)
		if err != nil || !bytes.Equal(value, f.Value) {
			t.Fatalf("frame %d: BSM re-encodes differently (%v)", i, err)
		}
		frame, err := AppendFrame(nil, &MessageFrame{MessageID: IDBSM, Value: value})
		if err != nil || !bytes.Equal(frame, data[off:off+n]) {
			t.Fatalf("frame %d: frame re-encodes differently (%v)", i, err)
		}
		off += n
	}
	if off != len(data) {
		t.Fatalf("128 frames used %d of %d bytes", off, len(data))
	}
}

func BenchmarkDecodeBSM(b *testing.B) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		b.Fatal(err)
	}
	var f MessageFrame
	var m BSM
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(data, &f); err != nil {
			b.Fatal(err)
		}
		if err := DecodeBSM(f.Value, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeBSM: arbitrary input is an error or a BSM that re-encodes and
// decodes to the same thing; never a panic.
func FuzzDecodeBSM(f *testing.F) {
	data, _ := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	var fr MessageFrame
	for off := 0; off < len(data); {
		n, err := DecodeFrame(data[off:], &fr)
		if err != nil {
			break
		}
		f.Add(append([]byte(nil), data[off:off+n]...))
		off += n
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr MessageFrame
		var m, m2 BSM
		if _, err := DecodeFrame(b, &fr); err != nil || DecodeBSM(fr.Value, &m) != nil {
			return
		}
		v, err := AppendBSM(nil, &m)
		if err != nil {
			t.Fatalf("decoded BSM does not re-encode: %v", err)
		}
		if err := DecodeBSM(v, &m2); err != nil || m2.Core != m.Core {
			t.Fatalf("re-encoded BSM decodes differently: %v", err)
		}
	})
}

// TestDecodeBSMReusesBuffers: decoding into the same BSM and frame again
// allocates nothing once their buffers have grown.
func TestDecodeBSMReusesBuffers(t *testing.T) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	var f MessageFrame
	var m BSM
	if n := testing.AllocsPerRun(100, func() {
		if _, err := DecodeFrame(data, &f); err != nil {
			t.Fatal(err)
		}
		if err := DecodeBSM(f.Value, &m); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per BSM", n)
	}
}
