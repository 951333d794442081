package api_test

import (
	"encoding/json"
	"testing"

	"github.com/cliquet-go/cliquet/api"
)

func TestDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(api.Document(), &doc); err != nil {
		t.Fatalf("Document() is not JSON: %v", err)
	}
	if doc["swagger"] != "2.0" || doc["basePath"] != "/v1" {
		t.Errorf("swagger %v basePath %v, want 2.0 and /v1", doc["swagger"], doc["basePath"])
	}
	first := api.Document()
	first[0] = 'X'
	if api.Document()[0] == 'X' {
		t.Error("Document() shares its bytes with callers")
	}
}
