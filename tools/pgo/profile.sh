#!/usr/bin/env bash
# profile.sh: regenerate tools/pgo/default.pgo, the CPU profile Go's
# profile-guided optimisation builds the release binary with (-pgo= in make
# build, the Dockerfile, .goreleaser.yaml and make bench; a plain `go build`
# or `go install` builds without it).
#
# The profile is of the archive paths, which take the CPU of a backfill:
# trades and agg_trades (2 busy days each: inflate, CSV parse, Parquet
# zstd) and a year of 1m klines, run against the project's fake Binance
# over loopback. Regenerate it when those paths change much; an old
# profile only makes the optimisation miss new code, never wrong.
#
# Usage: tools/pgo/profile.sh   (from the repository root; about 2 minutes)
set -euo pipefail

GO=${GO:-go}
export CGO_ENABLED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lakehouse-pgo.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

# Without the current profile: the profile describes the code, not itself.
$GO build -trimpath -pgo=off -o "$WORK/lakehouse" .
$GO build -trimpath -o "$WORK/fakebinance" ./collector/binancetest/cmd/fakebinance

# start_fake NAME ARGS...: start fakebinance and set URL.
start_fake() {
	local name=$1
	shift
	"$WORK/fakebinance" --addr 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 100); do grep -q listening "$WORK/$name.out" 2>/dev/null && break; sleep 0.05; done
	URL=$(sed -n 's/^fakebinance listening on //p' "$WORK/$name.out")
	[ -n "$URL" ] || { cat "$WORK/$name.out" >&2; exit 1; }
}

# collect NAME ARGS...: one archive run under the CPU profiler.
collect() {
	local name=$1
	shift
	rm -rf "$WORK/lake"
	"$WORK/lakehouse" collect --source archive --symbols BTCUSDT --output "$WORK/lake" \
		--binance-api-url "$URL" --binance-archive-url "$URL" -q --cpuprofile "$WORK/$name.prof" "$@" >/dev/null 2>"$WORK/$name.log"
}

start_fake trades --trades-symbols spot:BTCUSDT --trades-per-minute 2000 --trades-zip-dir "$WORK/zips"
for kind in trades aggTrades; do # built once, before the profiled runs
	for d in 2024-03-01 2024-03-02; do
		p=/data/spot/daily/$kind/BTCUSDT/BTCUSDT-$kind-$d.zip
		curl -fsS -o /dev/null "$URL$p.CHECKSUM"
		curl -fsS -o /dev/null "$URL$p"
	done
done
collect trades --data trades --start 2024-03-01 --end 2024-03-03
collect aggtrades --data agg_trades --start 2024-03-01 --end 2024-03-03

start_fake klines
for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
	p=/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2023-$m.zip
	curl -fsS -o /dev/null "$URL$p.CHECKSUM"
	curl -fsS -o /dev/null "$URL$p"
done
collect klines --timeframes 1m --start 2023-01-01 --end 2024-01-01

$GO tool pprof -proto "$WORK/trades.prof" "$WORK/aggtrades.prof" "$WORK/klines.prof" >tools/pgo/default.pgo
echo "profile.sh: wrote tools/pgo/default.pgo ($(wc -c <tools/pgo/default.pgo) bytes)" >&2
