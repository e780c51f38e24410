"""A sharded request in brain or hybrid as ShardRounds' chain of rounds (contracts/src/shard/ShardRounds.sol).

    ledger = pipeline.deploy_ledger_for(deployment)       # registers sharded models (shard ids chain to the id)
    rounds = deploy_rounds_for(deployment, ledger)        # and `save_rounds(path, rounds)` for other processes
    pid, _ = send(t, rounds, ledger, spec, x_q, mode=MODE_BRAIN)   # round 1 opened on shard 1
    drive(t, rounds, pid, spec, store)                    # each decided round advanced with its boundary's bytes

Round j is a Brain request (MODE_BRAIN) or a HybridCourt request (MODE_HYBRID) on shard j's model whose
consumer is ShardRounds. The driver only carries bytes: `advance` checks on chain that their tensor root is
round j's final result before it opens round j+1 with them, so whoever runs the driver (the requester, any
member) cannot link the rounds wrongly; the consumer gets the last round's root, and nothing before.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from contracts import events as ev
from contracts.abi_types import PipelineNotRunning
from contracts.bindings.brain import Status
from contracts.bindings.hybrid import HybridStatus
from contracts.bindings.shard import MODE_HYBRID, RUNNING, ShardRounds, deploy_rounds
from runtime.tensor_root import tensor_bytes

from . import plans
from .store import BoundaryStore

ROUNDS_KEY = "shard_rounds"  # the saved deployment's extras key of the ShardRounds address
ADVANCE_WINDOW = 64  # blocks after a round's result in which anyone may advance; then the pipeline may end
NO_RESULT = (Status.TIMED_OUT, Status.CANCELLED, Status.UNSERVABLE)


def deploy_rounds_for(deployment, ledger, *, advance_window: int = ADVANCE_WINDOW) -> ShardRounds:
    """A ShardRounds over `ledger` (its sharded models) and the deployment's HybridCourt (and through it Brain)."""
    return deploy_rounds(deployment.chain, ledger.address, deployment.court.address, advance_window=advance_window)


def save_rounds(path, rounds: ShardRounds) -> Path:
    """Adds ShardRounds to a saved deployment file's extras."""
    path = Path(path)
    a = json.loads(path.read_text())
    a.setdefault("extras", {})[ROUNDS_KEY] = rounds.address
    path.write_text(json.dumps(a, indent=1))
    return path


def rounds_address(deployment_file) -> str:
    """The ShardRounds a saved deployment names (`tribunal deploy` deploys one)."""
    from verifiers.deployment import read

    from .errors import ShardSpecError

    extras = read(deployment_file).get("extras", {})
    if ROUNDS_KEY not in extras:
        raise ShardSpecError(f"deployment {deployment_file} names no ShardRounds (deploy again with `tribunal deploy`)")
    return extras[ROUNDS_KEY]


def send(t, rounds: ShardRounds, ledger, spec: plans.Spec, x_q: np.ndarray, *, mode: int, fee: int | None = None,
         consumer: str | None = None, callback_gas: int = 0):
    """Registers the sharded model (unless there) and opens its pipeline; (pipeline id, receipt)."""
    from bisection.shards import sharded_id

    plans.register(t.deployment, ledger, spec)
    k = plans.plan_of(spec).k
    fee = fee or k * 10 * t.deployment.system.config.min_fee
    r = rounds.request(sharded_id(plans.plan_of(spec)), tensor_bytes(np.asarray(x_q)), fee=fee, sender=t.requester,
                       mode=mode, consumer=consumer, callback_gas=callback_gas)
    return r.one(ev.ShardRoundsRequested).id, r


def boundary_bytes(spec: plans.Spec, j: int, root: bytes, store) -> bytes:
    """Round j's boundary (the blob under its result `root`) in shard j+1's canonical input bytes."""
    nxt = plans.plan_of(spec).shards[j]
    slot = nxt.slots[nxt.input_slot]
    return tensor_bytes(BoundaryStore(store).get(root, slot.dtype, tuple(slot.shape)))


def round_over(t, rounds: ShardRounds, p) -> bool:
    """Whether the pipeline's open round ended without a result (so `end` refunds)."""
    b = t.deployment.brain.request_info(p.round_id)
    if p.mode == MODE_HYBRID and t.deployment.court.status(p.round_id) == HybridStatus.TIMED_OUT:
        return True
    if b.status in NO_RESULT:
        return True
    return b.status == Status.QUEUED and t.chain.block_number > b.request_block + t.deployment.system.config.queue_timeout


def _decided(t, p) -> bool:
    """Whether the open round's oracle holds its final result."""
    if p.mode == MODE_HYBRID:
        return t.deployment.court.status(p.round_id) == HybridStatus.FINAL
    return t.deployment.brain.request_info(p.round_id).status == Status.FINALIZED


def poke_finalize(t, rid: int, sender) -> bool:
    """Finalizes Brain round `rid` once its reveal window is over (the requester's own poke, as Brain mode's
    `keep`); whether it did (False too when an agent finalized first)."""
    brain = t.deployment.brain
    info = brain.request_info(rid)
    if info.status != Status.DISPATCHED or t.chain.block_number <= info.reveal_deadline:
        return False
    try:
        brain.finalize(rid, sender=sender)
        return True
    except Exception:  # noqa: BLE001 - an agent finalized first
        return False


def drive(t, rounds: ShardRounds, pid: int, spec: plans.Spec, store, *, deadline_blocks: int = 2000,
          sender=None) -> dict:
    """Steps `t`'s agents until pipeline `pid` is final or ended: advances each decided round with its boundary's
    bytes from the store (the chain checks them), ends one whose round failed or stalled. What it saw: per round
    the seconds and blocks from opening to result, and the gas of each advance and end."""
    sender = sender or t.requester
    k, b0 = plans.plan_of(spec).k, t.chain.block_number
    opened, done, gas = {1: (time.perf_counter(), b0)}, {}, {"advance": [], "end": []}
    while True:
        p = rounds.pipeline_of(pid)
        j = p.round
        if p.settled and j not in done:
            done[j] = (time.perf_counter() - opened[j][0], t.chain.block_number - opened[j][1])
        if p.status != RUNNING:
            break
        if p.settled and j < k and t.chain.block_number <= p.last_progress + rounds.advance_window:
            data = boundary_bytes(spec, j, rounds.round_of(pid, j).result, store)  # BoundaryNotFound, ...Mismatch
            gas["advance"].append(rounds.advance(pid, data, sender=sender).gas_used)
            opened[j + 1] = (time.perf_counter(), t.chain.block_number)
            continue
        if (p.settled and j < k) or (not p.settled and round_over(t, rounds, p)):
            gas["end"].append(rounds.end(pid, sender=sender).gas_used)
            continue
        if not p.settled and _decided(t, p):  # its callback did not reach ShardRounds: read the oracle's state
            try:
                rounds.sync(pid, sender=sender)
            except PipelineNotRunning:  # the callback landed meanwhile and ended the pipeline
                pass
            continue
        if p.mode != MODE_HYBRID and not p.settled and poke_finalize(t, p.round_id, sender):
            continue
        if t.chain.block_number > b0 + deadline_blocks:
            break
        if not t.step() and not t.drive_blocks:
            time.sleep(0.2)
    return {"times": done, "gas": gas}


def rows(t, rounds: ShardRounds, pid: int, spec: plans.Spec, times: dict) -> list[dict]:
    """Per opened round, what the chain says: its request, status, input root, result, votes, reveals."""
    from verifiers.chainlog import events

    brain, p = t.deployment.brain, rounds.pipeline_of(pid)
    out = []
    for j in range(1, plans.plan_of(spec).k + 1):
        r = rounds.round_of(pid, j)
        if r.request_id == 0:
            break
        rid = r.request_id
        seen = events(t.chain, brain.address, ev.Revealed, ev.Finalized, key=rid)
        fin = [s for s in seen if isinstance(s.event, ev.Finalized)]
        if p.mode == MODE_HYBRID:
            status = t.deployment.court.status(rid).name.lower()
        else:
            status = Status(int(brain.request_info(rid).status)).name.lower()
        secs, blocks = times.get(j, (None, None))
        out.append({"request": rid, "status": status, "input_root": bytes(r.input_root),
                    "root": "0x" + bytes(r.result).hex() if r.result != bytes(32) else None,
                    "votes": fin[0].event.votes if fin else 0,
                    "committee": len(brain.committee(rid)) if brain.request_info(rid).committee else 0,
                    "reveals": {s.event.member: "0x" + bytes(s.event.result).hex() for s in seen
                                if isinstance(s.event, ev.Revealed)},
                    "blocks": blocks, "seconds": secs if secs is not None else 0.0})
    return out


def linked(rounds: ShardRounds, pid: int, k: int) -> bool:
    """From ShardRounds' record: each opened round's input root is the previous round's result (the chain
    enforced it at `advance`; this reads it back)."""
    prev = None
    for j in range(1, k + 1):
        r = rounds.round_of(pid, j)
        if r.request_id == 0:
            break
        if prev is not None and bytes(r.input_root) != prev:
            return False
        prev = bytes(r.result)
    return True
