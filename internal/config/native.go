package config

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// NativeKind is what a raw setting value turned out to be once decoded the
// way Kinto decodes every value it reads from its INI file and from the
// environment: as JSON when the text is a JSON document, else as the text
// itself.
type NativeKind uint8

// The kinds of decoded values.
const (
	NativeText   NativeKind = iota // not JSON: the raw text, unchanged
	NativeString                   // a JSON string: `"x"` is x
	NativeNull                     // null: no value
	NativeBool                     // true or false
	NativeNumber                   // a JSON number, or NaN, Infinity, -Infinity as Python reads them
	NativeArray                    // a JSON array
	NativeObject                   // a JSON object
)

// Native is a decoded setting value.
type Native struct {
	Kind NativeKind
	// Text is the value as text: the raw text (NativeText, NativeArray,
	// NativeObject), the decoded string, the number's literal, "true" or
	// "false", or "" for null.
	Text string
	// Items are the array's items as text (strings decoded, other items
	// in their JSON form), for NativeArray only.
	Items []string
}

// DecodeNative decodes raw as Kinto does (kinto.core.utils.native_value,
// which is Python's json.loads falling back to the text): `"x"` is the
// string x, null is no value, true and false are booleans, 7 and 3.14 are
// numbers, and any text that is not one JSON document (a bare word, a
// date, 'single quotes', "") is kept as it is.
func DecodeNative(raw string) Native {
	trimmed := strings.Trim(raw, " \t\r\n")
	switch trimmed {
	case "NaN", "Infinity", "-Infinity":
		// Python's json module accepts them; encoding/json does not.
		return Native{Kind: NativeNumber, Text: trimmed}
	}
	d := json.NewDecoder(strings.NewReader(trimmed))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return Native{Kind: NativeText, Text: raw}
	}
	if _, err := d.Token(); err != io.EOF {
		return Native{Kind: NativeText, Text: raw} // "1 2", "[] x": not one document
	}
	switch v := v.(type) {
	case nil:
		return Native{Kind: NativeNull}
	case string:
		return Native{Kind: NativeString, Text: v}
	case bool:
		return Native{Kind: NativeBool, Text: fmt.Sprint(v)}
	case json.Number:
		return Native{Kind: NativeNumber, Text: v.String()}
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			if s, ok := item.(string); ok {
				items[i] = s
				continue
			}
			b, _ := json.Marshal(item) // decoded JSON always encodes again
			items[i] = string(b)
		}
		return Native{Kind: NativeArray, Text: raw, Items: items}
	default:
		return Native{Kind: NativeObject, Text: raw}
	}
}
