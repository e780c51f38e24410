"""`tribunal bench peers --quick`: EZKL's proof of digits-mlp beside Tribunal's modes on the same input. Runs only
where the peer (the optional group .[peers]) is installed; without it the scenario is left out with a reason.
Bounds only, no timing asserts: the figures belong to the report."""
from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from benchmarks import ezkl_peer
from verifiers import cli


@pytest.fixture(scope="module")
def quick_peers(tmp_path_factory) -> tuple[Path, dict, int]:
    pytest.importorskip("ezkl", reason="the zkML peer is not installed (pip install -e '.[peers]')")
    out = tmp_path_factory.mktemp("peers")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli.main(["bench", "peers", "--quick", "--out", str(out), "--json"])
    return out, json.loads(buf.getvalue()), rc


@pytest.mark.slow
def test_ezkl_proves_verifies_on_chain_and_refuses_a_tampered_proof(quick_peers):
    _, results, rc = quick_peers
    assert rc == 0
    s = results["scenarios"]["peers"]
    assert s["problems"] == [], s["problems"]
    z = s["raw"]["per_model"]["digits-mlp"]["ezkl"]
    assert z["stopped"] is None, z["stopped"]
    assert set(z["stages"]) == set(ezkl_peer.STAGES)
    assert all(st["seconds"] > 0 and st["peak_mib"] > 0 for st in z["stages"].values())
    off = z["stages"]["verify"]["result"]
    assert off["verified"] and not off["tampered_verified"], off
    c = z["chain"]
    assert c["accepted"] and c["verify_gas"] > 21_000 and c["deploy_gas"] > c["verify_gas"]
    assert not c["tampered_accepted"] and not c["wrong_output_accepted"], c
    assert c["calldata_bytes"] > z["stages"]["prove"]["result"]["proof_bytes"] > 0
    assert z["agreement"]["agrees"]


@pytest.mark.slow
def test_tribunal_modes_answer_the_same_input_and_every_row_names_its_trust(quick_peers):
    out, results, _ = quick_peers
    row = results["scenarios"]["peers"]["raw"]["per_model"]["digits-mlp"]
    for mode, m in row["tribunal"]["modes"].items():
        assert m["status"] == "final" and m["gas"] > 21_000 and m["blocks"] > 0 and m["per_answer_s"] > 0, mode
    assert row["tribunal"]["agreement"]["agrees"]
    assert row["dispute"]["moves"] > 0 and row["dispute"]["gas"] > 21_000
    table = results["scenarios"]["peers"]["tables"][0]
    trust = table["columns"].index("trust assumption")
    assert {r[2] for r in table["rows"]} == {"zk (EZKL)", "brain", "opml", "hybrid"}
    assert all(r[trust] for r in table["rows"])
    report = (out / "report.md").read_text()
    assert "gen_srs" in report and "](peers.png)" in report
    assert (out / "peers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_the_peer_the_scenario_is_left_out_with_a_reason(monkeypatch, capsys):
    from benchmarks import scenarios

    monkeypatch.setitem(sys.modules, "ezkl", None)  # `import ezkl` now fails as if it were not installed
    monkeypatch.delitem(sys.modules, "benchmarks.scenarios.peers", raising=False)
    saved = scenarios.MISSING.pop("peers", None)
    try:
        assert "peers" not in scenarios.available() and scenarios.MISSING["peers"] == "ezkl"
        assert cli.main(["bench", "peers", "--quick"]) == 2
        err = capsys.readouterr().err
        assert "peers" in err and "ezkl is missing" in err
    finally:
        scenarios.MISSING.pop("peers", None)
        if saved is not None:
            scenarios.MISSING["peers"] = saved


@pytest.mark.parametrize("seconds, memory_mib, exceeded", [(0.0, 1e9, "time"), (60.0, 1.0, "memory")])
def test_a_stage_past_its_budget_is_stopped_and_reported(tmp_path, seconds, memory_mib, exceeded):
    r = ezkl_peer.stage("srs", tmp_path, seconds, memory_mib)
    assert r.get("exceeded") == exceeded and r["stage"] == "srs", r
    if exceeded == "time":  # stopped before it finished; a stage quicker than the memory sampling is judged
        assert not (tmp_path / "stage-srs.json").exists()  # by its own reported peak after it ends
