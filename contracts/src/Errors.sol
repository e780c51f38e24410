// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// Every custom error of Tribunal's contracts, named after the condition that raises it. Each one maps
// one to one to a Python exception that `python -m contracts.build` generates into contracts/abi_types.py:
// `@notice` is its message (a str.format template over the error's parameters), `@dev` its docstring,
// `@custom:also` a Python exception it also is (the in-memory game's class of the same condition).

// --- configuration and access ---
/// @notice invalid configuration: {what}
/// @dev Raised when a contract is deployed with parameters it rejects, or a consumer has no code.
error InvalidConfig(string what);
/// @notice {caller} is not authorized for this call
/// @dev Raised when an account calls an admin- or protocol-only function of the node registry.
error NotAuthorized(address caller);

// --- model registry ---
/// @notice model {modelId} is already registered
/// @dev Raised when a model whose id is already in the model registry is registered again.
error ModelAlreadyRegistered(bytes32 modelId);
/// @notice model {modelId} is not registered
/// @dev Raised when a request or lookup names a model id that is not in the model registry.
error UnknownModel(bytes32 modelId);
/// @notice a model needs a non-zero program root and weights root
/// @dev Raised when a model is registered with a zero program root or weights root.
error EmptyModelRoot();

// --- node registry ---
/// @notice node {node}: stake {stake} is below the minimum {minStake}
/// @dev Raised when a node registers or tops up to a stake below the minimum stake.
error StakeTooLow(address node, uint256 stake, uint256 minStake);
/// @notice the node registry is full ({maxNodes} nodes)
/// @dev Raised when a new node registers while the registry holds its maximum number of nodes.
error RegistryFull(uint256 maxNodes);
/// @notice {node} is not a registered node
/// @dev Raised when an account that never registered acts as, or is looked up as, a node.
error UnknownNode(address node);
/// @notice node {node} is withdrawing (unlocks at block {unlockBlock})
/// @dev Raised when a node that asked to withdraw stakes again or asks to withdraw a second time.
error WithdrawalPending(address node, uint256 unlockBlock);
/// @notice node {node} has not asked to withdraw
/// @dev Raised when a node withdraws its stake without having asked to withdraw first.
error WithdrawalNotRequested(address node);
/// @notice node {node}: stake is locked until block {unlockBlock}
/// @dev Raised when a node withdraws before its withdrawal delay has passed.
error WithdrawalLocked(address node, uint256 unlockBlock);
/// @notice {account} has nothing to claim
/// @dev Raised when an account with no credited rewards or refunds claims.
error NothingToClaim(address account);
/// @notice only {eligible} eligible nodes for a committee of {needed}
/// @dev Raised when a committee is drawn while fewer eligible nodes exist than its size.
error NotEnoughNodes(uint256 eligible, uint256 needed);
/// @notice node {node}: stake backs {openRounds} open round(s) and cannot leave until they settle
/// @dev Raised when a node withdraws while its stake backs rounds that have not settled.
error StakeLocked(address node, uint256 openRounds);
/// @notice stakes as of block {atBlock} are not final at block {currentBlock}
/// @dev Raised when a committee is drawn from the stakes of a block that is not yet finished.
error SnapshotNotPast(uint256 atBlock, uint256 currentBlock);

// --- requests and the fee queue ---
/// @notice fee {fee} is below the minimum {minFee}
/// @dev Raised when a request pays less than the minimum fee.
error FeeTooLow(uint256 fee, uint256 minFee);
/// @notice fee {fee} does not fit in 96 bits
/// @dev Raised when a request pays more than the fee queue can hold (2**96 - 1 wei).
error FeeTooHigh(uint256 fee);
/// @notice a request needs an input or a non-zero input hash
/// @dev Raised when a request carries neither an input nor a non-zero input hash.
error MissingInput();
/// @notice callback gas {callbackGas} is above the maximum {maxCallbackGas}
/// @dev Raised when a request asks for more callback gas than the contract allows.
error CallbackGasTooHigh(uint256 callbackGas, uint256 maxCallbackGas);
/// @notice request {requestId} does not exist
/// @dev Raised when a request id was never issued.
error UnknownRequest(uint256 requestId);
/// @notice no queued request can be dispatched now
/// @dev Raised when dispatch finds no queued request whose seed block is mined, or no free slot.
error NothingToDispatch();
/// @notice request {requestId} is not queued
/// @dev Raised when a request that is not waiting in the queue (dispatched or settled) is cancelled.
error RequestNotQueued(uint256 requestId);
/// @notice request {requestId}: {caller} is not its requester
/// @dev Raised when an account other than a request's requester cancels it.
error NotRequester(uint256 requestId, address caller);
/// @notice request {requestId} can be cancelled from block {cancelBlock}
/// @dev Raised when a queued request is cancelled while it can still be dispatched.
error CancelTooEarly(uint256 requestId, uint256 cancelBlock);

// --- commit / reveal / finalize ---
/// @notice request {requestId} is not in its commit/reveal round
/// @dev Raised when a request is committed, revealed or finalized while not dispatched (queued or settled).
error RequestNotActive(uint256 requestId);
/// @notice request {requestId}: {member} is not a member of its committee
/// @dev Raised when an account not drawn for a request's committee commits or reveals.
error NotCommitteeMember(uint256 requestId, address member);
/// @notice request {requestId}: {member} has already committed
/// @dev Raised when a member commits a second time to the same request.
error AlreadyCommitted(uint256 requestId, address member);
/// @notice request {requestId}: {member} committed after the commit deadline (block {deadline})
/// @dev Raised when a member commits after the request's commit deadline.
error CommitWindowClosed(uint256 requestId, address member, uint256 deadline);
/// @notice request {requestId}: {member} revealed before the reveal window opened
/// @dev Raised when a member reveals while commitments may still come (commit window open).
error RevealWindowNotOpen(uint256 requestId, address member);
/// @notice request {requestId}: {member} revealed after the reveal deadline (block {deadline})
/// @dev Raised when a member reveals after the request's reveal deadline.
error RevealWindowClosed(uint256 requestId, address member, uint256 deadline);
/// @notice request {requestId}: {member} reveals without a commitment
/// @dev Raised when a member reveals without having committed.
error NotCommitted(uint256 requestId, address member);
/// @notice request {requestId}: {member} has already revealed
/// @dev Raised when a member reveals a second time.
error AlreadyRevealed(uint256 requestId, address member);
/// @notice request {requestId}: the reveal of {member} does not match its commitment
/// @dev Raised when a reveal's keccak256(result, member, salt) differs from the member's commitment.
error RevealMismatch(uint256 requestId, address member);
/// @notice request {requestId}: reveals still open until block {deadline}
/// @dev Raised when a request is finalized while reveals can still change its outcome.
error RevealWindowOpen(uint256 requestId, uint256 deadline);
/// @notice request {requestId}: {member} already declined it
/// @dev Raised when a member that declined a request commits to it or declines it again.
error AlreadyDeclined(uint256 requestId, address member);
/// @notice result kind {resultKind} is not computed by any member
/// @dev Raised when a request asks a result kind that no member computes (an unknown one), or a kind is bound that
/// needs no binding.
error ResultKindUnsupported(uint8 resultKind);
/// @notice result kind {resultKind} is not bound to caller {caller}
/// @dev Raised when a request asks RAW or NODE_CHECK from a caller Brain's deployer did not bind to that kind (only
/// a hybrid court asks RAW, only a node jury NODE_CHECK).
error ResultKindNotBound(uint8 resultKind, address caller);
/// @notice model {modelId} takes {expectedBytes} input bytes, the request has {inputBytes}
/// @dev Raised when an OUTPUT_ROOT request's input is not the byte size proven for its model's input.
error InputSizeMismatch(bytes32 modelId, uint256 inputBytes, uint256 expectedBytes);
/// @notice model {modelId}: input size already proven ({inputBytes} bytes)
/// @dev Raised when a model's input size is proven a second time (a proven size is never replaced).
error InputSizeAlreadyProven(bytes32 modelId, uint256 inputBytes);
/// @notice request {requestId}: {gasLeft} gas left, the callback needs {needed}
/// @dev Raised when finalizing a request with too little gas left to run its callback in full.
error InsufficientGasForCallback(uint256 requestId, uint256 gasLeft, uint256 needed);

// --- single-phase baseline ---
/// @notice seed block {seedBlock} is not the parent block {parent}: the caller does not pick the seed
/// @dev Raised when a single-phase request names a seed block other than its own block's parent.
error SeedBlockNotParent(uint256 seedBlock, uint256 parent);
/// @notice signature #{index} is malformed
/// @dev Raised when a single-phase request carries a malformed signature.
error InvalidSignature(uint256 index);
/// @notice {signer} signed but is not in the committee
/// @dev Raised when a single-phase result is signed by an account outside the request's committee.
error SignerNotInCommittee(address signer);
/// @notice {signer} signed twice
/// @dev Raised when a single-phase result carries two signatures of the same member.
error DuplicateSigner(address signer);
/// @notice {votes} of {committeeSize} members signed: below the quorum
/// @dev Raised when a single-phase result has too few committee signatures for the quorum.
error QuorumNotReached(uint256 votes, uint256 committeeSize);

// --- consumers ---
/// @notice {caller} may not deliver results to this consumer
/// @dev Raised when an account other than its oracles calls a consumer's callback.
error UnauthorizedCaller(address caller);

// ---- one-step
/// @notice step {step}: the node descriptor is malformed
/// @dev Raised when a one-step proof's node or header descriptor bytes do not decode (or name another step).
error MalformedDescriptor(uint256 step);
/// @notice step {step}: the proof bundle does not match the node's inputs
/// @dev Raised when a one-step proof bundle does not match its node (number of inputs, chunk lists).
error MalformedProof(uint256 step);
/// @notice step {step}: the descriptor does not verify against the program root
/// @dev Raised when a descriptor's path does not fold to the program root at its leaf (0: the header).
error InvalidDescriptorProof(uint256 step);
/// @notice slot {slot}: the tensor root does not verify against the state root
/// @dev Raised when an input's tensor root does not fold to the state root at the input's slot.
error InvalidStateProof(uint256 slot);
/// @notice slot {slot}: chunk {chunk} does not verify against the tensor root
/// @dev Raised when a proven chunk does not fold to its input's tensor root (or is not 1024 bytes).
error InvalidChunkProof(uint256 slot, uint256 chunk);
/// @notice input {input}: chunk {chunk} is read but not in the proof
/// @dev Raised when a one-step kernel reads an element whose chunk the proof does not carry.
error MissingChunk(uint256 input, uint256 chunk);
/// @notice the node has no attribute '{name}'
/// @dev Raised when a one-step kernel needs a node attribute that the descriptor lacks.
error MissingAttribute(string name);
/// @notice op code {opCode} has no one-step kernel
/// @dev Raised when a node's op code has no one-step kernel registered.
error UnsupportedOp(uint256 opCode);
/// @notice element {element} is past the output (size {size}) and its padding
/// @dev Raised when a one-step element lies past the output's padded tensor tree, or an output proof
/// (lib/OutputProof.sol) asks for an element past the output's element count.
error ElementOutOfRange(uint256 element, uint256 size);
/// @notice index {index} is outside the table's {size} rows
/// @dev Raised when a Gather's index lies outside [-size, size) of the table it indexes.
error GatherIndexOutOfRange(int256 index, uint256 size);

// ---- opML game
// Named as in bisection/errors.py where the condition is the same (the in-memory arbiter's rules).
/// @notice no claim {claimId}
/// @dev Raised when a claim id does not exist in the opML game contract.
/// @custom:also bisection.errors.UnknownClaim
error UnknownClaim(uint256 claimId);
/// @notice no game {gameId}
/// @dev Raised when a game id does not exist in the opML game contract.
/// @custom:also bisection.errors.UnknownGame
error UnknownGame(uint256 gameId);
/// @notice the request input is {inputBytes} bytes; the model's input slot takes {expectedBytes}
/// @dev Raised when a claim's request input is not the model's input tensor (its byte length).
/// @custom:also bisection.errors.InvalidInput
error InvalidInput(uint256 inputBytes, uint256 expectedBytes);
/// @notice bond {bond} is below the minimum {minBond}
/// @dev Raised when a claim or a challenge carries a bond below the game contract's minimum.
/// @custom:also bisection.errors.InsufficientBond
error InsufficientBond(uint256 bond, uint256 minBond);
/// @notice output root is not slot {outputSlot} of the claimed final state
/// @dev Raised when a claim's output root is not the output slot of its final state root.
/// @custom:also bisection.errors.InvalidClaim
error InvalidClaim(uint256 outputSlot);
/// @notice claim {claimId} is resolved or its window ended at block {deadline}
/// @dev Raised when a game is opened on a claim after its challenge window, or on a resolved claim.
/// @custom:also bisection.errors.ChallengeWindowClosed
error ChallengeWindowClosed(uint256 claimId, uint256 deadline);
/// @notice claim {claimId}: window ends at block {deadline}, {openGames} game(s) open
/// @dev Raised when a claim is resolved before its window ended or while one of its games is open.
/// @custom:also bisection.errors.ClaimNotFinalizable
error ClaimNotFinalizable(uint256 claimId, uint256 deadline, uint256 openGames);
/// @notice claim {claimId} is not final
/// @dev Raised when a consumer reads the result of a claim that is not final.
/// @custom:also bisection.errors.GameError
error ClaimNotFinal(uint256 claimId);
/// @notice game {gameId}: it is not {player}'s turn
/// @dev Raised when a player moves while it is the other side's turn, or is not a party of the game.
/// @custom:also bisection.errors.NotYourTurn
error NotYourTurn(uint256 gameId, address player);
/// @notice game {gameId} is in phase {phase}, not {expected} (0 bisect, 1 output, 2 pick, 3 reveal, 4 step)
/// @dev Raised when a move is not one the game's current phase accepts.
/// @custom:also bisection.errors.WrongPhase
error WrongPhase(uint256 gameId, uint8 phase, uint8 expected);
/// @notice game {gameId}: {why}
/// @dev Raised when a move is malformed for its phase (a missing or extra midpoint root, an index out of range).
/// @custom:also bisection.errors.InvalidMove
error InvalidMove(uint256 gameId, string why);
/// @notice game {gameId}: the clock ran out ({elapsed} blocks taken, {remaining} left)
/// @dev Raised when a side moves after its chess clock ran out; the other side may claim the timeout.
/// @custom:also bisection.errors.ClockTimeExceeded
error ClockTimeExceeded(uint256 gameId, uint256 elapsed, uint256 remaining);
/// @notice game {gameId}: the side to move has {remaining} blocks left
/// @dev Raised when a timeout is claimed while the side to move still has time on its clock.
/// @custom:also bisection.errors.ClockNotExpired
error ClockNotExpired(uint256 gameId, uint256 remaining);
/// @notice game {gameId} is over
/// @dev Raised when a move is made in a game that is already resolved.
/// @custom:also bisection.errors.GameOver
error GameOver(uint256 gameId);
/// @notice game {gameId}: {what}
/// @dev Raised when a Merkle proof or a revealed preimage does not verify against the committed root.
/// @custom:also bisection.errors.InvalidProof
error InvalidProof(uint256 gameId, string what);
/// @notice game {gameId}: slot {slot} is not unwritten in S_lo under this path
/// @dev Raised when data said to be in the agreed state S_L does not verify against S_L's root.
/// @custom:also bisection.errors.InvalidPrestate
error InvalidPrestate(uint256 gameId, uint256 slot);
/// @notice model registration: {what}
/// @dev Raised when an opML model registration's header, input path or input node does not verify.
/// @custom:also bisection.errors.UnsupportedProgram
error InvalidModelProof(string what);
/// @notice claim {claimId} is pending: its games end by a move or a timeout, not by closeGame
/// @dev Raised when a game is closed without a winner while its claim is still pending (only the open games of a
/// rejected claim close that way).
/// @custom:also bisection.errors.ClaimPending
error ClaimPending(uint256 claimId);

// ---- opML requests (fee escrow for opML answers)
/// @notice opML request {requestId} cannot be settled yet: no final claim, and it is open until block {deadline} or
/// a claim is pending
/// @dev Raised when an opML request is settled while no claim is final and it may still be answered.
error RequestNotSettleable(uint256 requestId, uint256 deadline);
/// @notice claim {claimId} is not about request {requestId}'s model and input
/// @dev Raised when a claim linked as an opML request's answer is about another model or input.
error ClaimMismatch(uint256 requestId, uint256 claimId);
/// @notice claim {claimId} cannot answer request {requestId}: it is no longer pending or predates the request
/// @dev Raised when a claim linked as an opML request's answer is not pending or was submitted before the request.
error StaleClaim(uint256 requestId, uint256 claimId);
/// @notice an opML request cannot be open for {deadlineBlocks} blocks: its deadline block would not fit 64 bits
/// @dev Raised when an opML request's deadline block is past uint64 (it would wrap into the past).
error DeadlineTooFar(uint256 deadlineBlocks);

// ---- hybrid (HybridCourt)
/// @notice hybrid request {requestId} is {statusName}: cannot {action} it now
/// @dev Raised when a hybrid request is published, challenged, defended or adopted in a status that does not allow
/// it.
error WrongHybridStatus(uint256 requestId, uint8 status, string action);
/// @notice hybrid request {requestId}: the window closed at block {deadline}
/// @dev Raised when a hybrid request's challenge, defend or adopt window closed before the transaction.
error HybridWindowClosed(uint256 requestId, uint256 deadline);
/// @notice hybrid request {requestId}: the window is open until block {deadline}
/// @dev Raised when a hybrid request is resolved while its current window is still open.
error HybridWindowOpen(uint256 requestId, uint256 deadline);
/// @notice hybrid request {requestId}: {member} did not reveal this (output root, final root) as its vote
/// @dev Raised when an account publishes a pair that is not the vote it revealed (or not the majority's, once
/// decided).
error AnswerNotVoted(uint256 requestId, address member);
/// @notice hybrid request {requestId}: the pair of vote {vote} is already published
/// @dev Raised when the pair behind a hybrid vote is published a second time.
error AnswerAlreadyPublished(uint256 requestId, bytes32 vote);
/// @notice hybrid request {requestId}: the output root is not slot {outputSlot} of the final state root
/// @dev Raised when a published output root is not the output slot of the published final state root.
error InvalidAnswerProof(uint256 requestId, uint256 outputSlot);
/// @notice hybrid request {requestId}: claim {claimId} does not fit: {why}
/// @dev Raised when an opML claim named for a hybrid request does not answer it (model, input, answer or age).
error ClaimDoesNotMatch(uint256 requestId, uint256 claimId, string why);
/// @notice hybrid request {requestId}: {defender} is not a member of the majority
/// @dev Raised when a hybrid answer's defense claim was submitted by an account outside the voting majority.
error DefenderNotInMajority(uint256 requestId, address defender);
/// @notice hybrid request {requestId} is {statusName}: nothing to resolve now
/// @dev Raised when a hybrid request is resolved while nothing is due (round open, game running, settled).
error NothingToResolve(uint256 requestId, uint8 status);
/// @notice hybrid request {requestId} is {statusName}, not final
/// @dev Raised when a hybrid request's final result is read before it is final.
error AnswerNotFinal(uint256 requestId, uint8 status);

// ---- float nodes (OpmlGame.postNode and its jury, NodeJury)
/// @notice the game has no jury: float steps cannot be posted until setJury
/// @dev Raised when a float step's node is posted to a game that has no jury bound yet (setJury).
error JuryNotSet();
/// @notice already bound to {jury}
/// @dev Raised when a game's jury (or a jury's game) is bound a second time.
error JuryAlreadySet(address jury);
/// @notice game {gameId}: op code {opCode}: {why}
/// @dev Raised when postOutput names a float (ONNX_NODE) step, or postNode a step with a one-step kernel.
error WrongNodeKind(uint256 gameId, uint256 opCode, string why);
/// @notice game {gameId}: node input {index}: {why}
/// @dev Raised when a posted float node's input (leaf, path in S_lo, or bytes) does not verify.
error InvalidNodeInput(uint256 gameId, uint256 index, string why);
/// @notice game {gameId}: {why}
/// @dev Raised when a posted float node's output bytes are not the output slot's tensor with the posted root.
error InvalidNodeOutput(uint256 gameId, string why);
/// @notice game {gameId} waits for its jury's verdict: no clock runs
/// @dev Raised when a timeout is claimed on a game whose float node is before its jury (no clock runs).
error VotePending(uint256 gameId);
/// @notice no jury case for {gameId}
/// @dev Raised when the jury is asked about a game (or a Brain round) it never convened for.
error UnknownJuryCase(uint256 gameId);
/// @notice game {gameId}: its jury round {requestId} is open (Brain status {status})
/// @dev Raised when a jury round is filed again while the game's Brain round is still open (queued or voting).
error JuryRoundOpen(uint256 gameId, uint256 requestId, uint8 status);
/// @notice game {gameId}: the jury's verdict was delivered; nothing to retry
/// @dev Raised when a jury case whose verdict already reached its game is retried.
error NothingToRetry(uint256 gameId);
/// @notice game {gameId}: the task is not the one jury round {requestId} was given
/// @dev Raised when a jury round is re-filed with a task other than the one its last round was given.
error JuryTaskMismatch(uint256 gameId, uint256 requestId);
/// @notice game {gameId}: its jury gave a verdict, which retry delivers without a fee ({value} wei sent)
/// @dev Raised when a jury case whose round gave a verdict (undelivered) is retried with a fee: it is delivered,
/// not re-filed.
error FeeNotNeeded(uint256 gameId, uint256 value);

// ---- verified training
/// @notice global version {version} does not exist (the task is at version {current})
/// @dev Raised when a proposal or lookup names a global version the training task has not reached.
error UnknownVersion(uint256 version, uint256 current);
/// @notice base version {baseVersion} is more than {maxStaleness} versions behind the current {current}
/// @dev Raised when a proposal's base version lags the current one by more than the task's max staleness.
error StaleBaseVersion(uint256 baseVersion, uint256 current, uint256 maxStaleness);
/// @notice a proposal needs a non-zero weights commitment
/// @dev Raised when a proposal or a training task carries a zero weights commitment.
error MissingWeights();
/// @notice node {node} has no eligible stake
/// @dev Raised when a registered node without eligible stake (withdrawing, slashed below minimum) proposes.
error NotEligible(address node);
/// @notice the seed block {seedBlock} is not mined yet
/// @dev Raised when a seed is needed before its block (the block after the version or proposal) is mined.
error SeedNotReady(uint256 seedBlock);
/// @notice the seed block {seedBlock} is older than 256 blocks; call reseed()
/// @dev Raised when a training version's seed block fell out of the last 256 blocks before it was recorded.
error SeedExpired(uint256 seedBlock);
/// @notice proposal {proposalId} does not exist
/// @dev Raised when a training proposal id was never issued.
error UnknownProposal(uint256 proposalId);
/// @notice proposal {proposalId} is in status {status} (1 proposed, 2 scoring, 3 accepted, 4 rejected, 5 timed out)
/// @dev Raised when a proposal is dispatched, scored or finalized in a status that does not allow it.
error ProposalNotActive(uint256 proposalId, uint8 status);
/// @notice proposal {proposalId}: score {score} is outside 0..{maxScore}
/// @dev Raised when a scorer reveals a score above the training contract's maximum.
error ScoreOutOfRange(uint256 proposalId, uint256 score, uint256 maxScore);

// --- output proofs (lib/OutputProof.sol: a consumer checking a delivered output root) ---
/// @notice the proof of chunk/element {index} does not match output root {root}
/// @dev Raised when an output element's chunk and path (or a whole output's bytes) do not fold to the delivered
/// root.
error InvalidOutputProof(bytes32 root, uint256 index);
/// @notice slice of {length} elements from {first} spans more than one chunk
/// @dev Raised when an output slice spans more than one 512-element chunk (prove each chunk's part).
error SliceNotInOneChunk(uint256 first, uint256 length);

// --- example dapps (contracts/examples/) ---
/// @notice request {requestId}: no result delivered yet
/// @dev Raised when an example dapp is asked to act on a request whose result its callback has not received.
error ResultNotDelivered(uint256 requestId);
/// @notice request {requestId}: the verified label is {label}, the bounty pays on {target}
/// @dev Raised when an example dapp's verified label is not the one it pays out on.
error LabelNotTarget(uint256 requestId, uint256 label, uint256 target);
/// @notice request {requestId} was already paid out
/// @dev Raised when an example dapp is asked to pay out a request a second time.
error AlreadyPaidOut(uint256 requestId);

// ---- request inputs built on chain (lib/InputEncoding.sol)
/// @notice input element {index} is {value}, outside {min}..{max} of its encoding
/// @dev Raised when an input element built on chain does not fit its encoding's range (or a quantization divides by
/// zero).
error InputOutOfRange(uint256 index, int256 value, int256 min, int256 max);

// ---- batched rounds (Brain.dispatchBatch)
/// @notice batch {batchId}: unknown
/// @dev Raised when a batch id was never dispatched.
error UnknownBatch(uint256 batchId);
/// @notice batch {batchId}: already settled
/// @dev Raised when a batch is committed to, revealed or finalized after finalizeBatch settled it.
error BatchSettled(uint256 batchId);
/// @notice batch {batchId}: the request ids or result lists are not the batch's
/// @dev Raised when a reveal's list does not have one result per request, or finalizeBatch's ids or lists do not
/// hash to the batch's and its revealed members'.
error BatchMismatch(uint256 batchId);
