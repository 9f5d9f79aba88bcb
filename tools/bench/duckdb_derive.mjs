// The DuckDB peer of the derive benchmark: the same gold candles lakehouse
// derive builds (OHLC, volumes, trades, input_rows per candle of the
// interval) from the same silver 1m Parquet files, with GROUP BY
// time_bucket, written as Parquet zstd partitioned by symbol and year as
// lakehouse lays them out. Prints {"rows":N,"inputs":M,"seconds":S}; S times
// the COPY only.
// Usage: node duckdb_derive.mjs THREADS OUT_DIR 'SILVER_GLOB.parquet' INTERVAL
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const req = createRequire(new URL('../duckdb/package.json', import.meta.url));
const { DuckDBInstance } = await import(pathToFileURL(req.resolve('@duckdb/node-api')).href);

const [threads, out, glob, interval] = process.argv.slice(2);
if (!threads || !out || !glob || !interval) {
  console.error("usage: node duckdb_derive.mjs THREADS OUT_DIR 'GLOB.parquet' INTERVAL");
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const sql = `COPY (
  SELECT symbol, year(b) AS year, b AS open_time,
         arg_min(open, open_time) AS open, max(high) AS high, min(low) AS low, arg_max(close, open_time) AS close,
         sum(volume) AS volume, b + INTERVAL ${interval} - INTERVAL 1 millisecond AS close_time,
         sum(quote_volume) AS quote_volume, sum(trades)::BIGINT AS trades,
         sum(taker_buy_base_volume) AS taker_buy_base_volume, sum(taker_buy_quote_volume) AS taker_buy_quote_volume,
         count(*)::BIGINT AS input_rows
  FROM (SELECT *, time_bucket(INTERVAL ${interval}, open_time) AS b
        FROM read_parquet(${q(glob)}, hive_partitioning = true))
  GROUP BY symbol, b
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (symbol, year))`;
const t0 = process.hrtime.bigint();
await conn.run(sql);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const n = async (s) => Number((await conn.runAndReadAll(s)).getRows()[0][0]);
const rows = await n(`SELECT count(*)::BIGINT FROM read_parquet(${q(out + '/**/*.parquet')})`);
const inputs = await n(`SELECT count(*)::BIGINT FROM read_parquet(${q(glob)})`);
process.stdout.write(JSON.stringify({ rows, inputs, seconds, threads: Number(threads) }) + '\n');
