//go:build !linux

package concurrency_test

import (
	"os"
	"syscall"
)

// childAttr: without Pdeathsig, the servers rely on t.Cleanup alone.
func childAttr() *syscall.SysProcAttr { return nil }

// terminateSignal asks a server to shut down (a kill where signals are not
// supported).
func terminateSignal() os.Signal { return os.Interrupt }
