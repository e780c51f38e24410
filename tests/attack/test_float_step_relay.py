"""FloatStep, split out of OpmlGame: nobody but the game files a float step, nobody but the bound jury
delivers a verdict, and a verdict reaches the game only through FloatStep."""
from __future__ import annotations

import pytest

from bisection.jury import Verdict
from contracts import errors as E
from tests.contracts.test_node_jury import deployed, env  # noqa: F401 - fixtures


def test_float_step_takes_posts_from_the_game_and_verdicts_from_its_jury_only(env):
    step = env.game.float_step()
    attacker = env.defender
    with pytest.raises(E.UnauthorizedCaller):  # a verdict sent around the jury, straight to the relay
        step._tx("onVerdict", 0, Verdict.EXACT, sender=attacker)
    with pytest.raises(E.UnauthorizedCaller):  # the game's own entry: only FloatStep
        env.game._tx("onVerdict", 0, Verdict.EXACT, sender=attacker)
    with pytest.raises(E.UnauthorizedCaller):  # a jury swapped in by someone else
        step.set_jury(attacker.address, sender=attacker)
    at = (0, 2, b"\0" * 32, b"\0" * 32, True, True, 0, b"\0" * 32, 1, 2, b"\0" * 32)
    post = (b"\0" * 32, [], b"", [], [], [], [], b"")
    with pytest.raises(E.UnauthorizedCaller):  # a float step filed around the game (no bond, no clock)
        step._tx("post", at, post, sender=attacker)
