"""Errors of the contract layer, under `runtime.errors.TribunalError`.

Every Solidity custom error that any of Tribunal's contracts can revert with (its own, in
`contracts/src/Errors.sol`, and OpenZeppelin's that its ABIs carry) has exactly one class here with
the same name; `decode_revert` maps revert data to it by selector, decoding the error's arguments
into attributes named as in Solidity. Messages name the request, member or account at fault.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from runtime.errors import TribunalError

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


class ContractsError(TribunalError):
    """Raised when the contract layer reports a fault; the root of everything in this module."""


class BuildError(ContractsError):
    """Raised when the Solidity sources cannot be compiled (no node, no npm solc, compiler errors)."""


class ChainUnavailableError(ContractsError):
    """Raised when a chain cannot be reached or started (unreachable RPC URL, anvil did not start)."""


class JuryGasTooLow(ContractsError):
    """Raised when a NodeJury would be deployed with less callback gas than ending a game by verdict takes."""


class TransactionFailedError(ContractsError):
    """Raised when a mined transaction failed and its revert cannot be reproduced to name the cause."""


class ContractRevert(ContractsError):
    """Raised when a contract call or transaction reverts; the base of the one-class-per-error map."""

    template: ClassVar[str] = "reverted"
    solidity_name: ClassVar[str | None] = None

    def __init__(self, **fields: Any):
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)
        try:
            message = self.template.format(**{k: _show(v) for k, v in fields.items()})
        except (KeyError, IndexError):
            message = f"{type(self).__name__}({', '.join(f'{k}={_show(v)}' for k, v in fields.items())})"
        super().__init__(message)


def _show(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


class UnknownRevert(ContractRevert):
    """Raised when revert data matches no known error (empty data: out of gas, or a bare revert)."""

    template = "reverted with unrecognised data {data}"


class RevertedWithReason(ContractRevert):
    """Raised when a contract reverts with a string reason (`Error(string)`)."""

    template = "reverted: {reason}"


class Panic(ContractRevert):
    """Raised when a contract hits a Solidity panic (`Panic(uint256)`: overflow, bad index, ...)."""

    template = "panic {code:#x} (0x11 overflow, 0x12 division by zero, 0x32 index out of bounds)"


# ---------------------------------------------------------------- one class per Solidity error


class InvalidConfig(ContractRevert):
    """Raised when a contract is deployed with parameters it rejects, or a consumer has no code."""

    template = "invalid configuration: {what}"


class NotAuthorized(ContractRevert):
    """Raised when an account calls an admin- or protocol-only function of the node registry."""

    template = "{caller} is not authorized for this call"


class ModelAlreadyRegistered(ContractRevert):
    """Raised when a model whose id is already in the model registry is registered again."""

    template = "model {modelId} is already registered"


class UnknownModel(ContractRevert):
    """Raised when a request or lookup names a model id that is not in the model registry."""

    template = "model {modelId} is not registered"


class EmptyModelRoot(ContractRevert):
    """Raised when a model is registered with a zero program root or weights root."""

    template = "a model needs a non-zero program root and weights root"


class StakeTooLow(ContractRevert):
    """Raised when a node registers or tops up to a stake below the minimum stake."""

    template = "node {node}: stake {stake} is below the minimum {minStake}"


class RegistryFull(ContractRevert):
    """Raised when a new node registers while the registry holds its maximum number of nodes."""

    template = "the node registry is full ({maxNodes} nodes)"


class UnknownNode(ContractRevert):
    """Raised when an account that never registered acts as, or is looked up as, a node."""

    template = "{node} is not a registered node"


class WithdrawalPending(ContractRevert):
    """Raised when a node that asked to withdraw stakes again or asks to withdraw a second time."""

    template = "node {node} is withdrawing (unlocks at block {unlockBlock})"


class WithdrawalNotRequested(ContractRevert):
    """Raised when a node withdraws its stake without having asked to withdraw first."""

    template = "node {node} has not asked to withdraw"


class WithdrawalLocked(ContractRevert):
    """Raised when a node withdraws before its withdrawal delay has passed."""

    template = "node {node}: stake is locked until block {unlockBlock}"


class NothingToClaim(ContractRevert):
    """Raised when an account with no credited rewards or refunds claims."""

    template = "{account} has nothing to claim"


class NotEnoughNodes(ContractRevert):
    """Raised when a committee is drawn while fewer eligible nodes exist than its size."""

    template = "only {eligible} eligible nodes for a committee of {needed}"


class StakeLocked(ContractRevert):
    """Raised when a node withdraws while its stake backs rounds that have not settled."""

    template = "node {node}: stake backs {openRounds} open round(s) and cannot leave until they settle"


class SnapshotNotPast(ContractRevert):
    """Raised when a committee is drawn from the stakes of a block that is not yet finished."""

    template = "stakes as of block {atBlock} are not final at block {currentBlock}"


class FeeTooLow(ContractRevert):
    """Raised when a request pays less than the minimum fee."""

    template = "fee {fee} is below the minimum {minFee}"


class FeeTooHigh(ContractRevert):
    """Raised when a request pays more than the fee queue can hold (2**96 - 1 wei)."""

    template = "fee {fee} does not fit in 96 bits"


class MissingInput(ContractRevert):
    """Raised when a request carries neither an input nor a non-zero input hash."""

    template = "a request needs an input or a non-zero input hash"


class CallbackGasTooHigh(ContractRevert):
    """Raised when a request asks for more callback gas than the contract allows."""

    template = "callback gas {callbackGas} is above the maximum {maxCallbackGas}"


class UnknownRequest(ContractRevert):
    """Raised when a request id was never issued."""

    template = "request {requestId} does not exist"


class NothingToDispatch(ContractRevert):
    """Raised when dispatch finds no queued request whose seed block is mined, or no free slot."""

    template = "no queued request can be dispatched now"


class RequestNotQueued(ContractRevert):
    """Raised when a request that is not waiting in the queue (dispatched or settled) is cancelled."""

    template = "request {requestId} is not queued"


class NotRequester(ContractRevert):
    """Raised when an account other than a request's requester cancels it."""

    template = "request {requestId}: {caller} is not its requester"


class CancelTooEarly(ContractRevert):
    """Raised when a queued request is cancelled while it can still be dispatched."""

    template = "request {requestId} can be cancelled from block {cancelBlock}"


class RequestNotActive(ContractRevert):
    """Raised when a request is committed, revealed or finalized while not dispatched (queued or settled)."""

    template = "request {requestId} is not in its commit/reveal round"


class NotCommitteeMember(ContractRevert):
    """Raised when an account not drawn for a request's committee commits or reveals."""

    template = "request {requestId}: {member} is not a member of its committee"


class AlreadyCommitted(ContractRevert):
    """Raised when a member commits a second time to the same request."""

    template = "request {requestId}: {member} has already committed"


class CommitWindowClosed(ContractRevert):
    """Raised when a member commits after the request's commit deadline."""

    template = "request {requestId}: {member} committed after the commit deadline (block {deadline})"


class RevealWindowNotOpen(ContractRevert):
    """Raised when a member reveals while commitments may still come (commit window open)."""

    template = "request {requestId}: {member} revealed before the reveal window opened"


class RevealWindowClosed(ContractRevert):
    """Raised when a member reveals after the request's reveal deadline."""

    template = "request {requestId}: {member} revealed after the reveal deadline (block {deadline})"


class NotCommitted(ContractRevert):
    """Raised when a member reveals without having committed."""

    template = "request {requestId}: {member} reveals without a commitment"


class AlreadyRevealed(ContractRevert):
    """Raised when a member reveals a second time."""

    template = "request {requestId}: {member} has already revealed"


class RevealMismatch(ContractRevert):
    """Raised when a reveal's keccak256(result, member, salt) differs from the member's commitment."""

    template = "request {requestId}: the reveal of {member} does not match its commitment"


class RevealWindowOpen(ContractRevert):
    """Raised when a request is finalized while reveals can still change its outcome."""

    template = "request {requestId}: reveals still open until block {deadline}"


class AlreadyDeclined(ContractRevert):
    """Raised when a member that declined a request commits to it or declines it again."""

    template = "request {requestId}: {member} already declined it"


class ResultKindUnsupported(ContractRevert):
    """Raised when a request asks a result kind that no member computes (TOKEN_IDS until generation, or
    an unknown one), or a kind is bound that needs no binding."""

    template = "result kind {resultKind} is not computed by any member"


class ResultKindNotBound(ContractRevert):
    """Raised when a request asks RAW or NODE_CHECK from a caller Brain's deployer did not bind to that kind
    (only a hybrid court asks RAW, only a node jury NODE_CHECK)."""

    template = "result kind {resultKind} is not bound to caller {caller}"


class InputSizeMismatch(ContractRevert):
    """Raised when an OUTPUT_ROOT request's input is not the byte size proven for its model's input."""

    template = "model {modelId} takes {expectedBytes} input bytes, the request has {inputBytes}"


class InputSizeAlreadyProven(ContractRevert):
    """Raised when a model's input size is proven a second time (a proven size is never replaced)."""

    template = "model {modelId}: input size already proven ({inputBytes} bytes)"


class InsufficientGasForCallback(ContractRevert):
    """Raised when finalizing a request with too little gas left to run its callback in full."""

    template = "request {requestId}: {gasLeft} gas left, the callback needs {needed}"


class SeedBlockNotParent(ContractRevert):
    """Raised when a single-phase request names a seed block other than its own block's parent."""

    template = "seed block {seedBlock} is not the parent block {parent}: the caller does not pick the seed"


class InvalidSignature(ContractRevert):
    """Raised when a single-phase request carries a malformed signature."""

    template = "signature #{index} is malformed"


class SignerNotInCommittee(ContractRevert):
    """Raised when a single-phase result is signed by an account outside the request's committee."""

    template = "{signer} signed but is not in the committee"


class DuplicateSigner(ContractRevert):
    """Raised when a single-phase result carries two signatures of the same member."""

    template = "{signer} signed twice"


class QuorumNotReached(ContractRevert):
    """Raised when a single-phase result has too few committee signatures for the quorum."""

    template = "{votes} of {committeeSize} members signed: below the quorum"


class UnauthorizedCaller(ContractRevert):
    """Raised when an account other than its oracles calls a consumer's callback."""

    template = "{caller} may not deliver results to this consumer"


class ReentrancyGuardReentrantCall(ContractRevert):
    """Raised when a guarded function is re-entered (OpenZeppelin ReentrancyGuard)."""

    template = "reentrant call"


class FailedCall(ContractRevert):
    """Raised when a value transfer to an account fails (OpenZeppelin Address.sendValue)."""

    template = "the value transfer failed"


class InsufficientBalance(ContractRevert):
    """Raised when a contract sends more value than it holds (OpenZeppelin Address.sendValue)."""

    template = "balance {balance} is below the amount {needed}"


class CheckpointUnorderedInsertion(ContractRevert):
    """Raised when a stake checkpoint would be written before the latest one (OpenZeppelin Checkpoints)."""

    template = "stake checkpoint out of order"


# ---- verified training


class UnknownVersion(ContractRevert):
    """Raised when a proposal or lookup names a global version the training task has not reached."""

    template = "global version {version} does not exist (the task is at version {current})"


class StaleBaseVersion(ContractRevert):
    """Raised when a proposal's base version lags the current one by more than the task's max staleness."""

    template = "base version {baseVersion} is more than {maxStaleness} versions behind the current {current}"


class MissingWeights(ContractRevert):
    """Raised when a proposal or a training task carries a zero weights commitment."""

    template = "a proposal needs a non-zero weights commitment"


class NotEligible(ContractRevert):
    """Raised when a registered node without eligible stake (withdrawing, slashed below minimum) proposes."""

    template = "node {node} has no eligible stake"


class SeedNotReady(ContractRevert):
    """Raised when a seed is needed before its block (the block after the version or proposal) is mined."""

    template = "the seed block {seedBlock} is not mined yet"


class SeedExpired(ContractRevert):
    """Raised when a training version's seed block fell out of the last 256 blocks before it was recorded."""

    template = "the seed block {seedBlock} is older than 256 blocks; call reseed()"


class UnknownProposal(ContractRevert):
    """Raised when a training proposal id was never issued."""

    template = "proposal {proposalId} does not exist"


class ProposalNotActive(ContractRevert):
    """Raised when a proposal is dispatched, scored or finalized in a status that does not allow it."""

    template = "proposal {proposalId} is in status {status} (1 proposed, 2 scoring, 3 accepted, 4 rejected, 5 timed out)"


class ScoreOutOfRange(ContractRevert):
    """Raised when a scorer reveals a score above the training contract's maximum."""

    template = "proposal {proposalId}: score {score} is outside 0..{maxScore}"


# ---- output proofs (contracts/src/lib/OutputProof.sol)


class InvalidOutputProof(ContractRevert):
    """Raised when an output element's chunk and path (or a whole output's bytes) do not fold to the delivered root."""

    template = "the proof of chunk/element {index} does not match output root {root}"


class SliceNotInOneChunk(ContractRevert):
    """Raised when an output slice spans more than one 512-element chunk (prove each chunk's part)."""

    template = "slice of {length} elements from {first} spans more than one chunk"


# ---- example dapps (contracts/examples/)


class ResultNotDelivered(ContractRevert):
    """Raised when an example dapp is asked to act on a request whose result its callback has not received."""

    template = "request {requestId}: no result delivered yet"


class LabelNotTarget(ContractRevert):
    """Raised when an example dapp's verified label is not the one it pays out on."""

    template = "request {requestId}: the verified label is {label}, the bounty pays on {target}"


class AlreadyPaidOut(ContractRevert):
    """Raised when an example dapp is asked to pay out a request a second time."""

    template = "request {requestId} was already paid out"


# ---- one-step


class MalformedDescriptor(ContractRevert):
    """Raised when a one-step proof's node or header descriptor bytes do not decode (or name another step)."""

    template = "step {step}: the node descriptor is malformed"


class MalformedProof(ContractRevert):
    """Raised when a one-step proof bundle does not match its node (number of inputs, chunk lists)."""

    template = "step {step}: the proof bundle does not match the node's inputs"


class InvalidDescriptorProof(ContractRevert):
    """Raised when a descriptor's path does not fold to the program root at its leaf (0: the header)."""

    template = "step {step}: the descriptor does not verify against the program root"


class InvalidStateProof(ContractRevert):
    """Raised when an input's tensor root does not fold to the state root at the input's slot."""

    template = "slot {slot}: the tensor root does not verify against the state root"


class InvalidChunkProof(ContractRevert):
    """Raised when a proven chunk does not fold to its input's tensor root (or is not 1024 bytes)."""

    template = "slot {slot}: chunk {chunk} does not verify against the tensor root"


class MissingChunk(ContractRevert):
    """Raised when a one-step kernel reads an element whose chunk the proof does not carry."""

    template = "input {input}: chunk {chunk} is read but not in the proof"


class MissingAttribute(ContractRevert):
    """Raised when a one-step kernel needs a node attribute that the descriptor lacks."""

    template = "the node has no attribute '{name}'"


class UnsupportedOp(ContractRevert):
    """Raised when a node's op code has no one-step kernel registered."""

    template = "op code {opCode} has no one-step kernel"


class ElementOutOfRange(ContractRevert):
    """Raised when a one-step element lies past the output's padded tensor tree, or an output proof
    (lib/OutputProof.sol) asks for an element past the output's element count."""

    template = "element {element} is past the output (size {size}) and its padding"


class GatherIndexOutOfRange(ContractRevert):
    """Raised when a Gather's index lies outside [-size, size) of the table it indexes."""

    template = "index {index} is outside the table's {size} rows"


# ---- opML game
# Each class is also the `bisection.errors` class of the same name, so callers of `contracts.arbiter.ChainArbiter`
# catch the same names as with the in-memory arbiter.

from bisection import errors as _game  # noqa: E402 - the game's names, after the classes above


class UnknownClaim(ContractRevert, _game.UnknownClaim):
    """Raised when a claim id does not exist in the opML game contract."""

    template = "no claim {claimId}"


class UnknownGame(ContractRevert, _game.UnknownGame):
    """Raised when a game id does not exist in the opML game contract."""

    template = "no game {gameId}"


class InvalidInput(ContractRevert, _game.InvalidInput):
    """Raised when a claim's request input is not the model's input tensor (its byte length)."""

    template = "the request input is {inputBytes} bytes; the model's input slot takes {expectedBytes}"


class InsufficientBond(ContractRevert, _game.InsufficientBond):
    """Raised when a claim or a challenge carries a bond below the game contract's minimum."""

    template = "bond {bond} is below the minimum {minBond}"


class InvalidClaim(ContractRevert, _game.InvalidClaim):
    """Raised when a claim's output root is not the output slot of its final state root."""

    template = "output root is not slot {outputSlot} of the claimed final state"


class ChallengeWindowClosed(ContractRevert, _game.ChallengeWindowClosed):
    """Raised when a game is opened on a claim after its challenge window, or on a resolved claim."""

    template = "claim {claimId} is resolved or its window ended at block {deadline}"


class ClaimNotFinalizable(ContractRevert, _game.ClaimNotFinalizable):
    """Raised when a claim is resolved before its window ended or while one of its games is open."""

    template = "claim {claimId}: window ends at block {deadline}, {openGames} game(s) open"


class ClaimPending(ContractRevert, _game.ClaimPending):
    """Raised when a game is closed without a winner while its claim is still pending (only the open
    games of a rejected claim close that way)."""

    template = "claim {claimId} is pending: its games end by a move or a timeout, not by closeGame"


class ClaimNotFinal(ContractRevert, _game.GameError):
    """Raised when a consumer reads the result of a claim that is not final."""

    template = "claim {claimId} is not final"


class NotYourTurn(ContractRevert, _game.NotYourTurn):
    """Raised when a player moves while it is the other side's turn, or is not a party of the game."""

    template = "game {gameId}: it is not {player}'s turn"


class WrongPhase(ContractRevert, _game.WrongPhase):
    """Raised when a move is not one the game's current phase accepts."""

    template = "game {gameId} is in phase {phase}, not {expected} (0 bisect, 1 output, 2 pick, 3 reveal, 4 step)"


class InvalidMove(ContractRevert, _game.InvalidMove):
    """Raised when a move is malformed for its phase (a missing or extra midpoint root, an index out of range)."""

    template = "game {gameId}: {why}"


class ClockTimeExceeded(ContractRevert, _game.ClockTimeExceeded):
    """Raised when a side moves after its chess clock ran out; the other side may claim the timeout."""

    template = "game {gameId}: the clock ran out ({elapsed} blocks taken, {remaining} left)"


class ClockNotExpired(ContractRevert, _game.ClockNotExpired):
    """Raised when a timeout is claimed while the side to move still has time on its clock."""

    template = "game {gameId}: the side to move has {remaining} blocks left"


class GameOver(ContractRevert, _game.GameOver):
    """Raised when a move is made in a game that is already resolved."""

    template = "game {gameId} is over"


class InvalidProof(ContractRevert, _game.InvalidProof):
    """Raised when a Merkle proof or a revealed preimage does not verify against the committed root."""

    template = "game {gameId}: {what}"


class InvalidPrestate(ContractRevert, _game.InvalidPrestate):
    """Raised when data said to be in the agreed state S_L does not verify against S_L's root."""

    template = "game {gameId}: slot {slot} is not unwritten in S_lo under this path"


class InvalidModelProof(ContractRevert, _game.UnsupportedProgram):
    """Raised when an opML model registration's header, input path or input node does not verify."""

    template = "model registration: {what}"


class RequestNotSettleable(ContractRevert):
    """Raised when an opML request is settled while no claim is final and it may still be answered."""

    template = "opML request {requestId} cannot be settled yet: no final claim, and it is open until block {deadline} or a claim is pending"


class ClaimMismatch(ContractRevert):
    """Raised when a claim linked as an opML request's answer is about another model or input."""

    template = "claim {claimId} is not about request {requestId}'s model and input"


class StaleClaim(ContractRevert):
    """Raised when a claim linked as an opML request's answer is not pending or was submitted before the request."""

    template = "claim {claimId} cannot answer request {requestId}: it is no longer pending or predates the request"
# ---------------------------------------------------------------- float nodes (OpmlGame.postNode, NodeJury)


class JuryNotSet(ContractRevert):
    """Raised when a float step's node is posted to a game that has no jury bound yet (setJury)."""

    template = "the game has no jury: float steps cannot be posted until setJury"


class JuryAlreadySet(ContractRevert):
    """Raised when a game's jury (or a jury's game) is bound a second time."""

    template = "already bound to {jury}"


class WrongNodeKind(ContractRevert):
    """Raised when postOutput names a float (ONNX_NODE) step, or postNode a step with a one-step kernel."""

    template = "game {gameId}: op code {opCode}: {why}"


class InvalidNodeInput(ContractRevert):
    """Raised when a posted float node's input (leaf, path in S_lo, or bytes) does not verify."""

    template = "game {gameId}: node input {index}: {why}"


class InvalidNodeOutput(ContractRevert):
    """Raised when a posted float node's output bytes are not the output slot's tensor with the posted root."""

    template = "game {gameId}: {why}"


class VotePending(ContractRevert):
    """Raised when a timeout is claimed on a game whose float node is before its jury (no clock runs)."""

    template = "game {gameId} waits for its jury's verdict: no clock runs"


class UnknownJuryCase(ContractRevert):
    """Raised when the jury is asked about a game (or a Brain round) it never convened for."""

    template = "no jury case for {gameId}"


class JuryRoundOpen(ContractRevert):
    """Raised when a jury round is filed again while the game's Brain round is still open (queued or voting)."""

    template = "game {gameId}: its jury round {requestId} is open (Brain status {status})"


class NothingToRetry(ContractRevert):
    """Raised when a jury case whose verdict already reached its game is retried."""

    template = "game {gameId}: the jury's verdict was delivered; nothing to retry"


class JuryTaskMismatch(ContractRevert):
    """Raised when a jury round is re-filed with a task other than the one its last round was given."""

    template = "game {gameId}: the task is not the one jury round {requestId} was given"


class FeeNotNeeded(ContractRevert):
    """Raised when a jury case whose round gave a verdict (undelivered) is retried with a fee: it is delivered, not re-filed."""

    template = "game {gameId}: its jury gave a verdict, which retry delivers without a fee ({value} wei sent)"


# ---------------------------------------------------------------- hybrid (HybridCourt)

# HybridCourt.Status, by value (contracts/src/hybrid/HybridCourt.sol).
HYBRID_STATUSES = ("none", "pending", "decided", "provisional", "challenged", "defended", "overturned", "final",
                   "timed out")


def _status_name(status: int) -> str:
    return HYBRID_STATUSES[status] if 0 <= status < len(HYBRID_STATUSES) else str(status)


class WrongHybridStatus(ContractRevert):
    """Raised when a hybrid request is published, challenged, defended or adopted in a status that does not allow it."""

    template = "hybrid request {requestId} is {statusName}: cannot {action} it now"

    def __init__(self, **fields: Any):
        super().__init__(**fields, statusName=_status_name(fields.get("status", -1)))


class HybridWindowClosed(ContractRevert):
    """Raised when a hybrid request's challenge, defend or adopt window closed before the transaction."""

    template = "hybrid request {requestId}: the window closed at block {deadline}"


class HybridWindowOpen(ContractRevert):
    """Raised when a hybrid request is resolved while its current window is still open."""

    template = "hybrid request {requestId}: the window is open until block {deadline}"


class AnswerNotVoted(ContractRevert):
    """Raised when an account publishes a pair that is not the vote it revealed (or not the majority's, once decided)."""

    template = "hybrid request {requestId}: {member} did not reveal this (output root, final root) as its vote"


class AnswerAlreadyPublished(ContractRevert):
    """Raised when the pair behind a hybrid vote is published a second time."""

    template = "hybrid request {requestId}: the pair of vote {vote} is already published"


class InvalidAnswerProof(ContractRevert):
    """Raised when a published output root is not the output slot of the published final state root."""

    template = "hybrid request {requestId}: the output root is not slot {outputSlot} of the final state root"


class ClaimDoesNotMatch(ContractRevert):
    """Raised when an opML claim named for a hybrid request does not answer it (model, input, answer or age)."""

    template = "hybrid request {requestId}: claim {claimId} does not fit: {why}"


class DefenderNotInMajority(ContractRevert):
    """Raised when a hybrid answer's defense claim was submitted by an account outside the voting majority."""

    template = "hybrid request {requestId}: {defender} is not a member of the majority"


class NothingToResolve(ContractRevert):
    """Raised when a hybrid request is resolved while nothing is due (round open, game running, settled)."""

    template = "hybrid request {requestId} is {statusName}: nothing to resolve now"

    def __init__(self, **fields: Any):
        super().__init__(**fields, statusName=_status_name(fields.get("status", -1)))


class AnswerNotFinal(ContractRevert):
    """Raised when a hybrid request's final result is read before it is final."""

    template = "hybrid request {requestId} is {statusName}, not final"

    def __init__(self, **fields: Any):
        super().__init__(**fields, statusName=_status_name(fields.get("status", -1)))


# ---------------------------------------------------------------- request inputs (lib/InputEncoding.sol)


class InputOutOfRange(ContractRevert):
    """Raised when an input element built on chain does not fit its encoding's range (or a quantization
    divides by zero)."""

    template = "input element {index} is {value}, outside {min}..{max} of its encoding"


# ---------------------------------------------------------------- decoding


@lru_cache(maxsize=1)
def abi_errors() -> dict[bytes, tuple[str, list[dict]]]:
    """Every custom error in the committed artifacts: selector -> (name, inputs)."""
    found: dict[bytes, tuple[str, list[dict]]] = {}
    for path in sorted(ARTIFACTS.glob("*.json")):
        for item in json.loads(path.read_text())["abi"]:
            if item["type"] == "error":
                sig = f"{item['name']}({','.join(_abi_type(i) for i in item['inputs'])})"
                found[keccak(text=sig)[:4]] = (item["name"], item["inputs"])
    return found


def _abi_type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + param["type"][5:]
    return param["type"]


def error_classes() -> dict[str, type[ContractRevert]]:
    """The classes that stand for Solidity custom errors, by Solidity name."""
    generic = {ContractRevert, UnknownRevert, RevertedWithReason, Panic}
    return {c.__name__: c for c in ContractRevert.__subclasses__() if c not in generic}


_ERROR_SELECTOR = keccak(text="Error(string)")[:4]
_PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]


def decode_revert(data: bytes | str | None) -> ContractRevert:
    """The exception for a revert's return data (bytes or 0x-hex)."""
    if isinstance(data, str):
        data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    data = data or b""
    selector, body = data[:4], data[4:]
    if selector == _ERROR_SELECTOR:
        return RevertedWithReason(reason=abi_decode(["string"], body)[0])
    if selector == _PANIC_SELECTOR:
        return Panic(code=abi_decode(["uint256"], body)[0])
    known = abi_errors().get(selector)
    cls = error_classes().get(known[0]) if known else None
    if known is None or cls is None:
        return UnknownRevert(data=data)
    name, inputs = known
    values = abi_decode([_abi_type(i) for i in inputs], body)
    fields = {}
    for param, value in zip(inputs, values):
        if param["type"] == "address":
            value = to_checksum_address(value)
        fields[param["name"] or f"arg{len(fields)}"] = value
    return cls(**fields)
