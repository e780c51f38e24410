"""The program cache (runtime.program_cache): a lowered program is saved once and memory-mapped back;
any change to the model file, its calibration or the lowering code is a miss; a damaged entry is
detected by its digests and lowered again, never trusted."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

import runtime.model
from bisection.commitments import model_id
from runtime import program_cache
from runtime.model import Model
from runtime.zoo import llama

SEQ = 6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return llama.build(llama.SHAPES["tiny"], tmp_path_factory.mktemp("llama-tiny"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUNAL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "programs"


@pytest.fixture
def lowerings(monkeypatch):
    """Counts the lowerings Model.program does."""
    calls = []
    real = runtime.model.lower

    def counted(*a, **k):
        calls.append(a[2])
        return real(*a, **k)

    monkeypatch.setattr(runtime.model, "lower", counted)
    return calls


def ids(n=1, seed=1):
    return np.random.default_rng(seed).integers(0, llama.SHAPES["tiny"].vocab, (n, SEQ))


def load(path, cached=True):
    return Model.load(path, calibration=ids(4, seed=2), program_cache=cached)


@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """(output, model id) of the uncached program."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRIBUNAL_CACHE", str(tmp_path_factory.mktemp("ref-cache")))
        m = load(tiny, cached=False)
        return m.run_exact(ids()).outputs[0], model_id(m.program((1, SEQ)))


def entries(cache):
    return [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]


def test_miss_thenHit_mapsTheSameProgram(tiny, reference, cache, lowerings):
    first = load(tiny)
    out = first.run_exact(ids()).outputs[0]
    assert len(lowerings) == 1 and len(entries(cache)) == 1
    second = load(tiny)
    prog = second.program((1, SEQ))
    assert len(lowerings) == 1  # the hit lowers nothing
    weights = [v for v in prog.constants.values() if v.dtype == np.int8 and v.size > 1000]
    assert weights and all(isinstance(v.base, np.memmap) and not v.flags.writeable for v in weights)
    assert np.array_equal(second.run_exact(ids(), backend="torch").outputs[0], out)
    assert np.array_equal(out, reference[0]) and model_id(prog) == reference[1]


def test_anotherShape_isAnotherEntry(tiny, cache, lowerings):
    m = load(tiny)
    m.program((1, SEQ))
    m.program((1, SEQ - 2))
    assert len(lowerings) == 2 and len(entries(cache)) == 2


@pytest.mark.parametrize("change", ["model file", "data file", "calibration", "lowering code"])
def test_change_invalidatesTheEntry(change, tiny, tmp_path, cache, lowerings, monkeypatch):
    import os
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny.parent, folder)
    path = folder / "model.onnx"
    load(path).program((1, SEQ))
    if change == "model file":
        proto = onnx.load(path, load_external_data=False)
        proto.doc_string = "edited"  # the same graph and weights, another file
        onnx.save(proto, path)
    elif change == "data file":
        st = (folder / llama.DATA_FILE).stat()
        os.utime(folder / llama.DATA_FILE, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    elif change == "lowering code":
        monkeypatch.setattr(program_cache, "code_version", lambda: "another version")
    m = Model.load(path, calibration=ids(4, seed=3 if change == "calibration" else 2), program_cache=True)
    m.program((1, SEQ))
    assert len(lowerings) == 2 and len(entries(cache)) == 2


@pytest.mark.parametrize("damage", ["flipped weight byte", "truncated constants", "edited program", "missing digest"])
def test_damagedEntry_isDetectedAndRebuilt(damage, tiny, reference, cache, lowerings):
    load(tiny).program((1, SEQ))
    (entry,) = entries(cache)
    data = entry / "constants.bin"
    if damage == "flipped weight byte":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 1
        data.write_bytes(bytes(raw))
    elif damage == "truncated constants":
        data.write_bytes(data.read_bytes()[:-100])
    elif damage == "edited program":
        text = (entry / "program.json").read_text()
        (entry / "program.json").write_text(text.replace('"MatMul"', '"MatMul" ', 1))
    else:
        (entry / "program.sha256").unlink()
    with pytest.raises(program_cache.CacheEntryError):
        program_cache.load(entry)
    m = load(tiny)
    prog = m.program((1, SEQ))
    assert len(lowerings) == 2  # lowered again, not trusted
    assert model_id(prog) == reference[1]
    assert np.array_equal(m.run_exact(ids()).outputs[0], reference[0])
    program_cache.load(entry)  # the rebuilt entry is whole


def test_bigModels_areCachedByDefault_smallOnesNot(tiny, cache, monkeypatch):
    assert not Model.load(tiny).cached_programs
    monkeypatch.setattr(runtime.model, "PROGRAM_CACHE_BYTES", 1)
    assert Model.load(tiny).cached_programs


def test_constantsWrittenWhileLowering_giveTheSameProgram(tiny, reference, cache, lowerings, monkeypatch):
    monkeypatch.setattr(program_cache, "SPILL_BYTES", 0)  # every constant goes to disk as it is made
    m = load(tiny)
    assert np.array_equal(m.run_exact(ids()).outputs[0], reference[0])
    assert model_id(m.program((1, SEQ))) == reference[1]
    assert np.array_equal(load(tiny).run_exact(ids()).outputs[0], reference[0]) and len(lowerings) == 1


@pytest.mark.parametrize("damage", ["edited value", "missing digest"])
def test_damagedCalibration_isComputedAgain(damage, tiny, tmp_path, cache, reference, monkeypatch):
    """The streamed calibration of a model file is cached too: a damaged one would change every scale."""
    monkeypatch.setattr(runtime.model, "STREAMING_BYTES", 1)  # calibrate as a big model does (cached)
    load(tiny, cached=False)
    folder = cache.parent / "calibration"
    (stored,) = folder.glob("*.json")
    if damage == "edited value":
        stored.write_text(json.dumps({k: 2 * v for k, v in json.loads(stored.read_text()).items()}))
    else:
        stored.with_suffix(".sha256").unlink()
    m = load(tiny, cached=False)
    assert model_id(m.program((1, SEQ))) == reference[1]


@pytest.mark.realsize
def test_realsize_llama1b_secondLoad_mapsTheCachedProgram(tmp_path, monkeypatch):
    """TinyLlama-1.1B's shape: the first load lowers and saves, the second lowers nothing, maps the
    int8 weights and commits to the same model id."""
    from benchmarks.exact_real import llama_folder

    path = llama_folder("llama1b") / "model.onnx"  # written in the shared model cache, as the benchmark does
    monkeypatch.setenv("TRIBUNAL_CACHE", str(tmp_path))
    x = np.random.default_rng(0).integers(0, 32000, (1, 4))
    calibration = Model.load(path, calibration=x).max_abs  # streamed once
    first = Model.load(path, calibration=calibration).program(x.shape)
    assert program_cache.stats["misses"] >= 1
    hits = program_cache.stats["hits"]
    second = Model.load(path, calibration=calibration).program(x.shape)
    assert program_cache.stats["hits"] == hits + 1
    assert model_id(second) == model_id(first)
