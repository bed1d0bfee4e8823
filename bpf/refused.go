package bpf

import (
	"errors"
	"os"

	"github.com/cilium/ebpf"
)

// Refused reports whether err is the kernel (or the operating system)
// refusing an eBPF program or attachment for lack of privilege or
// support, not for a fault of the program: the caller may go on without
// it. A verifier rejection is a fault.
func Refused(err error) bool {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return false
	}
	return errors.Is(err, os.ErrPermission) || errors.Is(err, ebpf.ErrNotSupported)
}
