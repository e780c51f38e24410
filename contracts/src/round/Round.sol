// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Bits} from "../Bits.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import "../Errors.sol";

/// @notice One committee round, written once for every contract that asks a committee (Brain, whose
/// rounds NodeJury and HybridCourt reuse; Training): open with a drawn committee, commit, decline,
/// reveal, complete, time out, and settle through NodeRegistry by the money rule of DESIGN.md section 9.
///
/// Windows: commits (and declines) until `commitDeadline`; reveals open once no commitment can follow
/// (the commit deadline passed, or every member committed or declined) and close at `revealDeadline`.
/// A round is complete once every commitment is revealed and no commitment can follow; it settles when
/// complete or once its reveal deadline passed.
///
/// Tally: MAJORITY (Brain, NodeJury) counts votes per result as they are revealed; the result is final with
/// more than `quorumBps` of the whole committee behind it. MEDIAN (Training) takes the median of the
/// revealed scores, standing with more than `quorumBps` of the whole committee revealed. BATCH (Brain's
/// batched rounds) records each member's revealed hash of its results list; the caller tallies each request.
///
/// Money: `settle` slashes the silent (drawn, not declined, never revealed) to the treasury, always, and
/// nothing else on its own: whom a wrong answer's stake pays is the caller's `wrong` and `reward` sets.
/// A member's vote slot holds keccak256(abi.encodePacked(result, member, salt)) until revealed, then the result.
library Round {
    using Bits for uint256;

    enum Tally {
        Majority,
        Median,
        Batch // each member reveals one hash of its results for many requests: tallied per request at settlement
    }

    struct State {
        uint256 committee; // node-index set
        uint256 committed;
        uint256 revealed;
        uint256 declined;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint16 size; // members drawn
        uint16 commitCount;
        uint16 revealCount;
        uint16 declineCount;
        uint16 leaderVotes; // MAJORITY: votes of `leader`
        Tally tally;
        bytes32 leader; // MAJORITY: the result with the most reveals so far (first to get there wins ties)
        mapping(uint256 => bytes32) votes; // node index => commitment, then the revealed result
        mapping(bytes32 => uint256) counts; // MAJORITY: result => reveals
    }

    /// Opens the round for `committee` (`size` members) from this block; returns its deadlines.
    function open(State storage r, uint256 committee, uint256 size, uint256 commitWindow, uint256 revealWindow, Tally t)
        internal
        returns (uint256 commitDeadline, uint256 revealDeadline)
    {
        commitDeadline = block.number + commitWindow;
        revealDeadline = commitDeadline + revealWindow;
        r.committee = committee;
        r.size = uint16(size);
        r.commitDeadline = uint40(commitDeadline);
        r.revealDeadline = uint40(revealDeadline);
        r.tally = t;
    }

    /// The sender's node index in the committee of round `id`.
    function member(State storage r, NodeRegistry nodes, uint256 id) internal view returns (uint256 index) {
        bool found;
        (found, index) = nodes.findIndex(msg.sender);
        // INVARIANT: only the drawn committee votes.
        if (!found || !r.committee.has(index)) revert NotCommitteeMember(id, msg.sender);
    }

    function commit(State storage r, uint256 id, uint256 i, bytes32 commitment) internal {
        uint256 bit = 1 << i;
        // INVARIANT: one commitment per member, never replaced, and none after declining.
        if (r.committed & bit != 0) revert AlreadyCommitted(id, msg.sender);
        if (r.declined & bit != 0) revert AlreadyDeclined(id, msg.sender);
        // INVARIANT: no commitment once reveals may have started.
        if (block.number > r.commitDeadline) revert CommitWindowClosed(id, msg.sender, r.commitDeadline);
        r.votes[i] = commitment;
        r.committed |= bit;
        ++r.commitCount;
    }

    /// Records member `i`'s decline; true when the declines leave no quorum possible (`quorumBps` of the
    /// whole committee among the others): the round cannot be served.
    function decline(State storage r, uint256 id, uint256 i, uint256 quorumBps) internal returns (bool unservable) {
        uint256 bit = 1 << i;
        // INVARIANT: a member either answers or declines, once.
        if (r.committed & bit != 0) revert AlreadyCommitted(id, msg.sender);
        if (r.declined & bit != 0) revert AlreadyDeclined(id, msg.sender);
        // INVARIANT: declines only while nobody can have revealed (a decline cannot follow what others answered).
        if (block.number > r.commitDeadline) revert CommitWindowClosed(id, msg.sender, r.commitDeadline);
        r.declined |= bit;
        uint256 declines = ++r.declineCount;
        uint256 size = r.size;
        // INVARIANT: a round ends for declines only when no quorum is possible among the others.
        return (size - declines) * 10_000 <= size * quorumBps;
    }

    function reveal(State storage r, uint256 id, uint256 i, bytes32 result, bytes32 salt) internal {
        uint256 bit = 1 << i;
        if (r.committed & bit == 0) revert NotCommitted(id, msg.sender);
        if (r.revealed & bit != 0) revert AlreadyRevealed(id, msg.sender);
        // INVARIANT: reveals start only when no commitment can follow (window over, or all committed or
        // declined), so nobody can commit to a result copied from a reveal.
        if (!revealsOpen(r)) revert RevealWindowNotOpen(id, msg.sender);
        if (block.number > r.revealDeadline) revert RevealWindowClosed(id, msg.sender, r.revealDeadline);
        // INVARIANT: a reveal opens exactly the commitment made in the commit window.
        if (keccak256(abi.encodePacked(result, msg.sender, salt)) != r.votes[i]) revert RevealMismatch(id, msg.sender);
        _record(r, i, bit, result);
    }

    /// Records member `i`'s revealed `result` (its commitment already checked) and tallies it.
    function _record(State storage r, uint256 i, uint256 bit, bytes32 result) private {
        r.votes[i] = result;
        r.revealed |= bit;
        ++r.revealCount;
        if (r.tally != Tally.Majority) return;
        uint256 votes = ++r.counts[result];
        if (votes > r.leaderVotes) {
            r.leaderVotes = uint16(votes);
            r.leader = result;
        }
    }

    /// Reveals are open: the commit deadline passed, or every member committed or declined.
    function revealsOpen(State storage r) internal view returns (bool) {
        return block.number > r.commitDeadline || uint256(r.commitCount) + r.declineCount == r.size;
    }

    /// Nothing can change the round any more: every commitment revealed and no commitment can follow,
    /// or the reveal deadline passed.
    function settleable(State storage r) internal view returns (bool) {
        return (r.revealCount == r.commitCount && revealsOpen(r)) || block.number > r.revealDeadline;
    }

    /// Reverts unless the round can be settled.
    function requireSettleable(State storage r, uint256 id) internal view {
        if (!settleable(r)) revert RevealWindowOpen(id, r.revealDeadline);
    }

    /// The outcome: whether it stands (more than `quorumBps` of the whole committee behind it) and the result
    /// (MAJORITY: the leading result; MEDIAN: the median score).
    function outcome(State storage r, uint256 quorumBps) internal view returns (bool stands, bytes32 result) {
        stands = quorate(r, r.tally == Tally.Majority ? r.leaderVotes : r.revealCount, quorumBps);
        if (!stands) return (false, bytes32(0));
        result = r.tally == Tally.Majority ? r.leader : bytes32(_median(r));
    }

    /// Whether `votes` members are more than `quorumBps` of the whole committee.
    function quorate(State storage r, uint256 votes, uint256 quorumBps) internal view returns (bool) {
        // INVARIANT: a result is final only with more than quorumBps/10000 of the whole committee.
        return votes * 10_000 > uint256(r.size) * quorumBps;
    }

    /// The members who revealed `result`.
    function votersOf(State storage r, bytes32 result) internal view returns (uint256 set) {
        uint256 revealed = r.revealed;
        for (uint256 i; (revealed >> i) != 0; ++i) {
            if (revealed.has(i) && r.votes[i] == result) set |= 1 << i;
        }
    }

    /// Drawn, did not decline, never revealed (never committed, or committed and never revealed).
    function silent(State storage r) internal view returns (uint256) {
        return r.committee & ~r.revealed & ~r.declined;
    }

    /// Settles the round in the registry under `settleId`: the silent members' slash goes to the treasury
    /// (always, whatever else happens); `wrong`'s slash and `value` pay `reward`, or `payee` with none.
    function settle(
        State storage r,
        NodeRegistry nodes,
        uint256 settleId,
        uint256 wrong,
        uint256 reward,
        uint256 value,
        address payee
    ) internal {
        // INVARIANT: stake lost to silence pays nobody who could have caused the silence (section 9).
        nodes.settle{value: value}(settleId, wrong, silent(r), reward, payee);
    }

    /// Median of the revealed scores (the mean of the middle two, rounded down, for an even count).
    function _median(State storage r) private view returns (uint256) {
        uint256 revealed = r.revealed;
        uint256[] memory s = new uint256[](revealed.count());
        uint256 n;
        for (uint256 i; (revealed >> i) != 0; ++i) {
            if (!revealed.has(i)) continue;
            uint256 x = uint256(r.votes[i]);
            uint256 j = n++;
            for (; j > 0 && s[j - 1] > x; --j) s[j] = s[j - 1];
            s[j] = x;
        }
        return (s[(n - 1) / 2] + s[n / 2]) / 2;
    }
}
