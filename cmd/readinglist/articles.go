package main

import (
	"context"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// articleName is the storage name of articles; the archive view and the
// stats view read the same lists through it.
const articleName = "article"

// articleSchema validates every write of an article, after the Process hook
// has filled the server-side fields. Unknown fields are refused so that a
// typo ("unred") is a 400 rather than silently stored data.
const articleSchema = `{
	"type": "object",
	"properties": {
		"url":           {"type": "string", "pattern": "^[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s]+$", "maxLength": 2048},
		"title":         {"type": "string", "minLength": 1, "maxLength": 1024},
		"added_by":      {"type": "string", "maxLength": 1024},
		"unread":        {"type": "boolean"},
		"read_position": {"type": "integer", "minimum": 0},
		"archived":      {"type": "boolean"},
		"favorite":      {"type": "boolean"},
		"added_on":      {"type": "integer", "minimum": 0},
		"device":        {"type": "string"}
	},
	"required": ["url", "title"],
	"additionalProperties": false
}`

// articles declares the per-user reading list: every user sees only their
// own articles at /v1/articles and /v1/articles/{id}, with the whole record
// protocol. clock stamps added_on.
func articles(clock domain.Clock) *app.Resource {
	return &app.Resource{
		Name:           articleName,
		Plural:         "articles",
		PerUser:        true,
		IDs:            app.UUID4{},
		Schema:         app.MustCompileSchema(articleSchema),
		ReadonlyFields: []string{"added_on", "device"},
		UniqueFields:   []string{"url"},
		DefaultSort:    []domain.Sort{{Field: "last_modified", Desc: true}},
		Process:        processArticle(clock),
	}
}

// articleDefaults are the values of the optional fields a client leaves
// out, applied on every write as schema defaults would be.
var articleDefaults = map[string]any{
	"unread":        true,
	"archived":      false,
	"favorite":      false,
	"read_position": json.Number("0"),
}

// maxDeviceBytes bounds the device field: User-Agent headers can be long
// and say nothing more useful past that.
const maxDeviceBytes = 256

// processArticle fills the server-side fields. On creation (POST, or PUT of
// a new id) added_on is the current time and device the User-Agent that
// added the article; whatever the client sent for them is replaced. Later
// writes keep them: the engine refuses a change to a readonly field before
// this hook runs, and puts them back when a PUT omits them.
func processArticle(clock domain.Clock) func(context.Context, *app.Write) error {
	return func(_ context.Context, w *app.Write) error {
		data := w.New.Data
		for field, v := range articleDefaults {
			if _, ok := data[field]; !ok {
				data[field] = v
			}
		}
		if w.Old != nil {
			return nil
		}
		data["added_on"] = json.Number(strconv.FormatInt(clock.NowMillis(), 10))
		delete(data, "device")
		if ua := w.Request.HeaderValue("User-Agent"); ua != "" {
			data["device"] = truncate(ua, maxDeviceBytes)
		}
		return nil
	}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
