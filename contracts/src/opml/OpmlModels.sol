// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ModelAlreadyRegistered, UnknownModel, EmptyModelRoot, InvalidInput, InvalidModelProof} from "../Errors.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibProgram} from "./LibProgram.sol";

/// @notice Models of the opML game: everything needed to derive S_0 on chain from a request input.
/// modelId = sha256(programRoot || weightsRoot), as in ModelRegistry and bisection/commitments.py.
/// Registration proves, against the two roots, what the game later relies on:
///   - the program header (leaf 0 of the program tree): slot count, steps, input slot, output slot;
///   - the input slot's sibling path in the weights tree (the weights tree has ZERO at the input slot);
///   - one node that reads the input slot (its descriptor gives the input's byte size).
/// S_0 for a request input x is then fold(tensorRoot(x), inputSlot, inputPath): computed here, on chain.
contract OpmlModels {
    struct Model {
        bytes32 programRoot;
        bytes32 weightsRoot;
        uint32 steps;
        uint32 numSlots;
        uint32 inputSlot;
        uint32 outputSlot;
        uint32 inputBytes;
        uint8 stateDepth; // proof length in the state tree: ceil(log2 numSlots)
        uint8 programDepth; // proof length in the program tree: ceil(log2 (steps + 1))
        address owner;
        bool floatSteps; // a float program (header tag "TRIBUNAL/PROGRAM/F"): a jury decides its steps
    }

    mapping(bytes32 => Model) private _models;
    mapping(bytes32 => bytes32[]) private _inputPath;

    event OpmlModelRegistered(bytes32 indexed modelId, bytes32 programRoot, bytes32 weightsRoot, uint256 steps,
        uint256 inputBytes);

    /// What registration proves against the two roots (see the contract's notice).
    struct Registration {
        bytes header;
        bytes32[] headerProof;
        bytes32[] inputPath;
        uint256 inputStep;
        bytes inputNode;
        bytes32[] inputNodeProof;
    }

    function register(bytes32 programRoot, bytes32 weightsRoot, Registration calldata r)
        external
        returns (bytes32 modelId)
    {
        if (programRoot == bytes32(0) || weightsRoot == bytes32(0)) revert EmptyModelRoot();
        modelId = sha256(abi.encodePacked(programRoot, weightsRoot));
        if (_models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);
        Model memory m = _check(programRoot, weightsRoot, r);
        _models[modelId] = m;
        _inputPath[modelId] = r.inputPath;
        emit OpmlModelRegistered(modelId, programRoot, weightsRoot, m.steps, m.inputBytes);
    }

    function _check(bytes32 programRoot, bytes32 weightsRoot, Registration calldata r)
        private
        view
        returns (Model memory m)
    {
        (LibProgram.Header memory h, uint256 inputBytes, uint256 programDepth) = LibProgram.provenInput(
            programRoot, r.header, r.headerProof, r.inputStep, r.inputNode, r.inputNodeProof);
        uint256 stateDepth = LibProgram.depth(h.numSlots);
        // INVARIANT: the input path is the input slot's path in the weights tree (whose input leaf is ZERO).
        if (r.inputPath.length != stateDepth || LibMerkle.fold(bytes32(0), h.inputSlot, r.inputPath) != weightsRoot) {
            revert InvalidModelProof("input path does not fold to the weights root");
        }
        m = Model(programRoot, weightsRoot, uint32(h.steps), uint32(h.numSlots), uint32(h.inputSlot),
            uint32(h.outputSlot), uint32(inputBytes), uint8(stateDepth), uint8(programDepth), msg.sender,
            h.floatSteps);
    }

    function model(bytes32 modelId) public view returns (Model memory m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }

    function inputPath(bytes32 modelId) external view returns (bytes32[] memory) {
        model(modelId);
        return _inputPath[modelId];
    }

    /// S_0 for a request: the weights tree with the input's tensor root at the input slot.
    function initialRoot(bytes32 modelId, bytes calldata input) external view returns (bytes32 root) {
        (, root) = initialState(modelId, input);
    }

    /// The input's tensor root (the leaf folded into S_0 at the input slot) and S_0 itself.
    function initialState(bytes32 modelId, bytes calldata input) public view returns (bytes32 inputRoot, bytes32 root) {
        Model memory m = model(modelId);
        // INVARIANT: the input is exactly the model's input tensor (int16, the input slot's shape).
        if (input.length != m.inputBytes) revert InvalidInput(input.length, m.inputBytes);
        inputRoot = LibMerkle.tensorRoot(input);
        // INVARIANT: S_0 comes from the registered model and the request input alone.
        root = LibMerkle.foldStored(inputRoot, m.inputSlot, _inputPath[modelId]);
    }
}
