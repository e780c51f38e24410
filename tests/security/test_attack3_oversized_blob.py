"""Attack (helper attack3): a lie shielded from its checkers by an oversized blob under its root.

A shard node checks each posted boundary of its shards: it recomputes it and, when the store has a blob
under the posted root, reads that blob to repair it if it does not match. The repair caught only
BoundaryMismatch; a blob longer than the boundary raises BoundaryTooLarge, which ended the check before
the roots were compared. The store is shared and anybody writes any bytes under any name, so the node that
posts a lie writes an oversized blob under the lie's root, and no honest holder ever disputed it: after the
window the lie was final. Fixed: a bad blob (any ShardError of the store) is repaired or left, never a
reason to skip the dispute.
"""
from __future__ import annotations

import pytest

from verifiers.agents.base import Scheduler
from verifiers.shard.store import BoundaryStore

from tests.security.attack3_shard import ATTACKER, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_aLieWithAnOversizedBlob_isStillDisputed(env):  # noqa: F811
    a, h = env.node(20, {1}), env.node(21, {2})
    sch = Scheduler([a, h])
    while sch.tick():
        pass
    m = env.acct(ATTACKER)
    rid = env.request([a.address, m.address])
    while env.ledger.request_info(rid).posted < 1:
        if not sch.tick():
            env.chain.mine(1)
    lie = b"\x66" * 32
    BoundaryStore(env.store).put_bytes(lie, b"\0" * (env.plan.boundary_bytes(2) + 64))  # BoundaryTooLarge
    env.ledger.post(rid, 2, lie, 1, sender=m, bond=env.bond)
    env.run(sch, rid)
    assert env.output(rid) != lie, "the lie ended final: its oversized blob stopped every check"
    assert env.output(rid) == env.honest[-1] and env.ledger.banned(rid, m.address)
