// Command kinto is the Kinto-compatible service built on cliquet-go.
//
// Usage:
//
//	kinto [--ini PATH] [serve|version|migrate|healthcheck]
//
// Settings come from KINTO_* environment variables, then the INI file, then
// Kinto's defaults; see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli{stdout: os.Stdout, stderr: os.Stderr}.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
