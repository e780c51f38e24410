"""`ExactOp.reads` names every input element an output element depends on: changing any input element
outside it never changes that output element (what lets a one-step proof carry only those chunks)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.ops import get_op, supported_ops

from .graphs import OPS, program_op
from .test_ops import build, random_input

LIMITS = {np.dtype(np.int8): (-127, 127), np.dtype(np.int16): (-32768, 32767)}


def target_state(op: str, data):
    """(program, S_{step-1} as arrays, step) for the node of `op` in a random single-op graph."""
    m, shape, rng, _ = build(op, data)
    prog = m.program(shape)
    step = max(n.index + 1 for n in prog.nodes if n.op == program_op(op))
    x_q = random_input(m, prog, shape, rng, data.draw(st.booleans()))
    state = prog.initial_state(x_q)
    for k, written, _ in prog.states(x_q):
        if k == step:
            break
        for i, v in written.items():
            state[i] = np.asarray(v)
    return prog, state, step, rng


def scrambled(arr: np.ndarray, keep: np.ndarray, rng) -> np.ndarray:
    """arr with every element outside `keep` replaced: random values for int8/int16, other
    elements' values for int64 (requantization parameters must stay in their domain)."""
    flat = arr.reshape(-1).copy()
    out = np.ones(flat.size, dtype=bool)
    out[keep] = False
    if out.any():
        if arr.dtype in LIMITS:
            lo, hi = LIMITS[arr.dtype]
            flat[out] = rng.integers(lo, hi + 1, int(out.sum()))
        else:
            flat[out] = rng.choice(flat, int(out.sum()))
    return flat.reshape(arr.shape)


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=12)
@given(data=st.data())
def test_reads_elementsOutsideReadsNeverChangeTheOutputElement(op, data):
    prog, state, step, rng = target_state(op, data)
    node = prog.nodes[step - 1]
    ins = [np.asarray(state[i]) for i in node.inputs]
    out_shape = prog.slots[node.outputs[0]].shape
    size = int(np.prod(out_shape))
    kernel = get_op(node.op)
    want = kernel.numpy(ins, node.attrs).reshape(-1)
    for index in {data.draw(st.integers(0, size - 1)) for _ in range(3)}:
        reads = kernel.reads(node, ins, out_shape, index)
        assert len(reads) == len(ins)
        for r, a in zip(reads, ins):
            assert r.ndim == 1 and (r.size == 0 or (r.min() >= 0 and r.max() < a.size))
        for _ in range(2):
            other = [scrambled(a, r, rng) for a, r in zip(ins, reads)]
            with np.errstate(over="ignore"):
                got = kernel.numpy(other, node.attrs).reshape(-1)[index]
            assert got == want[index], f"{op} element {index}"


def test_reads_narrowedForEveryOp():
    from runtime.ops.base import ExactOp
    # these lower to nodes of other ops (Split to Slices, Upsample/Resize to Reshape/Expand, Pad to
    # Concats, Clip to a Relu or a QuantizeLinear table, ImageScaler to a BatchNormalization) (IsNaN to a constant of Where's) or to none
    lowering_only = {"Split", "Upsample", "Resize", "DequantizeLinear", "Pad", "Clip", "ImageScaler", "IsNaN"}
    kernels = [op for op in supported_ops() if type(get_op(op)).numpy is not ExactOp.numpy]
    assert set(supported_ops()) - set(kernels) == lowering_only
    assert all(type(get_op(op)).reads is not ExactOp.reads for op in kernels)
