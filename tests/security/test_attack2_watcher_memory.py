"""Attack (helper attack2): grow every watcher's memory with honest claims until it dies, then lie.

A watcher re-executes every pending claim. It kept the whole trace of each (every value the program
computed, per claim input, forever), so anyone could post honest claims on distinct inputs, each costing
only gas (the bond comes back when the claim is final), and grow each watcher's memory without bound: with
a real-size model a few hundred claims are gigabytes. Now a claim that matches the watcher's own S_N keeps
32 bytes (`OpmlAgent.final_root`), traces are kept only for games and requests in play, and every agent
cache is bounded (least recently used out). A lying claim is still challenged.
"""
from __future__ import annotations

import pytest

from verifiers.agents import opml_duties

from tests.verifiers.conftest import CONFIG, MODEL, OPML
from tests.verifiers.test_attacks_claims import claimant

pytestmark = pytest.mark.slow
ATTACKER = 12


@pytest.fixture(scope="module")
def t():
    from verifiers import Tribunal

    t = Tribunal.connect("embedded", committee=3, config=CONFIG, opml_config=OPML, models=(MODEL,))
    t.ensure_registered(t.model(MODEL))
    yield t
    t.close()


def watcher_of(t):
    return next(a for a in t.scheduler.agents if a.role == "watcher")


def test_honestClaimsOnDistinctInputs_watcherKeepsNoTrace_cachesBounded(t, monkeypatch):
    monkeypatch.setattr(opml_duties, "MAX_ROOTS", 3)
    w, attacker = watcher_of(t), t.chain.accounts[ATTACKER]
    before = len(w.log)
    for seed in range(5):
        arb, entry, _, honest = claimant(t, attacker, seed)
        honest.submit(arb, entry.model_id, t.deployment.opml.config.min_bond)
    assert w.tick() == 0  # nothing to dispute
    assert not [e for e in w.log[before:] if "error" in e or "game" in e]
    assert len(w._players) == 0 and len(w._roots) == 3  # 32 bytes per checked input, least recently used out


def test_lyingClaim_stillChallenged(t):
    from bisection.players import make_player

    w, attacker = watcher_of(t), t.chain.accounts[ATTACKER]
    arb, entry, _, honest = claimant(t, attacker, 99)
    liar = make_player("attacker", entry.program, honest.trace.x_q, "wrong-output", honest=honest.trace)
    cid = liar.submit(arb, entry.model_id, t.deployment.opml.config.min_bond)
    assert w.tick() >= 1
    assert t.deployment.game.claim_games(cid)
