package client

import (
	"context"
	"errors"
	"time"

	"github.com/quic-go/quic-go"
)

// busyRetryFor bounds how long a dial keeps retrying a node that refuses
// new connections for being busy, when its context has no sooner end.
const busyRetryFor = 30 * time.Second

// busyFirstWait is the first wait after a busy refusal; it doubles,
// jittered, up to busyMaxWait.
const (
	busyFirstWait = 20 * time.Millisecond
	busyMaxWait   = time.Second
)

// Busy reports whether err is a node refusing a new connection before its
// handshake, as it does past its handshakes_per_sec (QUIC
// CONNECTION_REFUSED): the node is up and the client may try again.
func Busy(err error) bool {
	var te *quic.TransportError
	return errors.As(err, &te) && te.Remote && te.ErrorCode == quic.ConnectionRefused
}

// retryBusy calls dial until it succeeds, fails otherwise than Busy, ctx
// ends, or busyRetryFor has passed; it waits between attempts with
// jittered exponential backoff.
func retryBusy(ctx context.Context, dial func(context.Context) (*quic.Conn, error)) (*quic.Conn, error) {
	deadline := time.Now().Add(busyRetryFor)
	wait := busyFirstWait
	for {
		qc, err := dial(ctx)
		if err == nil || !Busy(err) || time.Now().After(deadline) {
			return qc, err
		}
		t := time.NewTimer(jitter(wait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
		wait = min(2*wait, busyMaxWait)
	}
}
