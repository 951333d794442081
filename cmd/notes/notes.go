package main

import (
	"github.com/cliquet-go/cliquet/internal/app"
)

// notes declares the resource: every authenticated user has a private list
// of notes, each a title and an optional text, newest first.
func notes() *app.Resource {
	return &app.Resource{
		Name:    "note",
		Plural:  "notes",
		PerUser: true,
		IDs:     app.UUID4{},
		Schema: app.MustCompileSchema(`{
			"type": "object",
			"properties": {
				"title": {"type": "string", "minLength": 1, "maxLength": 256},
				"text":  {"type": "string"}
			},
			"required": ["title"]
		}`),
	}
}
