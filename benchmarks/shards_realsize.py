"""Sharded inference at real size (issue 22): GPT-2 124M (GPT2Config(), seeded weights, exported by torch
once per sequence length into the build cache: benchmarks.exact_real.gpt2_file) cut into K shards between
transformer blocks (runtime.shards.even_cuts among the blocks' ends: balanced by the weights each shard
holds), block-64 compression at the boundaries.

    python -m benchmarks.shards --realsize                     seq 8 and 64, K 3 and 4, the dispute on anvil
    python -m benchmarks.shards --realsize --seqs 8 --ks 3 --chain none

Per sequence length: bytes per boundary compressed and raw; accuracy of the compressed sharded program
against the unsharded exact program (next-token argmax agreement, largest logit difference) and of
both against the float model (onnxruntime, run first and freed before lowering: GPT-2's float session
and its program together are not needed at once); compute latency of the unsharded program and of
the K shard programs one after another, interleaved in the same process (median over the inputs); the
costliest one-step proof of any shard (bisection.step_cost, modeled from shapes). Then at
seq 8, K 3: one request end to end through the ShardLedger and a lie in the middle shard disputed
(benchmarks.shard_chain.chain_figures, in-process nodes). The model uses the default calibration (64
seeded id sequences), which every node rebuilds from the spec alone. Prints only.
"""
from __future__ import annotations

import argparse
import gc
import re
import statistics
import time

import numpy as np

from runtime.shards import ShardPlan, even_cuts, valid_cuts

BLOCK_END = re.compile(r"\bh\.(\d+)/Add_1$")

SAMPLES = {8: 16, 64: 8}  # seeded inputs per sequence length (64 tokens: ~3 s per exact run on this machine)


def block_ends(program) -> list[int]:
    """The valid cuts that end a transformer block (its second residual Add, `h.N/Add_1` in the torch
    export's node names): where the shards are cut. None for a model named otherwise: every valid cut."""
    return [c for c in valid_cuts(program) if BLOCK_END.search(program.nodes[c - 1].name)] or None


def block_of(program, cut: int) -> str:
    m = BLOCK_END.search(program.nodes[cut - 1].name)
    return f"after block {m.group(1)}" if m else program.nodes[cut - 1].name


def figures(seq: int, ks=(3, 4), samples: int | None = None, float_ref: bool = True, model=None) -> dict:
    """The figures at one sequence length (`model`: another zoo name or .onnx path, default GPT-2 124M)."""
    from benchmarks.exact_real import gpt2_file, peak_gib
    from bisection.step_cost import largest
    from runtime.model import Model

    path = model or gpt2_file(seq)
    m = Model.load(path)  # the fast profile: nothing lowered yet
    rng = np.random.default_rng(1)
    n = samples or SAMPLES.get(seq, 8)
    xs = [rng.integers(0, m.id_limit(), (1, seq)).astype(np.int64) for _ in range(n)]
    floats = [m.run_fast(x, "cpu")[0][0].astype(np.float32) for x in xs] if float_ref else None
    m._sessions.clear()  # the float session freed before lowering
    gc.collect()
    from runtime.program_cache import stats

    t = time.perf_counter()
    m._ensure_calibrated()  # the default calibration (cached per model file): what every node rebuilds
    calibrate_s, hits = time.perf_counter() - t, stats["hits"]
    t = time.perf_counter()
    program = m.program((1, seq))
    lower_s = time.perf_counter() - t
    cache = "off" if not m.cached_programs else "hit" if stats["hits"] > hits else "miss"
    del m
    gc.collect()
    out = {"seq": seq, "steps": program.steps, "lower_s": lower_s, "calibrate_s": calibrate_s, "cache": cache,
           "inputs": n, "path": str(path), "ks": {}}
    scale = program.slots[program.output_slots[0]].scale
    plans, raws = {}, {}
    ends = block_ends(program)
    for k in ks:
        cuts = even_cuts(program, k, among=ends)
        plans[k], raws[k] = ShardPlan.make(program, cuts=cuts), ShardPlan.make(program, cuts=cuts, block=None)
        out["ks"][k] = {"cuts": cuts, "blocks": [block_of(program, c) for c in cuts],
                        "bytes": [plans[k].boundary_bytes(j) for j in range(1, k)],
                        "raw": [raws[k].boundary_bytes(j) for j in range(1, k)],
                        "weights_mib": [sum(v.nbytes for v in s.constants.values()) / 2**20 for s in plans[k].shards],
                        "agree": 0, "worst": 0.0, "float_agree": 0, "float_worst": 0.0,
                        "onestep": largest(plans[k].full)}  # modeled, from shapes: every shard's steps
    exact_float = {"agree": 0, "worst": 0.0}
    times = {"whole": [], **{k: [] for k in ks}}
    for i, x in enumerate(xs):
        t = time.perf_counter()
        a = program.run(x)[0]
        times["whole"].append(time.perf_counter() - t)
        a_top = a[0].argmax(-1)
        if floats is not None:
            f = floats[i]
            exact_float["agree"] += int((a_top == f.argmax(-1)).sum())
            exact_float["worst"] = max(exact_float["worst"], float(np.abs(a[0] * scale - f).max()))
        for k in ks:
            t = time.perf_counter()
            b = plans[k].run(x)[-1]
            times[k].append(time.perf_counter() - t)
            r = out["ks"][k]
            r["agree"] += int((a_top == b[0].argmax(-1)).sum())
            r["worst"] = max(r["worst"], float(np.abs(a.astype(np.int32) - b).max()) * scale)
            if floats is not None:
                r["float_agree"] += int((b[0].argmax(-1) == floats[i].argmax(-1)).sum())
                r["float_worst"] = max(r["float_worst"], float(np.abs(b[0] * scale - floats[i]).max()))
            del b
    out["whole_ms"] = statistics.median(times["whole"]) * 1e3
    for k in ks:
        out["ks"][k]["sharded_ms"] = statistics.median(times[k]) * 1e3
    out["float"] = exact_float if floats is not None else None
    out["positions"] = n * seq
    out["peak_gib"] = peak_gib()
    out["cuts3"] = even_cuts(program, 3, among=ends)
    return out


def report(f: dict) -> None:
    pos = f["positions"]
    print(f"== GPT-2 124M, 1x{f['seq']} tokens: {f['steps']} steps; calibration {f['calibrate_s']:.1f} s, "
          f"lowering {f['lower_s']:.1f} s (program cache {f['cache']}); "
          f"{f['inputs']} seeded inputs ({pos} positions); peak {f['peak_gib']:.2f} GiB", flush=True)
    if f["float"]:
        print(f"   unsharded exact vs float (onnxruntime): next-token agreement {f['float']['agree'] / pos:.4f}, "
              f"max |logit diff| {f['float']['worst']:.4f}")
    print(f"   compute latency (median per request, numpy): unsharded {f['whole_ms']:.0f} ms")
    for k, r in f["ks"].items():
        print(f"   K={k}: cuts {list(r['cuts'])} ({', '.join(r['blocks'])}); weights per shard "
              f"{', '.join(f'{w:.0f}' for w in r['weights_mib'])} MiB")
        print(f"        bytes per boundary {r['bytes']} compressed vs {r['raw']} raw "
              f"({r['raw'][0] / r['bytes'][0]:.2f}x smaller)")
        line = (f"        compressed sharded vs unsharded exact: next-token agreement {r['agree'] / pos:.4f}, "
                f"max |logit diff| {r['worst']:.4f}")
        if f["float"]:
            line += f"; vs float: agreement {r['float_agree'] / pos:.4f}, max |logit diff| {r['float_worst']:.4f}"
        print(line)
        c = r["onestep"]
        print(f"        {k} shard programs in sequence {r['sharded_ms']:.0f} ms "
              f"({r['sharded_ms'] / f['whole_ms']:.2f}x unsharded); costliest one-step proof of any shard "
              f"(modeled): {c.op} {c.gas:,} gas, {c.tx_bytes:,} B", flush=True)


def main(argv=None) -> None:
    import os

    p = argparse.ArgumentParser(prog="python -m benchmarks.shards --realsize", description=__doc__.splitlines()[0])
    p.add_argument("--seqs", type=int, nargs="+", default=[8, 64], help="sequence lengths (token ids per request)")
    p.add_argument("--ks", type=int, nargs="+", default=[3, 4], help="shard counts")
    p.add_argument("--samples", type=int, default=None, help="seeded inputs per sequence length (default 16 / 8)")
    p.add_argument("--chain", default="anvil", choices=["anvil", "embedded", "none"],
                   help="where the seq-8, 3-shard request and the dispute run")
    p.add_argument("--no-float", action="store_true", help="skip the float (onnxruntime) reference")
    args = p.parse_args(argv)
    if min(args.seqs) < 1 or min(args.ks) < 2:
        p.error("--seqs must be positive and --ks at least 2")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores", flush=True)
    cuts = None
    for seq in args.seqs:
        f = figures(seq, tuple(args.ks), args.samples, float_ref=not args.no_float)
        report(f)
        if seq == 8:
            cuts, path = f["cuts3"], f["path"]
        del f
        gc.collect()
    if args.chain == "none":
        return
    if cuts is None:
        from benchmarks.exact_real import gpt2_file
        from runtime.model import Model

        path = str(gpt2_file(8))
        program = Model.load(path).program((1, 8))
        cuts = even_cuts(program, 3, among=block_ends(program))
        del program
        gc.collect()
    from benchmarks.shard_chain import chain_figures, print_chain

    print(f"load: {os.getloadavg()[0]:.2f}", flush=True)
    print_chain(chain_figures(path, (1, 8), cuts, args.chain, timeout=3600.0),
                f"GPT-2 124M 1x8, cuts {','.join(map(str, cuts))}", args.chain)
    print(f"load: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
