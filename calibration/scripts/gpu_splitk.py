"""When does cuBLAS split K? For narrow products (few output tiles) over a
range of K/N, record the kernels cuBLAS runs (name, grid, GPU time) from the
PyTorch profiler's trace. No warm-up to a sustained clock: only the kernel
choice is wanted.

Writes $OUT/gpu_splitk.json: per shape, each kernel's name, grid and time.
"""
import json, math, os, tempfile

import torch
from torch.profiler import profile, ProfilerActivity

OUT = os.environ.get("OUT", "gpu-out")
os.makedirs(OUT, exist_ok=True)
dev = torch.device("cuda")
bf16 = torch.bfloat16
res = {"meta": {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda},
       "shapes": []}
cases = []
for N in (2048, 4096, 8192):
    for r in (1, 1.5, 2, 2.5, 3, 3.5, 4, 6):
        K = int(N * r)
        for M in (1, 32, 64, 128, 256):
            cases.append((M, N, K))
for (M, N, K) in cases:
    W = torch.randn(K, N, device=dev, dtype=torch.float32).to(bf16)
    x = torch.randn(M, K, device=dev, dtype=torch.float32).to(bf16)
    for _ in range(3):
        x @ W
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(5):
            x @ W
        torch.cuda.synchronize()
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    prof.export_chrome_trace(path)
    with open(path) as fh:
        tr = json.load(fh)
    os.remove(path)
    ks = {}
    for e in tr.get("traceEvents", []):
        if e.get("cat") != "kernel":
            continue
        a = e.get("args", {})
        k = ks.setdefault(e["name"], {"name": e["name"], "grid": a.get("grid"), "block": a.get("block"),
                                      "count": 0, "us": 0.0})
        k["count"] += 1
        k["us"] += e.get("dur", 0)
    out = []
    for k in ks.values():
        k["mean_us"] = k["us"] / max(k["count"], 1)
        out.append(k)
    res["shapes"].append({"M": M, "N": N, "K": K, "kernels": out})
    print(M, N, K, " | ".join(f"{k['name'][:60]} grid={k['grid']} {k['mean_us']:.1f}us" for k in out), flush=True)
    del W, x
with open(f"{OUT}/gpu_splitk.json", "w") as fh:
    json.dump(res, fh, indent=1)
