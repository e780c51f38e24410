// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Brain} from "../Brain.sol";
import {ModelRegistry} from "../ModelRegistry.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {ResultDelivery} from "../ResultDelivery.sol";
import {HybridCourt} from "../hybrid/HybridCourt.sol";
import {IResultConsumer} from "../interfaces/IResultConsumer.sol";
import {LibMerkle} from "../opml/LibMerkle.sol";
import {ShardLedger} from "./ShardLedger.sol";
import {
    FeeTooLow, InputSizeMismatch, InvalidConfig, NothingToClaim, UnauthorizedCaller, UnknownModel
} from "../Errors.sol";

/// @notice sharded pipeline {id} does not exist
/// @dev Raised when a call names a ShardRounds pipeline id never requested.
error UnknownPipeline(uint256 id);
/// @notice sharded pipeline {id} is not running (status {status})
/// @dev Raised when advance or end names a pipeline that is already final or ended.
error PipelineNotRunning(uint256 id, uint8 status);
/// @notice sharded pipeline {id}: round {round} has no final result yet
/// @dev Raised when a pipeline is advanced before its current shard round's result is final.
error ShardRoundOpen(uint256 id, uint256 round);
/// @notice sharded pipeline {id}: the boundary's tensor root {root} is not round {round}'s result {expected}
/// @dev Raised when advance posts bytes whose tensor root is not the previous shard round's finalized result.
error BoundaryRootMismatch(uint256 id, uint256 round, bytes32 root, bytes32 expected);
/// @notice sharded pipeline {id}: its advance window closed at block {deadline}
/// @dev Raised when a pipeline is advanced after `advanceWindow` blocks without progress (it can only end now).
error AdvanceWindowClosed(uint256 id, uint256 deadline);
/// @notice sharded pipeline {id} cannot end yet: round {round} is open or its advance window runs
/// @dev Raised when end names a pipeline whose current round may still finish or which may still be advanced.
error PipelineNotEndable(uint256 id, uint256 round);
/// @notice shard model {modelId} has no proven input size
/// @dev Raised when a sharded request names a model whose later shards' input sizes Brain's registry cannot check.
error ShardInputSizeUnproven(bytes32 modelId);
/// @notice verification mode {mode} is not one of brain (0) or hybrid (1)
/// @dev Raised when a sharded request names a mode ShardRounds does not serve.
error UnknownShardMode(uint8 mode);

/// @notice A sharded request served on chain as a chain of shard rounds (issue 22): round j is a Brain request
/// (mode BRAIN, result kind OUTPUT_ROOT) or a HybridCourt request (mode HYBRID) on shard j's model, whose consumer
/// is this contract; round j+1's input is round j's output boundary, and the chain, not an off-chain reader,
/// enforces the link: `advance` opens round j+1 only with bytes whose tensor root (LibMerkle.tensorRoot, the
/// same root as runtime.tensor_root) equals round j's finalized result and whose length is shard j+1's proven
/// input size. The shard models come from the ShardLedger registration (`sharded(id).shardIds`), so they chain
/// to the sharded model id. The last round's result is the sharded request's output root: only then, and only
/// once, it goes to the consumer's `onResult` (IResultConsumer), under this contract's pipeline id.
///
/// Hybrid rounds are HybridCourt requests on one shard's model: a lying committee on a shard is challenged with
/// the court's fraud proof on that shard alone, and the court slashes that committee's stake; the pipeline
/// advances only from the court's final answer (never a provisional one), so an overturned shard's honest
/// boundary is the one the next round reads.
///
/// Money: the fee pays K rounds, `msg.value / K` each (at least Brain's minFee), handed to each round's oracle
/// only when the round opens. Each share also pays the round's callback allowance (its callbackGas at the
/// base fee of the block the round opens in, Brain's "Callback allowance"), so a share must cover minFee plus
/// that allowance or the round's request reverts (FeeTooLow) and the pipeline ends unadvanced; rounds pay their committees as their oracle's rules say. A pipeline ends early
/// (`end`, anyone) when its round ended without a result (timed out, cancelled, unservable) or when nobody
/// advanced it within `advanceWindow` blocks of its last result: the fee of every round never opened, plus a
/// timed-out or cancelled round's refund, is owed to the requester (pull, `withdraw`). The division's dust is
/// returned with the output or the refund. The requester never pays for a round that did not run.
contract ShardRounds is ResultDelivery, IResultConsumer, ReentrancyGuard {
    uint8 public constant MODE_BRAIN = 0;
    uint8 public constant MODE_HYBRID = 1;

    // Why a pipeline ended without an output (ShardRoundsEnded.why).
    uint8 public constant STALLED = 0; // nobody advanced it within advanceWindow
    uint8 public constant ROUND_FAILED = 1; // its round timed out, was cancelled or was unservable

    enum Status {
        None,
        Running,
        Final,
        Ended
    }

    struct Pipeline {
        address requester;
        uint8 mode;
        uint8 shards; // K
        uint8 round; // the round open, or the last one (1..K)
        bool settled; // round `round` has its final result
        Status status;
        address consumer;
        uint32 callbackGas;
        uint40 lastProgress; // block of the last round's result
        uint96 feePerRound;
        uint96 unspent; // fee held here: rounds not opened yet, and the division's dust
        bytes32 shardedId;
        uint256 roundId; // round `round`'s request id (Brain's; a court's request id is Brain's too)
    }

    struct Round {
        uint256 requestId;
        bytes32 inputRoot;
        bytes32 result; // zero until final
    }

    ShardLedger public immutable ledger;
    Brain public immutable brain;
    HybridCourt public immutable court;
    NodeRegistry public immutable nodes;
    ModelRegistry public immutable models;
    uint64 public immutable advanceWindow; // blocks after a round's result in which anyone may advance
    uint32 public immutable roundCallbackGas; // gas a round's oracle gives `onResult` (plus the consumer's last)

    uint256 public nextId = 1;
    mapping(uint256 => Pipeline) private _pipelines;
    mapping(uint256 => mapping(uint256 => Round)) private _rounds; // pipeline => round (1..K)
    mapping(uint256 => uint256) public pipelineOfRequest; // a round's request id => its pipeline
    mapping(address => uint256) public owed; // refunds not withdrawn yet

    event ShardRoundsRequested(uint256 indexed id, address indexed requester, bytes32 indexed shardedId, uint8 mode,
        uint256 shards, uint256 feePerRound, address consumer, uint32 callbackGas);
    event ShardRoundOpened(uint256 indexed id, uint256 round, uint256 requestId, bytes32 inputRoot, address by);
    event ShardRoundFinal(uint256 indexed id, uint256 round, uint256 requestId, bytes32 result);
    event ShardRoundsFinal(uint256 indexed id, bytes32 outputRoot);
    event ShardRoundsEnded(uint256 indexed id, uint256 round, uint8 why, uint256 refund);
    event RefundWithdrawn(address indexed account, uint256 amount);

    constructor(ShardLedger ledger_, HybridCourt court_, uint64 advanceWindow_, uint32 roundCallbackGas_)
        ResultDelivery(_consumerGas(court_, roundCallbackGas_))
    {
        if (advanceWindow_ == 0) revert InvalidConfig("advanceWindow must be positive");
        ledger = ledger_;
        court = court_;
        brain = court_.brain();
        nodes = brain.nodes();
        models = brain.models();
        advanceWindow = advanceWindow_;
        roundCallbackGas = roundCallbackGas_;
    }

    /// The most callback gas a consumer may ask: the last round's oracle gives `onResult` the round's own gas
    /// plus what `_deliver` needs for the consumer (EIP-150's 1/64 and 10k), within both oracles' caps.
    function _consumerGas(HybridCourt court_, uint32 roundGas) private view returns (uint256) {
        uint256 cap = court_.maxCallbackGas();
        uint256 brainCap = court_.brain().maxCallbackGas();
        if (brainCap < cap) cap = brainCap;
        // INVARIANT: every round's callback fits its oracle's cap, the last one's with the consumer's gas.
        if (roundGas == 0 || cap <= uint256(roundGas) + 10_000) revert InvalidConfig("roundCallbackGas too high");
        return (cap - roundGas - 10_000) * 63 / 64;
    }

    // ---------------------------------------------------------------- the request

    /// @notice Asks for sharded model `shardedId` (ShardLedger) on `input` (shard 1's canonical input bytes),
    /// verified by `mode` (MODE_BRAIN or MODE_HYBRID) shard by shard; the value pays K rounds. Opens round 1.
    /// `consumer.onResult(id, outputRoot)` runs once the last round is final (`id`: this pipeline's).
    function request(bytes32 shardedId, bytes calldata input, address consumer, uint32 callbackGas, uint8 mode)
        external
        payable
        nonReentrant
        returns (uint256 id)
    {
        if (mode != MODE_BRAIN && mode != MODE_HYBRID) revert UnknownShardMode(mode);
        ShardLedger.Sharded memory s = ledger.sharded(shardedId); // INVARIANT: a registered sharded model
        uint256 k = s.shardIds.length;
        uint256 perRound = msg.value / k;
        uint256 minFee = brain.minFee();
        // INVARIANT: the fee pays every round at Brain's minimum fee.
        if (perRound < minFee) revert FeeTooLow(msg.value, minFee * k);
        _checkCallback(consumer, callbackGas);
        for (uint256 j = 1; j < k; ++j) {
            // INVARIANT: every later shard's input size is proven, so a boundary's bytes are fixed by their root
            // and their length (a tensor root cannot tell data from its zero padding).
            if (models.inputBytesOf(s.shardIds[j]) == 0) revert ShardInputSizeUnproven(s.shardIds[j]);
        }
        id = nextId++;
        Pipeline storage p = _pipelines[id];
        p.requester = msg.sender;
        p.mode = mode;
        p.shards = uint8(k);
        p.status = Status.Running;
        p.consumer = consumer;
        p.callbackGas = callbackGas;
        p.feePerRound = uint96(perRound);
        p.unspent = uint96(msg.value);
        p.shardedId = shardedId;
        emit ShardRoundsRequested(id, msg.sender, shardedId, mode, k, perRound, consumer, callbackGas);
        _open(id, p, 1, s.shardIds[0], input);
    }

    /// @notice Opens round j+1 with `boundary`, round j's output boundary in shard j+1's canonical input bytes.
    /// Anyone may (the requester's driver, any member), within `advanceWindow` blocks of round j's result.
    function advance(uint256 id, bytes calldata boundary) external nonReentrant returns (uint256 requestId) {
        Pipeline storage p = _running(id);
        _sync(id, p);
        uint256 j = p.round;
        // INVARIANT: a round opens only from its predecessor's final result (in hybrid: the court's final answer).
        if (!p.settled) revert ShardRoundOpen(id, j);
        uint256 deadline = uint256(p.lastProgress) + advanceWindow;
        // INVARIANT: a pipeline left unadvanced past its window only ends (`end`), so its refund cannot be raced.
        if (block.number > deadline) revert AdvanceWindowClosed(id, deadline);
        bytes32 modelId = ledger.sharded(p.shardedId).shardIds[j];
        bytes32 expected = _rounds[id][j].result;
        bytes32 root = LibMerkle.tensorRoot(boundary);
        // INVARIANT: round j+1's input is round j's decided boundary: its tensor root is round j's result...
        if (root != expected) revert BoundaryRootMismatch(id, j, root, expected);
        uint256 size = models.inputBytesOf(modelId);
        // INVARIANT: ...and its length is shard j+1's input size (the root alone leaves trailing zeros open).
        if (boundary.length != size) revert InputSizeMismatch(modelId, boundary.length, size);
        requestId = _open(id, p, j + 1, modelId, boundary);
    }

    /// @notice A round's oracle delivers its final result: Brain (mode BRAIN) or the court (mode HYBRID).
    function onResult(uint256 requestId, bytes32 result) external {
        uint256 id = pipelineOfRequest[requestId];
        Pipeline storage p = _pipelines[id];
        // INVARIANT: only the oracle of the pipeline's mode decides a round.
        if (msg.sender != _oracle(p.mode)) revert UnauthorizedCaller(msg.sender);
        if (id == 0 || p.status != Status.Running || p.roundId != requestId || p.settled) return;
        _record(id, p, result);
    }

    /// @notice Ends a pipeline that cannot go on: its round ended without a result, or nobody advanced it within
    /// `advanceWindow` blocks. The fee of the rounds never opened (and a refunded round's fee) is owed to the
    /// requester. Anyone may call it.
    function end(uint256 id) external nonReentrant {
        Pipeline storage p = _running(id);
        _sync(id, p);
        if (p.status != Status.Running) return; // the sync delivered the last round's result
        uint256 j = p.round;
        uint256 refund;
        uint8 why;
        if (p.settled) {
            // INVARIANT: a decided round ends the pipeline only after its whole advance window.
            if (block.number <= uint256(p.lastProgress) + advanceWindow) revert PipelineNotEndable(id, j);
            why = STALLED;
        } else {
            bool ended;
            (ended, refund) = _failed(p);
            // INVARIANT: a running round ends the pipeline only once its oracle ended it without a result.
            if (!ended) revert PipelineNotEndable(id, j);
            why = ROUND_FAILED;
        }
        p.status = Status.Ended;
        uint256 total = refund + p.unspent;
        p.unspent = 0;
        _pull();
        _owe(p.requester, total);
        emit ShardRoundsEnded(id, j, why, total);
    }

    /// @notice Records the open round's final result from its oracle's state when its callback did not arrive
    /// (`advance` and `end` do it too); for the last round this delivers the output. Anyone may call it.
    function sync(uint256 id) external nonReentrant {
        _sync(id, _running(id));
    }

    /// @notice Pays out the sender's refunds.
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        owed[msg.sender] = 0;
        emit RefundWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// Refunds of rounds that timed out or were cancelled arrive from the node registry or the court.
    receive() external payable {
        if (msg.sender != address(nodes) && msg.sender != address(court)) revert UnauthorizedCaller(msg.sender);
    }

    // ---------------------------------------------------------------- views

    function pipelineOf(uint256 id) external view returns (Pipeline memory) {
        Pipeline storage p = _pipelines[id];
        if (p.status == Status.None) revert UnknownPipeline(id);
        return p;
    }

    /// Round `round` (1..K) of pipeline `id`: its request id (0: not opened), input root and final result.
    function roundOf(uint256 id, uint256 round) external view returns (Round memory) {
        return _rounds[id][round];
    }

    /// The sharded request's output root, for consumers: reverts until the last round is final.
    function result(uint256 id) external view returns (bytes32) {
        Pipeline storage p = _pipelines[id];
        if (p.status != Status.Final) revert PipelineNotRunning(id, uint8(p.status));
        return _rounds[id][p.shards].result;
    }

    // ---------------------------------------------------------------- internals

    function _running(uint256 id) private view returns (Pipeline storage p) {
        p = _pipelines[id];
        if (p.status == Status.None) revert UnknownPipeline(id);
        if (p.status != Status.Running) revert PipelineNotRunning(id, uint8(p.status));
    }

    function _oracle(uint8 mode) private view returns (address) {
        return mode == MODE_HYBRID ? address(court) : address(brain);
    }

    /// Hands round j its fee and opens it on `modelId` with `input`, this contract its consumer.
    function _open(uint256 id, Pipeline storage p, uint256 j, bytes32 modelId, bytes calldata input)
        private
        returns (uint256 requestId)
    {
        uint256 fee = p.feePerRound;
        p.unspent -= uint96(fee);
        // The last round's callback carries the consumer's: `_deliver` runs inside it.
        uint256 gas = roundCallbackGas;
        if (j == p.shards && p.consumer != address(0)) gas += p.callbackGas + p.callbackGas / 63 + 10_000;
        if (p.mode == MODE_HYBRID) {
            requestId = court.request{value: fee}(modelId, input, address(this), uint32(gas), 0);
        } else {
            requestId = brain.request{value: fee}(modelId, input, KIND_OUTPUT_ROOT, address(this), uint32(gas));
        }
        p.round = uint8(j);
        p.settled = false;
        p.roundId = requestId;
        pipelineOfRequest[requestId] = id;
        bytes32 inputRoot = LibMerkle.tensorRoot(input);
        _rounds[id][j] = Round(requestId, inputRoot, bytes32(0));
        emit ShardRoundOpened(id, j, requestId, inputRoot, msg.sender);
    }

    /// Round `p.round`'s final result: the next round may open, or (the last round) the output is delivered.
    function _record(uint256 id, Pipeline storage p, bytes32 res) private {
        uint256 j = p.round;
        p.settled = true;
        p.lastProgress = uint40(block.number);
        _rounds[id][j].result = res;
        emit ShardRoundFinal(id, j, p.roundId, res);
        if (j != p.shards) return;
        p.status = Status.Final;
        uint256 dust = p.unspent;
        p.unspent = 0;
        _owe(p.requester, dust);
        emit ShardRoundsFinal(id, res);
        _deliver(id, p.consumer, p.callbackGas, res);
    }

    /// Picks up a round's final result whose callback did not reach this contract (out of gas, say).
    function _sync(uint256 id, Pipeline storage p) private {
        if (p.settled) return;
        uint256 rid = p.roundId;
        if (p.mode == MODE_HYBRID) {
            HybridCourt.Request memory c = court.requestOf(rid);
            if (c.status == HybridCourt.Status.Final) _record(id, p, c.outputRoot);
            return;
        }
        Brain.Request memory b = brain.requestOf(rid);
        if (b.status == Brain.Status.Finalized) _record(id, p, b.leader);
    }

    /// Whether the open round ended without a result, and the fee its oracle refunded to this contract.
    function _failed(Pipeline storage p) private returns (bool ended, uint256 refund) {
        uint256 rid = p.roundId;
        if (p.mode == MODE_HYBRID) {
            if (court.requestOf(rid).status == HybridCourt.Status.Pending) {
                try court.resolve(rid) {} catch {} // a Brain round that timed out: the court times it out
            }
            if (court.requestOf(rid).status != HybridCourt.Status.TimedOut) return (false, 0);
        }
        Brain.Request memory b = brain.requestOf(rid);
        // Still queued past Brain's queueTimeout: cancel it (this contract is a BRAIN round's requester).
        if (p.mode == MODE_BRAIN && b.status == Brain.Status.Queued
            && block.number > uint256(b.requestBlock) + brain.queueTimeout()) {
            brain.cancel(rid);
            b.status = Brain.Status.Cancelled;
        }
        bool refunded = b.status == Brain.Status.TimedOut || b.status == Brain.Status.Cancelled;
        bool noRound = refunded || b.status == Brain.Status.Unservable;
        // What the oracle gave back: the fee unless forfeited (Unservable), and every callback allowance whose
        // callback never ran (Brain's, for this contract's or the court's onResult; the court's, for this one's).
        uint256 back = (refunded ? b.fee : 0) + (noRound ? b.allowance : 0);
        // A court round timed out by its adopt window (no honest answer in time) paid its Brain committee and
        // Brain's deliverer: only the court's allowance for this contract's callback comes back.
        if (p.mode == MODE_HYBRID) return (true, back + court.requestOf(rid).allowance);
        return (noRound, back);
    }

    /// Claims what the node registry and the court credit this contract (refunds of its rounds).
    function _pull() private {
        if (nodes.credit(address(this)) != 0) nodes.claim();
        if (court.owed(address(this)) != 0) court.withdraw();
    }

    function _owe(address to, uint256 amount) private {
        if (amount == 0) return;
        owed[to] += amount;
    }
}
