// Command readinglist is Cliquet's first service rebuilt on cliquet-go:
// a per-user reading list (articles, a read-only archive and a stats
// view), and the example of how a service declares its resources.
//
// Usage:
//
//	readinglist [--ini PATH] [serve|version|migrate|healthcheck]
//
// Settings come from READINGLIST_* environment variables, then the INI
// file, then the defaults; see README.md.
package main

import "github.com/cliquet-go/cliquet/internal/runner"

func main() {
	runner.Main(command())
}
