"""The shape every exact op shares: lowering from ONNX, then one kernel per backend.

A subclass names its ONNX op in `op_type`, lowers an ONNX node in `lower` (quantizing constants and
emitting one program node), and implements `numpy` and `torch` kernels over int arrays. `run` picks
the kernel and re-raises any failure with the node's name and step.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import TribunalError


class ExecutionError(TribunalError):
    """Raised when an exact kernel fails on its inputs; names the node and step."""


class ExactOp:
    op_type: str = ""
    # True when the output keeps the input's scale (data movement, Relu, MaxPool): no requantization.
    keeps_scale: bool = False

    def lower(self, node, lw) -> None:
        raise NotImplementedError

    def numpy(self, ins: list, attrs: Mapping[str, Any]):
        raise NotImplementedError

    def torch(self, ins: list, attrs: Mapping[str, Any]):
        raise NotImplementedError

    def run(self, backend, ins: list, node) -> list:
        kernel = self.numpy if backend.name == "numpy" else self.torch
        try:
            return [kernel(ins, node.attrs)]
        except TribunalError:
            raise
        except Exception as e:  # a kernel bug or a bad state: say where
            raise ExecutionError(f"step {node.index + 1}, node '{node.name}' (op {node.op}): {e}") from e


class PassThrough(ExactOp):
    """Data movement on one activation: the output keeps the input's scale and dtype."""

    keeps_scale = True

    def out_shape(self, node, lw, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def attrs(self, node, lw, shape: tuple[int, ...]) -> dict:
        return {}

    def lower(self, node, lw) -> None:
        x = lw.dyn(node, node.input[0])
        shape = self.out_shape(node, lw, x.shape)
        lw.emit(node, [x.index], shape, x.scale, self.attrs(node, lw, x.shape))


class Reshaping(PassThrough):
    """A pass-through whose output is the input's elements in order, in another static shape."""

    def attrs(self, node, lw, shape: tuple[int, ...]) -> dict:
        return {"shape": self.out_shape(node, lw, shape)}

    def numpy(self, ins, attrs):
        return ins[0].reshape(attrs["shape"])

    def torch(self, ins, attrs):
        return ins[0].reshape(attrs["shape"])
