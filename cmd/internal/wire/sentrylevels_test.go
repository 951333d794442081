package wire

import (
	"testing"

	"github.com/sirupsen/logrus"
)

func TestSentryLevels(t *testing.T) {
	for _, c := range []struct {
		in   string
		want logrus.Level
		off  bool
	}{
		{"10", logrus.DebugLevel, false},
		{"DEBUG", logrus.DebugLevel, false},
		{"info", logrus.InfoLevel, false},
		{"25", logrus.WarnLevel, false}, // Python keeps levels >= 25: WARNING up
		{"30", logrus.WarnLevel, false},
		{"WARNING", logrus.WarnLevel, false},
		{"40", logrus.ErrorLevel, false},
		{"CRITICAL", logrus.FatalLevel, false},
		{"0", logrus.TraceLevel, false},
		{"51", logrus.PanicLevel, true},
	} {
		py, err := pythonLevel(c.in)
		if err != nil {
			t.Errorf("pythonLevel(%q): %v", c.in, err)
			continue
		}
		if got, off := logrusThreshold(py); got != c.want || off != c.off {
			t.Errorf("%q: threshold %v off %v, want %v %v", c.in, got, off, c.want, c.off)
		}
	}
	if _, err := pythonLevel("loud"); err == nil {
		t.Error(`pythonLevel("loud"): no error`)
	}
}
