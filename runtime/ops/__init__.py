"""Exact-profile ops, one per file, each class named after its ONNX op.

A new op is one new file with an `ExactOp` subclass, listed in `_MODULES` below.
"""
from __future__ import annotations

import importlib

from .base import ExactOp, ExecutionError

_MODULES = (
    "add", "conv", "flatten", "gemm", "gemmblock", "requantize", "identity", "matmul", "maxpool", "mul", "relu", "reshape",
    "softmax", "softmaxexp", "softmaxnorm", "sub", "transpose",
    "layernormalization", "layernormstats", "layernormapply", "tanh", "erf", "gelu", "sigmoid", "sqrt", "reciprocal", "div", "pow", "reducemean",
    "globalaveragepool", "batchnormalization", "averagepool", "lrn",
    "gather", "concat", "slice", "split", "expand", "unsqueeze", "squeeze", "cast", "where", "neg", "sum", "dropout",
    "upsample", "quantizelinear", "dequantizelinear", "argmax", "argmaxblock", "argmaxmerge", "isnan", "pad", "clip", "imagescaler", "leakyrelu", "max", "min",
    "rowmaxblock", "rowsumblock", "softmaxexpat", "softmaxdivide", "meanofsum", "convblock",
    "quantizeblock", "dequantizeblock",  # shard boundaries (issue 22, runtime/shards.py)
)

_REGISTRY: dict[str, ExactOp] = {}


def _load() -> None:
    for mod in _MODULES:
        m = importlib.import_module(f"{__name__}.{mod}")
        for obj in vars(m).values():
            if isinstance(obj, type) and issubclass(obj, ExactOp) and obj.op_type and obj.__module__ == m.__name__:
                _REGISTRY[obj.op_type] = obj()


def get_op(op_type: str) -> ExactOp | None:
    """The exact op for an ONNX op name, or None when the exact profile does not cover it."""
    if not _REGISTRY:
        _load()
    return _REGISTRY.get(op_type)


def supported_ops() -> list[str]:
    if not _REGISTRY:
        _load()
    return sorted(_REGISTRY)


__all__ = ["ExactOp", "ExecutionError", "get_op", "supported_ops"]
