"""Attack (helper attack2): a lie older than the agents' lookback but still in its challenge window.

Agents re-read LOOKBACK (1024) blocks of events each tick. On a deployment whose claim window (or window
plus a game's two clocks) is longer than that, a watcher that was down for a while (DESIGN.md section 11: a
restarted agent picks its duties up from chain state) never saw a lying claim made more than 1024 blocks
ago, still open to challenges, and let it become final; and a game still running past the lookback of its
claim was no longer played (lost on the clock). The opML agents' history now covers a claim's whole life:
LOOKBACK + window + both clocks.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from bisection.players import make_player
from verifiers.agents.base import LOOKBACK

from tests.verifiers.conftest import CONFIG, MODEL, OPML
from tests.verifiers.test_attacks_claims import claimant

pytestmark = pytest.mark.slow
LONG = replace(OPML, window=LOOKBACK + 200)


@pytest.fixture(scope="module")
def t():
    from verifiers import Tribunal

    t = Tribunal.connect("embedded", committee=3, config=CONFIG, opml_config=LONG, models=(MODEL,))
    t.ensure_registered(t.model(MODEL))
    yield t
    t.close()


def test_lieOlderThanLookback_stillInWindow_challengedByARestartedWatcher(t):
    attacker = t.chain.accounts[12]
    arb, entry, _, honest = claimant(t, attacker, 5)
    liar = make_player("attacker", entry.program, honest.trace.x_q, "wrong-output", honest=honest.trace)
    cid = liar.submit(arb, entry.model_id, t.deployment.opml.config.min_bond)
    t.chain.mine(LOOKBACK + 50)  # the watchers were down; the claim is still open to challenges
    assert t.chain.block_number < t.deployment.game.claim(cid).created + LONG.window
    watcher = next(a for a in t.scheduler.agents if a.role == "watcher")
    watcher.tick()
    assert t.deployment.game.claim_games(cid), "the lie was not challenged"
