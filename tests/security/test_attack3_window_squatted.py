"""Attack (helper attack3): the dispute window squatted by one cheap dispute, so a wrong output ends final.

ShardLedger holds one dispute per request at a time, and the `window` after the last post ran whether or not
a dispute held that slot. A dispute bound to an opML claim lasts at least the claim's window (24 blocks at
the defaults) while the ledger's window is 12: so the node routed for the last shard posts a lie, and in
the next transaction its sybil disputes the honest post of shard 1. The honest node 1 binds its claim and
wins it (the sybil loses one bond), but every honest challenger of the lie met ShardDisputeOpen until the
window had closed, and the lie was final. Fixed: a dispute the poster wins restarts the window (a request
is final only after `window` blocks in which anybody could dispute).
"""
from __future__ import annotations

import pytest

from contracts import errors as E
from verifiers.agents.base import Scheduler

from tests.security.attack3_shard import ATTACKER, SYBIL, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_aSybilDisputeOnAnHonestPost_doesNotOutlastTheWindowForTheLie(env):  # noqa: F811
    a, h = env.node(20, {1}), env.node(21, {2})  # honest: a serves shard 1; h holds shard 2 and checks it
    sch = Scheduler([a, h])
    while sch.tick():
        pass
    m, sybil = env.acct(ATTACKER), env.acct(SYBIL)
    rid = env.request([a.address, m.address])
    while env.ledger.request_info(rid).posted < 1:
        if not sch.tick():
            env.chain.mine(1)
    env.ledger.post(rid, 2, b"\x66" * 32, 1, sender=m, bond=env.bond)  # the lie
    env.ledger.dispute(rid, 1, sender=sybil, bond=env.bond)  # at once: squat the dispute slot
    with pytest.raises(E.ShardDisputeOpen):
        env.ledger.dispute(rid, 2, sender=h.account, bond=env.bond)
    env.run(sch, rid)
    assert env.output(rid) != b"\x66" * 32, "the lie ended final: its window passed under the sybil's dispute"
    assert env.output(rid) == env.honest[-1]
    assert env.ledger.banned(rid, m.address)
