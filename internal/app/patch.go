package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// ShallowPatch is PATCH with application/json: each top-level key of data
// overwrites the current value (nested objects replaced, null stored).
func ShallowPatch(data map[string]any) Patcher {
	return func(current map[string]any) (map[string]any, error) {
		out := domain.CloneMap(current)
		for k, v := range domain.CloneMap(data) {
			out[k] = v
		}
		return out, nil
	}
}

// MergePatch is PATCH with application/merge-patch+json (RFC 7396): a
// recursive merge where null deletes, at any depth. A nil data (a body
// with only permissions) leaves the data unchanged: merged as is, it would
// be the JSON null that RFC 7396 reads as "replace everything".
func MergePatch(data map[string]any) Patcher {
	return func(current map[string]any) (map[string]any, error) {
		if data == nil {
			return domain.CloneMap(current), nil
		}
		doc, err := json.Marshal(current)
		if err != nil {
			return nil, fmt.Errorf("encode object: %w", err)
		}
		patch, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("encode merge patch: %w", err)
		}
		merged, err := jsonpatch.MergePatch(doc, patch)
		if err != nil {
			return nil, patchFailed(err)
		}
		return decodeObject(merged)
	}
}

// JSONPatchOp is one RFC 6902 operation as sent by clients.
type JSONPatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// JSONPatch is PATCH with application/json-patch+json (RFC 6902), applied to
// {"data": <object>}: paths start with /data/. Operations on
// /permissions/... are left to the permission layer and skipped here.
func JSONPatch(ops []JSONPatchOp) (Patcher, error) {
	var dataOps []JSONPatchOp
	for _, op := range ops {
		switch op.Op {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return nil, patchFailed(fmt.Errorf("unknown operation %q", op.Op))
		}
		if !strings.HasPrefix(op.Path, "/") {
			return nil, patchFailed(fmt.Errorf("path %q does not start with /", op.Path))
		}
		if strings.HasPrefix(op.Path, "/permissions/") || op.Path == "/permissions" {
			continue
		}
		dataOps = append(dataOps, op)
	}
	raw, err := json.Marshal(dataOps)
	if err != nil {
		return nil, fmt.Errorf("encode json patch: %w", err)
	}
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return nil, patchFailed(err)
	}
	return func(current map[string]any) (map[string]any, error) {
		doc, err := json.Marshal(map[string]any{"data": current})
		if err != nil {
			return nil, fmt.Errorf("encode object: %w", err)
		}
		opts := jsonpatch.NewApplyOptions()
		// copy operations can double a document each: a kilobyte of
		// operations would otherwise grow an object to gigabytes.
		opts.AccumulatedCopySizeLimit = maxPatchGrowth
		out, err := patch.ApplyWithOptions(doc, opts)
		if err != nil {
			return nil, patchFailed(err)
		}
		wrapped, err := decodeObject(out)
		if err != nil {
			return nil, err
		}
		data, ok := wrapped["data"].(map[string]any)
		if !ok {
			return nil, patchFailed(fmt.Errorf("data is no longer an object"))
		}
		return data, nil
	}, nil
}

// maxPatchGrowth bounds how much copy operations of one JSON-Patch may add
// to an object, in bytes.
const maxPatchGrowth = 1 << 20

func patchFailed(cause error) error {
	return &Error{Kind: domain.Invalid, Op: "app.JSONPatch", Issues: []domain.Issue{{Location: domain.InBody, Description: "JSON Patch operation failed: " + cause.Error()}}, Err: cause}
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode patched object: %w", err)
	}
	return m, nil
}
