//go:build !linux

package steer

import (
	"errors"
	"syscall"
)

// reusePort refuses: several workers on one port need Linux's
// SO_REUSEPORT groups (elsewhere the option does not spread datagrams
// over the sockets). Listen serves with one worker off Linux unless
// NoSteering asks for several.
func reusePort(syscall.RawConn) error {
	return errors.New("several workers on one port need Linux's SO_REUSEPORT")
}
