// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ModelAlreadyRegistered, UnknownModel, EmptyModelRoot} from "./Errors.sol";

/// @notice Models by id. A model id commits to the model's program root (Merkle root over its node
/// descriptors) and its weights root (Merkle root of the initial state less the input):
/// modelId = sha256(abi.encodePacked(programRoot, weightsRoot)).
contract ModelRegistry {
    struct Model {
        bytes32 programRoot;
        bytes32 weightsRoot;
        address owner;
        uint64 registeredAt;
    }

    mapping(bytes32 => Model) private _models;

    event ModelRegistered(bytes32 indexed modelId, bytes32 programRoot, bytes32 weightsRoot, address owner);

    function modelIdOf(bytes32 programRoot, bytes32 weightsRoot) public pure returns (bytes32) {
        return sha256(abi.encodePacked(programRoot, weightsRoot));
    }

    function register(bytes32 programRoot, bytes32 weightsRoot) external returns (bytes32 modelId) {
        if (programRoot == bytes32(0) || weightsRoot == bytes32(0)) revert EmptyModelRoot();
        modelId = modelIdOf(programRoot, weightsRoot);
        if (_models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);
        _models[modelId] = Model(programRoot, weightsRoot, msg.sender, uint64(block.number));
        emit ModelRegistered(modelId, programRoot, weightsRoot, msg.sender);
    }

    function exists(bytes32 modelId) public view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    function model(bytes32 modelId) external view returns (Model memory m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }
}
