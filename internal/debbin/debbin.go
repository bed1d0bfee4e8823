// Package debbin finds the binaries of Debian packages that tests and
// benchmarks run as real peers (mosquitto, nats-server), installing the
// package with apt-get when it is missing and the process may.
package debbin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// Find returns the path of binary name: on PATH, else in /usr/sbin or
// /usr/bin (where Debian's packages put daemons); "" when absent.
func Find(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin/", "/usr/bin/"} {
		if _, err := os.Stat(dir + name); err == nil {
			return dir + name
		}
	}
	return ""
}

// Ensure returns the path of binary name, installing Debian package pkg
// with apt-get when it is missing (which needs root; the package lists
// are updated once if the first install fails, as on a fresh machine).
func Ensure(ctx context.Context, pkg, name string) (string, error) {
	if p := Find(name); p != "" {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%s is not installed and installing it needs root: run apt-get install %s", name, pkg)
	}
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", pkg)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		if out, err := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get update: %w\n%s", err, out)
		}
		if out, err := install(); err != nil {
			return "", fmt.Errorf("apt-get install %s: %w\n%s", pkg, err, out)
		}
	}
	if p := Find(name); p != "" {
		return p, nil
	}
	return "", errors.New("apt-get installed " + pkg + " but " + name + " is not on PATH, in /usr/sbin or in /usr/bin")
}
