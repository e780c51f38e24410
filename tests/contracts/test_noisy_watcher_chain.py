"""Regression (was an attack, on chain): a float claim that lies beyond tolerance at its last float step,
against an honest watcher one ulp off the jurors at an earlier float step, is rejected.

Played as the attacker wrote it on the embedded chain: OpmlGame, FloatStep, NodeJury and a Brain committee
of honest LocalJury jurors (tests/contracts/test_node_jury.py's harness), digits-mlp's float program, the
default tolerance. The liar computes every step bitwise like the jurors except the last float step (`add`:
far beyond tolerance). The honest watcher is one ulp off at the first float step (other hardware).
Bisection converges first to the watcher's noise and the jury votes the liar's step there EXACT. That used
to end the game for the liar and make the lie final; now OpmlGame.onVerdict re-bases on the liar's (exact)
value, charges the round to the watcher, and the watcher reaches the lie (BEYOND) and wins.
"""
from __future__ import annotations

from bisection import trace
from bisection.players import Player
from contracts import events as ev
from tests.contracts.test_node_jury import (CHALLENGER, OPML, SYSTEM, _float_game, _float_steps, _noise,  # noqa: F401
                                            deployed, digits_float, env)
from contracts.bindings.opml import float_game_bound


def test_chain_lie_at_last_float_step_rejected_by_one_ulp_noisy_watcher(env):
    program, x = digits_float()
    steps = _float_steps(program)
    lie_at, noise_at = steps[-1], steps[0]
    lie, noise = _noise(program, [], lie=lie_at), _noise(program, [noise_at])
    liar = Player("defender", trace.compute(program, x, lie), "bent", lie)
    watcher = Player("challenger", trace.compute(program, x, noise), "bent", noise)
    g, blocks, rounds, arbiter = _float_game(env, liar, watcher)
    # two jury rounds: exact at noise_at (re-based, charged to the watcher), beyond at the lie
    assert (g.winner, g.charged_defender, g.charged_challenger, rounds) == (CHALLENGER, 0, 1, 2)
    assert (g.lo, g.hi) == (lie_at - 1, lie_at)
    assert blocks <= float_game_bound(OPML, SYSTEM.commit_window, SYSTEM.reveal_window)
    claim = env.game.claim(g.claim_id)
    honest = trace.compute(program, x)
    assert claim.final_root == liar.trace.root(program.steps) != honest.root(program.steps)
    assert claim.status == "rejected"
    env.chain.mine(max(0, claim.created + OPML.window - env.chain.block_number + 1))
    assert not env.game.resolve_claim(g.claim_id, sender=env.other).of(ev.ClaimFinalized)  # never final
    assert env.game.paid(env.challenger.address) == g.challenger_bond + g.defender_bond + OPML.min_bond
    assert env.game.paid(env.defender.address) == 0
