// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Tensor} from "./IOpKernel.sol";
import {MissingChunk} from "../Errors.sol";

/// Tensor trees and elements under runtime/tensor_root.py's rules: canonical bytes are the elements
/// row-major, big-endian two's complement of 1, 2 or 8 bytes, cut into 1024-byte chunks padded with
/// zeros to a power of two; leaf = sha256(chunk), inner node = sha256(left || right). The state and
/// program trees (bisection/merkle.py) fold the same way over 32-byte leaves.
library TensorLib {
    uint256 internal constant CHUNK = 1024;

    /// Number of chunks in the padded tree of `nbytes` of data: a power of two, at least one.
    function numChunks(uint256 nbytes) internal pure returns (uint256 n) {
        uint256 data = nbytes == 0 ? 1 : (nbytes + CHUNK - 1) / CHUNK;
        n = 1;
        while (n < data) n <<= 1;
    }

    /// log2 of the smallest power of two >= n (n >= 1): the depth of a tree over n leaves.
    function depthOf(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) d++;
    }

    /// The root that `leaf` at `index` with the sibling path `path` (bottom first) commits to.
    function fold(bytes32 leaf, uint256 index, bytes32[] memory path) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 i = 0; i < path.length; i++) {
            node = (index & 1) == 1 ? sha256(abi.encodePacked(path[i], node)) : sha256(abi.encodePacked(node, path[i]));
            index >>= 1;
        }
    }

    /// Element `i` (flat) of input `input`, read from its proven chunks, sign-extended.
    function at(Tensor calldata t, uint256 input, uint256 i) internal pure returns (int256 v) {
        uint256 w = t.width;
        uint256 offset = i * w;
        uint256 chunk = offset / CHUNK;
        uint256[] calldata idx = t.chunkIndex;
        for (uint256 j = 0; j < idx.length; j++) {
            if (idx[j] == chunk) {
                bytes calldata data = t.chunks[j];
                uint256 pos = offset % CHUNK; // elements never straddle chunks: 1024 is a multiple of 1, 2, 8
                assembly {
                    let word := calldataload(add(data.offset, pos))
                    v := signextend(sub(w, 1), shr(sub(256, mul(8, w)), word))
                }
                return v;
            }
        }
        // INVARIANT: a kernel only computes from elements the verifier proved against the state.
        revert MissingChunk(input, chunk);
    }
}
