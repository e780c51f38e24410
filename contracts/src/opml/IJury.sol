// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice What OpmlGame asks of the jury that decides float steps (NodeJury).
interface IJury {
    /// Wei a jury round costs; the claimant pays it with its postNode move.
    function fee() external view returns (uint256);

    /// Files the round for game `gameId` (only the bound game); `task` is the jurors' input
    /// (bisection/jury.py: abi.encode(gameId, step, tolerance, node, inputLeaves, inputs, outputRoot, output)).
    function convene(uint256 gameId, bytes32 modelId, bytes calldata task) external payable returns (uint256 requestId);
}

/// @notice What the jury tells the game: whether the claimant's output is within tolerance.
interface IJuryGame {
    function onVerdict(uint256 gameId, bool within) external;
}
