"""Exact and float programs of the zoo models with their inputs, cached per test process."""
from __future__ import annotations

import functools

import numpy as np
from bisection import trace
from runtime import zoo
from runtime.model import Model

MODELS = ("toy", "digits-mlp", "digits-cnn")


@functools.lru_cache(maxsize=None)
def model(name: str) -> Model:
    return Model.load(name, profile="exact")


@functools.lru_cache(maxsize=None)
def case(name: str, batch: int = 1, sample: int = 0):
    """(program, x_q) for `batch` consecutive test samples starting at `sample`."""
    m = model(name)
    x, _ = zoo.test_data(name)
    idx = [(sample + i) % len(x) for i in range(batch)]
    x_q = m.quantize_input(np.asarray(x[idx]))
    return m.program(x_q.shape), x_q


@functools.lru_cache(maxsize=None)
def float_case(name: str):
    """A zoo model's float program, a seeded input and its honest trace (cached per model)."""
    m = Model.load(name)
    prog = m.float_program(m.default_shape())
    rng = np.random.default_rng(7)
    if m.spec.dtype.kind == "f":
        x = rng.standard_normal(m.default_shape()).astype(np.float32)
    else:
        x = rng.integers(0, m.id_limit(), m.default_shape()).astype(np.int64)
    return prog, x, trace.compute(prog, x)
