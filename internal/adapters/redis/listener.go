package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Listener = (*Listener)(nil)

// DefaultListName is the Redis list kinto_redis.listeners pushes onto
// when event_listeners.<name>.listname is not set.
const DefaultListName = "kinto.core.events"

// Listener is Kinto's kinto_redis.listeners: each event's payload, as
// JSON, is pushed (LPUSH) onto one Redis list, for workers to pop or
// watch. Only the payload is sent, never the objects.
type Listener struct {
	pool *Pool
	list string
}

// NewListener returns a listener pushing onto list through pool.
func NewListener(pool *Pool, list string) *Listener {
	return &Listener{pool: pool, list: list}
}

// Changed pushes ev's payload.
func (l *Listener) Changed(ctx context.Context, ev ports.ResourceChanged) error {
	return l.push(ctx, ev.EventPayload)
}

// Read pushes ev's payload.
func (l *Listener) Read(ctx context.Context, ev ports.ResourceRead) error {
	return l.push(ctx, ev.EventPayload)
}

func (l *Listener) push(ctx context.Context, p ports.EventPayload) error {
	const op = "redis.Listener.push"
	msg, err := json.Marshal(Payload(p))
	if err != nil {
		return fmt.Errorf("%s: encode payload: %w", op, err)
	}
	_, err = l.pool.do(ctx, op, "LPUSH", l.list, msg)
	return err
}

// Payload is the JSON object Kinto sends for p: timestamp, action, uri,
// user_id (null when anonymous), resource_name and the URL ids
// (bucket_id, collection_id, <resource>_id…).
func Payload(p ports.EventPayload) map[string]any {
	out := map[string]any{}
	for k, v := range p.IDs {
		out[k] = v
	}
	var user any
	if p.UserID != "" {
		user = p.UserID
	}
	out["timestamp"] = p.Timestamp
	out["action"] = string(p.Action)
	out["uri"] = p.URI
	out["user_id"] = user
	out["resource_name"] = p.ResourceName
	return out
}
