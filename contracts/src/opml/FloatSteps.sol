// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InvalidProof, InvalidPrestate, WrongNodeKind, InvalidNodeInput, InvalidNodeOutput} from "../Errors.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibProgram} from "./LibProgram.sol";

uint256 constant ONNX_NODE = 1000; // op code of a float node (bisection/commitments.py): settled by the jury
uint8 constant KIND_CONSTANT = 2; // slot kind of a model constant (jurors hold its bytes)

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

/// The disputed step's output slot and byte size, from its descriptor proven in the program tree
/// (OpmlGame.postOutput and FloatSteps.check share it).
function disputedNode(uint256 gameId, uint256 disputed, bytes32 programRoot, uint256 programDepth,
    bytes calldata node, bytes32[] calldata nodeProof) pure returns (uint256 slot, uint256 nbytes) {
    uint256 step_;
    (step_, slot, nbytes) = LibProgram.output(node);
    // INVARIANT: the slot and size come from the program: the descriptor of the disputed step.
    if (step_ != disputed || nodeProof.length != programDepth
            || LibMerkle.fold(sha256(node), disputed, nodeProof) != programRoot) {
        revert InvalidProof(gameId, "node descriptor is not the disputed step's");
    }
}

/// @notice Every check of OpmlGame.postNode, and the jury's task, in a contract of their own: OpmlGame
/// deploys it in its constructor and calls it (its code does not count against OpmlGame's EIP-170 size);
/// a refusal's custom error reaches postNode's caller unchanged. Stateless: it reads only its arguments.
contract FloatSteps {
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
    }

    /// Checks a postNode against the game (reverts naming the condition); returns the written output slot,
    /// S_lo with the defender's output set (nodeRoot), and the jurors' task
    /// (bisection/jury.py: abi.encode(gameId, step, tolerance, node, inputLeaves, inputs, outputRoot, output)).
    function check(At calldata a, NodePost calldata p)
        external
        pure
        returns (uint256 slot, bytes32 nodeRoot, bytes memory task)
    {
        uint256 nbytes;
        (slot, nbytes) = disputedNode(a.gameId, a.disputed, a.programRoot, a.programDepth, p.node, p.nodeProof);
        uint256 op = LibProgram.opCode(p.node);
        // INVARIANT: only a float program's node goes to the jury; a step with a kernel is settled by `step`.
        if (op != ONNX_NODE || !a.floatSteps) revert WrongNodeKind(a.gameId, op, "kernel step: use postOutput");
        // INVARIANT: the defender's output is set in an unwritten slot of S_lo.
        if (p.proof.length != a.stateDepth || LibMerkle.fold(bytes32(0), slot, p.proof) != a.rootLo) {
            revert InvalidPrestate(a.gameId, slot);
        }
        nodeRoot = LibMerkle.fold(p.outputRoot, slot, p.proof);
        // INVARIANT: a defender that claims S_hi posts S_hi's output; one that disputed the challenger's
        // S_hi posts its own (it must reach the claim's S_N from it if the jury accepts it).
        if (a.defenderClaims && nodeRoot != a.rootHi) {
            revert InvalidProof(a.gameId, "S_hi is not S_lo with the output slot set");
        }
        _checkInputs(a.gameId, a.rootLo, a.stateDepth, p);
        // INVARIANT: the posted output is the claimed one: the output slot's size, hashing to the output root.
        if (p.output.length != nbytes || LibMerkle.tensorRoot(p.output) != p.outputRoot) {
            revert InvalidNodeOutput(a.gameId, "output bytes are not the output root's");
        }
        task = abi.encode(a.gameId, a.disputed, a.tolerance, p.node, p.inputLeaves, p.inputs, p.outputRoot, p.output);
    }

    /// Each input the node lists is S_lo's value at its slot; non-constants come with their bytes.
    function _checkInputs(uint256 gameId, bytes32 rootLo, uint256 depth, NodePost calldata p) private pure {
        uint256 n = LibProgram.numInputs(p.node);
        // INVARIANT: one leaf, one path and one byte string per listed input.
        if (p.inputLeaves.length != n || p.inputProofs.length != n || p.inputs.length != n) {
            revert InvalidNodeInput(gameId, n, "one leaf, path and bytes per input");
        }
        uint256 at = 12;
        for (uint256 i; i < n; ++i) {
            (uint256 slot, uint256 nbytes, uint256 next) = LibProgram.slotDesc(p.node, at);
            bytes32 leaf = p.inputLeaves[i];
            // INVARIANT: the jury reads the agreed state: each leaf folds to S_lo at the input's slot.
            if (p.inputProofs[i].length != depth || LibMerkle.fold(leaf, slot, p.inputProofs[i]) != rootLo) {
                revert InvalidNodeInput(gameId, i, "leaf is not S_lo's at the input's slot");
            }
            if (LibProgram.kind(p.node, at) == KIND_CONSTANT) {
                // INVARIANT: a constant travels as its leaf only: jurors check their copy of the model against it.
                if (p.inputs[i].length != 0) revert InvalidNodeInput(gameId, i, "a constant's bytes are not posted");
            } else {
                // INVARIANT: the posted bytes are the leaf's tensor, of the slot's size.
                if (p.inputs[i].length != nbytes || LibMerkle.tensorRoot(p.inputs[i]) != leaf) {
                    revert InvalidNodeInput(gameId, i, "bytes are not the leaf's tensor");
                }
            }
            at = next;
        }
    }
}
