"""The integer GEMM kernels equal the int64 reference bit for bit, at any shape and at the extremes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from runtime import intgemm
from runtime.backend import cuda_available

I16 = st.integers(-32768, 32767)
I8 = st.integers(-127, 127)  # weights are symmetric int8
EXTREME16 = st.sampled_from([-32768, -32767, -129, -128, -1, 0, 1, 127, 128, 255, 256, 32767])
EXTREME8 = st.sampled_from([-127, -1, 0, 1, 127])


@st.composite
def operands(draw):
    lead = draw(st.sampled_from([(), (1,), (2,), (2, 3)]))
    m, k, n = draw(st.integers(1, 20)), draw(st.integers(1, 40)), draw(st.integers(1, 20))
    a = draw(arrays(np.int16, lead + (m, k), elements=st.one_of(I16, EXTREME16)))
    w = draw(arrays(np.int8, (k, n), elements=st.one_of(I8, EXTREME8)))
    return a, w


def reference(a, w):
    return np.matmul(a.astype(np.int64), w.astype(np.int64))


@settings(max_examples=150, deadline=None)
@given(operands())
def test_kernels_equalInt64Reference(ops):
    a, w = ops
    want = reference(a, w)
    ta, tw = torch.from_numpy(a), torch.from_numpy(w)
    got = {
        "numpy": intgemm.gemm_np(a, w),
        "numpy_nk": intgemm.gemm_np(a, np.ascontiguousarray(w.T), w_nk=True),
        "torch_int_mm": intgemm.gemm_torch(ta, tw).numpy(),
        "torch_int_mm_nk": intgemm.gemm_torch(ta, torch.from_numpy(np.ascontiguousarray(w.T)), w_nk=True).numpy(),
        "torch_padded": intgemm.gemm_torch(ta, tw, pad=True).numpy(),  # CUDA's shapes, checked on the CPU
        "torch_f64": intgemm.gemm_torch_f64(ta, tw).numpy(),
    }
    for name, g in got.items():
        assert g.dtype == np.int64 and g.shape == want.shape, name
        assert (g == want).all(), name


@pytest.mark.parametrize("k", [1, 8, 4096, 11008])
def test_extremes_fullReduction(k):
    """Every activation at an int16 end and every weight at +-127: the largest sums the kernels meet."""
    for av, wv in ((-32768, 127), (-32768, -127), (32767, 127), (32767, -127)):
        a = np.full((3, k), av, dtype=np.int16)
        w = np.full((k, 5), wv, dtype=np.int8)
        want = reference(a, w)
        assert (intgemm.gemm_np(a, w) == want).all()
        assert (intgemm.gemm_torch(torch.from_numpy(a), torch.from_numpy(w)).numpy() == want).all()


def test_numpyReference_blocksColumns_sameResult(monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.integers(-32768, 32768, (2, 4, 64), dtype=np.int16)
    w = rng.integers(-127, 128, (64, 37), dtype=np.int8)
    monkeypatch.setattr(intgemm, "BLOCK_BYTES", 8 * 64 * 5)  # 5 columns at a time
    assert (intgemm.gemm_np(a, w) == reference(a, w)).all()


@pytest.mark.parametrize("m,k,n", [(3, 1, 2), (1, 1, 1), (2, 5, 1), (1, 1, 4), (4, 3, 3)])
def test_sizeOneDimensions_everyLayout(m, k, n):
    """Ambiguous strides (a size-1 dimension) in every layout: _int_mm misreads some on the CPU."""
    rng = np.random.default_rng(k * 100 + n)
    a = rng.integers(-32768, 32768, (m, k), dtype=np.int16)
    w = rng.integers(-127, 128, (k, n), dtype=np.int8)
    want = reference(a, w)
    ta = torch.from_numpy(np.ascontiguousarray(a.T)).T  # column-major a as well
    for tw, nk in ((torch.from_numpy(w), False), (torch.from_numpy(np.ascontiguousarray(w.T)), True),
                   (torch.from_numpy(np.ascontiguousarray(w.T)).T, False)):
        for x in (torch.from_numpy(a), ta):
            assert (intgemm.gemm_torch(x, tw, w_nk=nk).numpy() == want).all()


def test_split_int16_coversEveryValue():
    a = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16)
    hi, lo = intgemm.split_int16(a)
    assert hi.dtype == lo.dtype == torch.int8
    assert torch.equal(hi.to(torch.int32) * 256 + lo.to(torch.int32) + 128, a.to(torch.int32))


def test_longReduction_fallsBackToFloat64(monkeypatch):
    monkeypatch.setattr(intgemm, "INT_MM_MAX_K", 4)
    a = np.full((2, 9), -32768, dtype=np.int16)
    w = np.full((9, 3), -127, dtype=np.int8)
    assert (intgemm.gemm_torch(torch.from_numpy(a), torch.from_numpy(w)).numpy() == reference(a, w)).all()


@pytest.mark.skipif(not cuda_available(), reason="no CUDA device here (checked on the device machine when lent)")
@settings(max_examples=30, deadline=None)
@given(operands())
def test_cuda_equalsReference(ops):
    a, w = ops
    got = intgemm.gemm_torch(torch.from_numpy(a).cuda(), torch.from_numpy(w).cuda()).cpu().numpy()
    assert (got == reference(a, w)).all()
