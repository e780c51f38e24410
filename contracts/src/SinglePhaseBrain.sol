// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Bits} from "./Bits.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {ResultDelivery} from "./ResultDelivery.sol";
import "./Errors.sol";

/// @notice The paper's single-phase baseline: the request and its result are one transaction. The
/// committee (drawn from a recent block hash chosen by the caller) computes the result first and
/// signs it; the request transaction carries the signatures, is checked for a quorum, pays the
/// signers and executes the callback. Nothing is pending between transactions, so nothing pipelines:
/// the inference sits on the request's critical path.
contract SinglePhaseBrain is ResultDelivery, ReentrancyGuard {
    using Bits for uint256;

    ModelRegistry public immutable models;
    NodeRegistry public immutable nodes;
    uint256 public immutable minFee;
    uint256 public immutable committeeSize;
    uint256 public immutable quorumBps;

    uint256 public nextRequestId = 1;

    event Served(
        uint256 indexed requestId,
        address indexed requester,
        bytes32 indexed modelId,
        bytes32 inputHash,
        bytes32 result,
        uint256 votes,
        uint256 fee
    );

    constructor(
        ModelRegistry models_,
        NodeRegistry nodes_,
        uint256 minFee_,
        uint256 committeeSize_,
        uint256 quorumBps_,
        uint256 maxCallbackGas_
    ) ResultDelivery(maxCallbackGas_) {
        if (committeeSize_ == 0 || committeeSize_ > 256) revert InvalidConfig("committeeSize not in 1..256");
        if (quorumBps_ >= 10_000) revert InvalidConfig("quorumBps must be below 10000");
        models = models_;
        nodes = nodes_;
        minFee = minFee_;
        committeeSize = committeeSize_;
        quorumBps = quorumBps_;
    }

    /// @notice The committee for (seedBlock, modelId, inputHash) as a node-index set.
    function committeeFor(uint256 seedBlock, bytes32 modelId, bytes32 inputHash) public view returns (uint256) {
        bytes32 h = blockhash(seedBlock);
        if (h == bytes32(0)) revert SeedBlockUnavailable(seedBlock);
        return nodes.drawCommittee(keccak256(abi.encodePacked(h, modelId, inputHash)), committeeSize);
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
        uint256 committee = committeeFor(seedBlock, modelId, inputHash);
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
        nodes.settle{value: msg.value}(requestId, 0, voters, msg.sender);
        _deliver(requestId, consumer, callbackGas, result);
    }
}
