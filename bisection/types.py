"""The game's value types: positions, clocks, bonds, claims. All position math lives here.

`Position` is level one: an interval (lo, hi) of steps where both sides agree on S_lo and disagree
on S_hi. Every bisection move halves it at `mid`; it is final when hi = lo + 1 (the disputed step is
hi). `Position.max_moves(n)` = ceil(log2 n) halvings at most.

`TreeNode` is level two: a node (depth, index) of the disputed output tensor's Merkle tree, depth 0
the root and depth D = log2(chunks) the chunk leaves. A reveal shows the node's descendants
`stride_below` levels down; a pick moves to one of them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Side(str, Enum):
    """A side of a game. A str: `Side.DEFENDER == "defender"`."""
    DEFENDER = "defender"
    CHALLENGER = "challenger"

    def __str__(self) -> str:
        return self.value  # "defender", in f-strings and prints too (a str Enum's default is "Side.DEFENDER")

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def other(self) -> "Side":
        """The opposite side."""
        return Side.CHALLENGER if self is Side.DEFENDER else Side.DEFENDER


def ceil_log2(n: int) -> int:
    """ceil(log2 n), 0 for n <= 1."""
    return 0 if n <= 1 else (n - 1).bit_length()


@dataclass(frozen=True)
class Position:
    """Level one: the interval (lo, hi] of steps in dispute; both sides agree on S_lo, not on S_hi."""
    lo: int
    hi: int

    @property
    def mid(self) -> int:
        """The midpoint whose root is posted next."""
        return (self.lo + self.hi) // 2

    @property
    def is_final(self) -> bool:
        """Whether one step is left in dispute (hi = lo + 1)."""
        return self.hi - self.lo == 1

    @property
    def disputed_step(self) -> int:
        """The step in dispute once final: hi."""
        return self.hi

    def agree(self) -> "Position":
        """Both sides accept the root at mid: the dispute is in (mid, hi]."""
        return Position(self.mid, self.hi)

    def disagree(self) -> "Position":
        """The root at mid is disputed: the dispute is in (lo, mid]."""
        return Position(self.lo, self.mid)

    @staticmethod
    def max_moves(steps: int) -> int:
        """Halvings to get from (0, steps) to a final position, worst case: ceil(log2 steps)."""
        return ceil_log2(steps)


@dataclass(frozen=True)
class TreeNode:
    """Level two: node (depth, index) of the disputed output tensor's tree; depth 0 is its root."""
    depth: int
    index: int

    def stride_below(self, leaf_depth: int, stride: int) -> int:
        """Levels a reveal at this node spans: `stride`, or fewer near the leaves."""
        return min(stride, leaf_depth - self.depth)

    def child(self, below: int, j: int) -> "TreeNode":
        """The j-th descendant `below` levels down."""
        return TreeNode(self.depth + below, (self.index << below) + j)

    @staticmethod
    def max_reveals(leaf_depth: int, stride: int) -> int:
        """Reveals from the root to a leaf at most: ceil(leaf_depth / stride)."""
        return -(-leaf_depth // stride)


@dataclass(frozen=True)
class Clock:
    """A chess clock: time left to one side; it runs only while that side is to move."""

    remaining: float

    def expired(self, elapsed: float) -> bool:
        """Whether `elapsed` exceeds the time left."""
        return elapsed > self.remaining

    def charge(self, elapsed: float) -> "Clock":
        """The clock after `elapsed` more of this side's time."""
        return Clock(max(0.0, self.remaining - elapsed))


@dataclass(frozen=True)
class Bond:
    """Wei (or units in memory) that `owner` put up."""
    owner: str
    amount: int


@dataclass(frozen=True)
class Claim:
    """A defender's answer to a request: the result and a commitment to the whole trace."""

    id: int
    model_id: bytes
    input_root: bytes  # tensor root of the quantized request input
    initial_root: bytes  # S_0, derived by the arbiter from the model and the input
    final_root: bytes  # S_N as the defender claims it
    output_root: bytes  # the result: tensor root of the output slot in S_N
    steps: int  # N
    bond: Bond
    created: float
    window: float  # challenge window: final at created + window with no game open or lost
    status: str = "pending"  # pending | final | rejected
    tolerance: int = 0  # packed Tolerance for float steps (0: exact)

    def with_status(self, status: str) -> "Claim":
        """This claim with another status."""
        return replace(self, status=status)


BPS = 10_000
BOND_GROWTH = 11_000  # each move's bond is 1.1 times the previous one's (Optimism's game: 1.09493)
MAX_BOND_DEPTH = 64  # bonds stop growing at this depth (OpmlGame.MAX_BOND_DEPTH)
# Jury rounds of a float game charged to each side that re-base it (OpmlGame.MAX_REBASES): a WITHIN verdict
# is the defender's noise, an EXACT one the disputer's mistake (it disputed a correct value); the side whose
# charged rounds would exceed this loses. So a game has at most 2 * MAX_REBASES + 1 jury rounds. Larger:
# honest sides noisy at more steps survive (a watcher or defender off the reference bit for bit, e.g. on other
# hardware), but the worst game is longer (float_game_bound) and a griefer forces more rounds (it pays them).
MAX_REBASES = 4


def bond_at(min_bond: int, growth: int, depth: int) -> int:
    """The least bond of the move that takes a game to `depth` (moves made before it; the open is
    depth 0): min_bond * (growth / 10000)^depth, floored at every step, as OpmlGame.bondAt computes it."""
    bond = min_bond
    for _ in range(min(depth, MAX_BOND_DEPTH)):
        bond = bond * growth // BPS
    return bond


def max_moves(steps: int, chunks: int, stride: int = 2) -> int:
    """Moves in one game at most (a timeout claim included, since it replaces a move).

    open (1) + bisect (ceil(log2 N)) + post_output with the first reveal (1)
    + pick and reveal per tree stride (2 * ceil(D / stride), D = log2 chunks) + step (1).
    With stride >= 2, 2 * ceil(D / stride) <= D + 1, so the total is at most
    ceil(log2 N) + ceil(log2 chunks) + 4.
    """
    depth = ceil_log2(chunks)
    return 1 + Position.max_moves(steps) + 1 + 2 * TreeNode.max_reveals(depth, stride) + 1

