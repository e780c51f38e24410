"""The `Arbiter` interface: the referee both players talk to, and nothing else.

Two implementations: `memory.MemoryArbiter` (in process, for the library and tests) and the
contracts (on chain, same rules, same error names). Players never see each other, only the arbiter.

A game runs in phases; `GameView.turn` says who must move and `GameView.phase` which move:

    phase    mover       move
    BISECT   turn        bisect(agree, mid_root)          verdict on the pending root at position.mid,
                                                          plus the next midpoint's root unless final
    BISECT   challenger  bisect(False, mid_root)          "reopen" after a re-base (pending_root None):
                                                          only its root at position.mid, as open_game
    OUTPUT   claimant    post_output(output_root, proof, reveal)          an exact step
    OUTPUT   defender    post_node(output, proof, inputs)                 a float step (whoever claims)
    VOTE     nobody      (ask_jury in memory; the jury's callback on chain)  ends or re-bases the game
    PICK     disputer    pick(j)                          which revealed node is wrong
    REVEAL   claimant    reveal(items)
    STEP     disputer    step(element, inputs)            the one-step check; resolves the game
    any      anyone      claim_timeout()                  when the side to move ran out of time
    any      anyone      close_game()                     when another game refuted the claim

Level one (BISECT). position = (lo, hi): S_lo is agreed (S_0 is computed by the arbiter), root_hi
is claimed by `claimant` and disputed by the other side (the `disputer`). `open_game` disputes the
claim's S_N and carries the challenger's root for S_mid. Each bisect move judges the root the
opponent posted at mid: agree -> lo = mid; disagree -> hi = mid and the poster becomes claimant
of root_hi. When hi = lo + 1 the disputed step is hi and the game goes to OUTPUT.

Float step (VOTE; contracts/README.md, "Float steps"). When the disputed step L = hi runs a float program's node
(op ONNX_NODE) there is no kernel: the DEFENDER moves, whoever claims S_hi, with `post_node`: its own
output bytes X of step L, the output slot's path (ZERO at the slot folds to root_lo) and the node's
inputs, each proven against root_lo (constants' bytes empty). node_root = X's root folded on that
path; when the defender claims S_hi it must equal root_hi, when the challenger does it is the
defender's own S_L, unlinked (posting anything but its real value only hurts it: it must later reach
the claim's S_N from there). The arbiter files the task with its jury (`jury.Jury`); no clock runs
while the jury decides. The verdict (`jury.Verdict`) judges the defender's step on the agreed inputs:
- BEYOND the claim's tolerance -> the challenger wins;
- EXACT or WITHIN at L = N -> the defender wins (at hi = N the defender is always the claimant);
- EXACT or WITHIN at L < N -> RE-BASE, the round CHARGED to the side that caused it: WITHIN (noise,
  not bitwise) to the defender; EXACT (bitwise the recomputation) to the side that was wrong about a
  correct value: the disputer if root_hi is node_root (it disputed a correct S_hi), else the claimant
  (a challenger claiming a value other than the defender's exact one). If that
  side's charged rounds (`GameView.charged`) now exceed `max_rebases` (types.MAX_REBASES), it loses.
  Else the game goes on over position (L, N) with root_lo = node_root, root_hi = the claim's S_N
  claimed by the defender, the clocks as they were (re-bases do not refill them), moves and bonds
  carried on, and (L, X) appended to `GameView.rebases`. If L + 1 = N the game goes to OUTPUT (the
  defender posts step N); else to BISECT with no pending root and the challenger to "reopen" with its
  root at the new midpoint. A challenger that now agrees with the rest does not move and loses on time.
So a claim stands iff every step of the defender's trace is within tolerance of its node recomputed
on the defender's own inputs and at most `max_rebases` of them before the last are not bitwise; an
honest challenger one ulp off the reference at a step pays that round and keeps looking from the
defender's (exact) value, so it still reaches a real lie if it has at most `max_rebases` such steps;
a dishonest challenger of an honest defender pays every round and loses after `max_rebases`. A game
lasts at most 2 * clock of moves plus 2 * max_rebases + 1 jury rounds (contracts/README.md, "Float
steps").

One-step phase. The node run by the disputed step writes one slot o.
- post_output: the claimant gives o's tensor root R and the sibling path of o: it must fold to
  root_lo with leaf ZERO (o is unwritten in S_lo) and to root_hi with leaf R. So S_hi differs
  from S_lo only in o, and R is linked to the state tree (level one -> level two). It carries the
  first reveal (below).
- Level two: a reveal at tree node n of R's tensor tree (depth d, leaves at depth D) is the list of
  n's 2^b descendants b = min(stride, D - d) levels down, which must fold to n's hash; at a leaf
  (d = D) it is the one 1024-byte chunk, which must hash to the leaf. After a tree reveal the
  disputer picks one revealed node j; the claimant reveals under it, and so on.
- step: after the chunk reveal, the disputer names one element of the chunk and gives the node's
  input tensors, each with its sibling path against root_lo. The arbiter recomputes that element
  with the op's kernel: equal to the revealed one -> claimant wins; different -> disputer wins.
  (In memory the whole node is recomputed; an on-chain arbiter takes only the inputs' chunks that
  the element needs, each with a tensor-tree path, and recomputes the one element.)

Every move is checked before anything changes; a rejected move raises an error from
`bisection.errors` and leaves the game as it was. Clocks: each side has `clock` seconds (or ticks)
per game, charged while it is to move; a move after that raises ClockTimeExceeded and the other
side may `claim_timeout`.

Bonds (as in Optimism's FaultDisputeGame): the claim and the open carry at least `min_bond`; every
later move carries `move_bond(game)` = `types.bond_at(min_bond, bond_growth, depth)`, depth being the
moves made before it, taken from the mover by the arbiter. The winner of a game takes every bond of
that game. A challenger's win rejects the claim at once (the defender's claim bond to that
challenger too) and touches no other game: the claim's other open games take no more moves
(GameOver) and each is ended by `close_game` (anyone), which gives each side its own bonds back. So
no move's cost depends on how many games a claim has. A claim is final after its window with no
open game (`resolve_claim`).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from .types import Claim, Clock, Position, Side, TreeNode


class Phase(str, Enum):
    """Which move a game waits for (`GameView.phase`; the table in the module docstring says who makes it)."""
    BISECT = "bisect"
    OUTPUT = "output"
    PICK = "pick"
    REVEAL = "reveal"
    STEP = "step"
    OVER = "over"
    VOTE = "vote"  # a float step posted, the jury deciding (appended: existing numbers stay)


@dataclass(frozen=True)
class GameView:
    """A read-only snapshot of one game."""

    id: int
    claim_id: int
    defender: str
    challenger: str
    phase: Phase
    turn: Side | None  # who must move (None when over)
    position: Position
    root_lo: bytes
    root_hi: bytes
    claimant: Side  # who asserts root_hi
    pending_root: bytes | None  # the root at position.mid awaiting a verdict (BISECT)
    output_root: bytes | None  # R, once posted
    node: TreeNode | None  # level two: the disputed tree node
    node_hash: bytes | None
    leaf_depth: int  # D = log2(chunks) of the disputed output tensor (0 before OUTPUT)
    revealed: tuple  # the last reveal (hashes, or the chunk as one bytes)
    clocks: dict  # Side -> Clock
    turn_since: float
    winner: Side | None
    reason: str
    moves: int
    transcript: tuple  # one dict per accepted move
    rebases: tuple = ()  # ((step, defender's output bytes), ...) adopted by exact/within verdicts, oldest first
    charged: tuple = (0, 0)  # jury rounds charged to (defender, challenger): re-based ones, and one that lost the game

    def charged_to(self, side: Side) -> int:
        """Jury rounds before step N charged to `side` (WITHIN: the defender's noise; EXACT: the side wrong
        about the correct value); more than MAX_REBASES lost it the game."""
        return self.charged[0 if side is Side.DEFENDER else 1]

    @property
    def disputer(self) -> Side:
        """The side that disputes root_hi (the claimant's opponent)."""
        return self.claimant.other

    @property
    def over(self) -> bool:
        """Whether the game is resolved (phase OVER: `winner` says who won, None if closed without one)."""
        return self.phase is Phase.OVER

    def side_of(self, player: str) -> Side | None:
        """The side `player` plays in this game, or None when it is not a party."""
        if player == self.defender:
            return Side.DEFENDER
        if player == self.challenger:
            return Side.CHALLENGER
        return None


class Arbiter(ABC):
    """The referee. Methods that take `player` check it is that player's turn and clock."""

    stride: int  # levels per level-two reveal
    clock: float  # each side's time per game
    min_bond: int  # the least claim and opening bond; bond_at(0)
    time: Any  # the clock `now` reads; a driver advances it (`memory.ManualTime`, `contracts.arbiter.ChainTime`)
    payouts: dict[str, int]  # bonds paid out so far, by player name

    # ---- models and claims
    @abstractmethod
    def register_model(self, program) -> bytes:
        """Register an exact program; returns its model id (see `commitments`). A program with a step
        whose one-step proof would pass a chain's bounds is refused first (StepProofTooLarge,
        `step_cost.check_fits`)."""

    @abstractmethod
    def submit_claim(self, defender: str, model_id: bytes, x_q: np.ndarray, final_root: bytes,
                     output_root: bytes, output_proof: list[bytes], bond: int) -> int:
        """A defender's answer: S_N and the output root, with the output slot's path in S_N."""

    @abstractmethod
    def claim(self, claim_id: int) -> Claim:
        """The claim `claim_id` as it stands now (UnknownClaim if there is none)."""

    @abstractmethod
    def resolve_claim(self, claim_id: int) -> Claim:
        """Make a claim final once its window passed with no open game."""

    # ---- games
    @abstractmethod
    def open_game(self, claim_id: int, challenger: str, bond: int, mid_root: bytes | None) -> int:
        """Dispute the claim's S_N; mid_root is the challenger's S_{N//2} (None when N = 1)."""

    @abstractmethod
    def game(self, game_id: int) -> GameView:
        """A snapshot of game `game_id` (UnknownGame if there is none)."""

    @abstractmethod
    def bisect(self, game_id: int, player: str, agree: bool, mid_root: bytes | None) -> GameView:
        """Judge the pending root and post the next midpoint's; with no pending root (after a re-base)
        it is the challenger's reopen: agree must be False, mid_root its root at position.mid."""

    @abstractmethod
    def post_output(self, game_id: int, player: str, output_root: bytes, proof: list[bytes],
                    reveal: list[bytes]) -> GameView:
        """An exact step (Phase.OUTPUT, the claimant's move): the disputed step's output tensor root, its
        sibling path in the state tree, and the first level-two reveal under it."""

    def post_node(self, game_id: int, player: str, output: bytes, output_proof: list[bytes],
                  inputs: list[tuple[bytes, bytes, list[bytes]]]) -> GameView:
        """A float step (op ONNX_NODE) at Phase.OUTPUT, the defender's move whoever claims S_hi: its own
        output bytes with the output slot's path, and per listed input (canonical bytes or b"" for a
        constant, leaf in S_lo, path); the jury's verdict ends the game or re-bases it (module docstring).
        Arbiters without a jury refuse it."""
        from .errors import JuryNotSet

        raise JuryNotSet(f"{type(self).__name__} has no jury for float steps")

    def ask_jury(self, game_id: int) -> GameView:
        """Phase.VOTE: ask the arbiter's jury for its verdict on the posted float step (the game ends,
        re-bases, or stays in VOTE while undecided). Arbiters without a jury refuse it."""
        from .errors import JuryNotSet

        raise JuryNotSet(f"{type(self).__name__} has no jury for float steps")

    @abstractmethod
    def pick(self, game_id: int, player: str, index: int) -> GameView:
        """Level two (Phase.PICK, the disputer's move): which of the revealed nodes it disputes."""

    @abstractmethod
    def reveal(self, game_id: int, player: str, items: list[bytes]) -> GameView:
        """Level two (Phase.REVEAL, the claimant's move): the disputed node's descendants, or its chunk."""

    @abstractmethod
    def step(self, game_id: int, player: str, element: int, inputs: list[tuple[np.ndarray, list[bytes]]]) -> GameView:
        """The one-step check (Phase.STEP, the disputer's move): one element of the revealed chunk and the
        node's inputs with their paths in S_lo; the arbiter recomputes the element and resolves the game."""

    @abstractmethod
    def claim_timeout(self, game_id: int) -> GameView:
        """End the game for the side not to move, once the side to move ran out of clock."""

    @abstractmethod
    def close_game(self, game_id: int) -> GameView:
        """End an open game of a rejected claim, each side's bonds back to it (ClaimPending otherwise)."""

    @abstractmethod
    def move_bond(self, game_id: int) -> int:
        """The bond the game's next move carries."""

    @abstractmethod
    def now(self) -> float:
        """The arbiter's clock: seconds (in memory) or the block number (on chain)."""

    @abstractmethod
    def balance(self, who: str) -> int:
        """Bonds paid out to `who` so far (winnings and refunds)."""


__all__ = ["Arbiter", "GameView", "Phase", "Clock"]
