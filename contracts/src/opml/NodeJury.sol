// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Brain} from "../Brain.sol";
import {IResultConsumer} from "../IResultConsumer.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {
    InvalidConfig, UnauthorizedCaller, JuryAlreadySet, UnknownJuryCase, JuryRoundOpen, NothingToRetry,
    JuryTaskMismatch, FeeTooLow, FeeNotNeeded
} from "../Errors.sol";
import {IJury, IJuryGame, VERDICT_EXACT} from "./IJury.sol";

/// @notice The jury of float steps (bisection/jury.py): a Brain committee that recomputes one ONNX node.
///
/// When a float step's claimant posts its node (OpmlGame.postNode), the game's float-step machine
/// (FloatStep, the bound "game" here) calls `convene` with the jury's fee and the task; this files a Brain request (result kind KIND_NODE_CHECK, model = the
/// claim's model, requester and consumer = this contract) whose input is the task, so jurors read it
/// from Brain's InputPosted. Members vote VOTE_EXACT (the defender's output is bitwise their own
/// recomputation), VOTE_WITHIN (within the claim's tolerance of it, not bitwise) or VOTE_BEYOND; Brain's
/// callback (`onResult`) hands the majority's vote to FloatStep, which relays it to the game, as its verdict (VERDICT_*, the same numbers).
///
/// A round without a verdict (timed out for lack of quorum, never dispatched, or one whose majority
/// voted neither value) leaves the game waiting: anyone may `retry` it, re-sending the same task
/// (checked against the round's input hash), paid by the round's refunded fee plus what the caller
/// adds. A round that finalized but whose callback did not get through is delivered by `retry` too. A
/// round the jurors declined (Unservable: a task they cannot judge) forfeited its fee; a retry pays anew.
/// Money (DESIGN.md section 9): silent jurors are slashed to the treasury, never to this contract.
contract NodeJury is IJury, IResultConsumer {
    bytes32 public constant VOTE_WITHIN = bytes32(uint256(1));
    bytes32 public constant VOTE_BEYOND = bytes32(uint256(2));
    bytes32 public constant VOTE_EXACT = bytes32(uint256(VERDICT_EXACT));
    uint8 public constant KIND_NODE_CHECK = 4; // ResultDelivery.KIND_NODE_CHECK

    struct Case {
        uint256 request; // the game's current Brain round (0: none)
        bytes32 modelId;
        bool settled; // the verdict reached the game
    }

    Brain public immutable brain;
    NodeRegistry public immutable nodes;
    uint32 public immutable callbackGas; // gas Brain gives `onResult`: enough to end the game
    address internal immutable _deployer;
    IJuryGame public game;

    mapping(uint256 => Case) private _cases; // by game id
    mapping(uint256 => uint256) private _gameOf; // Brain request id => game id + 1

    event JuryConvened(uint256 indexed gameId, uint256 indexed brainRequestId, uint256 step);
    event JuryVerdict(uint256 indexed gameId, uint8 verdict);

    constructor(Brain brain_, uint32 callbackGas_) {
        // INVARIANT: Brain can deliver the verdict with the gas asked for (its callbacks are capped).
        if (callbackGas_ == 0 || callbackGas_ > brain_.maxCallbackGas()) {
            revert InvalidConfig("jury callbackGas not in 1..Brain.maxCallbackGas");
        }
        brain = brain_;
        nodes = brain_.nodes();
        callbackGas = callbackGas_;
        _deployer = msg.sender;
    }

    /// Binds the game whose float steps this jury decides: once, by the deployer.
    function bind(IJuryGame game_) external {
        // INVARIANT: only the deployer binds, once: nobody else can convene this jury or receive its verdicts.
        if (msg.sender != _deployer) revert UnauthorizedCaller(msg.sender);
        if (address(game) != address(0)) revert JuryAlreadySet(address(game));
        game = game_;
    }

    /// Wei a jury round costs in this block: Brain's minimum fee plus the callback allowance of this jury's
    /// `onResult` (its gas at the block's base fee, paid to the finalizer that runs it).
    function fee() public view returns (uint256) {
        return brain.minFee() + brain.callbackAllowance(address(this), callbackGas);
    }

    /// Files a jury round of game `gameId` (only the bound game): its first float step, or the next one
    /// after a verdict re-based the game (OpmlGame: within tolerance before the last step).
    function convene(uint256 gameId, bytes32 modelId, bytes calldata task)
        external
        payable
        returns (uint256 requestId)
    {
        // INVARIANT: only the bound game convenes the jury.
        if (msg.sender != address(game)) revert UnauthorizedCaller(msg.sender);
        Case storage c = _cases[gameId];
        // INVARIANT: one open case per game: a new step is filed only once the last one's verdict reached the game.
        if (c.request != 0 && !c.settled) revert JuryRoundOpen(gameId, c.request, uint8(brain.requestOf(c.request).status));
        c.modelId = modelId;
        c.settled = false;
        requestId = _file(gameId, c, task, msg.value);
    }

    /// Brain's callback with the majority's vote.
    function onResult(uint256 requestId, bytes32 vote) external {
        // INVARIANT: only Brain reports a committee's vote.
        if (msg.sender != address(brain)) revert UnauthorizedCaller(msg.sender);
        uint256 g = _gameOf[requestId];
        if (g != 0) _verdict(g - 1, requestId, vote);
    }

    /// Moves a case on whose round gave no verdict to the game: delivers a finalized round's vote that
    /// its callback did not deliver, or files the same `task` again (the refunded fee plus msg.value).
    function retry(uint256 gameId, bytes calldata task) external payable returns (uint256 requestId) {
        Case storage c = _cases[gameId];
        if (c.request == 0) revert UnknownJuryCase(gameId);
        // INVARIANT: a case whose verdict reached the game is done.
        if (c.settled) revert NothingToRetry(gameId);
        Brain.Request memory b = brain.requestOf(c.request);
        if (b.status == Brain.Status.Finalized && _isVerdict(b.leader)) {
            // INVARIANT: a verdict the committee gave is delivered (its callback did not get through), never
            // re-rolled by a new round, whoever pays for one.
            if (msg.value != 0) revert FeeNotNeeded(gameId, msg.value);
            _verdict(gameId, c.request, b.leader);
            return c.request;
        }
        if (b.status == Brain.Status.Queued && block.number > uint256(b.requestBlock) + brain.queueTimeout()) {
            // Never dispatched in time: cancel it (this contract is its requester), which refunds the fee.
            brain.cancel(c.request);
            b.status = Brain.Status.Cancelled;
        }
        uint256 funds = msg.value;
        if (b.status == Brain.Status.TimedOut || b.status == Brain.Status.Cancelled) {
            // The refunded fee only: silent jurors' stake went to the treasury (NodeRegistry.settle).
            if (nodes.credit(address(this)) != 0) nodes.claim();
            funds += b.fee + b.allowance; // the callback allowance came back with the fee
        } else if (b.status != Brain.Status.Finalized && b.status != Brain.Status.Unservable) {
            // INVARIANT: an open round is left to finish; only one without a verdict is filed again.
            revert JuryRoundOpen(gameId, c.request, uint8(b.status));
        }
        // INVARIANT: the new round asks the same question: the task is the one the last round was given.
        if (sha256(task) != b.inputHash) revert JuryTaskMismatch(gameId, c.request);
        uint256 need = fee();
        // INVARIANT: a round is paid in full (a majority that voted neither value took the last fee).
        if (funds < need) revert FeeTooLow(funds, need);
        requestId = _file(gameId, c, task, funds);
    }

    /// Refunds of timed-out and cancelled rounds arrive from the node registry (`NodeRegistry.claim`).
    receive() external payable {
        if (msg.sender != address(nodes)) revert UnauthorizedCaller(msg.sender);
    }

    function caseOf(uint256 gameId) external view returns (Case memory) {
        return _cases[gameId];
    }

    /// The game a Brain round decides (reverts for a round this jury did not file).
    function gameOf(uint256 requestId) external view returns (uint256) {
        uint256 g = _gameOf[requestId];
        if (g == 0) revert UnknownJuryCase(requestId);
        return g - 1;
    }

    function _file(uint256 gameId, Case storage c, bytes calldata task, uint256 value) private returns (uint256 id) {
        id = brain.request{value: value}(c.modelId, task, KIND_NODE_CHECK, address(this), callbackGas);
        c.request = id;
        _gameOf[id] = gameId + 1;
        // The task's second word is the disputed step (abi.encode(gameId, step, ...)).
        emit JuryConvened(gameId, id, uint256(bytes32(task[32:64])));
    }

    /// Hands a round's vote to the game; false (nothing done) for a stale round or a vote that is neither value.
    function _verdict(uint256 gameId, uint256 requestId, bytes32 vote) private returns (bool) {
        Case storage c = _cases[gameId];
        if (c.settled || c.request != requestId || !_isVerdict(vote)) return false;
        c.settled = true;
        uint8 verdict = uint8(uint256(vote));
        emit JuryVerdict(gameId, verdict);
        game.onVerdict(gameId, verdict);
        return true;
    }

    /// A vote word the game takes: VOTE_WITHIN, VOTE_BEYOND or VOTE_EXACT.
    function _isVerdict(bytes32 vote) private pure returns (bool) {
        return vote == VOTE_WITHIN || vote == VOTE_BEYOND || vote == VOTE_EXACT;
    }
}
