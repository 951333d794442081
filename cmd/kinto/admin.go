package main

import (
	"html"
	"os"
	"path/filepath"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// adminPlugin is the includes entry of Kinto's admin plugin.
const adminPlugin = "kinto.plugins.admin"

// adminPolicy is the Content-Security-Policy of the admin's page, Kinto's:
// the page's own scripts and styles (inline ones too, as the build needs),
// images from anywhere.
const adminPolicy = "default-src 'self'; img-src data: *; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'"

// adminAssetsPath is the folder of the kinto-admin build: the
// admin_assets_path setting, else an admin folder beside the binary (in
// the image, /admin).
func adminAssetsPath(s *settings) string {
	if s.AdminAssetsPath != "" {
		return s.AdminAssetsPath
	}
	exe, err := os.Executable()
	if err != nil {
		return "admin"
	}
	return filepath.Join(filepath.Dir(exe), "admin")
}

// mountAdmin serves the kinto-admin build of dir at /admin/ and
// advertises the admin capability, as Kinto's admin plugin does; without
// a build, the page says how to install one.
func mountAdmin(srv *httpadapter.Server, dir string) {
	srv.MountStatic("admin", "/admin", httpadapter.StaticSite{
		Dir:         dir,
		IndexPolicy: adminPolicy,
		Missing:     []byte(missingAdminPage(dir)),
		MaxAge:      time.Hour,
	})
	srv.AddCapability("admin", map[string]any{
		"version":     httpadapter.ReadVersionFile(dir),
		"description": "Serves the admin console.",
		"url":         "https://github.com/Kinto/kinto-admin/",
	})
}

// missingAdminPage explains how to install a kinto-admin build into dir.
func missingAdminPage(dir string) string {
	return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Kinto Admin is not installed</title></head>
<body>
<h1>Kinto Admin is not installed</h1>
<p>This server serves the Kinto web admin from its admin folder, which holds no build.</p>
<ol>
<li>Download a release archive of kinto-admin built for this path
(<code>kinto-admin-release.tar</code> from <a href="https://github.com/Kinto/kinto-admin/releases">its releases</a>).</li>
<li>Install it with <code>make admin ARCHIVE=path/to/archive</code> (or unpack it into the folder below
so that its <code>index.html</code> is at the top), or point the <code>admin_assets_path</code> setting
(<code>KINTO_ADMIN_ASSETS_PATH</code>) at an unpacked build.</li>
<li>Restart the server and reload this page.</li>
</ol>
<p>Admin folder: <code>` + html.EscapeString(dir) + `</code></p>
</body>
</html>
`
}
