"""The requester's side of a sharded request served by `tribunal node` processes: `tribunal infer MODEL --shards K
--mode brain|hybrid --deployment FILE --chain URL --store DIR` (`--role shard-member` processes,
verifiers/shard/member_node.py), and `--mode opml` (`--role shard` processes: `send_routed`).

It only registers, sends and reads; every vote, boundary, challenge and defense is the processes'. The steps:
1. register the sharded model: each shard as a Brain model (as `committee.register` does, paid by the
   requester) and the sharded model in the ShardLedger (`plans.register`), whose spec is what the processes load;
2. wait until more than half of the committee's seats are held by members that announced it (they loaded it);
3. the deployment's ShardRounds pipeline (verifiers/shard/rounds.py), as in process: brain rounds
   (`committee.serve`) or HybridCourt rounds (`hybrid.run`, whose challenges the members' shard watchers make),
   each advanced with the boundary bytes the members wrote to `--store`, checked on chain against the last root.
On a development chain it mines a block every `poll` seconds, so windows pass while the processes act.
"""
from __future__ import annotations

import time

import numpy as np

from bisection.shards import sharded_id
from contracts import events as ev
from verifiers.chainlog import events

from . import committee, hybrid, pipeline, plans
from .errors import ShardError

READY_S = 120.0  # how long the requester waits for the member processes to load a newly registered model


class MembersNotReady(ShardError):
    """Raised when too few of the committee's members announced the sharded model for a round to reach a quorum."""


class Paced:
    """What `committee.serve` drives, with no agent in this process: each step mines one block (a development
    chain) and waits `poll` seconds, so the member processes see every block."""

    def __init__(self, deployment, requester, *, poll: float, mine: bool = True):
        from verifiers.catalog import Catalog

        self.deployment, self.chain, self.requester = deployment, deployment.chain, requester
        self.catalog, self.poll, self.mine = Catalog(()), poll, mine
        self.drive_blocks = True  # `committee.run_round`: step() is the whole clock

    def step(self) -> int:
        if self.mine:
            self.chain.mine(1)
        time.sleep(self.poll)
        return 0


def serve(t: Paced, mode: str, spec: plans.Spec, x_q: np.ndarray, store, ledger, rounds, *, fee: int | None = None,
          ready_s: float = READY_S) -> dict:
    """The sharded request in `mode` (brain or hybrid) served by member processes (module docstring)."""
    from verifiers.deployment import register_model

    plans.register(t.deployment, ledger, spec, sender=t.requester)  # the requester pays: anyone may register
    entries = committee.load(t.catalog, spec)
    for e in entries:
        register_model(t.deployment, e, sender=t.requester, holders_only=True)
    wait_ready(t, ledger, spec, ready_s)
    wait_holders(t, spec, entries, ready_s)
    t0 = time.perf_counter()
    if mode == "brain":
        c = t.deployment.system.config
        deadline = plans.plan_of(spec).k * (c.queue_timeout + c.commit_window + c.reveal_window + 8)
        v = committee.serve(t, spec, x_q, store, fee=fee, deadline_blocks=deadline, ledger=ledger, rounds=rounds)
    else:
        staked = [n.account for n in t.deployment.nodes.nodes() if n.eligible]
        v = hybrid.run(t, spec, x_q, store, ledger, rounds, staked, fee=fee)
    return {**v, "mode": mode, "wall_seconds": time.perf_counter() - t0}


def send_routed(t: Paced, ledger, spec: plans.Spec, x_q: np.ndarray, *, fee: int | None = None,
                ready_s: float = READY_S) -> int:
    """opml: the ledger request, sent once every shard has an announced node to route to (`tribunal node --role
    shard` processes load a newly registered model first); NoRoute after `ready_s` seconds."""
    from .errors import NoRoute

    until = time.monotonic() + ready_s
    while True:
        try:
            return pipeline.send_request(ledger, spec, x_q, t.requester, fee=fee)
        except NoRoute:
            if time.monotonic() > until:
                raise
        t.step()


def wait_holders(t: Paced, spec: plans.Spec, entries, ready_s: float) -> None:
    """Waits until every shard has at least a committee's worth of staked nodes that declared holding it (its
    rounds are drawn among them: fewer would time the round out); MembersNotReady after `ready_s` seconds."""
    d = t.deployment
    size = d.system.config.committee_size
    until = time.monotonic() + ready_s
    while True:
        staked = sum(1 << i for i, n in enumerate(d.nodes.nodes()) if n.eligible)
        short = [e.index for e in entries if bin(d.nodes.holders_of(e.model_id) & staked).count("1") < size]
        if not short:
            t.step()  # a holding counts for requests made from the block after it
            return
        if time.monotonic() > until:
            raise MembersNotReady(f"shard(s) {short} of {spec.model} have fewer than {size} staked holders after "
                                  f"{ready_s:.0f} s: start `tribunal node --role shard-member` processes holding them")
        t.step()


def wait_ready(t: Paced, ledger, spec: plans.Spec, ready_s: float) -> int:
    """Waits until staked members holding more than half of the committee's seats announced the sharded model
    in the ledger; MembersNotReady after `ready_s` seconds. Returns how many did."""
    sid = sharded_id(plans.plan_of(spec))
    d = t.deployment
    need = d.system.config.committee_size // 2 + 1
    until = time.monotonic() + ready_s
    while True:
        staked = {n.account for n in d.nodes.nodes() if n.eligible}
        announced = {a.event.node for a in events(t.chain, ledger.address, ev.ShardNodeAnnounced)
                     if bytes(a.event.sharded_id) == sid}
        ready = len(announced & staked)
        if ready >= need:
            return ready
        if time.monotonic() > until:
            raise MembersNotReady(f"{ready} staked member(s) announced {spec.model} in {plans.plan_of(spec).k} shards "
                                  f"within {ready_s:.0f} s; a committee of {d.system.config.committee_size} needs "
                                  f"{need}: start `tribunal node --role shard-member --models {spec.model}` processes")
        t.step()
