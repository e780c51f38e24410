"""`hybrid` on a sharded request: a committee per shard answers now, the ShardLedger's fraud proof stands behind it.

1. The committee rounds of `committee.serve` (brain on shards): each shard's majority root is its boundary,
   and the last one is the answer, provisional at once.
2. The same request goes to the ShardLedger, routed per shard to a member of that round's majority, which
   posts the boundary its committee decided (the store's blob under the majority root, `ShardNode.forward`)
   with a bond. Every staked member also runs a shard node: it recomputes each posted boundary and disputes
   a wrong one; the poster must defend it with an OpmlGame claim on that shard alone, and a lost or unbound
   dispute voids the post and every later one, which holders then re-serve honestly (verifiers/shard/node.py).
3. The ledger's final output root is the answer. It is the committee's unless a dispute on some shard
   overturned that shard's majority (`overturned`: the first such shard).

So a lying majority on one shard is provisional only: its boundary is overturned on that shard by a game
that needs only that shard's weights.
"""
from __future__ import annotations

import time

import numpy as np

from bisection.shards import sharded_id
from contracts import events as ev
from contracts.bindings.shard import ShardLedger
from runtime.tensor_root import tensor_bytes

from . import committee, pipeline, plans
from .node import ShardNode


def start_nodes(t, spec: plans.Spec, members: list[committee.ShardMember], ledger: ShardLedger,
                store) -> list[ShardNode]:
    """A shard node per staked member (same account, same lies), holding every shard."""
    from verifiers.catalog import Catalog

    out = []
    for m in members:
        n = ShardNode(t.deployment, m.account, catalog=Catalog((spec.model,)), ledger=ledger, store=store,
                      cheat="corrupt" if m.cheat == "corrupt" else "honest", lie_on=m.lie_on, name=f"{m.name}-node")
        out.append(t.scheduler.add(n))
    return out


def serve(t, spec: plans.Spec, x_q, store, members, ledger: ShardLedger, *, fee: int | None = None,
          timeout: float = 300.0) -> dict:
    """The sharded request in hybrid (module docstring); `members` are `t`'s ShardMembers, `ledger` a ShardLedger
    on `t`'s deployment. The verdict: the committee's rounds and provisional root, the ledger's pipeline,
    disputes and final root, and whether the committee's answer was overturned."""
    t0 = time.perf_counter()
    brain = committee.serve(t, spec, x_q, store, fee=fee)
    provisional_s = time.perf_counter() - t0
    plan = plans.plan_of(spec)
    if brain["status"] != "final":
        return {**brain, "mode": "hybrid", "provisional_root": None}
    plans.register(t.deployment, ledger, spec)
    nodes = start_nodes(t, spec, members, ledger, store)
    route = majority_route(brain)
    for n in nodes:  # each node forwards the boundaries its own round voted for
        for j, s in enumerate(brain["shards"], 1):
            if s["reveals"].get(n.address) == s["root"]:
                n.forward[(j, bytes.fromhex(s["input_root"][2:]))] = bytes.fromhex(s["root"][2:])
    while t.scheduler.tick():  # load the sharded model, announce
        pass
    r = ledger.request(sharded_id(plan), tensor_bytes(np.asarray(x_q)), route, sender=t.requester,
                       fee=fee or 10 * ledger.min_fee)
    rid = r.one(ev.ShardRequested).id
    v = pipeline.wait(ledger, rid, spec, tick=t.scheduler.tick, drive=lambda: t.chain.mine(1), poll=0.0,
                      timeout=timeout)
    return {**verdict(brain, v, provisional_s), "wall_seconds": time.perf_counter() - t0}


def majority_route(brain: dict) -> list[str]:
    """The ledger route of a hybrid request: per shard, a member of that round's majority (it posts the boundary
    its committee decided)."""
    return [[a for a, r in s["reveals"].items() if r == s["root"]][0] for s in brain["shards"]]


def verdict(brain: dict, v: dict, provisional_s: float) -> dict:
    """The ledger's pipeline `v` with each shard's committee round beside it, and the first shard (if any) on
    which a dispute overturned the committee's root."""
    rows = []
    overturned = None
    for b, l in zip(brain["shards"], v["shards"]):
        upheld = b["root"] == l["root"]
        if not upheld and overturned is None:
            overturned = b["shard"]
        # seconds: the committee round's when its boundary stood (the poster only forwarded it), else the re-serving node's
        rows.append({**l, "seconds": b["seconds"] if upheld else l["seconds"], "post_seconds": l["seconds"],
                     "committee_root": b["root"], "round": b["request"], "votes": b["votes"],
                     "committee": b["committee"], "upheld": upheld})
    return {**v, "mode": "hybrid", "shards": rows, "rounds": brain["request"], "links": brain["links"],
            "provisional_root": brain["output_root"], "provisional_seconds": provisional_s, "overturned": overturned}
