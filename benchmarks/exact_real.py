"""Exact-over-fast latency on real-size networks, numpy and torch kernels, one CPU thread each.

Models (seeded weights, built here, no hub): a ResNet-50 (bottlenecks [3, 4, 6, 3], widths 64..2048,
BatchNorm folded at load) at 1x3x224x224, and GPT-2 with its 124M-parameter config (12 layers, 768
wide, 50257-token vocabulary) on one sequence of --seq token ids. Each profile runs --repeat times
after a warm-up (lowering and calibration are not timed); medians are printed. --profile prints the
exact profile's time per op type for both backends (where the torch kernels spend time). Each model's
costliest one-step proof (runtime/proof_cost.py: modeled gas and calldata of the game's step transaction,
bounds 1M gas and 64 KiB) is printed with its step.
Gas per one-step kernel at GPT-2's widths: python -m benchmarks.onestep_gas_gpt2.
Run: python -m benchmarks.exact_real [--models resnet50 gpt2] [--repeat 3] [--seq 32] [--profile] [--json]
"""
from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.runtime_latency import timed
from runtime.backend import get_backend
from runtime.model import Model
from bisection.step_cost import program_costs


def resnet50():
    import torch.nn as nn

    class Bottleneck(nn.Module):
        def __init__(self, cin, mid, stride):
            super().__init__()
            cout = 4 * mid
            self.body = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
                                      nn.Conv2d(mid, mid, 3, stride, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
                                      nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = (nn.Identity() if cin == cout and stride == 1 else
                         nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

        def forward(self, x):
            return (self.body(x) + self.skip(x)).relu()

    layers, cin = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)], 64
    for mid, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(Bottleneck(cin, mid, stride if b == 0 else 1))
            cin = 4 * mid
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


def build(name: str, out: Path, seq: int):
    """(path of model.onnx, one input, calibration samples)."""
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    path = out / f"{name}.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        if name == "resnet50":
            from runtime.zoo.export import export_torch

            export_torch(resnet50().eval(), (1, 3, 224, 224), path, fold=False)
            return path, rng.standard_normal((1, 3, 224, 224)).astype(np.float32), \
                rng.standard_normal((4, 3, 224, 224)).astype(np.float32)
        from transformers import GPT2Config, GPT2LMHeadModel

        net = GPT2LMHeadModel(GPT2Config(use_cache=False, attn_implementation="eager")).eval()

        class Logits(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, ids):
                return self.net(input_ids=ids, attention_mask=torch.ones_like(ids)).logits

        ids = torch.from_numpy(rng.integers(0, 50257, (1, seq)))
        torch.onnx.export(Logits(), (ids,), str(path), dynamo=False, opset_version=17, input_names=["input_ids"],
                          output_names=["logits"])
        return path, ids.numpy(), rng.integers(0, 50257, (4, seq))


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up: lowering, caches
    return timed(fn, repeat)


def per_op(m: Model, x, backend: str) -> dict[str, float]:
    """Seconds per op type over one exact run."""
    bk = get_backend(backend)
    x_q = m.quantize_input(x)
    prog = m.program(x_q.shape)
    spent: dict[str, float] = collections.defaultdict(float)
    t = time.perf_counter()
    for k, _, _ in prog.states(x_q, bk):
        now = time.perf_counter()
        spent[prog.nodes[k - 1].op] += now - t
        t = now
    return dict(spent)


def measure(name: str, repeat: int, seq: int, profile: bool) -> dict:
    import torch

    torch.set_num_threads(1)  # one CPU thread for every profile
    with tempfile.TemporaryDirectory() as d:
        path, x, samples = build(name, Path(d), seq)
        m = Model.load(path, calibration=samples)
        fast = median_time(lambda: m.run_fast(x), repeat)
        row = {"model": name, "input": list(x.shape), "fast_s": fast}
        program = m.program(m.quantize_input(x).shape)
        costs = program_costs(program)
        worst = max(costs, key=lambda c: c.gas)
        row["steps"] = program.steps
        row["largest_onestep"] = {"step": worst.step, "op": worst.op, "gas": worst.gas, "tx_bytes": worst.tx_bytes,
                                  "largest_tx_bytes": max(c.tx_bytes for c in costs),
                                  "steps_over_bounds": sum(not c.fits for c in costs)}
        for backend in ("numpy", "torch"):
            row[f"exact_{backend}_s"] = median_time(lambda: m.run_exact(x, backend=backend), repeat)
            row[f"exact_{backend}_over_fast"] = row[f"exact_{backend}_s"] / fast
        row["torch_over_numpy"] = row["exact_torch_s"] / row["exact_numpy_s"]
        exact = m.run_exact(x).floats()[0]
        f = m.run_fast(x)[0]
        row["top1_agreement"] = float((exact.argmax(-1) == f.argmax(-1)).mean())
        row["max_rel_logit_err"] = float(np.abs(exact - f).max() / np.abs(f).max())
        if profile:
            row["per_op_s"] = {b: per_op(m, x, b) for b in ("numpy", "torch")}
        return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["resnet50", "gpt2"], choices=["resnet50", "gpt2"])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seq", type=int, default=32)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    rows = [measure(n, a.repeat, a.seq, a.profile) for n in a.models]
    if a.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['model']} {r['input']}: fast {r['fast_s']:.3f} s; exact numpy {r['exact_numpy_s']:.3f} s "
              f"({r['exact_numpy_over_fast']:.2f}x fast), torch {r['exact_torch_s']:.3f} s ({r['exact_torch_over_fast']:.2f}x fast, "
              f"{r['torch_over_numpy']:.2f}x numpy); top-1 agreement {r['top1_agreement']:.3f}, "
              f"max rel logit err {r['max_rel_logit_err']:.4f}")
        c = r["largest_onestep"]
        print(f"  {r['steps']} steps; largest one-step proof: step {c['step']} ({c['op']}) {c['gas']:,} gas, "
              f"{c['tx_bytes']:,} B (largest calldata {c['largest_tx_bytes']:,} B; {c['steps_over_bounds']} steps over "
              f"1M gas / 64 KiB)")
        for b, ops in r.get("per_op_s", {}).items():
            top = sorted(ops.items(), key=lambda kv: -kv[1])[:8]
            print(f"  {b}: " + ", ".join(f"{op} {s:.3f}s" for op, s in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
