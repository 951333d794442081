package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/config"
)

// FuzzLoadINI feeds arbitrary files to Load: it must return settings or an
// error, never panic, and a value error must name a setting.
func FuzzLoadINI(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "kinto.ini"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("[app:main]\nkinto.paginate_by = 10\npaginate_by = 20\n")
	f.Add("[server:main]\nport = x\n[app:main]\n")
	f.Add("[app:main]\nkinto.includes = a\n  b\n\tc\nkinto.readonly = on # comment?\n")
	f.Add("[app:main\nkey")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "fuzz.ini")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var s service
		_, err := config.Load("KINTO", path, &s)
		var se *config.SettingError
		if errors.As(err, &se) && se.Setting == "" {
			t.Errorf("Load: %v: SettingError without a setting", err)
		}
		if err == nil && strings.Contains(string(s.StorageBackend), ".") {
			t.Errorf("storage_backend %q kept a dotted name", s.StorageBackend)
		}
	})
}
