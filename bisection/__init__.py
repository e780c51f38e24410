"""Tribunal's dispute-game library: commitments, traces, the bisection game, players. Chain-agnostic.

    from runtime.model import Model
    from bisection import MemoryArbiter, make_player, play, trace, Side

    model = Model.load("digits-cnn", profile="exact")
    x_q = model.quantize_input(x)                       # the request input, int16
    program = model.program(x_q.shape)
    arbiter = MemoryArbiter()                           # or the contracts, same interface
    model_id = arbiter.register_model(program)
    honest = trace.compute(program, x_q)                # S_0 .. S_N
    defender = make_player("alice", program, x_q, "wrong-output", at_step=4, honest=honest)
    challenger = make_player("bob", program, x_q, "honest", honest=honest)
    claim = defender.submit(arbiter, model_id)
    game = challenger.challenge(arbiter, claim)         # NothingToDispute if it agrees
    play(arbiter, game, {Side.DEFENDER: defender, Side.CHALLENGER: challenger})
    arbiter.game(game).winner                           # Side.CHALLENGER

Float programs (runtime.float_program: any ONNX model, node by node in float) play the same game;
their disputed step is settled by a jury vote (`jury`, `tolerance`) instead of a one-step kernel:

    program = Model.load("gpt2-tiny").float_program((1, 1))
    arbiter = MemoryArbiter(jury=LocalJury(program))
    claim = defender.submit(arbiter, model_id, tolerance=Tolerance(1e-5, 1e-4))

Modules: `merkle` (trees, proofs), `commitments` (program root, weights root, model id, S_0),
`trace` (incremental S_0..S_N), `types` (Position, TreeNode, Clock, Bond, Claim, Side),
`arbiter` (the interface and the rules), `memory` (the in-memory arbiter), `onestep` (the one-step
check), `strategy` (the `Strategy` protocol: what a player claims at each step and how it answers
each move; the built-in strategies; writing one's own), `players` (a player moving by a strategy),
`dispute` (run a whole dispute; its `DisputeResult`), `errors`.

A strategy of one's own (any object with the `Strategy` members; subclass `Honest`) plays wherever a
built-in's name does: `dispute.run(program, x_q, MyLie(), at_step=3)`, `make_player(..., MyLie())`,
the opML agents (`tribunal node --role submitter --cheat mypkg.lies:MyLie`, `Tribunal.set_cheats`).

Move bound: a game takes at most ceil(log2 N) + ceil(log2 chunks) + 4 moves (N steps, chunks of the
disputed output tensor, level-two stride >= 2); see `types.max_moves`.
"""
from . import trace
from .arbiter import Arbiter, GameView, Phase
from .commitments import ModelCommitment, commit
from .dispute import DisputeResult, Move, play, run
from .jury import Jury, LocalJury, NodeTask
from .memory import ManualTime, MemoryArbiter
from .players import STRATEGIES, Player, make_player
from .strategy import BUILTIN, Honest, StepRewrite, Strategy, resolve
from .tolerance import Tolerance
from .types import Bond, Claim, Clock, Position, Side, TreeNode, max_moves

__all__ = ["Arbiter", "BUILTIN", "Bond", "Claim", "Clock", "DisputeResult", "GameView", "Honest", "Jury", "LocalJury",
           "ManualTime", "MemoryArbiter", "ModelCommitment", "Move", "NodeTask", "Phase", "Player", "Position",
           "STRATEGIES", "Side", "StepRewrite", "Strategy", "Tolerance", "TreeNode", "commit", "make_player",
           "max_moves", "play", "resolve", "run", "trace"]
