"""Dropout at inference: the identity. Old opsets (7-12) give it a second output, the mask; at
inference the mask is never read, so a node whose mask no node and no graph output reads lowers
as the identity of its first output (a read mask is refused: the exact profile has no bool slots)."""
from __future__ import annotations

import numpy as np
import onnx

from .base import PassThrough


def _read(graph: onnx.GraphProto, name: str) -> bool:
    return any(name in n.input for n in graph.node) or any(o.name == name for o in graph.output)


class Dropout(PassThrough):
    op_type = "Dropout"

    def lower(self, node, lw):
        if len(node.input) > 2 and node.input[2] and bool(np.asarray(lw.const(node, node.input[2]))):
            raise lw.unsupported(node, "training_mode=True is not inference")
        if len(node.output) > 1 and node.output[1]:
            if _read(lw.graph, node.output[1]):
                raise lw.unsupported(node, f"its mask '{node.output[1]}' is read (at inference a mask is all ones)")
            first = onnx.NodeProto()
            first.CopyFrom(node)
            del first.output[1:]
            node = first
        super().lower(node, lw)

    def numpy(self, ins, attrs):
        return ins[0].copy()

    def torch(self, ins, attrs):
        return ins[0].clone()
