"""Exact outputs are bit-identical across backends, thread counts and batch composition."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from runtime.backend import cuda_available


def test_exact_numpyEqualsTorch(digits):
    _, m, x, _ = digits
    a, b = m.run_exact(x[:64], "numpy"), m.run_exact(x[:64], "torch")
    assert (a.outputs[0] == b.outputs[0]).all()


def stepped(m, x, backend):
    """The exact output by `Program.step` alone: unlike `Program.run`, it leaves the BLAS thread
    count as the caller set it, so the two-thread case really runs on two."""
    from runtime.backend import get_backend

    x_q = m.quantize_input(x)
    prog, bk = m.program(x_q.shape), get_backend(backend)
    state = [None if v is None else bk.asarray(v) for v in prog.initial_state(x_q)]
    for k in range(1, prog.steps + 1):
        for i, v in prog.step(state, k, bk).items():
            state[i] = v
    return bk.to_numpy(state[prog.output_slots[0]])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_exact_oneVsTwoThreads_identical(digits, backend):
    _, m, x, _ = digits
    runs = []
    for n in (1, 2):
        old = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            with threadpool_limits(limits=n):
                runs.append(stepped(m, x[:64], backend))
        finally:
            torch.set_num_threads(old)
    assert (runs[0] == runs[1]).all()
    assert (runs[0] == m.run_exact(x[:64], backend).outputs[0]).all()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_exact_batchOfOne_equalsSameRowInBatchOf64(digits, backend):
    _, m, x, _ = digits
    batch = m.run_exact(x[:64], backend).outputs[0]
    for i in (0, 17, 63):
        assert (m.run_exact(x[i:i + 1], backend).outputs[0][0] == batch[i]).all()


@pytest.mark.skipif(not cuda_available(), reason="no CUDA device here (checked on the device machine when lent)")
def test_exact_cudaEqualsCpu(digits):
    _, m, x, _ = digits
    assert (m.run_exact(x[:64], "torch", "cuda").outputs[0] == m.run_exact(x[:64], "numpy").outputs[0]).all()
