"""Content-addressed stores of weights files: a proposal's file travels off chain, its sha256 on chain.

A store hands back a URI on `put` and, on `get(uri, commitment, max_bytes)`, returns the bytes only if their
sha256 is the commitment; anything else is refused with `WeightsMismatch`, so a node never folds or scores a
file other than the one the trainer committed to. A file longer than `max_bytes` (a node passes the exact
size its architecture's file has) is refused with `WeightsTooLarge` before more than `max_bytes + 1` bytes
of it are read or hashed, so a hostile trainer cannot make a node load a huge file. `DirectoryStore` (the default: one folder shared by
the nodes, a file per commitment) and `MemoryStore` implement the same two methods; any object with them
plugs in (an HTTP or IPFS gateway, say).
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from .errors import WeightsMismatch, WeightsNotFound, WeightsTooLarge
from .weights import commitment_of

_NAME = re.compile(r"^[0-9a-f]{64}\.trw$")


class WeightsStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, uri: str, commitment: bytes, max_bytes: int | None = None) -> bytes: ...


def _checked(data: bytes, uri: str, commitment: bytes, max_bytes: int | None) -> bytes:
    # INVARIANT: a node reads and hashes at most max_bytes + 1 bytes of any file (a hostile one costs it little).
    if max_bytes is not None and len(data) > max_bytes:
        raise WeightsTooLarge(f"weights at '{uri}' exceed the {max_bytes} bytes this architecture's file has")
    got = commitment_of(data)
    # INVARIANT: only the bytes the trainer committed to on chain are ever used.
    if got != bytes(commitment):
        raise WeightsMismatch(f"weights at '{uri}' hash to 0x{got.hex()[:16]}..., the commitment is "
                              f"0x{bytes(commitment).hex()[:16]}...")
    return data


class DirectoryStore:
    """Files named `<sha256 hex>.trw` in one folder; URIs are those names."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        name = commitment_of(data).hex() + ".trw"
        path = self.root / name
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=self.root)  # write then rename: readers never see half a file
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return name

    def get(self, uri: str, commitment: bytes, max_bytes: int | None = None) -> bytes:
        if not _NAME.match(uri):
            raise WeightsNotFound(f"'{uri}' is not a weights name of this store (<sha256 hex>.trw)")
        path = self.root / uri
        if not path.is_file():
            raise WeightsNotFound(f"no weights file '{uri}' in {self.root}")
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        return _checked(data, uri, commitment, max_bytes)


class MemoryStore:
    """The same contract in a dict (tests, single-process runs)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        uri = "mem:" + commitment_of(data).hex()
        self.files[uri] = bytes(data)
        return uri

    def get(self, uri: str, commitment: bytes, max_bytes: int | None = None) -> bytes:
        if uri not in self.files:
            raise WeightsNotFound(f"no weights file '{uri}' in memory")
        return _checked(self.files[uri], uri, commitment, max_bytes)
