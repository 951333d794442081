package main

import (
	"fmt"
	"strings"
)

// The layers of the hexagon, as module-relative folders. Arrows point
// inwards: cmd -> adapters -> app -> ports -> domain.
const (
	domainDir    = "internal/domain"
	portsDir     = "internal/ports"
	portstestDir = "internal/ports/portstest"
	appDir       = "internal/app"
	adaptersDir  = "internal/adapters"
	cmdDir       = "cmd"
	cmdShared    = "internal" // cmd/internal/...: wiring shared by the services
)

// serviceDirs are the packages of one service's own logic: only that
// service's packages and its cmd/ main may import them, so that the shared
// app layer, the adapters and the runner stay reusable by every service.
var serviceDirs = []string{"internal/app/kinto"}

// within reports whether the module-relative path rel is dir or lies below it.
func within(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

// adapterOf names the adapter rel belongs to ("http" for
// internal/adapters/http/...), or "" outside the adapters.
func adapterOf(rel string) string {
	if !within(rel, adaptersDir) || rel == adaptersDir {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(rel, adaptersDir+"/"), "/")
	return name
}

// commandOf names the cmd/ tree rel belongs to ("kinto" for cmd/kinto/...),
// or "" outside cmd/.
func commandOf(rel string) string {
	if !within(rel, cmdDir) || rel == cmdDir {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(rel, cmdDir+"/"), "/")
	return name
}

// serviceOf returns the service folder rel belongs to, or "".
func serviceOf(rel string) string {
	for _, dir := range serviceDirs {
		if within(rel, dir) {
			return dir
		}
	}
	return ""
}

// brokenRules lists why package pkg (module-relative) may not import imp;
// none when the arrow is allowed. Each arrow breaks at most one rule of the
// layer rules, plus the cross-cutting ones, so that one bad import is not
// reported three times over.
func brokenRules(pkg string, imp importPath) []string {
	var broken []string
	if reason := layerRule(pkg, imp); reason != "" {
		broken = append(broken, reason)
	}
	if imp.Rel == "" {
		return broken
	}
	if svc := serviceOf(imp.Rel); svc != "" && serviceOf(pkg) != svc && commandOf(pkg) == "" {
		broken = append(broken, fmt.Sprintf("only the service's own packages and cmd/... import %s", svc))
	}
	if y := adapterOf(imp.Rel); y != "" {
		switch x := adapterOf(pkg); {
		case x == y:
		case x != "":
			broken = append(broken, fmt.Sprintf("adapter %s must not import adapter %s", x, y))
		case commandOf(pkg) == "":
			broken = append(broken, "only cmd/... imports adapters (the wiring of a service is its main's job)")
		}
	}
	// cmd/internal/... is the wiring the services share: any cmd/ main
	// may import it; nothing else imports cmd/.
	if c := commandOf(imp.Rel); c != "" && commandOf(pkg) != c && (c != cmdShared || commandOf(pkg) == "") {
		broken = append(broken, "nothing outside cmd/ imports cmd/..., and a service imports only its own folder and cmd/internal")
	}
	return broken
}

// layerRule is the allow-list of the inner layers: what domain, ports,
// portstest and app may import at all. It returns why imp is outside
// pkg's list, or "" when it is inside (or pkg has no list).
func layerRule(pkg string, imp importPath) string {
	switch {
	case within(pkg, domainDir):
		if imp.Std || within(imp.Rel, domainDir) {
			return ""
		}
		return "internal/domain imports only the standard library"
	case within(pkg, portstestDir):
		if imp.Std || within(imp.Rel, domainDir) || within(imp.Rel, portsDir) {
			return ""
		}
		return "internal/ports/portstest imports only the standard library, internal/domain and internal/ports"
	case within(pkg, portsDir):
		if imp.Std || within(imp.Rel, domainDir) || (within(imp.Rel, portsDir) && !within(imp.Rel, portstestDir)) {
			return ""
		}
		return "internal/ports imports only the standard library and internal/domain"
	case within(pkg, appDir):
		// Libraries from outside the module are the app layer's business
		// (JSON patch, JSON schema); inside it, only inner layers.
		if imp.Rel == "" || within(imp.Rel, domainDir) || within(imp.Rel, portsDir) || within(imp.Rel, appDir) {
			return ""
		}
		return "internal/app/... imports only internal/domain, internal/ports and internal/app/..."
	}
	return ""
}

// violation is one import that breaks a rule.
type violation struct {
	importEdge
	Rule string
}

// findViolations checks every edge against the rules.
func findViolations(edges []importEdge) []violation {
	var found []violation
	for _, e := range edges {
		for _, rule := range brokenRules(e.Pkg, e.Import) {
			found = append(found, violation{importEdge: e, Rule: rule})
		}
	}
	return found
}
