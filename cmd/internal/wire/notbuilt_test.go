package wire_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
)

func TestNotBuiltListsEachIgnoredItem(t *testing.T) {
	var core config.Core
	src, err := config.Load("WIRETEST", "", &core)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if w := wire.NotBuilt(&core, src); len(w) != 0 {
		t.Errorf("NotBuilt with defaults = %v, want nothing", w)
	}

	t.Setenv("WIRETEST_EVENT_LISTENERS", "redis sqs")
	t.Setenv("WIRETEST_STATSD_URL", "udp://127.0.0.1:8125")
	t.Setenv("WIRETEST_PROMETHEUS_PREFIX", "x")
	ini := filepath.Join(t.TempDir(), "wiretest.ini")
	if err := os.WriteFile(ini, []byte("[app:main]\nsentry_dsn = \"https://k@sentry.example.com/1\"\nsentry_events_min_level = 30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	core = config.Core{}
	src, err = config.Load("WIRETEST", ini, &core)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var got []string
	for _, w := range wire.NotBuilt(&core, src) {
		got = append(got, w.Setting)
	}
	// statsd_url, sentry_dsn and Sentry's log levels are built;
	// prometheus_prefix without the plugin is not used.
	want := []string{"prometheus_prefix", "event_listeners", "event_listeners"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NotBuilt: settings %q, want %q", got, want)
	}
}
