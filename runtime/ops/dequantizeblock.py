"""DequantizeBlock: a compressed shard boundary back to int16 (the inverse of `QuantizeBlock`).

Exact form: input p int16 [n_blocks, block/2 + 1] (column 0 the block's shift s, then two int8 values
packed per int16); output int16 of attribute `shape`: element j of block b = j // block is
clip(q_j << s_b, -32768, 32767), q_j the int8 at position j % block. Keeps the boundary's scale.
The shift is the chain kernel's int256 shift for every int16 s_b (QuantizeBlock writes 0..9, but a shard's
input is whatever the previous node posted): s_b < 0 or >= 256 gives 0, and q << s_b wraps at 2^255.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp


def unpack_np(p: np.ndarray) -> np.ndarray:
    """[n_blocks, block/2 + 1] packed int16 -> [n_blocks, block] int8 values as int32."""
    packed = p[:, 1:].astype(np.int32)
    hi = packed >> 8  # floor: the signed high byte
    lo = packed & 255
    lo = np.where(lo >= 128, lo - 256, lo)
    q = np.empty((p.shape[0], 2 * packed.shape[1]), dtype=np.int32)
    q[:, 0::2], q[:, 1::2] = hi, lo
    return q


def shift_int256(q: np.ndarray, s: np.ndarray) -> np.ndarray:
    """clip(int256(q) << uint256(int256(s)), int16) as contracts/src/ops/DequantizeBlock.sol computes it, for
    int8 q and int16 s: 0 for s < 0 or s >= 256; from s = 17 on a nonzero q saturates (|q| << 17 > 32767)
    until q << s wraps past 2^255 (s >= 248), which is computed on Python ints."""
    s = np.broadcast_to(np.asarray(s, dtype=np.int64), q.shape)
    out = np.clip(q.astype(np.int64) << np.clip(s, 0, 17), -32768, 32767)
    out[(s < 0) | (s >= 256)] = 0
    for i in zip(*np.nonzero((s >= 248) & (s < 256))):  # INVARIANT: the wrap of an int256 shift, exactly
        v = (int(q[i]) << int(s[i])) % 2**256
        out[i] = max(-32768, min(32767, v - 2**256 if v >= 2**255 else v))
    return out


class DequantizeBlock(ExactOp):
    op_type = "DequantizeBlock"
    keeps_scale = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "DequantizeBlock is made by sharding (runtime/shards.py), not read from ONNX")

    def numpy(self, ins, attrs):
        p = np.asarray(ins[0]).astype(np.int32)
        shape = tuple(int(d) for d in attrs["shape"])
        n = int(np.prod(shape, dtype=np.int64))
        q = unpack_np(p)
        x = shift_int256(q, p[:, :1]).reshape(-1)[:n]
        return x.reshape(shape).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        out = self.numpy([ins[0].cpu().numpy()], attrs)
        return torch.from_numpy(out).to(ins[0].device)

    def reads(self, node, ins, out_shape, index):
        width = np.asarray(ins[0]).shape[-1]
        block = 2 * (width - 1)
        b, i = divmod(index, block)
        return [np.array([b * width, b * width + 1 + i // 2])]
