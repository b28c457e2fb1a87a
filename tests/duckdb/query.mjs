// query.mjs runs one SQL statement in an in-memory DuckDB and prints the
// result rows as JSON (one array of objects), for the Go tests that check
// mlsysim-go's Parquet files with a real external reader.
//
//   node query.mjs "SELECT count(*) AS n FROM read_parquet('out/results/*.parquet')"
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node query.mjs SQL');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
try {
  const reader = await conn.runAndReadAll(sql);
  const rows = reader.getRowObjectsJson();
  process.stdout.write(JSON.stringify(rows) + '\n');
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(1);
}
