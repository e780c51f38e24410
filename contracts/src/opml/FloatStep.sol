// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {
    InvalidProof, InvalidPrestate, WrongNodeKind, InvalidNodeInput, InvalidNodeOutput, UnauthorizedCaller,
    JuryNotSet, JuryAlreadySet
} from "../Errors.sol";
import {IJury, IJuryGame} from "./IJury.sol";
import {IFloatStep, NodePost, ONNX_NODE} from "./IFloatStep.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibProgram} from "./LibProgram.sol";

uint8 constant KIND_CONSTANT = 2; // slot kind of a model constant (jurors hold its bytes)

/// The disputed step's output slot and byte size, from its descriptor proven in the program tree
/// (OpmlGame.postOutput and FloatStep.post share it).
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

/// @notice The float-step machine of the opML dispute game (IFloatStep): every check of a `postNode`
/// move, the jury's task, and the jury itself (NodeJury, bound once by the game's deployer). OpmlGame
/// deploys it in its constructor and is the only caller of `post`; the jury's verdict comes back here and
/// is relayed to the game (`onVerdict`), which ends or re-bases the game. A refusal's custom error
/// reaches postNode's caller unchanged.
contract FloatStep is IFloatStep, IJuryGame {
    IJuryGame public immutable game; // the OpmlGame that deployed this
    address internal immutable _admin; // the game's deployer: binds the jury
    IJury public jury; // decides float steps; set once by the admin (`setJury`)

    constructor(address admin) {
        game = IJuryGame(msg.sender);
        _admin = admin;
    }

    /// Binds the jury once (the game is deployed before it: NodeJury needs this contract's address).
    function setJury(IJury jury_) external {
        // INVARIANT: only the game's deployer binds the jury, and only once: nobody can swap who decides float steps.
        if (msg.sender != _admin) revert UnauthorizedCaller(msg.sender);
        if (address(jury) != address(0)) revert JuryAlreadySet(address(jury));
        jury = jury_;
    }

    function fee() external view returns (uint256) {
        IJury j = jury;
        // INVARIANT: float steps are decided by a jury; with none bound, none is posted.
        if (address(j) == address(0)) revert JuryNotSet();
        return j.fee();
    }

    function post(At calldata a, NodePost calldata p)
        external
        payable
        returns (uint256 slot, bytes32 nodeRoot, uint256 juryRequest)
    {
        // INVARIANT: only the game files a float step (it has charged the move's bond and clock).
        if (msg.sender != address(game)) revert UnauthorizedCaller(msg.sender);
        bytes memory task;
        (slot, nodeRoot, task) = check(a, p);
        juryRequest = jury.convene{value: msg.value}(a.gameId, a.modelId, task);
    }

    /// The jury's verdict, relayed to the game.
    function onVerdict(uint256 gameId, uint8 verdict) external {
        // INVARIANT: only the bound jury decides a float step.
        if (msg.sender != address(jury)) revert UnauthorizedCaller(msg.sender);
        game.onVerdict(gameId, verdict);
    }

    /// Checks a postNode against the game (reverts naming the condition); returns the written output slot,
    /// S_lo with the defender's output set (nodeRoot), and the jurors' task
    /// (bisection/jury.py: abi.encode(gameId, step, tolerance, node, inputLeaves, inputs, outputRoot, output)).
    function check(At calldata a, NodePost calldata p)
        public
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
