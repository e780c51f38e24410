"""BRAIN two-phase protocol: the conformance suite, run on every backend (embedded and anvil)."""
from __future__ import annotations

import pytest

from contracts import errors as E
from contracts import events as ev
from contracts.bindings import Status, commitment, new_salt
from contracts.deploy import ETHER

from .conftest import CONFIG, Driver

RIGHT, WRONG, OTHER = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32


def state_of(d: Driver, request_id: int) -> tuple:
    """Everything a failed transaction must leave as it was."""
    nodes = d.s.nodes
    return (d.s.brain.request_info(request_id), tuple(nodes.stake_of(a) for a in d.accounts),
            tuple(nodes.credit(a) for a in d.accounts), d.s.brain.queue_length(), d.s.brain.in_flight())


class TestRound:
    def test_round_honestCommittee_finalizesRightOutputAndCallsBack(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        assert len(members) == CONFIG.committee_size
        votes = {m: RIGHT for m in members}
        driver.reveal(rid, votes, driver.commit(rid, votes))
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).result == RIGHT and r.one(ev.Finalized).votes == 5
        assert r.one(ev.CallbackExecuted).success
        assert r.one(ev.ResultReceived).result == RIGHT
        assert driver.s.consumer.result_of(driver.s.brain.address, rid) == RIGHT
        assert driver.s.brain.status(rid) == Status.FINALIZED
        assert not r.of(ev.Slashed)
        fee = ETHER // 100
        assert {e.node for e in r.of(ev.Rewarded)} == {m.address for m in members}
        assert sum(e.amount for e in r.of(ev.Rewarded)) == fee
        assert driver.s.brain.in_flight() == 0

    def test_round_dishonestMinority_isOutvotedAndSlashed(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: (WRONG if i < 2 else RIGHT) for i, m in enumerate(members)}
        stakes = {m.address: driver.s.nodes.stake_of(m.address) for m in members}
        driver.reveal(rid, votes, driver.commit(rid, votes))
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).result == RIGHT and r.one(ev.Finalized).votes == 3
        liars = {m.address for m in members[:2]}
        assert {e.node for e in r.of(ev.Slashed)} == liars
        assert {e.node for e in r.of(ev.Rewarded)} == {m.address for m in members[2:]}
        for m in members:
            lost = CONFIG.slash_amount if m.address in liars else 0
            assert driver.s.nodes.stake_of(m.address) == stakes[m.address] - lost
        # the slashed stake goes to the majority together with the fee
        assert sum(e.amount for e in r.of(ev.Rewarded)) == ETHER // 100 + 2 * CONFIG.slash_amount

    def test_round_dishonestMajority_winsAndSlashesHonestMinority(self, driver: Driver):
        # What the protocol does when the majority lies: it cannot tell, the lie is final and the
        # honest minority is slashed. BRAIN's security rests on an honest majority of stake.
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: (WRONG if i < 3 else RIGHT) for i, m in enumerate(members)}
        driver.reveal(rid, votes, driver.commit(rid, votes))
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).result == WRONG
        assert driver.s.consumer.result_of(driver.s.brain.address, rid) == WRONG
        assert {e.node for e in r.of(ev.Slashed)} == {m.address for m in members[3:]}

    def test_round_splitVotes_timesOutAndRefunds(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = dict(zip(members, [RIGHT, RIGHT, WRONG, WRONG, OTHER]))
        driver.reveal(rid, votes, driver.commit(rid, votes))
        r = driver.s.brain.finalize(rid)  # everyone revealed: the outcome cannot change any more
        refund = ETHER // 100 + driver.s.brain.request_info(rid).allowance  # no callback ran: its allowance back
        assert r.one(ev.TimedOut).refund == refund
        assert r.one(ev.Refunded).account == driver.user.address and not r.of(ev.Slashed)
        assert driver.s.brain.status(rid) == Status.TIMED_OUT
        assert driver.s.consumer.received() == 0
        before = driver.chain.balance(driver.user.address)
        claim = driver.s.nodes.claim(sender=driver.user)
        assert claim.one(ev.Claimed).amount == refund
        assert driver.chain.balance(driver.user.address) > before

    def test_round_silentMembers_timeOutAndAreSlashed(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members[:2]}  # 2 of 5: no quorum
        salts = driver.commit(rid, votes)
        info = driver.s.brain.request_info(rid)
        driver.mine_past(info.commit_deadline)
        with pytest.raises(E.RevealWindowOpen):
            driver.s.brain.finalize(rid)  # the two committed members may still reveal
        driver.reveal(rid, votes, salts)
        r = driver.s.brain.finalize(rid)  # no commitment left to reveal: settled before the deadline
        assert driver.s.brain.status(rid) == Status.TIMED_OUT
        assert {e.node for e in r.of(ev.Slashed)} == {m.address for m in members[2:]}
        # The fee back to the requester; the silent members' stake to the treasury, never to the requester.
        assert r.one(ev.Refunded).amount == ETHER // 100 + driver.s.brain.request_info(rid).allowance
        assert r.one(ev.Forfeited).amount == 3 * CONFIG.slash_amount
        assert r.one(ev.Forfeited).treasury == driver.s.nodes.treasury

    def test_round_committedButNotRevealed_isSlashed(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members}
        salts = driver.commit(rid, votes)
        driver.reveal(rid, dict(list(votes.items())[:4]), salts)
        with pytest.raises(E.RevealWindowOpen):
            driver.s.brain.finalize(rid)
        driver.mine_past(driver.s.brain.request_info(rid).reveal_deadline)
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).votes == 4
        assert [e.node for e in r.of(ev.Slashed)] == [members[4].address]


class TestCallback:
    def test_finalize_tooLittleGasForCallback_revertsAndChangesNothing(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members}
        driver.reveal(rid, votes, driver.commit(rid, votes))
        before = state_of(driver, rid)
        enough = driver.s.brain.contract.functions.finalize(rid).estimate_gas({"from": driver.chain.accounts[0].address})
        with pytest.raises(E.InsufficientGasForCallback) as err:
            driver.s.brain.finalize(rid, gas=enough - 60_000)  # enough for the settlement, not the callback
        assert err.value.requestId == rid
        assert state_of(driver, rid) == before
        assert driver.s.brain.finalize(rid).one(ev.CallbackExecuted).success

    def test_finalize_consumerReverts_stillSettles(self, driver: Driver):
        from contracts.bindings import ExampleConsumer
        refusing = ExampleConsumer(driver.chain, driver.chain.deploy("ExampleConsumer", []))
        rid = driver.s.brain.request(driver.model_id, b"x", fee=CONFIG.min_fee, sender=driver.user,
                                     consumer=refusing.address, callback_gas=50_000).one(ev.Requested).request_id
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members}
        driver.reveal(rid, votes, driver.commit(rid, votes))
        r = driver.s.brain.finalize(rid)
        assert r.one(ev.Finalized).result == RIGHT and not r.one(ev.CallbackExecuted).success
        assert driver.s.brain.status(rid) == Status.FINALIZED


class TestBadInput:
    def test_reveal_notMatchingCommit_revertsNamedAndChangesNothing(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members}
        salts = driver.commit(rid, votes)
        before = state_of(driver, rid)
        with pytest.raises(E.RevealMismatch) as err:
            driver.s.brain.reveal(rid, WRONG, salts[members[0].address], sender=members[0])
        assert err.value.requestId == rid and err.value.member == members[0].address
        assert f"request {rid}" in str(err.value) and members[0].address in str(err.value)
        # the same transaction sent with explicit gas is mined, fails, and raises the same error
        with pytest.raises(E.RevealMismatch):
            driver.s.brain.reveal(rid, WRONG, salts[members[0].address], sender=members[0], gas=300_000)
        assert state_of(driver, rid) == before

    def test_commit_afterWindow_reverts(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        driver.mine_past(driver.s.brain.request_info(rid).commit_deadline)
        before = state_of(driver, rid)
        with pytest.raises(E.CommitWindowClosed) as err:
            driver.s.brain.commit(rid, commitment(RIGHT, members[0].address, new_salt()), sender=members[0])
        assert err.value.requestId == rid
        assert state_of(driver, rid) == before

    def test_reveal_beforeWindow_reverts(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members[:3]}
        salts = driver.commit(rid, votes)
        before = state_of(driver, rid)
        with pytest.raises(E.RevealWindowNotOpen):
            driver.s.brain.reveal(rid, RIGHT, salts[members[0].address], sender=members[0])
        assert state_of(driver, rid) == before

    def test_reveal_afterWindow_reverts(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        votes = {m: RIGHT for m in members}
        salts = driver.commit(rid, votes)
        driver.mine_past(driver.s.brain.request_info(rid).reveal_deadline)
        before = state_of(driver, rid)
        with pytest.raises(E.RevealWindowClosed):
            driver.s.brain.reveal(rid, RIGHT, salts[members[0].address], sender=members[0])
        assert state_of(driver, rid) == before

    def test_commit_nonMember_reverts(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        outsiders = [a for a in driver.chain.accounts[1:9] if a not in members] + [driver.user]
        before = state_of(driver, rid)
        for outsider in outsiders:
            with pytest.raises(E.NotCommitteeMember) as err:
                driver.s.brain.commit(rid, commitment(RIGHT, outsider.address, new_salt()), sender=outsider)
            assert err.value.member == outsider.address
        assert state_of(driver, rid) == before

    def test_commit_twice_reverts(self, driver: Driver):
        rid = driver.request()
        members = driver.dispatch(rid)
        driver.commit(rid, {members[0]: RIGHT})
        before = state_of(driver, rid)
        with pytest.raises(E.AlreadyCommitted):
            driver.s.brain.commit(rid, commitment(WRONG, members[0].address, new_salt()), sender=members[0])
        assert state_of(driver, rid) == before

    def test_commit_beforeDispatch_reverts(self, driver: Driver):
        rid = driver.request()
        member = driver.chain.accounts[1]
        with pytest.raises(E.RequestNotActive):
            driver.s.brain.commit(rid, commitment(RIGHT, member.address, new_salt()), sender=member)
        with pytest.raises(E.UnknownRequest):
            driver.s.brain.commit(999, commitment(RIGHT, member.address, new_salt()), sender=member)

    def test_request_badFeeOrModel_reverts(self, driver: Driver):
        with pytest.raises(E.FeeTooLow) as err:
            driver.request(fee=CONFIG.min_fee - 1, consumer=False)
        assert err.value.minFee == CONFIG.min_fee
        allowance = driver.s.brain.callback_allowance(driver.s.consumer.address, 100_000)
        with pytest.raises(E.FeeTooLow) as err:  # a request with a callback pays its allowance besides the fee
            driver.request(fee=CONFIG.min_fee - 1)
        assert err.value.minFee == CONFIG.min_fee + allowance and err.value.fee == CONFIG.min_fee - 1 + allowance
        with pytest.raises(E.UnknownModel):
            driver.s.brain.request(b"\x09" * 32, b"x", fee=CONFIG.min_fee, sender=driver.user)
        with pytest.raises(E.MissingInput):
            driver.request(input=b"")
        with pytest.raises(E.CallbackGasTooHigh):
            driver.s.brain.request(driver.model_id, b"x", fee=CONFIG.min_fee, sender=driver.user,
                                   consumer=driver.s.consumer.address, callback_gas=CONFIG.max_callback_gas + 1)
        assert driver.s.brain.queue_length() == 0

    def test_dispatch_seedBlockNotMined_reverts(self, driver: Driver):
        driver.request()
        with pytest.raises(E.NothingToDispatch):
            driver.s.brain.dispatch(1)


class TestQueueAndCommittee:
    def test_queue_dispatchesHighestFeeFirst_manyInFlight(self, driver: Driver):
        fees = [2, 5, 3, 5, 1]
        ids = [driver.request(fee=f * CONFIG.min_fee) for f in fees]
        driver.chain.mine(1)
        order = []
        for _ in fees:
            order += [d.request_id for d in driver.s.brain.dispatch(1).of(ev.Dispatched)]
        assert order == [ids[1], ids[3], ids[2], ids[0], ids[4]]  # by fee, ties oldest first
        assert driver.s.brain.in_flight() == len(fees)

    def test_committee_isMemberMatchesDrawAndSeedFromLaterBlock(self, driver: Driver):
        rid = driver.request()
        driver.chain.mine(1)
        d = driver.s.brain.dispatch(1).one(ev.Dispatched)
        info = driver.s.brain.request_info(rid)
        block = driver.chain.w3.eth.get_block(info.request_block + 1)
        from eth_utils import keccak
        assert d.seed == keccak(bytes(block["hash"]) + rid.to_bytes(32, "big"))
        assert driver.s.nodes.draw_committee(d.seed, CONFIG.committee_size, info.request_block) == d.committee
        assert d.committee == info.committee
        committee = driver.s.brain.committee(rid)
        for account in driver.chain.accounts[1:12]:
            assert driver.s.brain.is_member(rid, account.address) == (account.address in committee)

    def test_committee_drawInProportionToStake(self, driver: Driver):
        # node 0 tops up to 10x the others' stake: it is in nearly every draw of 5 of 8
        nodes = driver.s.nodes
        heavy = driver.chain.accounts[1]
        nodes.register(18 * ETHER, sender=heavy)
        driver.chain.mine(1)  # draws read the stakes of a finished block
        hits = sum(nodes.draw_committee(bytes([i]) * 32, 1) == 1 << nodes.index_of(heavy.address) for i in range(60))
        assert hits > 30  # expected 60 * 20/34 = 35; a uniform draw would give 7.5

    def test_committee_withdrawingNodeIsNeverDrawn(self, driver: Driver):
        nodes = driver.s.nodes
        leaver = driver.chain.accounts[2]
        nodes.request_withdrawal(sender=leaver)
        driver.chain.mine(1)
        bit = 1 << nodes.index_of(leaver.address)
        assert all(nodes.draw_committee(bytes([i]) * 32, 5) & bit == 0 for i in range(20))
        with pytest.raises(E.WithdrawalLocked):
            nodes.withdraw(sender=leaver)
        driver.chain.mine(CONFIG.withdrawal_delay)
        r = nodes.withdraw(sender=leaver)
        assert r.one(ev.Withdrawn).amount == 2 * ETHER
        assert nodes.stake_of(leaver.address) == 0


class TestNodeRegistry:
    def test_register_belowMinStake_reverts(self, system):
        newcomer = system.chain.accounts[20]
        with pytest.raises(E.StakeTooLow) as err:
            system.nodes.register(ETHER // 2, sender=newcomer)
        assert err.value.node == newcomer.address
        with pytest.raises(E.UnknownNode):
            system.nodes.index_of(newcomer.address)

    def test_settle_onlyAuthorized(self, system):
        with pytest.raises(E.NotAuthorized):
            system.nodes._tx("settle", 1, 0, 0, 0, system.chain.accounts[0].address, sender=system.chain.accounts[3])
        with pytest.raises(E.NotAuthorized):
            system.nodes.authorize(system.chain.accounts[3].address, sender=system.chain.accounts[3])

    def test_claim_nothing_reverts(self, system):
        with pytest.raises(E.NothingToClaim):
            system.nodes.claim(sender=system.chain.accounts[21])
