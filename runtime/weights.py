"""A model's initializers, read one tensor at a time: from the ONNX file itself or from its external
data files, which are found beside the model (never against the current directory).

An external tensor stored raw and little-endian is memory-mapped read-only: its pages are read when
touched and are the file's, so a weight that lowering quantizes and drops leaves nothing resident.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import ModelFormatError


def is_external(t: onnx.TensorProto) -> bool:
    return t.data_location == onnx.TensorProto.EXTERNAL


def external_info(t: onnx.TensorProto) -> dict[str, str]:
    return {e.key: e.value for e in t.external_data}


def external_files(model: onnx.ModelProto, base_dir: Path) -> list[Path]:
    """The external data files the model's initializers name, each once, resolved beside the model."""
    seen: dict[str, Path] = {}
    for t in model.graph.initializer:
        if is_external(t):
            loc = external_info(t).get("location", "")
            seen.setdefault(loc, data_path(base_dir, loc, t.name))
    return list(seen.values())


def data_path(base_dir: Path, location: str, tensor: str) -> Path:
    """The file `location` names, inside the model's folder (ONNX forbids leaving it)."""
    p = (Path(base_dir) / location).resolve()
    if Path(location).is_absolute() or ".." in Path(location).parts:
        raise ModelFormatError(f"tensor '{tensor}': external data location '{location}' must be a relative path inside the model's folder")
    if not p.is_file():
        raise ModelFormatError(f"tensor '{tensor}': external data file '{p}' is missing")
    return p


def tensor_array(t: onnx.TensorProto, base_dir: Path | None) -> np.ndarray:
    """The initializer's value; an external one memory-mapped (read-only) where its layout allows."""
    if not is_external(t):
        return numpy_helper.to_array(t)
    if base_dir is None:
        raise ModelFormatError(f"tensor '{t.name}' keeps its data outside the model, but the model has no folder")
    info = external_info(t)
    path = data_path(base_dir, info.get("location", ""), t.name)
    dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.data_type))
    shape = tuple(int(d) for d in t.dims)
    offset, count = int(info.get("offset", 0)), int(np.prod(shape, dtype=np.int64))
    length = int(info.get("length", count * dtype.itemsize))
    if length != count * dtype.itemsize or path.stat().st_size < offset + length:
        raise ModelFormatError(f"tensor '{t.name}': external data in '{path.name}' is {length} bytes at {offset}, "
                               f"{count * dtype.itemsize} expected within a file of {path.stat().st_size}")
    if sys.byteorder == "little" and dtype.kind in "iufb" and shape and count:
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    return numpy_helper.to_array(t, base_dir=str(base_dir))


def fingerprint(path: Path | None, model: onnx.ModelProto) -> str:
    """A hex digest naming this model file and its data files as they are now: the ONNX file's bytes
    (the graph, without the external data) and each data file's name, size and modification time; a
    model held only in memory (no path) by its serialized bytes."""
    import hashlib

    if path is None:
        return hashlib.sha256(model.SerializeToString()).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as f:  # in blocks: a 500 MB model file is not held to hash it
        while block := f.read(16 << 20):
            h.update(block)
    for f in external_files(model, Path(path).parent):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def weight_bytes(model: onnx.ModelProto) -> int:
    """Bytes of the initializers as stored (in the file or its external data)."""
    total = 0
    for t in model.graph.initializer:
        if is_external(t):
            total += int(external_info(t).get("length", 0))
        else:
            total += len(t.raw_data) or numpy_helper.to_array(t).nbytes
    return total


class Values(dict):
    """Tensor name -> constant or slot; an initializer is read from the model (runtime.weights) when a
    node first asks for it, and `lower` drops every value after its last reader, so lowering holds
    the weights of a node or two at a time, not the model's."""

    def __init__(self, initializers: dict[str, onnx.TensorProto], base_dir):
        super().__init__()
        self.initializers, self.base_dir = initializers, base_dir

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or name in self.initializers

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __missing__(self, name: str):
        if name not in self.initializers:
            raise KeyError(name)
        v = self[name] = tensor_array(self.initializers[name], self.base_dir)
        return v
