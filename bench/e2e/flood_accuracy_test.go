//go:build !race

package e2e

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// floodRun is what one evaluation under (or without) floods measured.
type floodRun struct {
	floods   string // the floods run ("" for a clean run, "abcdef" for all)
	mota     float64
	frames   int
	rejected uint64 // Error frames the honest simulator got
	p99      time.Duration
	updates  int
	maxRSS   uint64        // bytes, the test process's VmRSS at its highest
	cpu      time.Duration // the test process's CPU time (user and system) over the run
	switches int64         // the test process's voluntary context switches over the run (its threads' sleeps: wakeups)
	attCPU   time.Duration // the attacker process's CPU time
}

// floodSeed and floodRunFor: one seed for every run, long enough for the
// evaluation (2 s warm-up) and for the stalled frames to time out twice.
const (
	floodSeed   = 11
	floodRunFor = 11 * time.Second
)

// floodNames names the floods of issue 13 by the letter the attacker
// knows them by (V2X_FLOODS).
var floodNames = map[byte]string{
	'a': "stalled 1 MiB frames", 'b': "6000 parked objects", 'c': "50k objects/s",
	'd': "largest MAP loop", 'e': "Subscribe/Resync", 'f': "500 idle conns",
}

// floodPlan is the order of the runs: a clean run, then each flood
// alone, then all at once, with a clean run after every fourth flooded
// run and at the end, so that the clean runs bracket the flooded ones
// and show the machine's own spread in the same period. V2X_FLOODS
// ("f", "ace", "f,all") chooses the flooded runs: single letters are
// each run alone, "all" all six at once.
func floodPlan(spec string) []string {
	var flooded []string
	if spec == "" {
		spec = "a,b,c,d,e,f,all"
	}
	for _, f := range strings.Split(spec, ",") {
		switch {
		case f == "all":
			flooded = append(flooded, "abcdef")
		case len(f) > 1:
			flooded = append(flooded, f) // several at once
		default:
			flooded = append(flooded, f)
		}
	}
	plan := []string{""}
	for i, f := range flooded {
		plan = append(plan, f)
		if (i+1)%4 == 0 || i == len(flooded)-1 {
			plan = append(plan, "")
		}
	}
	return plan
}

// floodNoise is the largest spread (highest over lowest) of the clean
// runs' p99 at which the test judges the 2× latency goal: past it the
// machine alone moves the p99 by as much as the goal allows a flood to.
const floodNoise = 1.5

// floodP99Bound is the p99 no flood may push an honest subscriber past,
// whatever the clean runs' (when they agree within floodNoise): a node
// starving its subscribers, as the Subscribe/Resync flood once did
// (7.7-10.6 ms against 1.6 ms clean).
const floodP99Bound = 20 * time.Millisecond

// TestAccuracyUnderFloods runs the evaluation on fresh nodes with the
// same seed: clean runs bracketing each flood of issue 13 alone and all
// at once, every flood from one attacker identity in a process of its
// own. Every flooded run keeps its MOTA within 0.01 of the clean runs'
// median, the honest simulator's frames are never refused, and the
// process (node, simulator and honest clients) stays under 200 MB of RSS.
// When the clean runs agree within floodNoise, an honest subscriber's
// ingest-to-receipt p99 under each flood stays within max(2× the clean
// median, floodP99Bound), and the 2× goal is logged per flood; with
// V2X_FLOOD_GOALS=1 the 2× goal fails the test, whatever the spread.
// It logs one line a run and a table: which flood costs what.
func TestAccuracyUnderFloods(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ten 11 s evaluations in real time")
	}
	var runs []floodRun
	for _, f := range floodPlan(os.Getenv("V2X_FLOODS")) {
		debug.FreeOSMemory() // each run's RSS its own, not the last one's heap
		r := evaluateFlooded(t, f)
		t.Logf("run %-6s mota %.4f over %d frames, subscriber p99 %v over %d updates, max RSS %.0f MB, CPU %.2f s, attacker CPU %.2f s, honest frames refused %d",
			floodLabel(f), r.mota, r.frames, r.p99, r.updates, float64(r.maxRSS)/1e6, r.cpu.Seconds(), r.attCPU.Seconds(), r.rejected)
		runs = append(runs, r)
	}
	var clean []floodRun
	for _, r := range runs {
		if r.floods == "" {
			clean = append(clean, r)
		}
	}
	med := func(f func(floodRun) float64) float64 {
		v := make([]float64, len(clean))
		for i, r := range clean {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	cleanMOTA := med(func(r floodRun) float64 { return r.mota })
	cleanP99 := time.Duration(med(func(r floodRun) float64 { return float64(r.p99) }))
	cleanCPU := time.Duration(med(func(r floodRun) float64 { return float64(r.cpu) }))
	lo := slices.MinFunc(clean, func(a, b floodRun) int { return cmp.Compare(a.p99, b.p99) }).p99
	hi := slices.MaxFunc(clean, func(a, b floodRun) int { return cmp.Compare(a.p99, b.p99) }).p99
	spread := float64(hi) / float64(max(lo, time.Microsecond))
	judgeP99 := spread <= floodNoise || os.Getenv("V2X_FLOOD_GOALS") != ""
	var tbl strings.Builder
	cleanSw := int64(med(func(r floodRun) float64 { return float64(r.switches) }))
	fmt.Fprintf(&tbl, "clean (median of %d): MOTA %.4f, p99 %v (spread %.2f×: %v–%v), CPU %.2f s, %d wakeups\n", len(clean), cleanMOTA, cleanP99, spread, lo, hi, cleanCPU.Seconds(), cleanSw)
	fmt.Fprintf(&tbl, "%-28s %-16s %-20s %-26s %-18s %-13s %s\n", "flood", "MOTA (Δ)", "p99 (× clean)", "process CPU (flood's cost)", "wakeups (flood's)", "attacker CPU", "peak RSS")
	for _, r := range runs {
		if r.floods == "" {
			continue
		}
		fmt.Fprintf(&tbl, "%-28s %.4f (%+.4f)  %-8v (%5.2f×)     %5.2f s (%+.2f s)          %6d (%+6d)     %5.2f s       %.0f MB\n",
			floodLabel(r.floods), r.mota, r.mota-cleanMOTA, r.p99.Round(10*time.Microsecond), float64(r.p99)/float64(max(cleanP99, 1)),
			r.cpu.Seconds(), (r.cpu - cleanCPU).Seconds(), r.switches, r.switches-cleanSw, r.attCPU.Seconds(), float64(r.maxRSS)/1e6)
	}
	t.Logf("per flood, each against the clean runs' median:\n%s", tbl.String())
	rssMax := uint64(200e6)
	if judgeP99 {
		t.Logf("judged: MOTA >= %.4f, honest frames refused 0, subscriber p99 <= %v (max of 2× clean and %v; the 2× goal itself only with V2X_FLOOD_GOALS=1), RSS < %.0f MB", cleanMOTA-0.01, max(2*cleanP99, floodP99Bound), floodP99Bound, float64(rssMax)/1e6)
	} else {
		t.Logf("latency NOT judged: the clean runs' p99 spread %.2f× (%v to %v) is over %.1f×, so this machine alone moves the p99 as much as the 2× goal allows a flood to (V2X_FLOOD_GOALS=1 judges it anyway); judged: MOTA >= %.4f, honest frames refused 0, RSS < %.0f MB",
			spread, lo, hi, floodNoise, cleanMOTA-0.01, float64(rssMax)/1e6)
	}
	for _, r := range runs {
		name := floodLabel(r.floods)
		if r.frames < 50 {
			t.Errorf("%s: judged %d frames, want 50 or more", name, r.frames)
		}
		if r.updates < 50 {
			t.Errorf("%s: the honest subscriber got %d updates, want 50 or more", name, r.updates)
		}
		if r.rejected != 0 {
			t.Errorf("%s: the node refused %d honest frames, want none", name, r.rejected)
		}
		if r.maxRSS > rssMax {
			t.Errorf("%s: RSS reached %.0f MB, want under %.0f MB", name, float64(r.maxRSS)/1e6, float64(rssMax)/1e6)
		}
		if r.floods == "" {
			continue
		}
		if r.mota < cleanMOTA-0.01 {
			t.Errorf("%s: MOTA %.4f, want >= clean %.4f - 0.01", name, r.mota, cleanMOTA)
		}
		if !judgeP99 {
			continue
		}
		// The 2× goal is not met by every flood yet (README, "What is not
		// there yet"): it fails the test only with V2X_FLOOD_GOALS=1, and is
		// logged otherwise; what always fails it is a p99 past
		// max(2× clean, floodP99Bound), a flood that starves subscribers.
		if r.p99 > 2*cleanP99 {
			if os.Getenv("V2X_FLOOD_GOALS") != "" {
				t.Errorf("%s: honest subscriber's ingest-age p99 %v, want <= %v (2× clean %v)", name, r.p99, 2*cleanP99, cleanP99)
			} else {
				t.Logf("%s: 2× goal MISSED: honest subscriber's ingest-age p99 %v, %.1f× clean %v", name, r.p99, float64(r.p99)/float64(cleanP99), cleanP99)
			}
		}
		if bound := max(2*cleanP99, floodP99Bound); r.p99 > bound {
			t.Errorf("%s: honest subscriber's ingest-age p99 %v, want <= %v", name, r.p99, bound)
		}
	}
}

// floodLabel names a run by its floods.
func floodLabel(f string) string {
	switch {
	case f == "":
		return "clean"
	case len(f) == 6:
		return "all"
	case len(f) == 1:
		return "(" + f + ") " + floodNames[f[0]]
	}
	return "(" + f + ")"
}

// evaluateFlooded runs one evaluation of floodRunFor on a fresh node,
// with the attacker's floods (V2X_FLOODS letters; "" for none).
// V2X_FLOOD_PROFILE=DIR writes each run's CPU profile of this process
// (node, simulator and honest clients) to DIR/RUN.pprof.
func evaluateFlooded(t *testing.T, floods string) floodRun {
	t.Helper()
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", t.TempDir()
	if hs := os.Getenv("V2X_FLOOD_HANDSHAKES"); hs != "" {
		// "RATE,MAX": the node's handshakes_per_sec and max_handshakes
		// (-1,-1: no handshake gate), to compare settings in one build.
		var err error
		rate, mx, _ := strings.Cut(hs, ",")
		if cfg.HandshakesPerSec, err = strconv.ParseFloat(rate, 64); err != nil {
			t.Fatalf("V2X_FLOOD_HANDSHAKES %q: %v", hs, err)
		}
		if cfg.MaxHandshakes, err = strconv.Atoi(mx); err != nil {
			t.Fatalf("V2X_FLOOD_HANDSHAKES %q: %v", hs, err)
		}
	}
	n, err := edge.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	scfg := sim.Config{Seed: floodSeed}
	scfg.SetDefaults()
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := n.Addr().String()
	dial := func(name string) *client.Conn {
		c, err := client.Dial(context.Background(), addr, client.DevOptions(cfg.DataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	honest := dial(devca.SimIdentity)
	defer honest.Close()
	viewer := dial(devca.SubIdentity)
	defer viewer.Close()

	ctx, cancel := context.WithTimeout(context.Background(), floodRunFor)
	defer cancel()
	var bg sync.WaitGroup
	defer bg.Wait()
	if dir := os.Getenv("V2X_FLOOD_PROFILE"); dir != "" {
		name := floods
		if name == "" {
			name = "clean"
		}
		f, err := os.CreateTemp(dir, name+"-*.pprof")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0, sw0 := cpuTime(), ctxSwitches()
	var maxRSS atomic.Uint64
	var cpuLine []time.Duration // CPU time of each second of the run
	bg.Go(func() { cpuLine = sampleRSS(ctx, &maxRSS) })
	var ages []time.Duration
	sub, err := viewer.Subscribe(ctx, wire.Subscribe{Flags: wire.SubPacked})
	if err != nil {
		t.Fatal(err)
	}
	bg.Go(func() { ages = ingestAges(ctx, t, sub, clockAfter(3*time.Second)) })
	var opts feed.Options
	live, err := eval.Attach(ctx, honest, s, &opts, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var attackOut []byte
	var attCPU time.Duration
	if floods != "" {
		// The attacker runs in a process of its own, so that this one's
		// RSS is the node's (with the simulator and honest clients).
		cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestFloodAttackerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "V2X_FLOOD_ADDR="+addr, "V2X_FLOOD_DATA="+cfg.DataDir,
			"V2X_FLOOD_FOR="+floodRunFor.String(), "V2X_FLOODS="+floods)
		bg.Go(func() {
			var err error
			if attackOut, err = cmd.CombinedOutput(); err != nil {
				t.Errorf("attacker process: %v\n%s", err, attackOut)
			}
			if ps := cmd.ProcessState; ps != nil {
				attCPU = ps.UserTime() + ps.SystemTime()
			}
		})
	}
	var st feed.Stats
	if err := feed.Run(ctx, honest, s, opts, &st); err != nil {
		t.Fatal(err)
	}
	r, err := live.Finish()
	if err != nil {
		t.Fatal(err)
	}
	bg.Wait()
	for _, l := range strings.Split(string(attackOut), "\n") {
		if strings.Contains(l, "attacker:") {
			t.Log(strings.TrimSpace(l))
		}
	}
	cpu, switches := cpuTime()-cpu0, ctxSwitches()-sw0
	if os.Getenv("V2X_FLOOD_TIMELINE") != "" {
		t.Logf("run %s: process CPU per second: %v", floodLabel(floods), cpuLine)
	}
	t.Logf("run %s: ground truth %d, missed %d, false tracks %d, id switches %d", floodLabel(floods), r.GroundTruth, r.Missed, r.FalseTracks, r.IDSwitches)
	out := floodRun{floods: floods, mota: r.MOTA, frames: r.Frames, rejected: st.Rejected.Load(), updates: len(ages), maxRSS: maxRSS.Load(),
		cpu: cpu, switches: switches, attCPU: attCPU}
	if len(ages) > 0 {
		slices.Sort(ages)
		out.p99 = ages[len(ages)*99/100]
	}
	return out
}

// TestFloodAttackerProcess is the attacker of TestAccuracyUnderFloods,
// run by it in a process of its own; it does nothing otherwise.
func TestFloodAttackerProcess(t *testing.T) {
	addr, dataDir := os.Getenv("V2X_FLOOD_ADDR"), os.Getenv("V2X_FLOOD_DATA")
	if addr == "" {
		t.Skip("run by TestAccuracyUnderFloods")
	}
	d, err := time.ParseDuration(os.Getenv("V2X_FLOOD_FOR"))
	if err != nil {
		t.Fatal(err)
	}
	scfg := sim.Config{Seed: floodSeed}
	scfg.SetDefaults()
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	a := newAttacker(t, dataDir, addr, s.Map())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	a.run(ctx)
	t.Logf("attacker: %d data frames sent, %d stalled frames reset, %d idle connections held, %d dials refused as busy, node answered %v",
		a.sent.Load(), a.stalls.Load(), a.idle.Load(), a.busy.Load(), a.Codes())
}

// clockAfter is the wall time d from now.
func clockAfter(d time.Duration) time.Time { return time.Now().Add(d) }

// ingestAges reads sub until ctx ends and returns the ingest-to-receipt
// age of every state received after from.
func ingestAges(ctx context.Context, t *testing.T, sub *client.Subscription, from time.Time) []time.Duration {
	stop := sub.WaitContext(ctx)
	defer stop()
	defer sub.Close()
	var ages, timeline []time.Duration
	defer func() {
		if len(timeline) > 0 {
			t.Logf("max ingest age per second: %v", timeline)
		}
	}()
	for {
		u, err := sub.Next()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("honest subscriber: %v", err)
			}
			return ages
		}
		if u.IsEvent || time.Now().Before(from) {
			continue
		}
		ages = append(ages, time.Duration(u.IngestAgeNS))
		if os.Getenv("V2X_FLOOD_TIMELINE") != "" {
			sec := int(time.Since(from) / time.Second)
			for len(timeline) <= sec {
				timeline = append(timeline, 0)
			}
			timeline[sec] = max(timeline[sec], time.Duration(u.IngestAgeNS))
		}
	}
}

// sampleRSS keeps the highest VmRSS of this process in max, every 100 ms
// until ctx ends, and returns the process's CPU time in each second.
func sampleRSS(ctx context.Context, max *atomic.Uint64) []time.Duration {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var line []time.Duration
	start, last := time.Now(), cpuTime()
	for {
		if rss := vmRSS(); rss > max.Load() {
			max.Store(rss)
		}
		if time.Since(start) >= time.Duration(len(line)+1)*time.Second {
			c := cpuTime()
			line = append(line, (c - last).Round(time.Millisecond))
			last = c
		}
		select {
		case <-ctx.Done():
			return line
		case <-tick.C:
		}
	}
}

// ctxSwitches is this process's voluntary context switches so far: how
// often its threads slept waiting for something (a wakeup each).
func ctxSwitches() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Nvcsw
}

// cpuTime is this process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmRSS reads the resident set size of this process (bytes) from
// /proc/self/status; 0 where there is none.
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
