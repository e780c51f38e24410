"""`brain` on a sharded request: one Brain round per shard, chained on chain by ShardRounds.

Each shard is registered as a model of its own in the BRAIN registry (its id is the shard program's model
id, which the sharded id commits to: `bisection.shards.sharded_id`, registered in the ShardLedger), holders-only,
so the round on shard j is an ordinary Brain request through Brain's public request/commit/reveal/finalize
API, opened by ShardRounds (contracts/src/shard/ShardRounds.sol, driven by verifiers/shard/rounds.py) with
itself as the round's consumer, whose committee Brain draws only among the nodes that held shard j as of the
request's block: each ShardMember declares on chain (`NodeRegistry.declareHolding`) the shards it holds
(`start_members(..., spec=, holds=)`), and a node that does not hold shard j is never drawn for it (one drawn
anyway, for a shard someone registered ordinary, declines it). Fewer holders with stake than the committee
size: the round times out and is refunded. A shard's committee is only as strong as its holder set (fewer
nodes than the whole registry, so a party with a few staked holders has a better chance of a majority in
it). Members commit and reveal the root of the shard's output boundary, and the majority's root is that
shard's boundary. Members write the boundary tensor to the boundary store under its root; anyone then posts
the blob's bytes to `ShardRounds.advance`, which opens round j+1 only if their tensor root is round j's
result (BoundaryRootMismatch otherwise): the chain links the rounds, and a consumer contract gets the last
round's root as the sharded request's output root, once, after the last round. A pipeline nobody advances,
or whose round times out, ends with the unspent fee refunded. `check_links` still reads the link back from
chain data alone.

A majority that lies on one shard wins in brain (that is brain's trust assumption: it costs the liars no
more than their slash); `hybrid` (verifiers/shard/hybrid.py) makes each round a HybridCourt request, whose
fraud proof overturns the lie on that shard and slashes the lying committee.

ShardMember votes on both kinds of round: on a Brain round the boundary's root, on a court round the court's
vote (the pair of its trace of the shard: `HybridMember`), and publishes, defends and plays as a hybrid member.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np

from contracts import events as ev
from contracts.bindings.brain import DeclineReason, ResultKind, Status
from runtime.errors import InputShapeError
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.agents.hybrid import HybridMember
from verifiers.agents.member import CHEATS
from verifiers.chainlog import events

from . import plans
from . import rounds as chained
from .errors import ShardError
from .node import lying_player
from .store import BoundaryStore

ENDED = (Status.FINALIZED, Status.TIMED_OUT, Status.UNSERVABLE)


class ShardRoundFailed(ShardError):
    """A shard's committee round ended without a majority (timed out or declined): the request stops there."""


class ShardMember(HybridMember):
    """A committee member that also serves shard rounds: its vote on a shard is the root of the boundary it
    computed from the round's input (a Brain round) or the pair of its trace of the shard (a court round),
    and it writes that boundary to the store so the next round can start.
    Cheat `corrupt`: on the shards in `lie_on` (None: all) it votes, stores and defends a lying boundary (the
    same lie for every corrupt member: `node.lying_player`), so a corrupt bloc is a majority that agrees.
    It holds the shards in `holds` (1-based indices; None: all), declares them on chain (`declare`), and
    declines a round on a shard it does not hold."""
    role = "shard-member"
    cheats = CHEATS + ("corrupt",)

    def __init__(self, *a, store, lie_on=None, holds=None, **kw):
        super().__init__(*a, **kw)
        self.store = BoundaryStore(store)
        self.lie_on = None if lie_on is None else set(lie_on)
        self.holds = None if holds is None else set(holds)
        self._boundaries: dict[tuple, bytes] = {}  # (shard id, sha256(input), lie) -> root written

    def holds_shard(self, j: int) -> bool:
        return self.holds is None or j in self.holds

    def declare(self, entries: list[plans.ShardEntry]) -> list[bytes]:
        """Declares on chain each shard of `entries` it holds and has not declared (a holding counts for the
        requests made from the next block on); returns the model ids declared now."""
        nodes, out = self.d.nodes, []
        for e in entries:
            if self.holds_shard(e.index) and not nodes.holds(e.model_id, self.address):
                nodes.declare_holding(e.model_id, sender=self.account)
                out.append(e.model_id)
        return out

    def lies_on(self, j: int) -> bool:
        return self.cheat == "corrupt" and (self.lie_on is None or j in self.lie_on)

    def vote(self, rid: int, info) -> bytes | None:
        entry = self.catalog.by_id(info.model_id)
        if not isinstance(entry, plans.ShardEntry) or self.cheat not in ("honest", "corrupt"):
            return super().vote(rid, info)
        if not self.holds_shard(entry.index):
            return self._decline(rid, DeclineReason.MODEL, f"does not hold shard {entry.index}")
        if self.is_hybrid(rid, info):  # a court round: the court's vote kind, and the boundary stored
            vote = super().vote(rid, info)
            found = self.request_input(rid) if vote is not None else None
            if found is not None:
                p = self.player(*found)
                self.store.put(np.asarray(p.trace.value(p.trace.steps, entry.program.output_slots[0])))
            return vote
        if int(info.result_kind) != ResultKind.OUTPUT_ROOT:
            return self._decline(rid, DeclineReason.KIND, "a shard round votes on its boundary's root only")
        posted = self.recent(self.d.brain.address, ev.InputPosted, key=rid)
        if not posted:
            return self._decline(rid, DeclineReason.INPUT, "no input on chain")
        data = bytes(posted[0].event.input)
        lie = self.lies_on(entry.index)
        key = (entry.model_id, hashlib.sha256(data).digest(), lie)
        if key not in self._boundaries:
            try:
                x = entry.decode(data)
            except ValueError as e:
                raise InputShapeError(f"shard {entry.index} input does not decode: {e}") from None
            if lie:
                p = lying_player(self.name, entry, x)
                out = np.asarray(p.trace.value(p.trace.steps, entry.program.output_slots[0]))
            else:
                out = np.asarray(entry.program.run(x)[0])
            self._boundaries[key] = self.store.put(out)
        elif not self.store.has(self._boundaries[key]):
            self._boundaries.pop(key)  # the blob went missing: recompute and write it again
            return self.vote(rid, info)
        return self._boundaries[key]

    def player(self, entry, x_q, strategy=None):
        """The dispute player of its trace of a shard: on a shard it lies on, the bloc's lie (`lying_player`)."""
        if not (isinstance(entry, plans.ShardEntry) and self.lies_on(entry.index)):
            return super().player(entry, x_q, strategy)
        key = (entry.model_id, hashlib.sha256(np.asarray(x_q).tobytes()).digest(), "shard-lie")
        if key not in self._players:
            self.arbiter._programs[entry.model_id] = entry.program
            self._players[key] = lying_player(self.name, entry, np.asarray(x_q))
        return self._players[key]


def load(catalog, spec: plans.Spec) -> list[plans.ShardEntry]:
    """The sharded model's shard entries, added to `catalog` (members find a round's shard by its id)."""
    out = plans.entries(spec)
    for e in out:
        catalog._entries[e.name] = e
    return out


def register(t, spec: plans.Spec) -> list[plans.ShardEntry]:
    """Registers every shard as a holders-only BRAIN model (its input size proven, so Brain refuses a
    wrong-size input), and has `t`'s ShardMembers declare the shards they hold that they have not declared."""
    from verifiers.deployment import register_model

    entries = load(t.catalog, spec)
    for e in entries:
        register_model(t.deployment, e, holders_only=True)
    for a in getattr(getattr(t, "scheduler", None), "agents", ()):  # none when members are processes
        m = getattr(a, "member", a)  # a shard-member node's committee member
        if isinstance(m, ShardMember):
            m.declare(entries)
    return entries


def start_members(t, store, *, liars: int = 0, lie_on=None, spec: plans.Spec | None = None, holds=None,
                  accounts=None) -> list[ShardMember]:
    """A ShardMember per staked node of `accounts` (default: `t`'s committee seats), the first `liars` corrupt on
    `lie_on`; member i holds the shards `holds[i]` (1-based; default: every shard). With `spec`, each declares on
    chain the shards of `spec` it holds before this returns (else `register` has them declare)."""
    out = []
    for i, acct in enumerate(accounts or t.roles.members(t.chain)):
        m = ShardMember(t.deployment, acct, catalog=t.catalog, cheat="corrupt" if i < liars else "honest",
                        name=f"member-{i + 1}", store=store, lie_on=lie_on, holds=None if holds is None else holds[i])
        out.append(t.scheduler.add(m))
    if spec is not None:
        entries = load(t.catalog, spec)
        for m in out:
            m.declare(entries)
    return out


def run_round(t, entry: plans.ShardEntry, x: np.ndarray, *, fee: int, deadline_blocks: int) -> dict:
    """One Brain round on shard `entry` with input boundary `x`, driven to its end; what the chain says."""
    brain = t.deployment.brain
    t0 = time.perf_counter()
    r = brain.request(entry.model_id, tensor_bytes(np.asarray(x)), fee=fee, sender=t.requester,
                      result_kind=ResultKind.OUTPUT_ROOT)
    rid, b0 = r.one(ev.Requested).request_id, r.block_number
    while brain.request_info(rid).status not in ENDED:
        if chained.poke_finalize(t, rid, t.requester):
            continue
        if t.chain.block_number > b0 + deadline_blocks:
            break
        if not t.step() and not t.drive_blocks:
            time.sleep(0.2)
    info = brain.request_info(rid)
    seen = events(t.chain, brain.address, ev.Revealed, ev.Finalized, from_block=b0, key=rid)
    fin = [s for s in seen if isinstance(s.event, ev.Finalized)]
    return {"request": rid, "status": Status(int(info.status)).name.lower(), "input_root": tensor_root(np.asarray(x)),
            "root": "0x" + bytes(fin[0].event.result).hex() if fin else None,
            "votes": fin[0].event.votes if fin else 0, "committee": len(brain.committee(rid)) if info.committee else 0,
            "reveals": {s.event.member: "0x" + bytes(s.event.result).hex() for s in seen
                        if isinstance(s.event, ev.Revealed)},
            "blocks": (fin[0].block if fin else t.chain.block_number) - b0, "seconds": time.perf_counter() - t0}


def serve(t, spec: plans.Spec, x_q: np.ndarray, store, *, fee: int | None = None, deadline_blocks: int = 2000,
          ledger=None, rounds=None, consumer: str | None = None, callback_gas: int = 0) -> dict:
    """The sharded request in brain: ShardRounds (deployed over a fresh ShardLedger unless given) opens a Brain
    round per shard, each advanced on chain from the store's blob under the last majority root; `fee` pays all K
    rounds. The verdict: per shard its round (request, majority root, votes), bytes, seconds; the output root;
    the pipeline's id and the gas of its request, advances and ends."""
    from contracts.bindings.shard import MODE_BRAIN

    from .pipeline import deploy_ledger_for

    register(t, spec)
    ledger = ledger or deploy_ledger_for(t.deployment)
    rounds = rounds or chained.deploy_rounds_for(t.deployment, ledger)
    pid, r = chained.send(t, rounds, ledger, spec, x_q, mode=MODE_BRAIN, fee=fee, consumer=consumer,
                          callback_gas=callback_gas)
    seen = chained.drive(t, rounds, pid, spec, store, deadline_blocks=deadline_blocks)
    return finish(t, rounds, pid, spec, seen, r.gas_used, "brain")


def finish(t, rounds, pid: int, spec: plans.Spec, seen: dict, request_gas: int, mode: str) -> dict:
    """The verdict of pipeline `pid` once `drive` returned (`view`'s, with the pipeline's own fields)."""
    from contracts.bindings.shard import ROUNDS_FINAL


    rows = chained.rows(t, rounds, pid, spec, seen["times"])
    p = rounds.pipeline_of(pid)
    status = "final" if p.status == ROUNDS_FINAL else f"stopped at shard {p.round}: round {rows[-1]['status']}"
    v = view(t, spec, rows, status, mode)
    links = chained.linked(rounds, pid, plans.plan_of(spec).k)
    v.update(pipeline=pid, shard_rounds=rounds.address, gas={"request": request_gas, **seen["gas"]},
             links=links and (v["links"] if mode == "brain" else True), refunded=rounds.owed(t.requester.address))
    return v


def entry_input_slot(entry: plans.ShardEntry):
    return entry.program.slots[entry.program.input_slot]


def view(t, spec: plans.Spec, rounds: list[dict], status: str, mode: str = "brain") -> dict:
    """The pipeline as `render` shows it: one row per shard round."""
    from .pipeline import _raw_bytes

    plan = plans.plan_of(spec)
    shards = []
    for j in range(1, plan.k + 1):
        s = plan.shards[j - 1]
        out = s.slots[s.output_slots[0]]
        rnd = rounds[j - 1] if j <= len(rounds) else None
        shards.append({"shard": j, "steps": s.steps,
                       "node": f"round {rnd['request']}: {rnd['votes']}/{rnd['committee']}" if rnd else None,
                       "root": rnd["root"] if rnd else None, "request": rnd["request"] if rnd else None,
                       "input_root": "0x" + rnd["input_root"].hex() if rnd else None,
                       "votes": rnd["votes"] if rnd else None, "committee": rnd["committee"] if rnd else None,
                       "reveals": rnd["reveals"] if rnd else {},
                       "bytes": out.size * np.dtype(out.dtype).itemsize if j < plan.k else None,
                       "bytes_uncompressed": _raw_bytes(plan, j) if j < plan.k else None,
                       "seconds": round(rnd["seconds"], 3) if rnd else None,
                       "blocks": rnd["blocks"] if rnd else None})
    done = status == "final" and len(rounds) == plan.k
    return {"mode": mode, "request": [r["request"] for r in rounds], "status": status, "spec": str(spec),
            "output_root": rounds[-1]["root"] if done else None, "shards": shards, "posts": len(rounds),
            "disputes": [], "resolved": [], "links": check_links(t.chain, t.deployment.brain, spec,
                                                                 [r["request"] for r in rounds])}


def check_links(chain, brain, spec: plans.Spec, rids: list[int]) -> bool:
    """From chain data alone: round 1's input is a valid shard-1 input and each later round's input hashes to
    the previous round's finalized result (the rounds form one pipeline)."""
    entries = plans.entries(spec)
    prev = None
    for j, rid in enumerate(rids):
        info = brain.request_info(rid)
        # INVARIANT: round j is a request on shard j's registered model.
        if bytes(info.model_id) != entries[j].model_id:
            return False
        posted = events(chain, brain.address, ev.InputPosted, key=rid)
        try:
            x = entries[j].decode(bytes(posted[0].event.input))
        except (ValueError, IndexError):
            return False
        # INVARIANT: round j's input is round j-1's majority boundary.
        if prev is not None and tensor_root(x) != prev:
            return False
        fin = events(chain, brain.address, ev.Finalized, key=rid)
        prev = bytes(fin[0].event.result) if fin else None
    return True
