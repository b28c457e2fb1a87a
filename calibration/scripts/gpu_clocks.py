"""Burst versus sustained matrix products on a real GPU.

gpu_groundtruth.py times each GEMM shape with at most 200 repeats (about
150 ms, less for short kernels). A GPU at its power limit lowers its clock
under sustained load, so a product timed in a short burst can run faster than
the same product inside a long training or prefill run. This script times
each shape twice and samples the SM clock and board power while it runs:

  burst:     after 0.4 s idle, gpu_groundtruth.py's protocol (<= 200 repeats,
             >= 150 ms or 200 repeats, whichever is shorter);
  sustained: after 1.0 s of the same product back to back, >= 400 ms of
             repeats.

Writes $OUT/gpu_clocks.json: one row per (shape, mode) with the median and
fastest repeat, the repeats, the SM clock (MHz, median of samples taken while
the kernels run) and the average board power (W, NVML energy counter).
"""
import json, math, os, time

import torch

OUT = os.environ.get("OUT", "gpu-out")
os.makedirs(OUT, exist_ok=True)
dev = torch.device("cuda")
bf16 = torch.bfloat16

import pynvml  # noqa: E402

pynvml.nvmlInit()
NV = pynvml.nvmlDeviceGetHandleByIndex(0)


def sm_mhz():
    return pynvml.nvmlDeviceGetClockInfo(NV, pynvml.NVML_CLOCK_SM)


def energy_j():
    return pynvml.nvmlDeviceGetTotalEnergyConsumption(NV) / 1000.0


def timed(fn, reps):
    """Enqueue reps timed calls, sample the SM clock while they run."""
    s = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    e = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    e0, t0 = energy_j(), time.time()
    for i in range(reps):
        s[i].record(); fn(); e[i].record()
    clocks = []
    while not e[-1].query():
        clocks.append(sm_mhz())
        time.sleep(0.002)
    torch.cuda.synchronize()
    wall = time.time() - t0
    watts = (energy_j() - e0) / wall if wall > 0 else float("nan")
    ts = sorted(x.elapsed_time(y) for x, y in zip(s, e))
    clocks.sort()
    return {"ms": ts[len(ts) // 2], "ms_min": ts[0], "reps": reps, "total_ms": sum(ts),
            "sm_mhz": clocks[len(clocks) // 2] if clocks else sm_mhz(), "clock_samples": len(clocks),
            "avg_W": watts}


def estimate(fn):
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record(); fn(); b.record(); torch.cuda.synchronize()
    return max(a.elapsed_time(b), 1e-3)


res = {"meta": {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
                "cuda": torch.version.cuda, "idle_sm_mhz": sm_mhz()}, "gemm": []}
shapes = [(4096, 4096), (6144, 4096), (14336, 4096), (4096, 14336), (8192, 8192),
          (28672, 8192), (8192, 28672), (128256, 4096)]
Ms = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
for (N, K) in shapes:
    copies = max(1, math.ceil(256e6 / (N * K * 2)) + 1)
    Ws = [torch.randn(K, N, device=dev, dtype=torch.float32).to(bf16) for _ in range(copies)]
    for M in Ms:
        x = torch.randn(M, K, device=dev, dtype=torch.float32).to(bf16)
        it = [0]

        def f():
            it[0] = (it[0] + 1) % copies
            return x @ Ws[it[0]]
        for _ in range(3):
            f()
        torch.cuda.synchronize()
        # burst: as gpu_groundtruth.py, from idle
        time.sleep(0.4)
        est = estimate(f)
        burst = timed(f, int(min(200, max(10, math.ceil(150 / est)))))
        # sustained: 1 s back to back first
        t_end = time.time() + 1.0
        while time.time() < t_end:
            for _ in range(max(1, int(2.0 / est))):
                f()
            torch.cuda.synchronize()
        sus = timed(f, int(max(10, math.ceil(400 / est))))
        for mode, r in (("burst", burst), ("sustained", sus)):
            r.update({"dtype": "bf16", "M": M, "N": N, "K": K, "mode": mode,
                      "TFLOPs": 2 * M * N * K / (r["ms"] * 1e-3) / 1e12})
            res["gemm"].append(r)
        print(f"{M:6d} {N:6d} {K:6d}  burst {burst['ms']:.4f} ms {burst['sm_mhz']} MHz "
              f"{burst['avg_W']:.0f} W | sustained {sus['ms']:.4f} ms {sus['sm_mhz']} MHz {sus['avg_W']:.0f} W",
              flush=True)
        del x
    del Ws
    torch.cuda.empty_cache()
    with open(f"{OUT}/gpu_clocks.json", "w") as fh:
        json.dump(res, fh, indent=1)
