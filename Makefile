# Developer and CI entry points. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
VERSION  ?= $(shell git describe --tags --dirty 2>/dev/null || echo 0.1.0-dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION)
SOURCE   := https://github.com/cliquet-go/cliquet

# The service of `make run`, `make docker` and `version-json`: a command
# of cmd/ (kinto or readinglist). It reads its settings from environment
# variables named after it: KINTO_*, READINGLIST_*.
SERVICE    ?= kinto
ENV_PREFIX  = $(shell printf '%s' '$(SERVICE)' | tr '[:lower:]-' '[:upper:]_')

# Container image built by `make docker`; podman when present, else docker.
IMAGE            ?= cliquet-$(SERVICE):latest
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
CA_CERTS         ?= /etc/ssl/certs/ca-certificates.crt

# Local services used by the integration tests (the CI machine's defaults).
CLIQUET_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
CLIQUET_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

FUZZTIME  ?= 10s
BENCHTIME ?= 200ms
TESTFLAGS ?=

.PHONY: bench-metrics bench-scale bench-scale-redis bench-scale-memory api check-service bench-http admin admin-smoke test-browser bench-pg count-statements run-readinglist test-e2e-postgres test-e2e-redis help run build version-json test test-integration test-e2e fuzz bench lint docker docker-test clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

run: check-service version-json ## Serve SERVICE (kinto) on 127.0.0.1:8888 with memory backends (KINTO_* or READINGLIST_* variables apply)
	$(ENV_PREFIX)_VERSION_JSON_PATH="$${$(ENV_PREFIX)_VERSION_JSON_PATH:-bin/version.json}" \
		$(GO) run -ldflags "-X main.version=$(VERSION)" ./cmd/$(SERVICE) serve

run-readinglist: ## Same as make run SERVICE=readinglist
	@$(MAKE) --no-print-directory run SERVICE=readinglist

# check-service fails early on a SERVICE that has no command in cmd/.
check-service:
	@if [ ! -d 'cmd/$(SERVICE)' ]; then echo "SERVICE=$(SERVICE): no cmd/$(SERVICE); one of: $$(ls cmd | tr '\n' ' ')" >&2; exit 2; fi

build: version-json ## Build static binaries into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

version-json: check-service ## Write bin/version.json of SERVICE, served by __version__
	@mkdir -p bin
	@printf '{"name":"%s","version":"%s","commit":"%s","source":"%s"}\n' \
		'$(SERVICE)' '$(VERSION)' '$(COMMIT)' '$(SOURCE)' > bin/version.json

# The unit suite needs no service: the integration variables are removed so
# that a developer's environment cannot turn them on.
test: ## Run the unit tests (no PostgreSQL or Redis needed)
	env -u CLIQUET_TEST_POSTGRES_URL -u CLIQUET_TEST_REDIS_URL \
		$(GO) test -json $(TESTFLAGS) ./... | $(GO) run ./scripts/testsummary

# Packages whose tests read CLIQUET_TEST_* run against the real services,
# one package at a time since they share the databases.
test-integration: ## Run the PostgreSQL and Redis suites against the local services
	@pkgs=$$( { grep -rl --include='*_test.go' 'CLIQUET_TEST_' internal cmd test 2>/dev/null || true; } | xargs -r -n1 dirname | sort -u | sed 's|^|./|'); \
	if [ -z "$$pkgs" ]; then echo "test-integration: no package reads CLIQUET_TEST_* yet"; exit 0; fi; \
	echo "test-integration: $$(echo $$pkgs)"; \
	CLIQUET_TEST_POSTGRES_URL='$(CLIQUET_TEST_POSTGRES_URL)' CLIQUET_TEST_REDIS_URL='$(CLIQUET_TEST_REDIS_URL)' \
		$(GO) test -json -count=1 -p 1 $(TESTFLAGS) $$pkgs | $(GO) run ./scripts/testsummary

test-e2e: ## Build bin/kinto and run the published Kinto JS clients against it (test/e2e)
	scripts/e2e.sh

test-e2e-postgres: ## The end-to-end suite with storage, permissions and cache on PostgreSQL (a database of its own, dropped after)
	CLIQUET_TEST_POSTGRES_URL='$(CLIQUET_TEST_POSTGRES_URL)' scripts/e2e-postgres.sh

# Redis database of test-e2e-redis: emptied (FLUSHDB) before each test file.
E2E_REDIS_URL ?= redis://127.0.0.1:6379/11

test-e2e-redis: ## The end-to-end suite with storage, permissions and cache on Redis (database E2E_REDIS_URL, emptied)
	E2E_REDIS_URL='$(E2E_REDIS_URL)' scripts/e2e-redis.sh

admin: ## Install a kinto-admin build from ARCHIVE (a release archive you downloaded) into bin/admin
	@if [ -z "$(ARCHIVE)" ]; then echo "make admin ARCHIVE=path/to/kinto-admin-release.tar [ADMIN_DIR=bin/admin]" >&2; exit 2; fi
	scripts/install-admin.sh '$(ARCHIVE)' '$(or $(ADMIN_DIR),bin/admin)'

# Not in .ci/run: it needs a kinto-admin build, which the project does not
# ship; it fails when ADMIN_DIR holds none.
admin-smoke: ## Drive the kinto-admin build of ADMIN_DIR (bin/admin) in headless Chromium against bin/kinto: sign in, create a bucket, a collection and a record, screenshot to SCREENSHOT (bin/admin-smoke.png)
	ADMIN_DIR='$(or $(ADMIN_DIR),bin/admin)' SCREENSHOT='$(or $(SCREENSHOT),bin/admin-smoke.png)' AUTH='$(or $(AUTH),basicauth)' scripts/admin-smoke.sh

test-browser: build ## Headless Chromium against bin/kinto: the admin plugin's routes, redirects and headers (test/browser)
	scripts/browser.sh

fuzz: ## Run every Fuzz target for FUZZTIME (10s) each
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: ## Run the issue benchmarks and print the ratios they promise (BENCHTIME=200ms)
	BENCHTIME=$(BENCHTIME) GO=$(GO) scripts/bench.sh

bench-metrics: ## GET record throughput with metrics off vs StatsD + Prometheus on, in turns, overhead printed (~40 s)
	GO=$(GO) scripts/bench-metrics.sh

bench-http: ## Bare net/http vs the service on memory with JSON logs (GET record, hello), ratios printed (~40 s)
	GO=$(GO) scripts/bench-http.sh

# The dedicated database of bench-pg and count-statements, dropped and
# recreated by each run, on the server of BENCH_PG_ADMIN_URL.
BENCH_PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
BENCH_PG_DB        ?= bench_pg

bench-pg: ## pgbench -S and jsonb insert vs the service's GET, POST and batch on PostgreSQL (database BENCH_PG_DB, recreated; ~1 min)
	BENCH_PG_ADMIN_URL='$(BENCH_PG_ADMIN_URL)' BENCH_PG_DB='$(BENCH_PG_DB)' GO=$(GO) scripts/bench-pg.sh

# The dedicated database of bench-scale (dropped and recreated) and the
# Redis database of bench-scale-redis (emptied before and after).
BENCH_SCALE_DB    ?= bench_scale
BENCH_REDIS_URL   ?= redis://127.0.0.1:6379/14

bench-scale: ## List reads over RECORDS (1,000,000) PostgreSQL records: first vs deep page, filters, HEAD (database BENCH_SCALE_DB, recreated; ~3 min)
	BENCH_PG_ADMIN_URL='$(BENCH_PG_ADMIN_URL)' BENCH_SCALE_DB='$(BENCH_SCALE_DB)' GO=$(GO) scripts/bench-scale-pg.sh

bench-scale-redis: ## The same over RECORDS (100,000) Redis records, and GET vs redis-benchmark (database BENCH_REDIS_URL, emptied; ~3 min)
	BENCH_REDIS_URL='$(BENCH_REDIS_URL)' GO=$(GO) scripts/bench-scale-redis.sh

bench-scale-memory: ## RSS of the memory backend with RECORDS (100,000) records of 1 KB, after deleting them and idle (~1 min)
	GO=$(GO) scripts/bench-scale-memory.sh

count-statements: ## SQL statements of one GET and one POST of a record (log_statement on BENCH_PG_DB, recreated; needs a superuser)
	BENCH_PG_ADMIN_URL='$(BENCH_PG_ADMIN_URL)' BENCH_PG_DB='$(BENCH_PG_DB)' GO=$(GO) scripts/count-statements.sh

lint: ## gofmt must list nothing; go vet must pass; go.mod and go.sum must be tidy; imports follow the layers (scripts/archcheck); the OpenAPI copies in api/ validate (kin-openapi)
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if ! $(GO) mod tidy -diff; then echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; fi
	$(GO) run ./scripts/archcheck
	$(GO) run ./scripts/openapi-validate api/*.openapi.json

# The copies are what GET /v1/__api__ serves on localhost:8888 (see the
# TestOpenAPICopy tests, which fail when a copy is stale).
api: ## Regenerate api/*.openapi.json from the documents the services serve
	$(GO) test ./cmd/kinto ./cmd/readinglist -count=1 -run '^TestOpenAPICopy$$' -update

docker: build ## Build the container image IMAGE (FROM scratch) of SERVICE (kinto) with podman or docker
	cp $(CA_CERTS) bin/ca-certificates.crt
	scripts/container.sh $(CONTAINER_ENGINE) build --build-arg SERVICE=$(SERVICE) -t $(IMAGE) .

docker-test: docker ## Build the image of SERVICE, run it on a free port and check it answers
	CONTAINER_ENGINE=$(CONTAINER_ENGINE) scripts/docker-test.sh $(IMAGE) $(SERVICE)

clean: ## Remove bin/
	rm -rf bin
