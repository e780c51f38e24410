"""The shard member's process agent (verifiers/shard/member_node.py, `tribunal node --role shard-member`) never
dies on chain data, in process on the embedded chain: it loads a sharded model from the ledger's registration,
and declines alone (with the reason, so never silent and never slashed) a round while its boundary store cannot
be written, a round on a shard it does not hold, and a round whose result kind a shard does not compute; the
other members' majority finalizes each servable round."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from contracts import events as ev
from contracts.bindings.brain import DeclineReason, ResultKind
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.chainlog import events
from verifiers.shard import committee, pipeline, plans
from verifiers.shard.member_node import ShardMemberNode

pytestmark = pytest.mark.slow  # ~10 s alone, ~25 s on a loaded 2-core machine: three Brain rounds on gpt2-tiny shards
X = np.random.default_rng(0).integers(0, 256, (1, 4)).astype(np.int64)


def test_shardMember_declinesAlone_anUnwritableStore_anUnheldShard_andAKindItDoesNotCompute(tmp_path):
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog
    from verifiers.deployment import NODE_STAKE

    t = Tribunal.connect("embedded", committee=3, agents=False, catalog=Catalog(()))
    try:
        d, brain = t.deployment, t.deployment.brain
        ledger = pipeline.deploy_ledger_for(d)
        spec = plans.make_spec("gpt2-tiny", 3, shape=(1, 4), block=0)
        plans.register(d, ledger, spec)
        accts = t.roles.members(t.chain)
        broken = tmp_path / "m1"
        m = [t.scheduler.add(ShardMemberNode(d, a, catalog=Catalog(("gpt2-tiny",)), ledger=ledger, name=f"m{i}",
                                             store=broken if i == 1 else tmp_path / "b", shards=holds))
             for i, (a, holds) in enumerate(zip(accts, ("1,3", None, None)))]
        # registered ordinary (anyone may register a shard so): every staked member is drawn, and one that does
        # not hold the shard declines it (a holders-only shard's rounds never draw it: tests/shard/test_shard_holders.py)
        from verifiers.deployment import register_model

        entries = committee.load(t.catalog, spec)
        for e in entries:
            register_model(d, e, holders_only=False)
        fee = 10 * d.system.config.min_fee
        boundaries = plans.plan_of(spec).run(X)

        shutil.rmtree(broken)
        broken.write_text("not a folder")  # m1 cannot write a boundary: it declines round 1
        r1 = committee.run_round(t, entries[0], X, fee=fee, deadline_blocks=60)
        broken.unlink()
        broken.mkdir()  # written again: m1 serves; m0 declines round 2 (it holds shards 1 and 3)
        r2 = committee.run_round(t, entries[1], boundaries[1], fee=fee, deadline_blocks=60)
        assert r1["status"] == r2["status"] == "finalized" and r1["votes"] == r2["votes"] == 2
        assert r1["root"] == "0x" + tensor_root(boundaries[1]).hex()
        assert r2["root"] == "0x" + tensor_root(boundaries[2]).hex()

        # a round on shard 3 asking for the argmax: a shard votes on its boundary's root only, so they decline
        r = brain.request(entries[2].model_id, tensor_bytes(boundaries[2]), fee=fee, sender=t.requester,
                          result_kind=ResultKind.ARGMAX)
        r3 = r.one(ev.Requested).request_id
        for _ in range(200):
            if events(t.chain, brain.address, ev.Unservable, key=r3):
                break
            t.step()
        assert events(t.chain, brain.address, ev.Unservable, key=r3)

        declined = {(s.event.request_id, s.event.member): DeclineReason(s.event.reason)
                    for s in events(t.chain, brain.address, ev.Declined)}
        assert declined[(r1["request"], accts[1].address)] == DeclineReason.MODEL
        assert declined[(r2["request"], accts[0].address)] == DeclineReason.MODEL
        on_r3 = [why for (rid, _), why in declined.items() if rid == r3]  # unservable at the quorum's loss
        assert len(on_r3) >= 2 and set(on_r3) == {DeclineReason.KIND}
        assert all(n.stake == NODE_STAKE for n in d.nodes.nodes())  # nobody silent, nobody slashed
        assert any("boundary store" in str(e.get("refused")) for e in m[1].log)
        assert any("not a shard this node holds" in str(e.get("refused")) for e in m[0].log)
        assert all(any(e.get("duty", "").startswith("announce") for e in a.log) for a in m)  # each loaded the model
    finally:
        t.close()
