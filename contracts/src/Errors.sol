// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// Every custom error of Tribunal's contracts, named after the condition that raises it. Each one maps
// one to one to a Python exception in contracts/errors.py (checked by tests).

// --- configuration and access ---
error InvalidConfig(string what);
error NotAuthorized(address caller);

// --- model registry ---
error ModelAlreadyRegistered(bytes32 modelId);
error UnknownModel(bytes32 modelId);
error EmptyModelRoot();

// --- node registry ---
error StakeTooLow(address node, uint256 stake, uint256 minStake);
error RegistryFull(uint256 maxNodes);
error UnknownNode(address node);
error WithdrawalPending(address node, uint256 unlockBlock);
error WithdrawalNotRequested(address node);
error WithdrawalLocked(address node, uint256 unlockBlock);
error NothingToClaim(address account);
error NotEnoughNodes(uint256 eligible, uint256 needed);
error StakeLocked(address node, uint256 openRounds);
error SnapshotNotPast(uint256 atBlock, uint256 currentBlock);

// --- requests and the fee queue ---
error FeeTooLow(uint256 fee, uint256 minFee);
error FeeTooHigh(uint256 fee);
error MissingInput();
error CallbackGasTooHigh(uint256 callbackGas, uint256 maxCallbackGas);
error UnknownRequest(uint256 requestId);
error NothingToDispatch();
error RequestNotQueued(uint256 requestId);
error NotRequester(uint256 requestId, address caller);
error CancelTooEarly(uint256 requestId, uint256 cancelBlock);

// --- commit / reveal / finalize ---
error RequestNotActive(uint256 requestId);
error NotCommitteeMember(uint256 requestId, address member);
error AlreadyCommitted(uint256 requestId, address member);
error CommitWindowClosed(uint256 requestId, address member, uint256 deadline);
error RevealWindowNotOpen(uint256 requestId, address member);
error RevealWindowClosed(uint256 requestId, address member, uint256 deadline);
error NotCommitted(uint256 requestId, address member);
error AlreadyRevealed(uint256 requestId, address member);
error RevealMismatch(uint256 requestId, address member);
error RevealWindowOpen(uint256 requestId, uint256 deadline);
error AlreadyDeclined(uint256 requestId, address member);
error ResultKindUnsupported(uint8 resultKind);
error ResultKindNotBound(uint8 resultKind, address caller);
error InputSizeMismatch(bytes32 modelId, uint256 inputBytes, uint256 expectedBytes);
error InputSizeAlreadyProven(bytes32 modelId, uint256 inputBytes);
error InsufficientGasForCallback(uint256 requestId, uint256 gasLeft, uint256 needed);

// --- single-phase baseline ---
error SeedBlockNotParent(uint256 seedBlock, uint256 parent);
error InvalidSignature(uint256 index);
error SignerNotInCommittee(address signer);
error DuplicateSigner(address signer);
error QuorumNotReached(uint256 votes, uint256 committeeSize);

// --- consumers ---
error UnauthorizedCaller(address caller);

// ---- one-step
error MalformedDescriptor(uint256 step);
error MalformedProof(uint256 step);
error InvalidDescriptorProof(uint256 step);
error InvalidStateProof(uint256 slot);
error InvalidChunkProof(uint256 slot, uint256 chunk);
error MissingChunk(uint256 input, uint256 chunk);
error MissingAttribute(string name);
error UnsupportedOp(uint256 opCode);
error ElementOutOfRange(uint256 element, uint256 size);
error GatherIndexOutOfRange(int256 index, uint256 size);

// ---- opML game
// Named as in bisection/errors.py where the condition is the same (the in-memory arbiter's rules).
error UnknownClaim(uint256 claimId);
error UnknownGame(uint256 gameId);
error InvalidInput(uint256 inputBytes, uint256 expectedBytes);
error InsufficientBond(uint256 bond, uint256 minBond);
error InvalidClaim(uint256 outputSlot);
error ChallengeWindowClosed(uint256 claimId, uint256 deadline);
error ClaimNotFinalizable(uint256 claimId, uint256 deadline, uint256 openGames);
error ClaimNotFinal(uint256 claimId);
error NotYourTurn(uint256 gameId, address player);
error WrongPhase(uint256 gameId, uint8 phase, uint8 expected);
error InvalidMove(uint256 gameId, string why);
error ClockTimeExceeded(uint256 gameId, uint256 elapsed, uint256 remaining);
error ClockNotExpired(uint256 gameId, uint256 remaining);
error GameOver(uint256 gameId);
error InvalidProof(uint256 gameId, string what);
error InvalidPrestate(uint256 gameId, uint256 slot);
error InvalidModelProof(string what);
error ClaimPending(uint256 claimId);

// ---- opML requests (fee escrow for opML answers)
error RequestNotSettleable(uint256 requestId, uint256 deadline);
error ClaimMismatch(uint256 requestId, uint256 claimId);
error StaleClaim(uint256 requestId, uint256 claimId);

// ---- hybrid (HybridCourt)
error WrongHybridStatus(uint256 requestId, uint8 status, string action);
error HybridWindowClosed(uint256 requestId, uint256 deadline);
error HybridWindowOpen(uint256 requestId, uint256 deadline);
error AnswerNotVoted(uint256 requestId, address member);
error AnswerAlreadyPublished(uint256 requestId, bytes32 vote);
error InvalidAnswerProof(uint256 requestId, uint256 outputSlot);
error ClaimDoesNotMatch(uint256 requestId, uint256 claimId, string why);
error DefenderNotInMajority(uint256 requestId, address defender);
error NothingToResolve(uint256 requestId, uint8 status);
error AnswerNotFinal(uint256 requestId, uint8 status);

// ---- float nodes (OpmlGame.postNode and its jury, NodeJury)
error JuryNotSet();
error JuryAlreadySet(address jury);
error WrongNodeKind(uint256 gameId, uint256 opCode, string why);
error InvalidNodeInput(uint256 gameId, uint256 index, string why);
error InvalidNodeOutput(uint256 gameId, string why);
error VotePending(uint256 gameId);
error UnknownJuryCase(uint256 gameId);
error JuryRoundOpen(uint256 gameId, uint256 requestId, uint8 status);
error NothingToRetry(uint256 gameId);
error JuryTaskMismatch(uint256 gameId, uint256 requestId);
error FeeNotNeeded(uint256 gameId, uint256 value);

// ---- verified training
error UnknownVersion(uint256 version, uint256 current);
error StaleBaseVersion(uint256 baseVersion, uint256 current, uint256 maxStaleness);
error MissingWeights();
error NotEligible(address node);
error SeedNotReady(uint256 seedBlock);
error SeedExpired(uint256 seedBlock);
error UnknownProposal(uint256 proposalId);
error ProposalNotActive(uint256 proposalId, uint8 status);
error ScoreOutOfRange(uint256 proposalId, uint256 score, uint256 maxScore);

// --- output proofs (lib/OutputProof.sol: a consumer checking a delivered output root) ---
error InvalidOutputProof(bytes32 root, uint256 index);
error SliceNotInOneChunk(uint256 first, uint256 length);

// --- example dapps (contracts/examples/) ---
error ResultNotDelivered(uint256 requestId);
error LabelNotTarget(uint256 requestId, uint256 label, uint256 target);
error AlreadyPaidOut(uint256 requestId);

// ---- request inputs built on chain (lib/InputEncoding.sol)
error InputOutOfRange(uint256 index, int256 value, int256 min, int256 max);
