// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The game's Merkle trees (bisection/merkle.py, runtime/tensor_root.py): sha256 throughout,
/// inner node = sha256(left || right), proofs are sibling paths bottom first.
library LibMerkle {
    uint256 internal constant CHUNK_BYTES = 1024;

    /// The root that `leaf` at `index` with sibling path `proof` commits to.
    function fold(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 i; i < proof.length; ++i) {
            node = index & 1 == 1 ? sha256(abi.encodePacked(proof[i], node)) : sha256(abi.encodePacked(node, proof[i]));
            index >>= 1;
        }
    }

    /// Same as `fold` over a path held in storage (a model's input path).
    function foldStored(bytes32 leaf, uint256 index, bytes32[] storage proof) internal view returns (bytes32 node) {
        node = leaf;
        uint256 n = proof.length;
        for (uint256 i; i < n; ++i) {
            bytes32 sib = proof[i];
            node = index & 1 == 1 ? sha256(abi.encodePacked(sib, node)) : sha256(abi.encodePacked(node, sib));
            index >>= 1;
        }
    }

    /// Root of a power-of-two list of sibling subtrees (a level-two reveal).
    function foldLevel(bytes32[] calldata nodes) internal pure returns (bytes32) {
        uint256 n = nodes.length;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i; i < n; ++i) level[i] = nodes[i];
        while (n > 1) {
            for (uint256 i; i < n / 2; ++i) level[i] = sha256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            n /= 2;
        }
        return level[0];
    }

    /// Chunks in the padded tree for nbytes of data: a power of two, at least one.
    function numChunks(uint256 nbytes) internal pure returns (uint256 c) {
        uint256 n = nbytes == 0 ? 1 : (nbytes + CHUNK_BYTES - 1) / CHUNK_BYTES;
        c = 1;
        while (c < n) c <<= 1;
    }

    function log2(uint256 pow2) internal pure returns (uint256 d) {
        while (pow2 > 1) {
            pow2 >>= 1;
            ++d;
        }
    }

    /// The tensor root of canonical bytes (runtime/tensor_root.py): 1024-byte chunks, zero padding to
    /// a power of two of chunks, leaf sha256(chunk), inner sha256(left || right).
    function tensorRoot(bytes calldata data) internal pure returns (bytes32) {
        uint256 chunks = numChunks(data.length);
        bytes32[] memory level = new bytes32[](chunks);
        for (uint256 c; c < chunks; ++c) {
            uint256 start = c * CHUNK_BYTES;
            if (start + CHUNK_BYTES <= data.length) {
                level[c] = sha256(data[start:start + CHUNK_BYTES]);
                continue;
            }
            // the last data chunk and the padding chunks: zero bytes after the data
            uint256 from = start < data.length ? start : data.length;
            level[c] = sha256(abi.encodePacked(data[from:], new bytes(CHUNK_BYTES - (data.length - from))));
        }
        for (uint256 n = chunks; n > 1; n /= 2) {
            for (uint256 i; i < n / 2; ++i) level[i] = sha256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
        }
        return level[0];
    }
}
