// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @notice What the bytes32 a consumer receives holds, by the result kind its request named.
library ResultKinds {
    /// The exact profile's output root: the sha256 Merkle root of the first output tensor's canonical
    /// bytes (int16 big-endian, row-major; 1024-byte chunks). Prove elements with `OutputProof`.
    /// Brain, single-phase, opml and hybrid requests deliver this kind (opml and hybrid only this kind).
    uint8 internal constant OUTPUT_ROOT = 0;
    /// uint256(label): the fast profile's top-1 index over the last axis of the first output. The
    /// committee votes on the label itself, so the callback carries it; nothing to prove.
    uint8 internal constant ARGMAX = 1;
    /// sha256 of the generated token ids, uint32 big-endian each.
    uint8 internal constant TOKEN_IDS = 2;
    /// Any 32 bytes the consumer defines.
    uint8 internal constant RAW = 3;
    /// A jury's vote on one float node: 1 within tolerance, 2 beyond (NodeJury's requests).
    uint8 internal constant NODE_CHECK = 4;
}
