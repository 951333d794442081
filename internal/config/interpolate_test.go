package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/config"
)

// An INI file is interpolated as PasteDeploy has Python's configparser do
// it for kinto.ini: %(here)s, [DEFAULT] values, chains of references, %%.
func TestINIInterpolationAsPasteDeploy(t *testing.T) {
	cleanEnv(t)
	path := writeINI(t, `[DEFAULT]
myport = 9999
domain = example.com
public = kinto.%(domain)s
project_name = from-default

[server:main]
use = egg:waitress#main
host = %(listen)s
listen = 127.0.0.2
port = %(myport)s

[app:main]
use = egg:kinto
kinto.version_json_path = %(here)s/version.json
kinto.http_host = %(public)s
kinto.project_docs = https://%(public)s/docs/%%7Efaq
kinto.eos_message = 100%% %(Domain)s
`)
	s, _, err := load(t, path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"version_json_path", s.VersionJSONPath, filepath.Join(filepath.Dir(path), "version.json")},
		{"project_docs", s.ProjectDocs, "https://kinto.example.com/docs/%7Efaq"},
		{"eos_message", s.EOSMessage, "100% example.com"},
		{"listen_host", s.ListenHost, "127.0.0.2"},
		// PasteDeploy does not pass [DEFAULT] keys to the application.
		{"project_name", s.ProjectName, "kinto"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if s.HTTPPort != 9999 {
		t.Errorf("http_port = %d, want 9999 from [server:main] port = %%(myport)s", s.HTTPPort)
	}
}

func TestINIInterpolationErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
		missing          string
	}{
		{"missing name", "[app:main]\nkinto.eos_message = %(nowhere)s\n", "nowhere", "nowhere"},
		{"missing in a chain", "[DEFAULT]\na = %(b)s\n[app:main]\nkinto.eos_message = %(a)s\n", `"b"`, "b"},
		{"loop", "[DEFAULT]\na = %(b)s\nb = %(a)s\n[app:main]\nkinto.eos_message = %(a)s\n", "deep", ""},
		{"stray percent", "[app:main]\nkinto.userid_hmac_secret = 50%off\n", "%off", ""},
		{"unclosed reference", "[app:main]\nkinto.eos_message = %(a\n", "bad reference", ""},
		{"missing in server", "[server:main]\nhost = %(nohost)s\n[app:main]\n", "nohost", "nohost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t)
			_, _, err := load(t, writeINI(t, c.body))
			if err == nil {
				t.Fatal("Load: no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load: %v, want it to mention %q", err, c.want)
			}
			var ie *config.InterpolationError
			if !errors.As(err, &ie) {
				t.Fatalf("Load: %T, want an *InterpolationError", err)
			}
			if ie.Missing != c.missing {
				t.Errorf("Missing = %q, want %q", ie.Missing, c.missing)
			}
		})
	}
}

// kinto init writes port = %(http_port)s, which Kinto's launcher fills:
// here the http_port setting applies.
func TestServerPortFromLauncherVariable(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_HTTP_PORT", "8001")
	s, _, err := load(t, writeINI(t, "[server:main]\nport = %(http_port)s\n[app:main]\n"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.HTTPPort != 8001 {
		t.Errorf("http_port = %d, want 8001", s.HTTPPort)
	}
}
