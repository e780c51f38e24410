// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {OutputProof} from "../OutputProof.sol";

/// @notice Test harness: OutputProof's internal functions as external ones (tests and gas figures).
contract OutputProofHarness {
    function int16At(bytes32 root, uint256 count, uint256 index, bytes calldata chunk, bytes32[] calldata proof)
        external
        pure
        returns (int16)
    {
        return OutputProof.int16At(root, count, index, chunk, proof);
    }

    function int16Slice(bytes32 root, uint256 count, uint256 first, uint256 length, bytes calldata chunk,
        bytes32[] calldata proof) external pure returns (int16[] memory) {
        return OutputProof.int16Slice(root, count, first, length, chunk, proof);
    }

    function argmaxChecked(bytes32 root, uint256 count, bytes calldata data) external pure returns (uint256) {
        OutputProof.checkTensor(root, count, data);
        return OutputProof.argmax(data);
    }

    function toWad(int16 q, uint256 scaleWad) external pure returns (int256) {
        return OutputProof.toWad(q, scaleWad);
    }
}
