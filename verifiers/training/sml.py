"""PoLe's Secure Mapping Layer (SML): a fixed linear layer tied to (round seed, trainer).

A proposal's model carries the SML between its last hidden layer and its head: the head sees S h instead
of the hidden features h (32 of them, after ReLU), where S is a signed permutation matrix
(S[i, perm[i]] = sign[i]) derived from

    key = keccak256(seed ‖ trainer address)

`seed` is the hash of the block after the proposal's base version was created: nobody knows it before
that version exists, and the contract records it (`Training.versionSeed`). Scorers never take S from the
trainer: they derive it from the proposal's base version and its sender, append it to the proposal's
weights, and score that. So a model trained under another trainer's key, or before the seed existed,
scores at chance: its head reads hidden features permuted and sign-flipped (32! * 2^32 keys; on the 10
logits alone a copy would keep the classes the two permutations happen to agree on).

S is a signed permutation so that every node can take it out of an accepted proposal exactly: the plain
head is W·S (columns permuted, some negated), an integer operation on Q16 weights, bit-identical everywhere.
What this does not stop is in README.md ("Verified training"): S is public once the seed is, so a copier
who knows this construction can re-map a copied head to its own S at no training cost.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from eth_utils import keccak, to_canonical_address


@dataclass(frozen=True)
class Sml:
    perm: tuple[int, ...]
    signs: tuple[int, ...]  # +1 / -1

    @classmethod
    def derive(cls, seed: bytes, trainer: str, width: int = 32) -> "Sml":
        key = keccak(bytes(seed).rjust(32, b"\0") + to_canonical_address(trainer))
        order = sorted(range(width), key=lambda i: keccak(key + bytes([0, i])))
        signs = tuple(1 if keccak(key + bytes([1, i]))[0] & 1 else -1 for i in range(width))
        return cls(tuple(order), signs)

    @property
    def width(self) -> int:
        return len(self.perm)

    def matrix(self) -> np.ndarray:
        """S as a dense float matrix (what the scorer's ONNX graph holds as its last Gemm)."""
        s = np.zeros((self.width, self.width))
        s[np.arange(self.width), self.perm] = self.signs
        return s

    def to_plain(self, head: np.ndarray) -> np.ndarray:
        """W·S: a trainer's head weights (outputs x hidden) as they act on the plain hidden features."""
        out = np.empty_like(head)
        out[:, list(self.perm)] = head * np.asarray(self.signs, dtype=head.dtype)
        return out

    def from_plain(self, head: np.ndarray) -> np.ndarray:
        """W·S^T (S is orthogonal): a plain head mapped into this SML, a trainer's starting point."""
        return head[:, list(self.perm)] * np.asarray(self.signs, dtype=head.dtype)
