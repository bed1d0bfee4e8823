package harness

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/natspeer"
)

// Peer names (-peer).
const (
	PeerMosquitto = "mosquitto"
	PeerNATS      = "nats"
)

// CPUs of -pin.
const (
	pinNodeCPU  = 0
	pinChildCPU = 1
	// pinEnv tells a load or subscriber process which CPU to pin itself
	// to (PinFromEnv).
	pinEnv = "V2X_BENCH_PIN_CPU"
)

// PinFromEnv pins this process to the CPU the bench process asked for, if
// it asked: the load and subscriber processes call it first thing.
func PinFromEnv() error {
	v := os.Getenv(pinEnv)
	if v == "" {
		return nil
	}
	cpu, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", pinEnv, v, err)
	}
	return pinSelf(cpu)
}

// pinSelf pins this process to cpu and, unless GOMAXPROCS was set
// explicitly, gives its scheduler one P: what Go would have chosen had
// the process started on that one CPU (it reads its affinity at start).
// Two Ps on one CPU would only add futex wake-ups between threads that
// cannot run at once.
func pinSelf(cpu int) error {
	if err := PinProcess(0, cpu); err != nil {
		return err
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	return nil
}

// relaySubject is the MQTT topic and NATS subject the relay publishes to.
const (
	mqttTopic   = "v2x/intersection/state"
	natsSubject = "v2x.intersection.state"
)

// peerBroker is a broker peer started for the run.
type peerBroker struct {
	name, bin, addr string
	pid             func() int
	stop            func()
	publisher       func() (relayPub, error)
	subsConfig      func(n int, rate float64, warmup, dur time.Duration) SubsConfig
}

// relayPub is the relay's publishing connection to a broker.
type relayPub struct {
	publish func([]byte) error
	close   func()
}

// startPeer starts the named broker (installing it with apt-get when
// missing, as root) on a free loopback port.
// With pin, a Go broker (nats-server) starts with GOMAXPROCS=1, as it
// would have on the one CPU it is pinned to.
func startPeer(ctx context.Context, name, tmp string, pin bool) (*peerBroker, error) {
	switch name {
	case PeerMosquitto:
		bin, err := mqtt.EnsureMosquitto(ctx)
		if err != nil {
			return nil, err
		}
		b, err := mqtt.StartMosquitto(bin, tmp)
		if err != nil {
			return nil, err
		}
		return &peerBroker{name: name, bin: bin, addr: b.Addr, pid: b.Pid, stop: b.Stop,
			publisher: func() (relayPub, error) {
				c, err := mqtt.Dial(b.Addr, "v2x-bench-relay", 5*time.Second)
				if err != nil {
					return relayPub{}, err
				}
				return relayPub{publish: func(m []byte) error { return c.Publish(mqttTopic, m) }, close: func() { c.Close() }}, nil
			},
			subsConfig: func(n int, rate float64, warmup, dur time.Duration) SubsConfig {
				return SubsConfig{Addr: b.Addr, MQTT: true, Topic: mqttTopic, Subs: n, Warmup: warmup, Duration: dur, Rate: rate}
			}}, nil
	case PeerNATS:
		bin, err := natspeer.Ensure(ctx)
		if err != nil {
			return nil, err
		}
		var env []string
		if pin {
			env = append(env, "GOMAXPROCS=1")
		}
		s, err := natspeer.Start(bin, tmp, env...)
		if err != nil {
			return nil, err
		}
		return &peerBroker{name: name, bin: bin, addr: s.Addr, pid: s.Pid, stop: s.Stop,
			publisher: func() (relayPub, error) {
				c, err := nats.Connect(s.URL, nats.Name("v2x-bench-relay"))
				if err != nil {
					return relayPub{}, err
				}
				return relayPub{publish: func(m []byte) error { return c.Publish(natsSubject, m) }, close: c.Close}, nil
			},
			subsConfig: func(n int, rate float64, warmup, dur time.Duration) SubsConfig {
				return SubsConfig{Addr: s.URL, NATS: true, Topic: natsSubject, Subs: n, Warmup: warmup, Duration: dur, Rate: rate}
			}}, nil
	}
	return nil, fmt.Errorf("unknown peer %q (want %s or %s)", name, PeerMosquitto, PeerNATS)
}
