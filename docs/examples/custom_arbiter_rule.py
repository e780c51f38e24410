"""Example 3: an arbiter with a rule of one's own, and a game played move by move against it.

Every rule lives in the arbiter (`bisection.arbiter` documents them); players only talk to it. Here a
`MemoryArbiter` subclass adds one: a challenger's opening bond must be at least `per_step` times the
claim's steps (a long program's dispute costs the defender more moves, so a frivolous challenge should
risk more). Like every rule it is checked before anything changes, and a refused move raises an error
of `bisection.errors` and leaves the game as it was. The game itself is driven with the lower-level
API that `dispute.run` wraps: register, claim, challenge, `play`.

    .venv/bin/python docs/examples/custom_arbiter_rule.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # example 1's model and strategy

from own_model_in_memory import ShiftLogit, build_model  # noqa: E402

from bisection import ManualTime, MemoryArbiter, Side, make_player, play, trace  # noqa: E402
from bisection.errors import InsufficientBond  # noqa: E402
from runtime.model import Model  # noqa: E402


class StepPricedArbiter(MemoryArbiter):
    """The in-memory rules, plus: opening a game costs at least `per_step` * N."""

    def __init__(self, per_step: int, **kw):
        super().__init__(**kw)
        self.per_step = per_step

    def open_game(self, claim_id: int, challenger: str, bond: int, mid_root: bytes | None) -> int:
        """`MemoryArbiter.open_game`, refused (InsufficientBond) below `per_step` times the claim's steps."""
        need = self.per_step * self.claim(claim_id).steps
        # INVARIANT: a challenge risks at least per_step for each step of the claim it disputes.
        if bond < need:
            raise InsufficientBond(f"opening a game on a {self.claim(claim_id).steps}-step claim needs a bond of "
                                   f"{need}, got {bond}")
        return super().open_game(claim_id, challenger, bond, mid_root)


def main() -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        model = Model.load(build_model(Path(tmp) / "tiny-mlp.onnx"), profile="exact")
    x_q = model.quantize_input(np.random.default_rng(0).normal(size=(1, 16)).astype(np.float32))
    program = model.program(x_q.shape)

    arbiter = StepPricedArbiter(per_step=10, time=ManualTime())
    model_id = arbiter.register_model(program)
    honest = trace.compute(program, x_q)                          # S_0 .. S_N, computed once, shared
    liar = make_player("mallory", program, x_q, ShiftLogit(), at_step=2, honest=honest)
    watcher = make_player("walter", program, x_q, "honest", honest=honest)
    claim = liar.submit(arbiter, model_id)                        # a wrong claim, minimum bond

    try:
        watcher.challenge(arbiter, claim, bond=1)                 # the default minimum: refused by the new rule
        raise AssertionError("the rule did not refuse a cheap challenge")
    except InsufficientBond as e:
        print(f"refused: {e}")
    assert arbiter.claim_games(claim) == []                       # nothing changed

    game = watcher.challenge(arbiter, claim, bond=10 * program.steps)
    rejected = play(arbiter, game, {Side.DEFENDER: liar, Side.CHALLENGER: watcher})
    g = arbiter.game(game)
    assert g.winner is Side.CHALLENGER and arbiter.claim(claim).status == "rejected" and not rejected, g.reason
    print(f"{g.winner.value} wins in {g.moves} moves: {g.reason}; walter is paid {arbiter.balance('walter')}")
    return {"game": g, "payout": arbiter.balance("walter")}


if __name__ == "__main__":
    main()
