// read.mjs reads one Parquet or Arrow IPC file with polars (nodejs-polars)
// and prints what a polars user sees, as JSON: the rows, each column's
// dtype, each column's null count, and the first row's values, for the Go
// tests that check mlsysim-go's files with a real external reader.
//
//   node read.mjs out/results/part-00000.parquet
//   node read.mjs out/arrow/part-00000.arrow
import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';

const file = process.argv[2];
if (!file) {
  console.error('usage: node read.mjs FILE.parquet|FILE.arrow');
  process.exit(2);
}
try {
  // readIPC takes a path only when it ends in .ipc; a buffer otherwise.
  const df = file.endsWith('.arrow') ? pl.readIPC(readFileSync(file)) : pl.readParquet(file);
  const dtypes = {};
  const nulls = {};
  for (const [name, t] of Object.entries(df.schema)) {
    dtypes[name] = t.variant;
    nulls[name] = df.getColumn(name).nullCount();
  }
  process.stdout.write(JSON.stringify({ rows: df.height, dtypes, nulls }) + '\n');
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(1);
}
