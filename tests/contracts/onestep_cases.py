"""Programs and states for the one-step tests: random single-op graphs and the zoo models."""
from __future__ import annotations

import functools

import numpy as np

from bisection.commitments import commit
from contracts.onestep import prestates, state_tree
from runtime import zoo
from runtime.model import Model
from runtime.ops import get_op

ZOO = ("toy", "digits-mlp", "digits-cnn")


@functools.lru_cache(maxsize=None)
def zoo_case(name: str):
    """(program, [S_0 .. S_{N-1}]) for the first test sample of a zoo model."""
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[:1]))
    program = m.program(x_q.shape)
    return program, prestates(program, x_q)


def expected(program, state, step: int) -> np.ndarray:
    """The node's output, flat, by its numpy kernel (what the chain must reproduce element by element)."""
    node = program.nodes[step - 1]
    return np.asarray(get_op(node.op).numpy([np.asarray(state[i]) for i in node.inputs], node.attrs)).reshape(-1)


def roots(program, state) -> tuple[bytes, bytes]:
    """(program root, state root of `state`)."""
    return commit(program).program_root, state_tree(state).root
