package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testOutput is where tests leave what a person should look at (the live
// view's screenshot); `make test` keeps it, git ignores it.
func testOutput(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("V2X_TEST_OUTPUT")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-output")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// needTool finds a program the test needs: missing, the test skips
// saying why, except in CI (CI=true), where .ci/run installs it.
func needTool(t *testing.T, why string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found in CI: .ci/run installs it (%s)", names[0], why)
	}
	t.Skipf("%s not found: %s", names[0], why)
	return ""
}

// TestLivePageInChromium loads a -demo node's built-in live view in
// headless Chromium (Debian's chromium driven by playwright-core, pinned in
// testdata/web) and checks what it drew against a state the script read
// from the node's feed itself; the screenshot goes to test-output/.
func TestLivePageInChromium(t *testing.T) {
	node := needTool(t, "the live page test runs playwright-core with Node.js", "node")
	browser := os.Getenv("V2X_CHROMIUM")
	if browser == "" {
		browser = needTool(t, "the live page test needs Debian's chromium (apt-get install chromium)", "chromium", "chromium-browser")
	}
	if _, err := os.Stat("testdata/web/node_modules/playwright-core"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("playwright-core not installed in CI: make js-deps installs it")
		}
		t.Skip("playwright-core not installed: run `npm ci --prefix cmd/v2x-edge/testdata/web` (make test does)")
	}
	bin := buildCommands(t)
	_, httpAddr, _ := startEdge(t, bin, "-demo")
	base := "http://" + httpAddr
	waitHTTP(t, base)

	// curl http://HTTP-ADDR/ returns the page.
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("v2x-edge live view")) {
		t.Fatalf("GET /: %s, %d bytes", resp.Status, len(page))
	}

	shot := filepath.Join(testOutput(t), "live-view.png")
	os.Remove(shot)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, "testdata/web/page.mjs", base, browser, shot)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("page.mjs: %v\n%s", err, stderr.String())
		}
	case <-time.After(120 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("page.mjs did not finish within 120 s\n%s", stderr.String())
	}
	type obj struct {
		ID  uint32  `json:"id"`
		Cls string  `json:"cls"`
		X   float64 `json:"x"`
		Y   float64 `json:"y"`
	}
	var got struct {
		DOM struct {
			Seq       string   `json:"seq"`
			Objects   int      `json:"objects"`
			Lanes     int      `json:"lanes"`
			LanePaths int      `json:"lanePaths"`
			Stopbars  []string `json:"stopbars"`
			Labels    []string `json:"labels"`
			Drawn     struct {
				Seq     uint64 `json:"seq"`
				Objects int    `json:"objects"`
				Signals int    `json:"signals"`
			} `json:"drawn"`
			Objs []obj `json:"objs"`
			Sigs []struct {
				Phase int    `json:"phase"`
				State string `json:"state"`
				Text  string `json:"text"`
			} `json:"sigs"`
			Metrics []string `json:"metrics"`
			Age     string   `json:"age"`
			Status  string   `json:"status"`
		} `json:"dom"`
		Feed struct {
			Hello struct {
				Classes []string `json:"classes"`
				Lights  []string `json:"lights"`
			} `json:"hello"`
			Map struct {
				Lanes []json.RawMessage `json:"lanes"`
			} `json:"map"`
			State struct {
				Seq uint64        `json:"seq"`
				O   [][10]float64 `json:"o"`
				S   [][5]*float64 `json:"s"`
			} `json:"state"`
		} `json:"feed"`
		Errors  []string `json:"errors"`
		Foreign []string `json:"foreign"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("page.mjs output: %v\n%s", err, stdout.String())
	}
	d, f := &got.DOM, &got.Feed
	t.Logf("page drew state %s: %d objects, %d signals, %d lanes; the feed's state %d has %d objects, %d signals; state age shown %s",
		d.Seq, len(d.Objs), len(d.Sigs), d.LanePaths, f.State.Seq, len(f.State.O), len(f.State.S), d.Age)
	if len(got.Errors) > 0 || len(got.Foreign) > 0 {
		t.Errorf("page errors %q; requests off the node %q", got.Errors, got.Foreign)
	}
	if d.Status != "live" {
		t.Errorf("status %q, want live", d.Status)
	}
	// The page drew what it received, all of it.
	if d.Drawn.Objects != len(d.Objs) || d.Objects != len(d.Objs) || d.Seq == "" || len(d.Labels) != len(d.Objs) {
		t.Errorf("drawn %+v, %d object shapes, %d labels, data-objects %d", d.Drawn, len(d.Objs), len(d.Labels), d.Objects)
	}
	if d.Lanes != len(f.Map.Lanes) || d.LanePaths != len(f.Map.Lanes) || d.Lanes == 0 {
		t.Errorf("%d lanes drawn of %d in the map (data-lanes %d)", d.LanePaths, len(f.Map.Lanes), d.Lanes)
	}
	// Objects drawn = objects in the state, give or take what entered or
	// left between the two reads; each where the state puts it.
	nf, nd := len(f.State.O), len(d.Objs)
	if nf == 0 || math.Abs(float64(nf-nd)) > math.Max(3, 0.15*float64(nf)) {
		t.Errorf("page drew %d objects, the feed's state has %d", nd, nf)
	}
	drawn := map[uint32]obj{}
	for _, o := range d.Objs {
		drawn[o.ID] = o
	}
	common := 0
	for _, o := range f.State.O {
		p, ok := drawn[uint32(o[0])]
		if !ok {
			continue
		}
		common++
		tol := 3 + o[5]*0.5 // metres: 0.5 s of driving between the reads
		if math.Abs(p.X-o[2]) > tol || math.Abs(p.Y+o[3]) > tol {
			t.Errorf("object %d drawn at %.1f,%.1f (SVG), the state has E %.1f N %.1f", p.ID, p.X, p.Y, o[2], o[3])
		}
		if want := f.Hello.Classes[int(o[1])]; p.Cls != want {
			t.Errorf("object %d drawn as %s, the state says %s", p.ID, p.Cls, want)
		}
	}
	if float64(common) < 0.8*float64(min(nf, nd)) {
		t.Errorf("only %d of %d objects drawn are in the feed's state", common, nd)
	}
	// Signal states shown, as in the state, with countdowns.
	if len(d.Sigs) == 0 || len(d.Sigs) != len(f.State.S) || d.Drawn.Signals != len(d.Sigs) {
		t.Errorf("%d signal states shown, the feed's state has %d", len(d.Sigs), len(f.State.S))
	}
	phases := map[int]bool{}
	for _, s := range f.State.S {
		phases[int(*s[0])] = true
	}
	for _, s := range d.Sigs {
		valid := false
		for _, l := range f.Hello.Lights {
			valid = valid || l == s.State
		}
		if !phases[s.Phase] || !valid || !strings.Contains(s.Text, " s") {
			t.Errorf("signal shown %+v (phases in the state %v)", s, phases)
		}
	}
	lit := 0
	for _, c := range d.Stopbars {
		if c != "#555" {
			lit++
		}
	}
	if len(d.Stopbars) == 0 || lit == 0 {
		t.Errorf("stop lines %v: none coloured by its signal", d.Stopbars)
	}
	for _, m := range []string{"v2x_frames_received_total", "v2x_snapshots_published_total", "v2x_live_viewers"} {
		if !strings.Contains(strings.Join(d.Metrics, " "), m) {
			t.Errorf("counter %s not shown (shown: %v)", m, d.Metrics)
		}
	}
	fh, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cfg, err := png.DecodeConfig(fh)
	if err != nil || cfg.Width != 1400 || cfg.Height != 900 {
		t.Errorf("screenshot %s: %dx%d, %v", shot, cfg.Width, cfg.Height, err)
	}
	t.Logf("screenshot: %s", shot)
}
