"""Attack (helper attack3): sharded registrations that make every shard node rebuild models on every tick.

`ShardLedger.register` is open to anyone, and a node rebuilds the plan a registration's spec names (load the
model, build its program at the spec's shape, cut it, hash every shard's weights) before it can compare the
sharded id. A registration whose id did not match (or whose spec fails to build: a shape past the model's
position table) was refused, but nothing remembered it: the next tick read the same event and rebuilt the
same plan, and the plan cache (8 entries) is thrashed by nine such specs. So a few registrations, paid
once, cost every shard node a model build per registration per tick, and a node busy rebuilding misses its
`stall` blocks (routed around: it loses its posts). Fixed: a node examines each registration once; a refused
sharded id is remembered and skipped.
"""
from __future__ import annotations

import pytest

from bisection.shards import sharded_id
from verifiers.shard import plans

from tests.security.attack3_shard import ATTACKER, MODEL, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_refusedRegistrations_areExaminedOnce_notRebuiltEachTick(env):  # noqa: F811
    node = env.node(20, {1})
    node.tick()
    shard_id = bytes(env.ledger.sharded(sharded_id(env.plan)).shard_ids[0])
    m = env.acct(ATTACKER)
    for n in range(9):  # nine specs that build (the cache holds 8), none the registered id
        env.ledger.register(bytes([n + 1]) * 32, [], [shard_id], f"{MODEL} cuts= block=0 shape=1x{64 * (n + 2)}",
                            [1, 64], sender=m)
    env.ledger.register(b"\x77" * 32, [], [shard_id], "gpt2-tiny cuts= block=0 shape=1x4096", [1], sender=m)
    node.tick()  # examines each once (and refuses it, logged)
    refused = [e for e in node.log if e.get("duty") == "load sharded model" and "error" in e]
    assert len(refused) == 9  # the gpt2-tiny one names a model this node does not serve
    before = plans.plan_of.cache_info().misses
    for _ in range(3):
        node.tick()
    rebuilt = plans.plan_of.cache_info().misses - before
    assert rebuilt == 0, f"{rebuilt} plans rebuilt in 3 ticks for registrations already refused"
