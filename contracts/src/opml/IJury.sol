// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// A float step's verdict (the jurors' vote words VOTE_* of NodeJury, as numbers; bisection/jury.py Verdict).
uint8 constant VERDICT_WITHIN = 1; // within the claim's tolerance, not bitwise the recomputation: noise
uint8 constant VERDICT_BEYOND = 2; // beyond the tolerance
uint8 constant VERDICT_EXACT = 3; // bitwise the recomputation

/// @notice What the float-step machine (FloatStep, behind OpmlGame) asks of the jury that decides float steps (NodeJury).
interface IJury {
    /// Wei a jury round costs; the claimant pays it with its postNode move.
    function fee() external view returns (uint256);

    /// Files the round for game `gameId` (only the bound FloatStep); `task` is the jurors' input
    /// (bisection/jury.py: abi.encode(gameId, step, tolerance, node, inputLeaves, inputs, outputRoot, output)).
    function convene(uint256 gameId, bytes32 modelId, bytes calldata task) external payable returns (uint256 requestId);
}

/// @notice What the jury tells the game (through FloatStep, which implements it too and relays it): the
/// defender's output is exact, within or beyond tolerance (VERDICT_*).
interface IJuryGame {
    function onVerdict(uint256 gameId, uint8 verdict) external;
}
