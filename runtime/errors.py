"""Tribunal's exceptions: one root, subclasses named after the condition.

Every layer (runtime, bisection, contracts, verifiers) raises subclasses of `TribunalError`, so
a caller catches one type and the CLI prints one line. Messages name the node, request, slot or
move at fault. Layers above the runtime define their own subclasses in their own `errors` module.
"""
from __future__ import annotations


def first_line(e: BaseException, limit: int = 200) -> str:
    """An exception's first line (its type's name when it has no text), cut to `limit` characters:
    what a one-line error keeps of a library's message."""
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:limit]


class TribunalError(Exception):
    """Raised for every error Tribunal reports on purpose; the root of all others."""


class ModelFormatError(TribunalError):
    """Raised when a file is not a loadable ONNX model (unreadable, malformed, fails the checker)."""


class UnknownModelError(TribunalError):
    """Raised when a model name is neither a zoo entry nor a path to an existing file."""


class UnsupportedOpError(TribunalError):
    """Raised at load time when the exact profile has no kernel for a node's op or attributes."""

    def __init__(self, node: str, op: str, why: str = "no exact kernel for this op"):
        self.node, self.op = node, op
        super().__init__(f"node '{node}' (op {op}): {why}")


class InputShapeError(TribunalError):
    """Raised when an input's shape does not fit the model's declared input."""


class InputDtypeError(TribunalError):
    """Raised when an input's dtype does not fit the model's declared input."""


class CalibrationError(TribunalError):
    """Raised when calibration data cannot fix the exact profile's scales (missing, wrong shape)."""


class BackendUnavailableError(TribunalError):
    """Raised when a kernel backend or device is asked for but not installed (torch, CUDA)."""


class ZooBuildError(TribunalError):
    """Raised when a zoo model cannot be built (a missing optional dependency, say)."""


class ConstantFoldError(UnsupportedOpError):
    """Raised at load time when a node of constant inputs can be evaluated by neither onnx's
    reference evaluator nor onnxruntime; names the node and op."""


class FastRunError(TribunalError):
    """Raised when onnxruntime fails on an input the checks let through (an id past a table, say)."""
