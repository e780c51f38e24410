// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IResultDelivery} from "./IResultDelivery.sol";

/// @notice BRAIN, single-phase (contracts/src/SinglePhaseBrain.sol): the requester brings the committee's
/// signatures over the result, and the callback runs in the request's own transaction.
interface ISinglePhaseBrain is IResultDelivery {
    event Served(uint256 indexed requestId, address indexed requester, bytes32 indexed modelId, bytes32 inputHash,
        bytes32 result, uint256 votes, uint256 fee);

    function requestAndRespond(bytes32 modelId, bytes32 inputHash, uint256 seedBlock, bytes32 result,
        address consumer, uint32 callbackGas, bytes[] calldata signatures)
        external
        payable
        returns (uint256 requestId);

    /// The committee (node-index set) of every request landing in block seedBlock + 1.
    function committeeOf(bytes32 seedBlockHash, uint256 seedBlock) external view returns (uint256);

    /// What each member signs (EIP-191 personal message over this digest).
    function digestOf(uint256 seedBlock, bytes32 modelId, bytes32 inputHash, bytes32 result)
        external
        view
        returns (bytes32);

    function minFee() external view returns (uint256);

    /// The id the next `requestAndRespond` gets.
    function nextRequestId() external view returns (uint256);
}
