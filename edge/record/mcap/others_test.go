package mcap

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestReadersOthersWrote reads files this package wrote with @mcap/core
// (the MCAP project's TypeScript library, pinned in testdata/js's
// lockfile): through the index and from start to end, with CRCs checked.
// `make test` installs it (npm ci); without Node.js or the install, the
// test skips saying so.
func TestReadersOthersWrote(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: @mcap/core cannot be run")
	}
	if _, err := os.Stat("testdata/js/node_modules/@mcap/core"); err != nil {
		t.Skip("@mcap/core not installed: run `npm ci --prefix edge/record/mcap/testdata/js` (make test does)")
	}
	for _, comp := range []string{CompressionZstd, "none"} {
		t.Run("compression="+comp, func(t *testing.T) {
			b, want := sample(t, comp, 3000, 400)
			file := filepath.Join(t.TempDir(), "sample.mcap")
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(node, "testdata/js/check.mjs", file).Output()
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					t.Fatalf("@mcap/core: %v\n%s", err, ee.Stderr)
				}
				t.Fatal(err)
			}
			type msg struct {
				Channel uint16 `json:"channel"`
				Seq     uint32 `json:"seq"`
				Log     string `json:"log"`
				Pub     string `json:"pub"`
				Data    string `json:"data"`
			}
			var got struct {
				Library      string `json:"library"`
				Chunks       int    `json:"chunks"`
				MessageCount string `json:"message_count"`
				Channels     map[string]struct {
					Topic    string            `json:"topic"`
					Encoding string            `json:"encoding"`
					Schema   uint16            `json:"schema"`
					Metadata map[string]string `json:"metadata"`
				} `json:"channels"`
				ViaIndex   []msg `json:"via_index"`
				ViaStream  []msg `json:"via_stream"`
				StreamDone bool  `json:"stream_done"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got.Library != "v2x-edge" || got.MessageCount != strconv.Itoa(len(want)) || got.Chunks < 2 || !got.StreamDone {
				t.Errorf("library %q, message_count %s, chunks %d, stream done %v", got.Library, got.MessageCount, got.Chunks, got.StreamDone)
			}
			if c := got.Channels["2"]; c.Topic != "/ingest" || c.Encoding != "v2x-native" || c.Schema != 0 || c.Metadata["i"] != "2" {
				t.Errorf("channel 2 as read: %+v", c)
			}
			if c := got.Channels["0"]; c.Topic != "/state" || c.Encoding != "json" || c.Schema != 1 {
				t.Errorf("channel 0 as read: %+v", c)
			}
			for name, ms := range map[string][]msg{"index": got.ViaIndex, "stream": got.ViaStream} {
				if len(ms) != len(want) {
					t.Fatalf("via %s: %d messages, want %d", name, len(ms), len(want))
				}
				for i, w := range want {
					m := ms[i]
					if m.Channel != w.ChannelID || m.Seq != w.Sequence || m.Log != strconv.FormatUint(w.LogTime, 10) ||
						m.Pub != strconv.FormatUint(w.PublishTime, 10) || m.Data != base64.StdEncoding.EncodeToString(w.Data) {
						t.Fatalf("via %s: message %d %+v, want %+v", name, i, m, w)
					}
				}
			}
		})
	}
}
