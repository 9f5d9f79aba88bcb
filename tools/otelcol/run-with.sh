#!/usr/bin/env bash
# run-with.sh CMD ARGS...: build (once) and start a minimal OpenTelemetry
# Collector on a free loopback port, run CMD with
#   LAKEHOUSE_TEST_OTLP_ENDPOINT=http://127.0.0.1:PORT  (OTLP gRPC receiver,
#                                                        plaintext: http://)
#   LAKEHOUSE_TEST_OTLP_DIR=DIR                         (metrics.jsonl, traces.jsonl:
#                                                        one OTLP-JSON line per export)
# then stop the collector and exit with CMD's status.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SRC=$REPO/tools/otelcol
BIN=$REPO/.tools/bin/otelcol-lakehouse
GO=${GO:-go}

if [ ! -x "$BIN" ] || [ "$SRC/go.mod" -nt "$BIN" ] || [ "$SRC/go.sum" -nt "$BIN" ] || [ "$SRC/main.go" -nt "$BIN" ]; then
	echo "otelcol: building $BIN (about a minute the first time)" >&2
	mkdir -p "$(dirname "$BIN")"
	(cd "$SRC" && "$GO" build -trimpath -o "$BIN" .)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/otelcol.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s#@PORT@#$port#" -e "s#@DIR@#$dir#" "$SRC/config.yaml" > "$dir/config.yaml"
"$BIN" --config "$dir/config.yaml" > "$dir/otelcol.log" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 1 100); do
	if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "otelcol: collector exited:" >&2
		cat "$dir/otelcol.log" >&2
		exit 1
	fi
	sleep 0.1
done
if ! (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	echo "otelcol: port $port did not open" >&2
	cat "$dir/otelcol.log" >&2
	exit 1
fi

# http://: the receiver has no TLS, and a scheme-less host:port means TLS
# (OpenTelemetry exporter spec, unless OTEL_EXPORTER_OTLP_INSECURE=true).
export LAKEHOUSE_TEST_OTLP_ENDPOINT=http://127.0.0.1:$port
export LAKEHOUSE_TEST_OTLP_DIR=$dir
set +e
"$@"
status=$?
set -e
exit $status
