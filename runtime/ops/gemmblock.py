"""GemmBlock: one block of a long Gemm reduction, with the partial sum carried in the state.

Exact form: inputs (x int16 [..., K], w int8 [N, K], acc int16 [..., N, 4] or [N, 4]); attrs k0, k1.
out[..., n] = acc[..., n] + sum_{k0 <= k < k1} x[..., k] * w[n, k] (the first block's acc is the
bias, broadcast over the rows). Sums are int64 held as four int16 limbs, big-endian, the top one
signed: the limbs' canonical bytes are exactly the int64's, so the game and the one-step verifier,
which handle int16 slots only, carry them unchanged. `Requantize` ends the chain. The lowering emits
these (runtime/ops/gemm.py: lower_dense) when one Gemm step's proof would not fit a transaction.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp


def to_limbs(acc) -> np.ndarray:
    """int64 [...] -> int16 [..., 4], big-endian limbs (the top one carries the sign)."""
    a = np.asarray(acc, dtype=np.int64)[..., None]
    limbs = (a >> np.array([48, 32, 16, 0], dtype=np.int64)) & 0xFFFF
    return ((limbs ^ 0x8000) - 0x8000).astype(np.int16)


def from_limbs(limbs) -> np.ndarray:
    """int16 [..., 4] -> int64 [...] (inverse of `to_limbs`)."""
    v = np.asarray(limbs).astype(np.int64)
    return (v[..., 0] << 48) | ((v[..., 1] & 0xFFFF) << 32) | ((v[..., 2] & 0xFFFF) << 16) | (v[..., 3] & 0xFFFF)


def to_limbs_torch(acc):
    import torch

    shifts = torch.tensor([48, 32, 16, 0], dtype=torch.int64, device=acc.device)
    limbs = (acc.to(torch.int64).unsqueeze(-1) >> shifts) & 0xFFFF
    return ((limbs ^ 0x8000) - 0x8000).to(torch.int16)


def from_limbs_torch(limbs):
    import torch

    v = limbs.to(torch.int64)
    return (v[..., 0] << 48) | ((v[..., 1] & 0xFFFF) << 32) | ((v[..., 2] & 0xFFFF) << 16) | (v[..., 3] & 0xFFFF)


class GemmBlock(ExactOp):
    op_type = "GemmBlock"
    partial = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "GemmBlock is made by the lowering of a long Gemm or MatMul, not read from ONNX")

    def numpy(self, ins, attrs):
        x, w, acc = ins
        k0, k1 = attrs["k0"], attrs["k1"]
        part = (x[..., k0:k1].astype(np.float64) @ w[:, k0:k1].astype(np.float64).T).astype(np.int64)
        return to_limbs(part + from_limbs(acc))

    def torch(self, ins, attrs):
        import torch

        x, w, acc = ins
        k0, k1 = attrs["k0"], attrs["k1"]
        part = (x[..., k0:k1].to(torch.float64) @ w[:, k0:k1].to(torch.float64).T).to(torch.int64)
        return to_limbs_torch(part + from_limbs_torch(acc))

    def reads(self, node, ins, out_shape, index):
        """x row m and w row n over k0..k1, and the four limbs of acc's element (m, n) (or of n)."""
        x, w, acc = ins
        n_out = out_shape[-2]
        m, n = divmod(index // 4, n_out)
        k, kk = np.arange(node.attrs["k0"], node.attrs["k1"]), x.shape[-1]
        a = n if len(acc.shape) == 2 else m * n_out + n
        return [m * kk + k, n * kk + k, 4 * a + np.arange(4)]
