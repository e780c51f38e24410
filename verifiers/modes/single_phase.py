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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Signed:
    """A result the drawn committee signed, for a request that must land in block `seed_block + 1`."""
    seed_block: int
    input_hash: bytes
    result: bytes
    signatures: list[bytes]


def sign(t, req: Request) -> Signed:
    """The members in process of the next block's committee compute `req` and sign their result (a member
    with cheat `wrong-output` signs a wrong one, `no-reveal` none); the most-signed result and its signatures."""
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
    sigs = [s.single_phase.sign(here[a].account, seed, req.model.model_id, input_hash, result)
            for a, v in votes.items() if v == result]
    return Signed(seed, input_hash, result, sigs)


@register
class SinglePhase(Mode):
    """Single-phase (the paper's baseline): the committee signs first; one transaction carries request and result."""
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
        s, sg = t.deployment.system, sign(t, req)
        r = s.single_phase.request_and_respond(req.model.model_id, sg.input_hash, sg.seed_block, sg.result,
                                               sg.signatures, fee=req.fee, sender=t.requester,
                                               consumer=s.consumer.address, callback_gas=CALLBACK_GAS)
        return self.handle(t, r)

    def handle(self, t, receipt) -> Handle:
        """The request of transaction `receipt` (a `requestAndRespond`, sent here or by a dapp's `ask`): served
        in it, so its committee (of the block before) and signers (the members it rewarded) are read from it."""
        served = receipt.one(ev.Served)
        nodes = [n.account for n in t.deployment.system.nodes.nodes()]
        seed = receipt.block_number - 1
        signers = [e.node for e in receipt.of(ev.Rewarded) if e.request_id == served.request_id]
        return Handle(served.request_id, receipt.block_number, {
            "tx": tx_record(t.chain, "request+respond", receipt), "result": served.result, "votes": served.votes,
            "committee": members_of(nodes, t.deployment.system.single_phase.committee_for(seed)),
            "signers": signers, "seed_block": seed})

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        d = h.data
        v = Verdict(self.name, FINAL, request_id=h.request_id, transactions=[d["tx"]], blocks=0,
                    evidence={"committee": d["committee"], "signers": d["signers"], "votes": d["votes"],
                              "seed_block": d["seed_block"], "result": "0x" + d["result"].hex(),
                              "result_kind": req.kind.name})
        v.output_root = "0x" + d["result"].hex() if req.kind == ResultKind.OUTPUT_ROOT else None
        read_answer(v, req, d["result"])
        return v
