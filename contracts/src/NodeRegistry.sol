// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "./Bits.sol";
import "./Errors.sol";

/// @notice Nodes with stake. A node is eligible for committees while its stake is at least
/// `minStake` and it has not asked to withdraw. Withdrawal takes `withdrawalDelay` blocks, during
/// which the stake can still be slashed. Rewards and refunds are credited here and claimed (pull).
/// Committees are drawn in proportion to stake, without replacement, from a seed.
contract NodeRegistry is ReentrancyGuard {
    using Bits for uint256;

    uint256 public constant MAX_NODES = 256;

    struct Node {
        address account;
        uint96 stake;
    }

    uint256 public immutable minStake;
    uint256 public immutable withdrawalDelay;
    uint256 public immutable slashAmount;
    address public immutable admin;

    Node[] private _nodes;
    mapping(address => uint256) private _indexPlusOne;
    mapping(address => uint256) public unlockBlock;
    mapping(address => uint256) public credit;
    mapping(address => bool) public authorized;
    /// Bit i set: node i is eligible. INVARIANT: totalEligibleStake is the sum of their stakes.
    uint256 public eligible;
    uint256 public totalEligibleStake;

    event Authorized(address indexed account);
    event NodeStaked(address indexed node, uint256 index, uint256 stake);
    event WithdrawalRequested(address indexed node, uint256 unlockBlock);
    event Withdrawn(address indexed node, uint256 amount);
    event Slashed(uint256 indexed requestId, address indexed node, uint256 amount);
    event Rewarded(uint256 indexed requestId, address indexed node, uint256 amount);
    event Refunded(uint256 indexed requestId, address indexed account, uint256 amount);
    event Claimed(address indexed account, uint256 amount);

    constructor(uint256 minStake_, uint256 withdrawalDelay_, uint256 slashAmount_) {
        if (minStake_ == 0) revert InvalidConfig("minStake must be positive");
        if (slashAmount_ > minStake_) revert InvalidConfig("slashAmount above minStake");
        minStake = minStake_;
        withdrawalDelay = withdrawalDelay_;
        slashAmount = slashAmount_;
        admin = msg.sender;
    }

    /// @notice Lets a protocol contract (two-phase or single-phase BRAIN) settle rounds.
    function authorize(address account) external {
        if (msg.sender != admin) revert NotAuthorized(msg.sender);
        authorized[account] = true;
        emit Authorized(account);
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
            if (eligible.has(ip1 - 1)) totalEligibleStake -= n.stake;
            n.stake = uint96(stake);
        }
        uint256 i = ip1 - 1;
        eligible |= 1 << i;
        totalEligibleStake += _nodes[i].stake;
        emit NodeStaked(msg.sender, i, _nodes[i].stake);
    }

    /// @notice Leaves the committees now; the stake can be withdrawn after `withdrawalDelay` blocks.
    function requestWithdrawal() external {
        uint256 i = indexOf(msg.sender);
        if (unlockBlock[msg.sender] != 0) revert WithdrawalPending(msg.sender, unlockBlock[msg.sender]);
        _makeIneligible(i);
        uint256 unlock = block.number + withdrawalDelay;
        unlockBlock[msg.sender] = unlock;
        emit WithdrawalRequested(msg.sender, unlock);
    }

    function withdraw() external nonReentrant {
        uint256 i = indexOf(msg.sender);
        uint256 unlock = unlockBlock[msg.sender];
        if (unlock == 0) revert WithdrawalNotRequested(msg.sender);
        // INVARIANT: stake stays slashable for withdrawalDelay blocks after leaving the committees.
        if (block.number < unlock) revert WithdrawalLocked(msg.sender, unlock);
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

    // ---------------------------------------------------------------- committees

    /// @notice Draws `size` distinct eligible nodes, each draw in proportion to stake. Pure function
    /// of (seed, registry state), so anyone can recompute it.
    function drawCommittee(bytes32 seed, uint256 size) external view returns (uint256 committee) {
        uint256 pool = eligible;
        uint256 have = pool.count();
        if (have < size) revert NotEnoughNodes(have, size);
        uint256 n = _nodes.length;
        uint256[] memory stakes = new uint256[](n);
        for (uint256 i; i < n; ++i) if (pool.has(i)) stakes[i] = _nodes[i].stake;
        uint256 remaining = totalEligibleStake;
        for (uint256 j; j < size; ++j) {
            uint256 r = uint256(keccak256(abi.encodePacked(seed, j))) % remaining;
            for (uint256 i; i < n; ++i) {
                if (!pool.has(i)) continue;
                if (r < stakes[i]) {
                    committee |= 1 << i;
                    pool &= ~(1 << i);
                    remaining -= stakes[i];
                    break;
                }
                r -= stakes[i];
            }
        }
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles one round: slashes `slashSet`, then splits msg.value plus everything slashed
    /// equally over `rewardSet` (the remainder of the division to its lowest index); with an empty
    /// `rewardSet` all of it is credited to `refundTo`.
    function settle(uint256 requestId, uint256 slashSet, uint256 rewardSet, address refundTo) external payable {
        if (!authorized[msg.sender]) revert NotAuthorized(msg.sender);
        uint256 pot = msg.value;
        uint256 n = _nodes.length;
        for (uint256 i; i < n && (slashSet >> i) != 0; ++i) if (slashSet.has(i)) pot += _slash(requestId, i);
        uint256 winners = rewardSet.count();
        if (winners == 0) {
            if (pot == 0) return;
            credit[refundTo] += pot;
            emit Refunded(requestId, refundTo, pot);
            return;
        }
        uint256 share = pot / winners;
        uint256 dust = pot - share * winners;
        for (uint256 i; i < n && (rewardSet >> i) != 0; ++i) {
            if (!rewardSet.has(i)) continue;
            address a = _nodes[i].account;
            credit[a] += share + dust;
            emit Rewarded(requestId, a, share + dust);
            dust = 0;
        }
    }

    function _slash(uint256 requestId, uint256 i) private returns (uint256 amount) {
        Node storage node = _nodes[i];
        uint256 stake = node.stake;
        amount = stake < slashAmount ? stake : slashAmount;
        if (amount == 0) return 0;
        bool wasEligible = eligible.has(i);
        node.stake = uint96(stake - amount);
        if (wasEligible) {
            totalEligibleStake -= amount;
            if (stake - amount < minStake) _makeIneligible(i);
        }
        emit Slashed(requestId, node.account, amount);
    }

    function _makeIneligible(uint256 i) private {
        if (!eligible.has(i)) return;
        eligible &= ~(1 << i);
        totalEligibleStake -= _nodes[i].stake;
    }

    // ---------------------------------------------------------------- views

    function nodeCount() external view returns (uint256) {
        return _nodes.length;
    }

    function nodeAt(uint256 i) external view returns (address account, uint256 stake, bool isEligible) {
        Node storage n = _nodes[i];
        return (n.account, n.stake, eligible.has(i));
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
