"""Attack (helper attack3): a packed boundary whose shift column is out of QuantizeBlock's range.

Shard j (j > 1) starts with DequantizeBlock, and its input is boundary j-1 as the previous node posted it:
any int16 tensor, column 0 of each block included. QuantizeBlock only writes shifts 0..9, but a lying
node at j-1 may post shift 25, 31, 40 or 255. DequantizeBlock's numpy kernel shifted an int32 (wrapping
at 25 and up, and giving 0 from 32 up) while the chain's kernel shifts an int256 (saturating to 32767, and
wrapping only near 255): the honest node j computed another boundary than the one-step verifier proves.
The attacker then disputes honest post j, bisects to that step and wins it on chain: the honest node's
ledger bond and opML claim bond go to the attacker (who loses only its own bond at j-1, if anybody
disputes it in time). Fixed: the numpy kernel reproduces the chain's int256 shift for every int16 shift.
"""
from __future__ import annotations

import numpy as np
import pytest

from runtime.ops import get_op
from runtime.program import Node, Program, Slot

D = get_op("DequantizeBlock")
SHIFTS = [0, 9, 15, 16, 17, 24, 25, 30, 31, 32, 40, 63, 64, 200, 247, 248, 250, 253, 254, 255, 256, 1000,
          32767, -1, -3, -32768]
QS = [1, -1, 2, -2, 3, 64, 127, -128, 0, 85]


def packed_with(shifts) -> np.ndarray:
    """One block of 2 * len(QS) int8 values per shift: every q against every shift."""
    q = np.array(QS + QS[::-1], dtype=np.int32)
    cols = (q[0::2] * 256 + (q[1::2] & 255)).astype(np.int16)
    return np.array([[s, *cols] for s in shifts], dtype=np.int16)


def chain_value(q: int, s: int) -> int:
    """The chain's DequantizeBlock: int256(q) << uint256(int256(s)), wrapped to int256, clipped to int16."""
    shift = s % 2**256
    v = (q << shift) % 2**256 if shift < 256 else 0
    v = v - 2**256 if v >= 2**255 else v
    return max(-32768, min(32767, v))


def test_numpyDequantize_isTheChainsInt256Shift_forEveryShift():
    p = packed_with(SHIFTS)
    block = 2 * (p.shape[1] - 1)
    got = D.numpy([p], {"shape": (len(SHIFTS), block)})
    q = np.array(QS + QS[::-1])
    for b, s in enumerate(SHIFTS):
        assert [int(v) for v in got[b]] == [chain_value(int(v), s) for v in q], s


@pytest.fixture(scope="module")
def onestep():
    from contracts.chain import connect
    from contracts.onestep import OneStep, deploy_onestep

    chain = connect("embedded")
    yield OneStep(chain, deploy_onestep(chain))
    chain.close()


def test_onChainKernel_provesWhatTheHonestNodeComputes_onALyingShiftColumn(onestep):
    """The one-step verifier, element by element, on a shard whose packed input carries foreign shifts."""
    from contracts.onestep import prestates, step_proof
    from tests.contracts.onestep_cases import expected, roots

    shifts = [25, 31, 40, 255, -1, 9]
    p = packed_with(shifts)
    block = 2 * (p.shape[1] - 1)
    shape = (len(shifts), block)
    slots = [Slot(0, "p", p.shape, "int16", "input"), Slot(1, "y", shape, "int16", "value")]
    program = Program(slots, [Node(0, "DequantizeBlock", "d", (0,), (1,), {"shape": shape})], {}, 0, (1,))
    states = prestates(program, p)
    want = expected(program, states[0], 1)
    bad = []
    for element in range(0, want.size, 3):  # every third element: each shift, both bytes of a column
        value, _ = onestep.element(*roots(program, states[0]), 1, element, step_proof(program, states[0], 1, element))
        if value != int(want[element]):
            bad.append((shifts[element // block], element % block, value, int(want[element])))
    assert not bad, f"chain != numpy (shift, position, chain, numpy): {bad[:6]}"
