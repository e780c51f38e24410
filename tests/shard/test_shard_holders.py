"""Brain committees drawn per shard among the nodes that hold it (issue 22, item 4): the shards are registered
holders-only and each ShardMember declares on chain the shards it holds, so a sharded brain request served by
six nodes that each hold two of three shards ends final with every round's committee drawn among that shard's
holders (as of the round's request block), and never a node that does not hold the shard."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.tensor_root import tensor_root
from contracts.bindings.shard import ShardRounds
from verifiers.shard import committee, plans

X = np.random.default_rng(0).integers(0, 256, (1, 4)).astype(np.int64)
HOLDS = [{1, 2}, {1, 2}, {1, 3}, {2, 3}, {1, 3}, {2, 3}]  # member i's shards: four holders per shard


@pytest.fixture(scope="module")
def sharded():
    from runtime.model import Model

    x_q = Model.load("gpt2-tiny", profile="exact").quantize_input(X)
    spec = plans.make_spec("gpt2-tiny", 3, shape=tuple(x_q.shape), block=0)
    return spec, x_q, "0x" + tensor_root(plans.plan_of(spec).base.run(x_q)[0]).hex()


@pytest.fixture
def net(tmp_path):
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog
    from verifiers.deployment import NODE_STAKE

    t = Tribunal.connect("embedded", committee=3, agents=False, catalog=Catalog(()))
    extra = t.chain.accounts[10:13]  # three more staked nodes: six nodes for committees of three
    for a in extra:
        t.deployment.nodes.register(NODE_STAKE, sender=a)
    yield t, tmp_path / "boundaries", t.roles.members(t.chain) + extra
    t.close()


def test_brain_membersHoldingSomeShards_eachRoundDrawnAmongThatShardsHolders(sharded, net):
    spec, x_q, unsharded = sharded
    t, store, accounts = net
    nodes, brain = t.deployment.nodes, t.deployment.brain
    members = committee.start_members(t, store, spec=spec, holds=HOLDS, accounts=accounts)
    entries = plans.entries(spec)
    v = committee.serve(t, spec, x_q, store)
    assert v["status"] == "final" and v["links"] and v["output_root"] == unsharded
    for j, (entry, row) in enumerate(zip(entries, v["shards"]), 1):
        holders = {m.address for m, h in zip(members, HOLDS) if j in h}
        assert t.deployment.system.models.holders_only(entry.model_id)
        block = brain.request_info(row["request"]).request_block
        on_chain = nodes.holders_at(entry.model_id, block)
        assert set(nodes.accounts_of(on_chain)) == holders  # each member declared exactly what it holds
        drawn = set(brain.committee(row["request"]))
        # INVARIANT: a shard's round is drawn among that shard's holders only.
        assert drawn <= holders and len(drawn) == 3 and set(row["reveals"]) == drawn and row["votes"] == 3
    # no node was drawn for a shard it does not hold, so none declined
    assert not [e for m in members for e in m.log if "refused" in e]


def test_brain_tooFewHoldersOfAShard_roundTimesOutRefunded(sharded, net):
    spec, x_q, _ = sharded
    t, store, accounts = net
    holds = [{1, 2}, {1, 2}, {1}, {2, 3}, {1, 3}, {2}]  # shard 3: two holders, committees of three
    committee.start_members(t, store, spec=spec, holds=holds, accounts=accounts)
    v = committee.serve(t, spec, x_q, store)
    assert v["status"] == "stopped at shard 3: round timed_out" and v["output_root"] is None
    fee = 10 * t.deployment.system.config.min_fee  # per round
    rounds = ShardRounds(t.chain, v["shard_rounds"])
    assert rounds.owed(t.requester.address) == fee  # the last round's fee, refunded through ShardRounds
    assert v["shards"][2]["committee"] == 0
