#!/usr/bin/env bash
# A real scheduler test: installs Slurm (Debian's slurm-wlm and munge) when
# missing, starts a one-node cluster on this machine (munged, slurmctld,
# slurmd; select/cons_tres), submits deploy/slurm/sweep-array.sbatch as a
# 4-task job array on a small sweep, waits for it (bounded), merges the
# shards, and checks with DuckDB that the union of the shards is the
# single-process run: same row count, no index twice, same checksum of
# every row (hash of all its values, index included), and the same Pareto set file.
#
# Needs root (it installs packages and runs the daemons). Run from the
# repository root or anywhere: tests/slurm/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/slurm: needs root to install and run Slurm" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "== installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ ! -d tests/duckdb/node_modules/@duckdb/node-api ]; then
  (cd tests/duckdb && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d /tmp/mlsysim-slurm.XXXXXX)
chmod 755 "$work"
pids=()
started_munge=
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/slurmctld.log "$work"/slurmd.log "$work"/out/sweep-*.out; do
      [ -f "$f" ] && { echo "---- $f"; tail -n 30 "$f"; }
    done
  fi
  if [ -n "${SLURM_CONF:-}" ]; then scancel --quiet --user=root 2>/dev/null || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${started_munge:-}" ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

echo "== building sweep"
go build -o "$work/sweep" ./cmd/sweep

echo "== munge"
mkdir -p /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
started_munge=
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if command -v runuser >/dev/null && id munge >/dev/null 2>&1; then
    runuser -u munge -- munged
  else
    munged --force
  fi
  started_munge=1
fi
munge -n | unmunge >/dev/null

echo "== slurm.conf (one node: $(hostname -s))"
host=$(hostname -s)
mkdir -p "$work/state" "$work/spool" "$work/out"
cat > "$work/slurm.conf" <<CONF
ClusterName=mlsysimtest
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdParameters=config_overrides
MaxArraySize=1001
NodeName=$host CPUs=4 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$work/slurm.conf

echo "== slurmctld, slurmd"
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.stdout" 2>&1 &
pids+=($!)
for i in $(seq 30); do
  if sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then break; fi
  sleep 1
  if [ "$i" -eq 30 ]; then echo "the node never became idle"; sinfo || true; exit 1; fi
done
sinfo

echo "== the sweep"
cat > "$work/slurm-test.yaml" <<'YAML'
name: slurm-test
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200, H200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 256, step: 1}
  seq_len: {from: 512, to: 8192, step: 512}
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 1024, part_rows: 4096}
YAML

echo "== sbatch --array=1-4 (SLURM_ARRAY_TASK_MIN=1: shards 0..3)"
cd "$work/out"
SWEEP_BIN="$work/sweep" SWEEP_FILE="$work/slurm-test.yaml" SWEEP_OUT="$work/sharded" \
  timeout 600 sbatch --wait --array=1-4 --cpus-per-task=1 --mem=200M --time=10 \
  "$repo/deploy/slurm/sweep-array.sbatch"
cd "$repo"
for f in "$work"/out/sweep-*.out; do echo "---- $f"; cat "$f"; done

"$work/sweep" status "$work/sharded"
"$work/sweep" status "$work/sharded" --json | grep -q '"complete": true'
# The array merges in its last task; merging again is harmless and makes
# sure the global Pareto set exists.
"$work/sweep" run "$work/slurm-test.yaml" --out "$work/sharded" --merge
test -f "$work/sharded/results/shard=3/part-00015.parquet"

echo "== the single-process run"
"$work/sweep" run "$work/slurm-test.yaml" --out "$work/single" --progress none

echo "== DuckDB: union of the shards = single run"
q() { node tests/duckdb/query.mjs "$1"; }
sum='count(*) AS n, count(DISTINCT index) AS d, min(index) AS lo, max(index) AS hi, sum(hash(r)) AS h'
sharded=$(q "SELECT $sum FROM (SELECT * EXCLUDE (shard) FROM read_parquet('$work/sharded/results/*/*.parquet', hive_partitioning=true)) r")
single=$(q "SELECT $sum FROM (SELECT * FROM read_parquet('$work/single/results/*.parquet')) r")
shards=$(q "SELECT count(DISTINCT shard) AS shards FROM read_parquet('$work/sharded/results/*/*.parquet', hive_partitioning=true)")
echo "sharded: $sharded"
echo "single:  $single"
echo "shards:  $shards"
if [ "$sharded" != "$single" ]; then echo "FAIL: the shards differ from the single run"; exit 1; fi
case "$single" in *'"n":"65536","d":"65536"'*) ;; *) echo "FAIL: want 65536 distinct rows"; exit 1 ;; esac
case "$shards" in *'"shards":"4"'*) ;; *) echo "FAIL: want 4 shards"; exit 1 ;; esac
cmp "$work/sharded/pareto.parquet" "$work/single/pareto.parquet"
echo "PASS: 4 Slurm array tasks gave the single run's rows and Pareto set"
