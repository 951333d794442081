package runner

// ServeUntilDone exposes the graceful shutdown to the tests, which drive
// it with a handler that blocks.
var ServeUntilDone = serveUntilDone
