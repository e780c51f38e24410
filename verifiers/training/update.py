"""BRAIN's update of the global model, in integers so that every honest node ends with identical bytes.

When the proposal that created version v (score s_v, base version b_v) is accepted, every node folds it:

    w_v = (1 - a) * w_{v-1} + a * w_local,    a = s_v / sum(window) / (1 + staleness)

- window: the scores of the last WINDOW accepted versions, v included (BRAIN's public code: a = s_t over
  the sum of the last w scores, w = 4);
- staleness = (v - 1) - b_v: versions accepted since the proposal's base. The contract refuses a base
  more than MAX_STALENESS behind when it is proposed (BRAIN: staleness in [0, 4]); versions other
  trainers got accepted while the proposal was scored add to it here instead of rejecting it (capped at
  STALENESS_CAP so the integer fold cannot overflow). Dividing a by 1 + staleness is FedAsync's
  polynomial staleness weight with exponent 1: a model trained from an older global counts less.

a is the exact fraction num/den. With Q16 integer weights (`weights.py`) each element is

    w_v = floor((2 * (w_{v-1} * (den - num) + w_local * num) + den) / (2 * den))

that is the exact rational result rounded half up: integer operations only, no float anywhere, so the
result does not depend on the machine, the BLAS, or the order of anything.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .weights import Weights

WINDOW = 4
MAX_STALENESS = 4
# Far above any staleness a session reaches; keeps den = sum(window) * (1 + staleness) <= 40000 * 2^15 < 2^31,
# so fold's products (|weights| < 2^31) stay below 2^63.
STALENESS_CAP = (1 << 15) - 1


@dataclass(frozen=True)
class Mix:
    """a = num / den."""

    num: int
    den: int

    @classmethod
    def of(cls, window_scores: list[int], staleness: int) -> "Mix":
        """a for the newest of `window_scores` (oldest first, newest last; only the last WINDOW count)."""
        scores = [int(s) for s in window_scores[-WINDOW:]]
        # INVARIANT: den < 2^31 (scores <= SCORE_MAX), so fold's int64 arithmetic is exact.
        total = sum(scores) * (1 + min(int(staleness), STALENESS_CAP))
        if not scores or total == 0:
            return cls(0, 1)
        return cls(scores[-1], total)

    @property
    def value(self) -> float:
        return self.num / self.den


def fold(global_w: Weights, local_plain: Weights, mix: Mix) -> Weights:
    """(1 - a) * global + a * local, elementwise, exactly rounded half up (see the module doc)."""
    num, den = np.int64(mix.num), np.int64(mix.den)
    out = []
    for g, w in zip(global_w.tensors, local_plain.tensors):
        x = g * (den - num) + w * num
        out.append((2 * x + den) // (2 * den))
    return Weights(tuple(out))
