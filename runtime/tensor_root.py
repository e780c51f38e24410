"""Canonical tensor bytes and the tensor root (DESIGN.md section 3); the dispute game reuses both.

Encoding: elements in row-major order, each as big-endian two's complement of its dtype's width
(int8: 1 byte, int16: 2 bytes, int64: 8 bytes). Float programs add int32 (4), uint8 (1), bool (one
byte, 0 or 1) and IEEE 754 float16/float32/float64 bits big-endian (`ENCODING`). Big-endian because the EVM reads words that way,
so a Solidity kernel extracts element i of a chunk with one shift and mask.

Root: the byte string is cut into chunks of CHUNK_BYTES (1024); the number of chunks is rounded up
to a power of two and the bytes are zero-padded to fill them. Leaf = sha256(chunk) (1024 bytes
hashed); inner node = sha256(left || right) (64 bytes hashed). Leaves and inner nodes hash inputs of
different lengths, so neither can pass for the other. A tensor that fits one chunk has root
sha256(chunk). Hash: sha256 throughout (hashlib ran about 10x faster than keccak here; on chain it
is the `sha256` precompile, a few hundred gas more per proof than keccak).

Why 1024-byte chunks: each leaf costs one Python-level hashlib call, so small chunks make hashing
call-bound off chain; a proven chunk travels as calldata (16 gas a byte), so large chunks cost gas
on chain. 1024 bytes (512 int16 elements) costs about 16k gas of calldata per chunk and keeps
hashing near memory speed.
"""
from __future__ import annotations

import hashlib

import numpy as np

CHUNK_BYTES = 1024
ENCODING = {np.dtype(np.int8): ">i1", np.dtype(np.int16): ">i2", np.dtype(np.int64): ">i8",
            # float programs (runtime.float_program): IEEE bits big-endian, bool as one byte 0/1
            np.dtype(np.float32): ">f4", np.dtype(np.bool_): "|u1", np.dtype(np.int32): ">i4",
            np.dtype(np.uint8): "|u1", np.dtype(np.float16): ">f2", np.dtype(np.float64): ">f8"}

_sha256 = hashlib.sha256


def _big_endian(arr) -> np.ndarray:
    arr = np.asarray(arr)
    try:
        code = ENCODING[arr.dtype]
    except KeyError:
        raise TypeError(f"no canonical encoding for dtype {arr.dtype}; expected one of "
                        f"{', '.join(d.name for d in ENCODING)}") from None
    return np.ascontiguousarray(arr, dtype=code)


def tensor_bytes(arr: np.ndarray) -> bytes:
    """The canonical bytes of a tensor of one of ENCODING's dtypes."""
    return _big_endian(arr).tobytes()


def tensor_from_bytes(data: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """The tensor whose canonical bytes are `data` (ValueError when the length does not fit)."""
    dt = np.dtype(dtype)
    code = np.dtype(ENCODING[dt])
    want = code.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(data) != want:
        raise ValueError(f"{dtype} {tuple(shape)} takes {want} canonical bytes, got {len(data)}")
    return np.frombuffer(bytes(data), dtype=code).astype(dt).reshape(shape)


def num_chunks(nbytes: int) -> int:
    """Chunks in the padded tree for nbytes of data: a power of two, at least one."""
    n = max(1, -(-nbytes // CHUNK_BYTES))
    return 1 << (n - 1).bit_length()


def hash_pair(left: bytes, right: bytes) -> bytes:
    return _sha256(left + right).digest()


_ZERO_CHUNK = memoryview(bytes(CHUNK_BYTES))
_ZERO_LEAF = _sha256(_ZERO_CHUNK).digest()


def zero_subtree(level: int, _cache: list[bytes] = [_ZERO_LEAF]) -> bytes:
    """Root of a subtree of 2^level all-zero chunks (cached: padding costs no hashing)."""
    while len(_cache) <= level:
        _cache.append(hash_pair(_cache[-1], _cache[-1]))
    return _cache[level]


def leaf_hashes(data: bytes) -> list[bytes]:
    """sha256 of each CHUNK_BYTES chunk of data that holds data (padding chunks are implicit)."""
    mv = memoryview(data)
    out = [_sha256(mv[i : i + CHUNK_BYTES]).digest() for i in range(0, len(data) - CHUNK_BYTES + 1, CHUNK_BYTES)]
    tail = len(data) % CHUNK_BYTES
    if tail or not data:
        out.append(_sha256(bytes(mv[len(data) - tail :]) + bytes(CHUNK_BYTES - tail)).digest())
    return out


def tree_levels(leaves: list[bytes], chunks: int) -> list[list[bytes]]:
    """Every level of the tree, leaves first; missing right-hand nodes are zero subtrees."""
    levels = [list(leaves)]
    level, width = 0, chunks
    while width > 1:
        cur = levels[-1]
        if len(cur) % 2:
            cur = cur + [zero_subtree(level)]
        levels.append([hash_pair(cur[i], cur[i + 1]) for i in range(0, len(cur), 2)])
        level, width = level + 1, width // 2
    return levels


def bytes_root(data: bytes) -> bytes:
    """Merkle root of a canonical byte string under this module's rules."""
    return tree_levels(leaf_hashes(data), num_chunks(len(data)))[-1][0]


def root_and_bytes(arr: np.ndarray) -> tuple[bytes, bytes | memoryview]:
    """(tensor root, canonical bytes) with one copy of the data: the big-endian copy is hashed
    through a memoryview and handed back as a read-only view (bytes for a one-chunk tensor)."""
    be = _big_endian(arr)
    n = be.nbytes
    if n <= CHUNK_BYTES:  # most activations: one leaf, no tree
        data = be.tobytes()
        h = _sha256(data)
        h.update(_ZERO_CHUNK[n:])
        return h.digest(), data
    mv = memoryview(be).cast("B")
    full = n - n % CHUNK_BYTES
    level = [_sha256(mv[i:i + CHUNK_BYTES]).digest() for i in range(0, full, CHUNK_BYTES)]
    if n % CHUNK_BYTES:
        level.append(_sha256(mv[full:].tobytes() + bytes(CHUNK_BYTES - n % CHUNK_BYTES)).digest())
    width, lv = num_chunks(n), 0
    while width > 1:
        if len(level) % 2:
            level.append(zero_subtree(lv))
        it = iter(level)
        level = [_sha256(a + b).digest() for a, b in zip(it, it)]
        width, lv = width // 2, lv + 1
    return level[0], mv.toreadonly()


def tensor_root(arr: np.ndarray) -> bytes:
    """The tensor root: 32 bytes committing to the tensor's canonical bytes."""
    return root_and_bytes(arr)[0]
