// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "../Bits.sol";
import {Brain} from "../Brain.sol";
import {IResultConsumer} from "../IResultConsumer.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {ResultDelivery} from "../ResultDelivery.sol";
import {IHybridCourt} from "../interfaces/IHybridCourt.sol";
import {LibMerkle} from "../opml/LibMerkle.sol";
import {OpmlGame} from "../opml/OpmlGame.sol";
import {OpmlModels} from "../opml/OpmlModels.sol";
import {
    InvalidConfig, UnauthorizedCaller, UnknownRequest, InsufficientBond, ClaimNotFinal, NothingToClaim,
    WrongHybridStatus, HybridWindowClosed, HybridWindowOpen, AnswerNotVoted, AnswerAlreadyPublished,
    InvalidAnswerProof, ClaimDoesNotMatch, DefenderNotInMajority, NothingToResolve, AnswerNotFinal, FeeTooLow
} from "../Errors.sol";

/// @notice Hybrid verification: a BRAIN committee answers now, the opML game stands behind it.
///
/// A request is a Brain request whose consumer is this court. Members vote
/// keccak256(outputRoot, finalRoot): the output root and the final state root S_N of their exact trace.
/// When Brain finalizes, the majority's vote is *decided*; once a majority member has published the
/// pair (with the output root's path in S_N) the answer is *provisional*, and it becomes *final* after
/// `challengeWindow` blocks without a challenge: only then does the requester's consumer get it.
///
/// Anyone may challenge inside the window with `challengeBond`. A majority member must then defend
/// within `defendWindow` blocks: submit the majority's pair as an opML claim on the same model and
/// input (S_0 derived on chain), after the challenge, and name it here. Watchers dispute that claim
/// with OpmlGame's bisection game. The claim final: the answer is upheld (the bond goes to the
/// defender). The claim rejected, or no defense, or a majority that never published its pair: the
/// answer is *overturned*, and any final opML claim on the request's model and input, made since the
/// request, is adopted within `adoptWindow` blocks as the final answer. If that answer differs from the
/// majority's vote (or nothing is adopted in time: the request times out), the majority is slashed
/// through NodeRegistry. Money (DESIGN.md section 9): the slashed stake pays the challenger only when
/// the challenger's bond was at risk against the majority's own claim and a game refuted that claim;
/// a majority slashed for not publishing or not defending forfeits its stake to the treasury, and the
/// requester is never paid slashed stake. The minority (members that revealed another vote) is judged
/// only once the answer is final, never by a provisional majority: the answer final and equal to the
/// majority's vote, the minority answered wrong and its stake pays the majority; the majority's answer
/// replaced, the minority loses nothing (only the majority's stake is known to back a wrong answer).
/// A Brain round without quorum (or never dispatched) times out
/// here too, with the fee Brain refunded; one its committee declined (Unservable) times out with nothing
/// to refund (Brain forfeited the fee).
/// Stake: Brain locks the committee in NodeRegistry for its round; when it finalizes a court round it
/// unlocks the members that did not reveal and leaves the revealed ones (majority and minority) locked
/// for the court, which unlocks them only once the answer is final or timed out (after slashing): no
/// member can withdraw the stake the verdict may take, even when `onResult` does not reach the court.
/// Callback gas (contracts/README.md, "Callback allowance"): the request's value pays Brain (its fee and the
/// allowance for this court's `onResult`) and, with a consumer, the consumer's own callback allowance
/// (`callbackGas` at the request block's base fee), which this court owes whoever makes the answer final (its
/// transaction runs the consumer's callback), or the requester when the request times out.
contract HybridCourt is IHybridCourt, ResultDelivery, IResultConsumer, ReentrancyGuard {
    using Bits for uint256;

    enum Status {
        None,
        Pending, // the committee round is open in Brain
        Decided, // Brain finalized a vote; its pair is not published yet
        Provisional, // the majority's answer is known and open to challenges
        Challenged, // waiting for a majority member's defense
        Defended, // the defense claim is open to (or in) opML games
        Overturned, // the majority's answer failed: waiting for a final opML claim to adopt
        Final,
        TimedOut
    }

    // Why an answer was overturned (AnswerOverturned.reason).
    uint8 internal constant UNPUBLISHED = 0;
    uint8 internal constant UNDEFENDED = 1;
    uint8 internal constant REFUTED = 2;

    // OpmlGame's claim statuses.
    uint8 internal constant CLAIM_PENDING = 0;
    uint8 internal constant CLAIM_FINAL = 1;
    uint8 internal constant CLAIM_REJECTED = 2;

    struct Config {
        uint64 challengeWindow; // blocks after the decision in which anyone may challenge
        uint64 defendWindow; // blocks after a challenge in which a majority member must name its claim
        uint64 adoptWindow; // blocks after an overturn in which a final opML claim may be adopted
        uint128 challengeBond; // wei a challenger puts up
        uint32 brainCallbackGas; // gas Brain gives `onResult`
        uint32 maxCallbackGas; // most gas a requester's consumer may ask for
    }

    struct Request {
        address requester;
        uint40 requestBlock;
        Status status;
        address consumer;
        uint32 callbackGas;
        uint40 decidedAt;
        bytes32 modelId;
        bytes32 initialRoot; // S_0 of the request's input, as OpmlModels derives it
        bytes32 vote; // the majority's keccak256(outputRoot, finalRoot)
        bytes32 outputRoot; // the defended or final answer (a provisional one is read from its published pair)
        bytes32 finalRoot;
        address challenger;
        uint40 challengedAt;
        uint40 overturnedAt;
        uint128 bond;
        uint64 defense; // the defense claim's id + 1 (0: none)
        uint64 tolerance; // packed float32 atol << 32 | rtol a defense or adopted claim must state (0: exact)
        uint256 majority; // node-index set of the members that revealed `vote`: locked until settled
        uint256 minority; // the members that revealed another vote: locked until settled, judged then
        uint96 allowance; // the consumer's callback allowance: whoever makes the answer final runs the callback
    }

    struct Answer {
        bytes32 outputRoot;
        bytes32 finalRoot;
    }

    Brain public immutable brain;
    NodeRegistry public immutable nodes;
    OpmlGame public immutable game;
    OpmlModels public immutable models;
    Config public config;

    mapping(uint256 => Request) private _requests;
    /// requestId => vote => its published pair (members may publish before Brain finalizes).
    mapping(uint256 => mapping(bytes32 => Answer)) private _published;
    mapping(address => uint256) public owed; // bonds, rewards and refunds not withdrawn yet

    event AnswerPublished(uint256 indexed requestId, address indexed member, bytes32 vote, bytes32 outputRoot,
        bytes32 finalRoot);
    event CommitteeDecided(uint256 indexed requestId, bytes32 vote, uint256 challengeDeadline);
    event AnswerChallenged(uint256 indexed requestId, address indexed challenger, uint256 bond, uint256 defendDeadline);
    event AnswerDefended(uint256 indexed requestId, uint256 claimId, address defender);
    event AnswerOverturned(uint256 indexed requestId, uint8 reason, uint256 adoptDeadline);
    // HybridRequested, AnswerProvisional, AnswerFinal, HybridTimedOut: IHybridCourt.
    event BondPaid(address indexed account, uint256 amount);
    event BondWithdrawn(address indexed account, uint256 amount);

    constructor(Brain brain_, OpmlGame game_, Config memory c) ResultDelivery(c.maxCallbackGas) {
        // INVARIANT: every answer gets a window in which it can be challenged, and every challenge one to defend in.
        if (c.challengeWindow == 0 || c.defendWindow == 0) revert InvalidConfig("windows must be positive");
        (uint64 window, uint64 clock,,,,,) = game_.config();
        // INVARIANT: a replacement claim can be made and survive its window and games before adoption closes.
        if (c.adoptWindow <= uint256(window) + 2 * uint256(clock)) {
            revert InvalidConfig("adoptWindow must exceed the opML window plus both chess clocks");
        }
        // INVARIANT: Brain can deliver the decision to this court (its callback gas is within Brain's cap).
        if (c.brainCallbackGas == 0 || c.brainCallbackGas > brain_.maxCallbackGas()) {
            revert InvalidConfig("brainCallbackGas not in 1..Brain.maxCallbackGas");
        }
        brain = brain_;
        nodes = brain_.nodes();
        game = game_;
        models = game_.models();
        config = c;
    }

    // ---------------------------------------------------------------- the request and the committee

    /// @notice Asks for an answer: a Brain request (fee as value, input in calldata) decided by its
    /// committee and backed by the opML game. `consumer.onResult` runs once the answer is final.
    /// `tolerance` (packed float32 atol << 32 | rtol; 0 exact) is what an opML claim standing for the
    /// answer must state: it is how far the jury lets a float step's output stray.
    function request(bytes32 modelId, bytes calldata input, address consumer, uint32 callbackGas, uint64 tolerance)
        external
        payable
        nonReentrant
        returns (uint256 requestId)
    {
        // INVARIANT: S_0 comes from the registered opML model and this input (UnknownModel, InvalidInput).
        bytes32 initialRoot = models.initialRoot(modelId, input);
        _checkCallback(consumer, callbackGas);
        uint256 allowance = _callbackAllowance(consumer, callbackGas);
        // INVARIANT: the requester pays for its consumer's callback, run in whoever finalizes the answer's transaction.
        if (msg.value < allowance) revert FeeTooLow(msg.value, allowance);
        requestId = brain.request{value: msg.value - allowance}(modelId, input, KIND_RAW, address(this),
            config.brainCallbackGas);
        Request storage r = _requests[requestId];
        if (allowance != 0) r.allowance = uint96(allowance);
        r.requester = msg.sender;
        r.requestBlock = uint40(block.number);
        r.status = Status.Pending;
        r.consumer = consumer;
        r.callbackGas = callbackGas;
        r.modelId = modelId;
        r.initialRoot = initialRoot;
        r.tolerance = tolerance;
        emit HybridRequested(requestId, msg.sender, modelId, initialRoot, consumer, callbackGas, tolerance);
    }

    /// @notice A committee member publishes the pair behind its revealed vote, with the output root's
    /// path in S_N; before Brain finalizes, or for the majority's vote inside its challenge window.
    function publish(uint256 requestId, bytes32 outputRoot, bytes32 finalRoot, bytes32[] calldata outputProof)
        external
    {
        Request storage r = _request(requestId);
        Status s = r.status;
        bytes32 vote = voteOf(outputRoot, finalRoot);
        // INVARIANT: a pair is published by a member that revealed exactly that vote.
        if (!brain.isMember(requestId, msg.sender) || brain.voteOf(requestId, msg.sender) != vote) {
            revert AnswerNotVoted(requestId, msg.sender);
        }
        if (s == Status.Decided) {
            uint256 deadline = r.decidedAt + config.challengeWindow;
            // INVARIANT: after the decision only the majority's pair counts, and only inside the window.
            if (vote != r.vote) revert AnswerNotVoted(requestId, msg.sender);
            if (block.number > deadline) revert HybridWindowClosed(requestId, deadline);
        } else if (s != Status.Pending) {
            // INVARIANT: pairs are published until the answer is provisional, never after.
            revert WrongHybridStatus(requestId, uint8(s), "publish");
        }
        // INVARIANT: a published pair is never replaced.
        if (_published[requestId][vote].finalRoot != bytes32(0)) revert AnswerAlreadyPublished(requestId, vote);
        OpmlModels.Model memory m = models.model(r.modelId);
        // INVARIANT: the output root is the output slot of S_N, as an opML claim's must be.
        if (outputProof.length != m.stateDepth || LibMerkle.fold(outputRoot, m.outputSlot, outputProof) != finalRoot) {
            revert InvalidAnswerProof(requestId, m.outputSlot);
        }
        _published[requestId][vote] = Answer(outputRoot, finalRoot);
        emit AnswerPublished(requestId, msg.sender, vote, outputRoot, finalRoot);
        if (s == Status.Decided) _provisional(requestId, r, outputRoot, finalRoot);
    }

    /// @notice Brain's callback with the majority's vote.
    function onResult(uint256 requestId, bytes32 vote) external {
        // INVARIANT: only Brain decides a committee's vote.
        if (msg.sender != address(brain)) revert UnauthorizedCaller(msg.sender);
        Request storage r = _requests[requestId];
        if (r.status == Status.Pending) _decide(requestId, r, vote);
    }

    // ---------------------------------------------------------------- the challenge

    /// @notice Disputes the majority's answer inside its window; a majority member must then defend it.
    function challenge(uint256 requestId) external payable {
        Request storage r = _request(requestId);
        _sync(requestId, r);
        Status s = r.status;
        // INVARIANT: only a decided, unchallenged answer is challenged.
        if (s != Status.Decided && s != Status.Provisional) revert WrongHybridStatus(requestId, uint8(s), "challenge");
        uint256 deadline = r.decidedAt + config.challengeWindow;
        // INVARIANT: challenges only inside the window; after it the answer is final.
        if (block.number > deadline) revert HybridWindowClosed(requestId, deadline);
        // INVARIANT: a challenge costs a bond, lost to the defender if the answer stands.
        if (msg.value < config.challengeBond) revert InsufficientBond(msg.value, config.challengeBond);
        r.status = Status.Challenged;
        r.challenger = msg.sender;
        r.challengedAt = uint40(block.number);
        r.bond = uint128(msg.value);
        emit AnswerChallenged(requestId, msg.sender, msg.value, block.number + config.defendWindow);
    }

    /// @notice Names the opML claim that defends the majority's answer: that answer, on this request's
    /// model and input, by a majority member, submitted since the challenge and still open to games.
    function defend(uint256 requestId, uint256 claimId) external {
        Request storage r = _request(requestId);
        // INVARIANT: a defense answers a challenge, once.
        if (r.status != Status.Challenged) revert WrongHybridStatus(requestId, uint8(r.status), "defend");
        uint256 deadline = r.challengedAt + config.defendWindow;
        // INVARIANT: a defense comes within its window; after it the challenge stands (undefended).
        if (block.number > deadline) revert HybridWindowClosed(requestId, deadline);
        OpmlGame.Claim memory c = _matching(requestId, r, claimId);
        // INVARIANT: the defense is the pair the majority voted for.
        if (voteOf(c.outputRoot, c.finalRoot) != r.vote) revert ClaimDoesNotMatch(requestId, claimId, "not the majority's answer");
        // INVARIANT: the claim is younger than the challenge, so challengers get its whole window for games.
        if (c.created < r.challengedAt || c.status != CLAIM_PENDING) {
            revert ClaimDoesNotMatch(requestId, claimId, "not a pending claim made since the challenge");
        }
        // INVARIANT: the majority defends its own answer.
        if (!_inMajority(requestId, r.vote, c.defender)) revert DefenderNotInMajority(requestId, c.defender);
        r.status = Status.Defended;
        r.defense = uint64(claimId) + 1;
        r.outputRoot = c.outputRoot;
        r.finalRoot = c.finalRoot;
        emit AnswerDefended(requestId, claimId, c.defender);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Moves a request on when its time has come (anyone): a Brain round without quorum times
    /// out; an unchallenged answer becomes final after its window (or is overturned if its pair was
    /// never published); an undefended challenge overturns; a settled defense claim upholds or
    /// overturns; an overturned answer with nothing adopted in time times out.
    function resolve(uint256 requestId) external nonReentrant returns (Status) {
        Request storage r = _request(requestId);
        Status s = r.status;
        if (s == Status.Pending) return _resolvePending(requestId, r);
        if (s == Status.Decided || s == Status.Provisional) {
            uint256 deadline = r.decidedAt + config.challengeWindow;
            // INVARIANT: an answer is final only after its whole challenge window.
            if (block.number <= deadline) revert HybridWindowOpen(requestId, deadline);
            if (s == Status.Decided) return _overturn(requestId, r, UNPUBLISHED);
            Answer storage a = _published[requestId][r.vote];
            return _final(requestId, r, a.outputRoot, a.finalRoot, true);
        }
        if (s == Status.Challenged) {
            uint256 deadline = r.challengedAt + config.defendWindow;
            // INVARIANT: the majority gets its whole defend window.
            if (block.number <= deadline) revert HybridWindowOpen(requestId, deadline);
            return _overturn(requestId, r, UNDEFENDED);
        }
        if (s == Status.Defended) {
            uint256 claimId = r.defense - 1;
            // Settles the claim first if it can be (reverts ClaimNotFinalizable while it is open to games).
            uint8 cs = game.claim(claimId).status;
            if (cs == CLAIM_PENDING) cs = game.resolveClaim(claimId);
            if (cs == CLAIM_REJECTED) return _overturn(requestId, r, REFUTED);
            // The answer stood its game (or nobody opened one): the challenger's bond to the defender.
            _owe(game.claim(claimId).defender, r.bond);
            return _final(requestId, r, r.outputRoot, r.finalRoot, true);
        }
        if (s == Status.Overturned) {
            uint256 deadline = r.overturnedAt + config.adoptWindow;
            // INVARIANT: an overturned request waits its whole adopt window for an honest claim.
            if (block.number <= deadline) revert HybridWindowOpen(requestId, deadline);
            uint256 pot = _slashMajority(requestId, r);
            _release(r);
            _owe(r.challenger, pot);
            _owe(r.challenger, r.bond);
            _owe(r.requester, r.allowance); // no callback runs: its allowance goes back
            r.status = Status.TimedOut;
            emit HybridTimedOut(requestId, r.allowance);
            return Status.TimedOut;
        }
        revert NothingToResolve(requestId, uint8(s));
    }

    /// @notice Replaces an overturned answer with a final opML claim on the request's model and input,
    /// made since the request. A claim whose answer differs from the majority's vote slashes the majority;
    /// one equal to it slashes the minority (`_final`).
    function adopt(uint256 requestId, uint256 claimId) external nonReentrant {
        Request storage r = _request(requestId);
        // INVARIANT: only an overturned answer is replaced.
        if (r.status != Status.Overturned) revert WrongHybridStatus(requestId, uint8(r.status), "adopt");
        uint256 deadline = r.overturnedAt + config.adoptWindow;
        // INVARIANT: adoption within its window; after it the request times out.
        if (block.number > deadline) revert HybridWindowClosed(requestId, deadline);
        OpmlGame.Claim memory c = _matching(requestId, r, claimId);
        if (c.status == CLAIM_PENDING) c.status = game.resolveClaim(claimId);
        // INVARIANT: only a claim that survived its window and its games becomes the answer.
        if (c.status != CLAIM_FINAL) revert ClaimNotFinal(claimId);
        if (voteOf(c.outputRoot, c.finalRoot) != r.vote) {
            // The majority signed a wrong answer: its stake pays the challenger whose bond it faced in a game
            // (forfeited to the treasury when the majority was slashed for silence).
            _owe(r.challenger, _slashMajority(requestId, r));
            _owe(r.challenger, r.bond);
        } else {
            // The majority was right and only its defense failed: the challenger's bond to the claim's defender.
            _owe(c.defender, r.bond);
        }
        _final(requestId, r, c.outputRoot, c.finalRoot, false);
    }

    /// @notice Pays out the sender's bonds, rewards and refunds.
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        owed[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// Refunds and slashed stake arrive from the node registry (`NodeRegistry.claim`).
    receive() external payable {
        if (msg.sender != address(nodes)) revert UnauthorizedCaller(msg.sender);
    }

    // ---------------------------------------------------------------- views

    function voteOf(bytes32 outputRoot, bytes32 finalRoot) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(outputRoot, finalRoot));
    }

    function requestOf(uint256 requestId) external view returns (Request memory) {
        return _request(requestId);
    }

    function published(uint256 requestId, bytes32 vote) external view returns (Answer memory) {
        return _published[requestId][vote];
    }

    /// The current answer (outputRoot, finalRoot): provisional, defended or final; zero before the
    /// majority's pair is known.
    function answerOf(uint256 requestId) external view returns (Answer memory) {
        Request storage r = _request(requestId);
        if (r.status == Status.Provisional) return _published[requestId][r.vote];
        return Answer(r.outputRoot, r.finalRoot);
    }

    /// The final output root, for consumer contracts: reverts until the answer is final.
    function result(uint256 requestId) external view returns (bytes32) {
        Request storage r = _request(requestId);
        // INVARIANT: consumers read only final answers.
        if (r.status != Status.Final) revert AnswerNotFinal(requestId, uint8(r.status));
        return r.outputRoot;
    }

    // ---------------------------------------------------------------- internals

    function _request(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (r.status == Status.None) revert UnknownRequest(requestId);
    }

    function _decide(uint256 requestId, Request storage r, bytes32 vote) private {
        r.vote = vote;
        r.decidedAt = uint40(block.number);
        // INVARIANT: every revealed member's stake stays locked until the answer is settled (Brain left
        // them locked for this court when it finalized; `_release` unlocks them).
        (uint256 majority, uint256 minority) = _votersOf(requestId, vote);
        r.majority = majority;
        if (minority != 0) r.minority = minority;
        Answer storage a = _published[requestId][vote];
        if (a.finalRoot != bytes32(0)) {
            _provisional(requestId, r, a.outputRoot, a.finalRoot);
            return;
        }
        r.status = Status.Decided;
        emit CommitteeDecided(requestId, vote, block.number + config.challengeWindow);
    }

    /// The answer is its published pair (not copied here: this runs inside Brain's callback gas).
    function _provisional(uint256 requestId, Request storage r, bytes32 outputRoot, bytes32 finalRoot) private {
        r.status = Status.Provisional;
        emit AnswerProvisional(requestId, outputRoot, finalRoot, uint256(r.decidedAt) + config.challengeWindow);
    }

    /// Picks up a Brain decision whose callback did not reach this court.
    function _sync(uint256 requestId, Request storage r) private {
        if (r.status != Status.Pending) return;
        Brain.Request memory b = brain.requestOf(requestId);
        if (b.status == Brain.Status.Finalized) _decide(requestId, r, b.leader);
    }

    function _resolvePending(uint256 requestId, Request storage r) private returns (Status) {
        Brain.Request memory b = brain.requestOf(requestId);
        if (b.status == Brain.Status.Finalized) {
            _decide(requestId, r, b.leader);
            return r.status;
        }
        // Still queued past Brain's queueTimeout: cancel it (this court is Brain's requester).
        if (b.status == Brain.Status.Queued && block.number > uint256(b.requestBlock) + brain.queueTimeout()) {
            brain.cancel(requestId);
            b.status = Brain.Status.Cancelled;
        }
        bool refunded = b.status == Brain.Status.TimedOut || b.status == Brain.Status.Cancelled;
        // INVARIANT: a request times out here only when its Brain round ended without a decision: with its
        // fee refunded to this court, or declined (Unservable: Brain forfeited the fee, nothing to refund).
        if (!refunded && b.status != Brain.Status.Unservable) revert NothingToResolve(requestId, uint8(Status.Pending));
        // Brain refunds the allowance of this court's callback, which never ran (with the fee unless Unservable);
        // the consumer's never runs either.
        uint256 refund = (refunded ? b.fee : 0) + b.allowance + r.allowance;
        _pull();
        _owe(r.requester, refund);
        r.status = Status.TimedOut;
        emit HybridTimedOut(requestId, refund);
        return Status.TimedOut;
    }

    function _overturn(uint256 requestId, Request storage r, uint8 reason) private returns (Status) {
        r.status = Status.Overturned;
        r.overturnedAt = uint40(block.number);
        emit AnswerOverturned(requestId, reason, block.number + config.adoptWindow);
        return Status.Overturned;
    }

    function _final(uint256 requestId, Request storage r, bytes32 outputRoot, bytes32 finalRoot, bool upheld)
        private
        returns (Status)
    {
        // The answer is final: a minority that voted against the majority's answer answered wrong.
        if (voteOf(outputRoot, finalRoot) == r.vote) _slashMinority(requestId, r);
        _release(r);
        r.status = Status.Final;
        r.outputRoot = outputRoot;
        r.finalRoot = finalRoot;
        emit AnswerFinal(requestId, outputRoot, finalRoot, upheld);
        // INVARIANT: whoever makes the answer final runs the consumer's callback, paid by the requester.
        if (r.consumer != address(0)) _owe(msg.sender, r.allowance);
        _deliver(requestId, r.consumer, r.callbackGas, outputRoot);
        return Status.Final;
    }

    /// The claim, checked to answer this request: same model, same S_0 (so the same input), made since the request.
    function _matching(uint256 requestId, Request storage r, uint256 claimId)
        private
        view
        returns (OpmlGame.Claim memory c)
    {
        c = game.claim(claimId);
        // INVARIANT: a claim stands for a request only on its model and its input.
        if (c.modelId != r.modelId || c.initialRoot != r.initialRoot) {
            revert ClaimDoesNotMatch(requestId, claimId, "another model or input");
        }
        // INVARIANT: a claim made before the request was not watched on its behalf.
        if (c.created < r.requestBlock) revert ClaimDoesNotMatch(requestId, claimId, "made before the request");
        // INVARIANT: a claim stands for a request only under the request's tolerance (the jury's yardstick).
        if (c.tolerance != r.tolerance) revert ClaimDoesNotMatch(requestId, claimId, "another tolerance");
    }

    function _inMajority(uint256 requestId, bytes32 vote, address account) private view returns (bool) {
        return brain.isMember(requestId, account) && brain.voteOf(requestId, account) == vote;
    }

    /// The committee members that revealed `vote`, and those that revealed another (node-index sets).
    function _votersOf(uint256 requestId, bytes32 vote) private view returns (uint256 majority, uint256 minority) {
        Brain.Request memory b = brain.requestOf(requestId);
        uint256 revealed = b.committee & b.revealed;
        address[] memory accounts = nodes.accountsOf(revealed);
        uint256 k;
        for (uint256 i; (revealed >> i) != 0; ++i) {
            if (!revealed.has(i)) continue;
            if (brain.voteOf(requestId, accounts[k++]) == vote) majority |= 1 << i;
        }
        minority = revealed & ~majority;
    }

    /// Slashes the minority of an answer that ended final as the majority voted: a wrong answer, whose
    /// stake pays the majority (NodeRegistry's rule for wrong answers).
    function _slashMinority(uint256 requestId, Request storage r) private {
        uint256 minority = r.minority;
        if (minority != 0) nodes.settle(requestId, minority, 0, r.majority, address(this));
    }

    /// Slashes the majority of a failed answer. Its claim refuted in a game (a defense was named, so a
    /// challenger's bond was at risk against it): a wrong answer, whose stake comes here for the challenger
    /// (returned). Otherwise (never published, never defended): silence, forfeited to the treasury (0).
    function _slashMajority(uint256 requestId, Request storage r) private returns (uint256 pot) {
        // INVARIANT: slashed stake pays the challenger only for a claim of the majority's refuted in a game.
        if (r.defense == 0) {
            nodes.settle(requestId, 0, r.majority, 0, address(this));
            return 0;
        }
        uint256 before = nodes.credit(address(this));
        nodes.settle(requestId, r.majority, 0, 0, address(this));
        pot = nodes.credit(address(this)) - before;
        _pull();
    }

    /// Ends the revealed members' lock: the answer is settled (after any slashing).
    function _release(Request storage r) private {
        uint256 voters = r.majority | r.minority;
        if (voters == 0) return;
        r.majority = 0;
        r.minority = 0;
        nodes.unlock(voters);
    }

    function _pull() private {
        if (nodes.credit(address(this)) != 0) nodes.claim();
    }

    function _owe(address to, uint256 amount) private {
        if (amount == 0 || to == address(0)) return;
        owed[to] += amount;
        emit BondPaid(to, amount);
    }
}
