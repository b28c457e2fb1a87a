"""CNN ground truth: ResNet-50 and MobileNetV2 (ImageNet, 224×224) written
with plain PyTorch functional ops (conv2d, batch_norm, relu, pooling, linear;
no nn.Module, as gpu_groundtruth.py writes its Llama), bf16, channels_last,
random weights. Phases: forward (inference: batch norm with running
statistics, no autograd) and train_fwd_bwd (training-mode batch norm,
forward + backward of a cross-entropy loss, no optimizer step).

Writes $OUT/gpu_cnn.json: meta and a "cnn" list of points with the model,
phase, batch, image size, median and fastest repeat (ms).
"""
import json, math, os, time

import torch
import torch.nn.functional as F

OUT = os.environ.get("OUT", "gpu-out")
os.makedirs(OUT, exist_ok=True)
dev = torch.device("cuda")
dt = torch.bfloat16
CL = torch.channels_last
res = {"meta": {"gpu": torch.cuda.get_device_name(0), "sm_count": torch.cuda.get_device_properties(0).multi_processor_count,
                "torch": torch.__version__, "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version()}, "cnn": [], "errors": []}


def bench(fn, min_total_ms=300.0, max_reps=100, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record(); fn(); b.record(); torch.cuda.synchronize()
    est = max(a.elapsed_time(b), 1e-3)
    reps = int(min(max_reps, max(10, math.ceil(min_total_ms / est))))
    s = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    e = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        s[i].record(); fn(); e[i].record()
    torch.cuda.synchronize()
    ts = sorted(x.elapsed_time(y) for x, y in zip(s, e))
    return {"ms": ts[len(ts) // 2], "ms_min": ts[0], "reps": reps}


class Net:
    """Parameters and the functional forward of a CNN."""

    def __init__(self):
        self.params = []

    def conv(self, cin, cout, k, stride=1, groups=1):
        w = (torch.randn(cout, cin // groups, k, k, device=dev) * (2.0 / (cin // groups * k * k)) ** 0.5).to(dt)
        w = w.contiguous(memory_format=CL)
        # batch-norm parameters and statistics in fp32, as mixed precision keeps them
        g, b = torch.ones(cout, device=dev), torch.zeros(cout, device=dev)
        rm, rv = torch.zeros(cout, device=dev), torch.ones(cout, device=dev)
        self.params += [w, g, b]
        return dict(w=w, g=g, b=b, rm=rm, rv=rv, stride=stride, pad=k // 2, groups=groups)

    def cbr(self, c, x, train, relu=True):
        x = F.conv2d(x, c["w"], None, c["stride"], c["pad"], 1, c["groups"])
        x = F.batch_norm(x, c["rm"], c["rv"], c["g"], c["b"], training=train)
        return F.relu(x) if relu else x


class ResNet50(Net):
    def __init__(self):
        super().__init__()
        self.stem = self.conv(3, 64, 7, 2)
        self.blocks = []
        cin = 64
        for width, n, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(n):
                s = stride if i == 0 else 1
                blk = dict(c1=self.conv(cin, width, 1), c2=self.conv(width, width, 3, s), c3=self.conv(width, width * 4, 1))
                if i == 0:
                    blk["down"] = self.conv(cin, width * 4, 1, s)
                self.blocks.append(blk)
                cin = width * 4
        self.fc = (torch.randn(1000, 2048, device=dev) * 0.01).to(dt)
        self.params.append(self.fc)

    def __call__(self, x, train):
        x = self.cbr(self.stem, x, train)
        x = F.max_pool2d(x, 3, 2, 1)
        for blk in self.blocks:
            y = self.cbr(blk["c1"], x, train)
            y = self.cbr(blk["c2"], y, train)
            y = self.cbr(blk["c3"], y, train, relu=False)
            sc = self.cbr(blk["down"], x, train, relu=False) if "down" in blk else x
            x = F.relu(y + sc)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return x @ self.fc.t()


class MobileNetV2(Net):
    def __init__(self):
        super().__init__()
        self.stem = self.conv(3, 32, 3, 2)
        self.blocks = []
        cin = 32
        for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
            for i in range(n):
                stride = s if i == 0 else 1
                hid = cin * t
                blk = dict(dw=self.conv(hid, hid, 3, stride, groups=hid), pw=self.conv(hid, c, 1), res=(stride == 1 and cin == c))
                if t != 1:
                    blk["ex"] = self.conv(cin, hid, 1)
                self.blocks.append(blk)
                cin = c
        self.last = self.conv(320, 1280, 1)
        self.fc = (torch.randn(1000, 1280, device=dev) * 0.01).to(dt)
        self.params.append(self.fc)

    def __call__(self, x, train):
        x = F.relu6(self.cbr(self.stem, x, train, relu=False))
        for blk in self.blocks:
            y = F.relu6(self.cbr(blk["ex"], x, train, relu=False)) if "ex" in blk else x
            y = F.relu6(self.cbr(blk["dw"], y, train, relu=False))
            y = self.cbr(blk["pw"], y, train, relu=False)
            x = x + y if blk["res"] else y
        x = F.relu6(self.cbr(self.last, x, train, relu=False))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return x @ self.fc.t()


torch.backends.cudnn.benchmark = True
for name, cls, infer_batches, train_batches in (("resnet50", ResNet50, (1, 8, 32, 128, 256), (32, 128)),
                                                  ("mobilenet_v2", MobileNetV2, (1, 32, 256), (64, 256))):
    net = cls()
    for B in infer_batches:
        x = torch.randn(B, 3, 224, 224, device=dev).to(dt).contiguous(memory_format=CL)

        def fwd():
            with torch.no_grad():
                return net(x, False)
        try:
            r = bench(fwd)
            r.update(model=name, phase="forward", batch=B, image=224, dtype="bf16", memory_format="channels_last")
            res["cnn"].append(r)
            print(name, "forward", B, f"{r['ms']:.3f} ms", flush=True)
        except Exception as ex:  # noqa
            res["errors"].append(f"{name} forward {B}: {ex!r}")
    for p in net.params:
        p.requires_grad_(True)
    for B in train_batches:
        x = torch.randn(B, 3, 224, 224, device=dev).to(dt).contiguous(memory_format=CL)
        y = torch.randint(0, 1000, (B,), device=dev)

        def step():
            loss = F.cross_entropy(net(x, True).float(), y)
            loss.backward()
            for p in net.params:
                p.grad = None
        try:
            r = bench(step, max_reps=30)
            r.update(model=name, phase="train_fwd_bwd", batch=B, image=224, dtype="bf16", memory_format="channels_last")
            res["cnn"].append(r)
            print(name, "train", B, f"{r['ms']:.3f} ms", flush=True)
        except Exception as ex:  # noqa
            res["errors"].append(f"{name} train {B}: {ex!r}")
    del net
    torch.cuda.empty_cache()
with open(f"{OUT}/gpu_cnn.json", "w") as fh:
    json.dump(res, fh, indent=1)
print(res["errors"])
