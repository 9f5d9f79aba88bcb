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

.PHONY: all build test test-short duckdb demo bench lint clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The independent Parquet reader for the tests (DuckDB from npm).
duckdb: $(DUCKDB)
$(DUCKDB): tools/duckdb/package.json tools/duckdb/package-lock.json
	cd tools/duckdb && npm ci --no-audit --no-fund --loglevel=error
	touch $(DUCKDB)

# Every test, with the race detector; DuckDB must be present so its test
# cannot silently skip.
test: duckdb
	LAKEHOUSE_REQUIRE_DUCKDB=1 $(GO) test -race -count=1 ./...

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
	$(BIN) collect --symbols BTCUSDT,ETHUSDT --timeframes 1m,1h --lookback 3d --output ./demo-data --binance-api-url $$url && \
	$(BIN) collect --symbols BTCUSDT,ETHUSDT --timeframes 1m,1h --output ./demo-data --binance-api-url $$url

# Benchmarks are not part of `make test`; see docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) dist demo-data .demo-fake.out .demo-fakebinance
