"""Figures for the dispute-game library (a benchmark, not a test: nothing here asserts on time).

    python -m benchmarks.bisection_trace [--repeat 200] [--json]

1. Trace cost over plain exact inference, per zoo model with an exact program (goal <= 1.5x):
   best-of-`repeat` seconds of `trace.compute` (S_0..S_N, every state committed) over those of
   `Program.run` on the same quantized input, timed in turns, at batch 1 and batch 64. The model commitment
   (weights root) is registration-time work and is computed once, outside the timings.
2. Hashing throughput in MB/s (goal >= 400 MB/s): tensor roots over the activations the zoo models
   produce (realistic sizes), over one large 16 MiB tensor, and raw sha256 over 1 KiB chunks.
3. A full in-memory dispute per zoo model: moves (mean and max over every strategy, step and side)
   against the bound ceil(log2 N) + ceil(log2 chunks) + 4, and wall time per dispute.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time

import numpy as np

from bisection import STRATEGIES, dispute, trace
from bisection.commitments import commit, hashed_bytes
from bisection.merkle import fast_tensor_root
from runtime import zoo
from runtime.model import Model
from runtime.tensor_root import tensor_bytes, tensor_root

MODELS = ("toy", "digits-mlp", "digits-cnn")


def _median(f, repeat: int) -> float:
    return _paired([f], repeat)[0]


def _paired(fs, repeat: int) -> list[float]:
    """Per function, the lowest of `repeat` timings taken in turns (the machine is shared: the
    minimum is the figure least disturbed by other processes, and taking turns keeps drift fair)."""
    for f in fs:
        f()
    times = [[] for _ in fs]
    for _ in range(repeat):
        for f, ts in zip(fs, times):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    return [min(ts) for ts in times]


def _case(name: str, batch: int):
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[[i % len(x) for i in range(batch)]]))
    return m.program(x_q.shape), x_q


def trace_cost(repeat: int) -> list[dict]:
    rows = []
    for name in MODELS:
        for batch in (1, 64):
            program, x_q = _case(name, batch)
            commit(program)
            plain, traced = _paired([lambda: program.run(x_q), lambda: trace.compute(program, x_q)], repeat)
            tr = trace.compute(program, x_q)
            rows.append({"model": name, "batch": batch, "steps": program.steps, "plain_s": plain, "trace_s": traced,
                         "ratio": traced / plain, "bytes_hashed": tr.bytes_hashed})
    return rows


def hashing(repeat: int) -> dict:
    acts = []
    for name in MODELS:
        for batch in (1, 64):
            program, x_q = _case(name, batch)
            acts += [np.asarray(v) for _, written, _ in program.states(x_q) for v in written.values()]
    nbytes = sum(a.size * a.itemsize for a in acts)
    hashed = sum(hashed_bytes(a.size * a.itemsize) for a in acts)
    t_acts = _median(lambda: [fast_tensor_root(a) for a in acts], max(5, repeat // 10))
    big = np.random.default_rng(0).integers(-32768, 32767, 8 * 1024 * 1024, dtype=np.int16)  # 16 MiB
    t_big = _median(lambda: fast_tensor_root(big), 5)
    t_big_runtime = _median(lambda: tensor_root(big), 5)
    t_enc = _median(lambda: tensor_bytes(big), 5)
    chunks = [bytes(1024)] * 16384
    t_raw = _median(lambda: [hashlib.sha256(c).digest() for c in chunks], 5)
    mb = 1e6
    return {"activations": len(acts), "activation_bytes": nbytes, "activations_MBps": nbytes / t_acts / mb,
            "activations_hashed_MBps": hashed / t_acts / mb,
            "large_tensor_bytes": big.nbytes, "large_tensor_MBps": big.nbytes / t_big / mb,
            "large_tensor_runtime_MBps": big.nbytes / t_big_runtime / mb,
            "large_tensor_encode_share": t_enc / t_big, "raw_sha256_1KiB_MBps": 16384 * 1024 / t_raw / mb}


def disputes() -> list[dict]:
    rows = []
    for name in MODELS:
        for batch in (1, 8):
            program, x_q = _case(name, batch)
            moves, secs, bound, disputed_steps = [], [], 0, set()
            for side in ("defender", "challenger"):
                for cheat in STRATEGIES[1:]:
                    for k in range(1, program.steps + 1):
                        t = time.perf_counter()
                        r = dispute.run(program, x_q, cheat, k, side, seed=k)
                        secs.append(time.perf_counter() - t)
                        assert r.winner != side, (name, cheat, k, side, r.reason)
                        moves.append(r.moves)
                        bound = max(bound, r.max_moves)
                        disputed_steps.add(r.disputed_step)
            rows.append({"model": name, "batch": batch, "steps": program.steps, "games": len(moves),
                         "moves_mean": statistics.mean(moves), "moves_max": max(moves), "bound": bound,
                         "wall_s_mean": statistics.mean(secs), "wall_s_max": max(secs)})
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    out = {"trace_cost": trace_cost(a.repeat), "hashing": hashing(a.repeat), "disputes": disputes()}
    if a.json:
        print(json.dumps(out))
        return out
    print("trace cost over plain exact inference (goal <= 1.5x)")
    for r in out["trace_cost"]:
        print(f"  {r['model']:11s} batch {r['batch']:3d}  {r['steps']:3d} steps  plain {r['plain_s'] * 1e3:8.3f} ms  "
              f"trace {r['trace_s'] * 1e3:8.3f} ms  ratio {r['ratio']:5.2f}x  hashed {r['bytes_hashed']:,} B")
    h = out["hashing"]
    print("hashing throughput (goal >= 400 MB/s)")
    print(f"  activation tensor roots ({h['activations']} tensors, {h['activation_bytes']:,} B): "
          f"{h['activations_MBps']:7.1f} MB/s of tensor data, {h['activations_hashed_MBps']:7.1f} MB/s hashed (padding, nodes)")
    print(f"  one 16 MiB tensor root: {h['large_tensor_MBps']:7.1f} MB/s (bisection.merkle.fast_tensor_root; "
          f"runtime.tensor_root {h['large_tensor_runtime_MBps']:.1f} MB/s; encoding alone {h['large_tensor_encode_share']:.0%})")
    print(f"  raw sha256 over 1 KiB chunks: {h['raw_sha256_1KiB_MBps']:7.1f} MB/s")
    print("full in-memory disputes (every strategy x step x side)")
    for r in out["disputes"]:
        print(f"  {r['model']:11s} batch {r['batch']:2d}  {r['games']:3d} games  moves mean {r['moves_mean']:4.1f} "
              f"max {r['moves_max']:2d} (bound {r['bound']:2d})  wall mean {r['wall_s_mean'] * 1e3:6.2f} ms "
              f"max {r['wall_s_max'] * 1e3:6.2f} ms")
    return out


if __name__ == "__main__":
    main()
