"""Attack (helper attack3): an honest node's bond taken by overwriting its input boundary in the store.

To defend a disputed post j, the node builds its opML claim from boundary j-1, which it re-read from the
boundary store. The store is shared and anybody writes any bytes under any name; while a dispute is open no
node runs its checks, so nobody repairs a blob. So an attacker disputes an honest post and overwrites the
blob of the boundary before it with junk: the honest node cannot read its input (BoundaryMismatch, every
tick), never binds, and after `bindWindow` the attacker wins its bond and the node is barred from the
request. Fixed: a node keeps the boundaries it verified (content-addressed: a root names one tensor) and
reads the store only for those it has not.
"""
from __future__ import annotations

import pytest

from verifiers.agents.base import Scheduler
from verifiers.shard.store import BoundaryStore

from tests.security.attack3_shard import SYBIL, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_anHonestDefender_bindsFromTheBoundaryItVerified_whateverTheStoreNowHolds(env):  # noqa: F811
    a, b = env.node(20, {1}), env.node(21, {2})
    sch = Scheduler([a, b])
    while sch.tick():
        pass
    rid = env.request([a.address, b.address])
    while env.ledger.request_info(rid).posted < 2:
        if not sch.tick():
            env.chain.mine(1)
    sybil = env.acct(SYBIL)
    env.ledger.dispute(rid, 2, sender=sybil, bond=env.bond)
    BoundaryStore(env.store).put_bytes(env.honest[1], b"\x01" * env.plan.boundary_bytes(1))  # junk, right size
    while env.ledger.dispute_of(rid).open:
        if not sch.tick():
            env.chain.mine(1)
    assert not env.ledger.banned(rid, b.address), "the honest node could not read its input and lost its bond"
    env.run(sch, rid)
    assert env.output(rid) == env.honest[-1] and env.ledger.post_of(rid, 2).node == b.address
