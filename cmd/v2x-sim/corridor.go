package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/corridor"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// corridorConfig checks the corridor flags.
func corridorConfig(base sim.Config, n int, spacing string) (sim.CorridorConfig, error) {
	sp, err := cli.ParseMetres(spacing)
	if err != nil {
		return sim.CorridorConfig{}, fmt.Errorf("-spacing: %w", err)
	}
	cc := sim.CorridorConfig{Base: base, N: n, Spacing: sp}
	return cc, cc.Validate()
}

// runCorridor is v2x-sim -corridor N: intersection i of the corridor
// feeds the i-th node of addrs, every node is judged, and with evaluate
// the judgement is printed as one JSON line.
func runCorridor(ctx context.Context, cc sim.CorridorConfig, addrs, cas, cert, key, serverName string,
	duration time.Duration, evaluate bool, log *slog.Logger, stdout io.Writer) error {
	n, sp, base := cc.N, cc.Spacing, cc.Base
	var err error
	as, cs := strings.Split(addrs, ","), strings.Split(cas, ",")
	if len(as) == 1 && n > 1 {
		if as, err = consecutivePorts(as[0], n); err != nil {
			return err
		}
	}
	if len(as) != n {
		return fmt.Errorf("-edge: %d addresses for a corridor of %d (give one per intersection, west to east)", len(as), n)
	}
	if len(cs) != 1 && len(cs) != n {
		return fmt.Errorf("-ca: %d files for %d nodes (give one for all, or one per node)", len(cs), n)
	}
	c, err := sim.NewCorridor(cc)
	if err != nil {
		return err
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	var conns []*client.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for i, a := range as {
		ca := cs[min(i, len(cs)-1)]
		cf, kf, id, err := cli.ClientIdentity(cert, key, ca, devca.SimIdentity)
		if err != nil {
			return err
		}
		if !id.Has(auth.RoleProducer) || !id.Has(auth.RoleSubscriber) {
			return fmt.Errorf("identity %s (%s): a corridor run needs producer and subscriber roles; it has %s", id.Name, cf, id.Roles)
		}
		o := client.Options{CAFile: ca, CertFile: cf, KeyFile: kf, ServerName: serverName}
		o.Reconnect = &client.Reconnect{Context: ctx, Log: log}
		dctx, cancel := client.WithDialTimeout(ctx, 10*time.Second)
		cn, err := client.Dial(dctx, strings.TrimSpace(a), o)
		cancel()
		if err != nil {
			return fmt.Errorf("node %d (%s): %w", i+1, a, err)
		}
		conns = append(conns, cn)
	}
	log.Info("simulating a corridor", "intersections", n, "spacing_m", sp, "seed", base.Seed, "edges", addrs)
	j, err := corridor.Drive(ctx, c, conns, corridor.DriveOptions{Log: log})
	if err != nil {
		return err
	}
	if !evaluate {
		return nil
	}
	return printJSON(stdout, j)
}

// consecutivePorts derives n node addresses from one: the same host on
// the port given and the n-1 ports after it (three nodes started with
// -listen :4433, :4434 and :4435 take -edge 127.0.0.1:4433).
func consecutivePorts(addr string, n int) ([]string, error) {
	host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		return nil, fmt.Errorf("-edge %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p+n-1 > 65535 {
		return nil, fmt.Errorf("-edge %q: port %q does not leave room for %d nodes", addr, port, n)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = net.JoinHostPort(host, strconv.Itoa(p+i))
	}
	return out, nil
}
