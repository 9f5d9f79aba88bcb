// The DuckDB peer of the trades benchmark: read_csv of Binance spot trade
// CSVs (already unzipped, untimed) and COPY ... TO Parquet zstd, with the
// columns and types lakehouse writes (id, float prices and quantities, the
// time as a µs timestamp, two booleans). Spot files before 2025 carry ms.
// Prints {"rows":N,"seconds":S,"threads":T} on stdout; S times the COPY only.
// Usage: node duckdb_trades.mjs THREADS OUT.parquet 'GLOB.csv'
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const req = createRequire(new URL('../duckdb/package.json', import.meta.url));
const { DuckDBInstance } = await import(pathToFileURL(req.resolve('@duckdb/node-api')).href);

const [threads, out, glob] = process.argv.slice(2);
if (!threads || !out || !glob) {
  console.error("usage: node duckdb_trades.mjs THREADS OUT.parquet 'GLOB.csv'");
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const columns = `{
  'id': 'BIGINT', 'price': 'DOUBLE', 'qty': 'DOUBLE', 'quote_qty': 'DOUBLE',
  'time': 'BIGINT', 'is_buyer_maker': 'BOOLEAN', 'is_best_match': 'BOOLEAN'}`;
const sql = `COPY (
  SELECT id, price, qty, quote_qty, make_timestamp(time * 1000) AS time, is_buyer_maker, is_best_match
  FROM read_csv(${q(glob)}, header = false, delim = ',', columns = ${columns})
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`;
const t0 = process.hrtime.bigint();
await conn.run(sql);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rows = (await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${q(out)})`)).getRows()[0][0];
process.stdout.write(JSON.stringify({ rows: Number(rows), seconds, threads: Number(threads) }) + '\n');
