// The DuckDB peer of the archive benchmark: read_csv of Binance kline CSVs
// (already unzipped, untimed) and COPY ... TO Parquet zstd, with the same
// columns and types lakehouse writes (timestamps in ms, floats, trade count).
// Prints {"rows":N,"seconds":S,"threads":T} on stdout; S times the COPY only.
// Usage: node duckdb_csv.mjs THREADS OUT.parquet 'GLOB.csv'
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// @duckdb/node-api is installed in tools/duckdb (make duckdb); resolve it there.
const req = createRequire(new URL('../duckdb/package.json', import.meta.url));
const { DuckDBInstance } = await import(pathToFileURL(req.resolve('@duckdb/node-api')).href);

const [threads, out, glob] = process.argv.slice(2);
if (!threads || !out || !glob) {
  console.error("usage: node duckdb_csv.mjs THREADS OUT.parquet 'GLOB.csv'");
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const columns = `{
  'open_time': 'BIGINT', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE',
  'close': 'DOUBLE', 'volume': 'DOUBLE', 'close_time': 'BIGINT',
  'quote_volume': 'DOUBLE', 'trades': 'BIGINT', 'taker_buy_base_volume': 'DOUBLE',
  'taker_buy_quote_volume': 'DOUBLE', 'ignore': 'VARCHAR'}`;
const sql = `COPY (
  SELECT epoch_ms(open_time) AS open_time, open, high, low, close, volume,
         epoch_ms(close_time) AS close_time, quote_volume, trades,
         taker_buy_base_volume, taker_buy_quote_volume
  FROM read_csv(${q(glob)}, header = false, delim = ',', columns = ${columns})
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`;
const t0 = process.hrtime.bigint();
await conn.run(sql);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rows = (await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${q(out)})`)).getRows()[0][0];
process.stdout.write(JSON.stringify({ rows: Number(rows), seconds, threads: Number(threads) }) + '\n');
