// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "./Bits.sol";
import {FeeQueue} from "./FeeQueue.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {ResultDelivery} from "./ResultDelivery.sol";
import {ITribunalBrain} from "./interfaces/ITribunalBrain.sol";
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
/// which slashes the wrong ones and unlocks them all once the answer is final.
contract Brain is ITribunalBrain, ResultDelivery, ReentrancyGuard {
    using Bits for uint256;
    using FeeQueue for FeeQueue.Heap;

    enum Status {
        None,
        Queued,
        Dispatched,
        Finalized,
        TimedOut,
        Cancelled,
        Unservable // declined by too many members for a quorum: the fee went to the treasury
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
        uint256 committee; // node-index set
        uint256 committed;
        uint256 revealed;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint16 commitCount;
        uint16 revealCount;
        uint16 leaderVotes;
        uint16 declineCount; // in the counters' slot: reveal and finalize read them together
        bytes32 leader; // the result with the most reveals so far (first to get there wins ties)
        uint256 declined; // members that declined the request (node-index set)
    }

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
    address public immutable admin;

    uint256 public nextRequestId = 1;
    uint256 public inFlight;
    FeeQueue.Heap private _queue;
    /// Cancelled requests whose keys are still in the heap: dispatch drops them when they surface,
    /// which keeps push and pop free of position bookkeeping.
    uint256 private _tombstones;
    /// Contracts allowed to ask a result kind that only they give meaning to (bit k: kind k):
    /// KIND_RAW for a hybrid court, KIND_NODE_CHECK for a node jury.
    mapping(address => uint256) public boundKinds;
    mapping(uint256 => Request) private _requests;
    /// requestId => node index => commitment, replaced by the revealed result on reveal.
    mapping(uint256 => mapping(uint256 => bytes32)) private _votes;
    mapping(uint256 => mapping(bytes32 => uint256)) private _tally;

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
        if (!models.exists(modelId)) revert UnknownModel(modelId);
        _checkKind(resultKind);
        _checkCallback(consumer, callbackGas);
        id = nextRequestId++;
        Request storage r = _requests[id];
        r.requester = msg.sender;
        r.fee = uint96(msg.value);
        r.consumer = consumer;
        r.callbackGas = callbackGas;
        r.requestBlock = uint40(block.number);
        r.resultKind = resultKind;
        r.status = Status.Queued;
        r.modelId = modelId;
        r.inputHash = inputHash;
        _queue.push(FeeQueue.keyOf(msg.value, id));
        emit Requested(id, msg.sender, modelId, inputHash, msg.value, resultKind, consumer, callbackGas);
    }

    // ---------------------------------------------------------------- committees

    /// @notice Pops up to `maxCount` requests, best fee first, and draws their committees. Stops at
    /// the first request whose seed block (the block after its request block) is not yet mined, and
    /// when `maxInFlight` rounds are open. A request waiting longer than `queueTimeout` blocks, or
    /// made while fewer than `committeeSize` nodes had stake, times out here and is refunded.
    function dispatch(uint256 maxCount) external returns (uint256 dispatched) {
        uint256 dropped;
        while (dispatched < maxCount && inFlight < maxInFlight && _queue.size() > 0) {
            uint256 id = FeeQueue.idOf(_queue.top());
            Request storage r = _requests[id];
            if (r.status != Status.Queued) {
                // a cancelled request's tombstone
                _queue.pop();
                --_tombstones;
                ++dropped;
                continue;
            }
            uint256 requestBlock = r.requestBlock;
            // INVARIANT: the seed is a block hash that did not exist when the request was made.
            if (block.number <= requestBlock + 1) break;
            _queue.pop();
            if (block.number > requestBlock + queueTimeout) {
                _expire(id, r);
                ++dropped;
                continue;
            }
            bytes32 seed = keccak256(abi.encodePacked(blockhash(requestBlock + 1), id));
            // INVARIANT: the committee is drawn from the stakes as of the request's block, fixed before
            // its seed existed: nothing done once the seed is public, or while the request waits, moves it.
            uint256 committee;
            try nodes.drawCommittee(seed, committeeSize, requestBlock) returns (uint256 c) {
                committee = c;
            } catch (bytes memory reason) {
                // Only "too few nodes had stake" ends the request; anything else (out of gas) reverts
                // the whole dispatch, so a dispatcher cannot make requests time out by starving it.
                if (bytes4(reason) != NotEnoughNodes.selector) {
                    assembly {
                        revert(add(reason, 32), mload(reason))
                    }
                }
                _expire(id, r);
                ++dropped;
                continue;
            }
            // INVARIANT: the committee's stake stays until the round settles.
            nodes.lock(committee);
            r.committee = committee;
            r.status = Status.Dispatched;
            uint256 commitDeadline = block.number + commitWindow;
            r.commitDeadline = uint40(commitDeadline);
            r.revealDeadline = uint40(commitDeadline + revealWindow);
            ++inFlight;
            ++dispatched;
            emit Dispatched(id, seed, committee, commitDeadline, commitDeadline + revealWindow);
        }
        if (dispatched == 0 && dropped == 0) revert NothingToDispatch();
    }

    /// @notice Cancels a queued request that can no longer be dispatched (older than `queueTimeout`
    /// blocks, e.g. outbid for that long) and credits its fee back to its requester in full.
    function cancel(uint256 requestId) external {
        Request storage r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
        if (r.status != Status.Queued) revert RequestNotQueued(requestId);
        if (msg.sender != r.requester) revert NotRequester(requestId, msg.sender);
        uint256 cancelBlock = uint256(r.requestBlock) + queueTimeout + 1;
        // INVARIANT: only a request that dispatch would time out is cancelled, so cancelling cannot be
        // used to drop a request whose committee its requester has seen and dislikes.
        if (block.number < cancelBlock) revert CancelTooEarly(requestId, cancelBlock);
        r.status = Status.Cancelled;
        ++_tombstones;
        emit Cancelled(requestId, r.fee);
        nodes.settle{value: r.fee}(requestId, 0, 0, 0, r.requester);
    }

    function _expire(uint256 id, Request storage r) private {
        r.status = Status.TimedOut;
        emit TimedOut(id, r.fee);
        nodes.settle{value: r.fee}(id, 0, 0, 0, r.requester);
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
        Request storage r = _active(requestId);
        (uint256 i, uint256 bit) = _member(requestId, r);
        // INVARIANT: one commitment per member, never replaced, and none after declining.
        if (r.committed & bit != 0) revert AlreadyCommitted(requestId, msg.sender);
        if (r.declined & bit != 0) revert AlreadyDeclined(requestId, msg.sender);
        // INVARIANT: no commitment once reveals may have started.
        if (block.number > r.commitDeadline) revert CommitWindowClosed(requestId, msg.sender, r.commitDeadline);
        _votes[requestId][i] = commitment;
        r.committed |= bit;
        ++r.commitCount;
        emit Committed(requestId, msg.sender, commitment);
    }

    /// @notice A member that cannot serve this request says so in the commit window, instead of being
    /// silent: it is neither slashed nor rewarded. When the declines leave too few members for a quorum
    /// the round ends here (Unservable): its fee goes to the treasury and nobody is slashed.
    function decline(uint256 requestId, uint8 reason) external {
        Request storage r = _active(requestId);
        (, uint256 bit) = _member(requestId, r);
        // INVARIANT: a member either answers or declines, once.
        if (r.committed & bit != 0) revert AlreadyCommitted(requestId, msg.sender);
        if (r.declined & bit != 0) revert AlreadyDeclined(requestId, msg.sender);
        // INVARIANT: declines only while nobody can have revealed (a decline cannot follow what others answered).
        if (block.number > r.commitDeadline) revert CommitWindowClosed(requestId, msg.sender, r.commitDeadline);
        r.declined |= bit;
        uint256 declines = ++r.declineCount;
        emit Declined(requestId, msg.sender, reason);
        // INVARIANT: a round ends for declines only when no quorum is possible among the others.
        if ((committeeSize - declines) * 10_000 > committeeSize * quorumBps) return;
        --inFlight;
        r.status = Status.Unservable;
        uint256 fee = r.fee;
        emit Unservable(requestId, declines, fee);
        // An unservable request costs its requester, never the committee: its fee is forfeited.
        nodes.settle{value: fee}(requestId, 0, 0, 0, nodes.treasury());
        nodes.unlock(r.committee);
    }

    function reveal(uint256 requestId, bytes32 result, bytes32 salt) external {
        Request storage r = _active(requestId);
        (uint256 i, uint256 bit) = _member(requestId, r);
        if (r.committed & bit == 0) revert NotCommitted(requestId, msg.sender);
        if (r.revealed & bit != 0) revert AlreadyRevealed(requestId, msg.sender);
        // INVARIANT: reveals start only when no commitment can follow (window over, or all committed),
        // so nobody can commit to a result copied from a reveal.
        if (block.number <= r.commitDeadline && r.commitCount + r.declineCount < committeeSize) {
            revert RevealWindowNotOpen(requestId, msg.sender);
        }
        if (block.number > r.revealDeadline) revert RevealWindowClosed(requestId, msg.sender, r.revealDeadline);
        // INVARIANT: a reveal opens exactly the commitment made in the commit window.
        if (keccak256(abi.encodePacked(result, msg.sender, salt)) != _votes[requestId][i]) {
            revert RevealMismatch(requestId, msg.sender);
        }
        _votes[requestId][i] = result;
        r.revealed |= bit;
        ++r.revealCount;
        uint256 votes = ++_tally[requestId][result];
        if (votes > r.leaderVotes) {
            r.leaderVotes = uint16(votes);
            r.leader = result;
        }
        emit Revealed(requestId, msg.sender, result);
    }

    /// @notice Settles a round once no reveal can change it (all commitments revealed after the
    /// commit phase, or the reveal deadline passed). Anyone may call it.
    function finalize(uint256 requestId) external nonReentrant {
        Request storage r = _active(requestId);
        bool complete = r.revealCount == r.commitCount
            && (r.commitCount + r.declineCount == committeeSize || block.number > r.commitDeadline);
        if (!complete && block.number <= r.revealDeadline) revert RevealWindowOpen(requestId, r.revealDeadline);
        --inFlight;
        uint256 fee = r.fee;
        uint256 committee = r.committee;
        uint256 revealed = r.revealed;
        // Drawn, did not decline, never revealed: silent (its slash goes to the treasury).
        uint256 silent = committee & ~revealed & ~r.declined;
        // INVARIANT: a result is final only with more than quorumBps/10000 of the whole committee.
        if (uint256(r.leaderVotes) * 10_000 > committeeSize * quorumBps) {
            bytes32 result = r.leader;
            uint256 majority;
            for (uint256 i; (committee >> i) != 0; ++i) {
                if (revealed.has(i) && _votes[requestId][i] == result) majority |= 1 << i;
            }
            r.status = Status.Finalized;
            emit Finalized(requestId, result, r.leaderVotes, committeeSize);
            // A court round's (KIND_RAW: only the bound HybridCourt asks it) result is provisional: the
            // court judges every revealed member once the answer is final, so here nobody is judged
            // for its answer, and the revealed members stay locked until the court unlocks them.
            uint256 judgedLater = r.resultKind == KIND_RAW ? revealed : 0;
            // INVARIANT: only a wrong answer (a revealed minority vote) pays the majority, and only once the
            // answer is final: a provisional majority never takes the minority's stake.
            nodes.settle{value: fee}(requestId, revealed & ~majority & ~judgedLater, silent, majority, r.requester);
            nodes.unlock(committee & ~judgedLater);
            _deliver(requestId, r.consumer, r.callbackGas, result);
        } else {
            r.status = Status.TimedOut;
            emit TimedOut(requestId, fee);
            nodes.settle{value: fee}(requestId, 0, silent, 0, r.requester);
            nodes.unlock(committee);
        }
    }

    function _active(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
        if (r.status != Status.Dispatched) revert RequestNotActive(requestId);
    }

    function _member(uint256 requestId, Request storage r) private view returns (uint256 i, uint256 bit) {
        (bool found, uint256 index) = nodes.findIndex(msg.sender);
        // INVARIANT: only the drawn committee votes.
        if (!found || !r.committee.has(index)) revert NotCommitteeMember(requestId, msg.sender);
        return (index, 1 << index);
    }

    // ---------------------------------------------------------------- views

    function requestOf(uint256 requestId) external view returns (Request memory r) {
        r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
    }

    function isMember(uint256 requestId, address account) external view returns (bool) {
        (bool found, uint256 index) = nodes.findIndex(account);
        return found && _requests[requestId].committee.has(index);
    }

    function committeeOf(uint256 requestId) external view returns (address[] memory) {
        return nodes.accountsOf(_requests[requestId].committee);
    }

    /// @notice A member's commitment, or its result once revealed.
    function voteOf(uint256 requestId, address member) external view returns (bytes32) {
        return _votes[requestId][nodes.indexOf(member)];
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
