# Sourced by tools/bench/run.sh: the derive figures (issue 15).
# Input rows/s of `lakehouse derive` building 1h gold candles from a year
# of 1m silver klines of DERIVE_SYMBOLS symbols, against DuckDB's GROUP BY
# time_bucket over the same silver Parquet files writing the same candles
# (Parquet zstd, partitioned by symbol and year), interleaved runs,
# fastest of each; and derive's peak RSS. The silver lake is collected from
# the fake's archive first (untimed).
DERIVE_SYMBOLS=${DERIVE_SYMBOLS:-BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT,XRPUSDT,ADAUSDT,DOGEUSDT,TRXUSDT}
DERIVE_RUNS=${DERIVE_RUNS:-3}
DERIVE_INTERVAL=${DERIVE_INTERVAL:-1h}
dlake=$WORK/lake-derive
start_fake derive --spot-symbols "$DERIVE_SYMBOLS" --zip-cache 64
say "derive: collecting 12 months of 1m for $DERIVE_SYMBOLS (untimed)"
"$LH" collect --symbols "$DERIVE_SYMBOLS" --timeframes 1m --source archive --start 2024-01-01 --end 2025-01-01 \
	--output "$dlake" --binance-api-url "$URL" --binance-archive-url "$URL" -q --summary json >"$WORK/s-dc.json" 2>"$WORK/log-dc" || true
stop_fake
[ "$(failed_of "$WORK/s-dc.json")" = 0 ] || { say "derive: collecting the silver input failed"; cat "$WORK/log-dc" >&2; }
best_dlh=0 best_ddd=0 dlh_in=0 ddd_in=0 dlh_rows=0 ddd_rows=0 dlh_rss=0
case $DERIVE_INTERVAL in *h) dd_iv="${DERIVE_INTERVAL%h} hour" ;; *m) dd_iv="${DERIVE_INTERVAL%m} minute" ;; *d) dd_iv="${DERIVE_INTERVAL%d} day" ;; esac
for r in $(seq 1 "$DERIVE_RUNS"); do
	rm -rf "$dlake/gold"
	timed "$WORK/t-dv" "$LH" derive --output "$dlake" --gold candles --timeframes "$DERIVE_INTERVAL" -q --summary json \
		>"$WORK/s-dv.json" 2>"$WORK/log-dv" || true
	read -r wall user sys rss <"$WORK/t-dv"
	read -r dlh_in dlh_rows run_s < <(py 'import json,sys
s=json.load(open(sys.argv[1])); print(sum(t["input_rows"] for t in s["targets"]), sum(t["rows_written"] for t in s["targets"]), s["duration_seconds"])' "$WORK/s-dv.json")
	rate=$(py "print(int($dlh_in / max($run_s, 0.001)))")
	say "derive: lakehouse run $r: $dlh_in input rows -> $dlh_rows candles, run ${run_s}s, process ${wall}s wall, ${user}s user, $((rss / 1024)) MiB"
	if [ "$rate" -gt "$best_dlh" ]; then best_dlh=$rate; fi
	if [ "$rss" -gt "$dlh_rss" ]; then dlh_rss=$rss; fi
	rm -rf "$WORK/duck-dv"
	node tools/bench/duckdb_derive.mjs "$THREADS" "$WORK/duck-dv" "$dlake/silver/klines/market=spot/interval=1m/*/*.parquet" "$dd_iv" >"$WORK/duck-dv.json"
	read -r ddd_in ddd_rows secs < <(py 'import json,sys
s=json.load(open(sys.argv[1])); print(s["inputs"], s["rows"], s["seconds"])' "$WORK/duck-dv.json")
	rate=$(py "print(int($ddd_in / max($secs, 0.001)))")
	say "derive: duckdb run $r: $ddd_in input rows -> $ddd_rows candles in ${secs}s (COPY only, threads=$THREADS)"
	if [ "$rate" -gt "$best_ddd" ]; then best_ddd=$rate; fi
done
rm -rf "$dlake" "$WORK/duck-dv"
[ "$dlh_rows" = "$ddd_rows" ] || say "derive: WARNING candle counts differ: lakehouse $dlh_rows, duckdb $ddd_rows"
dratio=$(py "print('%.2f' % ($best_dlh / max($best_ddd, 1)))")
ok=$(py "print('PASS' if $best_dlh >= $best_ddd > 0 else 'FAIL')")
info derive "lakehouse $best_dlh input rows/s (derive --timeframes $DERIVE_INTERVAL, as timed in its summary)"
info derive "duckdb $best_ddd input rows/s (GROUP BY time_bucket -> COPY, threads=$THREADS), $ddd_in rows"
verdict derive "ratio lakehouse/duckdb ${dratio}x (1m -> $DERIVE_INTERVAL, $(echo "$DERIVE_SYMBOLS" | tr ',' '\n' | wc -l) symbols x 12 months)" ">= 1.00x" "$ok"
verdict derive "peak RSS $((dlh_rss / 1024)) MiB" "< 128 MiB" "$(py "print('PASS' if $dlh_rss < 128 * 1024 else 'FAIL')")"
