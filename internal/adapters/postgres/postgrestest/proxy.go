// Package postgrestest helps tests put PostgreSQL in the states a
// production database can be in: frozen or unreachable.
package postgrestest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/proxytest"
)

// Proxy is a proxytest.Proxy in front of a PostgreSQL server.
type Proxy = proxytest.Proxy

// NewProxy starts a proxy to the host:port of dsn (a postgres:// URL),
// stopped at t's cleanup.
func NewProxy(t testing.TB, dsn string) *Proxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("proxy: %q is not a postgres:// URL with a host", dsn)
	}
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":5432"
	}
	return proxytest.New(t, host)
}
