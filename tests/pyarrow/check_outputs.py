# Reads a run's files with pandas and pyarrow, as a researcher would.
import glob, json
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

m = json.load(open("out/manifest.json"))
df = pd.read_parquet("out/results")
print("pandas rows", len(df), "manifest written", m["counts"]["written"], "columns", len(df.columns))
print(df.dtypes.to_string())
print(df[["model", "hardware", "precision", "batch_size", "ttft_s", "itl_s", "tokens_per_s", "feasible"]].head(3).to_string())
f = sorted(glob.glob("out/results/*.parquet"))[0]
t = pq.read_table(f)
print("parquet schema field metadata (pyarrow):")
for fld in t.schema:
    print(" ", fld.name, fld.type, fld.nullable, {k.decode(): v.decode() for k, v in (fld.metadata or {}).items()})
kv = pq.read_metadata(f).metadata
print("file metadata keys:", sorted(k.decode() for k in kv.keys())[:8], "...")
a = sorted(glob.glob("out/arrow/*.arrow"))[0]
with pa.memory_map(a) as src:
    at = ipc.open_file(src).read_all()
print("arrow rows", at.num_rows, "equal to parquet:", at.equals(t))
p = pd.read_parquet("out/pareto.parquet")
print("pareto rows", len(p), "front sizes per model", p.groupby("model").size().to_dict())
print("OK")
