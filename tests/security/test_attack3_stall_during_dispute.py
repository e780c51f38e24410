"""Attack (helper attack3): a routed node's turn taken while a dispute kept it from posting.

Posting is shut while a dispute is open (ShardDisputeOpen), but the routed node's `stall` blocks counted
from the last post all the same: a dispute bound to an opML claim lasts at least the claim's window (24
blocks), four times the stall (6). So an attacker disputes the honest post before the routed node's turn
(losing one bond) and, in the transaction that resolves it, posts the next boundary itself: the routed node
never had a block in which it could post, yet its turn was anybody's (its fee share to the attacker, its
record charged a miss by routing, or a lie posted in its place for the challengers to undo). Fixed: a
dispute the poster wins gives the next routed node its `stall` blocks again.
"""
from __future__ import annotations

import pytest

from contracts import errors as E
from verifiers.agents.base import Scheduler
from verifiers.views import CLAIM_PENDING

from tests.security.attack3_shard import ATTACKER, SYBIL, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_theRoutedNode_keepsItsTurn_afterADisputeItCouldNotPostThrough(env):  # noqa: F811
    a, b = env.node(20, {1}), env.node(21, {2})
    m = env.acct(ATTACKER)
    sch_a = Scheduler([a])  # b is routed for shard 2 (it does not tick while the attacker plays)
    while sch_a.tick():
        pass
    rid = env.request([a.address, b.address])
    while env.ledger.request_info(rid).posted < 1:
        if not sch_a.tick():
            env.chain.mine(1)
    env.ledger.dispute(rid, 1, sender=env.acct(SYBIL), bond=env.bond)  # before b's turn comes
    while env.ledger.dispute_of(rid).open:  # a defends and wins; b cannot post meanwhile
        if not sch_a.tick():
            env.chain.mine(1)
    assert env.d.game.claim(env.ledger.dispute_of(rid).claim_id).status != CLAIM_PENDING
    with pytest.raises(E.NotRoutedNode):
        env.ledger.post(rid, 2, env.honest[2], 1, sender=m, bond=env.bond)
    env.run(Scheduler([a, b]), rid)
    assert env.ledger.post_of(rid, 2).node == b.address and env.output(rid) == env.honest[-1]
