"""Gelu by table (see lookup.py), and the fusion that finds Gelu written out as elementwise nodes.

ONNX's Gelu (opset 20) has `approximate` = "none" (x/2 (1 + erf(x / sqrt 2))) or "tanh"
(x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))). Exporters write either form as a subgraph
(Div/Erf/Add/Mul/Mul, or Pow/Mul/Add/Mul/Tanh/Add/Mul/Mul, operands in any order). `fuse` replaces
such a subgraph by one Gelu node before lowering: one table of the whole function rounds once,
where the parts would round five to eight times. A subgraph is recognized by what it computes, not
by its layout: the elementwise nodes that depend on one tensor x and constants only are evaluated
in float64 on a grid of x, and fused when they equal one of the two forms to 1e-5. A subgraph whose
intermediates are read elsewhere is left alone; its parts have their own exact ops.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper
from .erf import erf
from .lookup import Lookup

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_erf(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))


FORMS = {"none": gelu_erf, "tanh": gelu_tanh}


class Gelu(Lookup):
    op_type = "Gelu"

    def function(self, node, lw):
        form = lw.attr(node, "approximate", "none")
        form = form.decode() if isinstance(form, bytes) else form
        if form not in FORMS:
            raise lw.unsupported(node, f"approximate='{form}' is not 'none' or 'tanh'")
        return FORMS[form]


# ---------------------------------------------------------------- fusion of written-out Gelu

_ELEMENTWISE = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power,
    "Erf": erf, "Tanh": np.tanh,
}
_GRID = np.concatenate([np.linspace(-6.0, 6.0, 241), [-20.0, -9.5, 9.5, 20.0]])


def _closure(nodes, x: str, consts: dict) -> list:
    """The elementwise nodes (in order) that read only x, constants and each other's outputs."""
    inside, region = {x}, []
    for n in nodes:
        if n.op_type in _ELEMENTWISE and all(i in inside or i in consts for i in n.input) \
                and any(i in inside for i in n.input) and all(np.size(consts.get(i, 0)) == 1 for i in n.input):
            region.append(n)
            inside.add(n.output[0])
    return region


def _evaluate(region, x: str, consts: dict) -> dict[str, np.ndarray]:
    vals = {x: _GRID}
    with np.errstate(all="ignore"):
        for n in region:
            args = [vals[i] if i in vals else np.asarray(consts[i], dtype=np.float64).reshape(()) for i in n.input]
            vals[n.output[0]] = _ELEMENTWISE[n.op_type](*args)
    return vals


def _ancestors(region, out: str) -> list:
    by_out = {n.output[0]: n for n in region}
    seen, stack = set(), [out]
    while stack:
        n = by_out.get(stack.pop())
        if n is not None and id(n) not in seen:
            seen.add(id(n))
            stack.extend(n.input)
    return [n for n in region if id(n) in seen]


def fuse(graph: onnx.GraphProto, consts: dict) -> onnx.GraphProto:
    """The graph with every recognized Gelu subgraph replaced by one Gelu node (the same graph
    object when there is none). Output names are kept, so calibration ranges still apply."""
    nodes = list(graph.node)
    anchors = [n for n in nodes if n.op_type in ("Erf", "Tanh")]
    if not anchors:
        return graph
    readers: dict[str, list] = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    outputs = {o.name for o in graph.output}
    replaced: dict[int, onnx.NodeProto] = {}  # id of a fused subgraph's last node -> its Gelu
    dropped: set[int] = set()
    for anchor in anchors:
        if id(anchor) in dropped:
            continue
        for x in _sources(anchor, nodes, consts):
            region = _closure(nodes, x, consts)
            vals = _evaluate(region, x, consts)
            match = None
            for last in region:
                for form, f in FORMS.items():
                    y = vals[last.output[0]]
                    if np.shape(y) == _GRID.shape and np.allclose(y, f(_GRID), rtol=1e-5, atol=1e-5):
                        match = (last, form)
            if match is None:
                continue
            last, form = match
            part = _ancestors(region, last.output[0])
            ids = {id(n) for n in part}
            inner = [n.output[0] for n in part if n is not last]
            if anchor not in part or any(o in outputs or any(id(r) not in ids for r in readers.get(o, [])) for o in inner):
                continue
            replaced[id(last)] = helper.make_node("Gelu", [x], [last.output[0]], name=last.name or last.output[0],
                                                  approximate=form)
            dropped |= ids
            break
    if not replaced:
        return graph
    g = onnx.GraphProto()
    g.CopyFrom(graph)
    del g.node[:]
    g.node.extend(replaced.get(id(n), n) for n in nodes if id(n) not in dropped or id(n) in replaced)
    return g


def _sources(anchor, nodes, consts: dict) -> list[str]:
    """Candidate x for an Erf/Tanh: the non-constant tensors its elementwise ancestors read."""
    by_out = {o: n for n in nodes for o in n.output}
    found, stack, seen = [], [anchor.input[0]], set()
    while stack:
        t = stack.pop()
        if t in seen or t in consts:
            continue
        seen.add(t)
        found.append(t)
        n = by_out.get(t)
        if n is not None and n.op_type in _ELEMENTWISE:
            stack.extend(n.input)
    return found
