# lakehouse: build, test, demo, bench, lint.
GO       ?= go
BIN      ?= ./lakehouse
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X github.com/lakehouse-dev/lakehouse/cmd.version=$(VERSION) \
            -X github.com/lakehouse-dev/lakehouse/cmd.commit=$(COMMIT) \
            -X github.com/lakehouse-dev/lakehouse/cmd.date=$(DATE)
DUCKDB   := tools/duckdb/node_modules/@duckdb/node-api
OTELCOL  := .tools/bin/otelcol-lakehouse
VERSITYGW := .tools/bin/versitygw
PROMTOOL := .tools/bin/promtool

.PHONY: all build test test-short duckdb demo bench lint clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -pgo=tools/pgo/default.pgo -ldflags '$(LDFLAGS)' -o $(BIN) .

# The independent Parquet reader for the tests (DuckDB from npm).
duckdb: $(DUCKDB)
$(DUCKDB): tools/duckdb/package.json tools/duckdb/package-lock.json
	cd tools/duckdb && npm ci --no-audit --no-fund --loglevel=error
	touch $(DUCKDB)

# Every test, with the race detector, against real components: a minimal
# OpenTelemetry Collector and versitygw (S3) are built/installed into
# .tools, started on free loopback ports, and stopped afterwards; DuckDB
# comes from npm, promtool and Chromium from Debian's packages. LAKEHOUSE_REQUIRE_*
# make tests fail, not skip, without them.
test: duckdb chromium $(OTELCOL) $(VERSITYGW) $(PROMTOOL)
	tools/otelcol/run-with.sh tools/s3/run-with.sh \
	  env LAKEHOUSE_REQUIRE_DUCKDB=1 LAKEHOUSE_REQUIRE_SERVERS=1 $(GO) test -race -count=1 -timeout 30m ./...
	# The one-year archive backfill and the year of derived candles are too slow under the race detector.
	$(GO) test -count=1 -run 'TestOneYearFromArchive|TestDeriveCandlesEqualNative' ./collector/

test-short:
	$(GO) test -short -count=1 ./...

# Offline demo: a fake Binance on a local port, then a real collect run
# against it into ./demo-data.
demo: build
	@$(GO) build -o .demo-fakebinance ./collector/binancetest/cmd/fakebinance; \
	./.demo-fakebinance --addr 127.0.0.1:0 > .demo-fake.out & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -f .demo-fake.out .demo-fakebinance' EXIT; \
	for i in $$(seq 1 100); do grep -q listening .demo-fake.out 2>/dev/null && break; sleep 0.1; done; \
	url=$$(sed -n 's/^fakebinance listening on //p' .demo-fake.out); \
	echo "fake Binance at $$url"; \
	$(BIN) collect --symbols BTCUSDT,ETHUSDT --timeframes 1m,1h --lookback 3d --output ./demo-data --binance-api-url $$url --binance-archive-url $$url && \
	$(BIN) collect --symbols BTCUSDT,ETHUSDT --timeframes 1m,1h --output ./demo-data --binance-api-url $$url --binance-archive-url $$url

# Benchmarks are not part of `make test`; see docs/benchmarks.md. The
# SPEC section 7 figures against the fake Binance and DuckDB, each with its
# target and PASS/FAIL, then the Go benchmarks (tools/bench/run.sh).
bench: duckdb
	CGO_ENABLED=0 GOFLAGS="$(strip $(GOFLAGS) -trimpath)" GO=$(GO) tools/otelcol/run-with.sh tools/bench/run.sh

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) dist demo-data .demo-fake.out .demo-fakebinance

# Release configuration check: goreleaser from the Go module proxy (v2.15.1
# is the newest that builds with Go 1.26), then a snapshot build of this
# platform only.
GORELEASER := .tools/bin/goreleaser
$(GORELEASER):
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/goreleaser/goreleaser/v2@v2.15.1

.PHONY: release-check
release-check: $(GORELEASER)
	$(GORELEASER) check
	$(GORELEASER) build --snapshot --clean --single-target --output dist/lakehouse
	./dist/lakehouse version

# Minimal OpenTelemetry Collector for the telemetry tests (own module in
# tools/otelcol; tools/otelcol/run-with.sh builds it on demand too).
$(OTELCOL): tools/otelcol/go.mod tools/otelcol/go.sum tools/otelcol/main.go
	cd tools/otelcol && $(GO) build -trimpath -o $(CURDIR)/$(OTELCOL) .

.PHONY: otelcol test-telemetry
otelcol: $(OTELCOL)

# The telemetry tests alone, against a real collector.
test-telemetry: $(OTELCOL)
	tools/otelcol/run-with.sh env LAKEHOUSE_REQUIRE_SERVERS=1 $(GO) test -count=1 ./telemetry ./collector ./cmd -run 'Telemetry|OTLP|Prometheus|Unreachable|OTELSDK|ConsoleExport|SIGTERM|HotPath|Resource|Debug|Digest'

# S3-compatible server (versitygw, POSIX backend) for the S3 tests;
# tools/s3/run-with.sh installs it on demand too.
$(VERSITYGW):
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0
	echo v1.8.0 > $(VERSITYGW).version

.PHONY: versitygw test-s3
versitygw: $(VERSITYGW)

# Headless Chromium for the coverage report's browser test (cmd/
# TestReportInChromium): Debian's chromium package, installed with apt only
# when `chromium` is missing.
.PHONY: chromium
chromium:
	tools/chromium/install.sh

# The S3 tests alone, against a real versitygw: conformance suite, faults,
# collect to s3:// read back by DuckDB, concurrent runs, SIGKILL mid-upload.
test-s3: duckdb $(VERSITYGW)
	tools/s3/run-with.sh env LAKEHOUSE_REQUIRE_SERVERS=1 LAKEHOUSE_REQUIRE_DUCKDB=1 $(GO) test -count=1 ./storage/... ./cmd -run 'S3|Local|Conformance'

# promtool for the alert rule tests in deploy/ (check rules, test rules):
# Debian's prometheus package, installed with apt when promtool is missing.
$(PROMTOOL): tools/prometheus/install.sh
	tools/prometheus/install.sh

.PHONY: promtool test-alerts
promtool: $(PROMTOOL)

# The dashboard and alert tests alone: every PromQL query parsed
# (tools/promql) and compared with a scrape of /metrics, the rules checked
# and unit-tested by promtool, the manifests decoded.
test-alerts: $(PROMTOOL)
	env LAKEHOUSE_REQUIRE_SERVERS=1 $(GO) test -count=1 ./deploy -run 'Promtool|Alert|Dashboard|Scrape|IntervalSeconds|Manifests'
