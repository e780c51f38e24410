"""Sharded inference (issue 22): bytes per boundary with and without compression and its accuracy cost,
latency sharded against unsharded, and the moves and gas of a dispute over a lie in the middle shard.

    python -m benchmarks.shards                  everything (the dispute on the embedded chain: about a minute)
    python -m benchmarks.shards --no-chain       compression and latency only
    python -m benchmarks.shards --realsize       GPT-2 124M, K 3 and 4, seq 8 and 64, the dispute on anvil
                                                 (benchmarks/shards_realsize.py; --help there for its options)

Compression: QuantizeBlock (block 64) at each cut; accuracy is the compressed registered program's
against the uncompressed one: digits-cnn's test-split accuracy, gpt2-tiny's next-token (argmax) agreement
and largest logit difference over seeded inputs. Latency: the exact program's compute, whole and as K
shard programs one after another (the chain and the store excluded), then one sharded request end to end
on the embedded chain with in-process nodes. Dispute: four in-process nodes, the routed shard-2 node
corrupt; gas is each transaction's gas_used. Prints only.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from runtime import zoo
from runtime.model import Model
from runtime.shards import ShardPlan

from .shard_chain import chain_figures, print_chain


def compression_rows(k: int = 3, block: int = 64, samples: int = 64) -> list[dict]:
    rows = []
    m = Model.load("digits-cnn", profile="exact")
    x, y = zoo.test_data("digits-cnn")
    program = m.program((1, *x.shape[1:]))
    raw, comp = ShardPlan.make(program, k, block=None), ShardPlan.make(program, k, block=block)
    base_ok = comp_ok = 0
    for i in range(len(x)):
        x_q = m.quantize_input(x[i:i + 1])
        base_ok += int(raw.run(x_q)[-1].argmax() == y[i])
        comp_ok += int(comp.run(x_q)[-1].argmax() == y[i])
    rows.append({"model": "digits-cnn", "cuts": raw.cuts, "bytes": [comp.boundary_bytes(j) for j in range(1, k)],
                 "raw": [raw.boundary_bytes(j) for j in range(1, k)],
                 "cost": f"test accuracy {base_ok / len(x):.4f} -> {comp_ok / len(x):.4f} ({len(x)} inputs)"})
    g = Model.load("gpt2-tiny", profile="exact")
    program = g.program((1, 16))
    raw, comp = ShardPlan.make(program, k, block=None), ShardPlan.make(program, k, block=block)
    scale = program.slots[program.output_slots[0]].scale
    rng = np.random.default_rng(0)
    agree, worst = 0, 0.0
    for _ in range(samples):
        ids = rng.integers(0, g.id_limit(), (1, 16)).astype(np.int64)
        a, b = raw.run(ids)[-1], comp.run(ids)[-1]
        agree += int(np.mean(a.argmax(-1) == b.argmax(-1)) * 16)
        worst = max(worst, float(np.abs(a.astype(np.int64) - b).max()) * scale)
    rows.append({"model": "gpt2-tiny (1x16)", "cuts": raw.cuts, "bytes": [comp.boundary_bytes(j) for j in range(1, k)],
                 "raw": [raw.boundary_bytes(j) for j in range(1, k)],
                 "cost": f"next-token agreement {agree / (16 * samples):.4f}, max |logit diff| {worst:.4f} "
                         f"({samples} x 16 positions)"})
    return rows


def latency_rows(k: int = 3, repeat: int = 20) -> list[dict]:
    rows = []
    for name, shape in (("gpt2-tiny", (1, 16)), ("digits-cnn", None)):
        m = Model.load(name, profile="exact")
        if shape is None:
            x, _ = zoo.test_data(name)
            x_q = m.quantize_input(x[:1])
        else:
            x_q = np.random.default_rng(0).integers(0, m.id_limit(), shape).astype(np.int64)
        program = m.program(x_q.shape)
        plan = ShardPlan.make(program, k)
        t = time.perf_counter()
        for _ in range(repeat):
            program.run(x_q)
        whole = (time.perf_counter() - t) / repeat
        t = time.perf_counter()
        for _ in range(repeat):
            plan.run(x_q)
        sharded = (time.perf_counter() - t) / repeat
        rows.append({"model": name, "whole_ms": whole * 1e3, "sharded_ms": sharded * 1e3})
    return rows


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--realsize" in argv:  # its own options (--realsize --help lists them)
        from benchmarks import shards_realsize

        rest = [a for a in argv if a not in ("--realsize", "--no-chain")]
        return shards_realsize.main(rest + (["--chain", "none"] if "--no-chain" in argv else []))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-chain", action="store_true", help="skip the on-chain pipeline and dispute")
    p.add_argument("--realsize", action="store_true",
                   help="GPT-2 124M instead (benchmarks/shards_realsize.py: minutes, up to 3 GiB; --realsize --help)")
    args = p.parse_args(argv)
    print("== boundary bytes with / without compression (QuantizeBlock, block 64), 3 shards")
    for r in compression_rows():
        print(f"{r['model']:<18} cuts {r['cuts']}: bytes per boundary {r['bytes']} vs {r['raw']} uncompressed; "
              f"{r['cost']}")
    print("== compute latency, whole exact program vs 3 shard programs in sequence (ms per request)")
    for r in latency_rows():
        print(f"{r['model']:<12} whole {r['whole_ms']:.2f}   sharded {r['sharded_ms']:.2f}")
    if args.no_chain:
        return
    print_chain(chain_figures(), "gpt2-tiny 1x8, cuts 37,72", "embedded")


if __name__ == "__main__":
    main()
