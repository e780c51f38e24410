"""ONNX files older than opset 7 (the model zoo's first files: mnist-1, squeezenet1.0-3, ...).

onnxruntime, the fast profile and the calibration, runs opset 7 and later only; the ops' forms of
opsets 1-6 (Gemm's and Add's `broadcast`/`axis`, BatchNormalization's `is_test`, Reshape's `shape`
attribute, Dropout's `is_test`, Concat without an axis, ...) all have an opset-7 meaning. So a model
older than opset 7 is brought to opset 7 at load by onnx's version converter, for both profiles:
the exact program, like the fast one, runs that model. Forms of opsets 7-12 run as they are (their
ops read their attributes by opset: runtime/ops).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import ModelFormatError

OLDEST_RUN = 7  # onnxruntime's oldest opset


def default_opset(proto: onnx.ModelProto) -> int:
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), OLDEST_RUN)


def upgrade(proto: onnx.ModelProto, name: str = "model") -> onnx.ModelProto:
    """The model itself from opset 7 on; an older one converted to opset 7, or a ModelFormatError
    naming what the converter could not convert."""
    if default_opset(proto) >= OLDEST_RUN:
        return proto
    try:
        out = _convert(proto, OLDEST_RUN)
    except ModelFormatError as e:  # a form named by _convert
        raise ModelFormatError(f"'{name}' (opset {default_opset(proto)}) cannot be brought to opset {OLDEST_RUN}, the oldest "
                               f"onnxruntime runs: {e}") from None
    except Exception as e:  # noqa: BLE001 - the converter raises bare RuntimeErrors with C++ asserts
        ops = sorted({n.op_type for n in proto.graph.node if n.domain in ("", "ai.onnx")})
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelFormatError(f"'{name}' is an opset-{default_opset(proto)} model and onnx's version converter cannot bring "
                               f"it to opset {OLDEST_RUN}, the oldest onnxruntime runs (ops {', '.join(ops)}): "
                               f"{why.split('failed: ')[-1][:160]}") from None
    return out


ARITHMETIC = ("Add", "Sub", "Mul", "Div")
# experimental ops of opsets 1-9 that onnxruntime still runs: onnx has dropped their schemas, so they
# cross the converter as Identity (their meaning did not change between opsets) and get their op back
EXPERIMENTAL = ("ImageScaler",)


def _convert(proto: onnx.ModelProto, version: int) -> onnx.ModelProto:
    """onnx's version converter, but for opset 1-6 Add/Sub/Mul/Div with `broadcast`: their adapter
    wants shapes that onnx's shape inference does not find (it has no functions for many opset-1
    schemas), and with `axis` it unsqueezes
    one axis too many (onnx 1.x: B [C] on A [N, C, H, W] at axis 1 becomes [C, 1, 1, 1], which
    broadcasts to [C, C, H, W]). So those nodes cross the converter as `Sum` (whose schema has no
    broadcast until opset 8, so no adapter to opset 7), a constant B reshaped to its opset-7 shape ([C, 1, 1]:
    numpy's rule, opset 7's, lays B's dims from the end), and get their own op back after it."""
    from onnx import version_converter

    unknown = sorted({n.op_type for n in proto.graph.node if n.domain in ("", "ai.onnx") and n.op_type not in EXPERIMENTAL
                      and not onnx.defs.has(n.op_type)})
    if unknown:
        raise ModelFormatError(f"it has ops that onnx no longer defines ({', '.join(unknown)}); re-export it at opset {version} or later")
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    ops = {}
    for i, n in enumerate(out.graph.node):
        if n.op_type in EXPERIMENTAL or (n.op_type in ARITHMETIC and any(a.name in ("broadcast", "axis") for a in n.attribute)):
            n.name = f"{n.name or n.output[0]}:{i}"
            ops[n.name] = n.op_type
            n.op_type = "Identity" if n.op_type in EXPERIMENTAL else "Sum"
    if any(op in ARITHMETIC for op in ops.values()):
        _align(out, ops)
    out = version_converter.convert_version(out, version)
    for n in out.graph.node:
        if n.name in ops:
            n.op_type = ops[n.name]
    return out


def _align(model: onnx.ModelProto, ops: dict) -> None:
    ranks = _ranks(model.graph)
    inits = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if ops.get(n.name) not in ARITHMETIC:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        kept = [a for a in n.attribute if a.name not in ("broadcast", "axis")]
        del n.attribute[:]
        n.attribute.extend(kept)
        if "axis" not in attrs or not attrs.get("broadcast", 0):
            continue
        b, rank = inits.get(n.input[1]), ranks.get(n.input[0])
        if b is None or rank is None:
            raise ModelFormatError(f"node '{n.name}' ({ops[n.name]}) broadcasts its input '{n.input[1]}' from axis "
                                   f"{attrs['axis']}: supported for a constant B on an input of known rank only")
        value = numpy_helper.to_array(b)
        axis = attrs["axis"] + rank if attrs["axis"] < 0 else attrs["axis"]
        trailing = rank - axis - value.ndim
        if trailing < 0:
            raise ModelFormatError(f"node '{n.name}': B of shape {value.shape} does not fit at axis {axis} of a rank-{rank} input")
        name = f"{n.input[1]}:aligned{trailing}"
        if name not in inits:
            inits[name] = numpy_helper.from_array(value.reshape(value.shape + (1,) * trailing), name)
            model.graph.initializer.append(inits[name])
            if any(vi.name == n.input[1] for vi in model.graph.input):  # IR < 4: initializers are graph inputs too
                model.graph.input.append(helper.make_tensor_value_info(name, b.data_type, inits[name].dims))
        n.input[1] = name


def _ranks(graph: onnx.GraphProto) -> dict[str, int | None]:
    """Each tensor's rank, propagated node by node (onnx's shape inference has no functions for many
    opset-1 schemas, Relu and Sum among them): an op's output has its inputs' largest rank but for
    the ops that change it."""
    inits = {i.name: i for i in graph.initializer}
    r: dict[str, int | None] = {i.name: len(i.dims) for i in graph.initializer}
    r.update({vi.name: len(vi.type.tensor_type.shape.dim) for vi in graph.input if vi.type.tensor_type.HasField("shape")})
    for n in graph.node:
        ins = [r.get(i) for i in n.input if i]
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        known = None not in ins and bool(ins)
        if n.op_type == "Reshape":
            out = len(attrs["shape"]) if "shape" in attrs else (int(inits[n.input[1]].dims[0]) if n.input[1] in inits else None)
        elif n.op_type in ("Flatten", "Gemm"):
            out = 2
        elif n.op_type in ("Squeeze", "Unsqueeze") and known and "axes" in attrs:
            out = ins[0] + (len(attrs["axes"]) if n.op_type == "Unsqueeze" else -len(attrs["axes"]))
        elif n.op_type == "Shape":
            out = 1
        elif n.op_type.startswith(("Reduce", "Arg")) or n.op_type in ("Gather", "Squeeze", "Unsqueeze", "Size"):
            out = ins[0] if known and attrs.get("keepdims", 0) else None  # rank-changing forms: unknown
        else:
            out = max(ins) if known else None
        for o in n.output:
            r[o] = out
    return r
