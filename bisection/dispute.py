"""Run a whole dispute in memory: a claim, a challenge, and the game to its end.

    from bisection import dispute, Side
    result = dispute.run(program, x_q, cheat="wrong-output", at_step=3)            # defender cheats
    result = dispute.run(program, x_q, cheat="bad-bisection", cheater="challenger")
    result = dispute.run(program, x_q, cheat=MyStrategy(), at_step=3)              # one's own (bisection.strategy)
    result.winner is Side.DEFENDER, result.moves, result.gas, result.disputed_step, result.transcript

`run` takes any `Arbiter`: the in-memory one (the default) or `contracts.arbiter.ChainArbiter` (the
opML contracts on a chain), and returns the same `DisputeResult` from either: the winner and the
cheating side as `Side`, moves, the transcript as `Move` values and, on chain, each move's gas and
their total (`gas`; None in memory). `as_dict()` is its JSON form (sides as their names).

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

from .arbiter import Arbiter, Phase
from .errors import GameError, NothingToDispute
from .jury import LocalJury
from .memory import ManualTime, MemoryArbiter
from .players import Player, make_player
from .strategy import Strategy, resolve
from .trace import compute
from .types import Side, max_moves

TICK = 1.0
"""Seconds of the in-memory arbiter's `ManualTime` that each move takes."""


@dataclass(frozen=True)
class Move:
    """One entry of a game's transcript: move `number` (None for the arbiter's own entries: a jury
    verdict, a re-base), the `side` that made it, its `kind` (open, bisect, reopen, post_output,
    post_node, pick, reveal, step, timeout, verdict, rebase), the arbiter's `time` (seconds in memory,
    the block on chain), the `gas` its transaction used (None in memory) and the rest as `detail`."""

    number: int | None
    side: Side | None
    kind: str
    time: float
    gas: int | None = None
    detail: dict = field(default_factory=dict)

    @classmethod
    def of(cls, entry: dict) -> "Move":
        """The typed form of one `GameView.transcript` entry (either arbiter's)."""
        rest = {k: v for k, v in entry.items() if k not in ("move", "side", "kind", "time", "gas")}
        side = entry.get("side")
        return cls(entry.get("move"), Side(side) if side else None, entry["kind"], entry.get("time", 0),
                   entry.get("gas"), rest)

    def as_dict(self) -> dict:
        """The transcript entry as JSON: {"move", "side", "kind", "time", ...detail, "gas" when on chain}."""
        d = {"move": self.number, "side": None if self.side is None else self.side.value, "kind": self.kind,
             "time": self.time, **self.detail}
        if self.gas is not None:
            d["gas"] = self.gas
        return d


@dataclass
class DisputeResult:
    """How one dispute ended, the same from the in-memory arbiter and on chain."""

    disputed: bool  # False: both sides agreed, no game was played
    winner: Side | None  # None only when no game was played
    cheater: Side | None  # the side that played a dishonest strategy, or None
    strategy: str  # the cheater's strategy's name
    moves: int
    max_moves: int  # types.max_moves for this program and disputed tensor
    disputed_step: int | None
    chunks: int | None  # chunks of the disputed output tensor
    reason: str
    transcript: tuple[Move, ...] = ()
    rejected: list = field(default_factory=list)  # moves the arbiter refused: {"side", "phase", "error", "message"}
    claim_status: str = "pending"
    payouts: dict = field(default_factory=dict)  # player name -> bonds paid out to it
    seconds: float = 0.0
    rebases: tuple = ()  # the steps an exact/within verdict adopted (each one jury round that did not end the game)
    charged: tuple = (0, 0)  # jury rounds charged to (defender, challenger) (GameView.charged)
    gas: int | None = None  # gas of the game's moves (on chain; None in memory)

    def as_dict(self) -> dict:
        """JSON form: sides as their names, the transcript as dicts (`Move.as_dict`)."""
        d = dict(vars(self))
        d["winner"] = None if self.winner is None else self.winner.value
        d["cheater"] = None if self.cheater is None else self.cheater.value
        d["transcript"] = [m.as_dict() for m in self.transcript]
        d["rebases"], d["charged"] = list(self.rebases), list(self.charged)
        return d


def play(arbiter: Arbiter, game_id: int, players: dict[Side, Player], max_turns: int = 10_000) -> list:
    """Drive one game to its end, asking the side to move for its move; returns the moves the arbiter
    rejected (each counts as a stall: the staller's clock is run out and its opponent claims the
    timeout). `arbiter` keeps a `ManualTime` (`.time.advance`): the in-memory arbiter or a ChainArbiter."""
    rejected: list[dict] = []
    for _ in range(max_turns):
        g = arbiter.game(game_id)
        if g.over:
            return rejected
        if g.phase is Phase.VOTE:  # a float step: the jury decides (ends or re-bases), or the game waits
            if arbiter.ask_jury(game_id).phase is not Phase.VOTE:
                continue
            return rejected
        side = g.turn
        assert side is not None  # INVARIANT: a game that is not over has a side to move
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


def run(program: Program, x_q: np.ndarray, cheat: Strategy | str = "wrong-output", at_step: int | None = None,
        cheater: Side | str = Side.DEFENDER, seed: int = 0, arbiter: Arbiter | None = None,
        tolerance=None) -> DisputeResult:
    """One claim and one game: the `cheater` side plays `cheat` (a built-in's name, a `Strategy`
    object or an import path: `strategy.resolve`) with its lie at `at_step`, the other side is honest.
    `arbiter`: in memory by default, or a ChainArbiter. A float program's step is settled by the
    arbiter's jury (by default a `LocalJury` holding the program) against the claim's `tolerance` (a
    `Tolerance`; default exact). Raises NothingToDispute when both sides agree (an honest `cheat`)."""
    t0 = time.perf_counter()
    try:
        side = Side(cheater)
    except ValueError:
        raise ValueError(f"cheater must be 'defender' or 'challenger', not '{cheater}'") from None
    strategy = resolve(cheat)
    arbiter = arbiter or MemoryArbiter(time=ManualTime(), jury=LocalJury(program))
    honest = compute(program, x_q)
    liar = make_player(side.value, program, x_q, strategy, at_step, seed, honest)
    fair = make_player("honest", program, x_q, "honest", honest=honest)
    defender, challenger = (liar, fair) if side is Side.DEFENDER else (fair, liar)
    defender.name, challenger.name = "defender", "challenger"
    model_id = arbiter.register_model(program)
    claim_id = defender.submit(arbiter, model_id, tolerance=tolerance)
    gid = challenger.challenge(arbiter, claim_id)  # NothingToDispute when both are honest
    rejected = play(arbiter, gid, {Side.DEFENDER: defender, Side.CHALLENGER: challenger})
    g = arbiter.game(gid)
    chunks = (1 << g.leaf_depth) if g.output_root is not None else None
    out_slot = program.nodes[g.position.disputed_step - 1].outputs[0] if g.position.is_final else program.output_slots[0]
    bound_chunks = chunks or _chunks(program, out_slot)
    transcript = tuple(Move.of(e) for e in g.transcript)
    gas = [m.gas for m in transcript if m.gas is not None]
    return DisputeResult(True, g.winner, None if _is_honest(strategy) else side, strategy.name, g.moves,
                         max_moves(program.steps, bound_chunks, arbiter.stride),
                         g.position.disputed_step if g.position.is_final else None, chunks, g.reason,
                         transcript, rejected, arbiter.claim(claim_id).status,
                         dict(arbiter.payouts), time.perf_counter() - t0, tuple(k for k, _ in g.rebases),
                         g.charged, sum(gas) if gas else None)


def _is_honest(s: Strategy) -> bool:
    return bool(getattr(s, "honest", False))


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
