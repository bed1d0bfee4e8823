package steer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// listenUDP binds n UDP sockets to addr. The first is bound without
// SO_REUSEPORT, so its bind fails when any other socket holds the port:
// a plain one, or the reuseport group of another process. Only once it
// holds the port alone does it take SO_REUSEPORT, and the other n-1 join
// it on the port it got (with port 0, the one the kernel picked). Another
// node, which binds its first socket the same way, can neither join the
// group nor form one beside it. With n == 1 the socket stays exclusive.
func listenUDP(addr string, n int) ([]*net.UDPConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, bindError(addr, 0, err)
	}
	first := pc.(*net.UDPConn)
	conns := []*net.UDPConn{first}
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	if n == 1 {
		return conns, nil
	}
	rc, err := first.SyscallConn()
	if err == nil {
		err = reusePort(rc)
	}
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("steer: worker 0 on %s: %w", first.LocalAddr(), err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error { return reusePort(c) }}
	addr = first.LocalAddr().String() // the others join the first one's port
	for i := 1; i < n; i++ {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			closeAll()
			return nil, bindError(addr, i, err)
		}
		conns = append(conns, pc.(*net.UDPConn))
	}
	return conns, nil
}

// bindError is the error of worker i failing to bind addr; a port in use
// is named as such.
func bindError(addr string, i int, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		port := addr
		if _, p, serr := net.SplitHostPort(addr); serr == nil {
			port = p
		}
		if _, perr := strconv.Atoi(port); perr == nil {
			port = "UDP port " + port
		}
		return fmt.Errorf("steer: %s is already in use (another node or process serves %s): %w", port, addr, err)
	}
	return fmt.Errorf("steer: bind worker %d to %s: %w", i, addr, err)
}
