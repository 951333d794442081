package wire

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/app/metered"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// RedisListener is the use of Kinto's Redis event listener.
const RedisListener = "kinto_redis.listeners"

// listenerUse returns what event listener name is: the name itself when
// it is a module this version builds (Kinto loads a dotted name as the
// module), else its event_listeners.<name>.use. prefix is where its other
// settings live, as Kinto derives it.
func listenerUse(src *config.Source, name string) (use, prefix string) {
	if name == RedisListener {
		return name, "event_listeners." + name[strings.LastIndex(name, ".")+1:] + "."
	}
	prefix = "event_listeners." + name + "."
	use, _ = src.Lookup(prefix + "use")
	return strings.TrimSpace(use), prefix
}

// builtListener reports whether this version builds the listener name.
func builtListener(src *config.Source, name string) bool {
	use, _ := listenerUse(src, name)
	return use == RedisListener
}

// OpenListeners builds the event listeners of event_listeners that this
// version builds (the others are reported by NotBuilt), each wrapped in
// its .actions and .resources filters. They are meant to run after
// commit. closers release their connections. Errors are
// *config.SettingError.
//
// Each listener is timed under Kinto's "listeners.<name>.seconds" in m.
func OpenListeners(ctx context.Context, core *config.Core, src *config.Source, m ports.Metrics) (ls []ports.Listener, closers []func() error, err error) {
	defer func() {
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
			ls, closers = nil, nil
		}
	}()
	for _, name := range core.EventListeners {
		use, prefix := listenerUse(src, name)
		if use != RedisListener {
			continue
		}
		l, closer, err := openRedisListener(ctx, src, prefix)
		if err != nil {
			return nil, closers, err
		}
		closers = append(closers, closer)
		f, err := listenerFilters(src, prefix)
		if err != nil {
			return nil, closers, err
		}
		f.L = l
		ls = append(ls, metered.WrapListener(f, m, "listeners."+name+".seconds"))
	}
	return ls, closers, nil
}

// listenerFilters reads <prefix>actions and <prefix>resources.
func listenerFilters(src *config.Source, prefix string) (ports.Filtered, error) {
	var f ports.Filtered
	actions, _ := src.LookupList(prefix + "actions")
	for _, a := range actions {
		switch ports.EventAction(a) {
		case ports.EventCreate, ports.EventUpdate, ports.EventDelete, ports.EventRead:
			f.Actions = append(f.Actions, ports.EventAction(a))
		default:
			return f, &config.SettingError{Setting: prefix + "actions",
				Err: fmt.Errorf("unknown action %q (want create, update, delete or read)", a)}
		}
	}
	f.Resources, _ = src.LookupList(prefix + "resources")
	return f, nil
}

// positive reads an optional positive number setting.
func positive(src *config.Source, key string, def float64) (float64, error) {
	v, ok := src.Lookup(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n <= 0 {
		return 0, &config.SettingError{Setting: key, Err: fmt.Errorf("%q is not a positive number", v)}
	}
	return n, nil
}

// openRedisListener builds kinto_redis.listeners from <prefix>url,
// pool_size, pool_timeout (seconds to wait for a free connection, and
// for each command) and listname, and pings the server.
func openRedisListener(ctx context.Context, src *config.Source, prefix string) (ports.Listener, func() error, error) {
	url, _ := src.Lookup(prefix + "url")
	if strings.TrimSpace(url) == "" {
		url = "redis://localhost:6379/0" // kinto_redis's default host and port
	}
	size, err := positive(src, prefix+"pool_size", 25)
	if err != nil {
		return nil, nil, err
	}
	timeout, err := positive(src, prefix+"pool_timeout", 5)
	if err != nil {
		return nil, nil, err
	}
	list, _ := src.Lookup(prefix + "listname")
	if strings.TrimSpace(list) == "" {
		list = redis.DefaultListName
	}
	wait := time.Duration(timeout * float64(time.Second))
	pool, err := redis.NewPool(redis.PoolOptions{URL: url, Size: int(size), PoolTimeout: wait, ConnectTimeout: wait, CommandTimeout: wait})
	if err != nil {
		return nil, nil, &config.SettingError{Setting: prefix + "url", Err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		_ = pool.Close()
		return nil, nil, &config.SettingError{Setting: prefix + "url", Err: fmt.Errorf("connect event listener redis: %w", err)}
	}
	return redis.NewListener(pool, list), pool.Close, nil
}
