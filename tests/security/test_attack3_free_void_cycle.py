"""Attack (helper attack3): a request stalled for ever by voids the liar's own sybil wins, at no cost.

A void paid the challenger both bonds (its own and the loser's), and a voided boundary is open to any node
at once. So a node posts a wrong boundary, its sybil disputes it in the same block (taking the request's
one dispute slot from the honest challengers), the node never binds, and after `bindWindow` the sybil
collects both bonds: the pair lost nothing but gas. A fresh address then posts the next wrong boundary in
the same transaction as the resolution (the boundary is anybody's at once), and so on: the request never
ends and its requester's fee stays locked, while the attacker pays gas only. Fixed: the loser's bond is
split, half to the challenger and half to the requester, so each void costs the liar half a bond (paid to
the party whose request it delays) whoever disputes it.
"""
from __future__ import annotations

import pytest

from tests.security.attack3_shard import REQUESTER, SYBIL, env  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_aVoidWonByTheLiarsOwnSybil_stillCostsTheLiar_andPaysTheRequester(env):  # noqa: F811
    ledger, bond = env.ledger, env.bond
    sybil = env.acct(SYBIL)
    liars = [env.acct(25 + i) for i in range(3)]
    rid = env.request([liars[0].address, env.acct(21).address])
    staked = 0
    for liar in liars:  # one void per round: post, dispute at once, never bind, resolve, next liar posts
        ledger.post(rid, 1, b"\x66" * 32, 1, sender=liar, bond=bond)
        ledger.dispute(rid, 1, sender=sybil, bond=bond)
        staked += 2 * bond
        env.chain.mine(ledger.bind_window)
        ledger.resolve(rid, sender=sybil)
        assert ledger.request_info(rid).posted == 0 and ledger.banned(rid, liar.address)
    back = ledger.credit(sybil.address)
    assert back < staked, f"three voids cost the liar and its sybil nothing: {staked} wei staked, {back} back"
    assert ledger.credit(env.acct(REQUESTER).address) == staked - back  # the delayed requester is paid the rest
