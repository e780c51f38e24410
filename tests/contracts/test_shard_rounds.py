"""ShardRounds' rules (contracts/src/shard/ShardRounds.sol) on the embedded chain: digits-mlp in 2 uncompressed
shards, each round a Brain request voted by staked ShardMembers. A round opens only with bytes whose tensor
root is the last round's result and whose length is the next shard's input size (a wrong one reverts and
changes nothing); a consumer gets the output root once, after the last round; a pipeline left unadvanced, or
whose round timed out or was never dispatched, ends with the unspent fee owed to its requester."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import errors as E
from contracts import events as ev
from contracts.bindings.brain import Status
from contracts.bindings.consumer import ExampleConsumer
from contracts.bindings.shard import ENDED, ROUNDS_FINAL, RUNNING, STALLED, ROUND_FAILED
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.shard import committee, pipeline, plans
from verifiers.shard import rounds as chained

WINDOW = 8  # advance window, blocks


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog

    t = Tribunal.connect("embedded", committee=5, agents=False, catalog=Catalog(()))
    store = tmp_path_factory.mktemp("boundaries")
    committee.start_members(t, store)
    spec = plans.make_spec("digits-mlp", 2, shape=(1, 64), block=0)
    committee.register(t, spec)
    ledger = pipeline.deploy_ledger_for(t.deployment)
    rounds = chained.deploy_rounds_for(t.deployment, ledger, advance_window=WINDOW)
    consumer = ExampleConsumer(t.chain, t.chain.deploy("ExampleConsumer", [rounds.address]))
    yield t, store, spec, ledger, rounds, consumer
    t.close()


X = np.random.default_rng(3).integers(-100, 100, (1, 64)).astype(np.int16)


def send(net, **kw):
    t, _, spec, ledger, rounds, _ = net
    return chained.send(t, rounds, ledger, spec, X, mode=0, **kw)[0]


def until(t, cond, blocks=400):
    """Ticks the members (mining when idle) until `cond()` or `blocks` blocks passed."""
    b0 = t.chain.block_number
    while not cond():
        assert t.chain.block_number <= b0 + blocks, "timed out waiting"
        t.step()


def test_advance_checksTheBoundaryOnChain_aWrongOneRevertsAndChangesNothing(net):
    t, store, spec, _, rounds, _ = net
    pid = send(net)
    until(t, lambda: rounds.pipeline_of(pid).settled)
    root = rounds.round_of(pid, 1).result
    honest = chained.boundary_bytes(spec, 1, root, store)
    assert tensor_root(np.frombuffer(honest, dtype=">i2").astype(np.int16)) == bytes(root)  # the members' majority boundary
    before, next_id = rounds.pipeline_of(pid), t.deployment.brain.next_request_id()

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, len(honest) - 1), st.integers(1, 255))
    def any_other_byte(i, flip):  # every boundary but the decided one is refused
        lie = bytearray(honest)
        lie[i] ^= flip
        with pytest.raises(E.BoundaryRootMismatch):
            rounds.advance(pid, bytes(lie), sender=t.requester)

    any_other_byte()
    with pytest.raises(E.InputSizeMismatch):  # the same root (zero padding), not the shard's input size
        rounds.advance(pid, honest + b"\0\0", sender=t.requester)
    assert rounds.pipeline_of(pid) == before and t.deployment.brain.next_request_id() == next_id
    assert rounds.round_of(pid, 2).request_id == 0
    with pytest.raises(E.UnauthorizedCaller):  # only the round's oracle decides it
        t.chain.transact(rounds.contract.functions.onResult(before.round_id, root), sender=t.requester)
    r = rounds.advance(pid, honest, sender=t.chain.accounts[30])  # anyone may carry the bytes
    opened = r.one(ev.ShardRoundOpened)
    assert opened.round == 2 and bytes(opened.input_root) == bytes(root)
    assert rounds.round_of(pid, 2).input_root == root


def test_theConsumer_getsTheOutputRoot_onlyAfterTheLastRound(net):
    t, store, spec, _, rounds, consumer = net
    pid = send(net, consumer=consumer.address, callback_gas=100_000)
    until(t, lambda: rounds.pipeline_of(pid).settled)
    assert consumer.received() == 0 and consumer.result_of(rounds.address, pid) == bytes(32)
    with pytest.raises(E.PipelineNotRunning):
        rounds.result(pid)
    chained.drive(t, rounds, pid, spec, store)
    want = tensor_root(plans.plan_of(spec).run(X)[-1])
    assert rounds.pipeline_of(pid).status == ROUNDS_FINAL and rounds.result(pid) == want
    assert consumer.received() == 1 and consumer.result_of(rounds.address, pid) == want
    assert tensor_root(plans.plan_of(spec).base.run(X)[0]) == want  # the unsharded exact run's


def test_aPipelineNobodyAdvances_endsAfterItsWindow_refundingTheUnspentRounds(net):
    t, _, _, _, rounds, _ = net
    fee = 2 * 10 * t.deployment.system.config.min_fee + 1
    pid = send(net, fee=fee)
    until(t, lambda: rounds.pipeline_of(pid).settled)
    with pytest.raises(E.PipelineNotEndable):
        rounds.end(pid, sender=t.chain.accounts[30])
    t.chain.mine(WINDOW + 1)
    with pytest.raises(E.AdvanceWindowClosed):
        rounds.advance(pid, b"\0" * 128, sender=t.requester)
    owed = rounds.owed(t.requester.address)
    r = rounds.end(pid, sender=t.chain.accounts[30])
    e = r.one(ev.ShardRoundsEnded)
    assert e.why == STALLED and e.refund == fee - fee // 2 and rounds.pipeline_of(pid).status == ENDED
    assert rounds.owed(t.requester.address) == owed + e.refund
    with pytest.raises(E.PipelineNotRunning):
        rounds.end(pid, sender=t.chain.accounts[30])
    held = t.chain.w3.eth.get_balance(rounds.address)
    w = rounds.withdraw(sender=t.requester).one(ev.RefundWithdrawn)
    assert w.amount == owed + e.refund and rounds.owed(t.requester.address) == 0
    assert t.chain.w3.eth.get_balance(rounds.address) == held - w.amount


def test_aRoundThatTimesOut_orIsNeverDispatched_endsThePipeline_refundingEveryFee(net):
    t, _, _, _, rounds, _ = net
    brain, fee = t.deployment.brain, 2 * 10 * t.deployment.system.config.min_fee
    pid = send(net, fee=fee)  # the members do not tick: nobody commits
    rid = rounds.pipeline_of(pid).round_id
    t.chain.mine(2)
    brain.dispatch(8, sender=t.chain.accounts[30])
    with pytest.raises(E.PipelineNotEndable):  # the round may still finish
        rounds.end(pid, sender=t.chain.accounts[30])
    t.chain.mine(brain.request_info(rid).reveal_deadline - t.chain.block_number + 1)
    brain.finalize(rid, sender=t.chain.accounts[30])
    assert brain.request_info(rid).status == Status.TIMED_OUT
    e = rounds.end(pid, sender=t.chain.accounts[30]).one(ev.ShardRoundsEnded)
    assert e.why == ROUND_FAILED and e.refund == fee and e.round == 1
    # never dispatched: past Brain's queue timeout, `end` cancels it (ShardRounds is its requester)
    pid = send(net, fee=fee)
    t.chain.mine(t.deployment.system.config.queue_timeout + 2)
    assert rounds.pipeline_of(pid).status == RUNNING
    e = rounds.end(pid, sender=t.chain.accounts[30]).one(ev.ShardRoundsEnded)
    assert e.why == ROUND_FAILED and e.refund == fee
    assert brain.request_info(rounds.pipeline_of(pid).round_id).status == Status.CANCELLED
