"""`single-phase`: the paper's baseline. The committee computes and signs the result before the request
is sent, and one transaction carries request, result and signatures (SinglePhaseBrain): final at once,
but the inference sits on the request's critical path and nothing pipelines.

The committee is drawn from the hash of the block before the one the request lands in; the members sign
off chain, so this mode needs the committee in process (the in-process member agents), which is
exactly the coupling the two-phase protocol removes.
"""
from __future__ import annotations

import hashlib
from collections import Counter

from contracts import events as ev
from contracts.bindings.base import members_of
from contracts.bindings.brain import ResultKind
from verifiers.chainlog import tx_record
from verifiers.errors import ModeUnavailable
from verifiers.modes import register
from verifiers.modes.base import Handle, Mode, Request, read_answer
from verifiers.modes.brain import CALLBACK_GAS, check_committee, check_fee
from verifiers.verdict import FINAL, Verdict


def _members(t) -> dict:
    from verifiers.agents.member import Member

    return {a.address: a for a in t.scheduler.agents if isinstance(a, Member)}


@register
class SinglePhase(Mode):
    name = "single-phase"
    summary = "the baseline: the committee signs first, one transaction carries request and result"

    def check(self, t, req: Request) -> None:
        check_fee(t, req)
        check_committee(t)
        if not _members(t):
            raise ModeUnavailable("single-phase needs the committee in process (its members sign off chain); "
                                  "this Tribunal runs no member agents")

    def default_deadline(self, t, req: Request) -> int:
        return 4

    def submit(self, t, req: Request) -> Handle:
        s, chain = t.deployment.system, t.chain
        data = req.model.encode(req.x, req.kind)
        input_hash = hashlib.sha256(data).digest()
        seed = chain.block_number  # the request must land in the next block: its parent seeds the committee
        committee = members_of([n.account for n in s.nodes.nodes()], s.single_phase.committee_for(seed))
        here = _members(t)
        votes = {}
        for addr in committee:
            m = here.get(addr)
            if m is None or m.cheat == "no-reveal":
                continue
            honest = req.model.result(data, req.kind)
            votes[addr] = honest if m.cheat != "wrong-output" else honest[:-1] + bytes([honest[-1] ^ 1])
        if not votes:
            raise ModeUnavailable("no member of the drawn committee is in process to sign")
        result, _ = Counter(votes.values()).most_common(1)[0]
        signers = [a for a, v in votes.items() if v == result]
        sigs = [s.single_phase.sign(here[a].account, seed, req.model.model_id, input_hash, result) for a in signers]
        r = s.single_phase.request_and_respond(req.model.model_id, input_hash, seed, result, sigs, fee=req.fee,
                                               sender=t.requester, consumer=s.consumer.address,
                                               callback_gas=CALLBACK_GAS)
        served = r.one(ev.Served)
        return Handle(served.request_id, r.block_number, {
            "tx": tx_record(t.chain, "request+respond", r), "result": result, "votes": served.votes,
            "committee": committee, "signers": signers, "seed_block": seed})

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        d = h.data
        v = Verdict(self.name, FINAL, request_id=h.request_id, transactions=[d["tx"]], blocks=0,
                    evidence={"committee": d["committee"], "signers": d["signers"], "votes": d["votes"],
                              "seed_block": d["seed_block"], "result": "0x" + d["result"].hex(),
                              "result_kind": req.kind.name})
        v.output_root = "0x" + d["result"].hex() if req.kind == ResultKind.OUTPUT_ROOT else None
        read_answer(v, req, d["result"])
        return v
