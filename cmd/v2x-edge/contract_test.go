package main

// The command contract from the README, run against the real binaries.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cmdtest"
)

func buildCommands(t *testing.T) string {
	t.Helper()
	return cmdtest.Build(t, "github.com/v2x-edge/v2x-edge/cmd/...")
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	return cmdtest.FreePort(t, network)
}

// startEdge starts v2x-edge and returns its QUIC and HTTP addresses and
// data directory; the process is stopped with SIGTERM at cleanup, which
// must end it cleanly.
func startEdge(t *testing.T, bin string, extra ...string) (quicAddr, httpAddr, data string) {
	t.Helper()
	quicAddr, httpAddr, data, _ = startEdgeProcess(t, bin, extra...)
	return quicAddr, httpAddr, data
}

// startEdgeProcess is startEdge that also returns the process, to signal.
func startEdgeProcess(t *testing.T, bin string, extra ...string) (quicAddr, httpAddr, data string, p *os.Process) {
	t.Helper()
	quicAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
	httpAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	data = filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "v2x-edge"), append([]string{"-listen", quicAddr, "-http", httpAddr, "-data", data}, extra...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("v2x-edge exited with %v after SIGTERM\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("v2x-edge did not stop within 10 s of SIGTERM\n%s", out.String())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(data, "ca.pem")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DIR/ca.pem not written within 5 s\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// ca.pem comes first; the lab identities and the listeners follow.
	// The node is ready for clients once /healthz answers (the HTTP
	// listener opens after the QUIC one).
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("/healthz did not answer within 10 s: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return quicAddr, httpAddr, data, cmd.Process
}

type subLine struct {
	Seq     *uint64 `json:"seq"`
	TimeNS  *int64  `json:"time_ns"`
	AgeUS   *int64  `json:"age_us"`
	Objects []struct {
		ID      *uint32  `json:"id"`
		Class   *string  `json:"class"`
		Lat     *float64 `json:"lat"`
		Lon     *float64 `json:"lon"`
		Speed   *float32 `json:"speed"`
		Heading *float32 `json:"heading"`
	} `json:"objects"`
	Signals []struct {
		Phase    *uint8  `json:"phase"`
		State    *string `json:"state"`
		EndsInMS *int32  `json:"ends_in_ms"`
	} `json:"signals"`
}

// runSub runs v2x-sub -json and checks every line against the contract.
func runSub(t *testing.T, bin, addr, data string, args ...string) []subLine {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "v2x-sub"), append([]string{"-edge", addr, "-ca", filepath.Join(data, "ca.pem"), "-json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("v2x-sub: %v\n%s", err, stderr.String())
	}
	var lines []subLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var l subLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("v2x-sub printed a line that is not JSON: %v: %.200s", err, sc.Text())
		}
		if l.Seq == nil || l.TimeNS == nil || l.AgeUS == nil || l.Objects == nil || l.Signals == nil {
			t.Fatalf("line lacks seq, time_ns, age_us, objects or signals: %.200s", sc.Text())
		}
		if *l.AgeUS < 0 {
			t.Fatalf("negative age_us %d", *l.AgeUS)
		}
		for _, o := range l.Objects {
			if o.ID == nil || o.Class == nil || o.Lat == nil || o.Lon == nil || o.Speed == nil || o.Heading == nil {
				t.Fatalf("object lacks id, class, lat, lon, speed or heading: %.300s", sc.Text())
			}
		}
		for _, g := range l.Signals {
			if g.Phase == nil || g.State == nil {
				t.Fatalf("signal lacks phase or state: %.300s", sc.Text())
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no series %s", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

func TestContractDemo(t *testing.T) {
	bin := buildCommands(t)
	addr, httpAddr, data := startEdge(t, bin, "-demo")
	lines := runSub(t, bin, addr, data, "-duration", "5s")
	if len(lines) < 25 {
		t.Fatalf("v2x-sub -json got %d updates in 5 s, want >= 25 (5 per second)", len(lines))
	}
	withObjects, withSignals := 0, 0
	for _, l := range lines {
		if len(l.Objects) > 0 {
			withObjects++
		}
		if len(l.Signals) > 0 {
			withSignals++
		}
	}
	if withObjects < len(lines)*9/10 || withSignals < len(lines)*9/10 {
		t.Errorf("of %d updates, %d carry objects and %d signals", len(lines), withObjects, withSignals)
	}
	body := get(t, "http://"+httpAddr+"/metrics")
	for _, typ := range []string{"bsm", "objects", "spat", "map"} {
		if v := metricValue(t, body, `v2x_frames_received_total{type="`+typ+`"}`); v == 0 {
			t.Errorf("no %s frame counted", typ)
		}
	}
	if v := metricValue(t, body, "v2x_state_updates_delivered_total"); v < float64(len(lines)) {
		t.Errorf("v2x_state_updates_delivered_total %v < %d updates received", v, len(lines))
	}
	if h := get(t, "http://"+httpAddr+"/healthz"); !strings.Contains(h, "ok") {
		t.Errorf("/healthz says %q", h)
	}
	// What a client needs for packed updates comes from the node: the zstd
	// dictionary, or updates without compression.
	if d := get(t, "http://"+httpAddr+"/statedict.bin"); len(d) < 1000 {
		t.Errorf("/statedict.bin has %d bytes", len(d))
	}
	if lines := runSub(t, bin, addr, data, "-compression", "none", "-duration", "2s"); len(lines) < 5 {
		t.Errorf("v2x-sub -compression none got %d updates in 2 s", len(lines))
	}
}

func TestContractSimAndRegion(t *testing.T) {
	bin := buildCommands(t)
	addr, _, data := startEdge(t, bin)
	truth := filepath.Join(t.TempDir(), "truth.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim := exec.CommandContext(ctx, filepath.Join(bin, "v2x-sim"), "-edge", addr, "-ca", filepath.Join(data, "ca.pem"),
		"-seed", "3", "-duration", "4s", "-truth", truth)
	var simOut bytes.Buffer
	sim.Stderr = &simOut
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	lines := runSub(t, bin, addr, data, "-duration", "2s", "-radius", "25")
	if err := sim.Wait(); err != nil {
		t.Fatalf("v2x-sim: %v\n%s", err, simOut.String())
	}
	if len(lines) < 10 {
		t.Errorf("v2x-sub got %d updates in 2 s", len(lines))
	}
	if !strings.Contains(simOut.String(), "0 rejected by the node") {
		t.Errorf("v2x-sim summary does not report zero rejections:\n%s", simOut.String())
	}
	f, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(f, []byte("\n"))
	if n < 30 {
		t.Errorf("truth file has %d lines for 4 s at 10 Hz", n)
	}
	var first struct {
		TimeNS  int64             `json:"time_ns"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(f[:bytes.IndexByte(f, '\n')], &first); err != nil || first.TimeNS == 0 {
		t.Errorf("first truth line does not decode: %v", err)
	}
}
