package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/j2735"
)

func TestDecodeConcatenatedCSAE(t *testing.T) {
	files, _ := filepath.Glob("../../v2x/csae53/testdata/samples/*.uper")
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	in := filepath.Join(t.TempDir(), "all.uper")
	if err := os.WriteFile(in, all, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"-std", "csae53", in}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d JSON lines for %d frames", len(lines), len(files))
	}
	var first map[string]map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("line 0 is not JSON: %v", err)
	}
	// BSM_1.uper sorts first: msgCnt 117, secMark 9500 (its XER).
	bsm := first["bsmFrame"]
	if bsm["msgCnt"] != 117.0 || bsm["secMark"] != 9500.0 || bsm["transmission"] != "unavailable" {
		t.Errorf("first frame: %v", bsm)
	}
}

func TestDecodeHexAndErrors(t *testing.T) {
	raw, err := os.ReadFile("../../v2x/csae53/testdata/samples/RSM.uper")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hexFile := filepath.Join(dir, "rsm.hex")
	os.WriteFile(hexFile, []byte(hex.EncodeToString(raw[:20])+"\n"+hex.EncodeToString(raw[20:])+"\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{"-std", "csae53", "-hex", hexFile}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), `{"rsmFrame":{"msgCnt":1,`) {
		t.Errorf("hex input: %s", out.String())
	}

	cut := filepath.Join(dir, "cut.uper")
	os.WriteFile(cut, append(append([]byte{}, raw...), raw[:30]...), 0o644)
	out.Reset()
	err = run([]string{"-std", "csae53", cut}, &out, &out)
	if err == nil {
		t.Fatal("a truncated second frame decoded")
	}
	for _, want := range []string{"frame 1 at byte 40", "rsmFrame.participants", "input ends inside the field"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	for _, args := range [][]string{{"-std", "x", cut}, {cut}, {"-std", "j2735"}} {
		if err := run(args, &out, &out); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestDecodeJ2735(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-std", "j2735", "../../v2x/j2735/testdata/j2735.MessageFrame.128.bsms.uper"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 128 {
		t.Fatalf("%d lines for 128 BSMs", len(lines))
	}
	var bsm struct {
		MessageID int `json:"messageId"`
		Value     struct {
			BasicSafetyMessage struct {
				CoreData struct {
					MsgCnt int    `json:"msgCnt"`
					ID     string `json:"id"`
					Lat    int64  `json:"lat"`
				} `json:"coreData"`
			}
		} `json:"value"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &bsm); err != nil {
		t.Fatal(err)
	}
	// The first frame's XER: msgCnt 88, id BE A1 00 00, lat 411642143.
	if c := bsm.Value.BasicSafetyMessage.CoreData; bsm.MessageID != 20 || c.MsgCnt != 88 || c.ID != "bea10000" || c.Lat != 411642143 {
		t.Errorf("first BSM: %+v", bsm)
	}

	// The ODE SPaT sample as hex: intersection 12111.
	b, err := os.ReadFile("../../v2x/j2735/testdata/decoder-output-spat.xml")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("<asn1>"))
	j := bytes.Index(b, []byte("</asn1>"))
	h := strings.TrimSpace(string(b[i+6 : j]))
	hexFile := filepath.Join(t.TempDir(), "spat.hex")
	os.WriteFile(hexFile, []byte(h[:len(h)-2]), 0o644) // without the ODE's padding octet
	out.Reset()
	if err := run([]string{"-std", "j2735", "-hex", hexFile}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), `{"messageId":19,"value":{"SPAT":{"intersections":[{"id":{"id":12111},"revision":0,`) {
		t.Errorf("SPaT: %.200s", out.String())
	}
}

// odeSPaT returns the ODE's J2735 SPaT sample as UPER, with the ODE's
// trailing padding octet.
func odeSPaT(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../v2x/j2735/testdata/decoder-output-spat.xml")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("<asn1>"))
	j := bytes.Index(b, []byte("</asn1>"))
	frame, err := hex.DecodeString(strings.TrimSpace(string(b[i+6 : j])))
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

// TestZeroPaddingEndsTheInput: a SPaT stored from an RSU with 426 zero
// bytes of padding is one frame (it printed 143); zero bytes alone are an
// error.
func TestZeroPaddingEndsTheInput(t *testing.T) {
	dir := t.TempDir()
	padded := filepath.Join(dir, "spat-padded.uper")
	os.WriteFile(padded, append(odeSPaT(t), make([]byte, 426)...), 0o644)
	var out bytes.Buffer
	if err := run([]string{"-std", "j2735", padded}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"messageId":19,`) {
		t.Errorf("%d lines, want the SPaT alone: %.200s", len(lines), out.String())
	}
	zeros := filepath.Join(dir, "zeros.uper")
	os.WriteFile(zeros, make([]byte, 65000), 0o644)
	for _, std := range []string{"j2735", "csae53"} {
		out.Reset()
		err := run([]string{"-std", std, zeros}, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "frame 0 at byte 0") || !strings.Contains(err.Error(), "padding") || out.Len() != 0 {
			t.Errorf("%s, zero bytes only: %v, output %.100q", std, err, out.String())
		}
	}
}

func TestHexWithoutHexFlag(t *testing.T) {
	f := filepath.Join(t.TempDir(), "spat.hex")
	os.WriteFile(f, []byte(hex.EncodeToString(odeSPaT(t))+"\n"), 0o644)
	var out bytes.Buffer
	err := run([]string{"-std", "j2735", f}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "looks like hex text: use -hex") {
		t.Errorf("hex text without -hex: %v", err)
	}
	out.Reset()
	if err := run([]string{"-std", "j2735", "-hex", f}, &out, &out); err != nil || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("with -hex: %v, %q", err, out.String())
	}
}

// TestDecodeJ2735SDSM: an SDSM MessageFrame (jpo-asn-pojos' sdsm.bin)
// prints as JSON with ASN.1 names and as XER, and a truncated one is an
// error naming where it ends.
func TestDecodeJ2735SDSM(t *testing.T) {
	const file = "../../v2x/j2735/testdata/sdsm/sdsm.bin"
	var out bytes.Buffer
	if err := run([]string{"-std", "j2735", file}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"messageId":41`, `"SensorDataSharingMessage":{"msgCnt":24,"sourceID":"4f435445","equipmentType":"rsu"`, `"detObst":{"obstSize"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run([]string{"-std", "j2735", "-xer", file}, &out, &out); err != nil || !strings.Contains(out.String(), "<objectID>48405</objectID>") {
		t.Errorf("XER: %v\n%s", err, out.String())
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A whole frame whose SDSM ends early.
	var f j2735.MessageFrame
	if _, err := j2735.DecodeFrame(raw, &f); err != nil {
		t.Fatal(err)
	}
	f.Value = f.Value[:len(f.Value)-30]
	short, err := j2735.AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.uper")
	os.WriteFile(cut, short, 0o644)
	out.Reset()
	err = run([]string{"-std", "j2735", cut}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "SensorDataSharingMessage") {
		t.Errorf("truncated SDSM: %v", err)
	}
}
