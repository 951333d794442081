package concurrency_test

import (
	"os"
	"syscall"
)

// childAttr makes the kernel kill a server when the test binary dies
// (a killed `go test` must not leave servers listening).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// terminateSignal asks a server to shut down gracefully.
func terminateSignal() os.Signal { return syscall.SIGTERM }
