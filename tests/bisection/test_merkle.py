"""Merkle trees and proofs against the runtime's tensor root and against full rebuilds."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bisection.merkle import ZERO, StateTree, TensorTree, chunk_hash, fast_tensor_root, fold, fold_level
from runtime.tensor_root import bytes_root, tensor_bytes, tensor_root


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
@settings(max_examples=60, deadline=None)
def test_state_tree_set_equals_rebuild_and_proofs_fold(leaves, data):
    t = StateTree(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    new = data.draw(st.binary(min_size=32, max_size=32))
    t.set(i, new)
    leaves = list(leaves)
    leaves[i] = new
    assert t.root == StateTree(leaves).root
    for j, leaf in enumerate(leaves):
        assert fold(leaf, j, t.proof(j)) == t.root
    assert fold(ZERO if new != ZERO else b"\x01" * 32, i, t.proof(i)) != t.root


@given(st.integers(0, 5000))
@settings(max_examples=40, deadline=None)
def test_tensor_tree_matches_runtime_root(n):
    arr = np.arange(n, dtype=np.int16) * 3
    t = TensorTree(tensor_bytes(arr))
    assert t.root == tensor_root(arr)
    for i in range(t.chunks):
        assert t.node(t.depth, i) == chunk_hash(t.chunk(i))
    for depth in range(t.depth):
        for below in range(1, t.depth - depth + 1):
            assert fold_level(t.descendants(depth, 0, below)) == t.node(depth, 0)


@given(st.integers(0, 3000), st.sampled_from([np.int8, np.int16, np.int64]), st.booleans())
@settings(max_examples=60, deadline=None)
def test_tensor_root_equals_level_by_level_tree(n, dtype, transpose):
    arr = (np.arange(n, dtype=np.int64) * 7919 - 5000).astype(dtype)
    if transpose and n % 2 == 0 and n:
        arr = arr.reshape(2, -1).T  # not contiguous
    root, data = fast_tensor_root(arr)  # the runtime's one-copy root
    assert root == bytes_root(tensor_bytes(arr)) and bytes(data) == tensor_bytes(arr)  # vs the level-by-level tree
