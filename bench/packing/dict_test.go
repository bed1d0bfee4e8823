package packing

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

var update = flag.Bool("update", false, "retrain v2x/wire/statedict.bin")

const dictPath = "../../v2x/wire/statedict.bin"

// trainingSet is what the dictionary is trained on: seeds 1..3, default
// and dense traffic, 20 s each at 10 Hz after a warm-up. Evaluation
// (the benchmark) uses seed 7, which training never saw.
func trainingSet(t testing.TB) [][]byte {
	var samples [][]byte
	for _, cfg := range []sim.Config{{Seed: 1}, {Seed: 2}, {Seed: 3, Dense: true}} {
		cfg.SetDefaults()
		states, err := States(cfg, 60*time.Second, 20*time.Second, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		keys, deltas := Bodies(states, 10)
		samples = append(samples, keys...)
		samples = append(samples, deltas...)
	}
	return samples
}

// TestStateDict retrains the dictionary with -update. Training is not
// bit-for-bit repeatable (the trainer's output varies by a few bytes from
// run to run), so without -update the test checks what matters: the
// committed dictionary is the one wire embeds, and on states from a seed
// that training never saw, zstd with it beats zstd without it and S2.
func TestStateDict(t *testing.T) {
	if testing.Short() {
		t.Skip("trains or evaluates a dictionary; skipped with -short")
	}
	if *update {
		d, err := dict.BuildZstdDict(trainingSet(t), dict.Options{MaxDictSize: 16 << 10, HashBytes: 6, ZstdDictID: 0x7632_7865, ZstdLevel: zstd.SpeedFastest})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dictPath, d, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes); rebuild to embed it", dictPath, len(d))
		return
	}
	have, err := os.ReadFile(dictPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wire.StateDict, have) {
		t.Fatal("wire.StateDict differs from the file")
	}
	keys, deltas := evalBodies(t)
	plain, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct {
		name   string
		bodies [][]byte
	}{{"keyframes", keys}, {"deltas", deltas}} {
		var raw, withDict, noDict, s2n int
		for _, b := range set.bodies {
			raw += len(b)
			z, err := wire.AppendCompressed(nil, b, wire.CompressZstd)
			if err != nil {
				t.Fatal(err)
			}
			withDict += len(z)
			noDict += len(plain.EncodeAll(b, nil))
			s, _ := wire.AppendCompressed(nil, b, wire.CompressS2)
			s2n += len(s)
		}
		t.Logf("%s: raw %d, zstd+dict %d, zstd %d, s2 %d bytes", set.name, raw, withDict, noDict, s2n)
		if withDict >= noDict || withDict >= s2n {
			t.Errorf("%s: zstd with the dictionary (%d bytes) does not beat zstd without it (%d) and s2 (%d)", set.name, withDict, noDict, s2n)
		}
	}
}

// evalBodies are bodies from seed 7, which training never saw.
func evalBodies(t testing.TB) (keys, deltas [][]byte) {
	states, err := States(evalConfig(), 60*time.Second, 10*time.Second, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return Bodies(states, 10)
}

func evalConfig() sim.Config {
	cfg := sim.Config{Seed: 7}
	cfg.SetDefaults()
	return cfg
}
