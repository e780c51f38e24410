"""The protocol views modes and agents share (`verifiers.views`), checked against the contracts themselves:
what the views say is due, the chain accepts; what the logs say, the contracts' own views confirm."""
from __future__ import annotations

from contracts.bindings.hybrid import HybridStatus
from verifiers.views import CLAIM_FINAL, brain_settled, court_majority, jury_evidence, read_state, resolve_due

from .conftest import MODEL


def resolvable(t, rid: int) -> bool:
    """Whether `court.resolve(rid)` would go through now (an eth_call: nothing is sent)."""
    try:
        t.deployment.court.contract.functions.resolve(rid).call({"from": t.requester.address})
        return True
    except Exception:  # noqa: BLE001 - any revert: not resolvable now
        return False


def test_read_state_is_what_the_game_and_the_requests_say(tribunal, sample):
    t, d = tribunal, tribunal.deployment
    receipt = t.infer(MODEL, sample, mode="opml")
    v = receipt.wait()
    assert v.status == "final", v.reason
    st = read_state(t.chain, d, receipt.handle.block)
    rid = receipt.request_id
    assert rid in st.requests and rid in st.settled
    assert st.answers[rid] == d.requests.answers(rid)
    for cid in st.answers[rid]:
        assert st.status[cid] == d.game.claim(cid).status
        assert st.open_games(cid) == [g for g in d.game.claim_games(cid) if d.game.game(g).phase != "over"]
    final = [c for c in st.answers[rid] if st.status[c] == CLAIM_FINAL]
    assert final and all(jury_evidence(t.chain, d, g, receipt.handle.block) is None
                         for c in final for g in d.game.claim_games(c))  # an exact model: no jury


def test_what_resolve_due_calls_due_the_court_accepts(tribunal, sample):
    t, d = tribunal, tribunal.deployment
    receipt = t.infer(MODEL, sample, mode="hybrid")
    rid, seen = receipt.request_id, set()
    for _ in range(200):
        info = d.court.request_info(rid)
        if info.status == HybridStatus.FINAL:
            break
        due = brain_settled(d, rid) if info.status == HybridStatus.PENDING else resolve_due(t.chain, d, info)
        seen.add((info.status, due))
        if due:  # INVARIANT checked: a view that calls resolve due is never refused by the court
            assert resolvable(t, rid), (info.status, t.chain.block_number)
        t.step()
    assert d.court.request_info(rid).status == HybridStatus.FINAL
    assert (HybridStatus.PROVISIONAL, False) in seen and (HybridStatus.PROVISIONAL, True) in seen
    info = d.court.request_info(rid)
    assert sorted(court_majority(d, rid, info.vote)) == sorted(
        m for m in d.brain.committee(rid) if d.brain.vote_of(rid, m) == info.vote) != []
