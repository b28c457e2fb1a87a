#!/usr/bin/env python3
"""Time this engine against the Python peers a user has installed, on the
closest equivalent configurations, interleaved, and print the ratios.

    python3 benchmarks/peers.py [--rounds 5]

Each round times, one after the other:

* this engine (`go test -bench` in engine/, which reports ns per evaluation):
  Llama3_70B on H100, batch 32, inference, mlsysim fidelity
  (BenchmarkEvaluate/mlsysim/inference) and GPT-3 175B training on 384 A100s
  of Selene, TP 8, PP 12, full recomputation, calibrated
  (BenchmarkEvaluateCalibratedDistributed);
* mlsysim (`pip install mlsysim`): Engine.solve(Llama3_70B, H100,
  batch_size=32, precision="fp16"), the same configuration;
* Calculon (a checkout of github.com/calculon-ai/calculon named by
  CALCULON_DIR, put on PYTHONPATH): compile + run + get_stats_json, one
  evaluation, of the model file CALCULON_MODEL (default models/gpt3-175B.json)
  on the system file CALCULON_SYSTEM (default systems/a100_80g.json) with the
  execution file CALCULON_EXEC (default examples/3072_t4_p64_d12_mbs4_full.json),
  all relative to CALCULON_DIR.

A peer that is not installed is skipped with the reason. The output gives
the load average beside each round, every time per evaluation, and for each
peer min / median / max of its time and of its ratio to this engine's time in
the same round. Nothing here asserts a time.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MLSYSIM = textwrap.dedent("""
    import time, mlsysim
    Engine = getattr(mlsysim, "Engine", None)
    if Engine is None:
        from mlsysim.core.engine import Engine
    m, h = mlsysim.Models.Language.Llama3_70B, mlsysim.Hardware.Cloud.H100
    for _ in range(20):
        Engine.solve(m, h, batch_size=32, precision="fp16")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        Engine.solve(m, h, batch_size=32, precision="fp16")
        n += 1
    print((time.perf_counter() - t0) / n * 1e9)
""")

CALCULON = textwrap.dedent("""
    import json, logging, os, time
    from calculon import System
    from calculon.llm import Llm
    d = os.environ["CALCULON_DIR"]
    ex = os.environ.get("CALCULON_EXEC") or os.path.join(d, "examples", "3072_t4_p64_d12_mbs4_full.json")
    mo = os.environ.get("CALCULON_MODEL") or os.path.join(d, "models", "gpt3-175B.json")
    sy = os.environ.get("CALCULON_SYSTEM") or os.path.join(d, "systems", "a100_80g.json")
    app = Llm.Application(json.load(open(mo)))
    exe = Llm.Execution.from_json(json.load(open(ex)))
    syst = System(json.load(open(sy)))
    log = logging.getLogger("calculon")
    def one():
        m = Llm(app, log)
        m.compile(syst, exe)
        m.run(syst)
        m.get_stats_json(False)
    for _ in range(5):
        one()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        one()
        n += 1
    print((time.perf_counter() - t0) / n * 1e9)
""")


def load():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def ours():
    """ns per evaluation of this engine's two configurations."""
    got = {}
    for key, bench in (("inference", "^BenchmarkEvaluate$/^mlsysim$/^inference$"),
                       ("training", "^BenchmarkEvaluateCalibratedDistributed$")):
        out = subprocess.run(["go", "test", "-run", "^$", "-count", "1", "-benchtime", "1s", "-bench", bench, "./engine/"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        m = re.search(r"^Benchmark\S+\s+\d+\s+([\d.]+) ns/op", out, re.M)
        if not m:
            raise SystemExit("go test printed no benchmark result:\n" + out)
        got[key] = float(m.group(1))
    return got


def peer(name, code):
    """ns per evaluation of a peer, or the reason it cannot run."""
    if name == "calculon" and not os.environ.get("CALCULON_DIR"):
        return None, "CALCULON_DIR is not set (a checkout of github.com/calculon-ai/calculon)"
    env = dict(os.environ)
    if name == "calculon":
        env["PYTHONPATH"] = os.environ["CALCULON_DIR"] + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["failed"])[-1]
        return None, last
    return float(p.stdout.split()[-1]), None


def spread(xs):
    return "min %s, median %s, max %s" % (fmt(min(xs)), fmt(statistics.median(xs)), fmt(max(xs)))


def fmt(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    peers = {"mlsysim": (MLSYSIM, "inference"), "calculon": (CALCULON, "training")}
    times = {k: [] for k in ["ours inference", "ours training"] + list(peers)}
    ratios = {k: [] for k in peers}
    skipped = {}
    print("# %s, %s, %d rounds, interleaved" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.uname().machine, args.rounds), flush=True)
    for r in range(args.rounds):
        before = load()
        o = ours()
        times["ours inference"].append(o["inference"])
        times["ours training"].append(o["training"])
        line = ["round %d: load %s" % (r + 1, before),
                "ours %s (inference), %s (training)" % (fmt(o["inference"]), fmt(o["training"]))]
        for name, (code, against) in peers.items():
            if name in skipped:
                continue
            ns, why = peer(name, code)
            if ns is None:
                skipped[name] = why
                continue
            times[name].append(ns)
            ratios[name].append(ns / o[against])
            line.append("%s %s (%.0f×)" % (name, fmt(ns), ns / o[against]))
        print("; ".join(line), flush=True)
    print()
    for k, xs in times.items():
        if xs:
            print("%-16s per evaluation: %s" % (k, spread(xs)))
    for k, xs in ratios.items():
        if xs:
            print("%-16s / ours: min %.0f×, median %.0f×, max %.0f×" % (k, min(xs), statistics.median(xs), max(xs)))
    for k, why in skipped.items():
        print("%-16s skipped: %s" % (k, why))


if __name__ == "__main__":
    main()
