// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ModelAlreadyRegistered, UnknownModel, EmptyModelRoot, InputSizeAlreadyProven} from "./Errors.sol";
import {LibProgram} from "./opml/LibProgram.sol";

/// @notice Models by id. A model id commits to the model's program root (Merkle root over its node
/// descriptors) and its weights root (Merkle root of the initial state less the input):
/// modelId = sha256(abi.encodePacked(programRoot, weightsRoot)), the same id OpmlModels derives.
///
/// A model with a program may also have its input's byte size proven (`proveInputSize`): from the
/// program header and a node that reads the input slot, both checked against the program root, as
/// OpmlModels does. The size is fixed by the roots, not by whoever sends the proof, so nobody can
/// front-run a registration into a wrong size; Brain then refuses an OUTPUT_ROOT request whose input
/// has another size. A model without the proof (a fast-only model, whose roots are no program) is
/// requested unchecked, and its members decline an input that does not fit.
///
/// A model is registered either ordinary (`register`: Brain draws its committees from every staked node) or
/// holders-only (`registerHoldersOnly`: Brain draws them only among the nodes that declared, in NodeRegistry,
/// that they hold it, as of the request's block; a sharded model's shards are registered so). The flag is
/// fixed by the first registration and never changes, so a request's committee rule is known when the
/// request is made. A holders-only model's committees are only as strong as its holder set: a few holders,
/// or a holder set that one party's nodes dominate, make a weaker committee than the whole registry. And
/// since anyone may register any pair of roots, whoever registers a model id first picks its flag: a
/// requester (or a consumer that trusts a model id's answers) reads `model(id).holdersOnly` before relying
/// on it, as it reads the roots.
contract ModelRegistry {
    struct Model {
        bytes32 programRoot;
        bytes32 weightsRoot;
        address owner;
        uint64 registeredAt;
        bool holdersOnly; // committees drawn only among the model's holders (NodeRegistry.holdersAt)
    }

    mapping(bytes32 => Model) private _models;
    mapping(bytes32 => uint256) private _inputBytes;

    event ModelRegistered(
        bytes32 indexed modelId, bytes32 programRoot, bytes32 weightsRoot, address owner, bool holdersOnly
    );
    event InputSizeProven(bytes32 indexed modelId, uint256 inputBytes);

    function modelIdOf(bytes32 programRoot, bytes32 weightsRoot) public pure returns (bytes32) {
        return sha256(abi.encodePacked(programRoot, weightsRoot));
    }

    /// @notice Registers an ordinary model: its committees are drawn from every staked node.
    function register(bytes32 programRoot, bytes32 weightsRoot) external returns (bytes32) {
        return _register(programRoot, weightsRoot, false);
    }

    /// @notice Registers a model whose committees are drawn only among its holders (NodeRegistry.holdersAt).
    function registerHoldersOnly(bytes32 programRoot, bytes32 weightsRoot) external returns (bytes32) {
        return _register(programRoot, weightsRoot, true);
    }

    function _register(bytes32 programRoot, bytes32 weightsRoot, bool holdersOnly_) private returns (bytes32 modelId) {
        if (programRoot == bytes32(0) || weightsRoot == bytes32(0)) revert EmptyModelRoot();
        modelId = modelIdOf(programRoot, weightsRoot);
        // INVARIANT: a registered model (its roots and its committee rule) never changes.
        if (_models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);
        _models[modelId] = Model(programRoot, weightsRoot, msg.sender, uint64(block.number), holdersOnly_);
        emit ModelRegistered(modelId, programRoot, weightsRoot, msg.sender, holdersOnly_);
    }

    /// @notice Records the byte size of a registered model's input (its input slot, canonical bytes),
    /// proven against its program root (LibProgram.provenInput; reverts InvalidModelProof). Anyone may.
    function proveInputSize(
        bytes32 modelId,
        bytes calldata header,
        bytes32[] calldata headerProof,
        uint256 inputStep,
        bytes calldata inputNode,
        bytes32[] calldata inputNodeProof
    ) external returns (uint256 inputBytes) {
        Model storage m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        // INVARIANT: a proven size is never replaced.
        if (_inputBytes[modelId] != 0) revert InputSizeAlreadyProven(modelId, _inputBytes[modelId]);
        (, inputBytes,) = LibProgram.provenInput(m.programRoot, header, headerProof, inputStep, inputNode, inputNodeProof);
        _inputBytes[modelId] = inputBytes;
        emit InputSizeProven(modelId, inputBytes);
    }

    /// @notice The proven byte size of a model's input (0: not proven).
    function inputBytesOf(bytes32 modelId) external view returns (uint256) {
        return _inputBytes[modelId];
    }

    /// @notice Whether a registered model's committees are drawn among its holders only (reverts UnknownModel).
    function holdersOnly(bytes32 modelId) external view returns (bool) {
        Model storage m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        return m.holdersOnly;
    }

    function exists(bytes32 modelId) public view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    function model(bytes32 modelId) external view returns (Model memory m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }
}
