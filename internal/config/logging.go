package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
)

// NewLogger builds the service's logger from log_format and log_level,
// writing to w. "json" writes one mozlog-like object per line (the format
// of Kinto's production logs); "text" writes logrus's human format. name is
// the mozlog Logger field (the project name).
func NewLogger(c *Core, name string, w io.Writer) (*logrus.Logger, error) {
	level, err := parseLevel(c.LogLevel)
	if err != nil {
		return nil, &SettingError{Setting: "log_level", Err: err}
	}
	log := logrus.New()
	log.SetOutput(w)
	log.SetLevel(level)
	switch c.LogFormat {
	case "json":
		log.SetFormatter(NewMozlogFormatter(name))
	case "text":
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: true})
	default:
		return nil, &SettingError{Setting: "log_format", Err: fmt.Errorf("unknown log format %q (want %s)", c.LogFormat, strings.Join(LogFormats, ", "))}
	}
	return log, nil
}

func parseLevel(s string) (logrus.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return logrus.DebugLevel, nil
	case "info":
		return logrus.InfoLevel, nil
	case "warn", "warning":
		return logrus.WarnLevel, nil
	case "error":
		return logrus.ErrorLevel, nil
	case "critical", "fatal":
		return logrus.FatalLevel, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warning, error, critical)", s)
}

// MozlogFormatter writes entries in Mozilla's mozlog JSON shape, as
// Kinto's JSON logs do:
//
//	{"Timestamp":<ns>,"Type":<type>,"Logger":<name>,"Hostname":…,
//	 "EnvVersion":"2.0","Severity":<syslog level>,"Pid":…,
//	 "Fields":{"msg":…,<entry fields>…}}
//
// logrus.JSONFormatter's FieldMap can rename keys but cannot nest the
// message under Fields nor write numeric severities, hence this formatter.
// The entry field "type" (for example "request.summary") becomes Type.
type MozlogFormatter struct {
	logger   string
	hostname string
	pid      int
}

// NewMozlogFormatter returns a formatter whose Logger field is name.
func NewMozlogFormatter(name string) *MozlogFormatter {
	host, _ := os.Hostname() // an empty Hostname is better than no log
	return &MozlogFormatter{logger: name, hostname: host, pid: os.Getpid()}
}

// syslogSeverity maps logrus levels to the syslog numbers mozlog uses.
var syslogSeverity = map[logrus.Level]int{
	logrus.PanicLevel: 0,
	logrus.FatalLevel: 2,
	logrus.ErrorLevel: 3,
	logrus.WarnLevel:  4,
	logrus.InfoLevel:  6,
	logrus.DebugLevel: 7,
	logrus.TraceLevel: 7,
}

// Format renders one entry as a JSON line.
func (f *MozlogFormatter) Format(e *logrus.Entry) ([]byte, error) {
	fields := make(map[string]any, len(e.Data)+1)
	typ := ""
	for k, v := range e.Data {
		if k == "type" {
			typ = fmt.Sprint(v)
			continue
		}
		if err, ok := v.(error); ok {
			v = err.Error() // errors marshal to {} otherwise
		}
		fields[k] = v
	}
	fields["msg"] = e.Message
	out := struct {
		Timestamp  int64          `json:"Timestamp"`
		Type       string         `json:"Type"`
		Logger     string         `json:"Logger"`
		Hostname   string         `json:"Hostname"`
		EnvVersion string         `json:"EnvVersion"`
		Severity   int            `json:"Severity"`
		Pid        int            `json:"Pid"`
		Fields     map[string]any `json:"Fields"`
	}{e.Time.UnixNano(), typ, f.logger, f.hostname, "2.0", syslogSeverity[e.Level], f.pid, fields}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("mozlog: encode entry: %w", err)
	}
	return buf.Bytes(), nil
}
