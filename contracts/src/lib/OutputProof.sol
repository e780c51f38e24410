// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LibMerkle} from "../opml/LibMerkle.sol";
import {InvalidOutputProof, ElementOutOfRange, SliceNotInOneChunk} from "../Errors.sol";

/// @notice Acting on a delivered output root (ResultKinds.OUTPUT_ROOT): prove elements of the output
/// tensor against it, and read them as numbers.
///
/// The root (runtime/tensor_root.py, bisection/commitments.py): the first output tensor of the exact
/// profile, int16 elements in row-major order, each 2 bytes big-endian two's complement; the bytes are
/// cut into 1024-byte chunks (512 elements each), the number of chunks rounded up to a power of two and
/// the tail zero-padded; leaf = sha256(chunk), inner node = sha256(left || right); a one-chunk tensor's
/// root is sha256(its padded chunk). Element i lies in chunk (2i / 1024) at byte (2i mod 1024).
///
/// A proof is that chunk (1024 bytes) and its sibling path, bottom first (log2(chunks) hashes: none for
/// an output of up to 512 elements). `tribunal prove MODEL --input X --element I` (or
/// `bisection.commitments.element_proof`) writes them. `count` is the output's element count (the
/// model's: e.g. 10 for digits-mlp): it fixes the tree's depth, and an index past it is refused rather
/// than read as padding.
///
/// Numbers: the real value of element q is q * scale, where scale is the output slot's (the model's
/// fixed quantization scale, printed by `tribunal prove`). `toWad` takes the scale as an 18-decimal
/// fixed-point integer (scaleWad = round(scale * 1e18)) and returns the value in the same format.
/// The committee's label for an ARGMAX request needs none of this: the callback carries it.
library OutputProof {
    uint256 internal constant CHUNK_BYTES = 1024;
    uint256 internal constant INT16_BYTES = 2;

    /// @notice Element `index` of an int16 output of `count` elements, proven against `root`
    /// (reverts ElementOutOfRange, InvalidOutputProof).
    function int16At(bytes32 root, uint256 count, uint256 index, bytes calldata chunk, bytes32[] calldata proof)
        internal
        pure
        returns (int16)
    {
        // INVARIANT: only an element of the tensor is read (a padding zero is not an output).
        if (index >= count) revert ElementOutOfRange(index, count);
        uint256 at = index * INT16_BYTES;
        _checkChunk(root, count, at / CHUNK_BYTES, chunk, proof);
        return _int16(chunk, at % CHUNK_BYTES);
    }

    /// @notice Elements first .. first + length - 1 (in one chunk: 512-aligned runs of up to 512),
    /// proven against `root` with one chunk and path (reverts SliceNotInOneChunk, ElementOutOfRange,
    /// InvalidOutputProof).
    function int16Slice(bytes32 root, uint256 count, uint256 first, uint256 length, bytes calldata chunk,
        bytes32[] calldata proof) internal pure returns (int16[] memory values) {
        if (length == 0 || first / 512 != (first + length - 1) / 512) revert SliceNotInOneChunk(first, length);
        if (first + length > count) revert ElementOutOfRange(first + length - 1, count);
        uint256 at = first * INT16_BYTES;
        _checkChunk(root, count, at / CHUNK_BYTES, chunk, proof);
        values = new int16[](length);
        at %= CHUNK_BYTES;
        for (uint256 i; i < length; ++i) values[i] = _int16(chunk, at + i * INT16_BYTES);
    }

    /// @notice The whole output of `count` elements (`data`: its canonical bytes, 2 per element) checked
    /// against `root`; then read it with `int16Of` / `argmax`. For small outputs (logits): it hashes
    /// every chunk (reverts InvalidOutputProof).
    function checkTensor(bytes32 root, uint256 count, bytes calldata data) internal pure {
        // INVARIANT: the bytes read are exactly the tensor the root commits to. The length is checked
        // too: zero padding makes a tensor and the same tensor with trailing zeros share a root.
        if (data.length != count * INT16_BYTES || LibMerkle.tensorRoot(data) != root) {
            revert InvalidOutputProof(root, count);
        }
    }

    /// @notice The index of the largest element of checked canonical int16 bytes (the first on ties, as
    /// numpy's argmax): the label of a classifier's logits, the same for the int16 values as for
    /// the real ones (the scale is positive).
    function argmax(bytes calldata data) internal pure returns (uint256 best) {
        int16 top = type(int16).min;
        for (uint256 i; i * INT16_BYTES < data.length; ++i) {
            int16 v = _int16(data, i * INT16_BYTES);
            if (v > top || i == 0) (top, best) = (v, i);
        }
    }

    /// @notice Element `index` of canonical int16 bytes (checked with `checkTensor` first).
    function int16Of(bytes calldata data, uint256 index) internal pure returns (int16) {
        if ((index + 1) * INT16_BYTES > data.length) revert ElementOutOfRange(index, data.length / INT16_BYTES);
        return _int16(data, index * INT16_BYTES);
    }

    /// @notice q * scale as an 18-decimal fixed-point number, from scaleWad = round(scale * 1e18).
    function toWad(int16 q, uint256 scaleWad) internal pure returns (int256) {
        return int256(q) * int256(scaleWad);
    }

    function _checkChunk(bytes32 root, uint256 count, uint256 chunkIndex, bytes calldata chunk,
        bytes32[] calldata proof) private pure {
        uint256 depth = LibMerkle.log2(LibMerkle.numChunks(count * INT16_BYTES));
        // INVARIANT: the chunk is the tensor's chunk `chunkIndex` under `root`: a full chunk, a path as
        // long as the tensor's tree is deep, folding to the root.
        if (chunk.length != CHUNK_BYTES || proof.length != depth
            || LibMerkle.fold(sha256(chunk), chunkIndex, proof) != root) {
            revert InvalidOutputProof(root, chunkIndex);
        }
    }

    /// The int16 at byte `at` of `data` (big-endian): one calldataload (a bytes2 cast of a calldata
    /// slice cost ~750 gas an element in argmax; this ~60).
    function _int16(bytes calldata data, uint256 at) private pure returns (int16 v) {
        // INVARIANT: reads only inside `data` (calldataload past it would read other arguments).
        if (at + INT16_BYTES > data.length) revert ElementOutOfRange(at / INT16_BYTES, data.length / INT16_BYTES);
        assembly ("memory-safe") {
            v := signextend(1, shr(240, calldataload(add(data.offset, at))))
        }
    }
}
