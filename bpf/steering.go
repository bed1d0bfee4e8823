package bpf

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cilium/ebpf"
)

// MaxSlots is the number of worker slots a steering program can address:
// one connection-id byte.
const MaxSlots = 256

// SteerReason is why the steering program chose, or left to the kernel,
// the socket of one datagram. Its values are the enum steer_reason of
// steer.c.
type SteerReason uint32

// Steering decisions.
const (
	SteerCID           SteerReason = iota // a server connection id: its slot
	SteerNew                              // long header, client-chosen id: spread by hash
	SteerHashUnknown                      // short header, unknown id: kernel hash
	SteerHashMalformed                    // too short or impossible id: kernel hash
	SteerHashDead                         // chosen slot holds no socket: kernel hash
	SteerHashConfig                       // no configuration or no working slot: kernel hash
	NumSteerReasons
)

var steerReasonNames = [NumSteerReasons]string{"cid", "new_flow", "hash_unknown_cid", "hash_malformed", "hash_dead_slot", "hash_no_config"}

func (r SteerReason) String() string {
	if r < NumSteerReasons {
		return steerReasonNames[r]
	}
	return fmt.Sprintf("steer_reason(%d)", uint32(r))
}

// SteerConfig is what the steering program knows of the server's
// connection ids and workers.
type SteerConfig struct {
	CIDLen    int   // length of every server connection id, 2..20
	CIDPrefix byte  // first byte of every server connection id
	Working   []int // slots that take new flows, each < MaxSlots
}

func (c SteerConfig) validate() error {
	if c.CIDLen < 2 || c.CIDLen > 20 {
		return fmt.Errorf("connection id length %d outside 2..20", c.CIDLen)
	}
	if len(c.Working) == 0 || len(c.Working) > MaxSlots {
		return fmt.Errorf("%d working slots, want 1..%d", len(c.Working), MaxSlots)
	}
	for _, s := range c.Working {
		if s < 0 || s >= MaxSlots {
			return fmt.Errorf("slot %d outside 0..%d", s, MaxSlots-1)
		}
	}
	return nil
}

func (c SteerConfig) kernel() steerSteerConfig {
	k := steerSteerConfig{CidLen: uint32(c.CIDLen), CidPrefix: uint32(c.CIDPrefix), N_working: uint32(len(c.Working))}
	for i, s := range c.Working {
		k.Working[i] = uint8(s)
	}
	return k
}

// Steering is a loaded sk_reuseport steering program and its maps.
type Steering struct {
	objs steerObjects
}

// LoadSteering loads the steering program with cfg. It needs CAP_BPF (or
// root); the error wraps the kernel's when it cannot.
func LoadSteering(cfg SteerConfig) (*Steering, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("bpf: steering: %w", err)
	}
	if err := supported(); err != nil {
		return nil, err
	}
	s := &Steering{}
	if err := loadSteerObjects(&s.objs, nil); err != nil {
		return nil, fmt.Errorf("bpf: load steering program: %w", err)
	}
	if err := s.SetConfig(cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// SetConfig replaces the program's configuration; it takes effect with the
// next datagram.
func (s *Steering) SetConfig(cfg SteerConfig) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("bpf: steering: %w", err)
	}
	k := cfg.kernel()
	if err := s.objs.SteerConfigMap.Put(uint32(0), &k); err != nil {
		return fmt.Errorf("bpf: steering config: %w", err)
	}
	return nil
}

// SetSocket puts the bound SO_REUSEPORT socket conn into slot. Every socket
// of the array must belong to one reuseport group.
func (s *Steering) SetSocket(slot int, conn syscall.Conn) error {
	if slot < 0 || slot >= MaxSlots {
		return fmt.Errorf("bpf: slot %d outside 0..%d", slot, MaxSlots-1)
	}
	err := control(conn, func(fd int) error {
		return s.objs.SteerSocks.Put(uint32(slot), uint64(fd))
	})
	if err != nil {
		return fmt.Errorf("bpf: socket into slot %d: %w", slot, err)
	}
	return nil
}

// DeleteSocket empties slot: datagrams steered to it fall back to the
// kernel's hash.
func (s *Steering) DeleteSocket(slot int) error {
	if err := s.objs.SteerSocks.Delete(uint32(slot)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("bpf: empty slot %d: %w", slot, err)
	}
	return nil
}

// Attach makes the program select the socket for the reuseport group of
// conn (SO_ATTACH_REUSEPORT_EBPF). The group keeps the program until its
// last socket closes.
func (s *Steering) Attach(conn syscall.Conn) error {
	err := control(conn, func(fd int) error {
		return attachReuseport(fd, s.objs.SteerQuic.FD())
	})
	if err != nil {
		return fmt.Errorf("bpf: attach steering to reuseport group: %w", err)
	}
	return nil
}

// SteerCounters are the program's decisions since it was loaded, summed
// over CPUs.
type SteerCounters struct {
	Reasons [NumSteerReasons]uint64
	Slots   [MaxSlots]uint64 // datagrams selected into each slot
}

// Counters reads the per-CPU counters and sums them.
func (s *Steering) Counters() (SteerCounters, error) {
	var c SteerCounters
	for r := range c.Reasons {
		v, err := sumPerCPU(s.objs.SteerReasons, uint32(r))
		if err != nil {
			return c, fmt.Errorf("bpf: steering counter %s: %w", SteerReason(r), err)
		}
		c.Reasons[r] = v
	}
	for i := range c.Slots {
		v, err := sumPerCPU(s.objs.SteerSlotPackets, uint32(i))
		if err != nil {
			return c, fmt.Errorf("bpf: steering slot counter %d: %w", i, err)
		}
		c.Slots[i] = v
	}
	return c, nil
}

// Close releases the program and maps. A reuseport group the program is
// attached to keeps using it until the group's sockets close.
func (s *Steering) Close() error {
	if err := s.objs.Close(); err != nil {
		return fmt.Errorf("bpf: close steering: %w", err)
	}
	return nil
}

// control runs fn with the file descriptor of conn.
func control(conn syscall.Conn, fn func(fd int) error) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// sumPerCPU sums one key of a per-CPU array of uint64.
func sumPerCPU(m *ebpf.Map, key uint32) (uint64, error) {
	var vals []uint64
	if err := m.Lookup(key, &vals); err != nil {
		return 0, err
	}
	var sum uint64
	for _, v := range vals {
		sum += v
	}
	return sum, nil
}
