"""The Round library's window and payout rules over any interleaving of Brain rounds, single and batched
(Hypothesis state machine, embedded chain).

Requests, dispatches, commits, declines, reveals, blocks mined and finalizes come in any order, over
several rounds at once, and so do batches (dispatchBatch, commitBatch, revealBatch, finalizeBatch), whose
every request must settle as it would have in a round of its own. Every step the contract takes or refuses is the one `contracts.round.due` (the
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
from contracts.bindings.brain import DeclineReason, batch_commitment
from contracts.deploy import ETHER
from contracts.round import Duty, Rounds, RoundView, due

from .conftest import CONFIG, NODES, Driver

EMBEDDED = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
VOTES = (b"\x11" * 32, b"\x22" * 32)
FEES = (ETHER // 100, ETHER // 50, 3 * ETHER // 100)


class RoundsMachine(RuleBasedStateMachine):
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
        self.batches: dict[int, list[int]] = {}  # open batches: their requests
        self.batch_votes: dict[tuple[int, str], tuple[list, bytes]] = {}  # (batch, member) -> (results, salt)
        self.rounds = Rounds(CONFIG.committee_size, self.index)  # batches' rounds, from their events

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
        revealed = {a: self.votes[rid, a.address][0] for a in self.node_accounts
                    if view.revealed >> self.index[a.address] & 1}
        lost, gained, stands = self._expected(fee, info.requester, revealed, view.silent())
        assert self.brain.status(rid) == (Status.FINALIZED if stands else Status.TIMED_OUT)
        self._check_ledger(stakes, credits, lost, gained)

    def _expected(self, fee: int, requester: str, revealed: dict, silent_set: int) -> tuple[dict, dict, bool]:
        """What settling one request must move by the money rule: stake lost per node, credit gained per account."""
        slash = CONFIG.slash_amount
        silent = [a for a in self.node_accounts if silent_set >> self.index[a.address] & 1]
        tally = {v: sum(1 for x in revealed.values() if x == v) for v in VOTES}
        winner = max(VOTES, key=lambda v: tally[v])
        stands = tally[winner] * 10_000 > CONFIG.committee_size * CONFIG.quorum_bps
        majority = sorted((a for a, v in revealed.items() if stands and v == winner), key=lambda a: self.index[a.address])
        wrong = [a for a, v in revealed.items() if stands and v != winner]
        # INVARIANT: the silent and the wrong lose one slash each; nobody else loses stake.
        lost = {a: slash if a in silent or a in wrong else 0 for a in self.node_accounts}
        # INVARIANT: silence pays the treasury, all of it and nothing else.
        gained = dict.fromkeys(self.owed_accounts, 0) | {self.treasury: slash * len(silent)}
        if stands:  # the fee and the wrong answers' slash pay the majority (the remainder to its lowest index)
            pot = fee + slash * len(wrong)
            share = pot // len(majority)
            for n, a in enumerate(majority):
                gained[a.address] += share + (pot - share * len(majority) if n == 0 else 0)
        else:  # INVARIANT: no standing result: the fee goes back to the requester, never anyone's stake.
            gained[requester] += fee
        return lost, gained, stands

    def _check_ledger(self, stakes: dict, credits: dict, lost: dict, gained: dict) -> None:
        assert self._registry_slack() == self.slack
        after_stakes, after_credits = self._ledger()
        assert {a: stakes[a] - after_stakes[a] for a in self.node_accounts} == lost
        assert {a: after_credits[a] - credits[a] for a in self.owed_accounts} == gained

    # ------------------------------------------------------------ batches: one round for many requests

    @precondition(lambda self: self.queued)
    @rule()
    def dispatch_batch(self):
        self.d.chain.mine(1)
        r = self.brain.dispatch_batch(8)
        for e in r.events:
            self.rounds.fold(e)
        for e in r.of(ev.BatchDispatched):
            for rid in e.request_ids:
                self.queued.remove(rid)
            self.batches[e.batch_id] = list(e.request_ids)
        for e in r.of(ev.TimedOut):
            self.queued.remove(e.request_id)
            del self.fees[e.request_id]

    def _batch_member(self, i: int, j: int):
        bid = sorted(self.batches)[i % len(self.batches)]
        view = self.rounds.views[bid]
        members = [a for a in self.node_accounts if view.member(self.index[a.address])]
        return bid, view, members[j % len(members)]

    @precondition(lambda self: self.batches)
    @rule(i=st.integers(0, 63), j=st.integers(0, 4), pattern=st.integers(0, 255))
    def commit_batch(self, i, j, pattern):
        bid, view, m = self._batch_member(i, j)
        results = [VOTES[pattern >> t & 1] for t in range(len(self.batches[bid]))]
        expected = Duty.COMMIT in due(view, self.index[m.address], self.d.chain.block_number)
        salt = new_salt()
        r = self._try(expected, lambda: self.brain.commit_batch(bid, batch_commitment(results, m.address, salt),
                                                                 sender=m))
        if r is not None:
            self.batch_votes[bid, m.address] = (results, salt)
            for e in r.events:
                self.rounds.fold(e)

    @precondition(lambda self: self.batches)
    @rule(i=st.integers(0, 63), j=st.integers(0, 4))
    def reveal_batch(self, i, j):
        bid, view, m = self._batch_member(i, j)
        expected = Duty.REVEAL in due(view, self.index[m.address], self.d.chain.block_number)
        results, salt = self.batch_votes.get((bid, m.address), ([VOTES[0]] * len(self.batches[bid]), b"\0" * 32))
        r = self._try(expected, lambda: self.brain.reveal_batch(bid, results, salt, sender=m))
        if r is not None:
            for e in r.events:
                self.rounds.fold(e)

    @precondition(lambda self: self.batches)
    @rule(i=st.integers(0, 63))
    def finalize_batch(self, i):
        bid = sorted(self.batches)[i % len(self.batches)]
        view, ids = self.rounds.views[bid], self.batches[bid]
        expected = Duty.FINALIZE in due(view, None, self.d.chain.block_number)
        revealers = sorted((a for a in self.node_accounts if view.revealed >> self.index[a.address] & 1),
                           key=lambda a: self.index[a.address])
        lists = [self.batch_votes[bid, a.address][0] for a in revealers]
        infos = {rid: self.brain.request_info(rid) for rid in ids}
        stakes, credits = self._ledger()
        r = self._try(expected, lambda: self.brain.finalize_batch(bid, ids, lists))
        if r is None:
            return
        for e in r.events:
            self.rounds.fold(e)
        del self.batches[bid]
        lost, gained = dict.fromkeys(self.node_accounts, 0), dict.fromkeys(self.owed_accounts, 0)
        for t, rid in enumerate(ids):  # INVARIANT: each request settles as it would have unbatched
            l1, g1, stands = self._expected(self.fees.pop(rid), infos[rid].requester,
                                            {a: lst[t] for a, lst in zip(revealers, lists)}, view.silent())
            assert self.brain.status(rid) == (Status.FINALIZED if stands else Status.TIMED_OUT)
            lost = {a: lost[a] + l1[a] for a in lost}
            gained = {a: gained[a] + g1[a] for a in gained}
        self._check_ledger(stakes, credits, lost, gained)

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
        assert self.brain.in_flight() == len(self.open) + sum(len(ids) for ids in self.batches.values())


@EMBEDDED
def test_rounds_anyInterleaving_windowsPayoutsAndBalancesHold(driver: Driver):
    RoundsMachine.d = driver
    run_state_machine_as_test(RoundsMachine, settings=settings(
        max_examples=8, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
