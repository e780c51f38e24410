// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InvalidModelProof} from "../Errors.sol";
import {LibMerkle} from "./LibMerkle.sol";

/// @notice Reads the canonical descriptors of bisection/commitments.py (big-endian integers):
///   header = tag || u32 num_slots || u32 steps || u32 input_slot || u64 scale
///            || u32 num_outputs || u32 output_slot...
///   tag = "TRIBUNAL/PROGRAM/1" (exact: every step has a one-step kernel) or "TRIBUNAL/PROGRAM/F" (a float
///   program: every step is a float node, op ONNX_NODE, which a jury decides)
///   node   = u32 op_code || u32 step || u32 num_inputs || slot_desc... || u32 num_outputs || slot_desc...
///            || attrs...
///   slot_desc = u32 slot || u8 kind (1 input, 2 constant, 3 value) || u8 dtype || u8 rank || u32 dim...
///   dtype: 1 int8, 2 int16, 3 int64, 4 float32, 5 bool, 6 int32, 7 uint8, 8 float16, 9 float64
///   (bytes per element in `width`). A float node (op ONNX_NODE) lists its inputs and its ONE written
///   output this way; what follows (attributes, opset, the ONNX node) is read by jurors, not here.
/// Descriptors are leaves sha256(descriptor) of the program tree (leaf 0 the header, leaf K step K).
/// A malformed descriptor reverts (out-of-range slice); one that does not verify is rejected by the caller.
library LibProgram {
    bytes18 internal constant HEADER_TAG = "TRIBUNAL/PROGRAM/1";
    bytes18 internal constant FLOAT_HEADER_TAG = "TRIBUNAL/PROGRAM/F";

    struct Header {
        uint256 numSlots;
        uint256 steps;
        uint256 inputSlot;
        uint256 outputSlot;
        bool floatSteps; // a float program: its steps are decided by a jury, not by a kernel
    }

    function u32(bytes calldata d, uint256 at) internal pure returns (uint256) {
        return uint32(bytes4(d[at:at + 4]));
    }

    function header(bytes calldata d) internal pure returns (Header memory h, bool ok) {
        if (d.length < 46) return (h, false);
        bytes18 tag = bytes18(d[0:18]);
        if (tag != HEADER_TAG && tag != FLOAT_HEADER_TAG) return (h, false);
        h = Header(u32(d, 18), u32(d, 22), u32(d, 26), u32(d, 42), tag == FLOAT_HEADER_TAG);
        ok = u32(d, 38) >= 1;
    }

    /// One slot descriptor at `at`: its slot, its canonical byte size, and where the next one starts.
    function slotDesc(bytes calldata d, uint256 at) internal pure returns (uint256 slot, uint256 nbytes, uint256 next) {
        slot = u32(d, at);
        uint8 dtype = uint8(d[at + 5]);
        uint256 rank = uint8(d[at + 6]);
        nbytes = width(dtype);
        for (uint256 i; i < rank; ++i) nbytes *= u32(d, at + 7 + 4 * i);
        next = at + 7 + 4 * rank;
    }

    /// Bytes per element of a dtype code (bisection/commitments.py, bisection/commitments.py DTYPE_WIDTH); 0 for a
    /// code the chain does not know, so a slot of it has no size and no posted bytes can match it.
    function width(uint8 dtype) internal pure returns (uint256) {
        if (dtype == 1 || dtype == 5 || dtype == 7) return 1;
        if (dtype == 2 || dtype == 8) return 2;
        if (dtype == 4 || dtype == 6) return 4;
        if (dtype == 3 || dtype == 9) return 8;
        return 0;
    }

    function opCode(bytes calldata d) internal pure returns (uint256) {
        return u32(d, 0);
    }

    function numInputs(bytes calldata d) internal pure returns (uint256) {
        return u32(d, 8);
    }

    /// The kind (1 input, 2 constant, 3 value) of the slot descriptor at `at`.
    function kind(bytes calldata d, uint256 at) internal pure returns (uint8) {
        return uint8(d[at + 4]);
    }

    /// The step a node descriptor names, its first output slot and that slot's byte size.
    function output(bytes calldata d) internal pure returns (uint256 step, uint256 slot, uint256 nbytes) {
        step = u32(d, 4);
        uint256 at = 12;
        for (uint256 i = u32(d, 8); i > 0; --i) (,, at) = slotDesc(d, at);
        (slot, nbytes,) = slotDesc(d, at + 4);
    }

    /// The byte size of input `slot` as the node reads it (0 when the node does not read it).
    function inputBytes(bytes calldata d, uint256 slot) internal pure returns (uint256) {
        uint256 at = 12;
        for (uint256 i = u32(d, 8); i > 0; --i) {
            (uint256 s, uint256 nbytes, uint256 next) = slotDesc(d, at);
            if (s == slot) return nbytes;
            at = next;
        }
        return 0;
    }

    /// The program header and its input's byte size, proven against `programRoot`: `head` is leaf 0 of the
    /// program tree and `inputNode` the node at `inputStep`, which reads the input slot (reverts
    /// InvalidModelProof otherwise). Also the program tree's depth. OpmlModels and ModelRegistry register with it.
    function provenInput(
        bytes32 programRoot,
        bytes calldata head,
        bytes32[] calldata headerProof,
        uint256 inputStep,
        bytes calldata inputNode,
        bytes32[] calldata inputNodeProof
    ) internal pure returns (Header memory h, uint256 nbytes, uint256 programDepth) {
        bool ok;
        (h, ok) = header(head);
        programDepth = depth(h.steps + 1);
        // INVARIANT: the header (slot count, steps, input and output slots) is leaf 0 of the program.
        if (!ok || headerProof.length != programDepth || LibMerkle.fold(sha256(head), 0, headerProof) != programRoot) {
            revert InvalidModelProof("header is not leaf 0 of the program root");
        }
        nbytes = inputBytes(inputNode, h.inputSlot);
        // INVARIANT: the input's size comes from a node of the program that reads the input slot.
        if (inputStep == 0 || inputStep > h.steps || inputNodeProof.length != programDepth || nbytes == 0
                || u32(inputNode, 4) != inputStep
                || LibMerkle.fold(sha256(inputNode), inputStep, inputNodeProof) != programRoot) {
            revert InvalidModelProof("input node is not a node of the program reading the input slot");
        }
    }

    /// The depth of a Merkle tree over `n` leaves: ceil(log2 n).
    function depth(uint256 n) internal pure returns (uint256) {
        uint256 p = 1;
        while (p < n) p <<= 1;
        return LibMerkle.log2(p);
    }
}
