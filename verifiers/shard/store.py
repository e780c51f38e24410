"""Boundary tensors off chain: a content-addressed folder keyed by tensor root, checked on every read.

A shard node writes its output boundary's canonical bytes (runtime.tensor_root) as `<root hex>.trb` and
posts the root on chain; the next node reads the file for the root it finds on chain and refuses it with
`BoundaryMismatch` unless the bytes are the canonical bytes of a tensor of the declared dtype and shape
whose root is that root, and with `BoundaryTooLarge` before reading more than the boundary's declared size.
The discipline is `verifiers.store`'s (the same as verified training's weights store), addressed by the
tensor root of the bytes (`store.TENSOR_ROOT`) so the chain's root is the address. Whoever holds the
shard and the previous boundary can recompute a missing or bad blob and write it again: the name fixes
its content.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from runtime.tensor_root import root_and_bytes, tensor_bytes, tensor_from_bytes

from .. import store
from .errors import BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge

BOUNDARIES = store.Content("boundary blob", store.TENSOR_ROOT, ".trb", "posted root",
                           BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge)


class BoundaryStore:
    """Files named `<tensor root hex>.trb` in one folder shared by the nodes (any transport with the same
    put/get plugs in: an HTTP or IPFS gateway)."""

    def __init__(self, root: str | Path):
        self.blobs = store.DirectoryStore(root, BOUNDARIES)
        self.root = self.blobs.root

    @property
    def bytes_written(self) -> int:
        return self.blobs.bytes_written

    @property
    def bytes_read(self) -> int:
        return self.blobs.bytes_read

    def path(self, root: bytes) -> Path:
        return self.blobs.path(root)

    def put(self, arr: np.ndarray) -> bytes:
        """Writes a boundary; returns its tensor root (what the node posts)."""
        root, data = root_and_bytes(np.asarray(arr))  # root and bytes in one pass: not hashed again to write
        self.blobs.put_at(root, data)
        return root

    def put_bytes(self, root: bytes, data: bytes) -> None:
        """Writes `data` under `root` unchecked (a repair writes the recomputed tensor; a liar, anything)."""
        self.blobs.put_at(root, data)

    def get(self, root: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        """The boundary whose tensor root is `root`, as `dtype` of `shape`; BoundaryNotFound,
        BoundaryTooLarge or BoundaryMismatch otherwise."""
        want = np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.int64))
        # exact: the tensor root pads the last chunk with zeros, so only the declared size pins the tensor
        data = self.blobs.get(root, want, exact=True, why=f"a {dtype} {list(shape)} boundary")
        arr = tensor_from_bytes(data, dtype, tuple(shape))
        # INVARIANT: a node computes only from the tensor whose root was posted: the blob must be that tensor's
        # canonical bytes (a bool byte other than 0 or 1 decodes to a tensor of another root).
        if tensor_bytes(arr) != data:
            raise BoundaryMismatch(f"boundary blob 0x{bytes(root).hex()[:16]}... is not the canonical bytes of "
                                   f"a {dtype} {list(shape)} tensor")
        return arr

    def has(self, root: bytes) -> bool:
        return self.blobs.has(root)
