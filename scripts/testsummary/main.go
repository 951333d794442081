// Command testsummary reads `go test -json` events on stdin and prints what
// a plain `go test` would show without -v — the ok/FAIL line of every
// package, build errors and the output of failing tests — followed by a
// closing "N passed, N failed, N skipped" line. It exits 1 when anything
// failed, so that `go test -json ./... | testsummary` can gate CI.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

func main() {
	failed, err := summarise(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// summarise copies the interesting output of r to w and reports whether
// any test, package or build failed.
func summarise(r io.Reader, w io.Writer) (failed bool, err error) {
	type key struct{ pkg, test string }
	buffered := map[key][]string{} // output of running tests, shown only if they fail
	var passed, failedTests, skipped int

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			// Not an event (for example "go: downloading …"): keep it.
			fmt.Fprintln(w, string(line))
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// Package lines: "ok …", "FAIL …", "--- FAIL" summaries, panics.
				if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
					fmt.Fprint(w, e.Output)
				}
				continue
			}
			buffered[k] = append(buffered[k], e.Output)
		case "pass":
			if e.Test != "" {
				passed++
				delete(buffered, k)
			}
		case "skip":
			if e.Test != "" {
				skipped++
				delete(buffered, k)
			}
		case "fail":
			failed = true
			if e.Test == "" {
				continue
			}
			failedTests++
			for _, out := range buffered[k] {
				if !strings.HasPrefix(out, "=== ") {
					fmt.Fprint(w, out)
				}
			}
			delete(buffered, k)
		}
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("read go test output: %w", err)
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", passed, failedTests, skipped)
	return failed, nil
}
