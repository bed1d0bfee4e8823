package edge

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestFoxgloveWithTheirClient connects the Foxglove project's client
// (@foxglove/ws-protocol, pinned in testdata/foxglove) to a node fed by the
// simulator: channels advertised with their schemas, the MAP's lanes, the
// reference point, signal heads, and SceneUpdates whose object count is the
// count in the state of the same time. `make test` installs the client (npm
// ci); without Node.js or the install the test skips saying so (not in CI).
func TestFoxgloveWithTheirClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node not found in CI")
		}
		t.Skip("node not found: @foxglove/ws-protocol cannot be run")
	}
	if _, err := os.Stat("testdata/foxglove/node_modules/@foxglove/ws-protocol"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("@foxglove/ws-protocol not installed in CI: make js-deps installs it")
		}
		t.Skip("@foxglove/ws-protocol not installed: run `npm ci --prefix edge/testdata/foxglove` (make test does)")
	}
	n, _ := startDemoNode(t, func(c *Config) { c.Foxglove = "127.0.0.1:0" })
	time.Sleep(500 * time.Millisecond) // the MAP and the first objects
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "testdata/foxglove/check.mjs", "ws://"+n.FoxgloveAddr(), "15").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("check.mjs: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct {
		ServerInfo struct {
			Name string `json:"name"`
		} `json:"serverInfo"`
		Channels []struct {
			ID          int    `json:"id"`
			Topic       string `json:"topic"`
			Encoding    string `json:"encoding"`
			SchemaName  string `json:"schemaName"`
			SchemaTitle string `json:"schemaTitle"`
		} `json:"channels"`
		Objects []struct {
			TS        string   `json:"ts"`
			Entities  int      `json:"entities"`
			Deletions int      `json:"deletions"`
			Cubes     int      `json:"cubes"`
			Seqs      []string `json:"seqs"`
			Texts     []string `json:"texts"`
		} `json:"objects"`
		States []struct {
			TS      string `json:"ts"`
			Seq     string `json:"seq"`
			Objects int    `json:"objects"`
			Signals int    `json:"signals"`
		} `json:"states"`
		Lanes *struct {
			Entities int `json:"entities"`
			Points   int `json:"points"`
		} `json:"lanes"`
		Signals []struct {
			Entities int      `json:"entities"`
			States   []string `json:"states"`
		} `json:"signals"`
		Reference *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
		} `json:"reference"`
		Errors    []string          `json:"errors"`
		Validated int               `json:"validated"`
		Invalid   []json.RawMessage `json:"invalid"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Errors) > 0 || got.ServerInfo.Name != "v2x-edge" {
		t.Fatalf("errors %q, server %q", got.Errors, got.ServerInfo.Name)
	}
	// Checked by the client against @foxglove/schemas' JSON Schemas.
	if len(got.Invalid) > 0 || got.Validated < 2*15 {
		t.Errorf("%d messages checked against Foxglove's schemas; invalid: %s", got.Validated, got.Invalid)
	}
	want := map[string]string{"/v2x/lanes": "foxglove.SceneUpdate", "/v2x/objects": "foxglove.SceneUpdate", "/v2x/signals": "foxglove.SceneUpdate",
		"/v2x/reference": "foxglove.LocationFix", "/v2x/state": "v2x.State"}
	for _, c := range got.Channels {
		if want[c.Topic] != c.SchemaName || c.SchemaTitle != c.SchemaName || c.Encoding != "json" {
			t.Errorf("channel %+v", c)
		}
		delete(want, c.Topic)
	}
	if len(want) > 0 {
		t.Errorf("channels not advertised: %v", want)
	}
	ms, err := newDemoSim()
	if err != nil {
		t.Fatal(err)
	}
	mp := ms.Map()
	if got.Lanes == nil || got.Lanes.Entities != len(mp.Lanes) {
		t.Errorf("lanes %+v, the MAP has %d", got.Lanes, len(mp.Lanes))
	}
	if r := got.Reference; r == nil || math.Abs(r.Latitude-refLat) > 1e-9 || math.Abs(r.Longitude-refLon) > 1e-9 {
		t.Errorf("reference %+v", r)
	}
	lit := 0
	for _, s := range got.Signals {
		lit += s.Entities
	}
	if lit == 0 {
		t.Errorf("no signal head in %d signal updates", len(got.Signals))
	}
	// Each SceneUpdate of objects against the state of the same time.
	states := map[string]int{}
	for _, s := range got.States {
		states[s.TS] = s.Objects
	}
	pairs, nonEmpty := 0, 0
	for _, o := range got.Objects {
		if o.Deletions != 1 || o.Cubes != o.Entities || len(o.Seqs) > 1 {
			t.Errorf("objects update %+v", o)
		}
		k, ok := states[o.TS]
		if !ok {
			continue
		}
		pairs++
		if o.Entities != k {
			t.Errorf("state at %s: %d objects, its SceneUpdate %d entities", o.TS, k, o.Entities)
		}
		if k > 0 {
			nonEmpty++
		}
	}
	t.Logf("%d object updates, %d states, %d paired, %d with objects; lanes %+v; e.g. %q", len(got.Objects), len(got.States), pairs, nonEmpty, got.Lanes, got.Objects[len(got.Objects)-1].Texts)
	if pairs < 10 || nonEmpty < 10 {
		t.Errorf("%d SceneUpdates paired with a state, %d of them with objects", pairs, nonEmpty)
	}
}

// TestFoxgloveNeedsSubprotocol: a WebSocket client that does not offer
// foxglove.websocket.v1 is closed with a reason.
func TestFoxgloveNeedsSubprotocol(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.Foxglove = "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+n.FoxgloveAddr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("read without the subprotocol: %v", err)
	}
}

// TestFoxgloveNodeShutdown: a node with a Foxglove client that stopped
// reading shuts down at once.
func TestFoxgloveNodeShutdown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir, cfg.Foxglove = "127.0.0.1:0", "", t.TempDir(), "127.0.0.1:0"
	cfg.RefLat, cfg.RefLon = refLat, refLon
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+n.FoxgloveAddr(), &websocket.DialOptions{Subprotocols: []string{foxSubprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, b, err := c.Read(ctx); err != nil || !json.Valid(b) {
		t.Fatalf("server info: %v %s", err, b)
	}
	if got := n.live.n.Load(); got != 1 {
		t.Errorf("%d viewers, want 1", got)
	}
	t0 := time.Now()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("close took %v with a Foxglove client open", d)
	}
}

// TestFoxgloveFilters: the connection's query selects objects as /live's
// does; a malformed one is refused before the upgrade.
func TestFoxgloveFilters(t *testing.T) {
	n, _ := startDemoNode(t, func(c *Config) { c.Foxglove = "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, "ws://"+n.FoxgloveAddr()+"/?classes=tank", &websocket.DialOptions{Subprotocols: []string{foxSubprotocol}}); err == nil || resp == nil || resp.StatusCode != 400 {
		t.Errorf("classes=tank: %v", err)
	}
	c, _, err := websocket.Dial(ctx, "ws://"+n.FoxgloveAddr()+"/?classes=car&radius=60", &websocket.DialOptions{Subprotocols: []string{foxSubprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	sub := `{"op":"subscribe","subscriptions":[{"id":7,"channelId":` + strconv.Itoa(foxObjects) + `},{"id":9,"channelId":` + strconv.Itoa(foxState) + `}]}`
	if err := c.Write(ctx, websocket.MessageText, []byte(sub)); err != nil {
		t.Fatal(err)
	}
	objects, cars := 0, 0
	for objects < 10 {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d object updates: %v", objects, err)
		}
		if typ != websocket.MessageBinary || b[0] != 1 {
			continue
		}
		id, payload := binary.LittleEndian.Uint32(b[1:]), b[13:]
		switch id {
		case 7:
			var u struct {
				Entities []struct {
					Metadata []struct{ Key, Value string } `json:"metadata"`
					Cubes    []struct {
						Pose struct{ Position struct{ X, Y float64 } } `json:"pose"`
					} `json:"cubes"`
				} `json:"entities"`
			}
			if err := json.Unmarshal(payload, &u); err != nil {
				t.Fatal(err)
			}
			objects++
			for _, e := range u.Entities {
				cars++
				p := e.Cubes[0].Pose.Position
				if e.Metadata[1].Key != "class" || e.Metadata[1].Value != "car" || math.Hypot(p.X, p.Y) > 60.01 {
					t.Fatalf("entity %+v at %v,%v passed classes=car&radius=60", e.Metadata, p.X, p.Y)
				}
			}
		case 9:
			var st struct {
				Objects []struct {
					Class string `json:"class"`
				} `json:"objects"`
			}
			if err := json.Unmarshal(payload, &st); err != nil {
				t.Fatal(err)
			}
			for _, o := range st.Objects {
				if o.Class != "car" {
					t.Fatalf("state object %+v passed classes=car", o)
				}
			}
		default:
			t.Fatalf("message for subscription %d", id)
		}
	}
	if cars == 0 {
		t.Error("no car in 10 updates of the demo")
	}
}
