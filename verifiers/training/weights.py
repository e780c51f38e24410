"""`Weights`: a model's trainable tensors as Q16 fixed-point integers, their canonical bytes and commitment.

Every node folds proposals into its global copy with integer arithmetic only (`update.py`), so weights
live as int64 arrays holding round(w * 2**16). The canonical file is

    b"TRW1" ‖ u32 tensor count ‖ per tensor: u32 ndim ‖ u32 dims... ‖ then all tensors' int32 data

little-endian, tensors in the architecture's order. Its sha256 is the commitment a proposal carries on
chain (sha256, as everywhere in Tribunal).
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np

from .errors import MalformedWeights

FRAC_BITS = 16
ONE = 1 << FRAC_BITS
MAGIC = b"TRW1"
INT32 = (-(1 << 31), (1 << 31) - 1)


@dataclass(frozen=True)
class Weights:
    """Q16 tensors (int64 arrays) in architecture order. Immutable by convention: never write into them."""

    tensors: tuple[np.ndarray, ...]

    @classmethod
    def from_float(cls, arrays) -> "Weights":
        """round-half-even(w * 2**16), saturated to int32."""
        return cls(tuple(np.clip(np.rint(np.asarray(a, np.float64) * ONE), *INT32).astype(np.int64) for a in arrays))

    def floats(self) -> list[np.ndarray]:
        return [t.astype(np.float64) / ONE for t in self.tensors]

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(t.shape for t in self.tensors)

    def to_bytes(self) -> bytes:
        head = [MAGIC, struct.pack("<I", len(self.tensors))]
        for t in self.tensors:
            head.append(struct.pack(f"<I{t.ndim}I", t.ndim, *t.shape))
        body = b"".join(np.clip(t, *INT32).astype("<i4").tobytes() for t in self.tensors)
        return b"".join(head) + body

    @classmethod
    def from_bytes(cls, data: bytes, shapes: tuple[tuple[int, ...], ...] | None = None) -> "Weights":
        """Decodes a canonical file; with `shapes`, refuses any other architecture."""
        try:
            if data[:4] != MAGIC:
                raise MalformedWeights("not a Tribunal weights file (bad magic)")
            (count,), at = struct.unpack_from("<I", data, 4), 8
            found = []
            for _ in range(count):
                (ndim,) = struct.unpack_from("<I", data, at)
                found.append(tuple(struct.unpack_from(f"<{ndim}I", data, at + 4)))
                at += 4 + 4 * ndim
        except struct.error:
            raise MalformedWeights("weights file truncated in its header") from None
        if shapes is not None and tuple(found) != tuple(shapes):
            raise MalformedWeights(f"weights file holds tensors {found}, the architecture has {list(shapes)}")
        sizes = [int(np.prod(s)) for s in found]
        if len(data) != at + 4 * sum(sizes):
            raise MalformedWeights(f"weights file is {len(data)} bytes, its header announces {at + 4 * sum(sizes)}")
        flat = np.frombuffer(data, "<i4", offset=at).astype(np.int64)
        out, k = [], 0
        for s, n in zip(found, sizes):
            out.append(flat[k:k + n].reshape(s))
            k += n
        return cls(tuple(out))

    def commitment(self) -> bytes:
        return commitment_of(self.to_bytes())

    def equal(self, other: "Weights") -> bool:
        return self.shapes == other.shapes and all(np.array_equal(a, b) for a, b in zip(self.tensors, other.tensors))


def file_size(shapes: tuple[tuple[int, ...], ...]) -> int:
    """The exact length of a canonical file holding tensors of `shapes`: what a node will read at most."""
    header = 8 + sum(4 + 4 * len(s) for s in shapes)
    return header + 4 * sum(int(np.prod(s)) for s in shapes)


def commitment_of(data: bytes) -> bytes:
    """The on-chain commitment of a weights file: sha256 of its bytes."""
    return hashlib.sha256(data).digest()
