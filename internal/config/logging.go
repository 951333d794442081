package config

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/domain"
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

// Format renders one entry as a JSON line: the bytes encoding/json would
// write for the struct of the doc comment (HTML left unescaped, fields
// sorted), appended by hand into logrus's pooled buffer because this runs
// once per request and encoding/json's map encoder allocates per field.
func (f *MozlogFormatter) Format(e *logrus.Entry) ([]byte, error) {
	var keysArr [24]string
	keys := keysArr[:0]
	typ := ""
	hasMsg := false
	for k, v := range e.Data {
		if k == "type" {
			if s, ok := v.(string); ok {
				typ = s
			} else {
				typ = fmt.Sprint(v)
			}
			continue
		}
		if k == "msg" {
			hasMsg = true
		}
		keys = append(keys, k)
	}
	if !hasMsg {
		keys = append(keys, "msg")
	}
	slices.Sort(keys)
	var dst []byte
	if e.Buffer != nil {
		dst = e.Buffer.AvailableBuffer()
	}
	dst = append(dst, `{"Timestamp":`...)
	dst = strconv.AppendInt(dst, e.Time.UnixNano(), 10)
	dst = append(dst, `,"Type":`...)
	dst = domain.AppendJSONString(dst, typ, false)
	dst = append(dst, `,"Logger":`...)
	dst = domain.AppendJSONString(dst, f.logger, false)
	dst = append(dst, `,"Hostname":`...)
	dst = domain.AppendJSONString(dst, f.hostname, false)
	dst = append(dst, `,"EnvVersion":"2.0","Severity":`...)
	dst = strconv.AppendInt(dst, int64(syslogSeverity[e.Level]), 10)
	dst = append(dst, `,"Pid":`...)
	dst = strconv.AppendInt(dst, int64(f.pid), 10)
	dst = append(dst, `,"Fields":{`...)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = domain.AppendJSONString(dst, k, false)
		dst = append(dst, ':')
		if k == "msg" {
			// The message wins over a "msg" field. Written apart: boxing
			// it into v would cost an allocation per field of the line.
			dst = domain.AppendJSONString(dst, e.Message, false)
			continue
		}
		v := e.Data[k]
		if err, ok := v.(error); ok {
			v = err.Error() // errors marshal to {} otherwise
		}
		var err error
		if dst, err = domain.AppendJSON(dst, v, false); err != nil {
			return nil, fmt.Errorf("mozlog: encode field %s: %w", k, err)
		}
	}
	dst = append(dst, "}}\n"...)
	if e.Buffer != nil {
		// Into the pooled buffer, so that it keeps the capacity for the
		// next line; dst is its free space unless it had to grow.
		e.Buffer.Write(dst)
		return e.Buffer.Bytes(), nil
	}
	return dst, nil
}
