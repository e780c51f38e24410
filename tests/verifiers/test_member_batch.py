"""Member agents serve a batch (Brain.dispatchBatch) as they serve single requests: one commitment and one
reveal each over the batch's results, then finalizeBatch from the members' published lists; every request
ends final with the exact output root, delivered on its own, and no member is slashed."""
from __future__ import annotations

from contracts import events as ev
from contracts.bindings.brain import ResultKind, Status
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
