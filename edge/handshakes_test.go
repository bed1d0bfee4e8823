package edge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestHandshakeGateAllow(t *testing.T) {
	const ms = int64(time.Millisecond)
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int
		at    []int64 // attempt times, ms
		want  []bool
	}{
		{"burst then rate", 10, 3, []int64{0, 0, 0, 0, 50, 100, 100, 300}, []bool{true, true, true, false, false, true, false, true}},
		{"burst of a second's worth", 2, 0, []int64{0, 0, 0, 499, 501}, []bool{true, true, false, false, true}},
		{"no limit", -1, 0, []int64{0, 0, 0, 0, 0}, []bool{true, true, true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newHandshakeGate(tc.rate, tc.burst, -1, nil)
			var now int64
			g.now = func() int64 { return now }
			var admitted, refused int
			for i, at := range tc.at {
				now = 1e12 + at*ms
				got := g.admit() == nil
				if got != tc.want[i] {
					t.Errorf("attempt %d at %d ms: allowed %v, want %v", i, at, got, tc.want[i])
				}
				if got {
					admitted++
				} else {
					refused++
				}
			}
			if a, r := testutil.ToFloat64(g.allowed), testutil.ToFloat64(g.refused[hsRefusedRate]); a != float64(admitted) || r != float64(refused) {
				t.Errorf("counted %v admitted and %v refused, want %d and %d", a, r, admitted, refused)
			}
		})
	}
}

// TestHandshakeGateInProgress checks the bound on handshakes in
// progress: a slot is given back once, when the client's certificate has
// been checked or when the connection ends, whichever comes first.
func TestHandshakeGateInProgress(t *testing.T) {
	g := newHandshakeGate(-1, 0, 2, nil)
	attempt := func() (context.Context, context.CancelFunc, error) {
		ctx, cancel := context.WithCancel(context.Background())
		hctx, err := g.connContext(ctx, &quic.ClientInfo{})
		return hctx, cancel, err
	}
	c1, cancel1, err1 := attempt()
	_, cancel2, err2 := attempt()
	_, cancel3, err3 := attempt()
	defer func() { cancel1(); cancel2(); cancel3() }()
	if err1 != nil || err2 != nil || !errors.Is(err3, errHandshakeBusy) {
		t.Fatalf("three attempts with two slots: %v, %v, %v; want two admitted, then busy", err1, err2, err3)
	}
	handshakeChecked(c1) // certificate checked: slot back
	handshakeChecked(c1) // once only
	cancel1()            // and not again when the connection ends
	_, cancel4, err4 := attempt()
	defer cancel4()
	if err4 != nil {
		t.Fatalf("after a certificate check: %v, want admitted", err4)
	}
	if _, _, err := attempt(); !errors.Is(err, errHandshakeBusy) {
		t.Fatalf("slot given back twice: %v, want busy", err)
	}
	cancel2() // handshake failed: slot back
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, cancel5, err := attempt()
		defer cancel5()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a failed handshake: %v, want admitted", err)
		}
		time.Sleep(time.Millisecond) // context.AfterFunc runs in its own goroutine
	}
	if b := testutil.ToFloat64(g.refused[hsRefusedBusy]); b < 2 {
		t.Errorf("counted %v busy refusals, want >= 2", b)
	}
}

// TestHandshakesRefusedBeforeHandshake checks that a node past its
// handshakes_per_sec refuses a raw QUIC dial at once as busy (no
// handshake: the client is not even asked for its certificate), counts
// it, keeps the connections it has, and that edge/client's dial waits
// its turn and gets in.
func TestHandshakesRefusedBeforeHandshake(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.HandshakesPerSec, c.HandshakeBurst = 2, 1 })
	held := dial(t, n, opts) // the one handshake of the burst

	pem, err := os.ReadFile(opts.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// No client certificate: had the handshake run, it would fail with a
	// TLS alert, not CONNECTION_REFUSED.
	_, err = quic.DialAddr(ctx, n.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1",
		NextProtos: []string{wire.ALPN}, MinVersion: tls.VersionTLS13}, &quic.Config{})
	if !client.Busy(err) {
		t.Fatalf("raw dial past the rate: %v, want a busy refusal (CONNECTION_REFUSED)", err)
	}
	if r := testutil.ToFloat64(n.handshakes.refused[hsRefusedRate]); r < 1 {
		t.Errorf("v2x_handshakes_refused_total %v, want >= 1", r)
	}
	if failed := testutil.ToFloat64(n.m.auth.handshakeFailures[hsNoCertificate]); failed != 0 {
		t.Errorf("%v handshakes failed for no certificate, want 0: the refusal comes first", failed)
	}
	start := time.Now()
	late := dial(t, n, opts) // refused at first, retried
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("edge/client got in after %v, want within about a token's time (500 ms)", waited)
	}
	for _, c := range []*client.Conn{held, late} {
		if err := c.QUIC().Context().Err(); err != nil {
			t.Errorf("a connection was lost: %v", err)
		}
	}
}
