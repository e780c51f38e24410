"""Member agents serve a batch (Brain.dispatchBatch) as they serve single requests: one commitment and one
reveal each over the batch's results, then finalizeBatch from the members' published lists; every request
ends final with the exact output root, delivered on its own, and no member is slashed."""
from __future__ import annotations

from contracts import events as ev
from contracts.bindings.brain import DECLINED_RESULT, ResultKind, Status
from verifiers.chainlog import events

from .conftest import MODEL

FEE = 10**16


def test_members_serveABatch_eachRequestFinalWithTheExactRoot_nobodySlashed(tribunal, sample):
    t = tribunal
    e, brain, user = t.model(MODEL), t.deployment.brain, t.chain.accounts[12]
    since = t.chain.block_number
    rids = [brain.request(e.model_id, e.encode(sample, ResultKind.OUTPUT_ROOT), fee=FEE, sender=user).one(
        ev.Requested).request_id for _ in range(2)]
    t.chain.mine(1)
    b = brain.dispatch_batch(8, sender=user).one(ev.BatchDispatched)
    assert list(b.request_ids) == rids
    for _ in range(40):
        if brain.batch_info(b.batch_id).settled:
            break
        t.step()
    root = e.model.run_exact(sample).output_root
    assert [brain.status(rid) for rid in rids] == [Status.FINALIZED] * 2
    assert [s.event.result for s in events(t.chain, brain.address, ev.Finalized, from_block=since)] == [root] * 2
    assert not events(t.chain, t.deployment.nodes.address, ev.Slashed, from_block=since)
    assert len(events(t.chain, brain.address, ev.Committed, key=b.batch_id)) == 3  # one per member, not per request


def test_aBatchWithARequestNobodyServes_theOthersSettle_nobodySlashed(tribunal, sample):
    """Griefing a batch: anyone registers a model no member serves and requests it; it is dispatched in the
    same batch as honest requests. Members reveal DECLINED_RESULT for it instead of staying silent (which
    would slash each of them once per request of the batch and fail every request in it)."""
    t = tribunal
    e, brain, user = t.model(MODEL), t.deployment.brain, t.chain.accounts[12]
    since = t.chain.block_number
    nobody = t.deployment.system.models.register(b"\x01" * 32, b"\x02" * 32, sender=user).one(ev.ModelRegistered).model_id
    honest = [brain.request(e.model_id, e.encode(sample, ResultKind.OUTPUT_ROOT), fee=FEE, sender=user).one(
        ev.Requested).request_id for _ in range(2)]
    poison = brain.request(nobody, b"\x00" * 8, result_kind=ResultKind.ARGMAX, fee=FEE, sender=user).one(ev.Requested).request_id
    t.chain.mine(1)
    b = brain.dispatch_batch(8, sender=user).one(ev.BatchDispatched)
    assert set(b.request_ids) == {*honest, poison}
    for _ in range(40):
        if brain.batch_info(b.batch_id).settled:
            break
        t.step()
    root = e.model.run_exact(sample).output_root
    assert [brain.status(rid) for rid in honest] == [Status.FINALIZED] * 2
    final = {s.event.request_id: s.event.result for s in events(t.chain, brain.address, ev.Finalized, from_block=since)}
    assert [final[rid] for rid in honest] == [root] * 2
    assert final.get(poison) == DECLINED_RESULT
    assert not events(t.chain, t.deployment.nodes.address, ev.Slashed, from_block=since)
