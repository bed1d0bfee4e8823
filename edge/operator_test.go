package edge

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The control endpoints need the operator token; /metrics and /healthz
// do not.
func TestOperatorEndpointsNeedTheToken(t *testing.T) {
	n, _ := startNode(t, nil)
	for _, c := range []struct {
		name, auth, method, path string
		want                     int
	}{
		{"lists without a token", "", "GET", "/xdp/lists", http.StatusUnauthorized},
		{"deny without a token", "", "POST", "/xdp/deny?prefix=198.51.100.0/24", http.StatusUnauthorized},
		{"limits off without a token", "", "PUT", "/xdp/limits", http.StatusUnauthorized},
		{"basic auth", "Basic b3A6b3A=", "GET", "/xdp/lists", http.StatusUnauthorized},
		{"wrong token", "Bearer 00000000000000000000000000000000", "GET", "/xdp/lists", http.StatusForbidden},
		{"metrics open", "", "GET", "/metrics", http.StatusOK},
		{"healthz open", "", "GET", "/healthz", http.StatusOK},
	} {
		if status, body := callAs(t, n, c.auth, c.method, c.path, ""); status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.want)
		}
	}
	if status, _ := call(t, n, "GET", "/xdp/lists", ""); status != http.StatusConflict { // no guard here: past the token
		t.Errorf("with the token: %d, want 409 (no guard)", status)
	}
	if got := testutil.ToFloat64(n.operator.refused[0]); got != 4 {
		t.Errorf("unauthorized counted %v, want 4", got)
	}
	if got := testutil.ToFloat64(n.operator.refused[1]); got != 1 {
		t.Errorf("forbidden counted %v, want 1", got)
	}
}

// A token rotated in its file is in force after reload (SIGHUP); the old
// one is refused.
func TestOperatorTokenRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "op.token")
	if err := os.WriteFile(file, []byte("first-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, _ := startNode(t, func(c *Config) { c.OperatorTokenFile = file })
	if _, err := os.Stat(filepath.Join(n.cfg.DataDir, OperatorTokenFile)); err == nil {
		t.Error("a default token file was written although one is configured")
	}
	if status, _ := callAs(t, n, "Bearer first-token-0123456789", "GET", "/xdp/lists", ""); status != http.StatusConflict {
		t.Errorf("first token: %d", status)
	}
	if err := os.WriteFile(file, []byte("second-token-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadCredentials(); err != nil {
		t.Fatal(err)
	}
	if status, _ := callAs(t, n, "Bearer first-token-0123456789", "GET", "/xdp/lists", ""); status != http.StatusForbidden {
		t.Errorf("old token after rotation: %d, want 403", status)
	}
	if status, _ := callAs(t, n, "Bearer second-token-0123456789", "GET", "/xdp/lists", ""); status != http.StatusConflict {
		t.Errorf("new token: %d", status)
	}
	if err := os.WriteFile(file, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadCredentials(); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short token accepted: %v", err)
	}
}
