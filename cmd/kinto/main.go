// Command kinto is the Kinto-compatible service built on cliquet-go.
//
// Usage:
//
//	kinto [--ini PATH] [serve|version|migrate|healthcheck]
//
// Settings come from KINTO_* environment variables, then the INI file, then
// Kinto's defaults; see README.md.
package main

import "github.com/cliquet-go/cliquet/internal/runner"

func main() {
	runner.Main(command())
}
