"""Exact-over-fast latency and peak memory on real-size networks, numpy and torch kernels.

Models (seeded weights, built here, no hub): a ResNet-50 (bottlenecks [3, 4, 6, 3], widths 64..2048,
BatchNorm folded at load) at 1x3x224x224; GPT-2 with its 124M-parameter config (12 layers, 768
wide, 50257-token vocabulary), exported by torch as a user would; LLaMA-architecture models written
as int8 by `runtime.zoo.llama` (TinyLlama-1.1B's shape and LLaMA-7B's: 4096 wide, 32 layers, 11008
MLP, 32000 vocabulary), each on one sequence of --seq token ids.

Each measurement runs in its own child process, which reports its peak resident memory (ru_maxrss):
`fast` (onnxruntime), `exact-numpy` and `exact-torch` (load, calibrate on --calib sequences, lower,
run --repeat times: the median is printed, the first run also builds the trace's state roots with
--trace). The LLaMA models' calibration is streamed (node by node) and cached by model file and
samples, so the first exact child pays for it and says so; so is the lowered program
(runtime.program_cache): each exact row says whether it lowered (miss) or mapped the program (hit), and
its peaks after calibration and after lowering. GPT-2 is exported once per --seq into the build cache. The int8 weight bytes and the target
peak (1.3 x weight bytes + 1 GiB) are printed beside each peak.
Each exact child also prints the program's costliest one-step proof (bisection.step_cost: modeled
gas and calldata of the game's step transaction, bounds 1M gas and 64 KiB).
--profile prints the exact profile's time per op type. The LLaMA files go to $TRIBUNAL_CACHE/zoo
(default ~/.cache/tribunal/zoo; 6.3 GiB for 7b: point TRIBUNAL_CACHE at a disk with room).
Run: python -m benchmarks.exact_real [--models gpt2 llama1b llama7b] [--repeat 3] [--seq 32] [--threads 2]
     [--profiles fast exact-numpy exact-torch] [--trace] [--profile] [--json]
"""
from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.runtime_latency import timed
from bisection.step_cost import program_costs
from runtime.backend import get_backend
from runtime.fast import session
from runtime.model import Model


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


LLAMAS = {"llama1b": "1.1b", "llama7b": "7b"}
MODELS = ("resnet50", "gpt2", *LLAMAS)
PROFILES = ("fast", "exact-numpy", "exact-torch")


def llama_folder(name: str) -> Path:
    """The int8 LLaMA model's folder in the build cache, written once (runtime.zoo.llama)."""
    from runtime.zoo import llama
    from runtime.zoo.cache import built

    shape = LLAMAS[name]
    return built(f"llama-{shape}-int8-v1", lambda d: llama.build(llama.SHAPES[shape], d))


def build(name: str, out: Path, seq: int):
    """(path of model.onnx, one input, calibration samples)."""
    if name in LLAMAS:
        rng = np.random.default_rng(0)
        return llama_folder(name) / "model.onnx", rng.integers(0, 32000, (1, seq)), rng.integers(0, 32000, (2, seq))
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
        ids = rng.integers(0, 50257, (1, seq))
        return gpt2_file(seq), ids, rng.integers(0, 50257, (4, seq))


def gpt2_file(seq: int) -> Path:
    """GPT-2 124M (seeded) exported by torch as a user would, once, into the build cache: the same file
    on every run, so the second run finds its calibration and lowered program cached."""
    from runtime.zoo.cache import built

    def export(d: Path) -> None:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel

        torch.manual_seed(0)
        net = GPT2LMHeadModel(GPT2Config(use_cache=False, attn_implementation="eager")).eval()

        class Logits(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, ids):
                return self.net(input_ids=ids, attention_mask=torch.ones_like(ids)).logits

        ids = torch.zeros((1, seq), dtype=torch.int64)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Logits(), (ids,), str(d / "model.onnx"), dynamo=False, opset_version=17,
                              input_names=["input_ids"], output_names=["logits"])

    return built(f"gpt2-124m-seq{seq}-v1", export) / "model.onnx"


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


def peak_gib() -> float:
    """This process's peak resident memory: VmHWM, the high-water mark of its own address space. Not
    ru_maxrss, which a child started by fork and exec inherits from its parent at the fork (a child
    spawned right after the parent exported GPT-2 reported the export's peak as its own)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def child(name: str, profile: str, folder: Path, repeat: int, threads: int, trace: bool, per_op_times: bool) -> dict:
    """One measurement in this (child) process, on what `measure` built in `folder`: its figures and
    its peak memory."""
    import torch

    torch.set_num_threads(threads)
    spec = json.loads((folder / "spec.json").read_text())
    path, x, samples = Path(spec["path"]), np.load(folder / "x.npy"), np.load(folder / "samples.npy")
    t = time.perf_counter()
    m = Model.load(path, calibration=None)
    row = {"model": name, "profile": profile, "input": list(x.shape), "threads": threads}
    if profile == "fast":
        m._sessions["cpu"] = session(str(path) if m.external else m.proto.SerializeToString(), "cpu", threads)
        row["seconds"] = median_time(lambda: m.run_fast(x, "cpu"), repeat)
        np.save(folder / f"{profile}.npy", m.run_fast(x, "cpu")[0])
    else:
        backend = profile.split("-")[1]
        m.set_calibration(samples)
        row["calibrate_s"] = time.perf_counter() - t
        row["peak_after_calibrate_gib"] = peak_gib()
        t = time.perf_counter()
        prog = m.program(x.shape)
        row["lower_s"], row["steps"] = time.perf_counter() - t, prog.steps
        from runtime.program_cache import stats

        row["program_cache"] = "off" if not m.cached_programs else "hit" if stats["hits"] else "miss"
        row["peak_after_lower_gib"] = peak_gib()
        row["weight_bytes"] = int(sum(v.nbytes for v in prog.constants.values()))
        costs = program_costs(prog)
        worst = max(costs, key=lambda c: c.gas)
        row["largest_onestep"] = {"step": worst.step, "op": worst.op, "gas": worst.gas, "tx_bytes": worst.tx_bytes,
                                  "largest_tx_bytes": max(c.tx_bytes for c in costs),
                                  "steps_over_bounds": sum(not c.fits for c in costs)}
        first = m.run_exact(x, backend=backend)
        row["first_run_s"] = first.seconds
        row["seconds"] = timed(lambda: m.run_exact(x, backend=backend), repeat) if repeat else first.seconds
        np.save(folder / f"{profile}.npy", first.floats()[0])
        if trace:
            from bisection.trace import compute

            t = time.perf_counter()
            tr = compute(prog, m.quantize_input(x), backend=backend)
            row["trace_s"], row["trace_steps"], row["final_root"] = time.perf_counter() - t, tr.steps, tr.final_root.hex()
            row["output_root"] = first.output_root.hex()
        if per_op_times:
            row["per_op_s"] = per_op(m, x, backend)
    row["positions_per_s"] = int(np.prod(x.shape)) / row["seconds"]
    row["peak_gib"] = peak_gib()
    return row


def spawn(name: str, profile: str, a, folder: Path) -> dict:
    """`child` in a fresh Python process (its own peak memory), or the error it died with."""
    args = [sys.executable, "-m", "benchmarks.exact_real", "--child", name, profile, str(folder), "--repeat", str(a.repeat),
            "--threads", str(a.threads)] + (["--trace"] if a.trace else []) + (["--profile"] if a.profile else [])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return {"model": name, "profile": profile, "error": (r.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def measure(name: str, a) -> dict:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        path, x, samples = build(name, folder, a.seq)  # here, so no child's peak includes an export
        np.save(folder / "x.npy", x)
        np.save(folder / "samples.npy", samples)
        (folder / "spec.json").write_text(json.dumps({"path": str(path)}))
        rows = {p: spawn(name, p, a, folder) for p in a.profiles}
        outs = {p: np.load(folder / f"{p}.npy") for p in rows if "error" not in rows[p]}
    row = {"model": name, "runs": rows}
    fast = rows.get("fast", {}).get("seconds")
    for p in ("exact-numpy", "exact-torch"):
        if p in rows and "seconds" in rows[p] and fast:
            row[f"{p}_over_fast"] = rows[p]["seconds"] / fast
    exact = next((outs[p] for p in ("exact-torch", "exact-numpy") if p in outs), None)
    if exact is not None and "fast" in outs:
        f = outs["fast"]
        row["top1_agreement"] = float((exact.argmax(-1) == f.argmax(-1)).mean())
        row["max_rel_err"] = float(np.abs(exact - f).max() / np.abs(f).max())
    if "exact-numpy" in outs and "exact-torch" in outs:
        row["numpy_equals_torch"] = bool((outs["exact-numpy"] == outs["exact-torch"]).all())
    return row


def report(r: dict) -> None:
    print(f"{r['model']}:")
    for p, run in r["runs"].items():
        if "error" in run:
            print(f"  {p}: FAILED: {run['error']}")
            continue
        line = f"  {p}: {run['seconds']:.3f} s ({run['positions_per_s']:.2f} positions/s), peak {run['peak_gib']:.2f} GiB"
        if "weight_bytes" in run:
            wb = run["weight_bytes"] / 2**30
            line += (f" (constants {wb:.2f} GiB, target <= {1.3 * wb + 1:.2f}); calibrate {run['calibrate_s']:.1f} s, "
                     f"lower {run['lower_s']:.1f} s (program cache {run['program_cache']}), {run['steps']} steps, "
                     f"first run {run['first_run_s']:.2f} s; peak after calibration "
                     f"{run['peak_after_calibrate_gib']:.2f}, after lowering {run['peak_after_lower_gib']:.2f} GiB")
        if "trace_s" in run:
            line += f"; trace {run['trace_s']:.1f} s"
        print(line)
        if c := run.get("largest_onestep"):
            print(f"      largest one-step proof: step {c['step']} ({c['op']}) {c['gas']:,} gas, {c['tx_bytes']:,} B "
                  f"(largest calldata {c['largest_tx_bytes']:,} B; {c['steps_over_bounds']} steps over 1M gas / 64 KiB)")
        for op, sec in sorted(run.get("per_op_s", {}).items(), key=lambda kv: -kv[1])[:8]:
            print(f"      {op} {sec:.3f}s")
    ratios = ", ".join(f"{p} {r[f'{p}_over_fast']:.2f}x fast" for p in ("exact-numpy", "exact-torch") if f"{p}_over_fast" in r)
    extra = [ratios] if ratios else []
    if "top1_agreement" in r:
        extra.append(f"top-1 agreement {r['top1_agreement']:.3f}, max rel err {r['max_rel_err']:.4f}")
    if "numpy_equals_torch" in r:
        extra.append(f"numpy == torch bit for bit: {r['numpy_equals_torch']}")
    if extra:
        print("  " + "; ".join(extra))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["gpt2", "llama1b", "llama7b"], choices=MODELS)
    p.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seq", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--trace", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", nargs=3, metavar=("MODEL", "PROFILE", "FOLDER"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1], Path(a.child[2]), a.repeat, a.threads, a.trace, a.profile)))
        return 0
    rows = []
    for n in a.models:
        rows.append(measure(n, a))
        if not a.json:
            report(rows[-1])
    if a.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
