"""The exact profile's arithmetic rules, written down once.

Number formats
- activations: int16, one scale per tensor (real = q * scale);
- weights: int8, one scale per output channel; biases and accumulators: int64;
- scales are floats used only at registration: what runs is integer multipliers and shifts.

Quantizing a float x with scale s: q = saturate(rint(x / s)) in float64 (IEEE division and
round-half-to-even, identical on every conforming machine); saturate clips to [-32768, 32767].

Requantization, the one rounding rule. A value `acc` in scale s_acc becomes the int16 value in
scale s_out through the integer multiplier M and shift k chosen by `multiplier(s_acc / s_out)`:

    requantize(acc, M, k) = saturate(floor((acc * M + 2^(k-1)) / 2^k))     (2^(k-1) is 0 when k = 0)

that is, round half up. Before the product, acc is clipped to [-L, L] with L = floor(2^15 * 2^k / M) + 1:
every acc beyond L saturates anyway (proof in `requantize_limit`), and the clip keeps acc * M below
2^62 + 2^31, so the whole rule fits int64 (numpy, torch) and int256 (Solidity) without overflow.
M < 2^31 and 0 <= k <= 47.

Matrix products run as float64 GEMM of integer operands: every product and partial sum is an integer
of magnitude below 2^53, so the float64 result is exact in any summation order; `check_exact_gemm`
enforces the bound when a node is lowered.
"""
from __future__ import annotations

import math

import numpy as np

INT16_MIN, INT16_MAX = -32768, 32767
INT8_MAX = 127
MULT_BITS = 31  # M < 2^31
MAX_SHIFT = 47  # keeps (2^15 << k) below 2^63
EXACT_F64 = 2**53


def multiplier(ratio: float, max_ratio: float | None = None) -> tuple[int, int]:
    """(M, k) with M / 2^k the closest to `ratio` that 31 bits of M allow.

    With `max_ratio` (for sums of several terms sharing one shift) k is chosen from the largest
    ratio, so every term's M stays below 2^31.
    """
    if not (ratio >= 0 and math.isfinite(ratio)):
        raise ValueError(f"requantization ratio must be finite and >= 0, got {ratio}")
    top = ratio if max_ratio is None else max_ratio
    if top == 0:
        return 0, 0
    k = (MULT_BITS - 1) - math.floor(math.log2(top))
    k = min(max(k, 0), MAX_SHIFT)
    if round(top * 2.0**k) >= 2**MULT_BITS:  # rounding reached 2^31: one bit less
        if k == 0:
            raise ValueError(f"requantization ratio {top} is too large for a 31-bit multiplier")
        k -= 1
    m = round(ratio * 2.0**k)
    return int(m), int(k)


def requantize_limit(m, k):
    """L = floor(2^15 * 2^k / M) + 1 (numpy arrays or ints; M > 0).

    If acc > L then acc * M > 2^15 * 2^k, so the rounded result is >= 2^15 and saturates to 32767,
    exactly as L itself does; the negative side is symmetric. So clipping to [-L, L] is invisible.
    """
    m = np.maximum(np.asarray(m, dtype=np.int64), 1)
    return (np.int64(2**15) << np.asarray(k, dtype=np.int64)) // m + 1


def requantize_np(acc: np.ndarray, m, k, bound: int | None = None, inplace: bool = False) -> np.ndarray:
    """The rounding rule on int64 numpy arrays; m, k broadcast against acc.

    `bound` (optional) is a known bound on |acc|, which spares a pass to find one; `inplace` lets
    the rule overwrite acc (an int64 array the caller owns). Neither changes the result.
    """
    m = np.asarray(m, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    a = acc if inplace and acc.dtype == np.int64 else acc.astype(np.int64, copy=True)
    if a.size:
        if bound is None:
            bound = int(np.abs(a).max())
        if bound * int(m.max()) >= 2**62:  # else the clip to [-L, L] cannot bite: skip the pass
            lim = requantize_limit(m, k)
            np.clip(a, -lim, lim, out=a)
    a *= m
    a += (np.int64(1) << k) >> 1
    a >>= k
    return np.clip(a, INT16_MIN, INT16_MAX, out=a).astype(np.int16)


def acc_bound(terms: int, bias) -> int:
    """A bound on |sum of `terms` int16 x int8 products + bias|, for `requantize_np(bound=...)`."""
    return terms * (INT16_MAX + 1) * (INT8_MAX + 1) + (int(np.abs(bias).max()) if np.size(bias) else 0)


def requantize_torch(acc, m, k):
    """The rounding rule on int64 torch tensors; m, k are int64 tensors broadcasting against acc."""
    import torch

    lim = (torch.tensor(2**15, dtype=torch.int64, device=acc.device) << k) // torch.clamp(m, min=1) + 1
    a = torch.minimum(torch.maximum(acc.to(torch.int64), -lim), lim)
    rounding = (torch.ones_like(k) << k) >> 1
    return torch.clamp((a * m + rounding) >> k, INT16_MIN, INT16_MAX).to(torch.int16)


BLOCK = 1 << 22  # elements per block of the float64 passes over a large constant (32 MiB of float64)


def quantize(x: np.ndarray, scale, bits: int = 16) -> np.ndarray:
    """Float to int16 (or int8 with bits=8) by the rule in the module docstring. A large x with one
    scale is done in blocks (elementwise, so the same result) to keep its float64 copy small."""
    hi = 2 ** (bits - 1) - 1
    lo = -hi - 1 if bits == 16 else -hi  # int8 weights are symmetric: [-127, 127]
    dtype = np.int16 if bits == 16 else np.int8
    x = np.asarray(x)
    if x.size > BLOCK and np.ndim(scale) == 0:
        flat, out = x.reshape(-1), np.empty(x.size, dtype=dtype)
        for i in range(0, x.size, BLOCK):
            out[i:i + BLOCK] = quantize(flat[i:i + BLOCK], scale, bits)
        return out.reshape(x.shape)
    q = np.rint(np.asarray(x, dtype=np.float64) / np.asarray(scale, dtype=np.float64))
    return np.clip(q, lo, hi).astype(dtype)


def quantize_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 weights, per-column scales) of a 2-D float matrix: scale_n = max_k |w[k, n]| / 127 (1.0
    for a zero column), q = quantize(w / scale, 1.0, bits=8); done over blocks of rows, so the float64
    copies stay small whatever the matrix (the same result as one pass: max and quantize are exact)."""
    rows = max(1, BLOCK // max(w.shape[1], 1))
    ws = np.zeros(w.shape[1], dtype=np.float64)
    for i in range(0, w.shape[0], rows):
        np.maximum(ws, np.max(np.abs(np.asarray(w[i:i + rows], dtype=np.float64)), axis=0, initial=0.0), out=ws)
    ws /= INT8_MAX
    ws[ws == 0] = 1.0
    q = np.empty(w.shape, dtype=np.int8)
    for i in range(0, w.shape[0], rows):
        q[i:i + rows] = quantize(np.asarray(w[i:i + rows], dtype=np.float64) / ws, 1.0, bits=8)
    return q, ws


# Magnitudes at or above this are masks, not data (torch exporters fill attention masks with
# finfo(float32).min, others with -inf): they set no scale and saturate to the int16 ends.
MASK_SENTINEL = 1e30


def calibrated_max_abs(v: np.ndarray) -> float:
    """The largest magnitude of `v` that sets a scale: mask sentinels and non-finite values ignored."""
    flat, best = np.asarray(v).reshape(-1), 0.0
    for i in range(0, flat.size, BLOCK):  # blocks: a large constant's float64 copy stays small
        a = np.abs(np.asarray(flat[i:i + BLOCK], dtype=np.float64))
        a = a[a < MASK_SENTINEL]
        if a.size:
            best = max(best, float(a.max()))
    return best


def activation_scale(max_abs: float) -> float:
    """Per-tensor scale from a maximum magnitude (1.0 for an all-zero tensor)."""
    return float(max_abs) / INT16_MAX if max_abs > 0 else 1.0


# Calibrated ranges are maxima over sample inputs; other inputs exceed them (the zoo's trained
# code-lm on held-out text: 37 of 101 tensors, by up to 29%), and a saturated activation is a large
# error where one more bit of range costs 2^-15 of resolution. So a calibrated tensor's scale covers HEADROOM times its range.
HEADROOM = 2.0


def calibrated_scale(max_abs: float) -> float:
    """The scale of a computed tensor (or the input) from its calibrated maximum magnitude."""
    return activation_scale(float(max_abs) * HEADROOM)


def check_exact_gemm(k: int, max_a: int, max_b: int, node: str) -> None:
    """Raises ValueError unless a K-long dot product of such integers stays exact in float64."""
    if k * max_a * max_b >= EXACT_F64:
        raise ValueError(f"node '{node}': a {k}-term dot product may exceed 2^53 and lose exactness")


# ---------------------------------------------------------------- division, square root, tables
#
# The rules below are the only division, square root and table rounding of the exact profile
# (mirrored in contracts/src/onestep/Quant.sol). Every operand fits int64 where the ops use them.
#
#   divide(n, d)  = round-half-up of n / d for d > 0:  q = floor(n / d), r = n - q*d,
#                   q + (r >= d - r)        (no 2n or 2d: nothing past the operands' own range)
#   isqrt(v)      = floor(sqrt(v)) for 0 <= v < 2^62, exact: a float64 estimate corrected by one
#                   step each way (the estimate is within 1 of the root on every IEEE machine)
#   mean(S, c, M, k) = saturate(divide(S * M, c << k)): a sum of c int16 values in scale s_x, as
#                   int16 in scale s_y with M / 2^k = s_x / s_y (ReduceMean, the pools)
#   table(f, s_x, s_y)[q + 32768] = saturate(rint(f(q * s_x) / s_y)) over all int16 q, float64,
#                   NaN -> 0; built once at lowering and committed with the model as a constant.

NORM_BITS = 14  # fractional bits of a normalized value (LayerNormalization): z = c * 2^14 / sigma


def divide_np(n, d):
    n = np.asarray(n, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    q = n // d
    r = n - q * d
    return q + (r >= d - r)


def divide_torch(n, d):
    import torch

    q = torch.div(n, d, rounding_mode="floor")
    r = n - q * d
    return q + (r >= d - r).to(torch.int64)


def isqrt_np(v):
    v = np.asarray(v, dtype=np.int64)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r -= r * r > v
    r += (r + 1) * (r + 1) <= v
    return r


def isqrt_torch(v):
    import torch

    r = torch.floor(torch.sqrt(v.to(torch.float64))).to(torch.int64)
    r = r - (r * r > v).to(torch.int64)
    return r + ((r + 1) * (r + 1) <= v).to(torch.int64)


def mean_np(s, count, m: int, k: int):
    return np.clip(divide_np(np.asarray(s, dtype=np.int64) * m, np.asarray(count, dtype=np.int64) << k),
                   INT16_MIN, INT16_MAX).astype(np.int16)


def mean_torch(s, count, m: int, k: int):
    import torch

    c = count if isinstance(count, torch.Tensor) else torch.tensor(count, dtype=torch.int64, device=s.device)
    return torch.clamp(divide_torch(s.to(torch.int64) * m, c.to(torch.int64) << k), INT16_MIN, INT16_MAX).to(torch.int16)


def mean_multiplier(ratio: float, count: int) -> tuple[int, int]:
    """`multiplier(ratio)` with M shortened (a bit at a time, k with it) until a mean over `count` int16
    terms stays inside int64 (`check_mean`): a row of 2^17 terms keeps 30 bits of M, not 31."""
    m, k = multiplier(ratio)
    while k > 0 and m > 1 and (count * (INT16_MAX + 1) * m >= 2**62 or count << k >= 2**62):
        m, k = (m + 1) >> 1, k - 1
    return m, k


def check_mean(count: int, m: int, k: int, node: str) -> None:
    """Raises ValueError unless `mean` over `count` terms stays inside int64 (|S * M| and c << k)."""
    if count * (INT16_MAX + 1) * max(m, 1) >= 2**62 or count << k >= 2**62:
        raise ValueError(f"node '{node}': a mean over {count} terms with shift {k} may overflow int64")


def table(f, s_x: float, s_y: float) -> np.ndarray:
    q = np.arange(INT16_MIN, INT16_MAX + 1, dtype=np.float64)
    with np.errstate(all="ignore"):
        y = np.rint(np.asarray(f(q * s_x), dtype=np.float64) / s_y)
    return np.clip(np.nan_to_num(y, nan=0.0, posinf=INT16_MAX, neginf=INT16_MIN), INT16_MIN, INT16_MAX).astype(np.int16)


# A table over a wide non-negative integer domain (a sum of squares, up to 2^42) is indexed by the
# value's 11 leading bits and its exponent, as a float would be:
#   bucket(q) = q                          for q < 2048
#             = e * 2048 + (q >> e)        for q >= 2048, e = bitlength(q) - 11 (so q >> e in [1024, 2047])
# Bucket b covers [lo, hi] = [m << e, ((m + 1) << e) - 1], with e = b >> 11 and m = b & 2047: a relative
# width of 2^-10 at most. bitlength is exact through float64's exponent for q < 2^53.
BUCKET_BITS = 11
BUCKET_MAX_VALUE = 2**42  # keeps every bucket below 65536


def bucket_np(q):
    q = np.asarray(q, dtype=np.int64)
    e = np.maximum(np.frexp(q.astype(np.float64))[1].astype(np.int64) - BUCKET_BITS, 0)
    return (e << BUCKET_BITS) + (q >> e)


def bucket_torch(q):
    import torch

    e = torch.clamp(torch.frexp(q.to(torch.float64))[1].to(torch.int64) - BUCKET_BITS, min=0)
    return (e << BUCKET_BITS) + (q >> e)


def bucket_range(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of buckets b (int64 arrays); lo > hi for an index no value maps to."""
    e, m = b >> BUCKET_BITS, b & (2**BUCKET_BITS - 1)
    lo = m << e
    hi = ((m + 1) << e) - 1
    return np.where((e > 0) & (m < 2 ** (BUCKET_BITS - 1)), hi + 1, lo), hi
