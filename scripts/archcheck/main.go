// Command archcheck enforces the direction of the imports between the
// layers of the module (see rules.go) over every non-test Go file, and that
// no file of the repository refers to the folder beside it (see
// findSharedMentions). It prints every breach with its file and line, the
// known ones of tolerated.go as tolerated, and exits 1 when a breach is not
// tolerated, when a tolerated one no longer occurs, or when a file points
// outside the repository. `make lint` runs it from the repository root.
//
// Usage: go run ./scripts/archcheck [-root DIR]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

func main() {
	root := flag.String("root", ".", "root of the repository (the folder of go.mod)")
	flag.Parse()
	failed, err := run(*root, tolerated, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "archcheck: %v\n", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// report is the outcome of one check.
type report struct {
	Violations []violation       // breaches not tolerated
	Tolerated  []violation       // breaches on the tolerated list
	Stale      []toleratedImport // tolerated pairs that no longer occur
	Shared     []sharedMention   // lines pointing outside the repository
}

// failed reports whether the check must fail the lint.
func (r report) failed() bool {
	return len(r.Violations) > 0 || len(r.Stale) > 0 || len(r.Shared) > 0
}

// check runs every check on the repository at root.
func check(root string, allowed []toleratedImport) (report, error) {
	module, err := modulePath(root)
	if err != nil {
		return report{}, err
	}
	edges, err := collectImports(root, module)
	if err != nil {
		return report{}, err
	}
	var r report
	seen := make(map[toleratedImport]bool)
	isTolerated := make(map[toleratedImport]bool, len(allowed))
	for _, t := range allowed {
		isTolerated[t] = true
	}
	for _, v := range findViolations(edges) {
		pair := toleratedImport{Pkg: v.Pkg, Import: v.Import.String()}
		if isTolerated[pair] {
			seen[pair] = true
			r.Tolerated = append(r.Tolerated, v)
		} else {
			r.Violations = append(r.Violations, v)
		}
	}
	for _, t := range allowed {
		if !seen[t] {
			r.Stale = append(r.Stale, t)
		}
	}
	if r.Shared, err = findSharedMentions(root); err != nil {
		return report{}, err
	}
	sortViolations(r.Violations)
	sortViolations(r.Tolerated)
	return r, nil
}

func sortViolations(vs []violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].File != vs[j].File {
			return vs[i].File < vs[j].File
		}
		return vs[i].Line < vs[j].Line
	})
}

// run checks the repository at root and writes the report to w; failed
// is true when the lint must fail.
func run(root string, allowed []toleratedImport, w io.Writer) (failed bool, err error) {
	r, err := check(root, allowed)
	if err != nil {
		return false, err
	}
	for _, v := range r.Tolerated {
		fmt.Fprintf(w, "archcheck: tolerated: %s:%d: %s imports %s: %s\n", v.File, v.Line, v.Pkg, v.Import, v.Rule)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "archcheck: FAIL: %s:%d: %s imports %s: %s\n", v.File, v.Line, v.Pkg, v.Import, v.Rule)
	}
	for _, t := range r.Stale {
		fmt.Fprintf(w, "archcheck: FAIL: tolerated import %s -> %s no longer occurs: delete it from scripts/archcheck/tolerated.go\n", t.Pkg, t.Import)
	}
	for _, m := range r.Shared {
		fmt.Fprintf(w, "archcheck: FAIL: %s:%d: refers to %s, outside the repository\n", m.File, m.Line, outsideRef)
	}
	fmt.Fprintf(w, "archcheck: %d breach(es), %d tolerated, %d stale tolerated pair(s), %d reference(s) outside the repository\n",
		len(r.Violations), len(r.Tolerated), len(r.Stale), len(r.Shared))
	return r.failed(), nil
}
