// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOneStep} from "./IOneStep.sol";
import {IOpKernel, Node, SlotDesc, Tensor} from "./IOpKernel.sol";
import {Descriptor} from "./Descriptor.sol";
import {TensorLib} from "./Tensor.sol";
import "../Errors.sol";

/// The one-step verifier: proves a node and the chunks of its inputs that one output element reads
/// against the program root and S_{step-1}, then has the op's kernel recompute that element.
///
/// The proof bundle is `abi.encode(Bundle)` (built by contracts/onestep.py: step_proof). The header
/// (leaf 0 of the program tree) is proven too: its slot and step counts fix the depth of the state
/// and program trees, so no inner node can pass for a leaf through a short path.
contract OneStep is IOneStep {
    struct InputProof {
        bytes32 root; // the input slot's tensor root, a leaf of S_{step-1}
        bytes32[] statePath; // its sibling path in the state tree, bottom first
        uint256[] chunkIndex; // the chunks the element reads, each 1024 bytes
        bytes[] chunks;
        bytes32[][] chunkPaths; // each chunk's sibling path in the tensor tree, bottom first
    }

    struct Bundle {
        bytes header; // program header descriptor
        bytes32[] headerPath;
        bytes node; // descriptor of the node that `step` runs
        bytes32[] nodePath;
        InputProof[] inputs; // one per node input, in the node's order
    }

    uint256 internal constant INT16 = 2;

    mapping(uint256 => IOpKernel) public kernels;

    constructor(uint256[] memory opCodes, IOpKernel[] memory opKernels) {
        for (uint256 i = 0; i < opCodes.length; i++) kernels[opCodes[i]] = opKernels[i];
    }

    /// @inheritdoc IOneStep
    function element(bytes32 programRoot, bytes32 stateRoot, uint256 step, uint256 index, bytes calldata proof)
        external
        view
        returns (int256 value, uint256 outputSlot)
    {
        Bundle memory b = abi.decode(proof, (Bundle));
        uint256 numSlots = _checkProgram(programRoot, step, b);
        Node memory n = Descriptor.node(b.node, step);
        // INVARIANT: the descriptor is the one the program commits to for this step, writing one int16 slot.
        if (n.step != step || n.outputs.length != 1 || n.outputs[0].dtype != INT16) revert MalformedDescriptor(step);
        outputSlot = n.outputs[0].slot;
        uint256 size = _size(n.outputs[0].shape);
        if (index >= size) {
            // INVARIANT: past the data, the output's canonical bytes are zero padding up to its tree's end.
            if (index >= TensorLib.numChunks(size * INT16) * (TensorLib.CHUNK / INT16)) {
                revert ElementOutOfRange(index, size);
            }
            return (0, outputSlot);
        }
        Tensor[] memory ins = _checkInputs(stateRoot, TensorLib.depthOf(numSlots), n, b.inputs);
        IOpKernel kernel = kernels[n.opCode];
        if (address(kernel) == address(0)) revert UnsupportedOp(n.opCode);
        value = kernel.element(n, ins, index);
    }

    function _checkProgram(bytes32 programRoot, uint256 step, Bundle memory b)
        private
        view
        returns (uint256 numSlots)
    {
        uint256 steps;
        (numSlots, steps) = Descriptor.header(b.header);
        uint256 depth = TensorLib.depthOf(steps + 1);
        // INVARIANT: the header is leaf 0 of the program tree, so its counts are the program's own.
        if (b.headerPath.length != depth || TensorLib.fold(TensorLib.hash(b.header), 0, b.headerPath) != programRoot) {
            revert InvalidDescriptorProof(0);
        }
        // INVARIANT: the node descriptor is leaf `step` of the program tree, at the tree's full depth.
        if (step == 0 || step > steps || b.nodePath.length != depth
            || TensorLib.fold(TensorLib.hash(b.node), step, b.nodePath) != programRoot) {
            revert InvalidDescriptorProof(step);
        }
    }

    function _checkInputs(bytes32 stateRoot, uint256 stateDepth, Node memory n, InputProof[] memory proofs)
        private
        view
        returns (Tensor[] memory ins)
    {
        if (proofs.length != n.inputs.length) revert MalformedProof(n.step);
        ins = new Tensor[](n.inputs.length);
        for (uint256 i = 0; i < ins.length; i++) {
            ins[i] = _checkInput(stateRoot, stateDepth, n.inputs[i], proofs[i], n.step);
        }
    }

    function _checkInput(
        bytes32 stateRoot,
        uint256 stateDepth,
        SlotDesc memory s,
        InputProof memory p,
        uint256 step
    ) private view returns (Tensor memory t) {
        // INVARIANT: the input's tensor root is S_{step-1}'s leaf at the input's slot.
        if (p.statePath.length != stateDepth || TensorLib.fold(p.root, s.slot, p.statePath) != stateRoot) {
            revert InvalidStateProof(s.slot);
        }
        if (p.chunks.length != p.chunkIndex.length || p.chunkPaths.length != p.chunkIndex.length) {
            revert MalformedProof(step);
        }
        uint256 width = s.dtype == 1 ? 1 : (s.dtype == 2 ? 2 : 8);
        uint256 chunks = TensorLib.numChunks(_size(s.shape) * width);
        uint256 depth = TensorLib.depthOf(chunks);
        for (uint256 j = 0; j < p.chunks.length; j++) {
            uint256 c = p.chunkIndex[j];
            // INVARIANT: each chunk is a whole leaf of the input's tensor tree at position c.
            if (c >= chunks || p.chunks[j].length != TensorLib.CHUNK || p.chunkPaths[j].length != depth
                || TensorLib.fold(TensorLib.hash(p.chunks[j]), c, p.chunkPaths[j]) != p.root) {
                revert InvalidChunkProof(s.slot, c);
            }
        }
        t = Tensor(width, s.shape, p.chunkIndex, p.chunks);
    }

    function _size(uint256[] memory shape) private pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }
}
