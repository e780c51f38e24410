"""Integer GEMMs of the exact profile: int16 activations times int8 weights, exact int64 results.

Every kernel returns the same integers (the product is exact in each), so the backends agree bit for bit:

- `gemm_np` (numpy, the reference): float64 GEMM of the integers, exact while K * 2^15 * 2^7 < 2^53
  (`quant.check_exact_gemm`). The weight is converted in blocks of output columns, so its float64
  copy never exceeds about `BLOCK_BYTES` however wide the matrix.
- `gemm_torch`: `torch._int_mm` (int8 x int8 -> int32) with each int16 activation split into two
  int8 halves, hi = a >> 8 and lo = (a & 255) - 128, both in [-128, 127], so that

      a @ w = 256 * (hi @ w) + (lo @ w) + 128 * colsum(w).

  hi, lo and a row of ones (whose product is colsum(w)) go through ONE `_int_mm` of 2M + 1 rows.
  Each partial sum is at most K * 128 * 128 in magnitude, inside int32 while K <= INT_MM_MAX_K; a
  longer reduction runs as float64 (`gemm_torch_f64`). On CUDA `_int_mm` wants m > 16 and k, n
  multiples of 8: the operands are padded with zeros, which add nothing to any sum.

The weight comes as [K, N] (`w_nk=False`, a MatMul's B) or [N, K] (`w_nk=True`, a Gemm's or a
Conv's rows per output channel); the result is [..., M, N] int64 for a of shape [..., M, K].
"""
from __future__ import annotations

import numpy as np

INT_MM_MAX_K = 2**31 // (128 * 128) - 1  # K * 128 * 128 < 2^31: no int32 partial sum overflows
BLOCK_BYTES = 64 << 20  # float64 bytes of weight converted at a time by the numpy reference


def _as_kn(w, w_nk: bool):
    return w.T if w_nk else w


def gemm_np(a: np.ndarray, w: np.ndarray, w_nk: bool = False) -> np.ndarray:
    """a [..., M, K] (int16) @ w -> int64 [..., M, N], float64 GEMM over column blocks of w."""
    wk = _as_kn(w, w_nk)
    k, n = wk.shape
    af = a.astype(np.float64)
    cols = max(1, BLOCK_BYTES // (8 * max(k, 1)))
    if cols >= n:
        return np.matmul(af, wk.astype(np.float64)).astype(np.int64)
    out = np.empty(a.shape[:-1] + (n,), dtype=np.int64)
    for j in range(0, n, cols):
        out[..., j:j + cols] = np.matmul(af, wk[:, j:j + cols].astype(np.float64))
    return out


def gemm_torch_f64(a, w, w_nk: bool = False):
    import torch

    return torch.matmul(a.to(torch.float64), _as_kn(w, w_nk).to(torch.float64)).to(torch.int64)


def split_int16(a):
    """(hi, lo) int8 halves of an int16 torch tensor: a = 256 * hi + lo + 128."""
    import torch

    a = a.to(torch.int32)
    return (a >> 8).to(torch.int8), ((a & 255) - 128).to(torch.int8)


def _pad_to(x, rows: int, cols: int):
    import torch.nn.functional as F

    return F.pad(x, (0, cols - x.shape[1], 0, rows - x.shape[0])) if (rows, cols) != tuple(x.shape) else x


def _plain_layout(b):
    """b itself if its strides are plainly row-major (n, 1) or column-major (1, k), else a row-major
    copy. A size-1 dimension makes strides ambiguous (a [1, n] view of strides (1, 1)), and
    `_int_mm` on the CPU reads such a b wrongly (torch 2.13: garbage, not an error)."""
    import torch

    k, n = b.shape
    if b.stride() == (n, 1) or (b.stride() == (1, k) and k > 1 and n > 1):
        return b
    return torch.empty((k, n), dtype=b.dtype, device=b.device).copy_(b)


def int_mm(a8, b8, pad: bool | None = None):
    """torch._int_mm of int8 a [m, k] and b [k, n] -> int32 [m, n]; with `pad` (default: on CUDA)
    zero-padded to m >= 17 and k, n multiples of 8, the shapes CUDA's kernel takes."""
    import torch

    a8, b8 = _plain_layout(a8), _plain_layout(b8)
    if pad is None:
        pad = a8.device.type == "cuda"
    if not pad:
        return torch._int_mm(a8, b8)
    (m, k), n = a8.shape, b8.shape[1]
    up = lambda v: -(-v // 8) * 8  # noqa: E731
    mp, kp, np_ = max(m, 17), up(k), up(n)
    out = torch._int_mm(_pad_to(a8, mp, kp).contiguous(), _pad_to(b8, kp, np_).contiguous())
    return out[:m, :n]


def gemm_torch(a, w, w_nk: bool = False, pad: bool | None = None):
    """a [..., M, K] int16 @ w int8 -> int64 [..., M, N], by `_int_mm` on the int8 halves."""
    import torch

    wk = _as_kn(w, w_nk)
    k, n = wk.shape
    if k > INT_MM_MAX_K:
        return gemm_torch_f64(a, w, w_nk)
    lead = a.shape[:-1]
    a2 = a.reshape(-1, k)
    m = a2.shape[0]
    hi, lo = split_int16(a2)
    ones = torch.ones((1, k), dtype=torch.int8, device=a.device)
    r = int_mm(torch.cat([hi, lo, ones]), wk, pad).to(torch.int64)
    acc = (r[:m] << 8) + r[m:2 * m] + (r[2 * m:] << 7)
    return acc.reshape(*lead, n)


def gemm(backend_name: str, a, w, w_nk: bool = False):
    """The backend's integer GEMM (numpy reference or torch int8)."""
    return gemm_np(a, w, w_nk) if backend_name == "numpy" else gemm_torch(a, w, w_nk)
