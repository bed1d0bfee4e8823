package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// TestFlagsCheckedBeforeDialling: a bad flag is reported at once, naming
// it, not after a dial to an address where nothing answers.
func TestFlagsCheckedBeforeDialling(t *testing.T) {
	dir := t.TempDir()
	if _, err := devca.Ensure(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String() // bound, never answers
	defer c.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-encoding", "asn1"}, "-encoding"},
		{[]string{"-reorder", "1.5"}, "-reorder"},
		{[]string{"-camera-noise", "pink"}, "-camera-noise"},
		{[]string{"-duration", "-1s"}, "-duration"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-attack", "dos"}, "-attack"},
		{[]string{"-attack", "ghost", "-attack-cert", "a.pem"}, "-attack-key"},
		{[]string{"-attack", "ghost", "-attack-key", "a-key.pem"}, "-attack-cert"},
		{[]string{"-attack-cert", "a.pem", "-attack-key", "a-key.pem"}, "-attack"},
		{[]string{"-attack", "ghost", "-attack-cert", "missing.pem", "-attack-key", "missing-key.pem"}, "-attack-cert"},
		{[]string{"-sweep", "-1", "-duration", "1s"}, "-sweep"},
		{[]string{"-sweep", "3"}, "-duration"},
		{[]string{"-sweep", "3", "-duration", "1s", "-attack", "ghost"}, "-attack"},
		{[]string{"-sweep", "3", "-duration", "1s", "-truth", "t.json"}, "-truth"},
		{[]string{"-corridor", "3", "-spacing", "100m"}, "spacing"},
		{[]string{"-corridor", "3", "-spacing", "fast"}, "-spacing"},
		{[]string{"-corridor", "17"}, "corridor of 17"},
		{[]string{"-corridor", "3", "-attack", "ghost"}, "-corridor"},
		{[]string{"-corridor", "2", "-edge", "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"}, "-edge"},
	} {
		begin := time.Now()
		err := run(append([]string{"-edge", addr, "-ca", filepath.Join(dir, devca.CAFile)}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error naming %s", c.args, err, c.want)
		}
		if took := time.Since(begin); took > time.Second {
			t.Errorf("%q: took %v: it dialled first", c.args, took)
		}
	}
}

// TestIdentityCheckedBeforeDialling: the identity must be a producer, and
// for -evaluate also a subscriber; with no -cert and no lab identity next
// to -ca, it says how to get one.
func TestIdentityCheckedBeforeDialling(t *testing.T) {
	dir := t.TempDir()
	if _, err := devca.Ensure(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ids := t.TempDir()
	prodCert, prodKey, err := devca.IssueFiles(dir, auth.Identity{Name: "cam", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds}, time.Now().Add(time.Hour), ids)
	if err != nil {
		t.Fatal(err)
	}
	subCert, subKey, err := devca.IssueFiles(dir, auth.Identity{Name: "viewer", Roles: auth.Roles(auth.RoleSubscriber)}, time.Now().Add(time.Hour), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "v2x-edge cert issue"},
		{[]string{"-cert", subCert, "-key", subKey}, "not a producer"},
		{[]string{"-cert", prodCert, "-key", prodKey, "-evaluate"}, "-evaluate needs an identity with both producer and subscriber"},
		{[]string{"-cert", prodCert}, "-cert and -key"},
	} {
		err := run(append([]string{"-edge", "127.0.0.1:9", "-ca", filepath.Join(dir, devca.CAFile)}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

// TestSummarize: the summary of a sweep's lines, by hand.
func TestSummarize(t *testing.T) {
	rs := []eval.Result{
		{Seed: 5, MOTA: 0.97, BestSingleTracked: "camera-1", RMSERatioTracked: 0.6, Frames: 280, FusionFloor: 0.75},
		{Seed: 6, MOTA: 0.93, BestSingleTracked: "camera-2", RMSERatioTracked: 0.8, FalseFindings: 2, Frames: 279, FusionFloor: 0.79},
		{Seed: 7, MOTA: 0.99, Frames: 105, FusionFloor: 0.72},
		{Seed: 8, MOTA: 0.95, BestSingleTracked: "camera-1", RMSERatioTracked: 0.7, Frames: 281, FusionFloor: 0.76},
	}
	got := summarize(rs)
	want := SweepSummary{Seeds: 4, MinMOTA: 0.93, MedianMOTA: 0.96, MeanMOTA: 0.96, WorstSeed: 6,
		MaxRMSERatioTracked: 0.8, WorstRatioSeed: 6, SeedsWithoutRatio: 1, FalseFindings: 2, RunsWithFalseFindings: 1,
		MedianRMSERatioTracked: 0.7, MedianFusionFloor: 0.755, MaxFusionFloor: 0.79, MinFrames: 105, MinFramesSeed: 7}
	if got != want {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
}
