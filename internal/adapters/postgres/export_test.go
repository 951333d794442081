package postgres

// Translate exposes the error translation to the external tests, which
// cannot provoke every server error on demand.
var Translate = translate
