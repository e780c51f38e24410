"""Content-addressed stores: a blob travels off chain, its digest (the address) on chain, checked on every read.

One discipline for everything a node fetches by a digest it found on chain (verified training's weights
files, sharded inference's boundary tensors):
- `put` writes a blob and returns its address; a directory store writes then renames, so a reader never
  sees half a file.
- `get(address, max_bytes)` reads at most `max_bytes + 1` bytes and refuses a longer blob (`too_large`)
  before hashing it, so a hostile writer cannot make a node load a huge file; it hands the bytes back
  only if their digest is the address (`mismatch`); `not_found` when nothing is there.
- `bytes_written` and `bytes_read` count what crossed the store (what a node paid in traffic).

A `Digest` maps bytes to a 32-byte address: `SHA256` (weights files) or `TENSOR_ROOT` (boundaries: the
tensor root of canonical tensor bytes, `runtime.tensor_root.bytes_root`; a blob is its tensor's canonical
bytes, so the root of the bytes is the root of the tensor). The tensor root zero-pads its last chunk, so it
does not commit to the length: a reader that knows the exact size passes `exact=True`. A `Content` names
what a store holds, its digest, its file suffix and the errors it raises (subclasses of
`ContentMismatch`, `ContentNotFound`, `ContentTooLarge`, so each caller keeps errors named after its own
condition). `DirectoryStore` (one folder shared by the nodes, `<address hex><suffix>` a file) and
`MemoryStore` (a dict) are the two backends; any object with the same methods plugs in (an HTTP or IPFS
gateway, say).
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runtime.tensor_root import bytes_root

from .errors import ContentMismatch, ContentNotFound, ContentTooLarge


@dataclass(frozen=True)
class Digest:
    """How a store addresses a blob: `of(data)`, 32 bytes; `name` says which digest in messages."""

    name: str
    of: Callable[[bytes], bytes]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


SHA256 = Digest("sha256", _sha256)
TENSOR_ROOT = Digest("tensor root", bytes_root)


@dataclass(frozen=True)
class Content:
    """What a store holds: `noun` and `address_noun` for messages ("weights file", "commitment"), the
    digest that addresses it, a directory store's file suffix, and the error raised for each refusal."""

    noun: str
    digest: Digest
    suffix: str
    address_noun: str = "address"
    mismatch: type[ContentMismatch] = ContentMismatch
    not_found: type[ContentNotFound] = ContentNotFound
    too_large: type[ContentTooLarge] = ContentTooLarge


def _short(address: bytes) -> str:
    return f"0x{bytes(address).hex()[:16]}..."


class Store(ABC):
    """The discipline every backend shares; a backend supplies `_write`, `_read`, `has` and its names."""

    def __init__(self, content: Content):
        self.content = content
        self.bytes_written = 0
        self.bytes_read = 0

    def put(self, data: bytes) -> bytes:
        """Writes `data`; returns its address (what the writer posts on chain)."""
        address = self.content.digest.of(data)
        self.put_at(address, data)
        return address

    def put_at(self, address: bytes, data: bytes | memoryview) -> None:
        """Writes `data` under `address` unchecked: whoever computed the address with the data writes them
        without hashing twice, a repair writes recomputed bytes, a liar anything (`get` refuses it)."""
        self._write(bytes(address), data)
        self.bytes_written += len(data)

    def get(self, address: bytes, max_bytes: int | None = None, *, exact: bool = False, why: str = "") -> bytes:
        """The blob under `address`, read no further than `max_bytes + 1` bytes and handed back only if its
        digest is `address` (and, with `exact`, it is `max_bytes` long); `why` says where the bound comes
        from in the too-large message."""
        c, address = self.content, bytes(address)
        data = self._read(address, max_bytes)
        if data is None:
            raise c.not_found(f"no {c.noun} {_short(address)} in {self}")
        self.bytes_read += len(data)
        # INVARIANT: a node reads and hashes at most max_bytes + 1 bytes of any blob (a hostile one costs it little).
        if max_bytes is not None and len(data) > max_bytes:
            raise c.too_large(f"{c.noun} {_short(address)} is longer than the {max_bytes} bytes "
                              f"{why or 'its reader allows'}")
        # INVARIANT: the exact size, where the digest does not commit to the length (the tensor root's padding).
        if exact and len(data) != max_bytes:
            raise c.mismatch(f"{c.noun} {_short(address)} holds {len(data)} bytes, not the {max_bytes} of {why}")
        got = c.digest.of(data)
        # INVARIANT: only the bytes whose address was posted on chain are ever handed back.
        if got != address:
            raise c.mismatch(f"{c.noun} {_short(address)} hashes ({c.digest.name}) to {_short(got)}, "
                             f"the {c.address_noun} is {_short(address)}")
        return data

    @abstractmethod
    def has(self, address: bytes) -> bool:
        """Whether a blob (matching or not) is under `address`."""

    @abstractmethod
    def uri(self, address: bytes) -> str:
        """The name a writer posts for `address` (a file name, a `mem:` key)."""

    def address_of(self, uri: str) -> bytes:
        """The address a name stands for; `not_found` for a name that is none of this store's."""
        m = self._name.match(uri)
        if not m:
            raise self.content.not_found(f"'{uri}' is not a {self.content.noun} name of {self}")
        return bytes.fromhex(m.group(1))

    _name: re.Pattern[str]

    @abstractmethod
    def _write(self, address: bytes, data: bytes | memoryview) -> None:
        """Puts data under address so that a reader sees all of it or none."""

    @abstractmethod
    def _read(self, address: bytes, max_bytes: int | None) -> bytes | None:
        """At most max_bytes + 1 bytes of the blob under address (all of it for None); None if absent."""


class DirectoryStore(Store):
    """Files named `<address hex><suffix>` in one folder shared by the nodes; URIs are those names."""

    def __init__(self, root: str | Path, content: Content):
        super().__init__(content)
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._name = re.compile(rf"^([0-9a-f]{{64}}){re.escape(content.suffix)}$")

    def __str__(self) -> str:
        return str(self.root)

    def path(self, address: bytes) -> Path:
        """The file that holds (or would hold) the blob under `address`."""
        return self.root / self.uri(address)

    def uri(self, address: bytes) -> str:
        return bytes(address).hex() + self.content.suffix

    def has(self, address: bytes) -> bool:
        return self.path(address).is_file()

    def _write(self, address: bytes, data: bytes | memoryview) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root)  # write then rename: readers never see half a file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self.path(address))

    def _read(self, address: bytes, max_bytes: int | None) -> bytes | None:
        try:
            with open(self.path(address), "rb") as f:
                return f.read() if max_bytes is None else f.read(max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError):
            return None


class MemoryStore(Store):
    """The same contract in a dict (tests, single-process runs); URIs are `mem:<address hex>`."""

    _name = re.compile(r"^mem:([0-9a-f]{64})$")

    def __init__(self, content: Content):
        super().__init__(content)
        self.blobs: dict[bytes, bytes] = {}

    def __str__(self) -> str:
        return "memory"

    def uri(self, address: bytes) -> str:
        return "mem:" + bytes(address).hex()

    def has(self, address: bytes) -> bool:
        return bytes(address) in self.blobs

    def _write(self, address: bytes, data: bytes | memoryview) -> None:
        self.blobs[address] = bytes(data)

    def _read(self, address: bytes, max_bytes: int | None) -> bytes | None:
        data = self.blobs.get(address)
        return data if data is None or max_bytes is None else data[:max_bytes + 1]
