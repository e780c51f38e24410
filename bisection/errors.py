"""The dispute game's errors, named after the condition that raised them.

Every one subclasses `runtime.errors.TribunalError`. A move that raises leaves the game and the claim
exactly as they were (the in-memory arbiter checks everything before it writes anything). The
on-chain arbiter mirrors these one to one as Solidity custom errors of the same names.
"""
from __future__ import annotations

from runtime.errors import TribunalError


class GameError(TribunalError):
    """Raised for any rejected move or query; the base of the game's errors."""


class UnknownModel(GameError):
    """Raised when a claim names a model id the arbiter has not registered."""


class UnknownClaim(GameError):
    """Raised when a claim id does not exist."""


class UnknownGame(GameError):
    """Raised when a game id does not exist."""


class UnsupportedProgram(GameError):
    """Raised when a program cannot be committed to (an op without a code, a slot written twice)."""


class InvalidInput(GameError):
    """Raised when a request input does not fit the model's input slot (shape or dtype)."""


class NotYourTurn(GameError):
    """Raised when a player moves while it is the other side's turn, or is not a party of the game."""


class WrongPhase(GameError):
    """Raised when a move is not one the game's current phase accepts (a pick during bisection, ...)."""


class InvalidMove(GameError):
    """Raised when a move is malformed for its phase (a missing or extra midpoint root, an index out of
    range, a chunk of the wrong length)."""


class ClockTimeExceeded(GameError):
    """Raised when a side moves after its chess clock ran out; the other side may claim the timeout."""


class ClockNotExpired(GameError):
    """Raised when a timeout is claimed while the side to move still has time on its clock."""


class GameOver(GameError):
    """Raised when a move is made in a game that is already resolved."""


class ProofRefused(GameError):
    """Raised when a chain refuses a one-step transaction before the game sees it (too large for the node,
    or more gas than it allows): the sender has not moved and may send the proof of another element."""


class StepProofTooLarge(GameError):
    """Raised when a program is registered with a step whose one-step proof would pass a real chain's bounds
    (runtime/proof_cost.py: BYTES_BOUND calldata, GAS_BOUND gas): no one could prove that step, so a lie
    there would win. Raised before anything is sent to a chain; names the step, its op and its cost."""


class InvalidProof(GameError):
    """Raised when a Merkle proof or a revealed preimage does not verify against the committed root."""


class InvalidPrestate(InvalidProof):
    """Raised when data said to be in the agreed state S_L does not verify against S_L's root."""


class InvalidClaim(InvalidProof):
    """Raised when a claim's output root is not the output slot of its final state root."""


class InsufficientBond(GameError):
    """Raised when a claim, a challenge or a move carries a bond below what the arbiter requires."""


class ClaimPending(GameError):
    """Raised when a game is closed without a winner while its claim is still pending (only the open
    games of a rejected claim close that way)."""


class ChallengeWindowClosed(GameError):
    """Raised when a game is opened on a claim after its challenge window, or on a resolved claim."""


class ClaimNotFinalizable(GameError):
    """Raised when a claim is resolved before its window ended or while one of its games is open."""


class NothingToDispute(GameError):
    """Raised when a challenger's own execution agrees with the claim: there is no game to play."""


class UnknownStrategy(GameError):
    """Raised when a player strategy name is not one of `players.STRATEGIES`."""


class StepOutOfRange(GameError):
    """Raised when a step number is outside 1..N for the program at hand."""


class InvalidDescriptor(GameError):
    """Raised when bytes said to be a float node descriptor do not parse as one."""


class InvalidTolerance(GameError):
    """Raised when a tolerance's atol or rtol is negative, NaN or infinite (or not a float32 pair)."""


class WrongNodeKind(GameError):
    """Raised when post_output names a float node's step (op ONNX_NODE: the jury settles it, post_node), or
    post_node a step whose op has a one-step kernel (post_output settles it)."""


class InvalidNodeInput(InvalidProof):
    """Raised when a posted float node's input does not verify: its leaf is not in S_lo at its slot, its
    bytes are not the tensor of that leaf, a constant's bytes are not empty, or inputs are missing."""


class InvalidNodeOutput(InvalidProof):
    """Raised when a posted float node's output bytes are not a whole tensor of the output slot."""


class JuryNotSet(GameError):
    """Raised when post_node is made on an arbiter that has no jury to convene."""


class VotePending(GameError):
    """Raised when a timeout is claimed on a game whose float step is before the jury (no clock runs)."""
