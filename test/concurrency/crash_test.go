package concurrency_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash tests kill a server with SIGKILL while clients write, start a
// new one on the same backend, and check that every write the dead server
// acknowledged (a 2xx) is there: an acknowledged write is durable.

const (
	crashWriters    = 8
	crashWriteTime  = 1500 * time.Millisecond // writing before the kill
	redisReadyLimit = 10 * time.Second
)

// crashWorkload creates a bucket and collection on s, runs crashWriters
// clients that each PUT new records until the server dies, kills it with
// SIGKILL after crashWriteTime (and runs also, when not nil, right after
// the kill: the Redis test kills its redis-server too), and returns the
// ids of the records acknowledged with 201.
func crashWorkload(t *testing.T, s *server, also func()) []string {
	t.Helper()
	c := newClient("alice", "s3cret")
	defer c.http.CloseIdleConnections()
	coll := s.origin + "/v1/buckets/crash/collections/c"
	c.must(t, http.MethodPut, s.origin+"/v1/buckets/crash", nil)
	c.must(t, http.MethodPut, coll, nil)

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := 0; w < crashWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				r, err := c.do(ctx, http.MethodPut, coll+"/records/"+id, map[string]any{"data": map[string]any{"w": w, "i": i}})
				cancel()
				if err != nil {
					return // the server is gone
				}
				if r.status != http.StatusCreated {
					continue // not acknowledged; nothing to check
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(crashWriteTime)
	if err := s.proc.Kill(); err != nil { // SIGKILL
		t.Fatalf("kill kinto serve: %v", err)
	}
	if also != nil {
		also()
	}
	<-s.exited
	wg.Wait()
	if len(acked) == 0 {
		t.Fatalf("no write acknowledged in %v before the kill:\n%s", crashWriteTime, s.logs)
	}
	return acked
}

// checkAcked reads every acknowledged record through s.
func checkAcked(t *testing.T, s *server, acked []string) {
	t.Helper()
	c := newClient("alice", "s3cret")
	defer c.http.CloseIdleConnections()
	coll := s.origin + "/v1/buckets/crash/collections/c"
	lost := 0
	// On Redis a unit the dead server left open holds the store until its
	// lease (15 s) expires and the next reader rolls it back; until then
	// reads may answer 503, which loses nothing.
	deadline := time.Now().Add(45 * time.Second)
	for _, id := range acked {
		var r response
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*requestTimeout)
			var err error
			r, err = c.do(ctx, http.MethodGet, coll+"/records/"+id, nil)
			cancel()
			if err != nil {
				t.Fatalf("GET %s after the crash: %v", id, err)
			}
			if r.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if r.status != http.StatusOK {
			lost++
			if lost <= 10 {
				t.Errorf("record %s acknowledged before the crash: GET answers %d %s, want 200", id, r.status, r.body)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	t.Logf("%d acknowledged writes all found after the crash", len(acked)-lost)
}

func TestCrashLosesNoAcknowledgedWritePostgres(t *testing.T) {
	base := os.Getenv(urlVar)
	if base == "" {
		t.Skipf("%s not set: the PostgreSQL crash test is skipped", urlVar)
	}
	dbURL := freshDatabase(t, base)
	settings := map[string]string{
		"KINTO_STORAGE_BACKEND":      "postgresql",
		"KINTO_STORAGE_URL":          dbURL,
		"KINTO_PERMISSION_BACKEND":   "postgresql",
		"KINTO_PERMISSION_URL":       dbURL,
		"KINTO_STORAGE_POOL_SIZE":    "8",
		"KINTO_STORAGE_MAX_OVERFLOW": "0",
	}
	for k, v := range baseSettings {
		settings[k] = v
	}
	runMigrate(t, settings)
	acked := crashWorkload(t, startServer(t, settings), nil)
	checkAcked(t, startServer(t, settings), acked)
}

// TestCrashLosesNoAcknowledgedWriteRedis runs its own redis-server with an
// append-only file synced at every write, kills it with SIGKILL together
// with kinto, restarts it on the same file and checks what kinto
// acknowledged survived both.
func TestCrashLosesNoAcknowledgedWriteRedis(t *testing.T) {
	bin := redisServerBinary(t)
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	settings := map[string]string{
		"KINTO_STORAGE_BACKEND":    "redis",
		"KINTO_STORAGE_URL":        redisURL,
		"KINTO_PERMISSION_BACKEND": "redis",
		"KINTO_PERMISSION_URL":     redisURL,
	}
	for k, v := range baseSettings {
		settings[k] = v
	}
	redis := startRedis(t, bin, dir, port)
	acked := crashWorkload(t, startServer(t, settings), func() {
		if err := redis.Process.Kill(); err != nil {
			t.Errorf("kill redis-server: %v", err)
		}
	})
	startRedis(t, bin, dir, port)
	checkAcked(t, startServer(t, settings), acked)
}

// startRedis runs redis-server on 127.0.0.1:port with its files in dir,
// every write appended and fsynced before it is answered, and waits until
// it answers PING. It is killed at cleanup if still running.
func startRedis(t *testing.T, bin, dir string, port int) *exec.Cmd {
	t.Helper()
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
		"--logfile", filepath.Join(dir, "redis.log"))
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(redisReadyLimit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server exited: %s\n%s", logs, log)
		default:
		}
		if redisPing(port) {
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server on port %d: no PONG within %v", port, redisReadyLimit)
	return nil
}

// redisPing sends an inline PING and reports whether PONG came back (a
// server still loading its file answers -LOADING instead).
func redisPing(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}

// redisServerBinary is the redis-server the Redis cases start a server of
// their own with. Without one they are skipped, unless
// CLIQUET_TEST_REDIS_URL is set: the integration run (CI) has Redis, and
// a case it skips proves nothing, so there a missing binary fails.
func redisServerBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CLIQUET_TEST_REDIS_URL") != "" {
			t.Fatalf("CLIQUET_TEST_REDIS_URL is set but redis-server is not installed: %v", err)
		}
		t.Skip("redis-server not installed (and CLIQUET_TEST_REDIS_URL not set): skipped")
	}
	return bin
}
