package natsproc

import "syscall"

// dieWithParent has the kernel kill the server when the test process
// dies, so that no nats-server outlives a crashed test.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
