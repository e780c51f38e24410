"""Every mode on a sharded request (issue 22): a zoo transformer (gpt2-tiny) in 3 uncompressed shards on the
embedded chain gives the unsharded exact output root in brain (a Brain round per shard, chained on chain by
ShardRounds), hybrid (a HybridCourt round per shard, chained the same way) and auto; a lying committee
majority on the middle shard wins in brain, and in hybrid is overturned on that shard by the court's fraud
proof, which slashes the lying members' stake."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.tensor_root import tensor_root
from verifiers.shard import committee, hybrid, pipeline, plans

X = np.random.default_rng(0).integers(0, 256, (1, 4)).astype(np.int64)


@pytest.fixture(scope="module")
def sharded():
    from runtime.model import Model

    x_q = Model.load("gpt2-tiny", profile="exact").quantize_input(X)
    spec = plans.make_spec("gpt2-tiny", 3, shape=tuple(x_q.shape), block=0)
    plan = plans.plan_of(spec)
    honest = plan.run(x_q)
    return spec, x_q, ["0x" + tensor_root(b).hex() for b in honest[1:]], "0x" + tensor_root(plan.base.run(x_q)[0]).hex()


@pytest.fixture
def net(tmp_path):
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog

    t = Tribunal.connect("embedded", committee=5, agents=False, catalog=Catalog(()))
    yield t, tmp_path / "boundaries"
    t.close()


def test_brain_aRoundPerShard_givesTheUnshardedExactRoot(sharded, net):
    spec, x_q, boundaries, unsharded = sharded
    t, store = net
    committee.start_members(t, store)
    v = committee.serve(t, spec, x_q, store)
    assert v["status"] == "final" and v["links"] and boundaries[-1] == unsharded
    assert v["output_root"] == unsharded and [s["root"] for s in v["shards"]] == boundaries
    assert [s["votes"] for s in v["shards"]] == [5, 5, 5] and len(set(v["request"])) == 3
    # a round whose input is not the last round's majority boundary breaks the chain, as chain data shows
    entry = committee.load(t.catalog, spec)[1]
    other = np.zeros(entry.program.slots[entry.program.input_slot].shape, dtype=np.int16)
    r = committee.run_round(t, entry, other, fee=10 * t.deployment.system.config.min_fee, deadline_blocks=60)
    assert r["status"] == "finalized"
    assert not committee.check_links(t.chain, t.deployment.brain, spec, [v["request"][0], r["request"]])
    assert committee.check_links(t.chain, t.deployment.brain, spec, v["request"][:2])


def test_brain_aLyingMajorityOnTheMiddleShard_wins(sharded, net):
    spec, x_q, boundaries, unsharded = sharded
    t, store = net
    committee.start_members(t, store, liars=3, lie_on={2})
    v = committee.serve(t, spec, x_q, store)
    assert v["status"] == "final" and v["links"]
    assert v["shards"][0]["root"] == boundaries[0] and v["shards"][1]["root"] != boundaries[1]
    assert v["shards"][1]["votes"] == 3 and v["output_root"] != unsharded  # brain's trust assumption, shown


@pytest.mark.slow  # ~50 s on a loaded 2-core machine: three court rounds, a challenge, a game and an adoption
def test_hybrid_aLyingMajorityOnOneShard_isOverturnedOnThatShard_andSlashed(sharded, net):
    spec, x_q, boundaries, unsharded = sharded
    t, store = net
    members = committee.start_members(t, store, liars=3, lie_on={2})
    v = hybrid.serve(t, spec, x_q, store, members)
    assert v["status"] == "final" and v["overturned"] == 2 and v["links"]
    assert v["output_root"] == unsharded and [s["root"] for s in v["shards"]] == boundaries
    assert [s["upheld"] for s in v["shards"]] == [True, False, True]
    assert v["shards"][1]["committee_root"] != boundaries[1]  # the lying majority's answer, overturned
    assert {d["shard"] for d in v["disputes"]} == {2}
    liars = {m.address for m in members if m.cheat == "corrupt"}
    slash = t.deployment.nodes.slash_amount
    assert v["slashed"] == {a: slash for a in liars}  # the lying committee's stake, and only theirs


@pytest.mark.slow  # ~10-25 s under load: committees, then the ledger window
def test_hybrid_honestCommittees_areUpheld_andAutoPicksByValueAtRisk(sharded, net):
    from argparse import Namespace

    from verifiers.shard.infer import choose

    spec, x_q, _, unsharded = sharded
    t, store = net
    members = committee.start_members(t, store)
    low = Namespace(fee=None, value_at_risk=0, latency_blocks=None)
    high = Namespace(fee=None, value_at_risk=10**21, latency_blocks=None)
    assert choose(t, spec, low)[0] == "brain" and choose(t, spec, high)[0] == "hybrid"
    v = hybrid.serve(t, spec, x_q, store, members, pipeline.deploy_ledger_for(t.deployment))
    assert v["status"] == "final" and v["overturned"] is None and not v["disputes"] and not v["slashed"]
    assert v["output_root"] == v["provisional_root"] == unsharded
