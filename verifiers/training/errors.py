"""Errors of verified training (off chain), under `runtime.errors.TribunalError`."""
from __future__ import annotations

from runtime.errors import TribunalError

from ..errors import ContentMismatch, ContentNotFound, ContentTooLarge


class TrainingError(TribunalError):
    """Raised when verified training reports a fault; the root of everything in this module."""


class MalformedWeights(TrainingError):
    """Raised when a weights file does not decode to the task's architecture (magic, shapes, length)."""


class WeightsMismatch(TrainingError, ContentMismatch):
    """Raised when a weights file's sha256 differs from the commitment it was fetched for."""


class WeightsTooLarge(TrainingError, ContentTooLarge):
    """Raised when a weights file is longer than the task's architecture allows (read no further)."""


class WeightsNotFound(TrainingError, ContentNotFound):
    """Raised when a store holds no file under a commitment or URI."""


class UnknownArchitecture(TrainingError):
    """Raised when a task names an architecture id that this node does not know."""


class InvalidSession(TrainingError):
    """Raised when a training session's parameters cannot run as asked (nodes, committee, rounds, epochs,
    staleness, threshold, cheats)."""


class BadSplit(TrainingError):
    """Raised when the data cannot be split as asked (too few samples for the nodes, alpha not positive)."""
