// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IResultConsumer} from "@tribunal/contracts/interfaces/IResultConsumer.sol";
import {OutputProof} from "@tribunal/contracts/lib/OutputProof.sol";
import {
    UnauthorizedCaller, UnknownRequest, ResultNotDelivered, LabelNotTarget, AlreadyPaidOut
} from "@tribunal/contracts/Errors.sol";

/// @notice Example dapp, common to every mode: anyone asks for a classification of an input (paying the
/// oracle's fee); the oracle's callback delivers the request's output root; whoever shows logits that
/// the root proves, and whose label is `target`, gets `prize` paid to the asker. It never trusts the
/// caller's numbers, only the delivered root: `OutputProof` checks them.
///
/// Mode-specific: how a request is filed (`ask`: `AsyncLabelBounty` below, or SinglePhaseLabelBounty's own)
/// and which oracle may call back (`oracle`).
abstract contract LabelBounty is IResultConsumer {
    uint32 public constant CALLBACK_GAS = 100_000; // onResult writes one slot and logs: ~30k measured

    bytes32 public immutable modelId;
    uint256 public immutable outputCount; // elements of the model's first output (10 logits for digits-mlp)
    uint256 public immutable scaleWad; // the output's scale * 1e18 (`tribunal prove` prints it)
    uint256 public immutable target; // the label that pays
    uint256 public immutable prize; // wei paid per request whose verified label is `target`

    mapping(uint256 => address) public askerOf; // request id => who asked (and is paid)
    mapping(uint256 => bytes32) public rootOf; // request id => delivered output root
    mapping(uint256 => bool) public paidOut;

    event Asked(uint256 indexed requestId, address indexed asker);
    event Delivered(uint256 indexed requestId, bytes32 outputRoot);
    event PaidOut(uint256 indexed requestId, address indexed asker, uint256 label, uint256 amount);

    constructor(bytes32 modelId_, uint256 outputCount_, uint256 scaleWad_, uint256 target_, uint256 prize_) payable {
        modelId = modelId_;
        outputCount = outputCount_;
        scaleWad = scaleWad_;
        target = target_;
        prize = prize_;
    }

    /// @notice Adds to the prizes' pot.
    function fund() external payable {}

    /// The contract whose callback this dapp accepts.
    function oracle() public view virtual returns (address);

    /// Records the sender as the asker of `requestId`, a request this dapp filed (before its callback can come).
    function _asked(uint256 requestId) internal {
        askerOf[requestId] = msg.sender;
        emit Asked(requestId, msg.sender);
    }

    function onResult(uint256 requestId, bytes32 result) external {
        // INVARIANT: only the oracle delivers, and only for a request this dapp filed.
        if (msg.sender != oracle()) revert UnauthorizedCaller(msg.sender);
        if (askerOf[requestId] == address(0)) revert UnknownRequest(requestId);
        rootOf[requestId] = result;
        emit Delivered(requestId, result);
    }

    /// @notice The label of the delivered output: `logits` (the output's canonical int16 bytes) proven
    /// against the root, then their argmax (reverts ResultNotDelivered, InvalidOutputProof).
    function labelOf(uint256 requestId, bytes calldata logits) public view returns (uint256) {
        OutputProof.checkTensor(_root(requestId), outputCount, logits);
        return OutputProof.argmax(logits);
    }

    /// @notice One output element as an 18-decimal number, proven with its chunk and path (reverts
    /// ResultNotDelivered, ElementOutOfRange, InvalidOutputProof).
    function valueOf(uint256 requestId, uint256 index, bytes calldata chunk, bytes32[] calldata proof)
        external
        view
        returns (int256)
    {
        return OutputProof.toWad(OutputProof.int16At(_root(requestId), outputCount, index, chunk, proof), scaleWad);
    }

    /// @notice Pays `prize` to the asker of `requestId` if the delivered output's label is `target`.
    function payOut(uint256 requestId, bytes calldata logits) external {
        uint256 label = labelOf(requestId, logits);
        // INVARIANT: only a verified label equal to the target pays, once per request.
        if (label != target) revert LabelNotTarget(requestId, label, target);
        if (paidOut[requestId]) revert AlreadyPaidOut(requestId);
        paidOut[requestId] = true;
        emit PaidOut(requestId, askerOf[requestId], label, prize);
        Address.sendValue(payable(askerOf[requestId]), prize);
    }

    function _root(uint256 requestId) private view returns (bytes32 root) {
        root = rootOf[requestId];
        if (root == bytes32(0)) revert ResultNotDelivered(requestId);
    }
}

/// @notice A LabelBounty whose oracle serves a request after it is filed (brain, opml, hybrid): `ask` files
/// it with the input alone, and the callback comes in a later transaction.
abstract contract AsyncLabelBounty is LabelBounty {
    /// Files the request with the oracle, `fee` as its value; returns the oracle's request id.
    function _request(bytes calldata input, uint256 fee) internal virtual returns (uint256);

    /// @notice Asks for `input` (in the model's request encoding: contracts/src/README.md, "Input encoding"),
    /// the value as the oracle's fee.
    function ask(bytes calldata input) external payable returns (uint256 requestId) {
        requestId = _request(input, msg.value);
        _asked(requestId);
    }
}
