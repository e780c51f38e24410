"""`hybrid` on a sharded request: ShardRounds chains a HybridCourt request per shard, each backed by the court.

1. ShardRounds (contracts/src/shard/ShardRounds.sol, mode HYBRID) opens round 1 as a HybridCourt request on
   shard 1's model: its committee (ShardMembers) votes the court's vote, the pair of its trace of the shard,
   publishes it, and the majority's answer is provisional for the court's challenge window.
2. A shard watcher (a HybridWatcher that knows the shards) recomputes the shard; a wrong answer it challenges
   with the court's fraud proof on that shard alone: the majority must defend its trace as an opML claim on
   the shard's model, the bisection game refutes it, the watcher's own claim is adopted, and the court slashes
   the lying committee's stake (as for an unsharded hybrid request).
3. The court's final answer (never a provisional one) goes to ShardRounds; anyone posts the boundary bytes
   under it (`advance`, checked on chain against that root) and round j+1 opens. The last round's final answer
   is the sharded output root, delivered to the consumer.

So a lying majority on one shard is overturned on that shard, its stake slashed, and the pipeline goes on
from the honest boundary: what ends final equals the unsharded exact run's output root.
"""
from __future__ import annotations

import time

import numpy as np

from contracts import events as ev
from verifiers.agents.hybrid import HybridWatcher
from verifiers.chainlog import events

from . import committee, plans
from .store import BoundaryStore


class ShardWatcher(HybridWatcher):
    """The hybrid watcher on shard rounds: its honest trace of a shard is also the boundary it writes to the
    store, so the pipeline can go on from an adopted answer even when every member lied."""

    def __init__(self, *a, store, **kw):
        super().__init__(*a, **kw)
        self.store = BoundaryStore(store)

    def pair(self, entry, x_q, strategy):
        out = super().pair(entry, x_q, strategy)
        if isinstance(entry, plans.ShardEntry) and not self.store.has(out[0]):
            t = self.player(entry, x_q, strategy).trace
            self.store.put(np.asarray(t.value(t.steps, entry.program.output_slots[0])))
        return out


def start_watcher(t, store) -> ShardWatcher:
    """The shard watcher on `t`'s watcher account, with `t`'s catalog (the shard entries `committee.load` added)."""
    w = ShardWatcher(t.deployment, t.roles.watcher(t.chain), catalog=t.catalog, name="shard-watcher", store=store)
    return t.scheduler.add(w)


def serve(t, spec: plans.Spec, x_q, store, members, ledger=None, *, fee: int | None = None,
          deadline_blocks: int = 4000, rounds=None, consumer: str | None = None, callback_gas: int = 0) -> dict:
    """The sharded request in hybrid (module docstring), every party in process; `members` are `t`'s ShardMembers.
    The verdict: `run`'s."""
    from .pipeline import deploy_ledger_for
    from . import rounds as chained

    committee.register(t, spec)
    start_watcher(t, store)
    ledger = ledger or deploy_ledger_for(t.deployment)
    rounds = rounds or chained.deploy_rounds_for(t.deployment, ledger)
    return run(t, spec, x_q, store, ledger, rounds, [m.address for m in members], fee=fee,
               deadline_blocks=deadline_blocks, consumer=consumer, callback_gas=callback_gas)


def run(t, spec: plans.Spec, x_q, store, ledger, rounds, accounts, *, fee: int | None = None,
        deadline_blocks: int = 4000, consumer: str | None = None, callback_gas: int = 0) -> dict:
    """Sends the hybrid pipeline and drives it to its end (the members and the watcher are `t`'s agents, or
    `tribunal node` processes). The verdict: per shard the court round, the committee's answer and whether it was
    upheld, the final boundary; the stake each of `accounts` lost; the output root."""
    from contracts.bindings.shard import MODE_HYBRID

    from . import rounds as chained

    t0 = time.perf_counter()
    stakes = {a: t.deployment.nodes.stake_of(a) for a in accounts}
    pid, r = chained.send(t, rounds, ledger, spec, x_q, mode=MODE_HYBRID, fee=fee, consumer=consumer,
                          callback_gas=callback_gas)
    seen = chained.drive(t, rounds, pid, spec, store, deadline_blocks=deadline_blocks)
    v = committee.finish(t, rounds, pid, spec, seen, r.gas_used, "hybrid")
    court = t.deployment.court
    overturned, disputes = None, []
    for s in v["shards"]:
        rid = s["request"]
        if rid is None:
            continue
        seen_c = events(t.chain, court.address, ev.AnswerProvisional, ev.AnswerChallenged, ev.AnswerFinal, key=rid)
        prov = [e.event for e in seen_c if isinstance(e.event, ev.AnswerProvisional)]
        fin = [e.event for e in seen_c if isinstance(e.event, ev.AnswerFinal)]
        disputes += [{"shard": s["shard"], "challenger": e.event.challenger} for e in seen_c
                     if isinstance(e.event, ev.AnswerChallenged)]
        s["committee_root"] = "0x" + bytes(prov[0].output_root).hex() if prov else None
        s["upheld"] = bool(fin and fin[0].upheld)
        s["round"] = None  # the row's node column already names the round
        if fin and not fin[0].upheld and overturned is None:
            overturned = s["shard"]
    last = v["shards"][-1]
    v.update(disputes=disputes, overturned=overturned, provisional_root=last.get("committee_root"),
             wall_seconds=time.perf_counter() - t0,
             slashed={a: before - t.deployment.nodes.stake_of(a) for a, before in stakes.items()
                      if t.deployment.nodes.stake_of(a) < before})
    return v
