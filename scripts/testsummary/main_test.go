package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarise(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantFailed bool
		want       []string // substrings of the output
		notWant    []string
	}{
		{
			name: "all pass",
			in: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"noise from a passing test\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}
`,
			want:    []string{"ok  \tp\t0.01s", "1 passed, 0 failed, 1 skipped"},
			notWant: []string{"noise", "=== RUN", "PASS\n"},
		},
		{
			name: "a failing test shows its output",
			in: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: Get(missing): kind Internal, want NotFound\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- FAIL: TestA (0.00s)\n"}
{"Action":"fail","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}
{"Action":"fail","Package":"p"}
`,
			wantFailed: true,
			want:       []string{"want NotFound", "--- FAIL: TestA", "FAIL\tp", "0 passed, 1 failed, 0 skipped"},
		},
		{
			name: "build failure",
			in: `{"ImportPath":"q","Action":"build-output","Output":"q/x.go:3:1: syntax error\n"}
{"ImportPath":"q","Action":"build-fail"}
{"Action":"output","Package":"q","Output":"FAIL\tq [build failed]\n"}
{"Action":"fail","Package":"q"}
`,
			wantFailed: true,
			want:       []string{"syntax error", "[build failed]"},
		},
		{
			name: "non-JSON lines are kept",
			in:   "go: downloading example.com/m v1.0.0\n",
			want: []string{"go: downloading", "0 passed, 0 failed, 0 skipped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			failed, err := summarise(strings.NewReader(tt.in), &out)
			if err != nil {
				t.Fatalf("summarise: %v", err)
			}
			if failed != tt.wantFailed {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q lacks %q", out.String(), w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output %q has %q", out.String(), w)
				}
			}
		})
	}
}
