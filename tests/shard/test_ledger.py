"""ShardLedger's rules on the embedded chain: posts in order by the routed node until the stall passes,
disputes bound only to the poster's own claim from the agreed boundary to its post, an unbound dispute voids
the post and everything after it and bars the loser, finality pays the fee and returns the bonds."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from bisection.shards import full_id, sharded_id
from contracts import errors as E
from contracts import events as ev
from contracts.chain import connect
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.shard import pipeline, plans

LEDGER = dict(bond=10**16, min_fee=10**15, window=5, stall=3, bind_window=4, expiry=12)


@functools.lru_cache(maxsize=None)
def deployed():
    from verifiers.chainlog import install
    from verifiers.deployment import deploy_all

    chain = connect("embedded")
    install(chain)
    d = deploy_all(chain)
    ledger = pipeline.deploy_ledger_for(d, **LEDGER)
    spec = plans.make_spec("digits-mlp", 2, shape=(1, 64), block=0)
    plans.register(d, ledger, spec)
    return chain, d, ledger, spec


@pytest.fixture
def env():
    chain, d, ledger, spec = deployed()
    snap = chain.snapshot()
    yield chain, d, ledger, spec
    chain.revert(snap)


def request(env, route):
    chain, _, ledger, spec = env
    plan = plans.plan_of(spec)
    x = np.zeros((1, 64), dtype=np.int16)
    r = ledger.request(sharded_id(plan), tensor_bytes(x), route, sender=chain.accounts[10], fee=10**16)
    return r.one(ev.ShardRequested).id, x


def test_registration_isTheShardedIdPythonComputes(env):
    chain, _, ledger, spec = env
    plan = plans.plan_of(spec)
    info = ledger.sharded(sharded_id(plan))
    assert list(info.cuts) == list(plan.cuts) and len(info.shard_ids) == 2
    with pytest.raises(E.ShardedAlreadyRegistered):
        ledger.register(full_id(plan), list(plan.cuts), list(info.shard_ids), "x", [1], sender=chain.accounts[0])
    with pytest.raises(E.InvalidShardCuts):
        ledger.register(b"\0" * 32, [3], [info.shard_ids[0]], "x", [1], sender=chain.accounts[0])
    with pytest.raises(E.UnknownModel):
        ledger.register(b"\0" * 32, [], [b"\5" * 32], "x", [1], sender=chain.accounts[0])


def test_posts_inOrder_byTheRoutedNode_untilTheStallPasses(env):
    chain, _, ledger, _ = env
    a, b, c = chain.accounts[20:23]
    rid, _ = request(env, [a.address, b.address])
    with pytest.raises(E.ShardOutOfOrder):
        ledger.post(rid, 2, b"\1" * 32, 0, sender=b, bond=LEDGER["bond"])
    with pytest.raises(E.NotRoutedNode):
        ledger.post(rid, 1, b"\1" * 32, 0, sender=c, bond=LEDGER["bond"])
    with pytest.raises(E.ShardBondTooLow):
        ledger.post(rid, 1, b"\1" * 32, 0, sender=a, bond=1)
    chain.mine(LEDGER["stall"])
    ledger.post(rid, 1, b"\1" * 32, 0, sender=c, bond=LEDGER["bond"])  # re-routed: a let the stall pass
    assert ledger.post_of(rid, 1).node == c.address


def test_unboundDispute_voidsThePostAndLater_barsTheLoser_andFinalityPays(env):
    chain, d, ledger, spec = env
    a, b, w = chain.accounts[20:23]
    rid, x = request(env, [a.address, b.address])
    plan = plans.plan_of(spec)
    b1 = plan.shards[0].run(x)[0]
    ledger.post(rid, 1, b"\7" * 32, 5, sender=a, bond=LEDGER["bond"])  # a lie
    ledger.post(rid, 2, b"\1" * 32, 5, sender=b, bond=LEDGER["bond"])
    ledger.dispute(rid, 1, sender=w, bond=LEDGER["bond"])
    with pytest.raises(E.ShardDisputeOpen):
        ledger.dispute(rid, 2, sender=w, bond=LEDGER["bond"])
    with pytest.raises(E.ShardNotResolvable):
        ledger.resolve(rid, sender=w)
    # a claim that is not the disputed post's: another model's input root
    from bisection import make_player
    from contracts.arbiter import ChainArbiter

    arb = ChainArbiter(d.opml, accounts={"a": a})
    p = make_player("a", plan.shards[1], b1, "honest")
    arb._programs[plans.entries(spec)[1].model_id] = plan.shards[1]
    cid = p.submit(arb, plans.entries(spec)[1].model_id, d.opml.config.min_bond)
    with pytest.raises(E.ShardClaimMismatch):
        ledger.bind(rid, cid, sender=a)
    chain.mine(LEDGER["bind_window"])
    ledger.resolve(rid, sender=w)  # never bound: the challenger wins
    info = ledger.request_info(rid)
    assert info.posted == 0 and ledger.banned(rid, a.address)
    assert ledger.credit(w.address) == LEDGER["bond"] * 3 // 2 and ledger.credit(b.address) == LEDGER["bond"]
    assert ledger.credit(chain.accounts[10].address) == LEDGER["bond"] // 2  # the requester: half the loser's bond
    with pytest.raises(E.BannedShardNode):
        ledger.post(rid, 1, tensor_root(b1), 5, sender=a, bond=LEDGER["bond"])
    ledger.post(rid, 1, tensor_root(b1), 5, sender=w, bond=LEDGER["bond"])  # anyone, at once: re-routed
    out = plan.shards[1].run(b1)[0]
    ledger.post(rid, 2, tensor_root(out), 5, sender=b, bond=LEDGER["bond"])
    with pytest.raises(E.ShardNotResolvable):
        ledger.resolve(rid, sender=w)
    chain.mine(LEDGER["window"])
    r = ledger.resolve(rid, sender=w)
    assert r.one(ev.ShardRequestFinal).output_root == tensor_root(out)
    assert ledger.credit(w.address) == LEDGER["bond"] * 3 // 2 + LEDGER["bond"] + 10**16 // 2
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.dispute(rid, 1, sender=w, bond=LEDGER["bond"])
