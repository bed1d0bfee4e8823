package steertest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// RunUnprivileged runs the test binary again as root without any
// capability (setpriv), with env added to its environment, and decodes the
// JSON its child role printed after "RESULT " into res. It skips the test
// without setpriv.
func RunUnprivileged(t *testing.T, res any, env ...string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("needs setpriv (Debian package util-linux) to drop capabilities")
	}
	cmd := exec.Command(setpriv, "--inh-caps=-all", "--bounding-set=-all", "--", os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	line := out
	if i := bytes.Index(out, []byte("RESULT ")); i >= 0 {
		line = out[i+len("RESULT "):]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
	}
	if err := json.Unmarshal(line, res); err != nil {
		t.Fatalf("child output: %v\n%s", err, out)
	}
}
