"""`tribunal bench --quick`: every scenario runs, and the report, plots and JSON agree and stay within
physical bounds. (No timing asserts: the figures themselves belong to the report.)"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import harness
from benchmarks.scenarios import available
from verifiers import cli

# What a figure of each kind must satisfy, written out here rather than taken from the harness.
CHECKS = {
    "probability": lambda v: 0.0 <= v <= 1.0, "fraction": lambda v: 0.0 <= v <= 1.0,
    "gas": lambda v: v >= 21_000, "seconds": lambda v: v >= 0, "blocks": lambda v: v >= 0,
    "rate": lambda v: v >= 0, "count": lambda v: v >= 0, "ratio": lambda v: v > 0, "multiple": lambda v: v >= 0,
    "eth": lambda v: v >= 0, "mib": lambda v: v >= 0,
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, dict, int]:
    out = tmp_path_factory.mktemp("bench")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        # Every scenario but `peers` (EZKL's proof takes a minute or more): tests/benchmarks/test_peers.py runs it.
        rc = cli.main(["bench", *[n for n in available() if n != "peers"], "--quick", "--out", str(out), "--json"])
    return out, json.loads(buf.getvalue()), rc


def test_bench_quick_writes_report_plots_and_json_that_agree(quick_run):
    out, printed, rc = quick_run
    assert rc == 0
    saved = json.loads((out / "results.json").read_text())
    assert saved["scenarios"].keys() == printed["scenarios"].keys()
    assert {"security", "dispute", "two-phase", "scale"} <= set(saved["scenarios"])
    report = (out / "report.md").read_text()
    assert saved["machine"]["cpu"] in report and "Bounds check: every figure within" in report
    for name, s in saved["scenarios"].items():
        assert f"(`{name}`)" in report
        assert s["setup"] and s["metrics"] and s["figures"], name
        for f in s["figures"]:
            png = out / f"{f['name']}.png"
            if harness.not_drawn(f) is None:
                assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({f['name']}.png)" in report
            else:
                assert not png.exists() and f"Figure `{f['name']}`" in report


def test_bench_quick_every_series_is_full_and_within_physical_bounds(quick_run):
    _, results, _ = quick_run
    for name, s in results["scenarios"].items():
        assert s["problems"] == [], s["problems"]
        for m in s["metrics"]:
            assert math.isfinite(m["value"]) and CHECKS[m["kind"]](m["value"]), (name, m)
        for f in s["figures"]:
            for p in f["panels"]:
                assert p["series"], (name, f["name"], p["title"])
                for series in p["series"]:
                    assert series["y"] and len(series["x"]) == len(series["y"]), (name, series["label"])
                    bad = [v for v in series["y"] if not CHECKS[series["kind"]](v)]
                    assert not bad, (name, series["label"], bad)


def test_bench_quick_measures_what_each_scenario_claims(quick_run):
    _, results, _ = quick_run
    tp = results["scenarios"]["two-phase"]["raw"]
    assert {r["mode"] for r in tp["phases"]} == {"two-phase", "single-phase"}
    assert all(r["completed"] > 0 and r["bg_per_s"] > 0 for r in tp["phases"])
    assert all(v > 21_000 for v in tp["gas"].values())
    disputes = results["scenarios"]["dispute"]["raw"]["per_model"]
    for m in disputes.values():  # on chain and in memory the same game takes the same moves
        assert all(g["moves"] == g["memory_moves"] and g["moves"] <= g["max_moves"] for g in m["games"])
    scale = results["scenarios"]["scale"]["raw"]["rows"]
    for r in scale:  # two-phase needs request, dispatch, commit, reveal, finalize in successive blocks
        assert 0 <= r["settled_fraction"] <= 1
        if r["latency_p50_s"] is not None:
            assert r["latency_p50_s"] >= (4 * 12 if r["mode"] in ("brain", "hybrid") else 0), r


def _points_shown(ax) -> int:
    """Data points visible in a matplotlib axes: a marker per point, or a line through two or more."""
    shown = 0
    for line in ax.get_lines():
        n = len(line.get_xdata())
        if line.get_marker() not in (None, "None", "", " ") or (n >= 2 and line.get_linestyle() not in ("None", "")):
            shown += n
    return shown


def test_bench_quick_every_plot_shows_data_or_the_report_says_why_not(quick_run):
    import matplotlib.pyplot as plt

    out, results, _ = quick_run
    report = (out / "report.md").read_text()
    drawn = 0
    for s in results["scenarios"].values():
        for f in s["figures"]:
            why = harness.not_drawn(f)
            if why is not None:
                assert f"Figure `{f['name']}` ({f['title']}) is not drawn: {why}." in report
                assert f["name"] in results["files"]["not_drawn"]
                continue
            drawn += 1
            fig = harness.figure(f)
            try:
                for ax, p in zip(fig.axes, f["panels"]):
                    assert _points_shown(ax) > 0, (f["name"], p["title"])
            finally:
                plt.close(fig)
    assert drawn >= 5  # security, dispute, two-phase, modes, scale: the quick run's data draws them all


def _figure(*panels: harness.Panel) -> dict:
    return harness.Section("x", "x", {}, figures=[harness.Figure("f", "f", list(panels))]).as_dict()["figures"][0]


def test_a_one_point_series_is_drawn_as_a_point_and_an_all_zero_log_panel_is_not_drawn():
    import matplotlib.pyplot as plt

    one = _figure(harness.Panel("p50", "rate", "blocks", [harness.Series("brain", [0.5], [23.0], "blocks")]),
                  harness.Panel("gas", "rate", "gas", [harness.Series("brain", [0.5], [1e6], "gas")], logy=True))
    assert harness.not_drawn(one) is None
    fig = harness.figure(one)
    try:
        assert [_points_shown(ax) for ax in fig.axes] == [1, 1]  # a line of one point would show nothing
    finally:
        plt.close(fig)
    zero = _figure(harness.Panel("latency", "rate", "seconds", [harness.Series("single-phase", [0.5], [0.0], "seconds")],
                                 logy=True))
    assert "logarithmic" in harness.not_drawn(zero)


def test_problems_flags_empty_series_and_figures_out_of_bounds():
    section = harness.Section("x", "x", {}, [harness.Metric("gas", 20_000, "gas"), harness.Metric("p", 1.5, "probability")],
                              figures=[harness.Figure("f", "f", [harness.Panel("p", "x", "y", [
                                  harness.Series("empty", [], [], "rate"),
                                  harness.Series("negative latency", [1, 2], [0.5, -0.1], "seconds")])])])
    found = harness.problems(section.as_dict())
    assert len(found) == 4
    assert any("empty" in p for p in found) and any("-0.1" in p for p in found)
    assert any("20000 outside" in p for p in found) and any("1.5 outside" in p for p in found)


def test_bench_unknown_scenario_is_a_one_line_error(tmp_path, capsys):
    assert cli.main(["bench", "no-such", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown scenario 'no-such'" in err
    assert not any(tmp_path.iterdir())
