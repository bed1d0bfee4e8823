package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// supported is nil on Linux: the programs load given the privilege.
func supported() error { return nil }

// attachReuseport makes the program prog select the socket for the
// reuseport group of the socket fd (SO_ATTACH_REUSEPORT_EBPF).
func attachReuseport(fd, prog int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_EBPF, prog)
}

// attachXDP attaches prog to the interface ifindex in native (driver)
// mode where the driver allows and in generic mode otherwise, and names
// the mode.
func attachXDP(prog *ebpf.Program, ifindex int) (link.Link, string, error) {
	var err error
	for _, m := range []struct {
		flags link.XDPAttachFlags
		name  string
	}{{link.XDPDriverMode, "native"}, {link.XDPGenericMode, "generic"}} {
		l, aerr := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: m.flags})
		if aerr == nil {
			return l, m.name, nil
		}
		err = errors.Join(err, fmt.Errorf("%s mode: %w", m.name, aerr))
	}
	return nil, "", err
}
