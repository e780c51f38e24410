"""Lowered exact programs saved once and memory-mapped back: a 7B model lowers in tens of minutes, a
cached program loads in seconds and holds its int8 weights as the file's pages, not as copies.

    prog = program_cache.cached(program_cache.key(...), lambda: lower(...))

An entry is a folder under $TRIBUNAL_CACHE/programs (default ~/.cache/tribunal) named by its key:
`constants.bin` (every constant's bytes, native order, 64-byte aligned), `program.json` (slots, nodes,
input and output slots, each constant's offset, and the sha256 of constants.bin) and `program.sha256`
(the digest of program.json). The key hashes everything the program depends on: the model file and its
data files (`weights.fingerprint`), the graph as loaded, the input name and shape, the calibration, the
share-constants flag and the lowering code itself (`code_version`: every source file of the runtime),
so a change to any of them is a miss, never a stale hit.

An entry is trusted only after both digests match the bytes on disk: a truncated or corrupted entry
is dropped and lowered again, so a bad cache can cost time but never change a root. Entries are
written into a temporary folder and renamed into place under a lock: concurrent processes see a whole
entry or none, and the second of two lowering the same model waits and then maps the first's.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from .program import Node, Program, Slot

FORMAT = 1
ALIGN = 64
SPILL_BYTES = 1 << 20  # constants from this size on go to disk while lowering (ConstantsFile)
READ_BLOCK = 16 << 20  # bytes hashed per read when checking constants.bin (page cache, not this process)
log = logging.getLogger(__name__)
stats = {"hits": 0, "misses": 0, "rebuilt": 0}  # this process's lookups (benchmarks report them)


class CacheEntryError(Exception):
    """An entry on disk that does not match its own digests (truncated, corrupted, or another format)."""


def cache_dir() -> Path:
    root = Path(os.environ.get("TRIBUNAL_CACHE") or Path.home() / ".cache" / "tribunal") / "programs"
    root.mkdir(parents=True, exist_ok=True)
    return root


# runtime sources that cannot change a lowered program: what they decide (the calibration, the graph
# as loaded, the input shape, the model's files) is in the key by value
NOT_LOWERING = ("zoo/", "generation/", "model.py", "calibration.py", "float_program.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the runtime's lowering code (lowering, ops, quantization, weights, proof costs, the
    program format and this file; every runtime source but NOT_LOWERING): any edit to them makes every
    cached program a miss."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"format {FORMAT};".encode())
    for f in sorted(root.rglob("*.py")):
        if f.relative_to(root).as_posix().startswith(NOT_LOWERING):
            continue
        h.update(f"{f.relative_to(root).as_posix()}:".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def key(model_fingerprint: str, graph_digest: str, input_name: str, shape: tuple[int, ...], max_abs: dict[str, float],
        share_constants: bool = False) -> str:
    """The entry name for one lowering: a digest of everything `lower` reads."""
    desc = json.dumps({"model": model_fingerprint, "graph": graph_digest, "input": input_name, "shape": list(shape),
                       "calibration": sorted((k, repr(float(v))) for k, v in max_abs.items()),
                       "share_constants": bool(share_constants), "code": code_version()}, sort_keys=True)
    return hashlib.sha256(desc.encode()).hexdigest()[:40]


# ---------------------------------------------------------------- writing


def _plain(v):
    """An attribute value as JSON keeps it: ints, or (nested) tuples of ints; anything else refuses."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError("bool attribute")
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    raise TypeError(f"attribute of type {type(v).__name__}")


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


class ConstantsFile(dict):
    """Slot -> constant, for `lower(constants=...)`: a constant of SPILL_BYTES or more is written to
    the entry's constants.bin as it is made and held as a read-only map of its bytes there, so
    lowering never holds the model's weights in its own memory (the page cache has them)."""

    def __init__(self, path: Path):
        super().__init__()
        self.path, self.file, self.offset = path, open(path, "wb"), 0
        self.placed: dict[int, tuple[int, np.ndarray]] = {}  # slot -> (offset, the array held for it)

    def append(self, v: np.ndarray) -> int:
        """Write v's bytes at the next aligned offset; returns that offset."""
        pad = -self.offset % ALIGN
        if pad:
            self.file.write(b"\0" * pad)
            self.offset += pad
        at = self.offset
        if v.size:
            self.file.write(memoryview(v.reshape(-1)).cast("B"))
        self.offset += v.nbytes
        return at

    def __setitem__(self, slot, value):
        v = np.asarray(value)
        if v.nbytes >= SPILL_BYTES:
            v = np.ascontiguousarray(v)
            at = self.append(v)
            self.file.flush()
            view = np.memmap(self.path, dtype=v.dtype, mode="r", offset=at, shape=v.shape)
            self.placed[slot] = (at, view)
            value = view
        super().__setitem__(slot, value)

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


def save(program: Program, folder: Path, written: ConstantsFile | None = None) -> None:
    """Write `program` as an entry into `folder`; `written`: the ConstantsFile (in folder) its
    lowering already wrote its big constants to."""
    out = written if written is not None else ConstantsFile(folder / "constants.bin")
    constants = []
    for i in sorted(program.constants):
        v = program.constants[i]
        placed = out.placed.get(i)
        if placed is not None and placed[1] is v:
            at = placed[0]
        else:
            v = np.ascontiguousarray(v) if np.ndim(v) else np.array(v)
            at = out.append(v)
        constants.append([i, at, v.dtype.str, list(v.shape)])
    data_bytes = out.offset
    out.close()
    desc = {"format": FORMAT, "data_bytes": data_bytes, "data_sha256": _file_sha256(folder / "constants.bin"),
            "slots": [[s.index, s.name, list(s.shape), s.dtype, s.kind, repr(float(s.scale))] for s in program.slots],
            "nodes": [[n.index, n.op, n.name, list(n.inputs), list(n.outputs), {k: _plain(v) for k, v in n.attrs.items()}]
                      for n in program.nodes],
            "input_slot": program.input_slot, "output_slots": list(program.output_slots), "constants": constants}
    text = json.dumps(desc).encode()
    (folder / "program.json").write_bytes(text)
    (folder / "program.sha256").write_text(hashlib.sha256(text).hexdigest() + "\n")


# ---------------------------------------------------------------- reading


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    buf = bytearray(READ_BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def load(folder: Path) -> Program:
    """The entry's program, its constants memory-mapped read-only; `CacheEntryError` unless every
    digest matches."""
    try:
        text = (folder / "program.json").read_bytes()
        want = (folder / "program.sha256").read_text().strip()
    except OSError as e:
        raise CacheEntryError(f"unreadable entry: {e}") from None
    # INVARIANT: the description is used only if it is the one written with its digest
    if hashlib.sha256(text).hexdigest() != want:
        raise CacheEntryError("program.json does not match its digest")
    desc = json.loads(text)
    if desc.get("format") != FORMAT:
        raise CacheEntryError(f"entry format {desc.get('format')}, this code reads {FORMAT}")
    data = folder / "constants.bin"
    size = data.stat().st_size if data.exists() else -1
    # INVARIANT: the constants are mapped only when the whole file hashes to the digest saved with them
    if size != desc["data_bytes"] or _file_sha256(data) != desc["data_sha256"]:
        raise CacheEntryError(f"constants.bin is {size} bytes and does not match its digest")
    mapped = np.memmap(data, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
    slots = [Slot(i, name, tuple(shape), dtype, kind, float(scale)) for i, name, shape, dtype, kind, scale in desc["slots"]]
    nodes = [Node(i, op, name, tuple(ins), tuple(outs), {k: _tuples(v) for k, v in attrs.items()})
             for i, op, name, ins, outs, attrs in desc["nodes"]]
    constants = {}
    for i, offset, dtype, shape in desc["constants"]:
        dt = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        constants[i] = np.ndarray(tuple(shape), dt, buffer=mapped, offset=offset) if count else np.zeros(shape, dt)
    return Program(slots, nodes, constants, desc["input_slot"], tuple(desc["output_slots"]))


def cached(entry: str, build: Callable[[dict], Program]) -> Program:
    """The program of entry `entry`: mapped from the cache when a whole, matching entry is there, else
    built (`build(constants)`: lowering into the given constants dict, a ConstantsFile), saved and mapped
    back. A program that cannot be saved (an attribute JSON cannot hold) is returned as built."""
    from filelock import FileLock

    root = cache_dir()
    final = root / entry
    hit = _try_load(final)
    if hit is not None:
        stats["hits"] += 1
        return hit
    with FileLock(str(root / f"{entry}.lock")):
        hit = _try_load(final)  # another process may have written it while we waited
        if hit is not None:
            stats["hits"] += 1
            return hit
        stats["misses"] += 1
        stats["rebuilt"] += final.exists()
        for stale in root.glob(f".{entry}-*"):  # a lowering of this entry killed before its rename
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry}-", dir=root))
        written = ConstantsFile(tmp / "constants.bin")
        try:
            program = build(written)
            try:
                save(program, tmp, written)
            except TypeError as e:  # its big constants stay mapped from the (removed) file
                log.warning("program not cached: %s", e)
                return program
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        finally:
            written.close()
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    del program
    _trim()
    return load(final)


def _trim() -> None:
    """Give the allocator's freed pages back to the system (lowering's temporaries), where glibc allows."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _try_load(folder: Path) -> Program | None:
    if not folder.exists():
        return None
    try:
        return load(folder)
    except (CacheEntryError, ValueError, KeyError, TypeError) as e:
        log.warning("dropping cached program %s: %s", folder.name, e)
        return None
