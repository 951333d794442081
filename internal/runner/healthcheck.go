package runner

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cliquet-go/cliquet/internal/config"
)

// healthcheckTimeout bounds the healthcheck command, which container
// engines run periodically.
const healthcheckTimeout = 5 * time.Second

// healthcheck asks the server of these settings for __lbheartbeat__; it is
// the container's HEALTHCHECK, so the image needs no curl.
func (svc Service[S]) healthcheck(ctx context.Context, core *config.Core) int {
	host := core.ListenHost
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1" // a wildcard listener answers on loopback
	}
	major, _, _ := strings.Cut(core.HTTPAPIVersion, ".")
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(core.HTTPPort)) + "/v" + major + "/__lbheartbeat__"

	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(svc.Stderr, "%s: healthcheck: %v\n", svc.Name, err)
		return ExitFailure
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(svc.Stderr, "%s: healthcheck: %v\n", svc.Name, err)
		return ExitFailure
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection close cleanly
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(svc.Stderr, "%s: healthcheck: GET %s: %s\n", svc.Name, url, resp.Status)
		return ExitFailure
	}
	fmt.Fprintf(svc.Stdout, "ok: GET %s: %s\n", url, resp.Status)
	return ExitOK
}
