"""QuantizeBlock: a shard boundary compressed to int8 per block, exactly (issue 22, Nesa's dynamic blockwise
quantization made an exact step, so both sides agree on its bits and it is disputed like any other step).

Exact form: input x int16 (any shape, n elements, read flat and zero-padded to whole blocks of `block`);
output int16 [n_blocks, block/2 + 1]. Per block: m = max |x|, shift s = max(0, bitlen(m) - 7),
q = clip((x + (2^s >> 1)) >> s, -128, 127) (round half up), so q is an int8 and x ~ q << s.
Column 0 holds s; column 1 + i packs two int8 values, q[2i] * 256 + (q[2i+1] & 255), into one int16:
program slots are int16 (the one-step verifier proves int16 outputs), and packed they take one byte per
element plus two per block. `DequantizeBlock` is the inverse (up to the rounding).
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp

BITS = np.arange(17)


def blocks_of(n: int, block: int) -> int:
    """Blocks that cover n elements."""
    return -(-n // block)


def packed_shape(n: int, block: int) -> tuple[int, int]:
    """The compressed tensor's shape for n elements in blocks of `block`."""
    return (blocks_of(n, block), block // 2 + 1)


def check_block(block: int) -> int:
    """A block size fits when even and dividing a 512-element chunk (a block never straddles two chunks)."""
    if block < 2 or block % 2 or 512 % block:
        raise ValueError(f"block must be an even divisor of 512 (2, 4, ..., 512), got {block}")
    return block


def shifts_np(xb: np.ndarray) -> np.ndarray:
    """Per row of int32 blocks: max(0, bitlen(max |x|) - 7)."""
    m = np.abs(xb).max(axis=1)
    bitlen = (m[:, None] >= (1 << BITS)).sum(axis=1)
    return np.maximum(bitlen - 7, 0)


class QuantizeBlock(ExactOp):
    op_type = "QuantizeBlock"

    def lower(self, node, lw):
        raise lw.unsupported(node, "QuantizeBlock is made by sharding (runtime/shards.py), not read from ONNX")

    def numpy(self, ins, attrs):
        block = int(attrs["block"])
        x = np.asarray(ins[0]).reshape(-1).astype(np.int32)
        nb = blocks_of(x.size, block)
        xb = np.zeros(nb * block, dtype=np.int32)
        xb[:x.size] = x
        xb = xb.reshape(nb, block)
        s = shifts_np(xb)
        q = np.clip((xb + ((1 << s) >> 1)[:, None]) >> s[:, None], -128, 127)
        packed = q[:, 0::2] * 256 + (q[:, 1::2] & 255)
        return np.concatenate([s[:, None], packed], axis=1).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        out = self.numpy([ins[0].cpu().numpy()], attrs)
        return torch.from_numpy(out).to(ins[0].device)

    def reads(self, node, ins, out_shape, index):
        block = int(node.attrs["block"])
        n = np.asarray(ins[0]).size
        b = index // out_shape[-1]
        return [np.arange(b * block, min((b + 1) * block, n))]
