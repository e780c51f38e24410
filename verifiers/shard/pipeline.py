"""A sharded request end to end: the ledger's deployment, registration, routing, and the verdict's pipeline.

    ledger = deploy_ledger_for(deployment)               # and `save_ledger(path, ledger)` for node processes
    spec = plans.make_spec("gpt2-tiny", 3, shape=(1, 8))
    sid = plans.register(deployment, ledger, spec)
    rid = send_request(ledger, spec, x_q, sender)        # routed by capacity and recent latency
    v = wait(ledger, rid, spec, drive=chain.mine, requester=sender)  # the pipeline: node, root, bytes, seconds
                                                         # per shard; PipelineExpired if no node serves it

`serve_in_process` runs K shard nodes as in-process agents (what `tribunal infer MODEL --shards K` does on
the embedded chain or a fresh anvil); with `tribunal node --role shard` processes the same request is
served by them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from bisection.shards import sharded_id
from contracts import events as ev
from contracts.bindings.shard import EXPIRED, FINAL, OPEN, ShardLedger, deploy_ledger
from runtime.tensor_root import tensor_bytes
from verifiers.chainlog import events

from . import plans, routing
from .errors import PipelineExpired, ShardError
from .node import LEDGER_KEY

ETHER = 10**18
STATUSES = {OPEN: "open", FINAL: "final", EXPIRED: "expired"}  # ShardLedger request statuses, by name
# expiry: blocks without activity before anyone may end a request (posts paid, the rest refunded). Over stall +
# bind_window (18), the longest a served request waits on the protocol itself (the routed node's stall, then
# any holder's turn; a disputed node's bind), so only a request that no node serves any more expires.
LEDGER_DEFAULTS = dict(bond=ETHER // 100, min_fee=ETHER // 1000, window=12, stall=6, bind_window=12, expiry=64)


def deploy_ledger_for(deployment, **params) -> ShardLedger:
    """A ShardLedger over the deployment's OpmlGame (parameters: LEDGER_DEFAULTS, in blocks and wei)."""
    p = {**LEDGER_DEFAULTS, **params}
    return deploy_ledger(deployment.chain, deployment.game.address, **p)


def save_ledger(path, ledger: ShardLedger) -> Path:
    """Adds the ledger to a saved deployment file's extras (nodes find it there)."""
    path = Path(path)
    a = json.loads(path.read_text())
    a.setdefault("extras", {})[LEDGER_KEY] = ledger.address
    path.write_text(json.dumps(a, indent=1))
    return path


def plan_route(ledger: ShardLedger, k: int, sharded_id: bytes, exclude=frozenset()) -> list[str]:
    chain = ledger.chain
    announced = [a for a in events(chain, ledger.address, ev.ShardNodeAnnounced)
                 if bytes(a.event.sharded_id) == bytes(sharded_id)]
    posted = events(chain, ledger.address, ev.BoundaryPosted)
    requested = events(chain, ledger.address, ev.ShardRequested)
    return routing.route(routing.nodes_from_events(announced, posted, requested), k, set(exclude))


def send_request(ledger: ShardLedger, spec: plans.Spec, x_q: np.ndarray, sender, *, fee: int | None = None,
                 exclude=frozenset()) -> int:
    plan = plans.plan_of(spec)
    route = plan_route(ledger, plan.k, sharded_id(plan), exclude)
    r = ledger.request(sharded_id(plan), tensor_bytes(np.asarray(x_q)), route, sender=sender,
                       fee=fee or 10 * ledger.min_fee)
    return r.one(ev.ShardRequested).id


def pipeline_view(ledger: ShardLedger, rid: int, spec: plans.Spec) -> dict:
    """What a request's posts say: per shard the node, boundary root, bytes moved (compressed and as the
    int16 boundary would be without compression), the node's reported seconds; disputes; the output."""
    plan = plans.plan_of(spec)
    chain = ledger.chain
    seen = events(chain, ledger.address, key=rid)
    posts = [s for s in seen if isinstance(s.event, ev.BoundaryPosted)]
    latest = {}
    for s in posts:
        latest[s.event.shard] = s
    shards = []
    for j in range(1, plan.k + 1):
        s = plan.shards[j - 1]
        out = s.slots[s.output_slots[0]]
        moved = out.size * np.dtype(out.dtype).itemsize
        raw = _raw_bytes(plan, j) if j < plan.k else None
        p = latest.get(j)
        shards.append({"shard": j, "steps": s.steps, "node": p.event.node if p else None,
                       "root": "0x" + bytes(p.event.root).hex() if p else None,
                       "bytes": moved if j < plan.k else None, "bytes_uncompressed": raw if j < plan.k else None,
                       "seconds": p.event.millis / 1000 if p else None, "block": p.block if p else None})
    disputes = [{"shard": s.event.shard, "challenger": s.event.challenger} for s in seen
                if isinstance(s.event, ev.BoundaryDisputed)]
    resolved = [{"shard": s.event.shard, "winner": s.event.winner, "voided": s.event.voided} for s in seen
                if isinstance(s.event, ev.BoundaryDisputeResolved)]
    final = [s for s in seen if isinstance(s.event, ev.ShardRequestFinal)]
    info = ledger.request_info(rid)
    return {"request": rid, "status": STATUSES.get(info.status, str(info.status)), "spec": str(spec),
            "output_root": "0x" + bytes(final[0].event.output_root).hex() if final else None,
            "shards": shards, "posts": len(posts), "disputes": disputes, "resolved": resolved}


def _raw_bytes(plan, j: int) -> int:
    """The boundary after shard j as the uncompressed int16 tensor (what travels without QuantizeBlock)."""
    s = plan.shards[j - 1]
    if plan.block is None:
        out = s.slots[s.output_slots[0]]
        return out.size * np.dtype(out.dtype).itemsize
    nxt = plan.shards[j]
    deq = nxt.nodes[0]  # DequantizeBlock: its output is the boundary as int16
    slot = nxt.slots[deq.outputs[0]]
    return slot.size * 2


def wait(ledger: ShardLedger, rid: int, spec: plans.Spec, *, tick=None, drive=None, timeout: float = 300.0,
         poll: float = 0.2, requester=None) -> dict:
    """Waits until the request is final: each round `tick()` (in-process agents; returns transactions
    sent) and, when nothing was sent, `drive()` (mine a block on a dev chain) so windows pass. A request
    that stalls past the ledger's `expiry` (no node serves it) is expired by `requester` (when given; its
    refund withdrawn) and PipelineExpired raised, as it is for a request somebody else expired."""
    from contracts.abi import ContractRevert

    deadline = time.monotonic() + timeout
    while (info := ledger.request_info(rid)).status != FINAL:
        # the chain judges the rest of expire's rule (open, no dispute, not all posted): only its clock is read here
        if requester is not None and ledger.chain.block_number > info.last_activity + ledger.expiry:
            try:
                ledger.expire(rid, sender=requester)
                info = ledger.request_info(rid)
            except ContractRevert:  # a post or a dispute came first (served again), or another expired it
                pass
        if info.status == EXPIRED:
            raise PipelineExpired(expired(ledger, rid, spec, info, requester))
        if time.monotonic() > deadline:
            raise ShardError(f"sharded request {rid} not final after {timeout:.0f} s: "
                             f"{pipeline_view(ledger, rid, spec)}")
        sent = tick() if tick else 0
        if not sent:
            if drive:
                drive()
            time.sleep(poll)
    return pipeline_view(ledger, rid, spec)


def expired(ledger: ShardLedger, rid: int, spec: plans.Spec, info, requester) -> str:
    """An expired request's one line; the requester's refund withdrawn first (when it is the requester)."""
    k = plans.plan_of(spec).k
    refund = info.fee - info.fee // k * info.posted  # the standing posts were paid their share (ShardLedger.expire)
    line = (f"sharded request {rid} expired: boundary {info.posted + 1} of {k} was not posted (no node served it) "
            f"within {ledger.expiry} blocks of block {info.last_activity}; {refund} wei of its fee ")
    if requester is not None and requester.address == info.requester and ledger.credit(requester.address):
        ledger.withdraw(sender=requester)
        return line + f"was refunded to the requester {info.requester}"
    return line + f"is the requester's ({info.requester}) to withdraw from the ledger"
