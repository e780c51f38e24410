"""Batched rounds (Brain.dispatchBatch): one committee, one commitment and one reveal per member for many
requests, each request still settled on its own exactly as the unbatched path settles it.

Three nodes of the test system leave the committees, so exactly five are eligible and both paths draw the
same committee (all five): the same member behaviours then must give the same statuses, results, callbacks,
slashes, rewards, refunds and forfeits, request by request.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from contracts import errors as E
from contracts import events as ev
from contracts.bindings import Status, commitment, new_salt
from contracts.bindings.brain import batch_commitment

from .conftest import CONFIG, NODES, Driver

EMBEDDED = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
RIGHT, WRONG, OTHER = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32
MONEY = (ev.Slashed, ev.Rewarded, ev.Refunded, ev.Forfeited, ev.Finalized, ev.TimedOut, ev.CallbackExecuted)


def five_eligible(d: Driver) -> list:
    """Nodes 6..8 ask to withdraw: the committee is nodes 1..5, whoever draws it."""
    for a in d.chain.accounts[6:1 + NODES]:
        d.s.nodes.request_withdrawal(sender=a)
    d.chain.mine(1)
    return d.chain.accounts[1:6]


def behaviours(members: list, n: int) -> dict:
    """member -> its vote on each of n requests (None: silent): one liar, one silent member, and on the
    last request an honest member that disagrees, so that request has no quorum and times out."""
    liar, silent, a, b, c = members
    return {liar: [WRONG] * n, silent: None, a: [RIGHT] * n, b: [RIGHT] * n, c: [RIGHT] * (n - 1) + [OTHER]}


def outcome(d: Driver, receipts: list, members: list, rids: list) -> tuple:
    """The money moved, stakes and credits, less the callback allowances (each request's is its callbackGas at
    its own block's base fee, which differs between the runs): a timed-out request's refund counts without it,
    and the finalizer (accounts[0]) must have been paid exactly the finalized requests' allowances."""
    n = d.s.nodes
    info = {rid: d.s.brain.request_info(rid) for rid in rids}
    timed_out = [rid for rid in rids if info[rid].status == Status.TIMED_OUT]
    back = sum(info[rid].allowance for rid in timed_out)
    finalizer = d.chain.accounts[0].address
    paid = sum(e.amount for r in receipts for e in r.of(ev.Refunded) if e.account == finalizer)
    assert paid == sum(info[rid].allowance for rid in rids if rid not in timed_out) > 0
    def plain(e):
        if isinstance(e, ev.TimedOut):
            return replace(e, refund=e.refund - info[e.request_id].allowance)
        if isinstance(e, ev.Refunded):
            return replace(e, amount=e.amount - info[e.request_id].allowance)
        return e
    money = sorted((type(e).__name__, *(v for k, v in vars(plain(e)).items() if k not in ("emitter", "block_number")))
                   for r in receipts for e in r.events if isinstance(e, MONEY)
                   and not (isinstance(e, ev.Refunded) and e.account == finalizer))
    accounts = [a.address for a in members] + [d.user.address, n.treasury]
    credits = tuple(n.credit(a) - (back if a == d.user.address else 0) for a in accounts)
    return money, tuple(n.stake_of(a.address) for a in members), credits


def unbatched(d: Driver, n: int, votes: dict) -> tuple[list, list]:
    """Each request in its own round, one after another (each waits less than the queue timeout, every
    commitment fits its commit window)."""
    rids = []
    for t in range(n):
        rids.append(rid := d.request())
        d.chain.mine(1)
        d.s.brain.dispatch(1)
        salts = {}
        for m, vs in votes.items():
            if vs is not None:
                salts[m.address] = s = new_salt()
                d.s.brain.commit(rid, commitment(vs[t], m.address, s), sender=m)
        d.mine_past(d.s.brain.request_info(rid).commit_deadline)
        for m, vs in votes.items():
            if vs is not None:
                d.s.brain.reveal(rid, vs[t], salts[m.address], sender=m)
        d.mine_past(d.s.brain.request_info(rid).reveal_deadline)
    return [d.s.brain.finalize(rid) for rid in rids], rids


def batched(d: Driver, votes: dict) -> tuple[list, int, list]:
    d.chain.mine(1)
    r = d.s.brain.dispatch_batch(8)
    b = r.one(ev.BatchDispatched)
    ids = list(b.request_ids)
    salts = {}
    for m, vs in votes.items():
        if vs is not None:
            salts[m.address] = s = new_salt()
            d.s.brain.commit_batch(b.batch_id, batch_commitment(vs, m.address, s), sender=m)
    d.mine_past(b.commit_deadline)
    for m, vs in votes.items():
        if vs is not None:
            d.s.brain.reveal_batch(b.batch_id, vs, salts[m.address], sender=m)
    d.mine_past(b.reveal_deadline)
    index = {a.address: d.s.nodes.index_of(a.address) for a in votes}
    lists = [vs for m, vs in sorted(votes.items(), key=lambda kv: index[kv[0].address]) if vs is not None]
    return [d.s.brain.finalize_batch(b.batch_id, ids, lists)], b.batch_id, ids


@EMBEDDED
def test_batch_liarSilentAndTimeout_settleEachRequestAsUnbatched(driver: Driver):
    members = five_eligible(driver)
    snap = driver.chain.snapshot()
    votes = behaviours(members, 3)
    receipts, rids = unbatched(driver, 3, votes)
    plain = outcome(driver, receipts, members, rids)
    statuses = [driver.s.brain.status(rid) for rid in rids]
    driver.chain.revert(snap)
    assert [driver.request() for _ in range(3)] == rids
    receipts, batch_id, ids = batched(driver, votes)
    assert ids == rids  # equal fees: oldest first, as dispatch pops them
    assert [driver.s.brain.status(rid) for rid in rids] == statuses == [Status.FINALIZED] * 2 + [Status.TIMED_OUT]
    assert outcome(driver, receipts, members, rids) == plain
    assert driver.s.brain.in_flight() == 0 and driver.chain.balance(driver.s.brain.address) == 0
    assert driver.s.nodes.open_rounds(members[0].address) == 0  # the batch's one lock is released
    assert driver.s.brain.batch_info(batch_id).settled


@EMBEDDED
def test_batch_refusals_nameTheCondition(driver: Driver):
    members = five_eligible(driver)
    rids = [driver.request() for _ in range(2)]
    driver.chain.mine(1)
    b = driver.s.brain.dispatch_batch(8).one(ev.BatchDispatched)
    m = members[0]
    # INVARIANT: a batched request is served only through its batch.
    with pytest.raises(E.RequestNotActive):
        driver.s.brain.commit(rids[0], commitment(RIGHT, m.address, new_salt()), sender=m)
    with pytest.raises(E.RequestNotActive):
        driver.s.brain.finalize(rids[0])
    with pytest.raises(E.UnknownBatch):
        driver.s.brain.commit_batch(b.batch_id + 1, b"\0" * 32, sender=m)
    with pytest.raises(E.NotCommitteeMember):
        driver.s.brain.commit_batch(b.batch_id, b"\0" * 32, sender=driver.user)
    salts = {}
    for a in members:
        salts[a.address] = s = new_salt()
        driver.s.brain.commit_batch(b.batch_id, batch_commitment([RIGHT, RIGHT], a.address, s), sender=a)
    with pytest.raises(E.AlreadyCommitted):
        driver.s.brain.commit_batch(b.batch_id, b"\0" * 32, sender=m)
    with pytest.raises(E.BatchMismatch):  # one result per request
        driver.s.brain.reveal_batch(b.batch_id, [RIGHT], salts[m.address], sender=m)
    with pytest.raises(E.RevealMismatch):
        driver.s.brain.reveal_batch(b.batch_id, [RIGHT, WRONG], salts[m.address], sender=m)
    with pytest.raises(E.RevealWindowOpen):
        driver.s.brain.finalize_batch(b.batch_id, rids, [])
    for a in members:
        driver.s.brain.reveal_batch(b.batch_id, [RIGHT, RIGHT], salts[a.address], sender=a)
    with pytest.raises(E.BatchMismatch):  # not the batch's requests
        driver.s.brain.finalize_batch(b.batch_id, rids[::-1], [[RIGHT, RIGHT]] * 5)
    with pytest.raises(E.BatchMismatch):  # not the members' revealed lists
        driver.s.brain.finalize_batch(b.batch_id, rids, [[RIGHT, WRONG]] + [[RIGHT, RIGHT]] * 4)
    with pytest.raises(E.BatchMismatch):  # a revealed member's list left out
        driver.s.brain.finalize_batch(b.batch_id, rids, [[RIGHT, RIGHT]] * 4)
    r = driver.s.brain.finalize_batch(b.batch_id, rids, [[RIGHT, RIGHT]] * 5)
    assert [e.result for e in r.of(ev.Finalized)] == [RIGHT, RIGHT]
    with pytest.raises(E.BatchSettled):
        driver.s.brain.finalize_batch(b.batch_id, rids, [[RIGHT, RIGHT]] * 5)


@EMBEDDED
@pytest.mark.parametrize("path", ["dispatch", "dispatch_batch"])
def test_queuedPastTheTimeout_expiredAndRefunded_onTheWayToTheLiveRequests(driver: Driver, path: str):
    """Both dispatch paths start at one queue walk (Brain._liveTop): requests outbid for longer than
    queueTimeout above the live ones expire, refunded in full, and the live request behind them is served."""
    old = [driver.request(fee=CONFIG.min_fee * 100) for _ in range(2)]  # the higher fee: on top of the queue
    driver.mine_past(driver.chain.block_number + CONFIG.queue_timeout)
    fresh = driver.request()
    driver.chain.mine(1)
    r = getattr(driver.s.brain, path)(8)
    assert sorted(e.request_id for e in r.of(ev.TimedOut)) == old
    assert [driver.s.brain.status(rid) for rid in old] == [Status.TIMED_OUT] * 2
    served = [e.request_id for e in r.of(ev.Dispatched)] or [i for e in r.of(ev.BatchDispatched) for i in e.request_ids]
    assert served == [fresh]
    # nothing is left to walk: a second call finds the queue empty
    with pytest.raises(E.NothingToDispatch):
        getattr(driver.s.brain, path)(8)
