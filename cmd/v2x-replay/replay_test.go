package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cmdtest"
	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/edge/record/replay"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// edgeProc runs v2x-edge with args on free loopback ports.
func edgeProc(t *testing.T, bin string, args ...string) (quic, httpAddr, data string, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	quic = fmt.Sprintf("127.0.0.1:%d", cmdtest.FreePort(t, "udp"))
	httpAddr = fmt.Sprintf("127.0.0.1:%d", cmdtest.FreePort(t, "tcp"))
	data = filepath.Join(t.TempDir(), "data")
	out = &bytes.Buffer{}
	cmd = exec.Command(filepath.Join(bin, "v2x-edge"), append([]string{"-listen", quic, "-http", httpAddr, "-data", data}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("v2x-edge not up in 10 s\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric reads one series from /metrics.
func metric(t *testing.T, httpAddr, series string) float64 {
	t.Helper()
	r, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(r.Body)
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, series+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(l, series+" "), &v)
			return v
		}
	}
	return 0
}

func replayInto(t *testing.T, bin, quic, data string, files ...string) replay.SendStats {
	t.Helper()
	args := append(files, "-edge", quic, "-ca", filepath.Join(data, "ca.pem"), "-speed", "max")
	cmd := exec.Command(filepath.Join(bin, "v2x-replay"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("v2x-replay: %v\n%s", err, stderr.String())
	}
	var st replay.SendStats
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	return st
}

// TestRecordAndReplay: a demo node records 3 s and stops on SIGTERM;
// another is killed with -9 after 3 s. Each recording replays into a
// fresh node: every recorded frame is sent and accepted, and the killed
// node's file is read up to its last complete chunk and said to be cut.
func TestRecordAndReplay(t *testing.T) {
	bin := cmdtest.Build(t, "github.com/v2x-edge/v2x-edge/cmd/v2x-edge", "github.com/v2x-edge/v2x-edge/cmd/v2x-replay")
	dirs := map[string]string{}
	for _, stop := range []string{"term", "kill"} {
		dir := filepath.Join(t.TempDir(), "rec")
		_, _, _, cmd, out := edgeProc(t, bin, "-demo", "-record", dir)
		time.Sleep(3 * time.Second)
		if stop == "term" {
			cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("v2x-edge -demo -record after SIGTERM: %v\n%s", err, out)
			}
		} else {
			cmd.Process.Kill()
			cmd.Wait()
		}
		dirs[stop] = dir
	}
	quic, httpAddr, data, _, _ := edgeProc(t, bin)
	for _, stop := range []string{"term", "kill"} {
		files, _ := filepath.Glob(filepath.Join(dirs[stop], "*.mcap"))
		if len(files) != 1 {
			t.Fatalf("%s: recordings %v", stop, files)
		}
		before := metric(t, httpAddr, `v2x_frames_received_total{type="bsm"}`)
		st := replayInto(t, bin, quic, data, files...)
		f := st.Files[0]
		if stop == "term" && (!f.Complete || f.Truncated) || stop == "kill" && (f.Complete || !f.Truncated) {
			t.Errorf("%s: file read as %+v", stop, f)
		}
		if f.Frames < 100 || st.Frames != f.Frames || st.Rejected != 0 || st.Skipped != 0 || st.Streams < 2 {
			t.Errorf("%s: replay %+v", stop, st)
		}
		t.Logf("%s: %d of %d bytes read, %d frames replayed on %d streams", stop, f.Bytes, f.Size, st.Frames, st.Streams)
		deadline := time.Now().Add(5 * time.Second)
		for metric(t, httpAddr, `v2x_frames_received_total{type="bsm"}`) <= before {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the node counted no replayed BSM", stop)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// A file that is not MCAP is an error that says so.
	junk := filepath.Join(t.TempDir(), "junk.mcap")
	os.WriteFile(junk, []byte("not a recording"), 0o644)
	cmd := exec.Command(filepath.Join(bin, "v2x-replay"), junk, "-edge", quic, "-ca", filepath.Join(data, "ca.pem"))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not an MCAP file") {
		t.Errorf("junk file: %v %s", err, out)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no recording given"},
		{[]string{"x.mcap", "-speed", "0"}, "-speed"},
		{[]string{"/nonexistent.mcap"}, "no such file"},
	} {
		var out bytes.Buffer
		err := run(c.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

// TestRefuseCommittedRecording re-runs the fusion cycles of a 2-s demo
// recording (testdata/demo-2s.mcap) with this build and requires every
// recorded state back: the regression check of the fusion stage. A change
// that moves the fused output on purpose regenerates it with
// `make testdata-recording` and says why in its commit.
func TestRefuseCommittedRecording(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"-refuse", "testdata/demo-2s.mcap"}, &out, &errb)
	var rep struct {
		Compared int  `json:"states"`
		Matched  int  `json:"matched"`
		Complete bool `json:"starts_at_node_start"`
		Objects  int  `json:"objects_compared"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("%v: %q %s", jerr, out.String(), errb.String())
	}
	if err != nil {
		t.Fatalf("v2x-replay -refuse: %v\n%s\n(if the fusion output changed on purpose: make testdata-recording)", err, out.String())
	}
	if rep.Compared < 100 || rep.Matched != rep.Compared || !rep.Complete || rep.Objects < 1000 {
		t.Errorf("report %+v", rep)
	}
}

// TestRefuseDemo20s: the check. A 20-s demo recording, replayed
// with -refuse, reproduces every recorded state.
func TestRefuseDemo20s(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s of demo")
	}
	bin := cmdtest.Build(t, "github.com/v2x-edge/v2x-edge/cmd/v2x-edge", "github.com/v2x-edge/v2x-edge/cmd/v2x-replay")
	dir := filepath.Join(t.TempDir(), "rec")
	_, _, _, cmd, out := edgeProc(t, bin, "-demo", "-record", dir, "-duration", "20s")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("v2x-edge -demo -record -duration 20s: %v\n%s", err, out)
	}
	res, err := exec.Command(filepath.Join(bin, "v2x-replay"), "-refuse", dir).Output()
	if err != nil {
		t.Fatalf("v2x-replay -refuse: %v\n%s", err, res)
	}
	var rep struct {
		Compared   int  `json:"states"`
		Matched    int  `json:"matched"`
		Unrecorded int  `json:"states_unrecorded"`
		Complete   bool `json:"starts_at_node_start"`
	}
	if err := json.Unmarshal(res, &rep); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	t.Logf("%s", res)
	if rep.Compared < 1000 || rep.Matched != rep.Compared || !rep.Complete {
		t.Errorf("report %+v", rep)
	}
}

// TestNodeRecordingReadByMCAPCore: the node's own recording (the
// committed 2-s demo) is read by the MCAP project's TypeScript reader,
// through the index and from start to end with CRCs checked, and both see
// the messages per channel our scanner counts.
func TestNodeRecordingReadByMCAPCore(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: @mcap/core cannot be run")
	}
	js := "../../edge/record/mcap/testdata/js"
	if _, err := os.Stat(js + "/node_modules/@mcap/core"); err != nil {
		t.Skip("@mcap/core not installed: run `npm ci --prefix edge/record/mcap/testdata/js` (make test does)")
	}
	const file = "testdata/demo-2s.mcap"
	out, err := exec.Command(node, js+"/check.mjs", file).Output()
	if err != nil {
		t.Fatalf("@mcap/core: %v", err)
	}
	var got struct {
		MessageCount string `json:"message_count"`
		Channels     map[string]struct {
			Topic string `json:"topic"`
		} `json:"channels"`
		ViaIndex   []struct{ Channel uint16 } `json:"via_index"`
		ViaStream  []struct{ Channel uint16 } `json:"via_stream"`
		StreamDone bool                       `json:"stream_done"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint16]int{}
	total := 0
	if _, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
		want[c.ID]++
		total++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for name, ms := range map[string][]struct{ Channel uint16 }{"index": got.ViaIndex, "stream": got.ViaStream} {
		per := map[uint16]int{}
		for _, m := range ms {
			per[m.Channel]++
		}
		for id, n := range want {
			if per[id] != n {
				t.Errorf("via %s: channel %d (%s): %d messages, our scanner counts %d", name, id, got.Channels[strconv.Itoa(int(id))].Topic, per[id], n)
			}
		}
	}
	if got.MessageCount != strconv.Itoa(total) || !got.StreamDone {
		t.Errorf("statistics say %s messages (we count %d); stream read to the footer: %v", got.MessageCount, total, got.StreamDone)
	}
}

// TestReplayRate: the check that a replay reproduces the node's
// output rate. A demo node records 10 s; v2x-replay plays the recording
// at speed 1 into a fresh node while v2x-sub -json subscribes to it for
// 6 s of the middle. Over the same middle of the recording:
//   - the fed node publishes states at the recording's rate of states,
//     within 10 % (v2x_snapshots_published_total over the subscriber's
//     window);
//   - v2x-sub receives states at the rate of the recorded states with new
//     data, within 10 %: those are the states a node sends its
//     subscribers; the others (the publish tick's, and cycles that changed
//     no object a subscriber gets) go out only as heartbeats while data
//     flows.
//
// v2x-replay sends the frames that one recorded fusion cycle took from one
// stream as a batch (wire.FlagMore), so the fed node fuses them in one
// cycle as the recorded node did, whatever its own timing.
func TestReplayRate(t *testing.T) {
	bin := cmdtest.Build(t, "github.com/v2x-edge/v2x-edge/cmd/v2x-edge", "github.com/v2x-edge/v2x-edge/cmd/v2x-replay",
		"github.com/v2x-edge/v2x-edge/cmd/v2x-sub")
	dir := filepath.Join(t.TempDir(), "rec")
	_, _, _, cmd, out := edgeProc(t, bin, "-demo", "-record", dir, "-duration", "10s")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("v2x-edge -demo -record: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.mcap"))
	all, fresh, span := recordedRates(t, files, 2e9)

	quic, httpAddr, data, _, _ := edgeProc(t, bin)
	rp := exec.Command(filepath.Join(bin, "v2x-replay"), append(files, "-edge", quic, "-ca", filepath.Join(data, "ca.pem"))...)
	var rpOut, rpErr bytes.Buffer
	rp.Stdout, rp.Stderr = &rpOut, &rpErr
	if err := rp.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	const published = "v2x_snapshots_published_total"
	const superseded = "v2x_state_updates_superseded_total"
	p0, s0, t0 := metric(t, httpAddr, published), metric(t, httpAddr, superseded), time.Now()
	sub := exec.Command(filepath.Join(bin, "v2x-sub"), "-edge", quic, "-ca", filepath.Join(data, "ca.pem"), "-json", "-duration", "6s")
	var subErr bytes.Buffer
	sub.Stderr = &subErr
	lines, err := sub.Output()
	if err != nil {
		t.Fatalf("v2x-sub: %v\n%s", err, subErr.String())
	}
	nodeRate := (metric(t, httpAddr, published) - p0) / time.Since(t0).Seconds()
	lost := metric(t, httpAddr, superseded) - s0 // states the subscriber was too slow to get
	if err := rp.Wait(); err != nil {
		t.Fatalf("v2x-replay: %v\n%s", err, rpErr.String())
	}
	var n int
	var secs float64
	summary := subErr.String()
	if i := strings.LastIndex(summary, "v2x-sub: "); i < 0 {
		t.Fatalf("no summary from v2x-sub: %q", summary)
	} else if _, err := fmt.Sscanf(summary[i:], "v2x-sub: %d updates in %fs", &n, &secs); err != nil || secs <= 0 {
		t.Fatalf("summary %q: %v", summary[i:], err)
	}
	if got := bytes.Count(lines, []byte("\n")); got != n {
		t.Errorf("%d JSON lines, the summary says %d updates", got, n)
	}
	rate := float64(n) / secs
	t.Logf("recorded over %.1f s: %.1f states/s published, %.1f/s with new data; replayed: the node published %.1f/s (%+.1f %%), v2x-sub received %.1f/s (%+.1f %%; %.0f states superseded while it was busy: %s); v2x-replay %s",
		span, all, fresh, nodeRate, 100*(nodeRate/all-1), rate, 100*(rate/fresh-1), lost, strings.TrimSpace(summary[strings.LastIndex(summary, "v2x-sub: "):]), strings.TrimSpace(rpOut.String()))
	if math.Abs(nodeRate-all) > 0.1*all {
		t.Errorf("the replaying node published %.1f states/s, the recording holds %.1f/s (more than 10 %% apart)", nodeRate, all)
	}
	if math.Abs(rate-fresh) > 0.1*fresh {
		t.Errorf("v2x-sub received %.1f states/s from the replaying node, the recording holds %.1f/s with new data (more than 10 %% apart)", rate, fresh)
	}
}

// recordedRates counts the states a recording holds from skip after its
// first to skip before its last: all per second, and those with new data
// (the ones sent to every subscriber) per second, over span seconds.
func recordedRates(t *testing.T, files []string, skip int64) (all, fresh, span float64) {
	t.Helper()
	type st struct{ time, ingest int64 }
	var states []st
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
			if c.Topic != replay.TopicState {
				return nil
			}
			var s wire.State
			if err := wire.DecodeState(m.Data[wire.HeaderLen:], &s); err != nil {
				return err
			}
			states = append(states, st{int64(m.LogTime), s.IngestNS})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(states) < 2 {
		t.Fatalf("%d states recorded", len(states))
	}
	lo, hi := states[0].time+skip, states[len(states)-1].time-skip
	var na, nf int
	for i := 1; i < len(states); i++ {
		if s := states[i]; s.time >= lo && s.time < hi {
			na++
			if s.ingest > states[i-1].ingest {
				nf++
			}
		}
	}
	span = float64(hi-lo) / 1e9
	return float64(na) / span, float64(nf) / span, span
}
