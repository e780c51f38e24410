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
import tempfile
import time

import numpy as np

from runtime import zoo
from runtime.model import Model
from runtime.shards import DEFAULT_BLOCK, ShardPlan


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


def chain_figures(model: str = "gpt2-tiny", shape=(1, 8), cuts=(37, 72), chain_kind: str = "embedded",
                  timeout: float = 300.0) -> dict:
    """One sharded request on `chain_kind` (honest), then one whose routed shard-2 node is corrupt (3 shards at
    `cuts`, steps of the model's own program; `model`: a zoo name or an .onnx path, default calibration)."""
    from bisection.types import max_moves
    from contracts import events as ev
    from contracts.chain import connect
    from verifiers.agents.base import Scheduler
    from verifiers.catalog import Catalog
    from verifiers.chainlog import events, install, transactions
    from verifiers.deployment import deploy_all
    from verifiers.shard import pipeline, plans
    from verifiers.shard.node import ShardNode

    chain = connect(chain_kind)
    install(chain)
    try:
        d = deploy_all(chain)
        ledger = pipeline.deploy_ledger_for(d)
        spec = plans.Spec(model, tuple(cuts), DEFAULT_BLOCK, tuple(shape))  # make_spec without loading the model
        whole = plans.Spec(model, (), DEFAULT_BLOCK, tuple(shape))  # one shard: the unsharded baseline
        plans.register(d, ledger, spec)
        plans.register(d, ledger, whole)
        store = tempfile.mkdtemp()
        acc = chain.accounts
        make = lambda i, j, cheat="honest": ShardNode(d, acc[i], catalog=Catalog((model,)), ledger=ledger,  # noqa: E731
                                                      store=store, shards={j}, cheat=cheat)
        nodes = [make(20, 1), make(21, 2, "corrupt"), make(23, 2), make(22, 3)]
        sch = Scheduler(nodes)
        while sch.tick():
            pass
        x = np.random.default_rng(0).integers(0, 256, tuple(shape)).astype(np.int64)
        def timed(sp, exclude):
            t = time.perf_counter()
            rid = pipeline.send_request(ledger, sp, x, acc[10], exclude=exclude)
            start = chain.block_number
            pipeline.wait(ledger, rid, sp, tick=sch.tick, drive=lambda: chain.mine(1), poll=0.0, timeout=timeout)
            return time.perf_counter() - t, chain.block_number - start

        while sch.tick():
            pass
        whole_s, whole_blocks = timed(whole, set())
        honest_s, honest_blocks = timed(spec, {acc[21].address})
        start = chain.block_number
        rid = pipeline.send_request(ledger, spec, x, acc[10], exclude={acc[23].address})
        t = time.perf_counter()
        v = pipeline.wait(ledger, rid, spec, tick=sch.tick, drive=lambda: chain.mine(1), poll=0.0, timeout=timeout)
        dispute_s = time.perf_counter() - t
        seen = events(chain, ledger.address, from_block=start + 1) + events(chain, d.game.address, from_block=start + 1)
        txs = transactions(chain, seen)
        dispute_kinds = ("BoundaryDisputed", "BoundaryBound", "BoundaryDisputeResolved", "ClaimSubmitted",
                         "GameOpened", "Bisected", "OutputPosted", "Revealed", "Picked", "Stepped", "GameResolved")
        moves = [t for t in txs if t.name in dispute_kinds]
        game_moves = [t for t in moves if t.name in ("GameOpened", "Bisected", "OutputPosted", "Revealed", "Picked",
                                                     "Stepped")]
        sizes = {t.tx_hash: len(chain.w3.eth.get_transaction(t.tx_hash)["input"]) for t in moves}
        largest = max(moves, key=lambda t: t.gas)
        game = nodes[1].arbiter.game(next(s.event.game_id for s in seen if isinstance(s.event, ev.GameOpened)))
        shard = plans.plan_of(spec).shards[1]
        return {"honest_seconds": honest_s, "honest_blocks": honest_blocks, "whole_seconds": whole_s,
                "whole_blocks": whole_blocks, "final": v["status"], "output_root": v["output_root"],
                "moves": [(t.name, t.gas, sizes[t.tx_hash]) for t in moves], "game_moves": len(game_moves),
                "game_bound": max_moves(shard.steps, 1 << game.leaf_depth, nodes[1].arbiter.stride),
                "largest_gas": (largest.name, largest.gas, sizes[largest.tx_hash]),
                "largest_bytes": max(sizes.values()), "dispute_seconds": dispute_s,
                "disputed": (f"step {game.position.disputed_step} ({shard.nodes[game.position.disputed_step - 1].op})"
                             if game.position.is_final else "none"),
                "dispute_gas": sum(t.gas for t in moves),
                "post_gas": [t.gas for t in txs if t.name == "BoundaryPosted"][:1],
                "shard_steps": shard.steps}
    finally:
        chain.close()


def pipeline_window() -> int:
    from verifiers.shard.pipeline import LEDGER_DEFAULTS

    return LEDGER_DEFAULTS["window"]


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


def print_chain(f: dict, label: str, chain_kind: str) -> None:
    from bisection.shards import level_zero_moves

    print(f"== on the {chain_kind} chain ({label}, in-process nodes, windows of {pipeline_window()} blocks): "
          f"end to end, 1 shard {f['whole_seconds']:.1f} s / {f['whole_blocks']} blocks, "
          f"3 shards {f['honest_seconds']:.1f} s / {f['honest_blocks']} blocks; post gas {f['post_gas']}", flush=True)
    print(f"lie in the middle shard ({f['shard_steps']} steps), disputed at {f['disputed']}: request {f['final']}, "
          f"output {f['output_root'][:18]}")
    for name, gas, size in f["moves"]:
        print(f"   {name:<24} {gas:>9,} gas {size:>7,} B")
    name, gas, size = f["largest_gas"]
    print(f"   dispute total {f['dispute_gas']:,} gas, {f['dispute_seconds']:.1f} s; largest transaction {name} "
          f"{gas:,} gas ({size:,} B; largest calldata {f['largest_bytes']:,} B); game moves inside the shard "
          f"{f['game_moves']} (bound {f['game_bound']}); finding the shard: 1 move on chain (every boundary root "
          f"posted), {level_zero_moves(3)} = ceil(log2 3) with a claim committing to a boundaries root "
          f"(bisection/shards.py)", flush=True)

if __name__ == "__main__":
    main()
