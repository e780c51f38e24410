"""Merkle trees and proofs over the two kinds of tree the game uses; one hash (sha256) throughout.

Tensor trees are `runtime.tensor_root`'s (reused, never redefined): leaves sha256(1024-byte chunk),
inner nodes sha256(left || right), padded to a power of two with all-zero chunks. A node of a tensor
tree is named (depth, index): depth 0 is the root, depth D = log2(chunks) the chunk leaves.

State trees: one leaf per program slot, leaf = that slot's tensor root, or ZERO (32 zero bytes) for
an intermediate not written yet; the leaves are padded with ZERO to a power of two (at least one) and
inner node = sha256(left || right). The leaf itself is not hashed again: the tree's depth is fixed by
the program (a proof of the wrong length is rejected), so a leaf cannot pass for an inner node.

A proof is the list of sibling hashes from the leaf up (bottom first); `fold` recomputes the root.
"""
from __future__ import annotations

import hashlib

from runtime.tensor_root import CHUNK_BYTES, hash_pair, leaf_hashes, num_chunks, tree_levels, zero_subtree
from runtime.tensor_root import root_and_bytes as fast_tensor_root  # noqa: F401  (one implementation, in runtime)

ZERO = bytes(32)
_sha256 = hashlib.sha256


def next_pow2(n: int) -> int:
    """The least power of two >= n (1 for n <= 1)."""
    return 1 << max(0, n - 1).bit_length()


def fold(leaf: bytes, index: int, proof: list[bytes]) -> bytes:
    """The root that `leaf` at `index` with sibling path `proof` (bottom first) commits to."""
    node = leaf
    for sib in proof:
        node = hash_pair(sib, node) if index & 1 else hash_pair(node, sib)
        index >>= 1
    return node


def fold_level(nodes: list[bytes]) -> bytes:
    """Root of a power-of-two list of sibling subtrees (the claimant's level-two reveal)."""
    while len(nodes) > 1:
        nodes = [hash_pair(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0]


class StateTree:
    """A state tree whose leaves can be replaced one at a time, rehashing only that leaf's path."""

    def __init__(self, leaves: list[bytes]):
        width = next_pow2(len(leaves))
        self.size = len(leaves)
        self.levels = [list(leaves) + [ZERO] * (width - len(leaves))]
        while len(self.levels[-1]) > 1:
            cur = self.levels[-1]
            self.levels.append([hash_pair(cur[i], cur[i + 1]) for i in range(0, len(cur), 2)])
        self.hashes = width - 1  # inner nodes hashed so far (64 bytes each)

    @property
    def root(self) -> bytes:
        """The tree's root."""
        return self.levels[-1][0]

    @property
    def depth(self) -> int:
        """Levels above the leaves."""
        return len(self.levels) - 1

    def leaf(self, index: int) -> bytes:
        """Leaf `index`."""
        return self.levels[0][index]

    def set(self, index: int, leaf: bytes) -> None:
        """Replace leaf `index` and rehash its path to the root."""
        below = self.levels[0]
        below[index] = leaf
        sha = _sha256
        for level in self.levels[1:]:
            index >>= 1
            j = index << 1
            level[index] = sha(below[j] + below[j + 1]).digest()
            below = level
        self.hashes += len(self.levels) - 1

    def proof(self, index: int) -> list[bytes]:
        """The sibling path of leaf `index`, leaf level first."""
        out = []
        for lv in range(self.depth):
            out.append(self.levels[lv][index ^ 1])
            index >>= 1
        return out

    def copy(self) -> "StateTree":
        """An independent copy."""
        t = StateTree.__new__(StateTree)
        t.size, t.levels, t.hashes = self.size, [list(lv) for lv in self.levels], self.hashes
        return t


class TensorTree:
    """All levels of one tensor's tree (`runtime.tensor_root` rules), addressable by (depth, index)."""

    def __init__(self, data: bytes):
        self.data = data
        self.chunks = num_chunks(len(data))
        self.depth = self.chunks.bit_length() - 1
        self.levels = tree_levels(leaf_hashes(data), self.chunks)  # leaves first, padding implicit

    @property
    def root(self) -> bytes:
        """The tensor root."""
        return self.levels[-1][0]

    def node(self, depth: int, index: int) -> bytes:
        """The hash of node (depth, index); depth 0 is the root, a missing node is the zero subtree."""
        level = self.levels[self.depth - depth]
        return level[index] if index < len(level) else zero_subtree(self.depth - depth)

    def chunk(self, index: int) -> bytes:
        """Chunk `index` of the data, zero-padded to CHUNK_BYTES."""
        part = self.data[index * CHUNK_BYTES:(index + 1) * CHUNK_BYTES]
        return part + bytes(CHUNK_BYTES - len(part))

    def descendants(self, depth: int, index: int, below: int) -> list[bytes]:
        """The 2^below nodes `below` levels under (depth, index), left to right."""
        first = index << below
        return [self.node(depth + below, first + j) for j in range(1 << below)]


def chunk_hash(chunk: bytes) -> bytes:
    """The leaf hash of one chunk."""
    return _sha256(chunk).digest()
