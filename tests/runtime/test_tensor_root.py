"""The tensor root against a plain recursive reference, and the encoding's byte order."""
from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runtime.tensor_root import CHUNK_BYTES, tensor_bytes, tensor_root


def reference_root(data: bytes) -> bytes:
    n = max(1, -(-len(data) // CHUNK_BYTES))
    chunks = 1
    while chunks < n:
        chunks *= 2
    data = data + bytes(chunks * CHUNK_BYTES - len(data))
    level = [hashlib.sha256(data[i:i + CHUNK_BYTES]).digest() for i in range(0, len(data), CHUNK_BYTES)]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


@given(st.sampled_from([np.int8, np.int16, np.int64]).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40))))
def test_tensorRoot_matchesReference(arr):
    assert tensor_root(arr) == reference_root(tensor_bytes(arr))


def test_tensorRoot_largeTensor_matchesReference():
    arr = np.arange(-5000, 5000, dtype=np.int16).reshape(100, 100)  # 20000 bytes: 20 chunks, padded to 32
    assert tensor_root(arr) == reference_root(tensor_bytes(arr))


def test_encoding_isBigEndianTwosComplement():
    assert tensor_bytes(np.array([1, -2], dtype=np.int16)) == b"\x00\x01\xff\xfe"
    assert tensor_bytes(np.array([-1], dtype=np.int8)) == b"\xff"
    assert tensor_bytes(np.array([[1], [2]], dtype=np.int64)) == (1).to_bytes(8, "big") + (2).to_bytes(8, "big")


def test_oneChunkTensor_rootIsHashOfPaddedChunk():
    arr = np.array([7, 8, 9], dtype=np.int16)
    assert tensor_root(arr) == hashlib.sha256(tensor_bytes(arr) + bytes(CHUNK_BYTES - 6)).digest()
