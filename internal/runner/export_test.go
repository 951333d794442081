package runner

// ServeUntilDone exposes the graceful shutdown to the tests, which drive
// it with a handler that blocks.
var ServeUntilDone = serveUntilDone

// ServerLimits exposes the server's bounds, which ServeUntilDone takes.
type ServerLimits = serverLimits

// LimitsOf and NewHTTPServer expose how the server's bounds are read and
// applied.
var (
	LimitsOf      = limitsOf
	NewHTTPServer = newHTTPServer
)
