package edge

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestServesStateDict: a client that has only the spec fetches the zstd
// dictionary of Update bodies from the node's HTTP listener.
func TestServesStateDict(t *testing.T) {
	n, _ := startNode(t, nil)
	resp, err := http.Get("http://" + n.HTTPAddr() + "/statedict.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, wire.StateDict) {
		t.Fatalf("GET /statedict.bin: %s, %d bytes, want 200 and the %d bytes of wire.StateDict", resp.Status, len(got), len(wire.StateDict))
	}
}

// TestUncompressedSubscriber: on a node compressing with zstd, a packed
// subscriber with SubUncompressed gets every Update (keyframes and deltas)
// with compression none, while one without it, with the same view, still
// gets zstd: the two do not share encodings.
func TestUncompressedSubscriber(t *testing.T) {
	n, opts := startNode(t, func(c *Config) {
		c.Compression = "zstd"
		c.KeyframeInterval = 300 * time.Millisecond
		c.PublishTick = 10 * time.Millisecond
	})
	c := dial(t, n, opts)
	p, err := c.OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driveBSMs(t, ctx, p, 10, 20*time.Millisecond)

	open := func(flags uint32) *wire.Reader {
		st, err := dial(t, n, opts).QUIC().OpenStreamSync(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st.SetReadDeadline(time.Now().Add(10 * time.Second))
		h := wire.Header{Type: wire.TypeSubscribe}
		sub := wire.Subscribe{Flags: wire.SubPacked | wire.SubNoDatagram | flags}
		if err := wire.NewWriter(st).WriteFrame(&h, 0, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) }); err != nil {
			t.Fatal(err)
		}
		return wire.NewReader(st, 0)
	}
	for _, tc := range []struct {
		name  string
		flags uint32
		want  wire.Compression
	}{{"uncompressed", wire.SubUncompressed, wire.CompressNone}, {"node's choice", 0, wire.CompressZstd}} {
		r := open(tc.flags)
		var keys, deltas int
		for keys < 2 || deltas < 2 {
			h, pl, err := r.Next()
			if err != nil {
				t.Fatalf("%s: %d keyframes, %d deltas: %v", tc.name, keys, deltas, err)
			}
			if h.Type != wire.TypeUpdate {
				continue
			}
			var u wire.Update
			body, err := wire.DecodeUpdate(pl, &u)
			if err != nil {
				t.Fatal(err)
			}
			key := u.Flags&wire.UpdateKeyframe != 0
			// A delta may go uncompressed whatever the node's compression,
			// while deltas do not compress (compressgate.go, protocol §5.12);
			// keyframes always have it.
			if u.Compression != tc.want && (key || u.Compression != wire.CompressNone) {
				t.Fatalf("%s: update %d (keyframe %v) compressed with %s, want %s", tc.name, h.Seq, key, u.Compression, tc.want)
			}
			if u.Compression == wire.CompressNone && len(body) != int(u.RawLen) {
				t.Fatalf("%s: body of %d bytes with raw length %d", tc.name, len(body), u.RawLen)
			}
			if key {
				keys++
			} else {
				deltas++
			}
		}
	}
}
