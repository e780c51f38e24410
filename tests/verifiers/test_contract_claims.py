"""Issue 16, finding 3: a claim sent through a contract is watched like any other. The watcher reads a
claim's input from its ClaimInput event (chain state), never from the claim transaction's calldata, so a
lying claim submitted by a forwarding contract (contracts/src/opml/test/TestForwarder.sol) is challenged
and refuted: an opML request ends final with the right answer, and a hybrid answer defended by a contract
member's claim is overturned. Real agents on the embedded chain."""
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


def lying_claim(t, fwd, owner, model_id, data: bytes, tolerance: int = 0, strategy: str = "wrong-output") -> int:
    """A claim by a liar's `strategy` on (model, input), submitted by the forwarder; returns its id."""
    d, entry = t.deployment, t.catalog.by_id(model_id)
    x_q = entry.decode(data, ResultKind.OUTPUT_ROOT)
    liar = make_player("liar", entry.program, x_q, strategy, max(1, entry.program.steps // 2))
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


def test_hybridDefenseThroughAContractMember_watcherDisputesIt_answerOverturned(tribunal, sample):
    """A lying majority whose member is a contract (a staked smart wallet) defends its answer with a claim
    the contract makes: the watcher disputes that claim like any other, refutes it, and the answer is
    overturned to the honest output."""
    from bisection import trace
    from contracts.bindings import Status, commitment, new_salt
    from contracts.bindings.hybrid import HybridStatus, vote_of
    from contracts.deploy import ETHER
    
    from .conftest import cheat

    t, d = tribunal, tribunal.deployment
    owner = t.chain.accounts[9]
    fwd = forwarder(t, owner)
    cheat(t, liars=3)  # the agent members vote one wrong pair; with the contract member they are the majority
    forward(t, fwd, owner, d.nodes.contract.functions.register(), value=1_000 * ETHER)  # drawn almost surely
    court = d.court
    entry = t.model(MODEL)
    for _ in range(5):  # a committee without the contract (p ~ 0.3%): another request
        t.chain.mine(1)
        receipt = t.infer(MODEL, sample, mode="hybrid")
        rid = receipt.request_id
        while d.brain.status(rid) == Status.QUEUED:
            t.step()
        if fwd.address in d.brain.committee(rid):
            break
    else:
        pytest.fail("the contract member was never drawn")
    data = bytes(events(t.chain, d.brain.address, ev.InputPosted, key=rid)[0].event.input)
    x_q = entry.decode(data, ResultKind.OUTPUT_ROOT)
    program = entry.program
    liar = make_player("wallet", program, x_q, "wrong-final", max(1, program.steps // 2),
                       honest=trace.compute(program, x_q))  # the lying members' trace (HybridMember.trace_strategy)
    out, n = program.output_slots[0], liar.trace.steps
    vote, salt = vote_of(liar.trace.leaf(n, out), liar.trace.root(n)), new_salt()
    brain, done = d.brain.contract.functions, set()
    for _ in range(400):
        info, status = d.brain.request_info(rid), court.status(rid)
        if "commit" not in done:
            forward(t, fwd, owner, brain.commit(rid, commitment(vote, fwd.address, salt)))
            done.add("commit")
        elif "reveal" not in done and (info.commit_count == len(d.brain.committee(rid))
                                       or t.chain.block_number > info.commit_deadline):
            forward(t, fwd, owner, brain.reveal(rid, vote, salt))
            done.add("reveal")
        elif status == HybridStatus.CHALLENGED and "defend" not in done:  # before any agent member defends
            cid = lying_claim(t, fwd, owner, entry.model_id, data, court.request_info(rid).tolerance,
                              strategy="wrong-final")
            forward(t, fwd, owner, court.contract.functions.defend(rid, cid))
            assert court.request_info(rid).defense == cid
            done.add("defend")
        elif status in (HybridStatus.FINAL, HybridStatus.TIMED_OUT):
            break
        t.step()
    assert "defend" in done, (done, court.status(rid))
    v = receipt.status()
    assert v.status == "final", v.reason
    assert v.output_root == "0x" + entry.output_root(x_q).hex() and not v.evidence["upheld"]
    assert d.game.claim(cid).status == "rejected"
    assert all(d.game.game(g).winner == CHALLENGER for g in d.game.claim_games(cid))
