package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/cliquet-go/cliquet/internal/runner"
)

// iniTemplate is the kinto.ini that `kinto init` writes: Kinto's
// sections and settings, with the backends, host and secrets filled in.
//
//go:embed kinto.ini.tmpl
var iniTemplate string

// defaultPostgreSQLURL is the database URL `kinto init` writes for the
// PostgreSQL backends, Kinto's.
const defaultPostgreSQLURL = "postgresql://postgres:postgres@localhost/postgres"

// initBackend is what `kinto init` writes for one backend choice: the
// module name (Kinto's, which both servers read) and the URL.
type initBackend struct{ module, url string }

// initStorage and initCache are the choices of --backend (storage and
// permission) and --cache-backend. Kinto offers memcached for the cache
// too; it is not built into this version, so it is refused here rather
// than written into a file the server would then refuse.
var (
	initStorage = map[string][2]initBackend{
		"memory": {{"kinto.core.storage.memory", ""}, {"kinto.core.permission.memory", ""}},
		"postgresql": {{"kinto.core.storage.postgresql", defaultPostgreSQLURL},
			{"kinto.core.permission.postgresql", defaultPostgreSQLURL}},
		// Kinto's own init has no Redis storage; the kinto-redis plugin's
		// module names are the ones a Kinto with that plugin reads. Its
		// own database keeps it apart from a Redis cache's flush.
		"redis": {{"kinto_redis.storage", "redis://127.0.0.1:6379/1"}, {"kinto_redis.permission", "redis://127.0.0.1:6379/1"}},
	}
	initCache = map[string]initBackend{
		"memory":     {"kinto.core.cache.memory", ""},
		"postgresql": {"kinto.core.cache.postgresql", defaultPostgreSQLURL},
		"redis":      {"kinto.core.cache.redis", "redis://127.0.0.1:6379/0"},
	}
)

// initValues fill iniTemplate.
type initValues struct {
	Date, Version, Host              string
	StorageBackend, StorageURL       string
	PermissionBackend, PermissionURL string
	CacheBackend, CacheURL           string
	UserIDSecret, BucketSecret       string
}

// initCommand is `kinto init [--backend B] [--cache-backend B] [--host H]`:
// it writes a kinto.ini at --ini (config/kinto.ini by default) for the
// chosen backends, with fresh secrets, as Kinto's does, and never
// overwrites an existing file. A backend the flags leave out is asked for
// on a terminal, as Kinto asks, and is memory otherwise.
func initCommand(_ context.Context, env *runner.Env[settings]) int {
	fs := flag.NewFlagSet("kinto init", flag.ContinueOnError)
	backend := fs.String("backend", "", "storage and permission backend: memory, postgresql or redis (asked when missing)")
	cacheBackend := fs.String("cache-backend", "", "cache backend: memory, postgresql or redis (asked when missing)")
	host := fs.String("host", "127.0.0.1", "address the server listens on ([server:main] host)")
	if !env.ParseFlags(fs) {
		return runner.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "kinto: init: unexpected argument %q\n", fs.Arg(0))
		return runner.ExitUsage
	}
	if _, err := os.Stat(env.INI); err == nil {
		fmt.Fprintf(env.Stderr, "kinto: init: %s already exists.\n", env.INI)
		return runner.ExitFailure
	} else if !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.Stderr, "kinto: init: %v\n", err)
		return runner.ExitFailure
	}

	in := bufio.NewReader(env.Stdin)
	if *backend == "" {
		*backend = "memory"
		if env.Interactive() {
			var err error
			*backend, err = choose(in, env.Stdout, "Select the backend you would like to use: (1 - postgresql, 2 - redis, default - memory) ",
				map[string]string{"": "memory", "1": "postgresql", "2": "redis"})
			if err != nil {
				fmt.Fprintf(env.Stderr, "kinto: init: %v\n", err)
				return runner.ExitFailure
			}
		}
	}
	if *cacheBackend == "" {
		*cacheBackend = "memory"
		if env.Interactive() {
			var err error
			*cacheBackend, err = choose(in, env.Stdout, "Select the cache backend you would like to use: (1 - postgresql, 2 - redis, default - memory) ",
				map[string]string{"": "memory", "1": "postgresql", "2": "redis"})
			if err != nil {
				fmt.Fprintf(env.Stderr, "kinto: init: %v\n", err)
				return runner.ExitFailure
			}
		}
	}
	storage, ok := initStorage[*backend]
	if !ok {
		fmt.Fprintf(env.Stderr, "kinto: init: unknown --backend %q (want memory, postgresql or redis)\n", *backend)
		return runner.ExitUsage
	}
	cache, ok := initCache[*cacheBackend]
	if !ok {
		fmt.Fprintf(env.Stderr, "kinto: init: unknown --cache-backend %q (want memory, postgresql or redis; memcached is not built into this version)\n", *cacheBackend)
		return runner.ExitUsage
	}
	if strings.ContainsAny(*host, "\r\n") || strings.TrimSpace(*host) == "" {
		fmt.Fprintf(env.Stderr, "kinto: init: --host %q is not a host name or address\n", *host)
		return runner.ExitUsage
	}

	v := initValues{
		Date: time.Now().Format(time.RFC1123Z), Version: env.Version(), Host: *host,
		StorageBackend: storage[0].module, StorageURL: storage[0].url,
		PermissionBackend: storage[1].module, PermissionURL: storage[1].url,
		CacheBackend: cache.module, CacheURL: cache.url,
	}
	var err error
	if v.UserIDSecret, err = randomHex(32); err == nil {
		v.BucketSecret, err = randomHex(32)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "kinto: init: generate secrets: %v\n", err)
		return runner.ExitFailure
	}
	if err := writeINI(env.INI, v); err != nil {
		fmt.Fprintf(env.Stderr, "kinto: init: %v\n", err)
		return runner.ExitFailure
	}
	abs, _ := filepath.Abs(env.INI)
	fmt.Fprintf(env.Stdout, "Created config %s\n", abs)
	return runner.ExitOK
}

// choose prompts until the answer is one of choices' keys (trimmed; the
// empty answer is the default) and returns its value. The end of input
// before an answer is an error, so a closed terminal does not loop.
func choose(in *bufio.Reader, out io.Writer, prompt string, choices map[string]string) (string, error) {
	for {
		fmt.Fprint(out, prompt)
		line, err := in.ReadString('\n')
		if v, ok := choices[strings.TrimSpace(line)]; ok && (err == nil || line != "") {
			return v, nil
		}
		if err != nil {
			return "", fmt.Errorf("no answer: %w", err)
		}
	}
}

// randomHex returns n random bytes in hexadecimal, as Kinto's secrets.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writeINI renders the template into path, creating its folder, and
// fails rather than replace a file that appeared meanwhile. The file holds
// secrets, so only its owner may read it.
func writeINI(path string, v initValues) error {
	var buf bytes.Buffer
	if err := template.Must(template.New("kinto.ini").Parse(iniTemplate)).Execute(&buf, v); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create folder of %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
