"""Errors of sharded inference, each named after its condition; all are TribunalErrors."""
from __future__ import annotations

from runtime.errors import TribunalError

from ..errors import ContentMismatch, ContentNotFound, ContentTooLarge


class ShardError(TribunalError):
    """The root of sharded inference's errors."""


class BoundaryMismatch(ShardError, ContentMismatch):
    """A boundary blob's tensor root is not the root its shard node posted on chain."""


class BoundaryNotFound(ShardError, ContentNotFound):
    """No blob for a posted boundary root is in the store (yet)."""


class BoundaryTooLarge(ShardError, ContentTooLarge):
    """A boundary blob is longer than the boundary tensor the shard program declares."""


class NoRoute(ShardError):
    """Some shard has no live node announced for it."""


class ShardSpecError(ShardError):
    """A sharded model's description (name, cuts, shards to serve) does not parse or does not fit."""


class PipelineExpired(ShardError):
    """A sharded request stalled past the ledger's `expiry` blocks with no node serving it, and was expired
    (its fee back to the requester, the standing posts' bonds back to their nodes)."""
