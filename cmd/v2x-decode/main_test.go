package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
