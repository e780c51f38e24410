// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "./Bits.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {ResultDelivery} from "./ResultDelivery.sol";
import {ISinglePhaseBrain} from "./interfaces/ISinglePhaseBrain.sol";
import "./Errors.sol";

/// @notice The paper's single-phase baseline: the request and its result are one transaction. The
/// committee of a block B is drawn from B's parent's hash, in proportion to the stakes as of the
/// block before that parent; it computes the result first and signs it; the request transaction,
/// which must land in B, carries the signatures, is checked for a quorum, pays the signers and
/// executes the callback. Nothing is pending between transactions, so nothing pipelines: the
/// inference sits on the request's critical path. The caller chooses no seed; it can only choose
/// whether to send in this block or wait for another (see contracts/README.md, threat model).
contract SinglePhaseBrain is ISinglePhaseBrain, ResultDelivery, ReentrancyGuard {
    using Bits for uint256;

    ModelRegistry public immutable models;
    NodeRegistry public immutable nodes;
    uint256 public immutable minFee;
    uint256 public immutable committeeSize;
    uint256 public immutable quorumBps;

    uint256 public nextRequestId = 1;

    constructor(
        ModelRegistry models_,
        NodeRegistry nodes_,
        uint256 minFee_,
        uint256 committeeSize_,
        uint256 quorumBps_,
        uint256 maxCallbackGas_
    ) ResultDelivery(maxCallbackGas_) {
        if (committeeSize_ == 0 || committeeSize_ > 256) revert InvalidConfig("committeeSize not in 1..256");
        // INVARIANT: two disjoint sets of signers cannot both be more than quorumBps of the committee.
        if (quorumBps_ < 5000 || quorumBps_ >= 10_000) revert InvalidConfig("quorumBps not in 5000..9999");
        models = models_;
        nodes = nodes_;
        minFee = minFee_;
        committeeSize = committeeSize_;
        quorumBps = quorumBps_;
    }

    /// @notice The committee of every request that lands in block seedBlock + 1, as a node-index set:
    /// drawn from seedBlock's hash, with the stakes as of block seedBlock - 1. Nothing the caller
    /// chooses (input, model, account) enters the seed: each would be one more draw to pick from.
    /// Takes the hash as an argument because a call on the latest block cannot read its own hash.
    function committeeOf(bytes32 seedBlockHash, uint256 seedBlock) public view returns (uint256) {
        return nodes.drawCommittee(keccak256(abi.encodePacked(seedBlockHash, address(this))), committeeSize,
            seedBlock - 1);
    }

    /// @notice What each member signs (EIP-191 personal message over this 32-byte digest).
    function digestOf(uint256 seedBlock, bytes32 modelId, bytes32 inputHash, bytes32 result)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), seedBlock, modelId, inputHash, result));
    }

    function requestAndRespond(
        bytes32 modelId,
        bytes32 inputHash,
        uint256 seedBlock,
        bytes32 result,
        address consumer,
        uint32 callbackGas,
        bytes[] calldata signatures
    ) external payable nonReentrant returns (uint256 requestId) {
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        if (!models.exists(modelId)) revert UnknownModel(modelId);
        _checkCallback(consumer, callbackGas);
        // INVARIANT: the seed is the parent block's hash; an older block (one the caller picked among
        // many) is refused.
        if (seedBlock != block.number - 1) revert SeedBlockNotParent(seedBlock, block.number - 1);
        uint256 committee = committeeOf(blockhash(seedBlock), seedBlock);
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(digestOf(seedBlock, modelId, inputHash, result));
        uint256 voters;
        for (uint256 k; k < signatures.length; ++k) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[k]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(k);
            (bool found, uint256 i) = nodes.findIndex(signer);
            // INVARIANT: only the drawn committee vouches for the result, each member once.
            if (!found || !committee.has(i)) revert SignerNotInCommittee(signer);
            if (voters.has(i)) revert DuplicateSigner(signer);
            voters |= 1 << i;
        }
        uint256 votes = voters.count();
        // INVARIANT: the same quorum rule as the two-phase protocol.
        if (votes * 10_000 <= committeeSize * quorumBps) revert QuorumNotReached(votes, committeeSize);
        requestId = nextRequestId++;
        emit Served(requestId, msg.sender, modelId, inputHash, result, votes, msg.value);
        nodes.settle{value: msg.value}(requestId, 0, 0, voters, msg.sender);
        _deliver(requestId, consumer, callbackGas, result);
    }
}
