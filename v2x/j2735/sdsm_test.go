package j2735

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/xercmp"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

// The SDSM samples of usdot-jpo-ode/jpo-asn-pojos (testdata/sdsm,
// provenance in testdata/PROVENANCE.md): bare SensorDataSharingMessages
// in UPER with asn1c's XER and JER decodes, and one MessageFrame.
var sdsmSamples = []string{"sdsm4", "sdsm5", "sdsm6"}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkSDSM decodes raw as an SDSM, compares it with asn1c's XER value for
// value and re-encodes it byte for byte.
func checkSDSM(t *testing.T, raw, refXER []byte) *SensorDataSharingMessage {
	t.Helper()
	var m SensorDataSharingMessage
	if err := DecodeSDSM(raw, &m); err != nil {
		t.Fatal(err)
	}
	var x asn1text.XER
	x.Reset(nil)
	m.WriteText(&x, "SensorDataSharingMessage")
	if diff := xercmp.Diff(joinHex(refXER), joinHex(x.Bytes())); diff != "" {
		t.Errorf("XER differs from asn1c's: %s", diff)
	}
	again, err := AppendSDSM(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, raw) {
		t.Errorf("re-encoding differs:\n got %x\nwant %x", again, raw)
	}
	return &m
}

// TestSDSMSamples: each sample decodes to the XER asn1c printed for it
// (sdsmN_rt.xml), its JSON holds the same values as asn1c's JER
// (sdsmN_rt.json), and it re-encodes byte for byte.
func TestSDSMSamples(t *testing.T) {
	for _, name := range sdsmSamples {
		t.Run(name, func(t *testing.T) {
			raw := readTestdata(t, "sdsm/"+name+".bin")
			m := checkSDSM(t, raw, readTestdata(t, "sdsm/"+name+"_rt.xml"))
			var j asn1text.JSON
			j.Reset(nil)
			m.WriteText(&j, "")
			got, want := normJSON(t, j.Bytes()), normJSON(t, readTestdata(t, "sdsm/"+name+"_rt.json"))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("JSON differs from asn1c's JER:\n got %v\nwant %v", got, want)
			}
			if len(m.Objects) == 0 {
				t.Error("no objects decoded")
			}
		})
	}
}

// TestSDSMFrameSample decodes sdsm.bin, a MessageFrame holding an SDSM of
// four objects (three vehicles and an obstacle), against the XER that the
// repository's asn1c converter prints for it.
func TestSDSMFrameSample(t *testing.T) {
	raw := readTestdata(t, "sdsm/sdsm.bin")
	var f MessageFrame
	n, err := DecodeFrame(raw, &f)
	if err != nil || n != len(raw) || f.MessageID != IDSDSM {
		t.Fatalf("frame: id %d, %d of %d bytes, %v", f.MessageID, n, len(raw), err)
	}
	ref := readTestdata(t, "sdsm/sdsm.converter-debug.xml")
	v := regexp.MustCompile(`(?s)<value>(.*)</value>`).FindSubmatch(ref)
	if v == nil {
		t.Fatal("no value in the reference")
	}
	m := checkSDSM(t, f.Value, v[1])
	var choices []uint8
	for _, o := range m.Objects {
		choices = append(choices, o.DetObjOptData.Choice)
	}
	const veh, obst = DetectedObjectOptionalDataChoiceDetVeh, DetectedObjectOptionalDataChoiceDetObst
	if !reflect.DeepEqual(choices, []uint8{veh, veh, obst, veh}) {
		t.Errorf("optional data of the objects: %v", choices)
	}
	// The frame prints with its value decoded.
	x := AppendXER(nil, &f)
	if diff := xercmp.Diff(joinHex(ref), joinHex(x)); diff != "" {
		t.Errorf("frame XER differs: %s", diff)
	}
}

// joinHex removes the spaces between the hex pairs of an OCTET STRING
// (sourceID): asn1c 0.9.28, like our XER, separates them, the usdot
// fork of asn1c that printed the references does not.
func joinHex(b []byte) []byte {
	return sourceIDText.ReplaceAllFunc(b, func(m []byte) []byte {
		return bytes.Join(bytes.Fields(m), nil)
	})
}

var sourceIDText = regexp.MustCompile(`<sourceID>[0-9A-Fa-f\s]*</sourceID>`)

// TestSDSMODESample: the ODE's SDSM (decoder-output-sdsm.xml, a J2735
// 2020 SDSM from an RSU) decodes to its XER and re-encodes byte for byte.
func TestSDSMODESample(t *testing.T) {
	raw, ref := odeSample(t, "decoder-output-sdsm.xml")
	var f MessageFrame
	n, err := DecodeFrame(raw, &f)
	if err != nil || len(bytes.Trim(raw[n:], "\x00")) != 0 || f.MessageID != IDSDSM {
		t.Fatalf("frame: id %d, %d of %d bytes, %v", f.MessageID, n, len(raw), err)
	}
	checkSDSM(t, f.Value, ref)
}

// TestSDSMASN1CVectors checks the vectors asn1c encoded from values at
// the extremes of the schema (testdata/sdsm/asn1c/README.md): each
// decodes to asn1c's own XER decode and re-encodes byte for byte.
func TestSDSMASN1CVectors(t *testing.T) {
	files, _ := filepath.Glob("testdata/sdsm/asn1c/*.uper")
	if len(files) != 8 {
		t.Fatalf("%d asn1c vectors, want the 8 committed", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := os.ReadFile(strings.TrimSuffix(file, ".uper") + ".xer")
			if err != nil {
				t.Fatal(err)
			}
			checkSDSM(t, raw, ref)
		})
	}
}

// normJSON reads JSON into generic values, with asn1c's JER spellings
// mapped to ours: hex in lower case and a BIT STRING {"value": hex,
// "length": n} as a string of n 0s and 1s.
func normJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return normValue(v)
}

var hexString = regexp.MustCompile(`^[0-9A-Fa-f]+$`)

func normValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 2 {
			if hx, ok := v["value"].(string); ok {
				if n, ok := v["length"].(float64); ok {
					raw, err := hex.DecodeString(hx)
					if err == nil {
						var s strings.Builder
						for i := 0; i < int(n); i++ {
							fmt.Fprintf(&s, "%d", raw[i/8]>>(7-i%8)&1)
						}
						return s.String()
					}
				}
			}
		}
		for k, e := range v {
			v[k] = normValue(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = normValue(e)
		}
		return v
	case string:
		if hexString.MatchString(v) && len(v)%2 == 0 {
			return strings.ToLower(v)
		}
		return v
	}
	return v
}

// TestSDSMTruncated: every proper prefix of a sample fails to decode
// with an error, never a panic or a silent success.
func TestSDSMTruncated(t *testing.T) {
	for _, name := range sdsmSamples {
		raw := readTestdata(t, "sdsm/"+name+".bin")
		var m SensorDataSharingMessage
		for i := 0; i < len(raw); i++ {
			if err := DecodeSDSM(raw[:i], &m); err == nil {
				t.Errorf("%s: %d of %d bytes decoded without error", name, i, len(raw))
			}
		}
	}
}

func FuzzDecodeSDSM(f *testing.F) {
	for _, name := range sdsmSamples {
		f.Add(readTestdata(f, "sdsm/"+name+".bin"))
	}
	var fr MessageFrame
	if _, err := DecodeFrame(readTestdata(f, "sdsm/sdsm.bin"), &fr); err != nil {
		f.Fatal(err)
	}
	f.Add(fr.Value)
	f.Add(odeValue(f, "decoder-output-sdsm.xml"))
	vectors, _ := filepath.Glob("testdata/sdsm/asn1c/*.uper")
	for _, file := range vectors {
		f.Add(readTestdata(f, strings.TrimPrefix(file, "testdata/")))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzMessage(t, b, func() message { return new(SensorDataSharingMessage) })
	})
}
