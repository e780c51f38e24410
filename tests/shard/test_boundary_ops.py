"""QuantizeBlock / DequantizeBlock: the boundary compression is exact, bounded in error, and the on-chain
kernels recompute every element the numpy kernels compute."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runtime.ops import get_op
from runtime.program import Node

Q, D = get_op("QuantizeBlock"), get_op("DequantizeBlock")
BLOCKS = st.sampled_from([2, 4, 8, 16, 64, 512])


def roundtrip(x: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    packed = Q.numpy([x], {"block": block})
    return packed, D.numpy([packed], {"shape": x.shape})


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.int16, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40)), block=BLOCKS)
def test_roundtrip_errorIsAtMostHalfAStep(x, block):
    """Every element comes back within half its block's quantization step (2^s / 2), saturating only at
    the int16 edge; a block whose values fit int8 comes back exactly."""
    packed, back = roundtrip(x, block)
    assert packed.dtype == np.int16 and packed.shape == (-(-x.size // block), block // 2 + 1)
    flat = np.zeros(packed.shape[0] * block, dtype=np.int64)
    flat[:x.size] = x.reshape(-1)
    s = np.repeat(packed[:, 0].astype(np.int64), block)[:x.size]
    err = np.abs(back.reshape(-1).astype(np.int64) - x.reshape(-1))
    # INVARIANT: half a step, or a step at the clipped edges (q = 127 after rounding up, int16 clipping)
    assert np.all(err <= np.maximum(1 << s, 1))
    assert np.all(err[s == 0] == 0)
    assert back.shape == x.shape and back.dtype == np.int16


def test_packedBytes_areAboutHalf():
    x = np.arange(-256, 256, dtype=np.int16).reshape(8, 64)
    packed, _ = roundtrip(x, 64)
    assert packed.nbytes == 8 * 33 * 2 and x.nbytes == 1024


def test_reads_coverWhatTheKernelUses():
    """Recomputing an element from only the elements `reads` names (others zeroed) gives the same value."""
    rng = np.random.default_rng(1)
    x = rng.integers(-32768, 32768, (3, 50)).astype(np.int16)
    node = Node(0, "QuantizeBlock", "q", (0,), (1,), {"block": 16})
    packed = Q.numpy([x], node.attrs)
    for index in range(packed.size):
        only = np.zeros(x.size, dtype=np.int16)
        idx = Q.reads(node, [x], packed.shape, index)[0]
        only[idx] = x.reshape(-1)[idx]
        assert Q.numpy([only.reshape(x.shape)], node.attrs).reshape(-1)[index] == packed.reshape(-1)[index]
    dnode = Node(0, "DequantizeBlock", "d", (0,), (1,), {"shape": x.shape})
    back = D.numpy([packed], dnode.attrs).reshape(-1)
    for index in range(x.size):
        only = np.zeros(packed.size, dtype=np.int16)
        idx = D.reads(dnode, [packed], x.shape, index)[0]
        only[idx] = packed.reshape(-1)[idx]
        assert D.numpy([only.reshape(packed.shape)], dnode.attrs).reshape(-1)[index] == back[index]


@pytest.fixture(scope="module")
def onestep():
    from contracts.chain import connect
    from contracts.onestep import OneStep, deploy_onestep

    chain = connect("embedded")
    yield OneStep(chain, deploy_onestep(chain))
    chain.close()


def test_chainKernels_equalNumpy_onEveryElementOfABoundary(onestep):
    """The compressed program's QuantizeBlock and DequantizeBlock steps, element by element on chain."""
    from contracts.onestep import prestates, step_proof
    from tests.contracts.onestep_cases import expected, roots

    from runtime.program import Program, Slot

    rng = np.random.default_rng(7)
    x = (rng.integers(-9000, 9000, (3, 40)) * rng.choice([1, 0, 3], (3, 40))).astype(np.int16)
    x[0, :16] //= 300  # a block that fits int8 (shift 0)
    x[1, 0] = -32768  # a block at the int16 edge
    slots = [Slot(0, "x", (3, 40), "int16", "input"), Slot(1, "p", (8, 9), "int16", "value"),
             Slot(2, "y", (3, 40), "int16", "value")]
    nodes = [Node(0, "QuantizeBlock", "q", (0,), (1,), {"block": 16}),
             Node(1, "DequantizeBlock", "d", (1,), (2,), {"shape": (3, 40)})]
    program = Program(slots, nodes, {}, 0, (2,))
    states = prestates(program, x)
    for step in (1, 2):
        want = expected(program, states[step - 1], step)
        for element in range(want.size):
            proof = step_proof(program, states[step - 1], step, element)
            value, slot = onestep.element(*roots(program, states[step - 1]), step, element, proof)
            assert (value, slot) == (int(want[element]), nodes[step - 1].outputs[0]), (step, element)
