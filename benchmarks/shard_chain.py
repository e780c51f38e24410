"""The on-chain part of the sharding figures (issue 22): one sharded request end to end against an unsharded one,
then a lie in the middle shard disputed through the ShardLedger; used by `benchmarks.shards` (gpt2-tiny) and
`benchmarks.shards_realsize` (GPT-2 124M). Prints only."""
from __future__ import annotations

import tempfile
import time

import numpy as np

from runtime.shards import DEFAULT_BLOCK


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
