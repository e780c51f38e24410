"""The shape every exact op shares: lowering from ONNX, then one kernel per backend.

A subclass names its ONNX op in `op_type`, lowers an ONNX node in `lower` (quantizing constants and
emitting one program node), and implements `numpy` and `torch` kernels over int arrays. `run` picks
the kernel and re-raises any failure with the node's name and step.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from ..errors import TribunalError


class ExecutionError(TribunalError):
    """Raised when an exact kernel fails on its inputs; names the node and step."""


class ExactOp:
    op_type: str = ""
    # True when the output keeps the input's scale (data movement, Relu, MaxPool): no requantization.
    keeps_scale: bool = False
    # True when the output is a split op's running partial (int64 limbs, a block's max or index), not an
    # activation: a shard boundary never falls on one (runtime/shards.py), compressing limbs is meaningless.
    partial: bool = False

    def lower(self, node, lw) -> None:
        raise NotImplementedError

    def numpy(self, ins: list, attrs: Mapping[str, Any]):
        raise NotImplementedError

    def torch(self, ins: list, attrs: Mapping[str, Any]):
        raise NotImplementedError

    def reads(self, node, ins: list, out_shape: tuple[int, ...], index: int) -> list[np.ndarray]:
        """The flat indices of each input that output element `index` (flat, row-major) depends on:
        what a one-step proof must carry. `ins` are the input arrays (a table lookup's index depends
        on values). The default, every element, is always sound; ops narrow it."""
        return [np.arange(np.asarray(a).size) for a in ins]

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

    def reads(self, node, ins, out_shape, index):
        return [np.array([index])]  # elementwise or order-keeping: element i reads element i

    def out_shape(self, node, lw, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def attrs(self, node, lw, shape: tuple[int, ...]) -> dict:
        return {}

    def lower(self, node, lw) -> None:
        x = lw.dyn(node, node.input[0])
        shape = self.out_shape(node, lw, x.shape)
        if x.dtype == "int64" or x.index in getattr(lw, "token_slots", ()):
            # token ids: program nodes write int16 only, so ids are never copied. An op that keeps
            # their order (a reshape) makes no node: its output is the ids slot under the new shape,
            # which Gather reads by flat position alone.
            if not (isinstance(self, Reshaping) or self.op_type in ("Identity", "Dropout")):
                raise lw.unsupported(node, "token ids feed only Gather lookups (and reshapes before them)")
            lw.values[node.output[0]] = replace(x, shape=tuple(shape))
            return
        lw.emit(node, [x.index], shape, x.scale, self.attrs(node, lw, x.shape))


class Reshaping(PassThrough):
    """A pass-through whose output is the input's elements in order, in another static shape."""

    def attrs(self, node, lw, shape: tuple[int, ...]) -> dict:
        return {"shape": self.out_shape(node, lw, shape)}

    def numpy(self, ins, attrs):
        return ins[0].reshape(attrs["shape"])

    def torch(self, ins, attrs):
        return ins[0].reshape(attrs["shape"])


def broadcast_source(out_shape, in_shape, index: int) -> int:
    """The flat index of `in_shape` that numpy broadcasting reads for flat output element `index`."""
    coords = np.unravel_index(index, out_shape) if out_shape else ()
    lead = len(out_shape) - len(in_shape)
    src = tuple(0 if d == 1 else coords[lead + i] for i, d in enumerate(in_shape))
    return int(np.ravel_multi_index(src, in_shape)) if in_shape else 0
