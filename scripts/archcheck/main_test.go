package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree creates files (slash-separated path -> content) under a new
// temporary folder and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// goFile is a Go file of package pkg importing imports.
func goFile(pkg string, imports ...string) string {
	var b strings.Builder
	b.WriteString("package " + pkg + "\n\nimport (\n")
	for _, imp := range imports {
		b.WriteString("\t_ \"" + imp + "\"\n")
	}
	b.WriteString(")\n")
	return b.String()
}

const fake = "example.com/fake/"

// fakeTree is a module with one allowed and one forbidden arrow of each rule,
// plus files the check must leave out.
func fakeTree(t *testing.T) string {
	return writeTree(t, map[string]string{
		"go.mod": "module example.com/fake\n\ngo 1.26\n",

		"internal/domain/ok.go":  goFile("domain", "fmt", fake+"internal/domain/sub"),
		"internal/domain/bad.go": goFile("domain", "github.com/some/lib", fake+"internal/ports"),
		// Test files are exempt.
		"internal/domain/bad_test.go": goFile("domain", fake+"internal/adapters/memory"),

		"internal/ports/ok.go":  goFile("ports", "context", fake+"internal/domain"),
		"internal/ports/bad.go": goFile("ports", "github.com/some/lib", fake+"internal/app", fake+"internal/ports/portstest"),

		"internal/ports/portstest/ok.go":  goFile("portstest", "testing", fake+"internal/ports", fake+"internal/domain"),
		"internal/ports/portstest/bad.go": goFile("portstest", fake+"internal/app"),

		"internal/app/ok.go":        goFile("app", "github.com/some/lib", fake+"internal/ports", fake+"internal/app/metered"),
		"internal/app/bad.go":       goFile("app", fake+"internal/app/kinto", fake+"internal/config", fake+"internal/adapters/memory"),
		"internal/app/kinto/ok.go":  goFile("kinto", fake+"internal/app", fake+"internal/app/kinto/sub"),
		"internal/app/metered/b.go": goFile("metered", fake+"internal/app/kinto"),

		"internal/adapters/http/ok.go":       goFile("http", fake+"internal/app", fake+"internal/ports", "github.com/gorilla/mux", fake+"internal/adapters/http/sub"),
		"internal/adapters/http/bad.go":      goFile("http", fake+"internal/app/kinto", fake+"internal/adapters/memory", fake+"cmd/kinto"),
		"internal/adapters/postgres/pt/x.go": goFile("pt", fake+"internal/adapters/postgres"),

		"internal/runner/r.go":  goFile("runner", fake+"internal/adapters/memory", fake+"internal/config"),
		"internal/runner/r2.go": goFile("runner", fake+"internal/adapters/redis"),

		"cmd/kinto/main.go":       goFile("main", fake+"internal/adapters/http", fake+"internal/app/kinto", fake+"internal/runner", fake+"cmd/kinto/wiring"),
		"cmd/readinglist/main.go": goFile("main", fake+"cmd/kinto", fake+"cmd/internal/wire"),
		"cmd/internal/wire/w.go":  goFile("wire", fake+"internal/adapters/redis", fake+"internal/runner"),
		"internal/config/c.go":    goFile("config", fake+"cmd/internal/wire"),

		// Left out: testdata, hidden and "_" folders, node_modules, and
		// nested modules; non-Go files.
		"internal/domain/testdata/x.go": goFile("x", fake+"internal/adapters/memory"),
		"internal/domain/.hidden/x.go":  goFile("x", fake+"internal/adapters/memory"),
		"internal/domain/_old/x.go":     goFile("x", fake+"internal/adapters/memory"),
		"test/e2e/node_modules/x/x.go":  goFile("x", fake+"internal/adapters/memory"),
		"third_party/other/go.mod":      "module example.org/other\n",
		"third_party/other/x.go":        goFile("other", fake+"internal/adapters/memory"),
		"internal/domain/notes.txt":     "import \"" + fake + "internal/adapters/memory\"\n",
	})
}

// brief renders violations as "file:line import" for comparisons.
func brief(vs []violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.File+" "+v.Import.String()+" | "+v.Rule)
	}
	slices.Sort(out)
	return out
}

func TestCheckReportsEveryBreachOfAFakeTree(t *testing.T) {
	r, err := check(fakeTree(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cmd/readinglist/main.go cmd/kinto | nothing outside cmd/ imports cmd/..., and a service imports only its own folder and cmd/internal",
		"internal/adapters/http/bad.go cmd/kinto | nothing outside cmd/ imports cmd/..., and a service imports only its own folder and cmd/internal",
		"internal/adapters/http/bad.go internal/adapters/memory | adapter http must not import adapter memory",
		"internal/adapters/http/bad.go internal/app/kinto | only the service's own packages and cmd/... import internal/app/kinto",
		"internal/app/bad.go internal/adapters/memory | internal/app/... imports only internal/domain, internal/ports and internal/app/...",
		"internal/app/bad.go internal/adapters/memory | only cmd/... imports adapters (the wiring of a service is its main's job)",
		"internal/app/bad.go internal/app/kinto | only the service's own packages and cmd/... import internal/app/kinto",
		"internal/app/bad.go internal/config | internal/app/... imports only internal/domain, internal/ports and internal/app/...",
		"internal/app/metered/b.go internal/app/kinto | only the service's own packages and cmd/... import internal/app/kinto",
		"internal/config/c.go cmd/internal/wire | nothing outside cmd/ imports cmd/..., and a service imports only its own folder and cmd/internal",
		"internal/domain/bad.go github.com/some/lib | internal/domain imports only the standard library",
		"internal/domain/bad.go internal/ports | internal/domain imports only the standard library",
		"internal/ports/bad.go github.com/some/lib | internal/ports imports only the standard library and internal/domain",
		"internal/ports/bad.go internal/app | internal/ports imports only the standard library and internal/domain",
		"internal/ports/bad.go internal/ports/portstest | internal/ports imports only the standard library and internal/domain",
		"internal/ports/portstest/bad.go internal/app | internal/ports/portstest imports only the standard library, internal/domain and internal/ports",
		"internal/runner/r.go internal/adapters/memory | only cmd/... imports adapters (the wiring of a service is its main's job)",
		"internal/runner/r2.go internal/adapters/redis | only cmd/... imports adapters (the wiring of a service is its main's job)",
	}
	if got := brief(r.Violations); !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Tolerated) != 0 || len(r.Stale) != 0 || len(r.Shared) != 0 {
		t.Errorf("tolerated %v, stale %v, shared %v: want none", r.Tolerated, r.Stale, r.Shared)
	}
	if !r.failed() {
		t.Error("failed() = false with violations")
	}
}

func TestViolationsNameFileAndLine(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":               "module example.com/fake\n",
		"internal/domain/d.go": "package domain\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/fake/internal/ports\"\n)\n",
	})
	var out bytes.Buffer
	failed, err := run(root, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !failed {
		t.Error("run did not fail")
	}
	want := "archcheck: FAIL: internal/domain/d.go:6: internal/domain imports internal/ports: internal/domain imports only the standard library\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", out.String(), want)
	}
}

func TestToleratedPairsPassAndStalePairsFail(t *testing.T) {
	root := fakeTree(t)
	all, err := check(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Tolerating every breach found passes.
	var every []toleratedImport
	for _, v := range all.Violations {
		pair := toleratedImport{Pkg: v.Pkg, Import: v.Import.String()}
		if !slices.Contains(every, pair) {
			every = append(every, pair)
		}
	}
	r, err := check(root, every)
	if err != nil {
		t.Fatal(err)
	}
	if r.failed() || len(r.Violations) != 0 || len(r.Tolerated) != len(all.Violations) {
		t.Errorf("all tolerated: %d violations, %d tolerated of %d, %d stale", len(r.Violations), len(r.Tolerated), len(all.Violations), len(r.Stale))
	}

	// A pair is exact: tolerating runner -> memory leaves runner -> redis
	// failing; a pair that no longer occurs (or never broke a rule) is stale.
	allowed := []toleratedImport{
		{"internal/runner", "internal/adapters/memory"},
		{"internal/runner", "internal/adapters/postgres"},
		{"cmd/kinto", "internal/adapters/http"},
	}
	r, err = check(root, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if got := brief(r.Tolerated); len(got) != 1 || !strings.HasPrefix(got[0], "internal/runner/r.go internal/adapters/memory ") {
		t.Errorf("tolerated = %v, want runner/r.go -> memory only", got)
	}
	if !slices.Contains(brief(r.Violations), "internal/runner/r2.go internal/adapters/redis | only cmd/... imports adapters (the wiring of a service is its main's job)") {
		t.Errorf("runner -> redis is not reported: %v", brief(r.Violations))
	}
	if want := allowed[1:]; !slices.Equal(r.Stale, want) {
		t.Errorf("stale = %v, want %v", r.Stale, want)
	}

	var out bytes.Buffer
	if _, err := run(root, allowed, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"archcheck: tolerated: internal/runner/r.go:4: internal/runner imports internal/adapters/memory: ",
		"archcheck: FAIL: tolerated import internal/runner -> internal/adapters/postgres no longer occurs: delete it from scripts/archcheck/tolerated.go\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestOnlyStaleToleratedPairsFail(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":               "module example.com/fake\n",
		"internal/runner/r.go": goFile("runner", fake+"internal/adapters/memory"),
	})
	r, err := check(root, []toleratedImport{{"internal/runner", "internal/adapters/memory"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.failed() {
		t.Errorf("a tree whose only breach is tolerated fails: %+v", r)
	}
	if err := os.Remove(filepath.Join(root, "internal/runner/r.go")); err != nil {
		t.Fatal(err)
	}
	r, err = check(root, []toleratedImport{{"internal/runner", "internal/adapters/memory"}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.failed() || len(r.Stale) != 1 {
		t.Errorf("the fixed breach still on the list: failed %v, stale %v", r.failed(), r.Stale)
	}
}

func TestReferencesOutsideTheRepositoryFail(t *testing.T) {
	ref := string(outsideRef)
	root := writeTree(t, map[string]string{
		"go.mod":                       "module example.com/fake\n",
		"README.md":                    "line one\nsee " + ref + "/notes\n",
		"scripts/build.sh":             "cp " + ref + "/x .\n",
		"bin/tool":                     "\x00\x01binary " + ref + "\x00",
		".git/config":                  ref,
		"test/e2e/node_modules/m/a.js": ref,
		"docs/fine.md":                 "..\\shared and ../sharing are not it\n",
	})
	r, err := check(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []sharedMention{{"README.md", 2}, {"bin/tool", 1}, {"scripts/build.sh", 1}}
	if !slices.Equal(r.Shared, want) {
		t.Errorf("mentions = %v, want %v", r.Shared, want)
	}
	if !r.failed() {
		t.Error("failed() = false with a reference outside the repository")
	}
}
