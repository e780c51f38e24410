"""Attack (helper attack3): an announced capacity nobody checks, to be routed every shard and never post.

`announce` takes any memory and throughput, and routing scored a node throughput / (1 + recent latency),
a missed turn counting 60 s: a node announcing 2^64 - 1 steps per second outscored every honest node
however often it missed; and no miss was ever charged, since a route decodes lower-case addresses and
a post's node checksummed ones (`routed != node` always, `routed in nodes` never). So one announcement, and every request routed through it waited `stall` blocks
per shard before an honest node could post (the attacker never posts, so it never risks a bond). Fixed: a
node that missed a routed post among its last RECENT is routed only where no node without a recent miss
holds the shard, and addresses compare case-blind.
"""
from __future__ import annotations

import pytest

from bisection.shards import sharded_id
from verifiers.agents.base import Scheduler
from verifiers.shard import pipeline

from tests.security.attack3_shard import ATTACKER, REQUESTER, X, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_aNodeAnnouncingHugeCapacity_andMissingItsTurns_isRoutedAround(env):  # noqa: F811
    h = env.node(20, {1, 2})
    sch = Scheduler([h])
    while sch.tick():
        pass
    m = env.acct(ATTACKER)
    sid = sharded_id(env.plan)
    env.ledger.announce(sid, 0b11, 2**64 - 1, 2**64 - 1, sender=m)
    rid = pipeline.send_request(env.ledger, env.spec, X, env.acct(REQUESTER))
    assert list(env.ledger.request_info(rid).route) == [m.address, m.address]  # the first time: it may be slow
    env.run(sch, rid)  # h posts each shard once the stall passed
    assert env.output(rid) == env.honest[-1]
    assert pipeline.plan_route(env.ledger, 2, sid) == [h.address, h.address]
