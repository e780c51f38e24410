"""The API reference builds (pdoc) and documents the library's public names: so CI builds it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_apiReference_builds_withTheStrategyProtocolAndTheTribunalInterface(tmp_path):
    spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
    build_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_api)
    index = build_api.build(tmp_path)
    assert index.is_file()
    strategy = (tmp_path / "bisection" / "strategy.html").read_text()
    assert "Strategy" in strategy and "StepRewrite" in strategy and "(k, written, state)" in strategy
    api = (tmp_path / "verifiers" / "api.html").read_text()
    assert "set_cheats" in api and "Tribunal" in api
    assert "run_exact" in (tmp_path / "runtime" / "model.html").read_text()
    assert "DisputeResult" in (tmp_path / "bisection" / "dispute.html").read_text()
