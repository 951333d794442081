package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/config"
)

func TestJSONLoggerWritesMozlog(t *testing.T) {
	var buf bytes.Buffer
	log, err := config.NewLogger(&config.Core{LogFormat: "json", LogLevel: "info"}, "kinto", &buf)
	if err != nil {
		t.Fatalf("NewLogger: %v", err)
	}
	log.WithFields(logrus.Fields{"type": "request.summary", "code": 200, "err": errors.New("boom")}).Info("GET /v1/")
	log.Debug("hidden at info level")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 (debug filtered): %q", len(lines), buf.String())
	}
	var got struct {
		Timestamp  int64
		Type       string
		Logger     string
		Hostname   string
		EnvVersion string
		Severity   int
		Pid        int
		Fields     map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatalf("line %q is not JSON: %v", lines[0], err)
	}
	if got.Timestamp <= 0 || got.Type != "request.summary" || got.Logger != "kinto" || got.EnvVersion != "2.0" ||
		got.Severity != 6 || got.Pid != os.Getpid() {
		t.Errorf("mozlog envelope = %+v, want Type request.summary, Logger kinto, EnvVersion 2.0, Severity 6, Pid %d", got, os.Getpid())
	}
	if got.Fields["msg"] != "GET /v1/" || got.Fields["code"] != float64(200) || got.Fields["err"] != "boom" {
		t.Errorf("Fields = %v, want msg, code 200 and err as a string", got.Fields)
	}
	if _, ok := got.Fields["type"]; ok {
		t.Errorf("Fields = %v, want type moved to Type", got.Fields)
	}
}

func TestTextLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := config.NewLogger(&config.Core{LogFormat: "text", LogLevel: "debug"}, "kinto", &buf)
	if err != nil {
		t.Fatalf("NewLogger: %v", err)
	}
	log.WithField("path", "/v1/").Debug("hello")
	if out := buf.String(); !strings.Contains(out, "level=debug") || !strings.Contains(out, "msg=hello") || !strings.Contains(out, "path=/v1/") {
		t.Errorf("text log = %q, want level, msg and fields", out)
	}
}

func TestNewLoggerErrors(t *testing.T) {
	tests := []struct {
		core    config.Core
		setting string
	}{
		{config.Core{LogFormat: "xml", LogLevel: "info"}, "log_format"},
		{config.Core{LogFormat: "json", LogLevel: "chatty"}, "log_level"},
	}
	for _, tt := range tests {
		_, err := config.NewLogger(&tt.core, "kinto", &bytes.Buffer{})
		var se *config.SettingError
		if !errors.As(err, &se) || se.Setting != tt.setting {
			t.Errorf("NewLogger(%+v): %v, want a SettingError on %s", tt.core, err, tt.setting)
		}
	}
}
