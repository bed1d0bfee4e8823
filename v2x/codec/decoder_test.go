package codec

import (
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func csaeSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../csae53/testdata/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// odeFrame returns the UPER of an ODE decoder output sample (with the
// ODE's trailing padding octet, where it has one).
func odeFrame(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile("../j2735/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<asn1>\s*([0-9A-Fa-f\s]+?)\s*</asn1>`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no <asn1> hex", file)
	}
	frame, err := hex.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

func j2735BSMs(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../j2735/testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  wire.Encoding
		ok   bool
	}{
		{"csae53", wire.EncodingCSAE53, true},
		{"j2735", wire.EncodingJ2735, true},
		{"native", 0, false},
		{"", 0, false},
		{"CSAE53", 0, false},
	} {
		enc, err := ParseEncoding(tc.name)
		if (err == nil) != tc.ok || enc != tc.enc {
			t.Errorf("ParseEncoding(%q) = %d, %v", tc.name, enc, err)
		}
		if tc.ok && EncodingName(enc) != tc.name {
			t.Errorf("EncodingName(%d) = %q, want %q", enc, EncodingName(enc), tc.name)
		}
	}
}

// TestDecodeSamples decodes real frames of both standards into tagged
// messages; well-formed frames of messages the node does not ingest are
// ErrUnsupported with their length, so that a caller can step over them.
func TestDecodeSamples(t *testing.T) {
	tim, err := os.ReadFile("../j2735/testdata/MessageFrame.TravelerInformation.uper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		enc   wire.Encoding
		frame []byte
		want  wire.Type
		check func(m *Message) bool
	}{
		{"csae53 BSM", wire.EncodingCSAE53, csaeSample(t, "BSM_1.uper"), wire.TypeBSM, func(m *Message) bool { return m.BSM.Lat != 0 }},
		{"csae53 RSM", wire.EncodingCSAE53, csaeSample(t, "RSM.uper"), wire.TypeRSM, func(m *Message) bool { return len(m.DetectedObjects()) > 0 }},
		{"csae53 SPAT", wire.EncodingCSAE53, csaeSample(t, "SPAT.uper"), wire.TypeSPAT, func(m *Message) bool { return len(m.SPATs) > 0 && len(m.SPATs[0].Phases) > 0 }},
		{"csae53 MAP", wire.EncodingCSAE53, csaeSample(t, "MAP.uper"), wire.TypeMAP, func(m *Message) bool { return m.Map != nil && len(m.Map.Lanes) > 0 }},
		{"csae53 RSI", wire.EncodingCSAE53, csaeSample(t, "RSI.uper"), wire.TypeRSI, func(m *Message) bool { return m.RSI != nil }},
		{"j2735 BSM", wire.EncodingJ2735, j2735BSMs(t), wire.TypeBSM, func(m *Message) bool { return m.BSM.Lat > 41 }},
		{"j2735 SPaT", wire.EncodingJ2735, odeFrame(t, "decoder-output-spat.xml"), wire.TypeSPAT, func(m *Message) bool { return len(m.SPATs) == 1 && m.SPATs[0].IntersectionID == 12111 }},
		{"j2735 MAP", wire.EncodingJ2735, odeFrame(t, "decoder-output-map.xml"), wire.TypeMAP, func(m *Message) bool { return m.Map != nil && len(m.Map.Lanes) > 0 }},
		{"j2735 TIM", wire.EncodingJ2735, tim, 0, nil},
		{"j2735 SSM", wire.EncodingJ2735, odeFrame(t, "decoder-output-ssm.xml"), 0, nil},
	} {
		var d Decoder
		var m Message
		n, err := d.Decode(tc.enc, tc.frame, &m)
		if tc.want == 0 {
			if !errors.Is(err, ErrUnsupported) || n == 0 {
				t.Errorf("%s: %d bytes, %v; want ErrUnsupported and the frame's length", tc.name, n, err)
			}
			continue
		}
		if err != nil || m.Type != tc.want || !tc.check(&m) {
			t.Errorf("%s: type %s, %v: %+v", tc.name, m.Type, err, m)
		}
		if n == 0 || n > len(tc.frame) {
			t.Errorf("%s: %d bytes used of %d", tc.name, n, len(tc.frame))
		}
	}
}

// frames decodes b as frames back to back until End, as v2x-decode and
// the node's UDP listener do, and returns their types.
func frames(t *testing.T, enc wire.Encoding, b []byte) ([]wire.Type, error) {
	t.Helper()
	var d Decoder
	var m Message
	var types []wire.Type
	for off := 0; !End(b, off); {
		n, err := d.Decode(enc, b[off:], &m)
		if err != nil {
			return types, err
		}
		types = append(types, m.Type)
		off += n
	}
	return types, nil
}

// TestZeroPadding: a SPaT stored from an RSU and followed by zero padding
// is one frame; zero bytes alone are no frame; an empty open type is
// malformed.
func TestZeroPadding(t *testing.T) {
	ode := odeFrame(t, "decoder-output-spat.xml") // 59 bytes and the ODE's padding octet
	padded := append(append([]byte{}, ode...), make([]byte, 426)...)
	csae := append(csaeSample(t, "SPAT.uper"), make([]byte, 426)...)
	for _, tc := range []struct {
		name string
		enc  wire.Encoding
		b    []byte
	}{
		{"j2735 SPaT + 426 zero bytes", wire.EncodingJ2735, padded},
		{"j2735 SPaT + its padding octet", wire.EncodingJ2735, ode},
		{"csae53 SPAT + 426 zero bytes", wire.EncodingCSAE53, csae},
	} {
		types, err := frames(t, tc.enc, tc.b)
		if err != nil || len(types) != 1 || types[0] != wire.TypeSPAT {
			t.Errorf("%s: frames %v, %v; want one SPAT", tc.name, types, err)
		}
	}
	for _, enc := range []wire.Encoding{wire.EncodingJ2735, wire.EncodingCSAE53} {
		types, err := frames(t, enc, make([]byte, 65000))
		if len(types) != 0 || !errors.Is(err, ErrPadding) {
			t.Errorf("%s: 65,000 zero bytes gave frames %v, %v; want ErrPadding", EncodingName(enc), types, err)
		}
	}
	// messageId 19 (SPaT) with a value of length 0.
	var d Decoder
	var m Message
	_, err := d.Decode(wire.EncodingJ2735, []byte{0x00, 0x13, 0x00}, &m)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, uper.ErrEmptyOpen) || errors.Is(err, ErrUnsupported) || e.Bit != 16 || e.Path != "MessageFrame.value" {
		t.Errorf("empty open type: %v; want a malformed frame at bit 16", err)
	}
}

// TestErrorWhere: errors keep the component path and the bit offset from
// the start of the frame, also inside a J2735 value.
func TestErrorWhere(t *testing.T) {
	var d Decoder
	var m Message
	rsm := csaeSample(t, "RSM.uper")
	_, err := d.Decode(wire.EncodingCSAE53, rsm[:30], &m)
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Path, "rsmFrame.participants") || !errors.Is(err, uper.ErrTruncated) || e.Bit < 8*20 || e.Bit > 8*30 {
		t.Errorf("truncated RSM: %v", err)
	}
	spat := odeFrame(t, "decoder-output-spat.xml")
	_, err = d.Decode(wire.EncodingJ2735, append(spat[:3:3], spat[3:40]...), &m) // length says 56, 37 follow
	if !errors.As(err, &e) || e.Path != "MessageFrame.value" || !errors.Is(err, uper.ErrTruncated) {
		t.Errorf("cut SPaT frame: %v", err)
	}
	// A value that ends early, its length made to fit: the offset counts
	// from the frame's start, past the 3 bytes before the value.
	cut := append([]byte{spat[0], spat[1], 30}, spat[3:33]...)
	_, err = d.Decode(wire.EncodingJ2735, cut, &m)
	if !errors.As(err, &e) || !strings.HasPrefix(e.Path, "value.SPAT.") || e.Bit < 24 || e.Bit > 8*len(cut) {
		t.Errorf("short SPaT value: %v", err)
	}
}

func TestDecodeNative(t *testing.T) {
	var m Message
	var d Decoder
	if _, err := d.Decode(wire.EncodingCSAE53, csaeSample(t, "BSM_1.uper"), &m); err != nil {
		t.Fatal(err)
	}
	want := m.BSM
	if err := DecodeNative(wire.TypeBSM, wire.AppendBSM(nil, &want), &m); err != nil || m.Type != wire.TypeBSM || m.BSM != want {
		t.Errorf("native BSM: %v, %+v", err, m.BSM)
	}
	if err := DecodeNative(wire.TypeBSM, []byte{1}, &m); err == nil || m.Type != 0 {
		t.Errorf("a short native BSM: type %s, %v", m.Type, err)
	}
	if err := DecodeNative(wire.TypeState, nil, &m); err == nil {
		t.Error("a State frame decoded as a message")
	}
	if _, err := d.Decode(wire.EncodingNative, []byte{1}, &m); !errors.Is(err, ErrUnsupported) {
		t.Errorf("native payload as a MessageFrame: %v", err)
	}
}

// TestDecodeAllocatesNothing: once warm, BSMs, RSMs and SPATs of both
// standards decode without allocating.
func TestDecodeAllocatesNothing(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		enc   wire.Encoding
		frame []byte
	}{
		{"csae53 BSM", wire.EncodingCSAE53, csaeSample(t, "BSM_1.uper")},
		{"csae53 RSM", wire.EncodingCSAE53, csaeSample(t, "RSM.uper")},
		{"csae53 SPAT", wire.EncodingCSAE53, csaeSample(t, "SPAT.uper")},
		{"j2735 BSM", wire.EncodingJ2735, j2735BSMs(t)},
		{"j2735 SPaT", wire.EncodingJ2735, odeFrame(t, "decoder-output-spat.xml")},
	} {
		d := Decoder{Now: func() time.Time { return now }}
		var m Message
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := d.Decode(tc.enc, tc.frame, &m); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per decode", tc.name, allocs)
		}
	}
}

// TestAllZeroFrameMalformed: a frame read from zero bytes (but perhaps its
// last) has every field at its schema minimum (36 zero bytes are a CSAE
// BSM at -90°, -180°): malformed, not a message.
func TestAllZeroFrameMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"36 zero bytes then a non-zero byte", append(make([]byte, 36), 1)},
		{"35 zero bytes then a non-zero byte", append(make([]byte, 35), 1)},
	} {
		var d Decoder
		var m Message
		n, err := d.Decode(wire.EncodingCSAE53, tc.b, &m)
		if !errors.Is(err, ErrAllZero) {
			t.Errorf("%s: %d bytes, type %v, lat %v lon %v, err %v; want ErrAllZero", tc.name, n, m.Type, m.BSM.Lat, m.BSM.Lon, err)
		}
	}
}
