"""Boundary tensors off chain: a content-addressed folder keyed by tensor root, checked on every read.

A shard node writes its output boundary's canonical bytes (runtime.tensor_root) as `<root hex>.trb` and
posts the root on chain; the next node reads the file for the root it finds on chain and refuses it with
`BoundaryMismatch` unless the bytes hash to that root, and with `BoundaryTooLarge` before reading more
than the boundary's declared size (the same discipline as verified training's weights store,
verifiers/training/store.py, keyed by the tensor root instead of sha256 so the chain's root is the
address). Whoever holds the shard and the previous boundary can recompute a missing or bad blob and
write it again: the name fixes its content.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from runtime.tensor_root import root_and_bytes, tensor_from_bytes, tensor_root

from .errors import BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge


class BoundaryStore:
    """Files named `<tensor root hex>.trb` in one folder shared by the nodes (any transport with the same
    put/get plugs in: an HTTP or IPFS gateway)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.bytes_written = 0
        self.bytes_read = 0

    def path(self, root: bytes) -> Path:
        return self.root / f"{bytes(root).hex()}.trb"

    def put(self, arr: np.ndarray) -> bytes:
        """Writes a boundary; returns its tensor root (what the node posts)."""
        root, data = root_and_bytes(np.asarray(arr))
        self.put_bytes(root, bytes(data))
        return root

    def put_bytes(self, root: bytes, data: bytes) -> None:
        """Writes `data` under `root` unchecked (a repair writes the recomputed tensor; a liar, anything)."""
        fd, tmp = tempfile.mkstemp(dir=self.root)  # write then rename: readers never see half a file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self.path(root))
        self.bytes_written += len(data)

    def get(self, root: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        """The boundary whose tensor root is `root`, as `dtype` of `shape`; BoundaryNotFound,
        BoundaryTooLarge or BoundaryMismatch otherwise."""
        path = self.path(root)
        want = np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.int64))
        if not path.is_file():
            raise BoundaryNotFound(f"no boundary 0x{bytes(root).hex()[:16]}... in {self.root}")
        with open(path, "rb") as f:
            data = f.read(want + 1)
        self.bytes_read += len(data)
        # INVARIANT: a node reads at most the declared boundary size + 1 bytes of any blob.
        if len(data) > want:
            raise BoundaryTooLarge(f"boundary blob 0x{bytes(root).hex()[:16]}... is longer than the {want} bytes "
                                   f"of a {dtype} {list(shape)} boundary")
        try:
            arr = tensor_from_bytes(data, dtype, tuple(shape))
        except ValueError as e:
            raise BoundaryMismatch(f"boundary blob 0x{bytes(root).hex()[:16]}...: {e}") from None
        got = tensor_root(arr)
        # INVARIANT: a node computes only from the boundary whose root was posted on chain.
        if got != bytes(root):
            raise BoundaryMismatch(f"boundary blob hashes to 0x{got.hex()[:16]}..., the posted root is "
                                   f"0x{bytes(root).hex()[:16]}...")
        return arr

    def has(self, root: bytes) -> bool:
        return self.path(root).is_file()
