"""Run a whole dispute in memory: a claim, a challenge, and the game to its end.

    from bisection import dispute
    result = dispute.run(program, x_q, cheat="wrong-output", at_step=3)            # defender cheats
    result = dispute.run(program, x_q, cheat="bad-bisection", cheater="challenger")
    result.winner, result.moves, result.disputed_step, result.transcript

A float program's disputed step goes to a jury vote (`jury`): the defender posts its node, the
arbiter's jury recomputes it against the claim's tolerance; beyond ends the game (the challenger
wins), within at the last step too (the defender wins), within earlier re-bases the game on the
defender's step and play goes on (`DisputeResult.rebases`, `.charged`).

The driver asks the side to move for its move, one tick of the arbiter's `ManualTime` per move. A
move the arbiter rejects is kept in `rejected` and counts as a stall: a stalling side's clock is
run out and the other side claims the timeout. With both sides honest there is nothing to dispute:
`run` raises `NothingToDispute` (or returns a result with `disputed=False` when asked to).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from runtime.program import Program

from .arbiter import Phase
from .errors import GameError, NothingToDispute
from .jury import LocalJury
from .memory import ManualTime, MemoryArbiter
from .players import Player, make_player
from .trace import compute
from .types import Side, max_moves

TICK = 1.0


@dataclass
class DisputeResult:
    disputed: bool
    winner: str  # "defender" | "challenger"
    cheater: str | None  # the side that lied, or None
    strategy: str
    moves: int
    max_moves: int
    disputed_step: int | None
    chunks: int | None  # chunks of the disputed output tensor
    reason: str
    transcript: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    claim_status: str = "pending"
    payouts: dict = field(default_factory=dict)
    seconds: float = 0.0
    rebases: tuple = ()  # the steps an exact/within verdict adopted (each one jury round that did not end the game)
    charged: tuple = (0, 0)  # jury rounds charged to (defender, challenger) (GameView.charged)

    def as_dict(self) -> dict:
        return dict(vars(self))


def play(arbiter: MemoryArbiter, game_id: int, players: dict[Side, Player], max_turns: int = 10_000) -> list:
    """Drive one game to its end; returns the moves the arbiter rejected."""
    rejected = []
    for _ in range(max_turns):
        g = arbiter.game(game_id)
        if g.over:
            return rejected
        if g.phase is Phase.VOTE:  # a float step: the jury decides (ends or re-bases), or the game waits
            if arbiter.ask_jury(game_id).phase is not Phase.VOTE:
                continue
            return rejected
        side = g.turn
        arbiter.time.advance(TICK)
        try:
            moved = players[side].act(arbiter, game_id)
        except GameError as e:
            rejected.append({"side": side.value, "phase": g.phase.value, "error": type(e).__name__, "message": str(e)})
            moved = False
        if not moved:
            arbiter.time.advance(g.clocks[side].remaining + TICK)
            arbiter.claim_timeout(game_id)
    raise RuntimeError(f"game {game_id} did not end in {max_turns} turns")


def run(program: Program, x_q: np.ndarray, cheat: str = "wrong-output", at_step: int | None = None,
        cheater: str = "defender", seed: int = 0, arbiter: MemoryArbiter | None = None,
        tolerance=None) -> DisputeResult:
    """One claim and one game: the cheating side plays `cheat`, the other side is honest. A float
    program's step is settled by the arbiter's jury (by default a `LocalJury` holding the program)
    against the claim's `tolerance` (a `Tolerance`; default exact)."""
    t0 = time.perf_counter()
    arbiter = arbiter or MemoryArbiter(time=ManualTime(), jury=LocalJury(program))
    honest = compute(program, x_q)
    liar = make_player(cheater, program, x_q, cheat, at_step, seed, honest)
    fair = make_player("honest", program, x_q, "honest", honest=honest)
    if cheater == "defender":
        defender, challenger = liar, fair
    elif cheater == "challenger":
        defender, challenger = fair, liar
    else:
        raise ValueError(f"cheater must be 'defender' or 'challenger', not '{cheater}'")
    defender.name, challenger.name = "defender", "challenger"
    model_id = arbiter.register_model(program)
    claim_id = defender.submit(arbiter, model_id, tolerance=tolerance)
    gid = challenger.challenge(arbiter, claim_id)  # NothingToDispute when both are honest
    rejected = play(arbiter, gid, {Side.DEFENDER: defender, Side.CHALLENGER: challenger})
    g = arbiter.game(gid)
    chunks = (1 << g.leaf_depth) if g.output_root is not None else None
    out_slot = program.nodes[g.position.disputed_step - 1].outputs[0] if g.position.is_final else program.output_slots[0]
    bound_chunks = chunks or _chunks(program, out_slot)
    return DisputeResult(True, g.winner.value if g.winner else "none", None if cheat == "honest" else cheater, cheat, g.moves,
                         max_moves(program.steps, bound_chunks, arbiter.stride),
                         g.position.disputed_step if g.position.is_final else None, chunks, g.reason,
                         list(g.transcript), rejected, arbiter.claim(claim_id).status,
                         dict(arbiter.payouts), time.perf_counter() - t0, tuple(k for k, _ in g.rebases),
                         g.charged)


def _chunks(program: Program, slot: int) -> int:
    from runtime.tensor_root import num_chunks

    s = program.slots[slot]
    return num_chunks(s.size * np.dtype(s.dtype).itemsize)


def check_honest(program: Program, x_q: np.ndarray) -> str:
    """What the library says for honest against honest: why no game can start."""
    try:
        run(program, x_q, cheat="honest")
    except NothingToDispute as e:
        return str(e)
    raise AssertionError("an honest challenger disputed an honest claim")
