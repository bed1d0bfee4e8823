package edge

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// issue gives a client the identity named by uri ("v2x-edge:NAME?..."),
// signed by the node's development CA and valid until notAfter.
func issue(t *testing.T, n *Node, uri string, notAfter time.Time) client.Options {
	t.Helper()
	u, err := auth.ParseURIString(uri)
	if err != nil {
		t.Fatal(err)
	}
	cf, kf, err := devca.IssueFiles(n.cfg.DataDir, u, notAfter, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return client.Options{CAFile: filepath.Join(n.cfg.DataDir, devca.CAFile), CertFile: cf, KeyFile: kf}
}

// signRaw signs tmpl with the CA in dir (for certificates devca would
// not issue) and returns it as a client certificate.
func signRaw(t *testing.T, dir string, tmpl *x509.Certificate) *tls.Certificate {
	t.Helper()
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, devca.CAFile), filepath.Join(dir, devca.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// refused dials with opts and checks that the node refuses the client:
// the dial fails, or the connection is closed right after with a TLS
// error, and the refusal is counted under reason.
func refused(t *testing.T, n *Node, opts client.Options, reason int) {
	t.Helper()
	before := testutil.ToFloat64(n.m.auth.handshakeFailures[reason])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, n.Addr().String(), opts)
	if err == nil {
		defer c.Close()
		// TLS 1.3: the client is done before the node has checked its
		// certificate; the node's alert closes the connection.
		select {
		case <-c.QUIC().Context().Done():
			err = context.Cause(c.QUIC().Context())
		case <-ctx.Done():
			t.Fatalf("%s: the node kept the connection", handshakeReasonNames[reason])
		}
	}
	var te *quic.TransportError
	if !errors.As(err, &te) || !te.ErrorCode.IsCryptoError() {
		t.Errorf("%s: refused with %v, want a TLS alert", handshakeReasonNames[reason], err)
	}
	if got := testutil.ToFloat64(n.m.auth.handshakeFailures[reason]); got != before+1 {
		t.Errorf("v2x_handshake_failures_total{reason=%q} went from %v to %v, want +1", handshakeReasonNames[reason], before, got)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	n, opts := startNode(t, nil)
	ca := filepath.Join(n.cfg.DataDir, devca.CAFile)

	t.Run("no certificate", func(t *testing.T) {
		refused(t, n, client.Options{CAFile: ca}, hsNoCertificate)
	})
	t.Run("unknown CA", func(t *testing.T) {
		other := t.TempDir()
		cf, kf, err := devca.IssueFiles(other, auth.Identity{Name: "intruder", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds},
			time.Now().Add(time.Hour), other)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, n, client.Options{CAFile: ca, CertFile: cf, KeyFile: kf}, hsUnknownCA)
	})
	t.Run("expired", func(t *testing.T) {
		refused(t, n, issue(t, n, "v2x-edge:old?roles=producer&kinds=vehicle", time.Now().Add(-time.Minute)), hsExpired)
	})
	t.Run("no identity", func(t *testing.T) {
		cert := signRaw(t, n.cfg.DataDir, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "anonymous"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		refused(t, n, client.Options{CAFile: ca, Certificate: cert}, hsNoIdentity)
	})
	t.Run("server certificate as client", func(t *testing.T) {
		// The node's own certificate is signed by the CA but is not for
		// client authentication.
		cf, kf := filepath.Join(n.cfg.DataDir, devca.CertFile), filepath.Join(n.cfg.DataDir, devca.KeyFile)
		refused(t, n, client.Options{CAFile: ca, CertFile: cf, KeyFile: kf}, hsBadCertificate)
	})
	// And the lab identity still gets in.
	subscribe(t, dial(t, n, opts), wire.Subscribe{})
}

// sendAndWait sends one frame and returns the node's Error frame for it,
// or nil when none comes within 2 s.
func sendAndWait(t *testing.T, p *client.Producer, send func() error) *wire.ErrorFrame {
	t.Helper()
	if err := send(); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-p.Errors():
		return e
	case <-time.After(2 * time.Second):
		return nil
	}
}

func TestRolesAndKindsEnforced(t *testing.T) {
	n, _ := startNode(t, nil)
	camera := issue(t, n, "v2x-edge:cam-1?roles=producer&kinds=camera", time.Now().Add(time.Hour))
	subscriber := issue(t, n, "v2x-edge:viewer?roles=subscriber", time.Now().Add(time.Hour))
	vehicle := issue(t, n, "v2x-edge:obu-7?roles=producer&kinds=vehicle", time.Now().Add(time.Hour))
	// A controller and a MAP server responsible for intersections 7 and 9 only.
	controller := issue(t, n, "v2x-edge:ctl-7?roles=producer&kinds=signal&intersections=7,9", time.Now().Add(time.Hour))
	mapServer := issue(t, n, "v2x-edge:maps-7?roles=producer&kinds=map&intersections=7", time.Now().Add(time.Hour))

	b := bsmAt(1, 10, 0)
	spat := v2x.SPAT{IntersectionID: 7, Phases: []v2x.Phase{{ID: 1, State: v2x.LightGreen, Start: -1000, MinEnd: 4000, LikelyEnd: 5000, MaxEnd: 9000, Confidence: 90}}}
	mapMsg := v2x.Map{IntersectionID: 7, RefLat: refLat, RefLon: refLon}
	spat8 := spat
	spat8.IntersectionID = 8
	map8 := v2x.Map{IntersectionID: 8, RefLat: refLat, RefLon: refLon}
	sensor := v2x.SensorInfo{SensorID: 2, Lat: refLat, Lon: refLon, Heading: 45, Opening: 90, Range: 80}
	objs := v2x.ObjectList{SensorID: 2, Objects: []v2x.DetectedObject{{LocalID: 3, Class: v2x.ClassCar, Lat: refLat, Lon: refLon, Length: 4, Width: 2, Confidence: 90}}}

	for _, c := range []struct {
		name    string
		opts    client.Options
		send    func(p *client.Producer) error
		kind    auth.Kind
		allowed bool
	}{
		{"subscriber sends a BSM", subscriber, func(p *client.Producer) error { return p.SendBSM(1, clock.Now(), &b) }, auth.KindVehicle, false},
		{"camera sends SPAT", camera, func(p *client.Producer) error { return p.SendSPAT(2, clock.Now(), &spat) }, auth.KindSignal, false},
		{"camera sends a BSM", camera, func(p *client.Producer) error { return p.SendBSM(2, clock.Now(), &b) }, auth.KindVehicle, false},
		{"vehicle sends MAP", vehicle, func(p *client.Producer) error { return p.SendMap(3, clock.Now(), &mapMsg) }, auth.KindMap, false},
		{"camera sends objects", camera, func(p *client.Producer) error { return p.SendObjects(2, clock.Now(), &objs) }, auth.KindCamera, true},
		{"vehicle declares a camera's area", vehicle, func(p *client.Producer) error { return p.SendSensorInfo(3, clock.Now(), &sensor) }, auth.KindCamera, false},
		{"camera declares its area", camera, func(p *client.Producer) error { return p.SendSensorInfo(2, clock.Now(), &sensor) }, auth.KindCamera, true},
		{"vehicle sends a BSM", vehicle, func(p *client.Producer) error { return p.SendBSM(3, clock.Now(), &b) }, auth.KindVehicle, true},
		{"controller sends SPAT of its intersection", controller, func(p *client.Producer) error { return p.SendSPAT(4, clock.Now(), &spat) }, auth.KindSignal, true},
		{"controller sends SPAT of another intersection", controller, func(p *client.Producer) error { return p.SendSPAT(4, clock.Now(), &spat8) }, auth.KindSignal, false},
		{"map server sends MAP of another intersection", mapServer, func(p *client.Producer) error { return p.SendMap(5, clock.Now(), &map8) }, auth.KindMap, false},
		{"map server sends MAP of its intersection", mapServer, func(p *client.Producer) error { return p.SendMap(5, clock.Now(), &mapMsg) }, auth.KindMap, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			idx := 0
			for i := 0; i < 5; i++ {
				if c.kind == auth.Kind(1<<i) {
					idx = i
				}
			}
			before := testutil.ToFloat64(n.m.auth.forbidden[idx])
			rejBefore := testutil.ToFloat64(n.m.rejectedByCode[wire.CodeForbidden])
			p, err := dial(t, n, c.opts).OpenProducer(context.Background(), clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			e := sendAndWait(t, p, func() error { return c.send(p) })
			if c.allowed {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				return
			}
			if e == nil || e.Code != wire.CodeForbidden {
				t.Fatalf("answer %v, want forbidden", e)
			}
			if got := testutil.ToFloat64(n.m.auth.forbidden[idx]); got != before+1 {
				t.Errorf("v2x_forbidden_total{kind=%q} %v -> %v", c.kind, before, got)
			}
			if got := testutil.ToFloat64(n.m.rejectedByCode[wire.CodeForbidden]); got != rejBefore+1 {
				t.Errorf("v2x_frames_rejected_total{reason=\"forbidden\"} %v -> %v", rejBefore, got)
			}
		})
	}

	t.Run("producer subscribes", func(t *testing.T) {
		before := testutil.ToFloat64(n.m.auth.forbidden[numForbidLabels-1])
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := dial(t, n, camera).Subscribe(ctx, wire.Subscribe{})
		if err == nil {
			defer s.Close()
			stop := s.WaitContext(ctx)
			_, err = s.Next()
			stop()
		}
		if !errors.Is(err, client.ErrRejected) || !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("subscribe as a camera: %v, want rejected as forbidden", err)
		}
		if got := testutil.ToFloat64(n.m.auth.forbidden[numForbidLabels-1]); got != before+1 {
			t.Errorf("v2x_forbidden_total{kind=\"subscribe\"} %v -> %v", before, got)
		}
	})
}

func TestRevocationClosesAndRefuses(t *testing.T) {
	list := filepath.Join(t.TempDir(), "revoked.txt")
	if err := os.WriteFile(list, []byte("# nobody yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, _ := startNode(t, func(c *Config) { c.Revoked = list })
	badCar := issue(t, n, "v2x-edge:bad-car?roles=producer&kinds=vehicle", time.Now().Add(time.Hour))
	goodCar := issue(t, n, "v2x-edge:good-car?roles=producer&kinds=vehicle", time.Now().Add(time.Hour))
	bad, good := dial(t, n, badCar), dial(t, n, goodCar)
	if _, err := bad.OpenProducer(context.Background(), clock.Now); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte("bad-car # stolen OBU\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadCredentials(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-bad.QUIC().Context().Done():
		var ae *quic.ApplicationError
		if err := context.Cause(bad.QUIC().Context()); !errors.As(err, &ae) || ae.ErrorCode != wire.ConnErrRevoked {
			t.Errorf("revoked connection closed with %v, want application error %#x", err, wire.ConnErrRevoked)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the revoked identity's connection is still open")
	}
	if err := good.QUIC().Context().Err(); err != nil {
		t.Errorf("the other identity's connection was closed: %v", context.Cause(good.QUIC().Context()))
	}
	if got := testutil.ToFloat64(n.m.auth.revokedClosed); got != 1 {
		t.Errorf("v2x_revoked_connections_closed_total %v, want 1", got)
	}
	refused(t, n, badCar, hsRevoked)

	// By serial number: the good car's certificate, colon-separated.
	pair, err := tls.LoadX509KeyPair(goodCar.CertFile, goodCar.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	hex := leaf.SerialNumber.Text(16)
	if len(hex)%2 == 1 {
		hex = "0" + hex
	}
	var colons []string
	for i := 0; i < len(hex); i += 2 {
		colons = append(colons, hex[i:i+2])
	}
	if err := os.WriteFile(list, []byte("name:bad-car\nserial:"+strings.ToUpper(strings.Join(colons, ":"))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadCredentials(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-good.QUIC().Context().Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the connection of the revoked serial is still open")
	}
	refused(t, n, goodCar, hsRevoked)

	// A broken list changes nothing.
	if err := os.WriteFile(list, []byte("not/a name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := n.ReloadCredentials(); err == nil {
		t.Error("a broken list was accepted")
	}
	refused(t, n, goodCar, hsRevoked)
	if got := testutil.ToFloat64(n.m.auth.revocationReloads[1]); got != 1 {
		t.Errorf("failed reloads counted %v", got)
	}
}

func TestRevocationCRL(t *testing.T) {
	dir := t.TempDir()
	if _, err := devca.Ensure(dir); err != nil {
		t.Fatal(err)
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, devca.CAFile), filepath.Join(dir, devca.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(ca.Certificate[0])
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(0xabcdef), RevocationTime: time.Now()}}}, caCert, ca.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	crl := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	r, err := parseRevocations(crl, []*x509.Certificate{caCert})
	if err != nil {
		t.Fatal(err)
	}
	if why := r.revoked(&x509.Certificate{SerialNumber: big.NewInt(0xabcdef)}, auth.Identity{}); why == "" {
		t.Error("serial on the CRL not revoked")
	}
	if why := r.revoked(&x509.Certificate{SerialNumber: big.NewInt(0xabcdee)}, auth.Identity{Name: "abcdef"}); why != "" {
		t.Errorf("revoked: %s", why)
	}
	other := t.TempDir()
	if _, err := devca.Ensure(other); err != nil {
		t.Fatal(err)
	}
	otherCA, _ := devca.LoadCerts(filepath.Join(other, devca.CAFile))
	if _, err := parseRevocations(crl, otherCA); err == nil {
		t.Error("a CRL signed by another CA was accepted")
	}
}

func TestParseRevocations(t *testing.T) {
	r, err := parseRevocations([]byte("# comment\n\n  cam-3  # retired\nserial:0A:0b\nname:ab\n00ff\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		serial int64
		name   string
		want   bool
	}{{1, "cam-3", true}, {0xa0b, "x", true}, {1, "ab", true}, {0xab, "y", false}, {0xff, "z", true}, {1, "00ff", true}, {1, "cam-4", false}} {
		got := r.revoked(&x509.Certificate{SerialNumber: big.NewInt(c.serial)}, auth.Identity{Name: c.name}) != ""
		if got != c.want {
			t.Errorf("serial %x name %s: revoked %v, want %v", c.serial, c.name, got, c.want)
		}
	}
	for _, bad := range []string{"serial:xyz\n", "name:a b\n", "a/b\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := parseRevocations([]byte(bad), nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
