"""Exact-over-fast latency per zoo model at batch 1 and 64, and the exact profile's peak memory.

Both profiles are timed side by side in one process, interleaved, and the median of many runs is
kept, so the ratio holds on a shared, noisy machine. Goal (issue 2): exact <= 3x fast at batch 64.
Run: python -m benchmarks.runtime_latency [--repeat N] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
import warnings

import numpy as np

from runtime import zoo
from runtime.model import Model

MODELS = ("digits-mlp", "digits-cnn")


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def measure(name: str, batch: int, repeat: int) -> dict:
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x = np.concatenate([x] * (1 + batch // len(x)))[:batch]
    prog = m.program(x.shape)
    x_q = m.quantize_input(x)
    m.run_fast(x, "cpu"), prog.run(x_q, "numpy"), prog.run(x_q, "torch")  # warm up, build sessions
    fast, exact_np, exact_t = [], [], []
    for _ in range(5):  # interleave the three so drift hits them alike
        fast.append(timed(lambda: m.run_fast(x, "cpu"), repeat))
        exact_np.append(timed(lambda: prog.run(x_q, "numpy"), repeat))
        exact_t.append(timed(lambda: prog.run(x_q, "torch"), repeat))
    tracemalloc.start()
    prog.run(x_q, "numpy")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    f, n, t = statistics.median(fast), statistics.median(exact_np), statistics.median(exact_t)
    return {"model": name, "batch": batch, "steps": prog.steps, "fast_ms": f * 1e3, "exact_numpy_ms": n * 1e3,
            "exact_torch_ms": t * 1e3, "ratio_numpy": n / f, "ratio_torch": t / f,
            "exact_peak_kib": peak / 1024, "constants_kib": sum(v.nbytes for v in prog.constants.values()) / 1024}


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=50)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = [measure(name, b, args.repeat) for name in MODELS for b in (1, 64)]
    if args.json:
        print(json.dumps(rows))
        return rows
    print("exact-over-fast latency (CPU; median of interleaved runs; fast = onnxruntime CPU provider)")
    print(f"{'model':<11} {'batch':>5} {'fast ms':>8} {'exact np ms':>11} {'exact torch ms':>14} {'np/fast':>8} "
          f"{'torch/fast':>10} {'peak KiB':>9} {'consts KiB':>10}")
    for r in rows:
        print(f"{r['model']:<11} {r['batch']:>5} {r['fast_ms']:>8.3f} {r['exact_numpy_ms']:>11.3f} {r['exact_torch_ms']:>14.3f} "
              f"{r['ratio_numpy']:>8.2f} {r['ratio_torch']:>10.2f} {r['exact_peak_kib']:>9.1f} {r['constants_kib']:>10.1f}")
    print("goal: exact <= 3x fast at batch 64; peak = tracemalloc peak during one numpy exact run")
    return rows


if __name__ == "__main__":
    main()
