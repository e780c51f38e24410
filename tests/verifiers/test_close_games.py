"""A claim refuted by one game leaves its other games open (lazy settlement: contracts/README.md, opML
threat model, finding 1); the agents close the ones they have bonds in, so no bond stays locked."""
from __future__ import annotations

import pytest

from verifiers.agents.roles import role

from .conftest import MODEL, cheat

pytestmark = pytest.mark.slow


def test_refutedClaim_secondWatchersGame_closedByItsWatcher_bondsBack(tribunal, sample):
    d = tribunal.deployment
    second = role("watcher")(d, tribunal.chain.accounts[3 + 3 + 2], catalog=tribunal.catalog, name="watcher-2")
    tribunal.scheduler.add(second)
    cheat(tribunal, submitter="wrong-output")
    v = tribunal.infer(MODEL, sample, mode="opml").wait()
    assert v.status in ("final", "rejected"), v.reason
    claims = {g["claim"] for g in v.evidence["games"]}
    games = [gid for c in claims for gid in d.game.claim_games(c)]
    assert len(games) >= 2  # both watchers disputed the cheating claim
    for _ in range(4):  # a few more ticks: the loser of the race closes its game
        tribunal.step()
    infos = [d.game.game(gid) for gid in games]
    assert all(g.phase == "over" for g in infos), [(gid, g.phase) for gid, g in zip(games, infos)]
    closed = [g for g in infos if g.winner == 0]  # ended by closeGame, not won
    assert closed and all(d.game.paid(g.challenger) >= g.challenger_bond for g in closed)
