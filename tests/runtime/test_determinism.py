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


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_exact_oneVsTwoThreads_identical(digits, backend):
    _, m, x, _ = digits
    runs = []
    for n in (1, 2):
        old = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            with threadpool_limits(limits=n):
                runs.append(m.run_exact(x[:64], backend).outputs[0])
        finally:
            torch.set_num_threads(old)
    assert (runs[0] == runs[1]).all()


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
