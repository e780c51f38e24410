"""Two attacks on linked claims and court requests, played as their attacker wrote them, now failing.

1. Stale claim linked to a request: an honest claim older than the agents' LOOKBACK (and final) linked to a
   fresh min-fee opML request used to raise KeyError in every opML agent's `serve` (the submitter then lost
   a game on its clock). `OpmlRequests.answer` now refuses it (StaleClaim, no state change), and an agent
   reads a linked claim missing from its event window from the `claim` view.
2. A Brain request naming the HybridCourt as its consumer: members took any such request for a hybrid one,
   stayed silent on it and were slashed (by hash), or crashed on it (a wrong-size ARGMAX input). A request
   is hybrid now only if RAW and in the court's record, and a member that cannot vote always declines.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bisection.arbiter import Side
from bisection.players import make_player
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings.brain import ResultKind, Status
from contracts.errors import StaleClaim
from verifiers.agents.base import LOOKBACK

from .conftest import MODEL


def tick(t, errors: list) -> None:
    """Tick every agent, then mine; every exception, and every duty that failed (`Agent.isolated` logs it
    with the item's id), goes to `errors`."""
    for a in t.scheduler.agents:
        start = len(a.log)
        try:
            a.tick()
        except Exception as e:  # noqa: BLE001 - recorded: the attacks were that these happen
            errors.append((a.name, type(e).__name__))
        errors.extend((a.name, entry["error"]) for entry in a.log[start:] if "error" in entry and "id" in entry)
    t.chain.mine(1)


def claimant(t, account, seed: int):
    """(arbiter, entry, input bytes, decoded input, honest player) for `account`'s own claims."""
    d, entry = t.deployment, t.model(MODEL)
    arb = ChainArbiter(d.opml, accounts={"attacker": account})
    arb._programs[entry.model_id] = entry.program
    x = np.random.default_rng(seed).standard_normal(entry.model.default_shape()).astype(np.float32)
    data = entry.encode(x, ResultKind.OUTPUT_ROOT)
    x_q = entry.decode(data, ResultKind.OUTPUT_ROOT)
    return arb, entry, data, make_player("attacker", entry.program, x_q, "honest")


def stale_claim_and_request(t, account, seed: int) -> tuple[int, int]:
    """The attacker's honest claim, aged past every agent's lookback and final, then a fresh request of its
    own on the same input (the attack's steps 1 and 2): (claim id, request id)."""
    d = t.deployment
    arb, entry, data, player = claimant(t, account, seed)
    old = player.submit(arb, entry.model_id, d.opml.config.min_bond)
    t.chain.mine(max(a.history() for a in t.scheduler.agents) + 8)  # past every agent's event window
    d.game.resolve_claim(old, sender=account)
    r = d.requests.request(entry.model_id, data, 3 * LOOKBACK, fee=d.requests.min_fee, sender=account)
    return old, r.one(ev.OpmlRequested).request_id


# ---------------------------------------------------------------- 1. the contract: answer takes fresh, pending claims


def test_answer_staleFinalClaim_refusedStaleClaim_noStateChange(tribunal):
    d, attacker = tribunal.deployment, tribunal.chain.accounts[12]
    old, rid = stale_claim_and_request(tribunal, attacker, seed=3)
    head = tribunal.chain.block_number
    with pytest.raises(StaleClaim):
        d.requests.answer(rid, old, sender=attacker)
    assert d.requests.answers(rid) == [] and tribunal.chain.block_number == head  # nothing sent, nothing linked


def test_answer_pendingClaimMadeBeforeTheRequest_refused_oneMadeAfter_linked(tribunal):
    d, attacker = tribunal.deployment, tribunal.chain.accounts[12]
    arb, entry, data, player = claimant(tribunal, attacker, seed=4)
    before = player.submit(arb, entry.model_id, d.opml.config.min_bond)
    tribunal.chain.mine(1)
    rid = d.requests.request(entry.model_id, data, 100, fee=d.requests.min_fee,
                             sender=attacker).one(ev.OpmlRequested).request_id
    assert d.game.claim(before).status == "pending"
    with pytest.raises(StaleClaim):
        d.requests.answer(rid, before, sender=attacker)
    after = player.submit(arb, entry.model_id, d.opml.config.min_bond)
    d.requests.answer(rid, after, sender=attacker)
    assert d.requests.answers(rid) == [after]
    assert d.requests.request_info(rid).created <= d.game.claim(after).created


def test_answer_finalClaimMadeAfterTheRequest_refused(tribunal):
    d, attacker = tribunal.deployment, tribunal.chain.accounts[12]
    arb, entry, data, player = claimant(tribunal, attacker, seed=5)
    rid = d.requests.request(entry.model_id, data, 100, fee=d.requests.min_fee,
                             sender=attacker).one(ev.OpmlRequested).request_id
    cid = player.submit(arb, entry.model_id, d.opml.config.min_bond)
    tribunal.chain.mine(d.opml.config.window + 1)
    d.game.resolve_claim(cid, sender=attacker)
    with pytest.raises(StaleClaim):
        d.requests.answer(rid, cid, sender=attacker)
    assert d.requests.answers(rid) == []


# ---------------------------------------------------------------- 1. the agents: a linked claim older than their window


def test_serve_linkedClaimOlderThanTheWindow_readFromTheClaimView(tribunal):
    """The state an OpmlRequests without the check (or any other linker) can leave: a request's answer
    that the agents' event window does not hold. `serve` reads it from the view: no KeyError."""
    attacker = tribunal.chain.accounts[12]
    old, rid = stale_claim_and_request(tribunal, attacker, seed=6)
    opml = [a for a in tribunal.scheduler.agents if a.role in ("submitter", "watcher")]
    assert {a.role for a in opml} == {"submitter", "watcher"}
    for a in opml:
        st = a.state()
        assert old not in st.claims
        st.answers[rid] = [old]
        assert a.linked(st, [old]) == {old: (attacker.address, "final")}
        a.serve(st, rid, answer_always=False)  # sees a live (final) answer that is not its own: nothing to do
        assert not any("error" in entry and "id" in entry for entry in a.log)


def test_staleClaimPoison_playedAsWritten_refused_honestSubmitterWinsItsGame(tribunal):
    t = tribunal
    d, chain = t.deployment, t.chain
    entry = t.model(MODEL)
    program, min_bond = entry.program, d.opml.config.min_bond
    attacker, challenger_acct = chain.accounts[12], chain.accounts[13]
    arb = ChainArbiter(d.opml, accounts={"attacker": attacker, "challenger": challenger_acct})
    arb._programs[entry.model_id] = program
    rng = np.random.default_rng(3)
    rng.standard_normal(entry.model.default_shape())  # the attack's first input (its stale claim's)
    old, poisoned = stale_claim_and_request(t, attacker, seed=3)

    x2 = rng.standard_normal(entry.model.default_shape()).astype(np.float32)
    receipt = t.infer(MODEL, x2, mode="opml")
    errors: list = []
    for _ in range(30):
        tick(t, errors)
        if d.requests.answers(receipt.request_id):
            break
    honest_claim = d.requests.answers(receipt.request_id)[0]
    assert d.game.claim(honest_claim).defender == t.roles.submitter(chain).address

    x2_q = entry.decode(entry.encode(x2, ResultKind.OUTPUT_ROOT), ResultKind.OUTPUT_ROOT)
    liar = make_player("challenger", program, x2_q, "wrong-output", max(1, program.steps // 2))
    gid = liar.challenge(arb, honest_claim, min_bond)
    with pytest.raises(StaleClaim):  # the poison
        d.requests.answer(poisoned, old, sender=attacker)

    for _ in range(40 * d.opml.config.clock):
        tick(t, errors)
        g = arb.game(gid)
        if g.over:
            break
        if g.turn is Side.CHALLENGER:
            liar.act(arb, gid)
    g = arb.game(gid)
    assert not errors, errors
    assert g.over and g.winner is Side.DEFENDER, g.reason
    assert d.game.claim(honest_claim).status != "rejected"
    t.step()  # in-process, too: no KeyError


# ---------------------------------------------------------------- 2. a Brain request naming the court as consumer


def stakes(t) -> list[int]:
    return [t.deployment.nodes.stake_of(m.address) for m in t.roles.members(t.chain)]


def test_byHashArgmaxRequestToTheCourt_everyMemberDeclines_noneSlashed(tribunal):
    t = tribunal
    d, chain = t.deployment, t.chain
    entry = t.model(MODEL)
    attacker, court = chain.accounts[12], d.court.address
    before = stakes(t)
    r = d.brain.request_by_hash(entry.model_id, hashlib.sha256(b"anything").digest(), "ipfs://nothing",
                                fee=d.system.config.min_fee, sender=attacker, result_kind=ResultKind.ARGMAX,
                                consumer=court, callback_gas=100_000)
    rid = r.one(ev.Requested).request_id
    errors: list = []
    for _ in range(200):
        tick(t, errors)
        if d.brain.status(rid) not in (Status.QUEUED, Status.DISPATCHED):
            break
    info = d.brain.request_info(rid)
    assert not errors, errors
    # declined (no input on chain) until no quorum was left: the round ended Unservable, nobody silent
    assert info.commit_count == 0 and info.decline_count > 0 and d.brain.status(rid) == Status.UNSERVABLE
    assert stakes(t) == before  # declined with a reason: nobody slashed


def test_wrongSizeArgmaxRequestToTheCourt_declined_honestRequestStillServed(tribunal, sample):
    t = tribunal
    d, chain = t.deployment, t.chain
    entry = t.model(MODEL)
    attacker, court = chain.accounts[12], d.court.address
    r = d.brain.request(entry.model_id, b"\x01\x02\x03", fee=d.system.config.min_fee, sender=attacker,
                        result_kind=ResultKind.ARGMAX, consumer=court, callback_gas=100_000)
    poison = r.one(ev.Requested).request_id
    chain.mine(2)
    errors: list = []
    tick(t, errors)  # dispatched now (any node dispatches), before the victim's request exists
    assert d.brain.status(poison) != Status.QUEUED
    before = stakes(t)
    receipt = t.infer(MODEL, sample, mode="brain")
    victim = receipt.request_id
    for _ in range(300):
        tick(t, errors)
        if {d.brain.status(poison), d.brain.status(victim)} <= {Status.FINALIZED, Status.UNSERVABLE}:
            break
    assert not errors, errors
    assert d.brain.status(poison) == Status.UNSERVABLE and d.brain.request_info(poison).commit_count == 0
    assert d.brain.status(victim) == Status.FINALIZED and receipt.status().status == "final"
    assert stakes(t) == before
