"""Which kernels cuBLAS runs for a product: names and GPU times from the
PyTorch profiler, for the shapes where the calibrated model is furthest off
and neighbours that it fits. Each shape runs 1 s back to back first (the
sustained clock), then 20 profiled repeats.

Writes $OUT/gpu_kernels.json: per shape, each kernel name with its count and
mean GPU time (µs).
"""
import json, math, os, time

import torch
from torch.profiler import profile, ProfilerActivity

OUT = os.environ.get("OUT", "gpu-out")
os.makedirs(OUT, exist_ok=True)
dev = torch.device("cuda")
bf16 = torch.bfloat16
res = {"meta": {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda},
       "shapes": []}
shapes = [(4096, 14336), (8192, 8192), (14336, 4096), (4096, 4096), (8192, 28672)]
for (N, K) in shapes:
    copies = max(1, math.ceil(256e6 / (N * K * 2)) + 1)
    Ws = [torch.randn(K, N, device=dev, dtype=torch.float32).to(bf16) for _ in range(copies)]
    for M in [1, 64, 128, 256, 512, 1024]:
        x = torch.randn(M, K, device=dev, dtype=torch.float32).to(bf16)
        it = [0]

        def f():
            it[0] = (it[0] + 1) % copies
            return x @ Ws[it[0]]
        t_end = time.time() + 1.0
        while time.time() < t_end:
            for _ in range(50):
                f()
            torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(20):
                f()
            torch.cuda.synchronize()
        kern = {}
        for e in prof.events():
            if e.device_type.name != "CUDA":
                continue
            k = kern.setdefault(e.name, [0, 0.0])
            k[0] += 1
            k[1] += e.device_time_total if hasattr(e, "device_time_total") else e.cuda_time_total
        ks = [{"name": n, "count": c, "mean_us": t / c} for n, (c, t) in kern.items()]
        res["shapes"].append({"M": M, "N": N, "K": K, "kernels": ks})
        print(M, N, K, "; ".join(f"{k['count']}x {k['mean_us']:.1f}us {k['name'][:110]}" for k in ks), flush=True)
        del x
    del Ws
    torch.cuda.empty_cache()
with open(f"{OUT}/gpu_kernels.json", "w") as fh:
    json.dump(res, fh, indent=1)
