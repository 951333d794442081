package main

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// adminServer serves with extra settings; adminGet answers one GET.
func adminGet(t *testing.T, k *kintoServer, path string) (*http.Response, string) {
	t.Helper()
	r := k.do(anonymous, http.MethodGet, path, nil)
	return &http.Response{StatusCode: r.status, Header: r.header}, string(r.raw)
}

func TestAdminPluginOffByDefault(t *testing.T) {
	s, src := testSettings(t, map[string]string{"experimental_permissions_endpoint": "false"})
	k := newKintoServer(t, s, src)
	caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
	for _, c := range []string{"admin", "permissions_endpoint"} {
		if _, on := caps[c]; on {
			t.Errorf("capability %s without kinto.plugins.admin", c)
		}
	}
	k.must(http.StatusNotFound, owner, http.MethodGet, "/permissions", nil)
	k.must(http.StatusNotFound, anonymous, http.MethodGet, "/admin", nil)
}

func TestAdminPluginWithoutBuild(t *testing.T) {
	dir := t.TempDir()
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.admin", "admin_assets_path": dir,
		"experimental_permissions_endpoint": "false"})
	k := newKintoServer(t, s, src)
	caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
	if _, on := caps["permissions_endpoint"]; !on {
		t.Errorf("capabilities %v: the admin plugin turns permissions_endpoint on", caps)
	}
	if admin, _ := caps["admin"].(map[string]any); admin == nil || admin["url"] != "https://github.com/Kinto/kinto-admin/" {
		t.Errorf("capabilities %v: want admin", caps)
	}
	k.must(http.StatusOK, owner, http.MethodGet, "/permissions", nil)

	r := k.do(anonymous, http.MethodGet, "/admin", nil)
	if r.status != http.StatusTemporaryRedirect || !strings.HasSuffix(r.header.Get("Location"), "/v1/admin/") {
		t.Errorf("GET /v1/admin: %d, Location %q; want 307 to /v1/admin/", r.status, r.header.Get("Location"))
	}
	resp, body := adminGet(t, k, "/admin/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "Kinto Admin is not installed") || !strings.Contains(body, "make admin") {
		t.Errorf("GET /v1/admin/ without a build: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	k.must(http.StatusNotFound, anonymous, http.MethodGet, "/admin/app.js", nil)
}

func TestAdminPluginServesTheBuild(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"index.html":         `<!DOCTYPE html><html><head><script src="app.js"></script></head><body>admin</body></html>`,
		"VERSION":            "6.4.1\n",
		"app.js":             "console.log('admin')",
		"assets/style.css":   "body{}",
		"assets/logo.svg":    `<svg xmlns="http://www.w3.org/2000/svg"/>`,
		"assets/nested/x.js": "1",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(filepath.Dir(dir), "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.admin kinto.plugins.default_bucket", "admin_assets_path": dir})
	k := newKintoServer(t, s, src)
	caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
	if admin, _ := caps["admin"].(map[string]any); admin["version"] != "6.4.1" {
		t.Errorf("admin capability %v, want version 6.4.1 from the build's VERSION", admin)
	}

	resp, body := adminGet(t, k, "/admin/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<body>admin</body>") {
		t.Fatalf("GET /v1/admin/: %d %s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != adminPolicy {
		t.Errorf("index CSP %q, want %q", csp, adminPolicy)
	}
	for path, wantType := range map[string]string{
		"/admin/app.js":             "text/javascript",
		"/admin/assets/style.css":   "text/css",
		"/admin/assets/logo.svg":    "image/svg+xml",
		"/admin/assets/nested/x.js": "text/javascript",
	} {
		resp, _ := adminGet(t, k, path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) ||
			resp.Header.Get("Cache-Control") != "max-age=3600" {
			t.Errorf("GET %s: %d, Content-Type %q, Cache-Control %q; want 200 %s cached an hour",
				path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), wantType)
		}
	}
	// No listing, nothing outside the folder, no index through its path.
	for _, path := range []string{"/admin/assets", "/admin/assets/", "/admin/../secret.txt", "/admin/%2e%2e/secret.txt", "/admin/missing.js"} {
		r := k.do(anonymous, http.MethodGet, path, nil)
		if r.status == http.StatusOK || strings.Contains(string(r.raw), "secret") {
			t.Errorf("GET %s: %d %s, want no file", path, r.status, r.raw)
		}
	}
}

// An account created anonymously answers with its own write permission,
// as Kinto credits the account itself with the write.
func TestAnonymousAccountCreationShowsItsPermissions(t *testing.T) {
	srv := startAccounts(t)
	a := acctDo(t, srv, http.MethodPut, "/accounts/bob", "", map[string]any{"data": map[string]any{"password": "pw"}})
	wantStatus(t, "PUT /accounts/bob anonymously", a, http.StatusCreated, 0)
	if perms, _ := a.body["permissions"].(map[string]any); !reflect.DeepEqual(perms, map[string]any{"write": []any{"account:bob"}}) {
		t.Errorf("permissions %v, want write for account:bob", a.body["permissions"])
	}
	// An administrator creating an account sees them too.
	wantStatus(t, "PUT /accounts/admin", acctDo(t, srv, http.MethodPut, "/accounts/admin", "", map[string]any{"data": map[string]any{"password": "pw"}}), http.StatusCreated, 0)
	a = acctDo(t, srv, http.MethodPut, "/accounts/carol", "admin:pw", map[string]any{"data": map[string]any{"password": "pw"}})
	wantStatus(t, "PUT /accounts/carol as admin", a, http.StatusCreated, 0)
	if perms, _ := a.body["permissions"].(map[string]any); !reflect.DeepEqual(perms, map[string]any{"write": []any{"account:carol"}}) {
		t.Errorf("permissions %v, want write for account:carol", a.body["permissions"])
	}
}
