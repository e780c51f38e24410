"""Attack (helper attack3): a lie disputed by its own teller's sybil, defended by a lying claim nobody plays.

Only the node that opened a ShardLedger dispute played the opML claim bound to it; the other honest holders
of the shard watched (ShardNode.tick does not run the opML watcher's duties). So the node that lies on its
boundary has its sybil dispute it at once (taking the request's one dispute slot), binds an opML claim on
the lie, and the sybil never opens a game: after the claim's window the lie's claim is final, the dispute
resolved for the liar (the sybil's bond goes to the liar: the attack costs nothing), and the honest
challenger never got to play. Before the window fix (test_attack3_window_squatted) that made the lie final;
with it, the sybil re-disputes in the same block as each resolution, for free, and the request never ends.
Fixed: a node holding the disputed shard plays as challenger against any bound claim whose output its own
run of the shard contradicts, whoever opened the dispute, so the lying claim is rejected.
"""
from __future__ import annotations

import pytest

from contracts.arbiter import ChainArbiter
from runtime.tensor_root import tensor_root
from verifiers.agents.base import Scheduler
from verifiers.shard import plans
from verifiers.shard.node import lying_player
from verifiers.views import CLAIM_PENDING, CLAIM_REJECTED

from tests.security.attack3_shard import ATTACKER, SYBIL, X, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_aLyingClaimBoundToASybilsDispute_isPlayedAndRejectedByAnHonestHolder(env):  # noqa: F811
    a, h = env.node(20, {1}), env.node(21, {2})
    sch = Scheduler([a, h])
    while sch.tick():
        pass
    m, sybil = env.acct(ATTACKER), env.acct(SYBIL)
    rid = env.request([a.address, m.address])
    while env.ledger.request_info(rid).posted < 1:
        if not sch.tick():
            env.chain.mine(1)
    entry = plans.entries(env.spec)[1]
    liar = lying_player("m", entry, env.plan.shards[0].run(X)[0])
    lie = liar.trace.leaf(liar.trace.steps, entry.program.output_slots[0])
    assert lie != env.honest[2]
    env.ledger.post(rid, 2, lie, 1, sender=m, bond=env.bond)
    env.ledger.dispute(rid, 2, sender=sybil, bond=env.bond)  # the liar's own sybil takes the slot
    arb = ChainArbiter(env.d.opml, accounts={"m": m})
    cid = liar.submit(arb, entry.model_id, env.d.opml.config.min_bond)
    env.ledger.bind(rid, cid, sender=m)
    start = env.chain.block_number
    while env.d.game.claim(cid).status == CLAIM_PENDING and env.chain.block_number < start + 120:
        if not sch.tick():
            env.chain.mine(1)
    assert env.d.game.claim(cid).status == CLAIM_REJECTED, "the lying claim went final: no honest node played it"
    env.run(sch, rid)
    assert env.output(rid) == env.honest[-1] and env.ledger.banned(rid, m.address)
    assert tensor_root(env.plan.run(X)[-1]) == env.honest[-1]
