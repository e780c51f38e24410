"""Holdings and holders-only models (issue 22: committees drawn per shard among the nodes that hold it).

A node declares in NodeRegistry which model ids it holds, checkpointed by block; a model registered
holders-only has its Brain committees drawn only among its holders as of the request's block (the stakes'
rule: nothing done once the seed is public moves the committee); an ordinary model draws from everyone."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import errors as E
from contracts import events as ev
from contracts.bindings import Status, model_id_of
from contracts.bindings.nodes import draw
from contracts.deploy import ETHER

from .conftest import CONFIG, NODES, Driver

K = CONFIG.committee_size
SHARD_ROOTS = (b"\x05" * 32, b"\x06" * 32)
SHARD = model_id_of(*SHARD_ROOTS)
FIXTURES = [HealthCheck.function_scoped_fixture]


def node_accounts(d: Driver) -> list:
    return d.chain.accounts[1:1 + NODES]  # node i is account i + 1 (conftest registers them in order)


def holders_only(d: Driver) -> Driver:
    """`d` requesting the holders-only model SHARD (registered here)."""
    d.s.models.register_holders_only(*SHARD_ROOTS)
    return Driver(d.s, SHARD)


def declare(d: Driver, indices) -> int:
    for i in indices:
        d.s.nodes.declare_holding(SHARD, sender=node_accounts(d)[i])
    return sum(1 << i for i in indices)


def dispatched_committee(d: Driver, rid: int) -> int:
    d.chain.mine(1)
    return d.s.brain.dispatch(1).one(ev.Dispatched).committee


class TestRegistration:
    def test_registerHoldersOnly_flagFixedAndShown(self, system):
        models = system.models
        r = models.register_holders_only(*SHARD_ROOTS)
        assert r.one(ev.ModelRegistered).holders_only and models.holders_only(SHARD)
        assert models.model(SHARD).holders_only
        assert not models.holders_only(model_id_of(b"\x01" * 32, b"\x02" * 32))  # conftest's, ordinary
        # INVARIANT: the first registration fixes the rule; neither flag can register the id again.
        for register in (models.register, models.register_holders_only):
            with pytest.raises(E.ModelAlreadyRegistered):
                register(*SHARD_ROOTS)
        with pytest.raises(E.UnknownModel):
            models.holders_only(b"\x09" * 32)

    def test_declareHolding_unregisteredAccount_refused_andRepeatsAreNoOps(self, system):
        nodes, outsider, node = system.nodes, system.chain.accounts[15], system.chain.accounts[1]
        with pytest.raises(E.UnknownNode):
            nodes.declare_holding(SHARD, sender=outsider)
        assert nodes.declare_holding(SHARD, sender=node).one(ev.HoldingDeclared).model_id == SHARD
        assert not nodes.declare_holding(SHARD, sender=node).of(ev.HoldingDeclared)  # already held: nothing
        assert nodes.holds(SHARD, node.address) and nodes.holders_of(SHARD) == 1
        assert nodes.withdraw_holding(SHARD, sender=node).one(ev.HoldingWithdrawn).node == node.address
        assert not nodes.withdraw_holding(SHARD, sender=node).of(ev.HoldingWithdrawn)
        assert nodes.holders_of(SHARD) == 0 and not nodes.holds(SHARD, outsider.address)


class TestDrawAmong:
    @settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
    @given(seed=st.binary(min_size=32, max_size=32), among=st.integers(0, 2**NODES - 1), size=st.integers(1, NODES))
    def test_drawCommitteeAmong_anySeedAndSet_isTheOfflineDrawInsideTheSet(self, system, seed, among, size):
        nodes = system.nodes
        at = system.chain.block_number - 1
        stakes = [nodes.stake_at(i, at) for i in range(NODES)]
        if bin(among).count("1") < size:
            with pytest.raises(E.NotEnoughNodes):
                nodes.draw_committee_among(seed, size, among, at)
            return
        c = nodes.draw_committee_among(seed, size, among, at)
        assert c & ~among == 0 and bin(c).count("1") == size and c == draw(stakes, seed, size, among)
        # the whole registry: drawCommittee is drawCommitteeAmong(every node)
        assert nodes.draw_committee(seed, size, at) == nodes.draw_committee_among(seed, size, 2**256 - 1, at)


class TestHoldersOnlyRequests:
    @settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
    @given(holders=st.sets(st.integers(0, NODES - 1), min_size=K, max_size=NODES), extra=st.integers(0, 2**32))
    def test_dispatch_anySeedAndHolderSet_committeeOnlyHolders(self, deployed, holders, extra):
        chain = deployed.chain
        snap = chain.snapshot()
        try:
            d = holders_only(Driver(deployed, SHARD))
            among = declare(d, sorted(holders))
            chain.mine(extra % 3)  # another block, another seed
            rid = d.request()
            block = d.s.brain.request_info(rid).request_block
            stakes = [d.s.nodes.stake_at(i, block) for i in range(NODES)]
            committee = dispatched_committee(d, rid)
            # INVARIANT: a holders-only model's committee is drawn among its holders as of the request's block.
            assert committee & ~among == 0 and bin(committee).count("1") == K
            assert committee == draw(stakes, d.s.brain.seed_of(rid), K, among)
        finally:
            chain.revert(snap)

    def test_holdingDeclaredAfterRequest_doesNotCount(self, driver: Driver):
        d = holders_only(driver)
        early = declare(d, range(K))  # exactly K holders: the committee is all of them
        rid = d.request()
        declare(d, range(K, NODES))  # later holders: not in this request's draw
        assert d.s.nodes.holders_of(SHARD) == 2**NODES - 1
        assert dispatched_committee(d, rid) == early

    def test_holdingWithdrawnAfterRequest_stillCountsForIt_notForLaterOnes(self, driver: Driver):
        d = holders_only(driver)
        holders = declare(d, range(K))
        rid = d.request()
        d.s.nodes.withdraw_holding(SHARD, sender=node_accounts(d)[0])
        assert d.s.nodes.holders_at(SHARD, d.s.brain.request_info(rid).request_block) == holders
        later = d.request()
        d.chain.mine(1)
        r = d.s.brain.dispatch(2)
        assert r.one(ev.Dispatched).request_id == rid and r.one(ev.Dispatched).committee == holders
        # INVARIANT: too few holders with stake at the request's block: timed out and refunded, as NotEnoughNodes.
        assert r.one(ev.TimedOut).request_id == later and r.one(ev.Refunded).account == d.user.address
        assert d.s.brain.status(later) == Status.TIMED_OUT and d.s.brain.in_flight() == 1

    def test_notEnoughStakedHolders_timesOutAndRefunds(self, driver: Driver):
        d = holders_only(driver)
        declare(d, range(K))
        d.s.nodes.request_withdrawal(sender=node_accounts(d)[1])  # a holder without stake counts for nothing
        fee = ETHER // 100
        rid = d.request(fee)
        before = d.s.nodes.credit(d.user.address)
        d.chain.mine(1)
        r = d.s.brain.dispatch(1)
        paid = fee + d.s.brain.request_info(rid).allowance  # the callback allowance comes back too
        assert r.one(ev.TimedOut).request_id == rid and r.one(ev.Refunded).amount == paid
        assert d.s.nodes.credit(d.user.address) == before + paid and not r.of(ev.Dispatched)

    def test_holdersOnlyRound_servedAndFinalizedByHolders(self, driver: Driver):
        d = holders_only(driver)
        holders = declare(d, range(1, NODES))
        rid = d.request()
        members = [d.accounts[a] for a in d.s.nodes.accounts_of(dispatched_committee(d, rid))]
        assert all(holders >> d.s.nodes.index_of(m.address) & 1 for m in members)
        votes = {m: b"\x11" * 32 for m in members}
        d.reveal(rid, votes, d.commit(rid, votes))
        assert d.s.brain.finalize(rid).one(ev.Finalized).votes == K


class TestOrdinaryUnchanged:
    def test_ordinaryModel_holdingsIgnored_drawFromEveryone(self, driver: Driver):
        nodes = driver.s.nodes
        for a in node_accounts(driver)[:2]:  # holdings of an ordinary model do not restrict its draw
            nodes.declare_holding(driver.model_id, sender=a)
        rid = driver.request()
        block = driver.s.brain.request_info(rid).request_block
        stakes = [nodes.stake_at(i, block) for i in range(NODES)]
        assert dispatched_committee(driver, rid) == draw(stakes, driver.s.brain.seed_of(rid), K)


class TestBatches:
    def test_batch_holdersOnlyModel_batchedAlone_amongItsHolders(self, driver: Driver):
        d = holders_only(driver)
        holders = declare(d, range(2, NODES))
        ordinary = [driver.request(), driver.request()]
        shard = [d.request(), d.request()]
        tail = driver.request()
        d.chain.mine(1)
        brain = d.s.brain
        # INVARIANT: an ordinary batch stops before a holders-only request...
        first = brain.dispatch_batch(8).one(ev.BatchDispatched)
        assert list(first.request_ids) == ordinary
        # ...a holders-only batch holds that model's requests only, its committee among its holders...
        second = brain.dispatch_batch(8).one(ev.BatchDispatched)
        assert list(second.request_ids) == shard and second.committee & ~holders == 0
        assert second.committee == draw([d.s.nodes.stake_at(i, brain.request_info(shard[1]).request_block)
                                         for i in range(NODES)], second.seed, K, holders)
        # ...and the ordinary request after it goes in the next batch.
        assert list(brain.dispatch_batch(8).one(ev.BatchDispatched).request_ids) == [tail]

    def test_batch_tooFewHolders_timesOutEveryRequestAndRefunds(self, driver: Driver):
        d = holders_only(driver)
        declare(d, range(K - 1))
        rids = [d.request(), d.request()]
        d.chain.mine(1)
        r = d.s.brain.dispatch_batch(8)
        assert [e.request_id for e in r.of(ev.TimedOut)] == rids and not r.of(ev.BatchDispatched)
        assert {e.account for e in r.of(ev.Refunded)} == {d.user.address}
