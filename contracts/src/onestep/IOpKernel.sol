// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// One slot as a node descriptor names it (bisection/commitments.py: slot_desc).
struct SlotDesc {
    uint256 slot;
    uint256 kind; // 1 input, 2 constant, 3 value
    uint256 dtype; // 1 int8, 2 int16, 3 int64
    uint256[] shape;
}

/// One attribute: an int is a one-element list (the descriptor's tag is not needed by kernels).
struct Attr {
    bytes name;
    int256[] values;
}

/// A decoded node descriptor: what step `step` runs.
struct Node {
    uint256 opCode;
    uint256 step;
    SlotDesc[] inputs;
    SlotDesc[] outputs;
    Attr[] attrs;
}

/// The proven part of one input tensor: the 1024-byte chunks at `chunkIndex`, each already checked
/// against the tensor's root by the verifier. `width` is the element's byte width (1, 2 or 8).
struct Tensor {
    uint256 width;
    uint256[] shape;
    uint256[] chunkIndex;
    bytes[] chunks;
}

/// The one-step kernel of one exact-profile op (contracts/src/ops/<Op>.sol). It trusts its
/// arguments (the verifier proved them) and recomputes output element `index` (flat, row-major)
/// exactly as the op's numpy kernel in runtime/ops does. Reading an element whose chunk is not
/// among the inputs' chunks reverts with MissingChunk.
interface IOpKernel {
    function element(Node calldata node, Tensor[] calldata inputs, uint256 index) external pure returns (int256);
}
