"""Division, square root, mean and bucket rules: the int64 numpy and torch forms equal the rules
computed with unbounded Python integers, at the edges of their domains too."""
from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.quant import INT16_MAX, INT16_MIN, bucket_np, bucket_range, bucket_torch, divide_np, divide_torch, \
    isqrt_np, isqrt_torch, mean_np, mean_torch


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(-(2**62), 2**62), st.integers(1, 2**62)), min_size=1, max_size=20))
def test_divide_equalsRoundHalfUp_numpyAndTorch(pairs):
    n = np.array([p[0] for p in pairs], dtype=np.int64)
    d = np.array([p[1] for p in pairs], dtype=np.int64)
    want = np.array([(2 * a + b) // (2 * b) for a, b in pairs], dtype=np.int64)
    assert (divide_np(n, d) == want).all()
    assert (divide_torch(torch.from_numpy(n), torch.from_numpy(d)).numpy() == want).all()


def test_divide_halves_roundUp():
    n = np.array([1, -1, 3, -3, 5, -5], dtype=np.int64)
    assert divide_np(n, 2).tolist() == [1, 0, 2, -1, 3, -2]


squares = st.integers(0, 2**31 - 1).flatmap(lambda r: st.sampled_from([r * r - 1, r * r, r * r + 1, r * r + 2 * r]))


@settings(max_examples=60)
@given(st.lists(st.one_of(st.integers(0, 2**62 - 1), squares.filter(lambda v: 0 <= v < 2**62)), min_size=1, max_size=20))
def test_isqrt_equalsMathIsqrt_numpyAndTorch(values):
    v = np.array(values, dtype=np.int64)
    want = np.array([math.isqrt(x) for x in values], dtype=np.int64)
    assert (isqrt_np(v) == want).all()
    assert (isqrt_torch(torch.from_numpy(v)).numpy() == want).all()


@settings(max_examples=40)
@given(st.integers(1, 4096), st.integers(1, 2**31 - 1), st.integers(0, 30), st.data())
def test_mean_equalsExactRule(count, m, k, data):
    sums = data.draw(st.lists(st.integers(-32768 * count, 32767 * count), min_size=1, max_size=10))
    s = np.array(sums, dtype=np.int64)
    want = np.array([max(INT16_MIN, min(INT16_MAX, (2 * x * m + (count << k)) // (2 * (count << k)))) for x in sums])
    assert (mean_np(s, count, m, k) == want).all()
    assert (mean_torch(torch.from_numpy(s), count, m, k).numpy() == want).all()


@settings(max_examples=60)
@given(st.lists(st.integers(0, 2**42 - 1), min_size=1, max_size=20))
def test_bucket_holdsItsValue_andFitsTheTable(values):
    q = np.array(values, dtype=np.int64)
    b = bucket_np(q)
    assert (bucket_torch(torch.from_numpy(q)).numpy() == b).all()
    lo, hi = bucket_range(b)
    assert (b < 2**16).all() and (lo <= q).all() and (q <= hi).all()
    assert ((hi - lo + 1) <= np.maximum(lo, 1) / 2**10 + 1).all()  # a bucket spans 2^-10 of its values
