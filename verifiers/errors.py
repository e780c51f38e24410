"""Errors of the verifiers layer: each names the condition; all are `TribunalError`s, so the CLI turns
them into one line on stderr and exit status 2. Every check that raises one runs before any transaction."""
from __future__ import annotations

from runtime.errors import TribunalError


class UnknownMode(TribunalError):
    """Raised when a request names a verification mode that is not registered."""


class UnknownCheat(TribunalError):
    """Raised when an agent is given a cheat strategy that its role does not have."""


class UnknownRole(TribunalError):
    """Raised when `tribunal node --role` names a role that is not registered."""


class FeeBelowMinimum(TribunalError):
    """Raised when a request's fee is below the minimum the deployed contracts accept."""


class BondBelowMinimum(TribunalError):
    """Raised when a claim's or a challenge's bond is below the opML game's minimum."""


class ClaimInputUnreadable(TribunalError):
    """Raised when an opML claim on a served model has no input a watcher can rebuild from the chain's
    events (no ClaimInput matching the claim's input hash, or bytes that do not decode for the model)."""


class InvalidRequest(TribunalError):
    """Raised when a request's options do not fit its mode (a deadline of zero blocks, say)."""


class ModeUnavailable(TribunalError):
    """Raised when a mode cannot serve a request on this deployment (no in-process committee, say)."""


class DeploymentError(TribunalError):
    """Raised when a deployment file is missing, malformed, or names no contract at an address."""


class StoreError(TribunalError):
    """Raised when a content-addressed store (`verifiers.store`) refuses a read; the root of the three below,
    which verified training (`Weights*`) and sharded inference (`Boundary*`) subclass under their own names."""


class ContentMismatch(StoreError):
    """Raised when a blob's digest is not the address it was fetched under (or not the exact size asked)."""


class ContentNotFound(StoreError):
    """Raised when a store holds no blob under an address, or a name is not one of its addresses."""


class ContentTooLarge(StoreError):
    """Raised when a blob is longer than the bound its reader set (read no further than the bound + 1 byte)."""
