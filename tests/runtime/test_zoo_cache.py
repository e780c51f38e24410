"""The zoo cache builds once even when two processes ask at the same time."""
from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path


def _build_into(log: str):
    def build(out: Path) -> None:
        with open(log, "a") as f:
            f.write("built\n")
        time.sleep(0.5)
        (out / "model.onnx").write_text("x")
    return build


def _worker(cache: str, log: str, q) -> None:
    import os

    os.environ["TRIBUNAL_CACHE"] = cache
    from runtime.zoo.cache import built

    q.put(str(built("entry-v1", _build_into(log))))


def test_twoProcessesBuildingAtOnce_buildOnce(tmp_path):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    log = tmp_path / "log"
    procs = [ctx.Process(target=_worker, args=(str(tmp_path / "cache"), str(log), q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    paths = {q.get(timeout=5) for _ in procs}
    assert len(paths) == 1
    assert log.read_text().count("built") == 1
    assert (Path(paths.pop()) / "model.onnx").read_text() == "x"


def test_crashedBuild_leavesNothingAndRetries(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUNAL_CACHE", str(tmp_path))
    from runtime.zoo.cache import built

    def boom(out):
        raise RuntimeError("build failed")
    try:
        built("e-v1", boom)
    except RuntimeError:
        pass
    assert not (tmp_path / "zoo" / "e-v1").exists()
    assert (built("e-v1", _build_into(str(tmp_path / "log"))) / "model.onnx").exists()
