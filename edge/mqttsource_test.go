package edge

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	benchmqtt "github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/mqtt/mqtttest"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/mqttin"
	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/internal/debbin"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// mqttPublisher publishes to the broker at addr until the test ends:
// every payload of the current round, each 50 ms, so that whatever the
// node missed while it connected and subscribed comes again, as RSUs
// repeat theirs.
func mqttPublisher(t *testing.T, addr string) func(msgs ...[2]string) {
	t.Helper()
	pub, err := benchmqtt.Dial(addr, "openv2x-rsu", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	round := make(chan [][2]string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var cur [][2]string
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case cur = <-round:
			case <-tick.C:
			}
			for _, m := range cur {
				if err := pub.Publish(m[0], []byte(m[1])); err != nil {
					t.Errorf("publish %s: %v", m[0], err)
					return
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
	return func(msgs ...[2]string) { round <- msgs }
}

func readOpenV2X(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../v2x/openv2x/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMQTTOpenV2XThroughMosquitto is the MQTT ingest end to end with a
// real Mosquitto: OpenV2X's MAP (cerebrum's config/map.json) on
// V2X/RSU/+/MAP/UP gives the node its intersection and reference point;
// its SPAT/UP gives signal state; participants in the dawnline and the
// standard RSM JSON on RSM/UP/# and a CSAE 53 UPER BSM on a uper topic
// appear in the fused state a QUIC subscriber receives.
func TestMQTTOpenV2XThroughMosquitto(t *testing.T) {
	b := mqtttest.StartTest(t)
	n, opts := startNode(t, func(c *Config) {
		c.RefLat, c.RefLon = math.NaN(), math.NaN() // from the MAP
		c.MQTT.URL = "tcp://" + b.Addr
		c.MQTT.Topics = append(c.MQTT.Topics, "uper=rsu/+/uper")
		c.MQTT.ConnectRetry = time.Second
	})
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	publish := mqttPublisher(t, b.Addr)
	publish([2]string{"V2X/RSU/R328328/MAP/UP", readOpenV2X(t, "map.json")})
	const ix = 10<<16 | 19
	nextUntil(t, sub, 10*time.Second, func(u *client.Update) bool { return u.State.Intersection == ix })

	std := `{"id": "328328", "content": {"rsms": [{"participants": [{"ptcType": "pedestrian", "ptcId": 7, "source": 3,
		"pos": {"lat": 319350000, "lon": 1188220000}, "speed": 50, "heading": 7200, "size": {"width": 50, "length": 50}}]}]}}`
	bsmLat, bsmLon := 31.9346, 118.8210
	publish(
		[2]string{"V2X/RSU/R328328/MAP/UP", readOpenV2X(t, "map.json")},
		[2]string{"V2X/RSU/R328328/RSM/UP/DAWNLINE", readOpenV2X(t, "rsm_dawnline.json")},
		[2]string{"V2X/RSU/328328/RSM/UP", std},
		[2]string{"V2X/RSU/328328/SPAT/UP", `{"intersections": [{"intersectionId": {"region": 10, "id": 19}, "phases": [
			{"phaseId": 1, "phaseStates": {"light": "red"}}, {"phaseId": 2, "phaseStates": {"light": "protected-green"}}]}]}`},
		[2]string{"rsu/328328/uper", string(csaeBSMAt(t, bsmLat, bsmLon, 9))},
	)
	objectsNear(t, sub, [][2]float64{{31.935221261941393, 118.82304885831456}, {31.935, 118.822}, {bsmLat, bsmLon}})
	nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool {
		var red, green bool
		for _, s := range u.State.Signals {
			red = red || s.Phase == 1 && s.State == v2x.LightRed
			green = green || s.Phase == 2 && s.State == v2x.LightGreen
		}
		return red && green
	})
	// Counted once ingested, which may be after the state showed it.
	deadline := time.Now().Add(5 * time.Second)
	for _, k := range []mqttin.Kind{mqttin.KindRSM, mqttin.KindMap, mqttin.KindSPAT, mqttin.KindUPER} {
		for testutil.ToFloat64(n.mqtt.Counts.WithLabelValues(k.String(), mqttin.ResultOK)) < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("v2x_mqtt_messages_total{kind=%q,result=ok} stays 0", k)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestMQTTParticipantTracks: cerebrum's participant tracks sample (18
// tracks of RSU 100001, all at the same fake position) ingests as 18
// objects.
func TestMQTTParticipantTracks(t *testing.T) {
	b := mqtttest.StartTest(t)
	n, opts := startNode(t, func(c *Config) {
		c.RefLat, c.RefLon = 40.1234567, 116.1234567 // the sample's device position
		c.MQTT.URL = "tcp://" + b.Addr
		c.MQTT.Topics = []string{"rsm=edge/tracks"}
		c.MQTT.ConnectRetry = time.Second
	})
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	publish := mqttPublisher(t, b.Addr)
	publish([2]string{"edge/tracks", readOpenV2X(t, "participants_tracks.json")})
	nextUntil(t, sub, 10*time.Second, func(u *client.Update) bool {
		near := 0
		for _, o := range u.State.Objects {
			if math.Abs(o.Lat-40.1234567) < 1e-6 && math.Abs(o.Lon-116.1234565) < 1e-6 {
				near++
			}
		}
		return near == 18
	})
}

// TestMQTTIdentityAndRefusals: the identity's kinds hold for MQTT; what
// does not decode is counted malformed, not ingested.
func TestMQTTIdentityAndRefusals(t *testing.T) {
	b := mqtttest.StartTest(t)
	n, opts := startNode(t, func(c *Config) {
		c.MQTT.URL = "tcp://" + b.Addr
		c.MQTT.Identity = "v2x-edge:rsu-42?roles=producer&kinds=rsu,map"
		c.MQTT.ConnectRetry = time.Second
	})
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	lat, lon := refLat+0.0002, refLon+0.0001
	rsm := `[{"content": [{"ptcType": "motor", "ptcId": 3, "pos_lat": ` + ftoa(lat) + `, "pos_lon": ` + ftoa(lon) + `, "heading": 90, "speed": 5}]}]`
	publish := mqttPublisher(t, b.Addr)
	publish(
		[2]string{"V2X/RSU/1/RSM/UP", rsm},
		[2]string{"V2X/RSU/1/SPAT/UP", `{"intersections": [{"intersectionId": 1, "phases": [{"phaseId": 1, "phaseStates": {"light": "red"}}]}]}`},
		[2]string{"V2X/RSU/1/MAP/UP", `{"nodes": "not a list"}`},
	)
	objectsNear(t, sub, [][2]float64{{lat, lon}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		forbidden := testutil.ToFloat64(n.mqtt.Counts.WithLabelValues("spat", mqttin.ResultForbidden))
		malformed := testutil.ToFloat64(n.mqtt.Counts.WithLabelValues("map", mqttin.ResultMalformed))
		spatOK := testutil.ToFloat64(n.mqtt.Counts.WithLabelValues("spat", mqttin.ResultOK))
		if forbidden > 0 && malformed > 0 {
			if spatOK != 0 {
				t.Errorf("%v SPATs ingested from an identity without kind signal", spatOK)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spat forbidden %v, map malformed %v", forbidden, malformed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMQTTBrokerAbsentAtStart: the node starts while the broker is not there, keeps
// trying, and ingests once it comes (the broker on a port chosen before).
func TestMQTTBrokerAbsentAtStart(t *testing.T) {
	bin := mqtttest.Require(t)
	dir := t.TempDir()
	b, err := benchmqtt.StartMosquitto(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr
	b.Stop() // free the port: the node starts with no broker there
	n, opts := startNode(t, func(c *Config) {
		c.MQTT.URL = "tcp://" + addr
		c.MQTT.ConnectRetry = time.Second
	})
	if n.mqtt.IsConnected() {
		t.Fatal("connected with no broker")
	}
	b2, err := benchmqtt.StartMosquittoOn(bin, t.TempDir(), addr)
	if err != nil {
		t.Skipf("the broker's port was taken in between: %v", err)
	}
	t.Cleanup(b2.Stop)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	lat, lon := refLat-0.0002, refLon+0.0001
	publish := mqttPublisher(t, addr)
	publish([2]string{"V2X/RSU/1/RSM/UP/DAWNLINE", `[{"content": [{"ptcType": "motor", "ptcId": 4, "pos_lat": ` + ftoa(lat) + `, "pos_lon": ` + ftoa(lon) + `}]}]`})
	objectsNear(t, sub, [][2]float64{{lat, lon}})
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// TestMQTTReconnects: the broker goes away and comes back on the same
// port; the node reconnects, subscribes again and ingests, and counts
// the lost connection.
func TestMQTTReconnects(t *testing.T) {
	bin := mqtttest.Require(t)
	b, err := benchmqtt.StartMosquitto(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, opts := startNode(t, func(c *Config) {
		c.MQTT.URL = "tcp://" + b.Addr
		c.MQTT.ConnectRetry = time.Second
		c.MQTT.MaxReconnectInterval = 2 * time.Second
	})
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	rsm := func(id int, lat, lon float64) [2]string {
		return [2]string{"V2X/RSU/1/RSM/UP/DAWNLINE", `[{"content": [{"ptcType": "motor", "ptcId": ` + strconv.Itoa(id) +
			`, "pos_lat": ` + ftoa(lat) + `, "pos_lon": ` + ftoa(lon) + `}]}]`}
	}
	pub, err := benchmqtt.Dial(b.Addr, "rsu-before", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lat1, lon1 := refLat+0.0003, refLon
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(n.mqtt.Counts.WithLabelValues("rsm", mqttin.ResultOK)) == 0 {
		m := rsm(1, lat1, lon1)
		if err := pub.Publish(m[0], []byte(m[1])); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing ingested before the broker stopped")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pub.Close()
	addr := b.Addr
	b.Stop()
	b2, err := benchmqtt.StartMosquittoOn(bin, t.TempDir(), addr)
	if err != nil {
		t.Skipf("the broker's port was taken in between: %v", err)
	}
	t.Cleanup(b2.Stop)
	lat2, lon2 := refLat-0.0003, refLon
	mqttPublisher(t, addr)(rsm(2, lat2, lon2))
	objectsNear(t, sub, [][2]float64{{lat2, lon2}})
	if lost, conns := metricValue(t, n, "v2x_mqtt_connection_lost_total"), metricValue(t, n, "v2x_mqtt_connects_total"); lost < 1 || conns < 2 {
		t.Errorf("connection lost %v times, %v connections; want at least 1 and 2", lost, conns)
	}
}

// TestMQTTTLSAndPassword: the node reaches a broker over TLS, verifying it
// against -mqtt-ca, presenting -mqtt-cert (the broker requires one) and a
// user name and password from -mqtt-password-file; with a wrong password
// the broker refuses it and nothing is ingested.
func TestMQTTTLSAndPassword(t *testing.T) {
	bin := mqtttest.Require(t)
	passwd := debbinFind(t, "mosquitto_passwd")
	dir := t.TempDir()
	if _, err := devca.Ensure(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cert, key, err := devca.IssueFiles(dir, auth.Identity{Name: "edge-mqtt", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds},
		time.Now().Add(time.Hour), filepath.Join(dir, "client"))
	if err != nil {
		t.Fatal(err)
	}
	pwDB := filepath.Join(dir, "mosquitto.passwd")
	if out, err := exec.Command(passwd, "-c", "-b", pwDB, "edge", "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	l := &benchmqtt.SecureListener{CA: filepath.Join(dir, devca.CAFile), Cert: filepath.Join(dir, devca.CertFile),
		Key: filepath.Join(dir, devca.KeyFile), RequireCertificate: true, PasswordFile: pwDB}
	b, err := benchmqtt.StartMosquittoSecure(bin, t.TempDir(), l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	writePW := func(name, pw string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	node := func(pwFile string) (*Node, client.Options) {
		return startNode(t, func(c *Config) {
			c.MQTT.URL = "ssl://" + l.Addr
			c.MQTT.CA, c.MQTT.Cert, c.MQTT.Key = l.CA, cert, key
			c.MQTT.Username, c.MQTT.PasswordFile = "edge", pwFile
			c.MQTT.ConnectRetry = time.Second
		})
	}
	good, opts := node(writePW("good.pw", "s3cret"))
	bad, _ := node(writePW("bad.pw", "guess"))
	sub := subscribe(t, dial(t, good, opts), wire.Subscribe{})
	lat, lon := refLat+0.0001, refLon+0.0002
	mqttPublisher(t, b.Addr)([2]string{"V2X/RSU/1/RSM/UP", `{"content": {"rsms": [{"participants": [{"ptcType": "motor", "ptcId": 5, "pos": {"lat": ` +
		strconv.Itoa(int(math.Round(lat*1e7))) + `, "lon": ` + strconv.Itoa(int(math.Round(lon*1e7))) + `}}]}]}}`})
	objectsNear(t, sub, [][2]float64{{lat, lon}})
	if bad.mqtt.IsConnected() || testutil.ToFloat64(bad.mqtt.Counts.WithLabelValues("rsm", mqttin.ResultOK)) != 0 {
		t.Error("the node with the wrong password is connected or ingested")
	}
}

// debbinFind returns the path of a Debian package's binary, or fails
// the test (the package that has it is installed by Require).
func debbinFind(t *testing.T, name string) string {
	t.Helper()
	p := debbin.Find(name)
	if p == "" {
		t.Fatalf("%s not found (it comes with Debian's mosquitto package)", name)
	}
	return p
}

// TestMQTTRecorded: with -record, every MQTT message is recorded as
// received on /v2x/mqtt, a channel per topic name with its kind.
func TestMQTTRecorded(t *testing.T) {
	b := mqtttest.StartTest(t)
	dir := t.TempDir()
	n, opts := startNode(t, func(c *Config) {
		c.RecordDir = dir
		c.MQTT.URL = "tcp://" + b.Addr
		c.MQTT.ConnectRetry = time.Second
	})
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	lat, lon := refLat+0.0001, refLon-0.0001
	payload := `[{"content": [{"ptcType": "pedestrian", "ptcId": 8, "pos_lat": ` + ftoa(lat) + `, "pos_lon": ` + ftoa(lon) + `}]}]`
	mqttPublisher(t, b.Addr)([2]string{"V2X/RSU/9/RSM/UP/DAWNLINE", payload})
	objectsNear(t, sub, [][2]float64{{lat, lon}})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.mcap"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	info, err := mcap.NewScanner(bytes.NewReader(data)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
		if c.Topic != "/v2x/mqtt" {
			return nil
		}
		if c.Metadata["topic"] != "V2X/RSU/9/RSM/UP/DAWNLINE" || c.Metadata["kind"] != "rsm" || c.Metadata["url"] != "tcp://"+b.Addr ||
			string(m.Data) != payload || m.LogTime == 0 || m.PublishTime != m.LogTime {
			t.Errorf("recorded %q at %d/%d on channel %v", m.Data, m.LogTime, m.PublishTime, c.Metadata)
		}
		got++
		return nil
	})
	if err != nil || !info.Complete {
		t.Fatalf("scan: %+v %v", info, err)
	}
	if got == 0 {
		t.Error("no MQTT message recorded")
	}
}
