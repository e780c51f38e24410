"""The rounding rule: the int64 kernels equal the rule computed with unbounded Python integers."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from runtime.quant import INT16_MAX, INT16_MIN, MAX_SHIFT, multiplier, requantize_np, requantize_torch


def rule(acc: int, m: int, k: int) -> int:
    """The rounding rule as written in runtime/quant.py, with Python's unbounded ints: no clipping."""
    y = (acc * m + ((1 << k) >> 1)) >> k
    return max(INT16_MIN, min(INT16_MAX, y))


ratios = st.floats(min_value=1e-9, max_value=1e6, allow_nan=False)


@given(ratios)
def test_multiplier_isCloseAndBounded(r):
    m, k = multiplier(r)
    assert 0 <= k <= MAX_SHIFT and 0 < m < 2**31
    if k < MAX_SHIFT:  # full precision unless the shift is capped
        assert abs(m / 2**k - r) / r <= 2**-30


@given(st.lists(st.integers(-(2**52), 2**52), min_size=1, max_size=20), ratios)
def test_requantize_equalsUnboundedRule_numpyAndTorch(accs, r):
    m, k = multiplier(r)
    acc = np.array(accs, dtype=np.int64)
    want = np.array([rule(a, m, k) for a in accs], dtype=np.int16)
    got_np = requantize_np(acc, m, k)
    got_t = requantize_torch(torch.from_numpy(acc), torch.tensor(m), torch.tensor(k)).numpy()
    assert (got_np == want).all() and (got_t == want).all()


@given(st.integers(-(2**40), 2**40), ratios, ratios)
def test_multiplier_sharedShift_keepsBothBelow2to31(a, r1, r2):
    top = max(r1, r2)
    m1, k1 = multiplier(r1, top)
    m2, k2 = multiplier(r2, top)
    assert k1 == k2 and m1 < 2**31 and m2 < 2**31
