"""The content-addressed store (verifiers.store) keeps one discipline for every digest and backend: what was
put comes back; a changed byte or another address is refused as a mismatch; a blob longer than the bound is
refused having read at most bound + 1 bytes; a missing address is not found. Each caller's errors are the
ones raised (WeightsMismatch, BoundaryTooLarge, ...), and the boundary digest over bytes is the tensor root."""
from __future__ import annotations

import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runtime.tensor_root import CHUNK_BYTES, ENCODING, bytes_root, tensor_bytes, tensor_from_bytes, tensor_root
from verifiers import store
from verifiers.errors import ContentMismatch, ContentNotFound, ContentTooLarge, StoreError
from verifiers.shard.errors import BoundaryMismatch
from verifiers.shard.store import BOUNDARIES, BoundaryStore
from verifiers.training.store import WEIGHTS

PLAIN = store.Content("blob", store.SHA256, ".blob")
CONTENTS = [PLAIN, WEIGHTS, BOUNDARIES]  # both digests, the generic errors and each caller's own
BLOBS = st.binary(min_size=1, max_size=3 * CHUNK_BYTES + 7)  # across the tensor root's chunk boundaries


def _stores(content, folder):
    return [store.DirectoryStore(folder, content), store.MemoryStore(content)]


@pytest.mark.parametrize("content", CONTENTS, ids=lambda c: c.noun)
@settings(max_examples=40, deadline=None)
@given(data=BLOBS, other=BLOBS, at=st.integers(min_value=0), flip=st.integers(1, 255))
def test_store_everyDigestAndBackend_returnsWhatWasPut_refusesAnythingElse(content, data, other, at, flip):
    with tempfile.TemporaryDirectory() as folder:
        for s in _stores(content, folder):
            address = s.put(data)
            assert address == content.digest.of(data) and s.has(address)
            assert s.get(address) == s.get(address, len(data), exact=True) == data
            assert s.address_of(s.uri(address)) == address
            changed = bytearray(data)
            changed[at % len(data)] ^= flip
            s.put_at(address, bytes(changed))  # a changed byte under the address
            with pytest.raises(content.mismatch):
                s.get(address)
            if content.digest.of(other) != address:  # the blob of another address under this one
                s.put_at(address, other)
                with pytest.raises(content.mismatch):
                    s.get(address, max(len(data), len(other)))
            with pytest.raises(content.not_found):
                s.get(bytes(a ^ 0xFF for a in address))
            with pytest.raises(content.not_found):
                s.address_of("../" + s.uri(address))


@pytest.mark.parametrize("content", CONTENTS, ids=lambda c: c.noun)
@settings(max_examples=30, deadline=None)
@given(data=BLOBS, bound=st.integers(0, 3 * CHUNK_BYTES), extra=st.integers(1, 1 << 16))
def test_store_blobLongerThanTheBound_refusedHavingReadAtMostBoundPlusOne(content, data, bound, extra):
    data = data + bytes(extra)
    bound = min(bound, len(data) - 1)
    with tempfile.TemporaryDirectory() as folder:
        for s in _stores(content, folder):
            address = s.put(data)
            before = s.bytes_read
            with pytest.raises(content.too_large):
                s.get(address, bound)
            assert s.bytes_read - before == bound + 1
            assert s.bytes_written == len(data)


@pytest.mark.parametrize("content", CONTENTS, ids=lambda c: c.noun)
@settings(max_examples=20, deadline=None)
@given(data=BLOBS, cut=st.integers(1, 64))
def test_store_exactSize_refusesAShorterBlob_evenWhereTheDigestPadsWithZeros(content, data, cut):
    data = data + bytes(cut)  # zeros at the end: the tensor root of the cut blob is the same
    with tempfile.TemporaryDirectory() as folder:
        for s in _stores(content, folder):
            address = s.put(data)
            s.put_at(address, data[:-cut])
            with pytest.raises(content.mismatch):
                s.get(address, len(data), exact=True)


def test_store_callersErrors_areTheirOwnAndTheStoresAndTribunals():
    for content, prefix in ((WEIGHTS, "Weights"), (BOUNDARIES, "Boundary")):
        for err, base in ((content.mismatch, ContentMismatch), (content.not_found, ContentNotFound),
                          (content.too_large, ContentTooLarge)):
            assert err.__name__.startswith(prefix) and issubclass(err, base) and issubclass(err, StoreError)


DTYPES = st.sampled_from(sorted(ENCODING, key=str))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_tensorRoot_isTheRootOfTheCanonicalBytes(data):
    """What lets the boundary store address bytes: the tensor root of any tensor is bytes_root of its
    canonical bytes, and those bytes decode back to a tensor of the same root."""
    dt = data.draw(DTYPES)
    arr = data.draw(hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40)))
    b = tensor_bytes(arr)
    assert tensor_root(arr) == bytes_root(b) == tensor_root(tensor_from_bytes(b, dt.name, arr.shape))


def test_boundaryStore_nonCanonicalBoolBytes_refused(tmp_path):
    """A bool byte of 2 decodes to True: its bytes' root is not the root of the tensor it decodes to."""
    s = BoundaryStore(tmp_path)
    x = np.array([True, False, True])
    root = s.put(x)
    assert np.array_equal(s.get(root, "bool", (3,)), x)
    odd = bytes([2, 0, 1])
    s.put_bytes(bytes_root(odd), odd)
    with pytest.raises(BoundaryMismatch, match="canonical"):
        s.get(bytes_root(odd), "bool", (3,))
    s.put_bytes(root, odd)
    with pytest.raises(BoundaryMismatch, match="posted root"):
        s.get(root, "bool", (3,))
