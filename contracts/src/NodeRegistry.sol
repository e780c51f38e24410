// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Bits} from "./Bits.sol";
import "./Errors.sol";

/// @notice Nodes with stake. A node is eligible for committees while its stake is at least
/// `minStake` and it has not asked to withdraw; its *effective* stake is its stake while eligible,
/// else 0. Every change of a node's effective stake (and of their total) is checkpointed by block
/// number, so committees are drawn from the stakes as of a past block: changes made once a seed is
/// public cannot move that seed's committee. Rewards and refunds are credited here and claimed (pull).
///
/// Money (DESIGN.md section 9), written once here for every protocol contract: stake slashed for a
/// WRONG answer (a revealed minority vote, a refuted claim) may pay the party that answered right, since
/// only a party's own stake at risk pays its opponent; stake slashed for SILENCE (drawn, and never
/// committed or revealed) is forfeited to `treasury`, never to whoever opened the round (requester,
/// trainer, defender, a jury or court contract) and never as a refund: nobody is paid for someone
/// else's inability to act.
///
/// API for protocol contracts (the ones the admin authorizes). These signatures are stable:
///   drawCommittee(bytes32 seed, uint256 size, uint256 atBlock) view returns (uint256 committee)
///       `size` distinct nodes drawn in proportion to their effective stake as of the END of block
///       `atBlock` (which must be in the past), without replacement; a node-index set (bit i: node i).
///       Reverts NotEnoughNodes when fewer than `size` nodes had stake then.
///   lock(uint256 set) / unlock(uint256 set)
///       A locked node cannot withdraw (StakeLocked). Lock a committee when its round opens, unlock
///       it exactly once when the round settles, after slashing. Counted per node, so rounds overlap.
///   settle(uint256 requestId, uint256 wrongSet, uint256 silentSet, uint256 rewardSet, address payee) payable
///       Slashes both sets. msg.value plus wrongSet's stake goes to rewardSet, or to `payee` when
///       rewardSet is empty (the requester's refund; `treasury` to forfeit it); silentSet's stake always
///       goes to `treasury`.
///   drawCommitteeAmong(bytes32 seed, uint256 size, uint256 atBlock, uint256 among) view returns (uint256)
///       The same draw over the nodes of the set `among` only (drawCommittee is `among` = every node);
///       NotEnoughNodes when fewer than `size` of them had stake then.
///   holdersAt(bytes32 modelId, uint256 atBlock) view returns (uint256 set)
///       The nodes that held `modelId` as of the end of block `atBlock` (final once it is past).
/// A caller that draws at `atBlock` must lock the committee before block `atBlock + withdrawalDelay`
/// + 1: until then no node with stake at `atBlock` can have withdrawn it (Brain: queueTimeout).
///
/// Holdings: a node declares (`declareHolding`) and withdraws (`withdrawHolding`) that it holds and serves
/// a model id (a whole model, or one shard of a sharded model, registered as a model of its own). They live
/// here, beside the stakes, because a draw among holders needs both as of one past block and both follow
/// one rule: each model's holder set is checkpointed by block, so a draw reads the holders as of the
/// request's block, fixed before its seed exists; a holding declared or withdrawn once the seed is public
/// cannot move the committee. The registry does not check that a node really holds what it declares (no
/// contract can): a drawn holder that cannot serve is silent, or declines, like any member. Brain draws
/// among holders only for the models registered holders-only (ModelRegistry); the holdings of a node
/// without stake at the draw's block count for nothing.
contract NodeRegistry is ReentrancyGuard {
    using Bits for uint256;
    using Checkpoints for Checkpoints.Trace208;

    uint256 public constant MAX_NODES = 256;

    struct Node {
        address account;
        uint96 stake;
    }

    /// A node's latest effective-stake checkpoint, mirrored in one slot so that a draw reads one
    /// slot for each node that did not change since the snapshot block; and its open rounds.
    struct Latest {
        uint48 since; // block of the latest checkpoint
        uint96 effective;
        uint32 locks; // open rounds this node's stake backs
    }

    uint256 public immutable minStake;
    uint256 public immutable withdrawalDelay;
    uint256 public immutable slashAmount;
    address public immutable admin;
    /// Where forfeited stake and fees go (SystemConfig's default is a burn address: nobody can claim it).
    address public immutable treasury;

    Node[] private _nodes;
    mapping(address => uint256) private _indexPlusOne;
    mapping(address => uint256) public unlockBlock;
    mapping(address => uint256) public credit;
    mapping(address => bool) public authorized;
    // INVARIANT: _latest[i] equals the last checkpoint of _history[i]; _total's last checkpoint is
    // the sum of every node's effective stake.
    mapping(uint256 => Latest) private _latest;
    mapping(uint256 => Checkpoints.Trace208) private _history;
    Checkpoints.Trace208 private _total;

    /// A model's holder set (bit i: node i) from block `since` on, until the model's next checkpoint.
    struct Holders {
        uint48 since;
        uint256 set;
    }

    // INVARIANT: each model's checkpoints have strictly increasing `since` (one per block at most).
    mapping(bytes32 => Holders[]) private _holders;

    event Authorized(address indexed account);
    event NodeStaked(address indexed node, uint256 index, uint256 stake);
    event WithdrawalRequested(address indexed node, uint256 unlockBlock);
    event Withdrawn(address indexed node, uint256 amount);
    event Slashed(uint256 indexed requestId, address indexed node, uint256 amount);
    event Rewarded(uint256 indexed requestId, address indexed node, uint256 amount);
    event Refunded(uint256 indexed requestId, address indexed account, uint256 amount);
    event Forfeited(uint256 indexed requestId, address indexed treasury, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event HoldingDeclared(address indexed node, bytes32 indexed modelId);
    event HoldingWithdrawn(address indexed node, bytes32 indexed modelId);

    constructor(uint256 minStake_, uint256 withdrawalDelay_, uint256 slashAmount_, address treasury_) {
        if (minStake_ == 0) revert InvalidConfig("minStake must be positive");
        if (slashAmount_ > minStake_) revert InvalidConfig("slashAmount above minStake");
        if (treasury_ == address(0)) revert InvalidConfig("treasury must be an address");
        treasury = treasury_;
        minStake = minStake_;
        withdrawalDelay = withdrawalDelay_;
        slashAmount = slashAmount_;
        admin = msg.sender;
    }

    /// @notice Lets a protocol contract (two-phase or single-phase BRAIN, ...) lock and settle.
    function authorize(address account) external {
        if (msg.sender != admin) revert NotAuthorized(msg.sender);
        authorized[account] = true;
        emit Authorized(account);
    }

    modifier onlyAuthorized() {
        if (!authorized[msg.sender]) revert NotAuthorized(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- staking

    /// @notice Registers the sender with msg.value as stake, or adds msg.value to its stake.
    function register() external payable {
        uint256 ip1 = _indexPlusOne[msg.sender];
        if (ip1 == 0) {
            if (_nodes.length == MAX_NODES) revert RegistryFull(MAX_NODES);
            if (msg.value < minStake) revert StakeTooLow(msg.sender, msg.value, minStake);
            _nodes.push(Node(msg.sender, uint96(msg.value)));
            ip1 = _nodes.length;
            _indexPlusOne[msg.sender] = ip1;
        } else {
            uint256 unlock = unlockBlock[msg.sender];
            if (unlock != 0) revert WithdrawalPending(msg.sender, unlock);
            Node storage n = _nodes[ip1 - 1];
            uint256 stake = n.stake + msg.value;
            if (stake < minStake) revert StakeTooLow(msg.sender, stake, minStake);
            n.stake = uint96(stake);
        }
        uint256 i = ip1 - 1;
        _refresh(i);
        emit NodeStaked(msg.sender, i, _nodes[i].stake);
    }

    /// @notice Leaves the committees now; the stake can be withdrawn after `withdrawalDelay` blocks,
    /// and once no open round it backs remains.
    function requestWithdrawal() external {
        uint256 i = indexOf(msg.sender);
        if (unlockBlock[msg.sender] != 0) revert WithdrawalPending(msg.sender, unlockBlock[msg.sender]);
        uint256 unlock = block.number + withdrawalDelay;
        unlockBlock[msg.sender] = unlock;
        _refresh(i);
        emit WithdrawalRequested(msg.sender, unlock);
    }

    function withdraw() external nonReentrant {
        uint256 i = indexOf(msg.sender);
        uint256 unlock = unlockBlock[msg.sender];
        if (unlock == 0) revert WithdrawalNotRequested(msg.sender);
        // INVARIANT: stake stays slashable for withdrawalDelay blocks after leaving the committees...
        if (block.number < unlock) revert WithdrawalLocked(msg.sender, unlock);
        // INVARIANT: ...and for as long as a round it was drawn for is open.
        uint256 rounds = _latest[i].locks;
        if (rounds != 0) revert StakeLocked(msg.sender, rounds);
        uint256 amount = _nodes[i].stake;
        _nodes[i].stake = 0;
        unlockBlock[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Pays out the sender's rewards and refunds.
    function claim() external nonReentrant {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        credit[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ---------------------------------------------------------------- holdings

    /// @notice The sender (a registered node) holds and serves `modelId` from this block on. No-op if it does.
    function declareHolding(bytes32 modelId) external {
        if (_setHolding(modelId, indexOf(msg.sender), true)) emit HoldingDeclared(msg.sender, modelId);
    }

    /// @notice The sender no longer holds `modelId` from this block on (draws as of earlier blocks still count
    /// it). No-op if it does not hold it.
    function withdrawHolding(bytes32 modelId) external {
        if (_setHolding(modelId, indexOf(msg.sender), false)) emit HoldingWithdrawn(msg.sender, modelId);
    }

    function _setHolding(bytes32 modelId, uint256 i, bool holds) private returns (bool changed) {
        Holders[] storage h = _holders[modelId];
        uint256 n = h.length;
        uint256 set = n == 0 ? 0 : h[n - 1].set;
        uint256 next = holds ? set | (1 << i) : set & ~(1 << i);
        if (next == set) return false;
        // INVARIANT: a change is checkpointed at this block; earlier blocks' holder sets never change.
        if (n != 0 && h[n - 1].since == block.number) h[n - 1].set = next;
        else h.push(Holders(uint48(block.number), next));
        return true;
    }

    /// @notice The nodes holding `modelId` as of the end of block `atBlock` (bit i: node i; final once past).
    function holdersAt(bytes32 modelId, uint256 atBlock) public view returns (uint256) {
        Holders[] storage h = _holders[modelId];
        uint256 lo;
        uint256 hi = h.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].since > atBlock) hi = mid;
            else lo = mid + 1;
        }
        return lo == 0 ? 0 : h[lo - 1].set;
    }

    /// @notice The nodes holding `modelId` now.
    function holdersOf(bytes32 modelId) external view returns (uint256) {
        return holdersAt(modelId, block.number);
    }

    // ---------------------------------------------------------------- committees

    /// @notice Draws `size` distinct nodes, each draw in proportion to effective stake as of the end
    /// of block `atBlock`. A pure function of (seed, size, atBlock) once `atBlock` is past: nothing
    /// done after `atBlock` (registering, topping up, withdrawing, slashing) changes the result.
    function drawCommittee(bytes32 seed, uint256 size, uint256 atBlock) external view returns (uint256) {
        return drawCommitteeAmong(seed, size, atBlock, type(uint256).max);
    }

    /// @notice `drawCommittee` over the nodes of `among` only (bit i: node i): `size` distinct nodes of the set,
    /// each draw in proportion to their effective stakes as of the end of `atBlock`; NotEnoughNodes when
    /// fewer than `size` of them had stake then. Brain passes a holders-only model's `holdersAt(atBlock)`.
    function drawCommitteeAmong(bytes32 seed, uint256 size, uint256 atBlock, uint256 among)
        public
        view
        returns (uint256 committee)
    {
        // INVARIANT: only a finished block's stakes are final.
        if (atBlock >= block.number) revert SnapshotNotPast(atBlock, block.number);
        uint256 n = _nodes.length;
        uint256[] memory stakes = new uint256[](n);
        uint256 remaining;
        uint256 have;
        for (uint256 i; i < n; ++i) {
            if (!among.has(i)) continue;
            uint256 s = _stakeAt(i, atBlock);
            if (s == 0) continue;
            stakes[i] = s;
            remaining += s;
            ++have;
        }
        if (have < size) revert NotEnoughNodes(have, size);
        for (uint256 j; j < size; ++j) {
            uint256 r = uint256(keccak256(abi.encodePacked(seed, j))) % remaining;
            for (uint256 i; i < n; ++i) {
                uint256 s = stakes[i];
                if (s == 0) continue;
                if (r < s) {
                    committee |= 1 << i;
                    stakes[i] = 0;
                    remaining -= s;
                    break;
                }
                r -= s;
            }
        }
    }

    /// @notice Marks the nodes of `set` as backing one more open round: they cannot withdraw.
    function lock(uint256 set) external onlyAuthorized {
        for (uint256 i; (set >> i) != 0; ++i) if (set.has(i)) ++_latest[i].locks;
    }

    /// @notice Ends one open round for the nodes of `set` (reverts on a node that is not locked).
    function unlock(uint256 set) external onlyAuthorized {
        for (uint256 i; (set >> i) != 0; ++i) if (set.has(i)) --_latest[i].locks;
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles one round. Slashes `wrongSet` (nodes that answered wrong) and `silentSet` (nodes
    /// that were drawn and did not answer). msg.value plus the wrong answers' stake is split equally over
    /// `rewardSet` (the remainder of the division to its lowest index); with an empty `rewardSet` all of
    /// it is credited to `payee` (`treasury` forfeits it). The silent nodes' stake goes to `treasury`.
    function settle(uint256 requestId, uint256 wrongSet, uint256 silentSet, uint256 rewardSet, address payee)
        external
        payable
        onlyAuthorized
    {
        // INVARIANT: stake lost to silence pays nobody who could have caused the silence (section 9).
        uint256 forfeited = _slashAll(requestId, silentSet);
        uint256 pot = msg.value + _slashAll(requestId, wrongSet);
        uint256 winners = rewardSet.count();
        if (winners == 0) {
            if (payee == treasury) forfeited += pot;
            else if (pot != 0) {
                credit[payee] += pot;
                emit Refunded(requestId, payee, pot);
            }
        } else {
            uint256 share = pot / winners;
            uint256 dust = pot - share * winners;
            for (uint256 i; i < _nodes.length && (rewardSet >> i) != 0; ++i) {
                if (!rewardSet.has(i)) continue;
                address a = _nodes[i].account;
                credit[a] += share + dust;
                emit Rewarded(requestId, a, share + dust);
                dust = 0;
            }
        }
        if (forfeited == 0) return;
        credit[treasury] += forfeited;
        emit Forfeited(requestId, treasury, forfeited);
    }

    function _slashAll(uint256 requestId, uint256 set) private returns (uint256 amount) {
        uint256 n = _nodes.length;
        for (uint256 i; i < n && (set >> i) != 0; ++i) if (set.has(i)) amount += _slash(requestId, i);
    }

    function _slash(uint256 requestId, uint256 i) private returns (uint256 amount) {
        Node storage node = _nodes[i];
        uint256 stake = node.stake;
        amount = stake < slashAmount ? stake : slashAmount;
        if (amount == 0) return 0;
        node.stake = uint96(stake - amount);
        _refresh(i);
        emit Slashed(requestId, node.account, amount);
    }

    /// Recomputes node i's effective stake and checkpoints it (and the total) when it changed.
    function _refresh(uint256 i) private {
        Node storage node = _nodes[i];
        uint256 stake = node.stake;
        uint256 effective = stake >= minStake && unlockBlock[node.account] == 0 ? stake : 0;
        Latest storage l = _latest[i];
        uint256 old = l.effective;
        if (effective == old) return;
        uint48 now_ = uint48(block.number);
        _history[i].push(now_, uint208(effective));
        _total.push(now_, uint208(_total.latest() + effective - old));
        l.since = now_;
        l.effective = uint96(effective);
    }

    function _stakeAt(uint256 i, uint256 atBlock) private view returns (uint256) {
        Latest memory l = _latest[i];
        // One read for a node that did not change since atBlock; a search of its history otherwise.
        if (l.since <= atBlock) return l.effective;
        return _history[i].upperLookupRecent(uint48(atBlock));
    }

    // ---------------------------------------------------------------- views

    function nodeCount() external view returns (uint256) {
        return _nodes.length;
    }

    function nodeAt(uint256 i) external view returns (address account, uint256 stake, bool isEligible) {
        Node storage n = _nodes[i];
        return (n.account, n.stake, _latest[i].effective != 0);
    }

    /// @notice Node i's effective stake as of the end of block `atBlock` (final once it is past).
    function stakeAt(uint256 i, uint256 atBlock) external view returns (uint256) {
        return _stakeAt(i, atBlock);
    }

    /// @notice The total effective stake as of the end of block `atBlock` (final once it is past).
    function totalStakeAt(uint256 atBlock) external view returns (uint256) {
        return _total.upperLookupRecent(uint48(atBlock));
    }

    /// @notice The current total effective stake.
    function totalEligibleStake() external view returns (uint256) {
        return _total.latest();
    }

    /// @notice The set of nodes eligible now (bit i: node i).
    function eligible() external view returns (uint256 set) {
        for (uint256 i; i < _nodes.length; ++i) if (_latest[i].effective != 0) set |= 1 << i;
    }

    /// @notice How many open rounds `account`'s stake backs (it cannot withdraw while non-zero).
    function openRounds(address account) external view returns (uint256) {
        return _latest[indexOf(account)].locks;
    }

    function indexOf(address account) public view returns (uint256) {
        uint256 ip1 = _indexPlusOne[account];
        if (ip1 == 0) revert UnknownNode(account);
        return ip1 - 1;
    }

    /// @notice (true, index) for a registered node, (false, 0) otherwise; never reverts.
    function findIndex(address account) external view returns (bool found, uint256 index) {
        uint256 ip1 = _indexPlusOne[account];
        return (ip1 != 0, ip1 == 0 ? 0 : ip1 - 1);
    }

    function stakeOf(address account) external view returns (uint256) {
        uint256 ip1 = _indexPlusOne[account];
        return ip1 == 0 ? 0 : _nodes[ip1 - 1].stake;
    }

    /// @notice The accounts of a set of node indices, lowest index first.
    function accountsOf(uint256 set) external view returns (address[] memory accounts) {
        accounts = new address[](set.count());
        uint256 k;
        for (uint256 i; k < accounts.length; ++i) if (set.has(i)) accounts[k++] = _nodes[i].account;
    }
}
