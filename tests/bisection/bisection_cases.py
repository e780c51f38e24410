"""Exact programs and quantized inputs of the zoo models, cached per test process."""
from __future__ import annotations

import functools

import numpy as np
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
