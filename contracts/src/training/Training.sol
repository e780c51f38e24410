// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "../Bits.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {Round} from "../round/Round.sol";
import "../Errors.sol";

/// @notice BRAIN's verified training for one task: staked trainers propose local models derived from a
/// global version; a committee drawn per proposal (seed: the hash of the block after the proposal,
/// stakes as of the proposal's block) scores each with commit-reveal of integer scores; the median
/// decides acceptance against the threshold. An accepted proposal becomes the next global version;
/// nodes fold it into their own copy of the global model off chain (no aggregator). Scorers who commit
/// and do not reveal are slashed, so is the trainer of a proposal scored below the threshold. Weights travel off chain:
/// the chain holds the sha256 of each proposal's weights file and where to fetch it.
contract Training is ReentrancyGuard {
    using Bits for uint256;
    using Round for Round.State;

    uint256 public constant SCORE_MAX = 10_000;
    /// Settlement ids in the node registry's events: TAG | proposalId (apart from Brain's request ids).
    uint256 public constant SETTLE_TAG = 1 << 128;

    enum Status {
        None,
        Proposed,
        Scoring,
        Accepted,
        Rejected,
        TimedOut
    }

    struct Config {
        bytes32 archId; // the global model's architecture
        bytes32 initialWeights; // sha256 of version 0's weights file
        uint256 threshold; // accepted when the median score is at least this (0..SCORE_MAX)
        uint256 trainerReward; // per accepted proposal, from the pool
        uint256 scorerReward; // per revealed score, from the pool
        uint256 committeeSize;
        uint256 commitWindow; // blocks after dispatch
        uint256 revealWindow; // blocks after the commit deadline
        uint256 maxStaleness; // a proposal's base is at most this many versions behind
    }

    /// A proposal as `proposalOf` shows it: what it proposes, and its scoring round (`Round.State`'s fields).
    struct Proposal {
        address trainer;
        uint64 baseVersion;
        uint64 version; // the global version it created (accepted only)
        uint40 proposeBlock;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint16 commitCount;
        uint16 revealCount;
        uint16 score; // the median, once finalized
        Status status;
        bytes32 weights;
        uint256 committee;
        uint256 committed;
        uint256 revealed;
    }

    /// What a proposal proposes and how it ended (stored at `propose`); its round is `_rounds[id]`.
    struct Entry {
        address trainer;
        uint64 baseVersion;
        uint64 version; // the global version it created (accepted only)
        uint40 proposeBlock;
        uint16 score; // the median, once finalized
        Status status;
        bytes32 weights;
    }

    struct Version {
        uint64 proposalId; // 0 for version 0
        uint40 block;
        uint16 score;
        uint64 baseVersion;
        bytes32 weights; // the accepted proposal's weights commitment (version 0: the initial weights)
        bytes32 seed; // hash of the block after `block`: the SML seed of proposals on this version
    }

    NodeRegistry public immutable nodes;
    bytes32 public immutable archId;
    uint256 public immutable threshold;
    uint256 public immutable trainerReward;
    uint256 public immutable scorerReward;
    uint256 public immutable committeeSize;
    uint256 public immutable commitWindow;
    uint256 public immutable revealWindow;
    uint256 public immutable maxStaleness;

    uint256 public version;
    uint256 public nextProposalId = 1;
    uint256 public pool;
    mapping(uint256 => Version) private _versions;
    mapping(uint256 => Entry) private _proposals;
    /// proposalId => its scoring round (commitments, then revealed scores).
    mapping(uint256 => Round.State) private _rounds;

    event TaskCreated(bytes32 indexed archId, bytes32 initialWeights, string uri, uint256 threshold);
    event Funded(address indexed funder, uint256 amount);
    event Proposed(
        uint256 indexed proposalId, address indexed trainer, uint256 baseVersion, bytes32 weights, string uri, bytes32 smlSeed
    );
    event ScoringOpened(
        uint256 indexed proposalId, bytes32 seed, uint256 committee, uint256 commitDeadline, uint256 revealDeadline
    );
    event ScoreCommitted(uint256 indexed proposalId, address indexed member, bytes32 commitment);
    event ScoreRevealed(uint256 indexed proposalId, address indexed member, uint256 score);
    event Accepted(uint256 indexed proposalId, uint256 version, uint256 score, uint256 baseVersion, bytes32 weights);
    event Rejected(uint256 indexed proposalId, uint256 score, uint256 reveals);
    event ScoringTimedOut(uint256 indexed proposalId, uint256 reveals);

    constructor(NodeRegistry nodes_, Config memory c, string memory initialUri) payable {
        if (c.committeeSize == 0 || c.committeeSize > 64) revert InvalidConfig("committeeSize not in 1..64");
        if (c.threshold == 0 || c.threshold > SCORE_MAX) revert InvalidConfig("threshold not in 1..SCORE_MAX");
        if (c.commitWindow == 0 || c.revealWindow == 0) revert InvalidConfig("windows must be positive");
        if (c.initialWeights == bytes32(0)) revert MissingWeights();
        // INVARIANT: a scorer cannot withdraw its stake before its rounds can be settled.
        if (nodes_.withdrawalDelay() <= c.commitWindow + c.revealWindow + 1) {
            revert InvalidConfig("withdrawalDelay must exceed commitWindow + revealWindow + 1");
        }
        nodes = nodes_;
        archId = c.archId;
        threshold = c.threshold;
        trainerReward = c.trainerReward;
        scorerReward = c.scorerReward;
        committeeSize = c.committeeSize;
        commitWindow = c.commitWindow;
        revealWindow = c.revealWindow;
        maxStaleness = c.maxStaleness;
        _versions[0] = Version(0, uint40(block.number), 0, 0, c.initialWeights, bytes32(0));
        pool = msg.value;
        emit TaskCreated(c.archId, c.initialWeights, initialUri, c.threshold);
        if (msg.value > 0) emit Funded(msg.sender, msg.value);
    }

    function fund() external payable {
        pool += msg.value;
        emit Funded(msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- proposals

    /// @notice A staked node proposes a local model trained from global version `baseVersion`, under its
    /// SML for that version's seed (`smlSeed` in the event).
    function propose(uint256 baseVersion, bytes32 weights, string calldata uri) external returns (uint256 id) {
        // INVARIANT: proposals build on a global version that exists and is recent enough to fold.
        if (baseVersion > version) revert UnknownVersion(baseVersion, version);
        if (version - baseVersion > maxStaleness) revert StaleBaseVersion(baseVersion, version, maxStaleness);
        if (weights == bytes32(0)) revert MissingWeights();
        (bool found, uint256 index) = nodes.findIndex(msg.sender);
        if (!found) revert UnknownNode(msg.sender);
        (,, bool isEligible) = nodes.nodeAt(index);
        // INVARIANT: only a node with stake at risk proposes (a rejected proposal is slashed).
        if (!isEligible) revert NotEligible(msg.sender);
        bytes32 smlSeed = _seedOf(baseVersion);
        id = nextProposalId++;
        Entry storage p = _proposals[id];
        p.trainer = msg.sender;
        p.baseVersion = uint64(baseVersion);
        p.proposeBlock = uint40(block.number);
        p.weights = weights;
        p.status = Status.Proposed;
        // INVARIANT: the trainer's stake stays slashable until its proposal settles.
        nodes.lock(1 << index);
        emit Proposed(id, msg.sender, baseVersion, weights, uri, smlSeed);
    }

    /// @notice The SML seed of version `v`: the hash of the block after the one that created it, recorded
    /// on first use (nobody knew it before version v existed).
    function _seedOf(uint256 v) private returns (bytes32 seed) {
        Version storage ver = _versions[v];
        seed = ver.seed;
        if (seed != bytes32(0)) return seed;
        uint256 seedBlock = uint256(ver.block) + 1;
        // INVARIANT: the seed did not exist when the version was created.
        if (block.number <= seedBlock) revert SeedNotReady(seedBlock);
        seed = blockhash(seedBlock);
        if (seed == bytes32(0)) revert SeedExpired(seedBlock);
        ver.seed = seed;
    }

    /// @notice When the current version's seed block fell out of the last 256 blocks before anyone
    /// proposed on it, moves it to the next block (still unknown now).
    function reseed() external {
        Version storage ver = _versions[version];
        uint256 seedBlock = uint256(ver.block) + 1;
        if (ver.seed != bytes32(0) || block.number <= seedBlock || blockhash(seedBlock) != bytes32(0)) {
            revert InvalidConfig("reseed: the current version's seed is recorded or still available");
        }
        ver.block = uint40(block.number);
    }

    /// @notice Draws the proposal's scoring committee, the trainer excluded. The seed is the hash of the
    /// block after the proposal's; stakes are those as of the proposal's block.
    function dispatch(uint256 id) external {
        Entry storage p = _proposals[id];
        if (p.status == Status.None) revert UnknownProposal(id);
        if (p.status != Status.Proposed) revert ProposalNotActive(id, uint8(p.status));
        uint256 seedBlock = uint256(p.proposeBlock) + 1;
        // INVARIANT: the committee's seed is a block hash that did not exist when the proposal was made.
        if (block.number <= seedBlock) revert SeedNotReady(seedBlock);
        bytes32 blockSeed = blockhash(seedBlock);
        uint256 trainerBit = 1 << nodes.indexOf(p.trainer);
        // INVARIANT: a committee drawn from the stakes at the proposal's block is locked before any of
        // those stakes can have been withdrawn (withdrawalDelay), else the proposal expires.
        if (blockSeed == bytes32(0) || block.number > uint256(p.proposeBlock) + nodes.withdrawalDelay()) {
            p.status = Status.TimedOut;
            emit ScoringTimedOut(id, 0);
            nodes.unlock(trainerBit);
            return;
        }
        bytes32 seed = keccak256(abi.encodePacked(blockSeed, id));
        uint256 committee = _draw(seed, committeeSize + 1, p.proposeBlock);
        // INVARIANT: a trainer never scores its own proposal; otherwise one drawn member, chosen by the
        // seed, steps down so every committee has exactly committeeSize members.
        committee &= ~(committee & trainerBit != 0 ? trainerBit : _nth(committee, uint256(seed) % (committeeSize + 1)));
        p.status = Status.Scoring;
        nodes.lock(committee);
        _open(id, seed, committee);
    }

    function _open(uint256 id, bytes32 seed, uint256 committee) private {
        (uint256 commitDeadline, uint256 revealDeadline) =
            _rounds[id].open(committee, committeeSize, commitWindow, revealWindow, Round.Tally.Median);
        emit ScoringOpened(id, seed, committee, commitDeadline, revealDeadline);
    }

    /// @dev The one place committees are drawn: the registry's draw from the stakes as of `atBlock`.
    function _draw(bytes32 seed, uint256 size, uint256 atBlock) private view returns (uint256) {
        return nodes.drawCommittee(seed, size, atBlock);
    }

    function _nth(uint256 set, uint256 k) private pure returns (uint256 bit) {
        for (uint256 i; i < 256; ++i) {
            if (!set.has(i)) continue;
            if (k == 0) return 1 << i;
            --k;
        }
    }

    // ---------------------------------------------------------------- scores: commit, reveal, median

    /// @notice commitment = keccak256(abi.encodePacked(bytes32(score), member, salt)).
    function commitScore(uint256 id, bytes32 commitment) external {
        Round.State storage round = _scoring(id);
        round.commit(id, round.member(nodes, id), commitment);
        emit ScoreCommitted(id, msg.sender, commitment);
    }

    function revealScore(uint256 id, uint256 score, bytes32 salt) external {
        Round.State storage round = _scoring(id);
        // INVARIANT: scores are integers in [0, SCORE_MAX].
        if (score > SCORE_MAX) revert ScoreOutOfRange(id, score, SCORE_MAX);
        round.reveal(id, round.member(nodes, id), bytes32(score), salt);
        emit ScoreRevealed(id, msg.sender, score);
    }

    /// @notice Settles a proposal once no reveal can change it. With more than half of the committee
    /// revealed, the median score decides: at least the threshold is accepted as the next version, else
    /// rejected and the trainer slashed. With fewer reveals the round times out. Members who committed or
    /// were drawn and did not reveal are slashed in every case. Staleness is judged once, at `propose`:
    /// versions other trainers get accepted while a proposal is scored never reject it (they only lower
    /// its weight in the fold, 1 / (1 + staleness)).
    function finalize(uint256 id) external nonReentrant {
        Round.State storage round = _scoring(id);
        round.requireSettleable(id);
        Entry storage p = _proposals[id];
        uint256 trainerBit = 1 << nodes.indexOf(p.trainer);
        uint256 revealed = round.revealed;
        // INVARIANT: a score stands only when more than half of the whole committee revealed.
        (bool stands, bytes32 result) = round.outcome(5000);
        if (!stands) {
            p.status = Status.TimedOut;
            emit ScoringTimedOut(id, round.revealCount);
            round.settle(nodes, SETTLE_TAG | id, 0, 0, 0, p.trainer);
            nodes.unlock(round.committee | trainerBit);
            return;
        }
        uint256 median = uint256(result);
        p.score = uint16(median);
        uint256 paid = _pay(scorerReward * round.revealCount);
        // INVARIANT: a proposal joins the global model only with a median score at or above the threshold.
        // Its base was at most maxStaleness behind when proposed; acceptances since then are no fault of
        // its trainer's, and the fold's staleness weight already discounts them.
        if (median >= threshold) {
            uint256 v = ++version;
            p.version = uint64(v);
            p.status = Status.Accepted;
            _versions[v] = Version(uint64(id), uint40(block.number), uint16(median), p.baseVersion, p.weights, bytes32(0));
            emit Accepted(id, v, median, p.baseVersion, p.weights);
            round.settle(nodes, SETTLE_TAG | id, 0, revealed, paid, address(this));
            uint256 reward = _pay(trainerReward);
            // The trainer's reward is a payment, not a second settlement of the round (nobody slashed again).
            if (reward > 0) nodes.settle{value: reward}(SETTLE_TAG | id, 0, 0, trainerBit, address(this));
        } else {
            p.status = Status.Rejected;
            emit Rejected(id, median, round.revealCount);
            // INVARIANT: a rejected proposal's trainer answered wrong: its stake pays the scorers.
            round.settle(nodes, SETTLE_TAG | id, trainerBit, revealed, paid, address(this));
        }
        nodes.unlock(round.committee | trainerBit);
    }

    function _pay(uint256 amount) private returns (uint256) {
        if (amount > pool) amount = pool;
        pool -= amount;
        return amount;
    }

    /// The scoring round of a proposal being scored.
    function _scoring(uint256 id) private view returns (Round.State storage) {
        Status s = _proposals[id].status;
        if (s == Status.None) revert UnknownProposal(id);
        if (s != Status.Scoring) revert ProposalNotActive(id, uint8(s));
        return _rounds[id];
    }

    // ---------------------------------------------------------------- views

    function proposalOf(uint256 id) external view returns (Proposal memory p) {
        Entry storage e = _proposals[id];
        if (e.status == Status.None) revert UnknownProposal(id);
        (p.trainer, p.baseVersion, p.version, p.proposeBlock, p.score, p.status, p.weights) =
            (e.trainer, e.baseVersion, e.version, e.proposeBlock, e.score, e.status, e.weights);
        Round.State storage o = _rounds[id];
        (p.committee, p.committed, p.revealed) = (o.committee, o.committed, o.revealed);
        (p.commitDeadline, p.revealDeadline, p.commitCount, p.revealCount) =
            (o.commitDeadline, o.revealDeadline, o.commitCount, o.revealCount);
    }

    function versionOf(uint256 v) external view returns (Version memory) {
        if (v > version) revert UnknownVersion(v, version);
        return _versions[v];
    }

    /// @notice The SML seed of version `v` as proposals on it will use it (zero until its block is mined).
    function versionSeed(uint256 v) external view returns (bytes32) {
        if (v > version) revert UnknownVersion(v, version);
        Version storage ver = _versions[v];
        return ver.seed != bytes32(0) ? ver.seed : blockhash(uint256(ver.block) + 1);
    }

    function committeeOf(uint256 id) external view returns (address[] memory) {
        return nodes.accountsOf(_rounds[id].committee);
    }

    /// @notice A member's commitment, or its score (as bytes32) once revealed.
    function voteOf(uint256 id, address member) external view returns (bytes32) {
        return _rounds[id].votes[nodes.indexOf(member)];
    }
}
