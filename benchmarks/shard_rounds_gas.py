"""Gas of a sharded request chained by ShardRounds (issue 22, brain and hybrid on shards): per round the
request (round 1), the advance (the boundary's bytes posted and checked against round j's result, round j+1
opened), the round's callback into ShardRounds (`onResult`, measured by estimating it from the oracle's
address while the round is open: the last one delivers to an ExampleConsumer) and the Brain finalize that
carries it. gpt2-tiny in 3 uncompressed shards, honest committee of 5, embedded chain. Prints only.

    python -m benchmarks.shard_rounds_gas            brain rounds
    python -m benchmarks.shard_rounds_gas --hybrid   HybridCourt rounds (request and advance only: the court's
                                                     callback runs in whichever transaction makes its answer final)
"""
from __future__ import annotations

import argparse
import tempfile

import numpy as np

from contracts import events as ev
from contracts.bindings.shard import MODE_BRAIN, MODE_HYBRID, RUNNING


def run(hybrid: bool = False) -> dict:
    from runtime.model import Model
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog
    from verifiers.chainlog import events
    from verifiers.shard import committee, hybrid as hy, pipeline, plans, rounds as chained

    x = np.random.default_rng(0).integers(0, 256, (1, 4)).astype(np.int64)
    x_q = Model.load("gpt2-tiny", profile="exact").quantize_input(x)
    spec = plans.make_spec("gpt2-tiny", 3, shape=tuple(x_q.shape), block=0)
    store = tempfile.mkdtemp(prefix="tribunal-boundaries-")
    t = Tribunal.connect("embedded", committee=5, agents=False, catalog=Catalog(()))
    try:
        committee.start_members(t, store)
        committee.register(t, spec)
        if hybrid:
            hy.start_watcher(t, store)
        ledger = pipeline.deploy_ledger_for(t.deployment)
        rounds = chained.deploy_rounds_for(t.deployment, ledger)
        consumer = t.chain.deploy("ExampleConsumer", [rounds.address])
        pid, r = chained.send(t, rounds, ledger, spec, x_q, mode=MODE_HYBRID if hybrid else MODE_BRAIN,
                              consumer=consumer, callback_gas=100_000)
        oracle = t.deployment.brain.address
        out = {"request": r.gas_used, "advance": [], "callback": {}, "finalize": {}, "boundary_bytes": []}
        while True:
            p = rounds.pipeline_of(pid)
            if p.status != RUNNING:
                break
            if not hybrid and not p.settled and p.round not in out["callback"]:
                fn = rounds.contract.functions.onResult(p.round_id, b"\1" * 32)
                out["callback"][p.round] = fn.estimate_gas({"from": oracle, "gasPrice": 0}) - 21_000  # the call's own execution
            if p.settled:
                data = chained.boundary_bytes(spec, p.round, rounds.round_of(pid, p.round).result, store)
                out["boundary_bytes"].append(len(data))
                out["advance"].append(rounds.advance(pid, data, sender=t.requester).gas_used)
                continue
            t.step()
        for j in range(1, 4):
            rid = rounds.round_of(pid, j).request_id
            fin = events(t.chain, t.deployment.brain.address, ev.Finalized, key=rid)
            out["finalize"][j] = t.chain.w3.eth.get_transaction_receipt(fin[0].tx_hash)["gasUsed"] if fin else None
        out["final"] = rounds.pipeline_of(pid).status
    finally:
        t.close()
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hybrid", action="store_true")
    a = ap.parse_args(argv)
    g = run(a.hybrid)
    print(f"ShardRounds, gpt2-tiny in 3 shards, {'HybridCourt' if a.hybrid else 'Brain'} rounds (gas used):")
    rows = [("request (opens round 1)", g["request"])]
    rows += [(f"advance to round {j} ({n} B boundary)", gas)
             for j, (gas, n) in enumerate(zip(g["advance"], g["boundary_bytes"]), 2)]
    rows += [(f"onResult round {j}" + (" (+ ExampleConsumer)" if j == 3 else ""), gas) for j, gas in g["callback"].items()]
    if not a.hybrid:
        rows += [(f"Brain finalize round {j} (carrying it)", gas) for j, gas in g["finalize"].items()]
    for label, gas in rows:
        print(f"  {label:<40}{gas:>10,}")

if __name__ == "__main__":
    main()
