package apicheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
)

// Served answers GET /v1/__api__ on h as host would, and returns the
// document indented as the committed copies are.
func Served(h http.Handler, host string) ([]byte, error) {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/v1/__api__", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/__api__: %d %s", rec.Code, rec.Body)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, rec.Body.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("__api__ is not JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// CompareCopy checks the served document against the committed copy at
// path, after validating it; with update it rewrites the copy instead.
// regenerate is the command the error tells to run when the copy is stale.
func CompareCopy(ctx context.Context, path string, served []byte, update bool, regenerate string) error {
	if _, err := Load(ctx, served); err != nil {
		return fmt.Errorf("served document: %w", err)
	}
	if update {
		return os.WriteFile(path, served, 0o644)
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w; write it with: %s", err, regenerate)
	}
	if !bytes.Equal(committed, served) {
		return fmt.Errorf("%s is stale: the served document differs (first difference near byte %d); regenerate it with: %s",
			filepath.Base(path), firstDifference(committed, served), regenerate)
	}
	return nil
}

// firstDifference is the offset of the first byte where a and b differ.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
