// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

uint256 constant ONNX_NODE = 1000; // op code of a float node (bisection/commitments.py): settled by the jury

/// A `postNode` move (a float step, op ONNX_NODE): what the jury needs to recompute the node.
struct NodePost {
    bytes32 outputRoot; // the written output's tensor root
    bytes32[] proof; // the output slot's path in S_hi (ZERO there in S_lo)
    bytes node; // the disputed step's descriptor
    bytes32[] nodeProof; // its path in the program tree
    bytes32[] inputLeaves; // each listed input's tensor root in S_lo
    bytes32[][] inputProofs; // each one's path in S_lo
    bytes[] inputs; // each one's canonical bytes; empty for a constant (jurors hold the model's)
    bytes output; // the written output's canonical bytes
}

/// The float-step machine of the opML dispute game, as IOneStep is the kernel steps' one: a step whose
/// node has no one-step kernel (op ONNX_NODE) is checked here and sent to a jury that recomputes it.
/// Unlike a kernel step the answer is not immediate: the verdict (VERDICT_* of IJury.sol) comes back
/// later through the game's IJuryGame.onVerdict, called by this machine only.
interface IFloatStep {
    /// What the game knows of the step being posted.
    struct At {
        uint256 gameId;
        uint256 disputed; // the step: position.hi
        bytes32 rootLo;
        bytes32 rootHi;
        bool defenderClaims; // the defender asserts rootHi
        bool floatSteps; // the claim's model is a float program
        uint64 tolerance; // the claim's (packed), for the task
        bytes32 programRoot;
        uint256 programDepth;
        uint256 stateDepth;
        bytes32 modelId; // the claim's model: the jurors recompute with it
    }

    /// Wei a float step costs (the jury's fee); reverts JuryNotSet while no jury is bound.
    function fee() external view returns (uint256);

    /// Checks a postNode move against the game (reverts naming the condition) and files it with the jury,
    /// paying msg.value as its fee. Returns the written output slot, S_lo with the defender's output set
    /// (`nodeRoot`: the new S_lo if the verdict adopts it) and the jury's request id.
    function post(At calldata a, NodePost calldata p)
        external payable returns (uint256 slot, bytes32 nodeRoot, uint256 juryRequest);
}
