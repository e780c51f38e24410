// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {FeeTooLow, FeeTooHigh, UnknownRequest, RequestNotActive, NothingToClaim, NotAuthorized, RequestNotSettleable,
    ClaimMismatch, StaleClaim, DeadlineTooFar} from "../Errors.sol";
import {OpmlGame} from "./OpmlGame.sol";
import {ResultDelivery} from "../ResultDelivery.sol";
import {IOpmlRequests} from "../interfaces/IOpmlRequests.sol";

/// @notice Requests for opML answers, with the fee held until one is final. A requester posts model,
/// input, fee and a deadline (blocks); any submitter answers by linking its own OpmlGame claim on the
/// same model and input (the claim's S_0 must equal the one derived here from the request) and the
/// request's tolerance (what a jury allows a float program's steps; 0 for an exact model). `settle`
/// pays the fee to the defender of the first linked claim that is final; a request with no final claim
/// and none still pending once its deadline has passed times out and its fee is credited back to the
/// requester. Payments are pulled (`withdraw`). A final request delivers its output root to the
/// requester's consumer (`IResultConsumer.onResult`, gas-checked as in every mode: ResultDelivery). A request
/// with a consumer pays, besides its fee, the callback allowance (`callbackGas` at the request block's base
/// fee): credited to whoever settles it final (its transaction runs the callback), back to the requester on
/// a timeout (contracts/README.md, "Callback allowance").
contract OpmlRequests is IOpmlRequests, ResultDelivery {
    uint8 internal constant OPEN = 1;
    uint8 internal constant FINAL = 2;
    uint8 internal constant TIMED_OUT = 3;
    uint8 internal constant CLAIM_PENDING = 0;
    uint8 internal constant CLAIM_FINAL = 1;

    struct Request {
        address requester;
        uint96 fee;
        bytes32 modelId;
        bytes32 initialRoot; // S_0 of the request: model and input
        uint64 deadline; // block after which an unanswered request may time out
        uint8 status;
        uint64 tolerance; // packed float32 atol << 32 | rtol an answer's claim must state (0: exact)
        uint64 created; // block the request was posted in (an answer's claim is submitted at or after it)
        address consumer; // gets onResult(id, outputRoot) when final (address(0): none)
        uint32 callbackGas;
        uint64 allowance; // the callback allowance, besides the fee: the final settler's, or refunded
    }

    OpmlGame public immutable game;
    uint256 public immutable minFee;
    uint256 public nextRequestId = 1;
    mapping(uint256 => Request) private _requests;
    mapping(uint256 => uint256[]) private _answers; // claim ids linked to a request
    mapping(address => uint256) public credit;

    event RequestAnswered(uint256 indexed requestId, uint256 claimId, address submitter);
    // OpmlRequested, RequestSettled: IOpmlRequests.
    event CreditWithdrawn(address indexed account, uint256 amount);

    constructor(OpmlGame game_, uint256 minFee_, uint256 maxCallbackGas_) ResultDelivery(maxCallbackGas_) {
        game = game_;
        minFee = minFee_;
    }

    function request(bytes32 modelId, bytes calldata input, uint64 deadlineBlocks, uint64 tolerance, address consumer,
        uint32 callbackGas) external payable returns (uint256 id) {
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value);
        // INVARIANT: the answer can be delivered (a consumer without code would make every settle revert).
        _checkCallback(consumer, callbackGas);
        uint64 allowance = _allowance(consumer, callbackGas);
        // INVARIANT: a request names a registered model and an input of its shape (UnknownModel, InvalidInput).
        bytes32 s0 = game.models().initialRoot(modelId, input);
        // INVARIANT: the stored deadline is the one the event states (a uint64 that wrapped would lie in the past).
        if (block.number + deadlineBlocks > type(uint64).max) revert DeadlineTooFar(deadlineBlocks);
        id = nextRequestId++;
        _requests[id] = Request(msg.sender, uint96(msg.value - allowance), modelId, s0, uint64(block.number + deadlineBlocks), OPEN,
            tolerance, uint64(block.number), consumer, callbackGas, uint64(allowance));
        emit OpmlRequested(id, msg.sender, modelId, s0, msg.value - allowance, block.number + deadlineBlocks, input, tolerance,
            consumer, callbackGas);
    }

    /// The callback allowance a request pays besides its fee (`msg.value`: at least minFee plus it).
    function _allowance(address consumer, uint32 callbackGas) private view returns (uint64) {
        uint256 allowance = _callbackAllowance(consumer, callbackGas);
        // INVARIANT: the requester pays for its callback, run in the transaction of whoever settles the request.
        if (msg.value < minFee + allowance) revert FeeTooLow(msg.value, minFee + allowance);
        if (allowance > type(uint64).max) revert FeeTooHigh(allowance);
        return uint64(allowance);
    }

    /// @notice Links the sender's claim as an answer to request `id`.
    function answer(uint256 id, uint256 claimId) external {
        Request storage r = _open(id);
        OpmlGame.Claim memory c = game.claim(claimId);
        // INVARIANT: only a claim's own defender answers with it, so the fee goes to who bonded the answer.
        if (c.defender != msg.sender) revert NotAuthorized(msg.sender);
        // INVARIANT: the claim is about this request's model and input (its S_0 is the request's).
        if (c.modelId != r.modelId || c.initialRoot != r.initialRoot) revert ClaimMismatch(id, claimId);
        // INVARIANT: the claim's float steps are judged with the tolerance the requester stated.
        if (c.tolerance != r.tolerance) revert ClaimMismatch(id, claimId);
        // INVARIANT: an answer is a pending claim made for this request (at or after its block): a claim long
        // final (or rejected) cannot be relinked to take a fee it was never bonded for, nor to hang a request
        // on a claim older than the agents' view of the request's own era.
        if (c.status != CLAIM_PENDING || c.created < r.created) revert StaleClaim(id, claimId);
        _answers[id].push(claimId);
        emit RequestAnswered(id, claimId, msg.sender);
    }

    /// @notice Final with the first final linked claim; timed out past the deadline with none pending.
    function settle(uint256 id) external returns (uint8) {
        Request storage r = _open(id);
        uint256[] storage claims = _answers[id];
        bool pending;
        for (uint256 i; i < claims.length; ++i) {
            OpmlGame.Claim memory c = game.claim(claims[i]);
            if (c.status == CLAIM_FINAL) {
                r.status = FINAL;
                credit[c.defender] += r.fee;
                if (r.allowance != 0) credit[msg.sender] += r.allowance; // the callback runs in this transaction
                emit RequestSettled(id, FINAL, claims[i], c.outputRoot, c.defender, r.fee);
                _deliver(id, r.consumer, r.callbackGas, c.outputRoot);
                return FINAL;
            }
            if (c.status == CLAIM_PENDING) pending = true;
        }
        // INVARIANT: a request times out only when no answer can still become final.
        if (block.number <= r.deadline || pending) revert RequestNotSettleable(id, r.deadline);
        r.status = TIMED_OUT;
        uint256 refund = r.fee + r.allowance; // no callback runs: the allowance goes back with the fee
        credit[r.requester] += refund;
        emit RequestSettled(id, TIMED_OUT, 0, bytes32(0), r.requester, refund);
        return TIMED_OUT;
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        credit[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, amount);
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) credit[msg.sender] = amount; // a refusing account keeps its credit
    }

    function requestOf(uint256 id) external view returns (Request memory) {
        if (_requests[id].status == 0) revert UnknownRequest(id);
        return _requests[id];
    }

    function answersOf(uint256 id) external view returns (uint256[] memory) {
        return _answers[id];
    }

    function _open(uint256 id) private view returns (Request storage r) {
        r = _requests[id];
        if (r.status == 0) revert UnknownRequest(id);
        if (r.status != OPEN) revert RequestNotActive(id);
    }
}
