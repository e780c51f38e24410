// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "./Bits.sol";
import {FeeQueue} from "./FeeQueue.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {ResultDelivery} from "./ResultDelivery.sol";
import {ITribunalBrain} from "./interfaces/ITribunalBrain.sol";
import {Round} from "./round/Round.sol";
import "./Errors.sol";

/// @notice BRAIN, two-phase: a request transaction queues a request by fee; `dispatch` pops the
/// best-paying requests and draws each one's committee from the hash of the block after the
/// request's block, in proportion to the stakes as of the request's block (fixed before that hash
/// exists), and locks the committee's stake; members commit keccak256(result, member, salt), then
/// reveal; `finalize` settles on a quorum (slash minority and missing reveals, reward the majority,
/// run the callback) or, with no quorum by the reveal deadline, times the request out and refunds
/// its fee; either way it unlocks the committee. A request not dispatched within `queueTimeout`
/// blocks can no longer be: its requester may cancel it for a full refund.
///
/// Money (NodeRegistry's notice, DESIGN.md section 9): a minority's stake pays the majority; a member
/// drawn and silent (never committed, or committed and never revealed) forfeits its slash to the
/// treasury, never to the requester. A member that cannot serve a request (a model whose files it cannot
/// reproduce against the registered roots, an input that does not fit the model, a result kind it does
/// not compute) `decline`s it in the commit window: neither slashed nor rewarded. A round whose declines
/// leave too few members for a quorum ends at once as Unservable and its fee goes to the treasury: an
/// unservable request costs its requester, never the committee, and declining cannot stall a request
/// for free. A court round (KIND_RAW, asked by the bound HybridCourt) is provisional at finalize: Brain
/// settles its silent members and its fee, and hands its revealed members, still locked, to the court,
/// which slashes the wrong ones and unlocks them all once the answer is final. A request with a callback
/// pays, besides its fee, a callback allowance (`callbackAllowance`: its callbackGas at the request block's base
/// fee) that goes to whoever delivers its result (the finalizer, whose transaction runs the callback) and back to
/// the requester when no callback runs (timed out, cancelled, unservable): a requester pays for its own callback,
/// never a finalizer (a member, who must finalize to unlock its stake, or a keeper).
///
/// Committees: drawn from every staked node, or, for a model registered holders-only (ModelRegistry), only
/// among the nodes that held it (NodeRegistry.holdersAt) as of the same block as the stakes, so that nothing
/// done once the seed is public moves the committee; too few holders with stake times the request out and
/// refunds it, as too few nodes do. A batch holds one holders-only model's requests only, or ordinary ones only.
contract Brain is ITribunalBrain, ResultDelivery, ReentrancyGuard {
    using Bits for uint256;
    using FeeQueue for FeeQueue.Heap;
    using Round for Round.State;

    enum Status {
        None,
        Queued,
        Dispatched,
        Finalized,
        TimedOut,
        Cancelled,
        Unservable, // declined by too many members for a quorum: the fee went to the treasury
        Batched // dispatched in a batch (`dispatchBatch`): its round is the batch's
    }

    struct Config {
        uint256 minFee;
        uint256 committeeSize; // members per request
        uint256 quorumBps; // final when votes * 10000 > committeeSize * quorumBps (5000: more than half)
        uint256 commitWindow; // blocks after dispatch
        uint256 revealWindow; // blocks after the commit deadline
        uint256 maxCallbackGas;
        uint256 maxInFlight; // dispatched and not yet settled
        uint256 queueTimeout; // blocks a request may wait for dispatch (1..256); then it may be cancelled
    }

    /// A request as `requestOf` shows it: what it asks, and its round (`Round.State`'s fields).
    struct Request {
        address requester;
        uint96 fee;
        address consumer;
        uint32 callbackGas;
        uint40 requestBlock;
        uint8 resultKind;
        Status status;
        bytes32 modelId;
        bytes32 inputHash;
        uint96 allowance; // the callback allowance, besides the fee: the deliverer's, or refunded (0 without a consumer)
        uint256 committee; // node-index set
        uint256 committed;
        uint256 revealed;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint16 commitCount;
        uint16 revealCount;
        uint16 leaderVotes;
        uint16 declineCount;
        bytes32 leader; // the result with the most reveals so far (first to get there wins ties)
        uint256 declined; // members that declined the request (node-index set)
    }

    /// What a request asks (stored once at `request`); its round is `_rounds[id]`.
    struct Entry {
        address requester;
        uint96 fee;
        address consumer;
        uint32 callbackGas;
        uint40 requestBlock;
        uint8 resultKind;
        Status status;
        bool holdersOnly; // its model's committees are drawn among the model's holders (fixed at registration)
        bytes32 modelId;
        bytes32 inputHash;
        uint96 allowance; // written only for a request with a consumer (read only then: `_allowanceOf`)
    }

    /// A batch of requests served by one committee round (`dispatchBatch`); the round is `_rounds[batchId]`.
    struct Batch {
        bytes32 idsHash; // keccak256(abi.encodePacked(ids)): its requests, in the order results are listed
        uint32 count;
        bool settled;
    }

    /// Batch ids carry this bit: apart from request ids in the rounds' mapping, errors and events.
    uint256 public constant BATCH_TAG = 1 << 255;
    /// The callback gas a batch's requests may ask in all (each is delivered in finalizeBatch's transaction).
    uint256 public constant BATCH_CALLBACK_GAS = 10_000_000;

    // Why a member declines (`decline`'s reason; members state it, the contract only records it).
    uint8 public constant DECLINE_MODEL = 0; // model files it cannot reproduce against the registered roots
    uint8 public constant DECLINE_INPUT = 1; // an input that does not fit the model
    uint8 public constant DECLINE_KIND = 2; // a result kind it does not compute for this model

    ModelRegistry public immutable models;
    NodeRegistry public immutable nodes;
    uint256 public immutable minFee;
    uint256 public immutable committeeSize;
    uint256 public immutable quorumBps;
    uint256 public immutable commitWindow;
    uint256 public immutable revealWindow;
    uint256 public immutable maxInFlight;
    uint256 public immutable queueTimeout;
    /// Most requests in one batch: their settlement (about 40k + 10k per member each, measured 82k at k=5 and
    /// 177k at k=15) stays under 15M gas, so with BATCH_CALLBACK_GAS finalizeBatch always fits a 30M block.
    uint256 public immutable maxBatch;
    address public immutable admin;

    uint256 public nextRequestId = 1;
    uint256 public nextBatch = 1;
    uint256 public inFlight;
    FeeQueue.Heap private _queue;
    /// Cancelled requests whose keys are still in the heap: dispatch drops them when they surface,
    /// which keeps push and pop free of position bookkeeping.
    uint256 private _tombstones;
    /// Contracts allowed to ask a result kind that only they give meaning to (bit k: kind k):
    /// KIND_RAW for a hybrid court, KIND_NODE_CHECK for a node jury.
    mapping(address => uint256) public boundKinds;
    mapping(uint256 => Entry) private _requests;
    /// requestId (or batchId) => its committee round (commitments, then revealed results, and their tally).
    mapping(uint256 => Round.State) private _rounds;
    mapping(uint256 => Batch) private _batches;

    event InputPosted(uint256 indexed requestId, bytes input);
    event InputLocated(uint256 indexed requestId, string uri);
    event Dispatched(
        uint256 indexed requestId, bytes32 seed, uint256 committee, uint256 commitDeadline, uint256 revealDeadline
    );
    event Committed(uint256 indexed requestId, address indexed member, bytes32 commitment);
    event Revealed(uint256 indexed requestId, address indexed member, bytes32 result);
    // Requested, Finalized, TimedOut, Cancelled: ITribunalBrain.
    event Declined(uint256 indexed requestId, address indexed member, uint8 reason);
    event Unservable(uint256 indexed requestId, uint256 declines, uint256 forfeited);
    event KindBound(address indexed caller, uint8 resultKind);
    event BatchDispatched(
        uint256 indexed batchId,
        bytes32 seed,
        uint256 committee,
        uint256 commitDeadline,
        uint256 revealDeadline,
        uint256[] requestIds
    );
    /// A member's results for a batch's requests (in the batch's order); its Revealed event carries their hash.
    event BatchResults(uint256 indexed batchId, address indexed member, bytes32[] results);
    /// Every request of the batch settled (each has its own Finalized or TimedOut).
    event BatchFinalized(uint256 indexed batchId, uint256 requests);

    constructor(ModelRegistry models_, NodeRegistry nodes_, Config memory c) ResultDelivery(c.maxCallbackGas) {
        if (c.committeeSize == 0 || c.committeeSize > 256) revert InvalidConfig("committeeSize not in 1..256");
        // INVARIANT: two disjoint sets of votes cannot both be more than quorumBps of the committee.
        if (c.quorumBps < 5000 || c.quorumBps >= 10_000) revert InvalidConfig("quorumBps not in 5000..9999");
        if (c.commitWindow == 0 || c.revealWindow == 0) revert InvalidConfig("windows must be positive");
        if (c.maxInFlight == 0) revert InvalidConfig("maxInFlight must be positive");
        // The seed block's hash must still be readable at dispatch (the EVM keeps 256).
        if (c.queueTimeout == 0 || c.queueTimeout > 256) revert InvalidConfig("queueTimeout not in 1..256");
        // INVARIANT: a node with stake at a request's block cannot have withdrawn it before the request
        // is dispatched and its committee locked: it leaves at requestBlock + 1 + withdrawalDelay at
        // the earliest, dispatch happens by requestBlock + queueTimeout.
        if (nodes_.withdrawalDelay() < c.queueTimeout) revert InvalidConfig("withdrawalDelay below queueTimeout");
        models = models_;
        nodes = nodes_;
        minFee = c.minFee;
        committeeSize = c.committeeSize;
        quorumBps = c.quorumBps;
        commitWindow = c.commitWindow;
        revealWindow = c.revealWindow;
        maxInFlight = c.maxInFlight;
        queueTimeout = c.queueTimeout;
        maxBatch = 15_000_000 / (40_000 + 10_000 * c.committeeSize);
        admin = msg.sender;
    }

    /// @notice Lets `caller` (a hybrid court, a node jury) ask `resultKind` (KIND_RAW or KIND_NODE_CHECK):
    /// the deployer only, as NodeRegistry.authorize. A KIND_RAW caller takes over its rounds' revealed
    /// members at finalize, still locked: it must be a HybridCourt (authorized in NodeRegistry), which
    /// judges and unlocks them.
    function bindKind(address caller, uint8 resultKind) external {
        if (msg.sender != admin) revert NotAuthorized(msg.sender);
        if (resultKind != KIND_RAW && resultKind != KIND_NODE_CHECK) revert ResultKindUnsupported(resultKind);
        boundKinds[caller] |= 1 << resultKind;
        emit KindBound(caller, resultKind);
    }

    // ---------------------------------------------------------------- phase one: the request

    /// @notice Queues a request whose input travels in calldata (its sha256 is the input hash).
    function request(bytes32 modelId, bytes calldata input, uint8 resultKind, address consumer, uint32 callbackGas)
        external
        payable
        returns (uint256 requestId)
    {
        if (input.length == 0) revert MissingInput();
        if (resultKind == KIND_OUTPUT_ROOT) {
            uint256 expected = models.inputBytesOf(modelId);
            // INVARIANT: an exact output root is asked only of an input the size of the model's input slot
            // (0: the size was never proven for this model; its members decline what does not fit).
            if (expected != 0 && input.length != expected) revert InputSizeMismatch(modelId, input.length, expected);
        }
        requestId = _enqueue(modelId, sha256(input), resultKind, consumer, callbackGas);
        emit InputPosted(requestId, input);
    }

    /// @notice Queues a request by the sha256 of its input and where to fetch the input.
    function requestByHash(
        bytes32 modelId,
        bytes32 inputHash,
        string calldata uri,
        uint8 resultKind,
        address consumer,
        uint32 callbackGas
    ) external payable returns (uint256 requestId) {
        if (inputHash == bytes32(0)) revert MissingInput();
        requestId = _enqueue(modelId, inputHash, resultKind, consumer, callbackGas);
        emit InputLocated(requestId, uri);
    }

    function _enqueue(bytes32 modelId, bytes32 inputHash, uint8 resultKind, address consumer, uint32 callbackGas)
        private
        returns (uint256 id)
    {
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value);
        bool holdersOnly = models.holdersOnly(modelId); // reverts UnknownModel
        _checkKind(resultKind);
        _checkCallback(consumer, callbackGas);
        id = nextRequestId++;
        Entry storage r = _requests[id];
        uint256 fee = msg.value;
        if (consumer != address(0)) {
            uint256 allowance = _callbackAllowance(consumer, callbackGas);
            // INVARIANT: a requester pays for its own callback: the gas its consumer may burn in the finalizer's
            // transaction comes with the request, besides the committee's fee (nobody pays for another's action).
            if (msg.value < minFee + allowance) revert FeeTooLow(msg.value, minFee + allowance);
            fee -= allowance;
            r.allowance = uint96(allowance);
        }
        r.requester = msg.sender;
        r.fee = uint96(fee);
        r.consumer = consumer;
        r.callbackGas = callbackGas;
        r.requestBlock = uint40(block.number);
        r.resultKind = resultKind;
        r.status = Status.Queued;
        if (holdersOnly) r.holdersOnly = true;
        r.modelId = modelId;
        r.inputHash = inputHash;
        _queue.push(FeeQueue.keyOf(fee, id));
        emit Requested(id, msg.sender, modelId, inputHash, fee, resultKind, consumer, callbackGas);
    }

    // ---------------------------------------------------------------- committees

    /// @notice Pops up to `maxCount` requests, best fee first, and draws their committees. Stops at
    /// the first request whose seed block (the block after its request block) is not yet mined, and
    /// when `maxInFlight` rounds are open. A request waiting longer than `queueTimeout` blocks, or
    /// made while fewer than `committeeSize` nodes had stake, times out here and is refunded.
    function dispatch(uint256 maxCount) external returns (uint256 dispatched) {
        uint256 dropped;
        while (dispatched < maxCount && inFlight < maxInFlight) {
            uint256 id;
            (id, dropped) = _liveTop(dropped);
            if (id == 0) break;
            Entry storage r = _requests[id];
            uint256 requestBlock = r.requestBlock;
            _queue.pop();
            bytes32 seed = keccak256(abi.encodePacked(blockhash(requestBlock + 1), id));
            // INVARIANT: the committee is drawn from the stakes (and holdings) as of the request's block, fixed
            // before its seed existed: nothing done once the seed is public, or while the request waits, moves it.
            (bool drawn, uint256 committee) = _draw(seed, requestBlock, r.holdersOnly ? r.modelId : bytes32(0));
            if (!drawn) {
                _expire(id, r);
                ++dropped;
                continue;
            }
            // INVARIANT: the committee's stake stays until the round settles.
            nodes.lock(committee);
            r.status = Status.Dispatched;
            (uint256 commitDeadline, uint256 revealDeadline) =
                _rounds[id].open(committee, committeeSize, commitWindow, revealWindow, Round.Tally.Majority);
            ++inFlight;
            ++dispatched;
            emit Dispatched(id, seed, committee, commitDeadline, revealDeadline);
        }
        if (dispatched == 0 && dropped == 0) revert NothingToDispatch();
    }

    /// @notice Cancels a queued request that can no longer be dispatched (older than `queueTimeout`
    /// blocks, e.g. outbid for that long) and credits its fee back to its requester in full.
    function cancel(uint256 requestId) external {
        Entry storage r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
        if (r.status != Status.Queued) revert RequestNotQueued(requestId);
        if (msg.sender != r.requester) revert NotRequester(requestId, msg.sender);
        uint256 cancelBlock = uint256(r.requestBlock) + queueTimeout + 1;
        // INVARIANT: only a request that dispatch would time out is cancelled, so cancelling cannot be
        // used to drop a request whose committee its requester has seen and dislikes.
        if (block.number < cancelBlock) revert CancelTooEarly(requestId, cancelBlock);
        r.status = Status.Cancelled;
        ++_tombstones;
        uint256 refund = r.fee + _allowanceOf(r);
        emit Cancelled(requestId, refund);
        nodes.settle{value: refund}(requestId, 0, 0, 0, r.requester);
    }

    /// The queue's top request if it can be dispatched now (not popped), else 0 (an empty queue, or a top
    /// whose seed block is not mined yet); the tombstones and the requests past `queueTimeout` above it are
    /// popped on the way (those expire, refunded), each adding one to `dropped`. Both dispatch paths start here.
    function _liveTop(uint256 dropped) private returns (uint256 id, uint256) {
        while (_queue.size() > 0) {
            id = FeeQueue.idOf(_queue.top());
            Entry storage r = _requests[id];
            if (r.status != Status.Queued) {
                // a cancelled request's tombstone
                _queue.pop();
                --_tombstones;
                ++dropped;
                continue;
            }
            // INVARIANT: the seed is a block hash that did not exist when the request (or any request of the
            // batch) was made.
            if (block.number <= uint256(r.requestBlock) + 1) return (0, dropped);
            if (block.number > uint256(r.requestBlock) + queueTimeout) {
                _queue.pop();
                _expire(id, r);
                ++dropped;
                continue;
            }
            return (id, dropped);
        }
        return (0, dropped);
    }

    /// The committee for `seed` from the stakes as of the end of `atBlock`: among the holders of `holdersOf` as
    /// of that block, or among every node when it is 0 (an ordinary model). (false, 0) when too few had stake.
    function _draw(bytes32 seed, uint256 atBlock, bytes32 holdersOf) private view returns (bool, uint256) {
        uint256 among = holdersOf == bytes32(0) ? type(uint256).max : nodes.holdersAt(holdersOf, atBlock);
        try nodes.drawCommitteeAmong(seed, committeeSize, atBlock, among) returns (uint256 c) {
            return (true, c);
        } catch (bytes memory reason) {
            // Only "too few nodes (holders) had stake" ends the request; anything else (out of gas) reverts
            // the whole dispatch, so a dispatcher cannot make requests time out by starving it.
            if (bytes4(reason) != NotEnoughNodes.selector) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
            return (false, 0);
        }
    }

    function _expire(uint256 id, Entry storage r) private {
        r.status = Status.TimedOut;
        uint256 refund = r.fee + _allowanceOf(r);
        emit TimedOut(id, refund);
        nodes.settle{value: refund}(id, 0, 0, 0, r.requester);
    }

    /// @notice What a request with `consumer` and `callbackGas` pays in this block besides its fee (at least
    /// `minFee`): `callbackGas` at the block's base fee, 0 without a consumer. It goes to whoever delivers the
    /// result (its transaction runs the callback), or back to the requester when no callback runs.
    function callbackAllowance(address consumer, uint32 callbackGas) external view returns (uint256) {
        return _callbackAllowance(consumer, callbackGas);
    }

    /// A request's callback allowance; its slot is read only for a request with a consumer.
    function _allowanceOf(Entry storage r) private view returns (uint256) {
        return r.consumer == address(0) ? 0 : r.allowance;
    }

    /// Pays `allowance` (callback allowances) to whoever delivered the results: this transaction's sender.
    function _payDeliverer(uint256 settleId, uint256 allowance) private {
        if (allowance != 0) nodes.settle{value: allowance}(settleId, 0, 0, 0, msg.sender);
    }

    /// Result kinds a request may ask: what members compute. TOKEN_IDS (sha256 of a generation's token ids)
    /// is a commitment a committee votes on like an output root: honest members of a generation model agree
    /// on it bit for bit (greedy or seeded choice); for any other model they decline it (DECLINE_KIND).
    function _checkKind(uint8 kind) private view {
        if (kind == KIND_OUTPUT_ROOT || kind == KIND_ARGMAX || kind == KIND_TOKEN_IDS) return;
        // INVARIANT: a kind that only a bound contract gives meaning to comes from that contract.
        if (kind == KIND_RAW || kind == KIND_NODE_CHECK) {
            if (boundKinds[msg.sender] & (1 << kind) == 0) revert ResultKindNotBound(kind, msg.sender);
            return;
        }
        revert ResultKindUnsupported(kind);
    }

    // ---------------------------------------------------------------- phase two: the response

    /// @notice commitment = keccak256(abi.encodePacked(bytes32 result, address member, bytes32 salt)).
    function commit(uint256 requestId, bytes32 commitment) external {
        Round.State storage round = _round(requestId);
        round.commit(requestId, round.member(nodes, requestId), commitment);
        emit Committed(requestId, msg.sender, commitment);
    }

    /// @notice A member that cannot serve this request says so in the commit window, instead of being
    /// silent: it is neither slashed nor rewarded. When the declines leave too few members for a quorum
    /// the round ends here (Unservable): its fee goes to the treasury and nobody is slashed.
    function decline(uint256 requestId, uint8 reason) external {
        Round.State storage round = _round(requestId);
        bool unservable = round.decline(requestId, round.member(nodes, requestId), quorumBps);
        emit Declined(requestId, msg.sender, reason);
        if (!unservable) return;
        --inFlight;
        Entry storage r = _requests[requestId];
        r.status = Status.Unservable;
        uint256 fee = r.fee;
        emit Unservable(requestId, round.declineCount, fee);
        // An unservable request costs its requester, never the committee: its fee is forfeited (its callback
        // allowance, for a callback that never runs, goes back to it).
        nodes.settle{value: fee}(requestId, 0, 0, 0, nodes.treasury());
        uint256 allowance = _allowanceOf(r);
        if (allowance != 0) nodes.settle{value: allowance}(requestId, 0, 0, 0, r.requester);
        nodes.unlock(round.committee);
    }

    function reveal(uint256 requestId, bytes32 result, bytes32 salt) external {
        Round.State storage round = _round(requestId);
        round.reveal(requestId, round.member(nodes, requestId), result, salt);
        emit Revealed(requestId, msg.sender, result);
    }

    /// @notice Settles a round once no reveal can change it (all commitments revealed after the
    /// commit phase, or the reveal deadline passed). Anyone may call it.
    function finalize(uint256 requestId) external nonReentrant {
        Round.State storage round = _round(requestId);
        round.requireSettleable(requestId);
        Entry storage r = _requests[requestId];
        --inFlight;
        uint256 fee = r.fee;
        uint256 committee = round.committee;
        (bool stands, bytes32 result) = round.outcome(quorumBps);
        if (stands) {
            uint256 revealed = round.revealed;
            uint256 majority = round.votersOf(result);
            r.status = Status.Finalized;
            emit Finalized(requestId, result, round.leaderVotes, committeeSize);
            // A court round's (KIND_RAW: only the bound HybridCourt asks it) result is provisional: the
            // court judges every revealed member once the answer is final, so here nobody is judged
            // for its answer, and the revealed members stay locked until the court unlocks them.
            uint256 judgedLater = r.resultKind == KIND_RAW ? revealed : 0;
            // INVARIANT: only a wrong answer (a revealed minority vote) pays the majority, and only once the
            // answer is final: a provisional majority never takes the minority's stake.
            round.settle(nodes, requestId, revealed & ~majority & ~judgedLater, majority, fee, r.requester);
            nodes.unlock(committee & ~judgedLater);
            address consumer = r.consumer;
            if (consumer != address(0)) {
                // INVARIANT: the finalizer, whose transaction runs the callback, is paid its gas by the requester.
                _payDeliverer(requestId, r.allowance);
                _deliver(requestId, consumer, r.callbackGas, result);
            }
        } else {
            r.status = Status.TimedOut;
            fee += _allowanceOf(r); // no callback runs: the allowance goes back with the fee
            emit TimedOut(requestId, fee);
            round.settle(nodes, requestId, 0, 0, fee, r.requester);
            nodes.unlock(committee);
        }
    }

    // ---------------------------------------------------------------- batches: one round for many requests

    /// @notice Pops up to `maxCount` requests (at most `maxBatch`, and callbacks of at most BATCH_CALLBACK_GAS in
    /// all), best fee first, as `dispatch` does, and serves them all with one
    /// committee round: its seed is the hash of the block after the newest request's block (with the batch
    /// id), its committee drawn from the stakes as of that newest request's block, both unknown when any of
    /// them was made. Stops before a court's or a jury's request (KIND_RAW, KIND_NODE_CHECK: those read their
    /// own round; `dispatch` takes them), and at a change between a holders-only model and any other model: a
    /// holders-only model's batch holds its requests only, its committee drawn among its holders. Each request
    /// stays its own: its own fee, refund, result and callback, settled by `finalizeBatch` as `finalize` does.
    function dispatchBatch(uint256 maxCount) external returns (uint256 batchId) {
        uint256[] memory ids;
        bytes32 seed;
        uint256 committee;
        {
            uint256 seedBlock;
            uint256 dropped;
            bytes32 holdersOf;
            (ids, seedBlock, dropped, holdersOf) = _popBatch(maxCount);
            if (ids.length == 0) {
                if (dropped == 0) revert NothingToDispatch();
                return 0;
            }
            batchId = BATCH_TAG | nextBatch++;
            seed = keccak256(abi.encodePacked(blockhash(seedBlock), batchId));
            // INVARIANT: the committee is drawn from the stakes (and the one model's holdings, for a holders-only
            // batch) as of the newest request's block, fixed before the seed existed (and locked before any of
            // them can be withdrawn: dispatch is within queueTimeout).
            bool drawn;
            (drawn, committee) = _draw(seed, seedBlock - 1, holdersOf);
            if (!drawn) {
                for (uint256 j; j < ids.length; ++j) _expire(ids[j], _requests[ids[j]]);
                return 0;
            }
        }
        // INVARIANT: the committee's stake stays until the batch settles (one lock for the batch's round).
        nodes.lock(committee);
        for (uint256 j; j < ids.length; ++j) _requests[ids[j]].status = Status.Batched;
        inFlight += ids.length;
        _batches[batchId] = Batch(keccak256(abi.encodePacked(ids)), uint32(ids.length), false);
        (uint256 commitDeadline, uint256 revealDeadline) =
            _rounds[batchId].open(committee, committeeSize, commitWindow, revealWindow, Round.Tally.Batch);
        emit BatchDispatched(batchId, seed, committee, commitDeadline, revealDeadline, ids);
    }

    /// Pops the batch's requests (`dispatch`'s rules); the seed block is the one after the newest request's.
    /// `holdersOf`: the model of a holders-only batch (all its requests are that model's), 0 for an ordinary one.
    function _popBatch(uint256 maxCount)
        private
        returns (uint256[] memory ids, uint256 seedBlock, uint256 dropped, bytes32 holdersOf)
    {
        // INVARIANT: a batch can always be settled in one transaction (at most maxBatch requests, and at most
        // BATCH_CALLBACK_GAS of callbacks), so no batch holds its fees and its committee's stake for ever.
        if (maxCount > maxBatch) maxCount = maxBatch;
        ids = new uint256[](maxCount);
        uint256 n;
        uint256 callbacks;
        while (n < maxCount && inFlight + n < maxInFlight) {
            uint256 id;
            (id, dropped) = _liveTop(dropped);
            if (id == 0) break;
            Entry storage r = _requests[id];
            uint256 requestBlock = r.requestBlock;
            // INVARIANT: a court's or a jury's request is served in its own round (they read it by request id).
            if (r.resultKind == KIND_RAW || r.resultKind == KIND_NODE_CHECK) break;
            if (callbacks + r.callbackGas > BATCH_CALLBACK_GAS) break;
            // INVARIANT: one batch, one committee: a holders-only model's requests are batched with that model's
            // requests only (their committee is drawn among its holders), never with other models' requests.
            if (n != 0 && (holdersOf != bytes32(0) ? r.modelId != holdersOf : r.holdersOnly)) break;
            _queue.pop();
            if (n == 0 && r.holdersOnly) holdersOf = r.modelId;
            ids[n++] = id;
            callbacks += r.callbackGas;
            if (requestBlock + 1 > seedBlock) seedBlock = requestBlock + 1;
        }
        assembly {
            mstore(ids, n)
        }
    }

    /// @notice A member's one commitment for a whole batch: keccak256(abi.encodePacked(keccak256(abi.encodePacked(
    /// results)), member, salt)), `results` its bytes32 result for each of the batch's requests, in order.
    function commitBatch(uint256 batchId, bytes32 commitment) external {
        Round.State storage round = _batchRound(batchId);
        round.commit(batchId, round.member(nodes, batchId), commitment);
        emit Committed(batchId, msg.sender, commitment);
    }

    /// @notice Opens a batch commitment: the member's result for each request of the batch, in order.
    function revealBatch(uint256 batchId, bytes32[] calldata results, bytes32 salt) external {
        Round.State storage round = _batchRound(batchId);
        // INVARIANT: one result per request of the batch.
        if (results.length != _batches[batchId].count) revert BatchMismatch(batchId);
        bytes32 hash = keccak256(abi.encodePacked(results));
        round.reveal(batchId, round.member(nodes, batchId), hash, salt);
        emit Revealed(batchId, msg.sender, hash);
        emit BatchResults(batchId, msg.sender, results);
    }

    /// @notice Settles every request of a batch once its round can no longer change, each exactly as `finalize`
    /// settles a request: a result with more than `quorumBps` of the committee behind it pays that majority
    /// the fee and the minority's slash and is delivered; else the request times out and its fee is refunded.
    /// Either way the silent (drawn, never revealed) are slashed to the treasury, once per request as in
    /// unbatched rounds. `ids` are the batch's requests (BatchDispatched), `results` the revealed members'
    /// lists (BatchResults), by ascending node index. Anyone may call it.
    function finalizeBatch(uint256 batchId, uint256[] calldata ids, bytes32[][] calldata results)
        external
        nonReentrant
    {
        Round.State storage round = _batchRound(batchId);
        round.requireSettleable(batchId);
        Batch storage b = _batches[batchId];
        // INVARIANT: the requests and results settled are the batch's and its members' revealed ones.
        if (keccak256(abi.encodePacked(ids)) != b.idsHash) revert BatchMismatch(batchId);
        uint256[] memory members = _revealedLists(round, batchId, results);
        b.settled = true;
        inFlight -= ids.length;
        uint256 allowances; // of the callbacks this transaction runs: its sender's
        for (uint256 t; t < ids.length; ++t) allowances += _settleInBatch(round, ids[t], t, results, members);
        emit BatchFinalized(batchId, ids.length);
        nodes.unlock(round.committee);
        _payDeliverer(batchId, allowances);
    }

    /// The node index of each revealed member, ascending; reverts unless `results` are their revealed lists.
    function _revealedLists(Round.State storage round, uint256 batchId, bytes32[][] calldata results)
        private
        view
        returns (uint256[] memory members)
    {
        uint256 revealed = round.revealed;
        members = new uint256[](results.length);
        uint256 m;
        for (uint256 i; (revealed >> i) != 0; ++i) {
            if (!revealed.has(i)) continue;
            if (m == results.length || keccak256(abi.encodePacked(results[m])) != round.votes[i]) {
                revert BatchMismatch(batchId);
            }
            members[m++] = i;
        }
        if (m != results.length) revert BatchMismatch(batchId);
    }

    /// Settles request `id`, the batch's `t`-th, as `finalize` would have with these reveals.
    function _settleInBatch(
        Round.State storage round,
        uint256 id,
        uint256 t,
        bytes32[][] calldata results,
        uint256[] memory members
    ) private returns (uint256 allowance) {
        (bytes32 leader, uint256 votes, uint256 majority) = _tally(results, members, t);
        return _settleOne(round, id, leader, votes, majority);
    }

    /// Settles one request of a batch; returns its callback allowance when its callback ran (the finalizer's).
    function _settleOne(Round.State storage round, uint256 id, bytes32 leader, uint256 votes, uint256 majority)
        private
        returns (uint256 allowance)
    {
        Entry storage r = _requests[id];
        uint256 fee = r.fee;
        if (round.quorate(votes, quorumBps)) {
            r.status = Status.Finalized;
            emit Finalized(id, leader, votes, committeeSize);
            // INVARIANT: only a wrong answer (a revealed minority vote) pays the majority, once the answer is final.
            round.settle(nodes, id, round.revealed & ~majority, majority, fee, r.requester);
            address consumer = r.consumer;
            if (consumer == address(0)) return 0;
            _deliver(id, consumer, r.callbackGas, leader);
            return r.allowance;
        } else {
            r.status = Status.TimedOut;
            fee += _allowanceOf(r); // no callback runs: the allowance goes back with the fee
            emit TimedOut(id, fee);
            round.settle(nodes, id, 0, 0, fee, r.requester);
        }
    }

    /// The most voted result for the `t`-th request (the first member's to get there wins ties), its votes and voters.
    function _tally(bytes32[][] calldata results, uint256[] memory members, uint256 t)
        private
        pure
        returns (bytes32 leader, uint256 votes, uint256 voters)
    {
        uint256 m = members.length;
        bytes32[] memory column = new bytes32[](m); // the t-th result of each revealed member, read once
        for (uint256 a; a < m; ++a) column[a] = results[a][t];
        for (uint256 a; a < m; ++a) {
            bytes32 v = column[a];
            uint256 count;
            uint256 set;
            for (uint256 c; c < m; ++c) {
                if (column[c] == v) {
                    ++count;
                    set |= 1 << members[c];
                }
            }
            if (count > votes) (leader, votes, voters) = (v, count, set);
        }
    }

    /// The round of a batch still open.
    function _batchRound(uint256 batchId) private view returns (Round.State storage) {
        Batch storage b = _batches[batchId];
        if (b.count == 0) revert UnknownBatch(batchId);
        if (b.settled) revert BatchSettled(batchId);
        return _rounds[batchId];
    }

    /// @notice A batch: its requests' hash, their number, whether it settled; and its round as `requestOf` shows one.
    function batchOf(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// The round of a dispatched request still open.
    function _round(uint256 requestId) private view returns (Round.State storage) {
        Status s = _requests[requestId].status;
        if (s == Status.None) revert UnknownRequest(requestId);
        if (s != Status.Dispatched) revert RequestNotActive(requestId);
        return _rounds[requestId];
    }

    // ---------------------------------------------------------------- views

    function requestOf(uint256 requestId) external view returns (Request memory r) {
        Entry storage e = _requests[requestId];
        if (e.status == Status.None) revert UnknownRequest(requestId);
        (r.requester, r.fee, r.consumer, r.callbackGas, r.requestBlock, r.allowance) =
            (e.requester, e.fee, e.consumer, e.callbackGas, e.requestBlock, e.allowance);
        (r.resultKind, r.status, r.modelId, r.inputHash) = (e.resultKind, e.status, e.modelId, e.inputHash);
        Round.State storage o = _rounds[requestId];
        (r.committee, r.committed, r.revealed, r.declined, r.leader) =
            (o.committee, o.committed, o.revealed, o.declined, o.leader);
        (r.commitDeadline, r.revealDeadline) = (o.commitDeadline, o.revealDeadline);
        (r.commitCount, r.revealCount, r.leaderVotes, r.declineCount) =
            (o.commitCount, o.revealCount, o.leaderVotes, o.declineCount);
    }

    function isMember(uint256 requestId, address account) external view returns (bool) {
        (bool found, uint256 index) = nodes.findIndex(account);
        return found && _rounds[requestId].committee.has(index);
    }

    function committeeOf(uint256 requestId) external view returns (address[] memory) {
        return nodes.accountsOf(_rounds[requestId].committee);
    }

    /// @notice A member's commitment, or its result once revealed.
    function voteOf(uint256 requestId, address member) external view returns (bytes32) {
        return _rounds[requestId].votes[nodes.indexOf(member)];
    }

    /// @notice Requests waiting in the queue (cancelled ones not counted).
    function queueLength() external view returns (uint256) {
        return _queue.size() - _tombstones;
    }

    /// @notice The request id at the head of the fee heap (0 when empty); it may be a cancelled or
    /// expired request that the next dispatch drops.
    function queueHead() external view returns (uint256) {
        return _queue.size() == 0 ? 0 : FeeQueue.idOf(_queue.top());
    }
}
