# Reads a run's files with pandas and pyarrow, as a researcher would, and
# checks what they see: the manifest's rows, string columns as pandas
# categoricals (CategoricalDtype), numbers and flags typed as such, each
# field's unit restored from the stored Arrow schema, the Arrow IPC twin
# equal to the Parquet table, nulls where the row has no value.
#
#   python3 check_outputs.py [RUN_FOLDER]   (default: out)
#
# Where pandas or pyarrow is not installed it prints SKIP and exits 0.
import glob, json, os, sys

try:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(0)

run = sys.argv[1] if len(sys.argv) > 1 else "out"
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
        print("FAIL:", msg)


m = json.load(open(os.path.join(run, "manifest.json")))
df = pd.read_parquet(os.path.join(run, "results"))
print("pandas rows", len(df), "manifest written", m["counts"]["written"], "columns", len(df.columns))
print(df.dtypes.to_string())
check(len(df) == m["counts"]["written"], "pandas reads %d rows, the manifest says %d" % (len(df), m["counts"]["written"]))

want_kind = {"DOUBLE": "f", "BIGINT": "i", "BOOLEAN": "b"}
f = sorted(glob.glob(os.path.join(run, "results", "*.parquet")))[0]
t = pq.read_table(f)
fields = {fld.name: fld for fld in t.schema}
for col in m["columns"]:
    name, typ, unit = col["name"], col["type"], col.get("unit", "")
    dt = df[name].dtype
    if typ == "VARCHAR":
        check(isinstance(dt, pd.CategoricalDtype), "%s: pandas dtype %s, want a CategoricalDtype" % (name, dt))
    elif typ == "DOUBLE":
        check(dt.kind == "f", "%s: pandas dtype %s, want float64" % (name, dt))
    elif col.get("nullable"):
        # a nullable integer or flag: pandas widens it where it holds nulls
        check(dt.kind in (want_kind[typ], "f", "O") or str(dt) in ("Int64", "boolean"), "%s: pandas dtype %s" % (name, dt))
    else:
        check(dt.kind == want_kind[typ], "%s: pandas dtype %s, want kind %s" % (name, dt, want_kind[typ]))
    md = {k.decode(): v.decode() for k, v in (fields[name].metadata or {}).items()}
    check(md.get("unit", "") == unit, "%s: field unit %r, manifest %r" % (name, md.get("unit", ""), unit))
kv = {k.decode(): v.decode() for k, v in pq.read_metadata(f).metadata.items()}
for col in m["columns"]:
    if col.get("unit"):
        check(kv.get("unit:" + col["name"]) == col["unit"], "file metadata unit:%s = %r" % (col["name"], kv.get("unit:" + col["name"])))
print("parquet schema field metadata (pyarrow):")
for fld in t.schema:
    print(" ", fld.name, fld.type, fld.nullable, {k.decode(): v.decode() for k, v in (fld.metadata or {}).items()})

arrows = sorted(glob.glob(os.path.join(run, "arrow", "*.arrow")))
if arrows:
    with pa.memory_map(arrows[0]) as src:
        at = ipc.open_file(src).read_all()
    print("arrow rows", at.num_rows, "equal to parquet:", at.equals(t))
    check(at.equals(t), "the Arrow IPC file differs from the Parquet part")
    adf = at.to_pandas()
    for col in m["columns"]:
        if col["type"] == "VARCHAR":
            check(isinstance(adf[col["name"]].dtype, pd.CategoricalDtype), "arrow %s: pandas dtype %s" % (col["name"], adf[col["name"]].dtype))

if "feasible" in df.columns and "tokens_per_s" in df.columns:
    inf = df[~df["feasible"]]
    check(inf["tokens_per_s"].isna().all(), "tokens_per_s of an infeasible row is not null")
    print("infeasible rows", len(inf), "their tokens_per_s all null")

if m.get("pareto"):
    p = pd.read_parquet(os.path.join(run, "pareto.parquet"))
    print("pareto rows", len(p), "front sizes per model", p.groupby("model", observed=True).size().to_dict())
    check(len(p) == m["pareto"]["rows"], "pareto rows %d, manifest %d" % (len(p), m["pareto"]["rows"]))

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("OK")
