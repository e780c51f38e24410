"""Issue 16, finding 3: a claim sent through a contract is watched like any other. The watcher reads a
claim's input from its ClaimInput event (chain state), never from the claim transaction's calldata, so a
lying claim submitted by a forwarding contract (contracts/src/opml/test/TestForwarder.sol) is challenged
and refuted, and the request ends final with the right answer. Real agents on the embedded chain."""
from __future__ import annotations

import pytest

from bisection import make_player
from contracts import events as ev
from contracts.bindings.brain import ResultKind
from verifiers.chainlog import events

from .conftest import MODEL, OPML

pytestmark = pytest.mark.slow
NO_CONSUMER = "0x" + "00" * 20
CHALLENGER = 2


def forwarder(t, owner):
    return t.chain.contract("TestForwarder", t.chain.deploy("TestForwarder", sender=owner))


def forward(t, fwd, owner, fn, value=0):
    """Sends `fn` (a bound contract function) through the forwarder: the transaction's calldata is forward(...)."""
    return t.chain.transact(fwd.functions.forward(fn.address, fn._encode_transaction_data()), sender=owner,
                            value=value)


def lying_claim(t, fwd, owner, model_id, data: bytes, tolerance: int = 0) -> int:
    """A wrong-output claim on (model, input), submitted by the forwarder; returns its id."""
    d, entry = t.deployment, t.catalog.by_id(model_id)
    x_q = entry.decode(data, ResultKind.OUTPUT_ROOT)
    liar = make_player("liar", entry.program, x_q, "wrong-output", max(1, entry.program.steps // 2))
    tr, n = liar.trace, liar.trace.steps
    out = tr.program.output_slots[0]
    fns = d.game.contract.functions
    args = (model_id, data, liar.root_for(n), tr.leaf(n, out), list(tr.proof(n, out)), NO_CONSUMER)
    fn = fns.submitClaimWithTolerance(*args, tolerance) if tolerance else fns.submitClaim(*args)
    r = forward(t, fwd, owner, fn, value=OPML.min_bond)
    claim = r.one(ev.ClaimSubmitted)
    assert claim.defender == fwd.address  # the contract is the claim's defender
    return claim.claim_id


def test_opmlClaimThroughAContract_watcherChallengesAndWins_rightAnswerFinal(tribunal, sample):
    t, d = tribunal, tribunal.deployment
    owner = t.chain.accounts[9]
    fwd = forwarder(t, owner)
    receipt = t.infer(MODEL, sample, mode="opml")
    rid = receipt.request_id
    req = events(t.chain, d.requests.address, ev.OpmlRequested, key=rid)[0].event
    cid = lying_claim(t, fwd, owner, req.model_id, bytes(req.input), req.tolerance)
    forward(t, fwd, owner, d.requests.contract.functions.answer(rid, cid))  # answered first: settle would pick it

    v = receipt.wait()
    assert v.status == "final", v.reason
    assert d.game.claim(cid).status == "rejected"
    games = [d.game.game(g) for g in d.game.claim_games(cid)]
    assert games and all(g.winner == CHALLENGER for g in games)  # the watcher challenged and won
    settled = events(t.chain, d.requests.address, ev.RequestSettled, key=rid)[0].event
    entry = t.catalog.by_id(req.model_id)
    assert settled.claim_id != cid
    assert settled.output_root == entry.output_root(entry.decode(bytes(req.input), ResultKind.OUTPUT_ROOT))
