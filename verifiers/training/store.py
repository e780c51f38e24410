"""Weights files off chain: a proposal's file travels through a content-addressed store, its sha256 on chain.

A store hands back a URI on `put` and, on `get(uri, commitment, max_bytes)`, returns the bytes only if their
sha256 is the commitment; anything else is refused with `WeightsMismatch`, so a node never folds or scores a
file other than the one the trainer committed to. A file longer than `max_bytes` (a node passes the exact
size its architecture's file has) is refused with `WeightsTooLarge` before more than `max_bytes + 1` bytes
of it are read or hashed, so a hostile trainer cannot make a node load a huge file. The discipline is
`verifiers.store`'s (the same as sharded inference's boundary store, addressed by sha256 here);
`DirectoryStore` (the default: one folder shared by the nodes, `<sha256 hex>.trw` a file) and `MemoryStore`
(URIs `mem:<sha256 hex>`) put its two backends behind the two methods of `WeightsStore`; any object with
them plugs in (an HTTP or IPFS gateway, say).
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .. import store
from .errors import WeightsMismatch, WeightsNotFound, WeightsTooLarge

WEIGHTS = store.Content("weights file", store.SHA256, ".trw", "commitment",
                        WeightsMismatch, WeightsNotFound, WeightsTooLarge)


class WeightsStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, uri: str, commitment: bytes, max_bytes: int | None = None) -> bytes: ...


class _Files:
    """`WeightsStore` over a content-addressed store: a URI names an address, the commitment is checked too."""

    blobs: store.Store

    def put(self, data: bytes) -> str:
        return self.blobs.uri(self.blobs.put(data))

    def get(self, uri: str, commitment: bytes, max_bytes: int | None = None) -> bytes:
        address = self.blobs.address_of(uri)  # WeightsNotFound for a name that is none of this store's
        data = self.blobs.get(address, max_bytes, why="this architecture's file has")
        # INVARIANT: only the bytes the trainer committed to on chain are ever used.
        if address != bytes(commitment):
            raise WeightsMismatch(f"weights at '{uri}' hash to 0x{address.hex()[:16]}..., the commitment is "
                                  f"0x{bytes(commitment).hex()[:16]}...")
        return data


class DirectoryStore(_Files):
    """Files named `<sha256 hex>.trw` in one folder; URIs are those names."""

    def __init__(self, root: str | Path):
        self.blobs = store.DirectoryStore(root, WEIGHTS)
        self.root = self.blobs.root


class MemoryStore(_Files):
    """The same contract in a dict (tests, single-process runs); URIs are `mem:<sha256 hex>`."""

    def __init__(self):
        self.blobs = store.MemoryStore(WEIGHTS)
