package ports

import "context"

// HealthChecker is a backend that can tell whether it works. The heartbeat
// endpoint runs every checker concurrently, each under a timeout.
type HealthChecker interface {
	// Healthy returns nil when the backend answers and can serve requests.
	// It must return promptly once ctx is done.
	Healthy(ctx context.Context) error
}
