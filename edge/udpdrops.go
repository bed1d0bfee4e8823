package edge

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// socketInode returns the inode of a socket's file descriptor, as
// /proc/net/udp lists it (Linux).
func socketInode(c syscall.Conn) (uint64, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var link string
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		link, lerr = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	}); err != nil {
		return 0, err
	}
	if lerr != nil {
		return 0, lerr
	}
	var ino uint64
	if _, err := fmt.Sscanf(link, "socket:[%d]", &ino); err != nil {
		return 0, fmt.Errorf("fd link %q: %w", link, err)
	}
	return ino, nil
}

// udpDrops reads the drops column of the socket with inode ino from
// /proc/net/udp and /proc/net/udp6: datagrams the kernel dropped for that
// socket, mostly because its receive buffer was full (the per-socket
// share of Udp RcvbufErrors in /proc/net/snmp).
func udpDrops(ino uint64) (uint64, error) {
	want := strconv.FormatUint(ino, 10)
	for _, path := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			if len(fs) < 13 || fs[9] != want {
				continue
			}
			f.Close()
			return strconv.ParseUint(fs[12], 10, 64)
		}
		f.Close()
	}
	return 0, fmt.Errorf("socket inode %d not in /proc/net/udp{,6}", ino)
}

// udpDropsFunc returns a function reading the kernel's drop count of the
// UDP socket c, or nil where that cannot be read (not Linux).
func udpDropsFunc(c net.PacketConn) func() float64 {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	ino, err := socketInode(sc)
	if err != nil {
		return nil
	}
	if _, err := udpDrops(ino); err != nil {
		return nil
	}
	return func() float64 {
		d, _ := udpDrops(ino)
		return float64(d)
	}
}
