"""Not a test: a user's script typed against the public API, which `test_types` has mypy check (it
must type-check cleanly: the hints of bisection and runtime.model are what a user's checker reads)."""
from __future__ import annotations

import random

import numpy as np

from bisection import DisputeResult, Honest, Move, Side, StepRewrite, Strategy, dispute, make_player, resolve
from bisection.players import Player
from bisection.trace import Trace, compute
from runtime.model import ExactResult, Model
from runtime.program import Program


class Lie(Honest):
    name = "lie"

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        def step(j: int, written: dict, state: list) -> tuple[dict, dict]:
            return written, {}
        return step

    def judge(self, j: int, theirs: bytes, mine: bytes, rng: random.Random) -> bool:
        return theirs == mine


def play(model: Model, x: np.ndarray) -> Side | None:
    x_q = model.quantize_input(x)
    program: Program = model.program(x_q.shape)
    exact: ExactResult = model.run_exact(x)
    root: bytes = exact.output_root
    strategy: Strategy = resolve(Lie())
    r: DisputeResult = dispute.run(program, x_q, strategy, at_step=1, cheater=Side.CHALLENGER)
    moves: tuple[Move, ...] = r.transcript
    first: Side | None = moves[0].side if moves else None
    gas: int | None = r.gas
    t: Trace = compute(program, x_q)
    p: Player = make_player("p", program, x_q, "wrong-output", 1, honest=t)
    assert root and first and gas is None and p.trace.steps == r.max_moves
    return r.winner
