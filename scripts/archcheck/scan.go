package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// importEdge is one import declaration of a non-test Go file, with paths
// relative to the module root when they lie inside the module.
type importEdge struct {
	File   string // slash-separated, relative to the module root
	Line   int
	Pkg    string // importing package, module-relative ("." for the root)
	Import importPath
}

// importPath is an imported package as the rules see it.
type importPath struct {
	Full string // as written in the import declaration
	Rel  string // module-relative path; "" when outside the module
	Std  bool   // part of the standard library
}

// String names the import the way messages show it: module-relative when
// inside the module.
func (p importPath) String() string {
	if p.Rel != "" {
		return p.Rel
	}
	return p.Full
}

// modulePath reads the module path from root's go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("reading the module path: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
}

// skipDir reports whether the walk leaves out a directory the go command
// would not treat as a package of this module: VCS and hidden folders,
// "_" and testdata folders, npm's node_modules, and nested modules (their
// own go.mod makes them another module, such as third_party/statsd.v2).
func skipDir(dir, name string, isRoot bool) bool {
	if isRoot {
		return false
	}
	if name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// collectImports parses the import declarations of every non-test Go file
// of the module rooted at root. Build constraints are ignored on purpose: an
// import behind a build tag is an arrow all the same.
func collectImports(root, module string) ([]importEdge, error) {
	var edges []importEdge
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDir(p, d.Name(), p == root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".go") || strings.HasSuffix(d.Name(), "_test.go") || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parsing the imports of %s: %w", rel, err)
		}
		for _, spec := range f.Imports {
			full, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: import %s: %w", rel, spec.Path.Value, err)
			}
			edges = append(edges, importEdge{
				File:   rel,
				Line:   fset.Position(spec.Pos()).Line,
				Pkg:    path.Dir(rel),
				Import: classify(full, module),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", root, err)
	}
	return edges, nil
}

// classify places an import path inside the module, in the standard
// library (whose first element has no dot, as the go command requires of
// every other module path), or elsewhere.
func classify(full, module string) importPath {
	p := importPath{Full: full}
	switch {
	case full == module:
		p.Rel = "."
	case strings.HasPrefix(full, module+"/"):
		p.Rel = strings.TrimPrefix(full, module+"/")
	default:
		first, _, _ := strings.Cut(full, "/")
		p.Std = !strings.Contains(first, ".")
	}
	return p
}

// sharedMention is a file line that points outside the repository.
type sharedMention struct {
	File string
	Line int
}

// outsideRef is what no file may contain: the repository must stand on its
// own, without its sibling folder. Spelt in two parts so that this file
// does not mention it.
var outsideRef = []byte(".." + "/shared")

// findSharedMentions lists every line of every file under root, .git and
// node_modules aside, that contains outsideRef.
func findSharedMentions(root string) ([]sharedMention, error) {
	var found []sharedMention
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && (d.Name() == ".git" || d.Name() == "node_modules") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git is a file
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, outsideRef) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			if bytes.Contains(line, outsideRef) {
				found = append(found, sharedMention{File: filepath.ToSlash(rel), Line: i + 1})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s for references outside the repository: %w", root, err)
	}
	return found, nil
}
