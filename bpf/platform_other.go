//go:build !linux

package bpf

import (
	"fmt"
	"runtime"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// supported says why the programs cannot load: sk_reuseport steering and
// XDP are Linux's. The error wraps ebpf.ErrNotSupported, so that Refused
// holds for it and the node serves without them.
func supported() error {
	return fmt.Errorf("bpf: eBPF steering and the XDP guard need Linux, this is %s: %w", runtime.GOOS, ebpf.ErrNotSupported)
}

func attachReuseport(int, int) error { return supported() }

func attachXDP(*ebpf.Program, int) (link.Link, string, error) { return nil, "", supported() }
