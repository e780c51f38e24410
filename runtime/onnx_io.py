"""Reading and checking ONNX files: every failure becomes a `ModelFormatError` that says what."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto

from .errors import InputDtypeError, InputShapeError, ModelFormatError


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple  # ints, or None for a dynamic dim
    dtype: np.dtype


LAZY_FILE_BYTES = 256 << 20  # a model file this big keeps its inline weights in the file (read tensor by tensor)
LAZY_TENSOR_BYTES = 4096  # inline initializers from this size on are left in the file, not parsed


def load_onnx(path: str | Path) -> onnx.ModelProto:
    """The model in `path`, checked. A file of LAZY_FILE_BYTES or more is parsed without its large
    inline initializers: each becomes a reference into the file itself (data_location EXTERNAL, its
    byte range in the .onnx file), which `runtime.weights` memory-maps when a node needs it, so a 500 MB
    float32 GPT-2 is never held whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ModelFormatError(f"cannot read '{path}': {e.strerror}") from None
    if size >= LAZY_FILE_BYTES:
        return _load_lazy(path)
    # the checker first, from the path, before this process holds the model: given the proto it would
    # serialize a copy for the C++ checker, which parses another. From the path it also finds external
    # data beside the model (given the proto, it looks in the cwd). Its verdict is raised after the
    # format checks below, which say more about a file that is no model at all.
    try:
        onnx.checker.check_model(str(path.resolve()))
        check_error = None
    except Exception as e:
        check_error = _first(e)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelFormatError(f"cannot read '{path}': {e.strerror}") from None
    model = _parse(path, data)
    del data  # the parsed model holds its own copy
    if check_error is not None:
        raise ModelFormatError(f"'{path}' fails the ONNX checker: {check_error[:200]}")
    return model


def _first(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _parse(path: Path, data) -> onnx.ModelProto:
    try:
        model = onnx.load_from_string(data)
    except Exception as e:
        raise ModelFormatError(f"'{path}' is not an ONNX model: {type(e).__name__}: {str(e)[:120]}") from None
    if not model.graph.node:
        raise ModelFormatError(f"'{path}' has no graph nodes (not an ONNX model?)")
    return model


def _load_lazy(path: Path) -> onnx.ModelProto:
    """`load_onnx` for a big file: its protobuf fields are walked in a read-only map of the file and
    the large raw_data of inline initializers skipped (their pages are never read here). The checker
    runs on a copy in which every initializer stored outside the parsed model is a one-element stand-in
    of its rank (the checker reads data; the tensors' own sizes are checked when they are read)."""
    import mmap

    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            light = _rewrite_model(buf, path.name)
    except OSError as e:
        raise ModelFormatError(f"cannot read '{path}': {e.strerror}") from None
    except _WireError as e:
        raise ModelFormatError(f"'{path}' is not an ONNX model: {e}") from None
    model = _parse(path, light)
    stand_in = onnx.ModelProto()
    stand_in.CopyFrom(model)
    for t in stand_in.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            dims = [1] * len(t.dims)
            del t.external_data[:]
            t.data_location = TensorProto.DEFAULT
            del t.dims[:]
            t.dims.extend(dims)
            t.raw_data = np.zeros(1, onnx.helper.tensor_dtype_to_np_dtype(t.data_type)).tobytes()
    try:
        onnx.checker.check_model(stand_in)
    except Exception as e:
        raise ModelFormatError(f"'{path}' fails the ONNX checker: {_first(e)[:200]}") from None
    return model


class _WireError(ValueError):
    pass


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= end or shift > 63:
            raise _WireError(f"truncated or malformed varint at byte {pos}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _fields(buf, start: int, end: int):
    """(field number, wire type, start of the tag, start of the value, end of the field) of each field
    of the message in buf[start:end]."""
    pos = start
    while pos < end:
        tag_at = pos
        tag, pos = _varint(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            _, stop = _varint(buf, pos, end)
        elif wire == 1:
            stop = pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos, end)
            stop = pos + n
        elif wire == 5:
            stop = pos + 4
        else:
            raise _WireError(f"unsupported wire type {wire} at byte {tag_at}")
        if stop > end or field == 0:
            raise _WireError(f"field {field} at byte {tag_at} runs past its message")
        yield field, wire, tag_at, pos, stop
        pos = stop


def _key(field: int, wire: int) -> bytes:
    return _encode_varint(field << 3 | wire)


def _encode_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _len_field(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _encode_varint(len(payload)) + payload


# field numbers in onnx.proto
MODEL_GRAPH, GRAPH_INITIALIZER = 7, 5
TENSOR_RAW_DATA, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION = 9, 13, 14


def _rewrite_model(buf, file_name: str) -> bytes:
    out = bytearray()
    for field, wire, tag_at, at, stop in _fields(buf, 0, len(buf)):
        if field == MODEL_GRAPH and wire == 2:
            out += _len_field(field, _rewrite_graph(buf, at, stop, file_name))
        else:
            out += buf[tag_at:stop]
    return bytes(out)


def _rewrite_graph(buf, start: int, end: int, file_name: str) -> bytes:
    out = bytearray()
    for field, wire, tag_at, at, stop in _fields(buf, start, end):
        if field == GRAPH_INITIALIZER and wire == 2:
            out += _len_field(field, _rewrite_tensor(buf, tag_at, at, stop, file_name))
        else:
            out += buf[tag_at:stop]
    return bytes(out)


def _rewrite_tensor(buf, tag_at: int, start: int, end: int, file_name: str) -> bytes:
    """The TensorProto with a large raw_data replaced by a reference to its bytes in the file."""
    fields = list(_fields(buf, start, end))
    raw = [f for f in fields if f[0] == TENSOR_RAW_DATA and f[1] == 2]
    if len(raw) != 1 or raw[0][4] - raw[0][3] < LAZY_TENSOR_BYTES or any(
            f[0] in (TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION) for f in fields):
        return bytes(buf[start:end])
    _, _, _, data_at, data_end = raw[0]
    out = bytearray()
    for field, _, f_tag, _, stop in fields:
        if field != TENSOR_RAW_DATA:
            out += buf[f_tag:stop]
    for k, v in (("location", file_name), ("offset", str(data_at)), ("length", str(data_end - data_at))):
        out += _len_field(TENSOR_EXTERNAL_DATA, _len_field(1, k.encode()) + _len_field(2, v.encode()))
    out += _key(TENSOR_DATA_LOCATION, 0) + _encode_varint(TensorProto.EXTERNAL)
    return bytes(out)


def input_specs(model: onnx.ModelProto) -> list[InputSpec]:
    inits = {i.name for i in model.graph.initializer}
    specs = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in t.shape.dim)
        specs.append(InputSpec(vi.name, dims, np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type or TensorProto.FLOAT))))
    return specs


def check_input(spec: InputSpec, x) -> np.ndarray:
    """The input as an array of the declared dtype, or a clear error naming the mismatch."""
    x = np.asarray(x)
    if x.ndim != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, x.shape)):
        want = "[" + ", ".join("?" if d is None else str(d) for d in spec.shape) + "]"
        raise InputShapeError(f"input '{spec.name}' must have shape {want}, got {list(x.shape)}")
    if 0 in x.shape:
        raise InputShapeError(f"input '{spec.name}' is empty (shape {list(x.shape)})")
    kind_ok = (np.issubdtype(spec.dtype, np.floating) and np.issubdtype(x.dtype, np.floating)) or (
        np.issubdtype(spec.dtype, np.integer) and np.issubdtype(x.dtype, np.integer)) or (
        spec.dtype == np.bool_ and x.dtype == np.bool_)
    if not kind_ok:
        raise InputDtypeError(f"input '{spec.name}' must be {spec.dtype.name}, got {x.dtype.name}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise InputDtypeError(f"input '{spec.name}' holds NaN or infinite values")
    return x.astype(spec.dtype, copy=False)
