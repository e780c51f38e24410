"""DequantizeBlock: a compressed shard boundary back to int16 (the inverse of `QuantizeBlock`).

Exact form: input p int16 [n_blocks, block/2 + 1] (column 0 the block's shift s, then two int8 values
packed per int16); output int16 of attribute `shape`: element j of block b = j // block is
clip(q_j << s_b, -32768, 32767), q_j the int8 at position j % block. Keeps the boundary's scale.
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
        x = np.clip(q << p[:, :1], -32768, 32767).reshape(-1)[:n]
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
