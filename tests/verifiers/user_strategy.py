"""A dispute-game strategy as a user writes one in a file of their own, with no change to Tribunal:
`test_user_strategy` plays it in memory, on the embedded chain and through `tribunal node` on anvil.

`BitRot` believes an execution where one bit of the last byte of step K's output is flipped (later
steps compute from it, as a real fault would propagate), and judges every root against its own.
`Agreeable` is honest in all but name.
"""
from __future__ import annotations

import numpy as np

from bisection import Honest


class BitRot(Honest):
    name = "bit-rot"

    def rewrite(self, program, k, seed):
        def step(j, written, state):  # a StepRewrite: (k, written, state) -> (written, extra)
            if j != k:
                return written, {}
            slot, v = next(iter(written.items()))
            v = np.array(v, copy=True)
            if v.size == 0:
                return written, {}
            v.view(np.uint8).reshape(-1)[-1] ^= 2
            return {slot: v}, {}
        return step

    def judge(self, j, theirs, mine, rng):
        return theirs == mine or j == 0  # S_0 is the arbiter's: nothing to disagree about


class Agreeable(Honest):
    name = "agreeable"
