"""The Round library's window and payout rules over any interleaving of Brain rounds (Hypothesis state
machine, embedded chain).

Requests, dispatches, commits, declines, reveals, blocks mined and finalizes come in any order, over
several rounds at once. Every step the contract takes or refuses is the one `contracts.round.due` (the
rules written once in Python) says is due, so the Python duty and Round.sol agree. Every settlement pays
what the money rule says (DESIGN.md section 9): a standing majority shares the fee and the minority's
slash, the silent are slashed to the treasury, a timed-out request's fee goes back to its requester, an
unservable one's to the treasury. Invariants after every step: Brain holds exactly the fees of its open
requests, and the registry's balance covers every stake and credit it owes.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from contracts import events as ev
from contracts.abi import ContractRevert
from contracts.bindings import Status, commitment, new_salt
from contracts.bindings.brain import DeclineReason
from contracts.deploy import ETHER
from contracts.round import Duty, RoundView, due

from .conftest import CONFIG, NODES, Driver

EMBEDDED = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
VOTES = (b"\x11" * 32, b"\x22" * 32)
FEES = (ETHER // 100, ETHER // 50, 3 * ETHER // 100)


class Rounds(RuleBasedStateMachine):
    d: Driver  # set by the test

    def __init__(self):
        super().__init__()
        self.snap = self.d.chain.snapshot()
        s = self.d.s
        self.brain, self.nodes = s.brain, s.nodes
        self.node_accounts = [self.d.chain.accounts[i] for i in range(1, 1 + NODES)]
        self.index = {a.address: self.nodes.index_of(a.address) for a in self.node_accounts}
        self.users = [self.d.chain.accounts[10], self.d.chain.accounts[11]]
        self.treasury = self.nodes.treasury
        self.owed_accounts = [a.address for a in self.node_accounts + self.users] + [self.treasury]
        self.slack = self._registry_slack()
        self.fees: dict[int, int] = {}  # open requests (queued or dispatched): fee
        self.queued: list[int] = []
        self.open: list[int] = []  # dispatched, not settled
        self.votes: dict[tuple[int, str], tuple[bytes, bytes]] = {}  # (rid, member) -> (vote, salt)

    # ------------------------------------------------------------ helpers

    def _registry_slack(self) -> int:
        owed = sum(self.nodes.stake_of(a.address) for a in self.node_accounts)
        owed += sum(self.nodes.credit(a) for a in self.owed_accounts)
        return self.d.chain.balance(self.nodes.address) - owed

    def _view(self, rid: int) -> RoundView:
        return RoundView.of(self.brain.request_info(rid), CONFIG.committee_size)

    def _members(self, rid: int) -> list:
        return [self.d.accounts[a] for a in self.brain.committee(rid)]

    def _try(self, expected: bool, fn):
        """Runs `fn`; it must succeed exactly when `expected` (refused: a named error, nothing changed)."""
        try:
            r = fn()
        except ContractRevert as e:
            assert not expected, f"refused what is due: {type(e).__name__}: {e}"
            return None
        assert expected, "took what is not due"
        return r

    def _ledger(self) -> tuple[dict, dict]:
        return ({a: self.nodes.stake_of(a.address) for a in self.node_accounts},
                {a: self.nodes.credit(a) for a in self.owed_accounts})

    # ------------------------------------------------------------ rules

    @rule(fee=st.sampled_from(FEES), user=st.integers(0, 1))
    def request(self, fee, user):
        rid = self.d.request(fee, user=self.users[user], consumer=False)
        self.fees[rid] = fee
        self.queued.append(rid)

    @precondition(lambda self: self.queued)
    @rule()
    def dispatch(self):
        self.d.chain.mine(1)
        r = self.brain.dispatch(8)
        for e in r.of(ev.Dispatched):
            self.queued.remove(e.request_id)
            self.open.append(e.request_id)
        for e in r.of(ev.TimedOut):  # too few nodes or queued too long: refunded
            self.queued.remove(e.request_id)
            del self.fees[e.request_id]

    @rule(n=st.integers(1, 6))
    def mine(self, n):
        self.d.chain.mine(n)

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 63), j=st.integers(0, 4), vote=st.sampled_from(VOTES))
    def commit(self, i, j, vote):
        rid = self.open[i % len(self.open)]
        m = self._members(rid)[j]
        expected = Duty.COMMIT in due(self._view(rid), self.index[m.address], self.d.chain.block_number)
        salt = new_salt()
        if self._try(expected, lambda: self.brain.commit(rid, commitment(vote, m.address, salt), sender=m)):
            self.votes[rid, m.address] = (vote, salt)

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 63), j=st.integers(0, 4))
    def decline(self, i, j):
        rid = self.open[i % len(self.open)]
        m = self._members(rid)[j]
        expected = Duty.COMMIT in due(self._view(rid), self.index[m.address], self.d.chain.block_number)
        stakes, credits = self._ledger()
        r = self._try(expected, lambda: self.brain.decline(rid, DeclineReason.INPUT, sender=m))
        if r is not None and r.of(ev.Unservable):
            # INVARIANT: an unservable request's fee is forfeited; nobody's stake moves.
            assert self.brain.status(rid) == Status.UNSERVABLE
            after_stakes, after_credits = self._ledger()
            assert after_stakes == stakes
            assert after_credits[self.treasury] - credits[self.treasury] == self.fees[rid]
            self.open.remove(rid)
            del self.fees[rid]

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 63), j=st.integers(0, 4))
    def reveal(self, i, j):
        rid = self.open[i % len(self.open)]
        m = self._members(rid)[j]
        expected = Duty.REVEAL in due(self._view(rid), self.index[m.address], self.d.chain.block_number)
        vote, salt = self.votes.get((rid, m.address), (VOTES[0], b"\0" * 32))
        self._try(expected, lambda: self.brain.reveal(rid, vote, salt, sender=m))

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 63))
    def finalize(self, i):
        rid = self.open[i % len(self.open)]
        view = self._view(rid)
        info = self.brain.request_info(rid)
        expected = Duty.FINALIZE in due(view, None, self.d.chain.block_number)
        stakes, credits = self._ledger()
        if self._try(expected, lambda: self.brain.finalize(rid)) is None:
            return
        self.open.remove(rid)
        fee = self.fees.pop(rid)
        after_stakes, after_credits = self._ledger()
        slash = CONFIG.slash_amount
        revealed = {a: self.votes[rid, a.address][0] for a in self.node_accounts
                    if view.revealed >> self.index[a.address] & 1}
        silent = [a for a in self.node_accounts if view.silent() >> self.index[a.address] & 1]
        tally = {v: sum(1 for x in revealed.values() if x == v) for v in VOTES}
        winner = max(VOTES, key=lambda v: tally[v])
        stands = tally[winner] * 10_000 > CONFIG.committee_size * CONFIG.quorum_bps
        majority = sorted((a for a, v in revealed.items() if stands and v == winner), key=lambda a: self.index[a.address])
        wrong = [a for a, v in revealed.items() if stands and v != winner]
        assert self._registry_slack() == self.slack
        lost = {a: stakes[a] - after_stakes[a] for a in self.node_accounts}
        gained = {a: after_credits[a] - credits[a] for a in self.owed_accounts}
        # INVARIANT: the silent and the wrong lose one slash each; nobody else loses stake.
        for a in self.node_accounts:
            assert lost[a] == (slash if a in silent or a in wrong else 0)
        # INVARIANT: silence pays the treasury, all of it and nothing else.
        assert gained[self.treasury] == slash * len(silent)
        requester = info.requester
        if stands:
            assert self.brain.status(rid) == Status.FINALIZED
            pot = fee + slash * len(wrong)
            share = pot // len(majority)
            for n, a in enumerate(majority):
                assert gained[a.address] == share + (pot - share * len(majority) if n == 0 else 0)
            assert gained[requester] == 0
        else:
            # INVARIANT: no standing result: the fee goes back to the requester, never anyone's stake.
            assert self.brain.status(rid) == Status.TIMED_OUT
            assert gained[requester] == fee
            assert all(gained[a.address] == 0 for a in self.node_accounts)

    # ------------------------------------------------------------ invariants

    @invariant()
    def brain_holds_open_fees(self):
        # INVARIANT: Brain holds exactly the fees of the requests it may still refund or pay out.
        assert self.d.chain.balance(self.brain.address) == sum(self.fees.values())

    def teardown(self):
        # INVARIANT: every stake and credit is backed by ETH the registry holds (nothing else moves it here);
        # checked after each settlement too.
        try:
            assert self._registry_slack() == self.slack
        finally:
            self.d.chain.revert(self.snap)

    @invariant()
    def in_flight_counts_open_rounds(self):
        assert self.brain.in_flight() == len(self.open)


@EMBEDDED
def test_rounds_anyInterleaving_windowsPayoutsAndBalancesHold(driver: Driver):
    Rounds.d = driver
    run_state_machine_as_test(Rounds, settings=settings(
        max_examples=8, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
