"""`brain`: a committee drawn per request commits and reveals its answer through the Brain contract;
the majority's answer is final at once (BRAIN, two-phase).

The request transaction queues the request with its fee; the next block's hash seeds the committee
(`dispatch`, by any node); members commit, then reveal; `finalize` settles: the majority's result
(more than half of the whole committee) is final and the consumer's callback runs with it, minority
and missing reveals are slashed; with no majority by the reveal deadline the request times out and
its fee is credited back to the requester (claimable from the NodeRegistry).
"""
from __future__ import annotations

from contracts import events as ev
from contracts.bindings.brain import ResultKind, Status
from verifiers.chainlog import events, transactions, tx_record
from verifiers.errors import FeeBelowMinimum, ModeUnavailable
from verifiers.modes import register
from verifiers.modes.base import PENDING, Handle, Mode, Request, read_answer, slashed
from verifiers.verdict import FINAL, REJECTED, TIMED_OUT, Verdict

CALLBACK_GAS = 100_000


def check_fee(t, req: Request) -> None:
    """FeeBelowMinimum when the request's fee is below the deployment's minimum."""
    cfg = t.deployment.system.config
    if req.fee < cfg.min_fee:
        raise FeeBelowMinimum(f"fee {req.fee} wei is below the minimum {cfg.min_fee} wei")
    if req.fee >= 2**96:
        raise FeeBelowMinimum(f"fee {req.fee} wei does not fit the fee queue (below 2**96)")


def check_committee(t) -> None:
    """Raises when fewer nodes are eligible than a committee needs."""
    cfg = t.deployment.system.config
    eligible = bin(t.deployment.nodes.eligible_set()).count("1")
    if eligible < cfg.committee_size:
        raise ModeUnavailable(f"only {eligible} eligible nodes for a committee of {cfg.committee_size}")


@register
class Brain(Mode):
    """BRAIN: a committee commits and reveals; the majority's answer is final at once."""
    name = "brain"
    summary = "a committee commits and reveals; the majority is final at once"

    def check(self, t, req: Request) -> None:
        check_fee(t, req)
        check_committee(t)

    def default_deadline(self, t, req: Request) -> int:
        cfg = t.deployment.system.config
        return 4 + cfg.commit_window + cfg.reveal_window + 8

    def submit(self, t, req: Request) -> Handle:
        s = t.deployment.system
        r = s.brain.request(req.model.model_id, req.model.encode(req.x, req.kind), fee=req.fee, sender=t.requester,
                            result_kind=req.kind, consumer=s.consumer.address, callback_gas=CALLBACK_GAS)
        return self.handle(t, r)

    def handle(self, t, receipt) -> Handle:
        return Handle(receipt.one(ev.Requested).request_id, receipt.block_number,
                      {"request_tx": tx_record(t.chain, "request", receipt)})

    def keep(self, t, req: Request, h: Handle) -> None:
        """The requester's own pokes: finalize its request once the round can no longer change."""
        b = t.deployment.brain
        info = b.request_info(h.request_id)
        if info.status == Status.DISPATCHED and t.chain.block_number > info.reveal_deadline:
            try:
                b.finalize(h.request_id, sender=t.requester)
            except Exception:  # noqa: BLE001 - an agent finalized first; the next poll sees it
                pass
        elif info.status == Status.QUEUED and t.chain.block_number > info.request_block + 1 and not t.scheduler.agents:
            try:
                b.dispatch(8, sender=t.requester)
            except Exception:  # noqa: BLE001
                pass

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        return committee_verdict(self.name, t, req, h, t.deployment.brain)

    def expire(self, t, req: Request, h: Handle) -> Verdict:
        self.keep(t, req, h)
        v = self.poll(t, req, h)
        if not v.settled:
            info = t.deployment.brain.request_info(h.request_id)
            v.status = TIMED_OUT
            v.reason = (f"no majority within {req.deadline_blocks} blocks; the round stays open on chain until block "
                        f"{info.reveal_deadline or '(not dispatched)'}, whose finalize refunds the fee")
        return v


def committee_verdict(mode: str, t, req: Request, h: Handle, brain) -> Verdict:
    """The verdict on a Brain request as the chain has it, with commits, reveals and every transaction."""
    rid = h.request_id
    info = brain.request_info(rid)
    if info.status not in (Status.FINALIZED, Status.TIMED_OUT, Status.UNSERVABLE):  # still open: read each block
        return Verdict(mode, PENDING, request_id=rid, blocks=t.chain.block_number - h.block,
                       transactions=[h.data["request_tx"]])
    seen = events(t.chain, brain.address, ev.Dispatched, ev.Committed, ev.Revealed, ev.Finalized, ev.TimedOut,
                  ev.Unservable, from_block=h.block, key=rid)
    txs = [h.data["request_tx"]] + transactions(t.chain, seen, {
        "Dispatched": "dispatch", "Committed": "commit", "Revealed": "reveal", "Finalized": "finalize",
        "TimedOut": "finalize (timeout)", "Unservable": "decline (round ends)"})
    evidence = {
        "committee": brain.committee(rid) if info.committee else [],
        "commits": [{"member": s.event.member, "commitment": "0x" + s.event.commitment.hex(), "block": s.block}
                    for s in seen if isinstance(s.event, ev.Committed)],
        "reveals": [{"member": s.event.member, "result": "0x" + s.event.result.hex(), "block": s.block}
                    for s in seen if isinstance(s.event, ev.Revealed)],
        "result_kind": ResultKind(int(info.result_kind)).name}
    v = Verdict(mode, PENDING, request_id=rid, transactions=txs, evidence=evidence,
                blocks=t.chain.block_number - h.block)
    end = [s for s in seen if isinstance(s.event, (ev.Finalized, ev.TimedOut, ev.Unservable))]
    if info.status == Status.FINALIZED:
        fin = end[0].event
        v.status, v.blocks = FINAL, end[0].block - h.block
        v.output_root = "0x" + fin.result.hex() if req.kind == ResultKind.OUTPUT_ROOT else None
        read_answer(v, req, fin.result)
        evidence["votes"], evidence["result"] = fin.votes, "0x" + fin.result.hex()
    elif info.status == Status.TIMED_OUT:
        v.status, v.refund = TIMED_OUT, info.fee + info.allowance  # the callback's allowance comes back too
        v.reason = "no majority by the reveal deadline: fee refunded"
        read_answer(v, req, None)
        if end:
            v.blocks = end[0].block - h.block
    elif info.status == Status.UNSERVABLE:
        v.status, v.refund = REJECTED, info.allowance  # the fee is forfeited, the callback's allowance not
        v.reason = f"declined by {info.decline_count} of the committee (it cannot serve it): the fee is forfeited"
        read_answer(v, req, None)
        if end:
            v.blocks = end[0].block - h.block
    evidence["slashed"] = slashed(t, rid, h.block)
    return v
