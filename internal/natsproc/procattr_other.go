//go:build !linux

package natsproc

import "syscall"

// dieWithParent: only Linux can tie a child's life to its parent's; the
// tests stop their servers in cleanup.
func dieWithParent() *syscall.SysProcAttr { return nil }
