"""Who is paid for what (DESIGN.md section 9), on the embedded chain.

Nobody is paid for someone else's inability to act: stake slashed for silence goes to the treasury, never
to whoever opened the round; a member may decline what it cannot serve (Brain.decline) and is then neither
slashed nor rewarded; a round its members decline ends at once and its fee is forfeited, so an unservable
request costs its requester. Issue 16, finding 1 (stake theft through an unservable request) is played
end to end with real member agents; refusals are checked by name with no state change; a property over
member behaviours checks the payout rule and that ETH is conserved.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import errors as E
from contracts import events as ev
from contracts.bindings import ResultKind, Status, commitment, new_salt
from contracts.bindings.brain import DeclineReason
from contracts.deploy import BURN, ETHER

from verifiers.chainlog import events

from .conftest import CONFIG, NODES, Driver
from .test_training import t, training_deployed  # noqa: F401 - fixtures of the training test

EMBEDDED = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)

RIGHT, WRONG = b"\x11" * 32, b"\x22" * 32
FEE = ETHER // 100


def snapshot(d: Driver, rid: int) -> tuple:
    """Everything a refused transaction must leave as it was."""
    n = d.s.nodes
    accounts = [a.address for a in d.chain.accounts[:12]] + [n.treasury]
    return (d.s.brain.request_info(rid), tuple(n.stake_of(a) for a in accounts),
            tuple(n.credit(a) for a in accounts), d.s.brain.in_flight(), d.s.brain.queue_length())


def refused(d: Driver, rid: int, error, fn) -> None:
    before = snapshot(d, rid)
    with pytest.raises(error):
        fn()
    assert snapshot(d, rid) == before


# ---------------------------------------------------------------- decline and the payout rule


@EMBEDDED
class TestDecline:
    def test_decline_fewerThanQuorumBreaks_roundGoesOn_declinersNeitherSlashedNorPaid(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        stakes = {m.address: driver.s.nodes.stake_of(m.address) for m in members}
        r = driver.s.brain.decline(rid, DeclineReason.MODEL, sender=members[0])
        assert r.one(ev.Declined).member == members[0].address and r.one(ev.Declined).reason == DeclineReason.MODEL
        driver.s.brain.decline(rid, DeclineReason.INPUT, sender=members[1])
        assert driver.s.brain.status(rid) == Status.DISPATCHED  # 3 left can still make a quorum of 5
        votes = {m: RIGHT for m in members[2:]}
        salts = driver.commit(rid, votes)
        # Everyone committed or declined: reveals open before the commit deadline.
        driver.reveal(rid, votes, salts)
        r = driver.s.brain.finalize(rid)  # complete: every commitment revealed, nobody left to commit
        assert r.one(ev.Finalized).votes == 3 and not r.of(ev.Slashed) and not r.of(ev.Forfeited)
        assert {e.node for e in r.of(ev.Rewarded)} == {m.address for m in members[2:]}
        assert sum(e.amount for e in r.of(ev.Rewarded)) == FEE
        for m in members[:2]:
            assert driver.s.nodes.stake_of(m.address) == stakes[m.address]
            assert driver.s.nodes.credit(m.address) == 0

    def test_decline_quorumImpossible_endsAtOnce_feeToTreasury_nobodySlashed(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        treasury = driver.s.nodes.treasury
        assert treasury == BURN
        driver.s.brain.commit(rid, commitment(RIGHT, members[4].address, new_salt()), sender=members[4])
        for m in members[:2]:
            driver.s.brain.decline(rid, DeclineReason.MODEL, sender=m)
        r = driver.s.brain.decline(rid, DeclineReason.MODEL, sender=members[2])  # 2 left: no quorum possible
        assert r.one(ev.Unservable).declines == 3 and r.one(ev.Unservable).forfeited == FEE
        assert r.one(ev.Forfeited).amount == FEE and r.one(ev.Forfeited).treasury == treasury
        assert not r.of(ev.Slashed) and not r.of(ev.Rewarded)
        # The callback never runs: its allowance goes back to the requester (the fee does not).
        allowance = driver.s.brain.request_info(rid).allowance
        assert allowance > 0 and (r.one(ev.Refunded).account, r.one(ev.Refunded).amount) == (driver.user.address, allowance)
        assert driver.s.brain.status(rid) == Status.UNSERVABLE and driver.s.brain.in_flight() == 0
        assert driver.s.nodes.credit(driver.user.address) == allowance and driver.s.nodes.credit(treasury) == FEE
        assert all(driver.s.nodes.open_rounds(m.address) == 0 for m in members)  # the committee is unlocked
        refused(driver, rid, E.RequestNotActive, lambda: driver.s.brain.finalize(rid))

    def test_finalize_silentMember_forfeitsToTreasury_minorityPaysMajority(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {members[1]: WRONG, members[2]: RIGHT, members[3]: RIGHT, members[4]: RIGHT}  # 0 is silent
        salts = driver.commit(rid, votes)
        driver.mine_past(driver.s.brain.request_info(rid).commit_deadline)
        driver.reveal(rid, votes, salts)
        driver.mine_past(driver.s.brain.request_info(rid).reveal_deadline)
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).result == RIGHT
        slashed = {e.node: e.amount for e in r.of(ev.Slashed)}
        assert slashed == {members[1].address: CONFIG.slash_amount, members[0].address: CONFIG.slash_amount}
        # The liar's stake pays the majority; the silent member's goes to the treasury.
        assert sum(e.amount for e in r.of(ev.Rewarded)) == FEE + CONFIG.slash_amount
        assert r.one(ev.Forfeited).amount == CONFIG.slash_amount
        assert driver.s.nodes.credit(driver.user.address) == 0


@EMBEDDED
class TestRefusals:
    def test_decline_refusals_nameTheCondition_changeNothing(self, driver: Driver):
        rid = driver.request()
        outsider = driver.chain.accounts[10]
        refused(driver, rid, E.RequestNotActive, lambda: driver.s.brain.decline(rid, 0, sender=outsider))
        members = driver.dispatch(rid)
        stranger = next(driver.accounts[a] for a in driver.accounts if driver.accounts[a] not in members
                        and driver.s.nodes.stake_of(a) > 0)
        refused(driver, rid, E.NotCommitteeMember, lambda: driver.s.brain.decline(rid, 0, sender=stranger))
        driver.s.brain.commit(rid, commitment(RIGHT, members[0].address, new_salt()), sender=members[0])
        refused(driver, rid, E.AlreadyCommitted, lambda: driver.s.brain.decline(rid, 0, sender=members[0]))
        driver.s.brain.decline(rid, 1, sender=members[1])
        refused(driver, rid, E.AlreadyDeclined, lambda: driver.s.brain.decline(rid, 1, sender=members[1]))
        refused(driver, rid, E.AlreadyDeclined, lambda: driver.s.brain.commit(
            rid, commitment(RIGHT, members[1].address, new_salt()), sender=members[1]))
        driver.mine_past(driver.s.brain.request_info(rid).commit_deadline)
        refused(driver, rid, E.CommitWindowClosed, lambda: driver.s.brain.decline(rid, 0, sender=members[2]))

    @pytest.mark.parametrize("kind, error", [
        (7, E.ResultKindUnsupported),
        (ResultKind.RAW, E.ResultKindNotBound),  # only a hybrid court asks RAW
        (ResultKind.NODE_CHECK, E.ResultKindNotBound),  # only a node jury asks NODE_CHECK
    ], ids=["unknown", "raw", "node-check"])
    def test_request_resultKindNotComputed_refused(self, driver: Driver, model_id, kind, error):
        before = (driver.s.brain.next_request_id(), driver.s.brain.queue_length(), driver.chain.balance(
            driver.s.nodes.address))
        with pytest.raises(error):
            driver.s.brain.request(model_id, b"x", fee=FEE, sender=driver.user, result_kind=kind)
        with pytest.raises(error):
            driver.s.brain.request_by_hash(model_id, b"\x01" * 32, "ipfs://x", fee=FEE, sender=driver.user,
                                           result_kind=kind)
        assert (driver.s.brain.next_request_id(), driver.s.brain.queue_length(),
                driver.chain.balance(driver.s.nodes.address)) == before

    @pytest.mark.parametrize("kind", [ResultKind.OUTPUT_ROOT, ResultKind.ARGMAX, ResultKind.TOKEN_IDS])
    def test_request_kindMembersCompute_queuedFromAnyone(self, driver: Driver, model_id, kind):
        """TOKEN_IDS is voted on like a root (a generation's ids hash); members decline it for a model that
        does not generate (tests/verifiers/test_agent_fuzz.py), so the chain need not know which does."""
        before = driver.s.brain.queue_length()
        data = b"x" if kind != ResultKind.OUTPUT_ROOT else b"\x00" * driver.s.models.input_bytes_of(model_id)
        driver.s.brain.request(model_id, data or b"x", fee=FEE, sender=driver.user, result_kind=kind)
        assert driver.s.brain.queue_length() == before + 1

    def test_bindKind_onlyDeployer_onlyBoundKinds(self, driver: Driver, model_id):
        user = driver.user
        with pytest.raises(E.NotAuthorized):
            driver.s.brain.bind_kind(user.address, ResultKind.RAW, sender=user)
        with pytest.raises(E.ResultKindUnsupported):
            driver.s.brain.bind_kind(user.address, ResultKind.OUTPUT_ROOT)
        assert driver.s.brain._view("boundKinds", user.address) == 0
        driver.s.brain.bind_kind(user.address, ResultKind.RAW)
        driver.s.brain.request(model_id, b"x", fee=FEE, sender=user, result_kind=ResultKind.RAW)
        with pytest.raises(E.ResultKindNotBound):
            driver.s.brain.request(model_id, b"x", fee=FEE, sender=user, result_kind=ResultKind.NODE_CHECK)

    def test_nodeRegistry_zeroTreasury_refused(self, driver: Driver):
        with pytest.raises(E.InvalidConfig, match="treasury"):
            driver.chain.deploy("NodeRegistry", ETHER, 10, ETHER // 10, "0x" + "00" * 20)


@EMBEDDED
class TestInputSize:
    @pytest.fixture
    def toy(self, driver: Driver):
        from runtime.model import Model

        from bisection.commitments import commit

        model = Model.load("toy", profile="exact")
        program = model.program(model.default_shape())
        c = commit(program)
        driver.s.models.register(c.program_root, c.weights_root)
        return program, c.model_id

    def test_proveInputSize_thenWrongSizeRefused_rightSizeQueued(self, driver: Driver, toy):
        program, mid = toy
        assert driver.s.models.input_bytes_of(mid) == 0
        r = driver.s.models.prove_input_size(program)
        size = r.one(ev.InputSizeProven).input_bytes
        slot = program.slots[program.input_slot]
        assert size == driver.s.models.input_bytes_of(mid) == 2 * int(np.prod(slot.shape))
        n = driver.s.brain.next_request_id()
        with pytest.raises(E.InputSizeMismatch):
            driver.s.brain.request(mid, b"\x00" * 3, fee=FEE, sender=driver.user)
        assert driver.s.brain.next_request_id() == n
        # The proven size binds exact output roots; an ARGMAX input travels in the model's own dtype.
        driver.s.brain.request(mid, b"\x00" * size, fee=FEE, sender=driver.user)
        driver.s.brain.request(mid, b"\x00" * 3, fee=FEE, sender=driver.user, result_kind=ResultKind.ARGMAX)
        with pytest.raises(E.InputSizeAlreadyProven):
            driver.s.models.prove_input_size(program)

    def test_proveInputSize_unknownModel_or_badProof_refused(self, driver: Driver, toy, model_id):
        program, mid = toy
        from contracts.bindings.opml import registration

        _, _, (header, header_proof, _, step, node, node_proof) = registration(program)
        with pytest.raises(E.UnknownModel):
            driver.s.models._tx("proveInputSize", b"\x07" * 32, header, header_proof, step, node, node_proof)
        with pytest.raises(E.InvalidModelProof):  # a proof against another model's roots
            driver.s.models._tx("proveInputSize", model_id, header, header_proof, step, node, node_proof)
        with pytest.raises(E.InvalidModelProof):
            driver.s.models._tx("proveInputSize", mid, header, header_proof, step, node[:-1] + b"\x09", node_proof)
        assert driver.s.models.input_bytes_of(mid) == 0 and driver.s.models.input_bytes_of(model_id) == 0


# ---------------------------------------------------------------- finding 1, played by real member agents


def run_agents(d: Driver, rids: list[int], start: int, *, blocks: int = 80) -> list:
    """Ticks a member agent on every staked node (accounts 1..NODES), deployed as of block `start`, after
    each block until the requests have settled; returns the payouts the node registry logged since `start`."""
    from verifiers.agents.base import Scheduler
    from verifiers.agents.member import Member
    from verifiers.catalog import Catalog
    from verifiers.deployment import Deployment

    deployment = Deployment(d.chain, d.s, None, start)
    catalog = Catalog(names=("toy",))
    agents = Scheduler([Member(deployment, a, catalog=catalog) for a in d.chain.accounts[1:1 + NODES]])
    open_ = (Status.QUEUED, Status.DISPATCHED)
    for _ in range(blocks):
        if all(d.s.brain.status(r) not in open_ for r in rids):
            break
        if not agents.tick():
            d.chain.mine(1)
    return [s.event for s in events(d.chain, d.s.nodes.address, ev.Slashed, ev.Rewarded, ev.Refunded, ev.Forfeited,
                                    from_block=start)]


@EMBEDDED
def test_finding1_unservableRequest_membersDecline_nobodysStakeTaken_requesterPays(driver: Driver):
    """Issue 16, finding 1: a model id with no file behind it, requested. Honest members cannot compute it.
    Before: they stayed silent, the round timed out and their slashed stake (0.5 ETH) went to the requester
    with its fee. Now they decline, the round ends Unservable, and the requester's fee goes to the treasury."""
    attacker = driver.chain.accounts[11]
    driver.s.models.register(b"\xaa" * 32, b"\xbb" * 32, sender=attacker)  # nothing behind these roots
    from contracts.bindings import model_id_of
    ghost = model_id_of(b"\xaa" * 32, b"\xbb" * 32)
    stakes = {a.address: driver.s.nodes.stake_of(a.address) for a in driver.chain.accounts[1:1 + NODES]}
    start = driver.chain.block_number
    rid = driver.s.brain.request(ghost, b"\x00" * 3, fee=FEE, sender=attacker).one(ev.Requested).request_id
    logged = run_agents(driver, [rid], start)
    assert {s.event.reason for s in events(driver.chain, driver.s.brain.address, ev.Declined, from_block=start)} == {
        DeclineReason.MODEL}
    assert driver.s.brain.status(rid) == Status.UNSERVABLE
    assert not [e for e in logged if isinstance(e, ev.Slashed)]
    assert {a: driver.s.nodes.stake_of(a) for a in stakes} == stakes
    assert driver.s.nodes.credit(attacker.address) == 0  # the requester ends with less than it paid
    assert [(e.treasury, e.amount) for e in logged if isinstance(e, ev.Forfeited)] == [(BURN, FEE)]


@EMBEDDED
def test_finding2_malformedInput_membersDecline_honestRequestStillServed(driver: Driver):
    """A 3-byte input to a real model beside an honest request: the malformed one is declined (no tick dies,
    nobody is slashed), the honest one is final with every member paid."""
    from verifiers.catalog import Catalog

    entry = Catalog(names=("toy",)).entry("toy")
    driver.s.models.register(*entry.roots)
    x = np.zeros(entry.model.default_shape(), entry.model.spec.dtype)
    start = driver.chain.block_number
    honest = driver.s.brain.request(entry.model_id, entry.encode(x, ResultKind.ARGMAX), fee=FEE, sender=driver.user,
                                    result_kind=ResultKind.ARGMAX).one(ev.Requested).request_id
    bad = driver.s.brain.request(entry.model_id, b"\x01\x02\x03", fee=FEE, sender=driver.chain.accounts[11],
                                 result_kind=ResultKind.ARGMAX).one(ev.Requested).request_id
    logged = run_agents(driver, [honest, bad], start)
    assert driver.s.brain.status(bad) == Status.UNSERVABLE
    assert driver.s.brain.status(honest) == Status.FINALIZED
    assert not [e for e in logged if isinstance(e, ev.Slashed)]
    assert sum(e.amount for e in logged if isinstance(e, ev.Rewarded)) == FEE


# ---------------------------------------------------------------- the property


BEHAVIOURS = ("honest", "wrong", "silent", "no-reveal", "decline")


@EMBEDDED
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(behaviours=st.lists(st.sampled_from(BEHAVIOURS), min_size=5, max_size=5),
       order=st.permutations(range(5)))
def test_payouts_anyMemberBehaviour_ruleHoldsAndEthIsConserved(driver: Driver, behaviours, order):
    """Whatever each member does, the requester never receives slashed stake, silence pays only the
    treasury, decliners lose and gain nothing, and credits + treasury == fee + slashed."""
    snap = driver.chain.snapshot()
    try:
        n = driver.s.nodes
        treasury = n.treasury
        everyone = [a.address for a in driver.chain.accounts[:1 + NODES + 2]] + [treasury]
        credit0 = {a: n.credit(a) for a in everyone}
        stake0 = {a: n.stake_of(a) for a in everyone}
        rid = driver.request(consumer=False)
        members = driver.dispatch(rid)
        act = {members[i].address: behaviours[i] for i in range(5)}
        salts, ended = {}, False
        for i in order:  # commits and declines interleaved in a drawn order
            m, b = members[i], behaviours[i]
            if b == "decline":
                r = driver.s.brain.decline(rid, DeclineReason.INPUT, sender=m)
                ended = bool(r.of(ev.Unservable))
                if ended:
                    break
            elif b in ("honest", "wrong", "no-reveal"):
                vote = WRONG if b == "wrong" else RIGHT
                salts[m.address] = (vote, new_salt())
                driver.s.brain.commit(rid, commitment(vote, m.address, salts[m.address][1]), sender=m)
        if not ended:
            info = driver.s.brain.request_info(rid)
            driver.mine_past(info.commit_deadline)
            for m in members:
                if m.address in salts and act[m.address] != "no-reveal":
                    driver.s.brain.reveal(rid, *salts[m.address], sender=m)
            driver.mine_past(info.reveal_deadline)
            driver.s.brain.finalize(rid)
        status = driver.s.brain.status(rid)
        gained = {a: n.credit(a) - credit0[a] for a in everyone}
        lost = {a: stake0[a] - n.stake_of(a) for a in everyone}
        slashed = sum(lost.values())
        silent = [a for a, b in act.items() if b in ("silent", "no-reveal")]
        # The requester gets its fee back or nothing: never anyone's stake.
        assert gained[driver.user.address] in (0, FEE)
        if status == Status.UNSERVABLE:
            assert gained[driver.user.address] == 0 and slashed == 0 and gained[treasury] == FEE
        else:
            # Silence is slashed, and all of it (and only it, plus nothing else) goes to the treasury.
            assert all(lost[a] == CONFIG.slash_amount for a in silent)
            assert gained[treasury] == CONFIG.slash_amount * len(silent)
        for a, b in act.items():
            if b == "decline":
                assert lost[a] == 0 and gained[a] == 0
            if b == "honest" and behaviours.count("wrong") * 2 < 5:
                assert lost[a] == 0  # only a majority of liars (BRAIN's assumption broken) outvotes the honest
        # ETH is conserved: what was credited is the fee plus what was slashed.
        assert sum(gained.values()) == FEE + slashed
    finally:
        driver.chain.revert(snap)


# ---------------------------------------------------------------- training (finding 4's payout)


@pytest.mark.parametrize("deployed", [pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])],
                         indirect=True)
def test_training_silentScorers_forfeitToTreasury_neverToTrainer(t):
    """Scorers that commit and never reveal (weights that crash them, say) are slashed to the treasury; the
    trainer, who opened the round, gets none of it (it used to be credited their stake)."""
    trainer = t.nodes[0]
    credit = t.s.nodes.credit(trainer.address)
    pid = t.propose(trainer)
    members = t.score(pid, [9000, None, None, 9000, None])
    r = t.tr.finalize(pid)
    assert r.one(ev.ScoringTimedOut).reveals == 2
    assert {e.node for e in r.of(ev.Slashed)} == {members[i].address for i in (1, 2, 4)}
    assert r.one(ev.Forfeited).amount == 3 * CONFIG.slash_amount and not r.of(ev.Refunded)
    assert t.s.nodes.credit(trainer.address) == credit
