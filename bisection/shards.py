"""Disputes over a sharded run (issue 22): first the shard, then the steps inside it.

A sharded claim commits to its boundaries b_0 (the input's tensor root) .. b_K (the output's) through one
Merkle root over the K + 1 roots (`boundaries_root`, `merkle.StateTree` rules), so a claim costs 32 bytes
on chain whatever K is. The dispute's level zero is the step bisection's `Position` over shards instead
of steps: both sides agree on b_0 and disagree on b_K; each move names mid's root with its proof against
the commitment and says whether the challenger agrees, halving (lo, hi] until one shard j is left: the
first shard whose output boundary is wrong. That takes ceil(log2 K) moves at most (`level_zero_moves`).
Then the ordinary game (`dispute.run`, unchanged) runs over shard j's program alone, from the agreed
boundary b_{j-1}: a challenger needs only that shard's weights. So sharding adds ceil(log2 K) moves to a
game over one shard, whose own bisection is over that shard's N_j steps instead of the model's N.

With every boundary root posted on chain by its node (contracts/src/shard/ShardLedger.sol), level zero
is a single move there: the challenger names the shard.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np

from runtime.shards import ShardPlan
from runtime.tensor_root import tensor_root

from .dispute import DisputeResult, run
from .errors import InvalidMove
from .merkle import StateTree, fold
from .types import Position, Side, ceil_log2


SHARDS_TAG = b"TRIBUNAL/SHARDS/1"


def shard_ids(plan: ShardPlan) -> list[bytes]:
    """Each shard program's model id, in order."""
    from .commitments import model_id

    return [model_id(s) for s in plan.shards]


def full_id(plan: ShardPlan) -> bytes:
    """The model id of the whole registered program (compression steps included)."""
    from .commitments import model_id

    return model_id(plan.full)


def sharded_id(plan: ShardPlan) -> bytes:
    """sha256(tag || full model id || u32 K || u32 cut... || shard model id...), as ShardLedger.register
    computes it: the cut points are part of the registration, so every shard's root chains to the model."""
    ids = shard_ids(plan)
    data = SHARDS_TAG + full_id(plan) + struct.pack(">I", len(ids))
    data += b"".join(struct.pack(">I", c) for c in plan.cuts) + b"".join(ids)
    return hashlib.sha256(data).digest()


def boundaries_root(roots: list[bytes]) -> bytes:
    """The claim's commitment to its boundary roots b_0..b_K."""
    return StateTree(list(roots)).root


def level_zero_moves(k: int) -> int:
    """Moves to find the shard in dispute among k, at most: ceil(log2 k)."""
    return Position.max_moves(k)


@dataclass
class ShardedRun:
    """One side's run of a sharded request: its boundary tensors and their roots (a liar's included)."""

    plan: ShardPlan
    values: list[np.ndarray]  # b_0 .. b_K
    lie: tuple[int, str, int | None] | None = None  # (shard, strategy, step in the shard) of a liar

    @property
    def roots(self) -> list[bytes]:
        """The boundaries' tensor roots b_0 .. b_K."""
        return [tensor_root(v) for v in self.values]

    def commitment(self) -> bytes:
        """The claim's boundaries root."""
        return boundaries_root(self.roots)

    def reveal(self, j: int) -> tuple[bytes, list[bytes]]:
        """(b_j, its proof against the commitment)."""
        return self.roots[j], StateTree(self.roots).proof(j)


def honest_run(plan: ShardPlan, x_q: np.ndarray) -> ShardedRun:
    """The honest side's run: every shard computed exactly."""
    return ShardedRun(plan, plan.run(x_q))


def lying_run(plan: ShardPlan, x_q: np.ndarray, shard: int, strategy: str = "wrong-output",
              at_step: int | None = None) -> ShardedRun:
    """A run whose shard `shard` (1-based) plays `strategy` at `at_step` of that shard (default: its middle)
    and whose later shards compute honestly from the lie, so only boundary `shard` onward is wrong."""
    from .players import make_player

    values, at = [np.asarray(x_q)], at_step
    for j, program in enumerate(plan.shards, start=1):
        honest = np.asarray(program.run(values[-1])[0])
        if j == shard:  # a lie compression rounds away is no lie: the first later step whose lie survives
            for at in ([at_step] if at_step else range(max(1, program.steps // 2), program.steps + 1)):
                p = make_player("liar", program, values[-1], strategy, at)
                out = np.asarray(p.trace.value(p.trace.steps, program.output_slots[0]))
                if not np.array_equal(out, honest):
                    break
            honest = out
        values.append(honest)
    return ShardedRun(plan, values, (shard, strategy, at))


@dataclass
class ShardedDispute:
    """How a sharded dispute went: the shard found, level zero's moves, the game inside the shard."""

    shard: int  # the shard level zero found
    level_zero: int  # its moves
    game: DisputeResult  # the game inside that shard

    @property
    def moves(self) -> int:
        """All moves: level zero's and the game's."""
        return self.level_zero + self.game.moves


def find_shard(commitment: bytes, defender: ShardedRun, challenger: ShardedRun) -> tuple[int, int]:
    """Level zero: (the first shard whose output boundary the sides disagree on, moves made)."""
    k = defender.plan.k
    # INVARIANT: the game starts where both agree on b_0 (the request) and disagree on b_K (the claim).
    if defender.roots[0] != challenger.roots[0] or defender.roots[k] == challenger.roots[k]:
        raise InvalidMove("a sharded dispute needs the same input and different outputs")
    depth = StateTree(defender.roots).depth
    pos, moves = Position(0, k), 0
    while not pos.is_final:
        root, proof = defender.reveal(pos.mid)
        # INVARIANT: each revealed boundary is the one the claim committed to at that index.
        if len(proof) != depth or fold(root, pos.mid, proof) != commitment:
            raise InvalidMove(f"boundary {pos.mid} does not verify against the claim's boundaries root")
        pos = pos.agree() if challenger.roots[pos.mid] == root else pos.disagree()
        moves += 1
    return pos.disputed_step, moves


def dispute(plan: ShardPlan, x_q: np.ndarray, liar: ShardedRun) -> ShardedDispute:
    """A defender that ran `liar` against an honest challenger: level zero, then the game in the shard found
    (the liar defends the lie it made there; the challenger starts from the agreed boundary)."""
    honest = honest_run(plan, x_q)
    j, moves = find_shard(liar.commitment(), liar, honest)
    assert liar.lie is not None and j == liar.lie[0]  # INVARIANT: the shard found is the first wrong one
    _, strategy, at = liar.lie
    game = run(plan.shards[j - 1], honest.values[j - 1], strategy, at_step=at, cheater=Side.DEFENDER)
    return ShardedDispute(j, moves, game)


__all__ = ["SHARDS_TAG", "ShardedDispute", "ShardedRun", "boundaries_root", "full_id", "shard_ids", "sharded_id", "ceil_log2", "dispute", "find_shard", "honest_run",
           "level_zero_moves", "lying_run"]
